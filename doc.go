// Package rowflow is the shared vocabulary of every layer: the one error
// type with its codes (mapped to HTTP once, in httpapi), who is calling
// (Principal, roles, the base check), who caused a write (Cause) and the
// ids of every resource. It imports the standard library only, so the
// record service, the automation runtime, the kinds and the API can all
// speak it without importing each other.
package rowflow
