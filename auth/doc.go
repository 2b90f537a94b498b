// Package auth holds access tokens: creating them (the secret shown once,
// only its SHA-256 stored), listing and revoking them, and resolving a
// bearer secret to its rowflow.Principal. Users join it with the
// connections work.
package auth
