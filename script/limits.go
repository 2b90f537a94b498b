package script

import "time"

// Limits of one execution. The step config's timeout_ms and memory_mb are
// checked against these at save time.
const (
	// MaxCodeBytes is the largest script (refused at save time).
	MaxCodeBytes = 100 << 10
	// MaxInputBytes is the largest input.config() value, as JSON.
	MaxInputBytes = 1 << 20
	// MaxOutputBytes is the largest output (every output.set value, as
	// JSON, together).
	MaxOutputBytes = 1 << 20
	// MaxLogLines and MaxLogBytes cap the captured console output; what is
	// logged beyond them is dropped and a truncation marker is the last
	// line.
	MaxLogLines = 200
	MaxLogBytes = 64 << 10
	// maxLineChars is where the prelude cuts one console line (UTF-16
	// units) before it crosses into Go.
	maxLineChars = 16 << 10
	// MaxReadBytes is the largest answer of one record read (as JSON).
	MaxReadBytes = 4 << 20
	// MaxReads is how many reads (getTable, selectRecordsAsync,
	// selectRecordAsync) one execution may make: a script cannot turn
	// into a load test of the database.
	MaxReads = 200

	// DefaultTimeout and MaxTimeout bound a script's wall-clock time.
	DefaultTimeout = 30 * time.Second
	MaxTimeout     = 120 * time.Second
	// DefaultMemoryBytes and MaxMemoryBytes bound a script's JavaScript heap.
	DefaultMemoryBytes = 64 << 20
	MaxMemoryBytes     = 256 << 20
	// MinMemoryBytes is the smallest heap a script may ask for (the VM
	// itself needs about 1 MiB).
	MinMemoryBytes = 4 << 20

	// checkMemoryBytes and checkTimeout bound the save-time syntax check.
	checkMemoryBytes = 32 << 20
	checkTimeout     = 2 * time.Second
)

// TruncatedMarker starts the last log line of a script whose console output
// went past MaxLogLines or MaxLogBytes.
const TruncatedMarker = "… log truncated"
