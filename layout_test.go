package rowflow_test

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const module = "github.com/rowflow/rowflow"

// pkg is what `go list -json` says of one package of the module.
type pkg struct {
	ImportPath string
	Imports    []string // direct imports of its non-test files
	Deps       []string // everything it imports, transitively
}

// listPackages lists the module's packages (non-test files only).
func listPackages(t *testing.T) map[string]pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json", "./...")
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		t.Fatalf("go list: %v\n%s", err, ee.Stderr)
	}
	require.NoError(t, err)
	pkgs := map[string]pkg{}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else {
			require.NoError(t, err)
		}
		pkgs[strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")] = p
	}
	require.Contains(t, pkgs, "record", "go list ran in the module root")
	return pkgs
}

// rel is an import path relative to the module ("" for the root package),
// or the path itself for other modules.
func rel(path string) string {
	if path == module {
		return ""
	}
	return strings.TrimPrefix(path, module+"/")
}

// under reports whether import path p is package dir or below it.
func under(p, dir string) bool {
	r := rel(p)
	return r == dir || strings.HasPrefix(r, dir+"/")
}

// TestLayoutRules enforces the import rules of the layout (README, "What's
// inside"): lower layers never import higher ones, kinds reach their
// dependencies only as values, and app alone lists the concrete kinds.
// Each failure names the package and the offending import.
func TestLayoutRules(t *testing.T) {
	t.Parallel()
	pkgs := listPackages(t)
	isRiver := func(p string) bool {
		return strings.HasPrefix(p, "github.com/riverqueue/") || strings.HasPrefix(p, "riverqueue.com/")
	}
	rules := []struct {
		name string
		// applies to packages for which of is true
		of func(dir string) bool
		// deps: check transitive imports (else direct ones)
		deps bool
		// bad reports a forbidden import
		bad func(imp string) bool
	}{
		{"the root package imports the standard library only",
			func(d string) bool { return d == "" }, true,
			func(imp string) bool { return strings.Contains(strings.Split(imp, "/")[0], ".") }},
		{"the evaluators import no service, runtime, database or queue",
			func(d string) bool { return slices.Contains([]string{"field", "condition", "formula", "template"}, d) }, true,
			func(imp string) bool {
				return under(imp, "record") || under(imp, "automation") || under(imp, "db") || under(imp, "auth") || isRiver(imp) || strings.HasPrefix(imp, "github.com/jackc/")
			}},
		{"record never imports the automation runtime or its kinds",
			func(d string) bool { return under(module+"/"+d, "record") }, true,
			func(imp string) bool { return under(imp, "automation") || under(imp, "jobs") || isRiver(imp) }},
		{"kind (the contracts) imports neither the runtime, db nor River",
			func(d string) bool { return d == "automation/kind" }, false,
			func(imp string) bool { return rel(imp) == "automation" || under(imp, "db") || isRiver(imp) }},
		{"kinds import kind, record, outbound and the evaluators, never the runtime, db or River",
			func(d string) bool {
				return under(module+"/"+d, "automation/action") || under(module+"/"+d, "automation/trigger")
			}, false,
			func(imp string) bool {
				return rel(imp) == "automation" || under(imp, "db") || isRiver(imp) || under(imp, "jobs") || under(imp, "httpapi") || under(imp, "app")
			}},
		{"only app lists the concrete kinds",
			func(d string) bool {
				return d != "app" && !under(module+"/"+d, "automation/action") && !under(module+"/"+d, "automation/trigger")
			}, false,
			func(imp string) bool { return under(imp, "automation/action") || under(imp, "automation/trigger") }},
		{"script (the JavaScript sandbox) is a leaf: it imports nothing of rowflow",
			func(d string) bool { return d == "script" }, true,
			func(imp string) bool { return imp == module || strings.HasPrefix(imp, module+"/") }},
		{"httpapi never imports db",
			func(d string) bool { return d == "httpapi" }, false,
			func(imp string) bool { return under(imp, "db") }},
		{"the console (HTML) calls the services like the API: no db, no River",
			func(d string) bool { return d == "console" }, false,
			func(imp string) bool { return under(imp, "db") || isRiver(imp) || under(imp, "httpapi") }},
	}
	for _, r := range rules {
		checked := 0
		for dir, p := range pkgs {
			if !r.of(dir) {
				continue
			}
			checked++
			imps := p.Imports
			if r.deps {
				imps = p.Deps
			}
			for _, imp := range imps {
				if r.bad(imp) {
					t.Errorf("%s: package %q imports %q", r.name, p.ImportPath, imp)
				}
			}
		}
		require.NotZero(t, checked, "rule %q applies to no package", r.name)
	}
}
