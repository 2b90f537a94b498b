// Package script runs users' JavaScript (the run_script step) in
// modernc.org/quickjs, a pure-Go QuickJS, bounded so that a script can never
// take the process down:
//
//   - one VM per execution, closed when it ends; no std/os helpers (no
//     file system, no network, no timers, no module loader);
//   - a wall-clock timeout (the VM's eval timeout, re-armed with what is
//     left before each entry into JavaScript, plus Interrupt when the
//     context ends);
//   - a memory limit on the JavaScript heap (SetMemoryLimit), and caps on
//     everything that crosses into Go: code (MaxCodeBytes), input
//     (MaxInputBytes), output (MaxOutputBytes), console lines
//     (MaxLogLines, MaxLogBytes) and record reads (MaxReadBytes, MaxReads);
//   - Array methods refuse lengths no array within the memory limit can
//     have (the engine loops over an array-like's length in C, where the
//     deadline is not checked), and Run returns at the deadline plus
//     abandonGrace even if the engine is stuck in a built-in;
//   - at most Opts.Concurrency executions at once per Runner, so the worst
//     case is Concurrency × the memory limit;
//   - a panic in the engine or in a host function closes that VM and
//     fails the execution (an *Error of KindInternal), never the process.
//
// Inside a script (Airtable-style): input.config() is the input object;
// output.set(key, value) sets a key of the output (JSON-serialisable,
// checked at the call); console.log/info/warn/error are captured; and
// base.getTable(name).selectRecordsAsync({filter, sort, limit}) and
// table.selectRecordAsync(id) read records through Base, when one is
// given. The code runs as the body of an async function, so top-level
// await and return work.
//
// Errors are *Error values whose message names the script's line and
// column where QuickJS gives one. The package imports nothing of rowflow.
package script
