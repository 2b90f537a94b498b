package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// newFlags returns the flag set of a leaf command; path is its command
// line ("rowflow pg start"), args and summary its usage line and help.
func newFlags(path, args, summary string) *flag.FlagSet {
	fs := flag.NewFlagSet(path, flag.ContinueOnError)
	fs.Usage = func() {
		out := fs.Output()
		fmt.Fprintf(out, "usage: %s %s\n\n%s\n", path, args, summary)
		n := 0
		fs.VisitAll(func(*flag.Flag) { n++ })
		if n > 0 {
			fmt.Fprintln(out, "\nflags:")
			fs.PrintDefaults()
		}
	}
	return fs
}

// parseFlags parses args into fs. Help is printed on stdout and answered
// with errHelp; a bad flag or a stray argument (unless extraArgs) with a
// usageError.
func parseFlags(fs *flag.FlagSet, args []string, extraArgs bool) error {
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) || (err == nil && fs.NArg() > 0 && isHelp(fs.Arg(0))) {
		fs.SetOutput(stdout)
		fs.Usage()
		return errHelp
	}
	if err == nil && fs.NArg() > 0 && !extraArgs {
		err = fmt.Errorf("unexpected argument %q", strings.Join(fs.Args(), " "))
	}
	if err != nil {
		var b strings.Builder
		fs.SetOutput(&b)
		fs.Usage()
		return &usageError{msg: fs.Name() + ": " + err.Error(), usage: b.String()}
	}
	return nil
}
