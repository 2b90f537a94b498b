// Package auth holds access tokens and users. Tokens: creating them (the
// secret shown once, only its SHA-256 stored), listing and revoking them,
// and resolving a bearer secret to its rowflow.Principal. Users: the people
// tokens belong to (a token's user is Principal.UserID and the
// cause.user_id of its writes) and notifications reach; they span bases,
// so only the admin token and owners reaching every base manage them.
package auth
