package httpapi_test

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/app"
	"github.com/rowflow/rowflow/httpapi"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestOpenAPIGolden pins the OpenAPI document: an API change shows up as a
// diff of testdata/openapi.golden.json in review. Refresh it with
// `go test ./httpapi -run TestOpenAPIGolden -update`.
func TestOpenAPIGolden(t *testing.T) {
	t.Parallel()
	srv := httpapi.New(httpapi.Opts{Kinds: app.Kinds(app.KindDeps{})})
	got, err := json.MarshalIndent(srv.API.OpenAPI(), "", "  ")
	require.NoError(t, err)
	path := filepath.Join("testdata", "openapi.golden.json")
	if *update {
		require.NoError(t, os.WriteFile(path, append(got, '\n'), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run with -update to create the golden file")
	require.JSONEq(t, string(want), string(got), "the OpenAPI document changed: review, then run with -update")
}
