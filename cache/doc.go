// Package cache is rowflow's one in-process cache mechanism: values by key,
// each with a version that only grows (a table's schema_version, a table's
// automations_version). A reader that needs the value as of a given
// version asks for exactly that version (GetAt) and reads the database on
// a miss, so the cache never hides a newer write; concurrent readers of
// different ages may store in any order and the newest stays (Put).
// Immutable entries (an automation version's definition, keyed by
// "id@version") are the special case of a constant version: the first
// stored stays.
package cache
