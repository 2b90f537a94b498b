package cache

import "sync"

// Versioned caches values of type T by key. The zero value is not usable:
// make one with New. It is safe for concurrent use.
type Versioned[T any] struct {
	m       sync.Map
	version func(T) int64
}

// New returns an empty cache whose values (usually pointers: values of
// different versions are swapped by identity) report their version with
// version; nil means every value has version 0 (immutable entries).
func New[T any](version func(T) int64) *Versioned[T] {
	if version == nil {
		version = func(T) int64 { return 0 }
	}
	return &Versioned[T]{version: version}
}

// Get returns the value cached under key, whatever its version.
func (c *Versioned[T]) Get(key string) (T, bool) {
	v, ok := c.m.Load(key)
	if !ok {
		var zero T
		return zero, false
	}
	return v.(T), true
}

// GetAt returns the value cached under key only when it is at version
// want; a miss means the caller reads the database.
func (c *Versioned[T]) GetAt(key string, want int64) (T, bool) {
	v, ok := c.Get(key)
	if !ok || c.version(v) != want {
		var zero T
		return zero, false
	}
	return v, true
}

// Put stores v under key unless the value there has a version at least as
// new (versions only grow).
func (c *Versioned[T]) Put(key string, v T) {
	for {
		old, loaded := c.m.LoadOrStore(key, v)
		if !loaded || c.version(old.(T)) >= c.version(v) || c.m.CompareAndSwap(key, old, v) {
			return
		}
	}
}

// Drop forgets key; the next reader reads the database.
func (c *Versioned[T]) Drop(key string) { c.m.Delete(key) }
