package rowflow

import "strings"

// CheckName validates a user-given name (1–200 characters after trimming,
// no NUL), reporting at location.
func CheckName(location, name string) error {
	if name == "" {
		return Invalid(location, "must not be empty")
	}
	if len(name) > 200 {
		return Invalid(location, "must be at most 200 characters")
	}
	if strings.ContainsRune(name, 0) {
		// PostgreSQL text cannot hold NUL: refuse it here, not with a 500.
		return Invalid(location, "must not contain a NUL character")
	}
	return nil
}
