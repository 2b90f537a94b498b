package e2e_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
	"github.com/rowflow/rowflow/automation/kind"
)

// syncBuffer is a log sink safe for the app's concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// setPath sets the value at a declared secret path (dot-separated keys,
// "*" for any key) of a config, creating objects on the way.
func setPath(cfg map[string]any, path, v string) {
	keys := strings.Split(path, ".")
	cur := cfg
	for _, k := range keys[:len(keys)-1] {
		if k == "*" {
			k = "X-Any"
		}
		next, ok := cur[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			cur[k] = next
		}
		cur = next
	}
	last := keys[len(keys)-1]
	if last == "*" {
		last = "X-Any"
	}
	cur[last] = v
}

// TestKindSecretsAreRedactedEverywhere walks every registered kind that
// declares secrets (kind.SecretHolder), fills each declared secret with a
// value of its own, saves it in an automation and runs it: no secret may
// appear in an API answer (create, get, list, runs), in a stored run row
// (trigger data, step input, output, error) or in a log line, at any
// level. A URL in the config points at a receiver on 127.0.0.1, which
// proves the secrets really were used.
func TestKindSecretsAreRedactedEverywhere(t *testing.T) {
	t.Parallel()
	logs := &syncBuffer{}
	f := setupOn(t, apptest.StartWithLog(t, logs))
	rcv := newReceiver(t)
	kinds := f.env.App.Automations.Kinds()
	var secrets, automations []string
	noSecret := func(what string, raw []byte) {
		t.Helper()
		for _, s := range secrets {
			require.NotContains(t, string(raw), s, "%s holds a secret", what)
		}
	}
	for _, at := range kinds.Actions() {
		paths := kind.SecretsOf(at)
		if len(paths) == 0 {
			continue
		}
		keys := configKeys(at.NewConfig())
		var inConfig []string
		for _, p := range paths {
			// A declared secret of what the kind reads (a connection's) is
			// not in its config: connections have their own leak test.
			if keys[strings.ToLower(strings.Split(p, ".")[0])] {
				inConfig = append(inConfig, p)
			}
		}
		if len(inConfig) == 0 {
			continue
		}
		cfg := exampleJSON(t, at.Example(f.tableID), nil)
		if _, ok := cfg["url"]; ok {
			cfg["url"] = rcv.URL
		}
		for i, p := range inConfig {
			s := fmt.Sprintf("SEKRET-%s-%d_x", at.Name(), i)
			setPath(cfg, p, s)
			secrets = append(secrets, s)
		}
		created := f.env.JSON("POST", "/api/v1/bases/"+f.baseID+"/automations", map[string]any{
			"name": "secrets of " + at.Name(), "trigger": f.trigger("record_created", nil),
			"steps": []any{map[string]any{"id": "s", "type": at.Name(), "config": cfg, "retry": map[string]any{"max_attempts": 1}}},
		}, 201)
		noSecret("the create answer of "+at.Name(), mustJSON(t, created))
		id := created["id"].(string)
		automations = append(automations, id)
		noSecret("the get answer of "+at.Name(), mustJSON(t, f.env.JSON("GET", "/api/v1/automations/"+id, nil, 200)))
	}
	for _, tt := range kinds.Triggers() {
		require.Empty(t, kind.SecretsOf(tt), "trigger %s declares secrets: extend this test to fill and fire it", tt.Name())
	}
	require.NotEmpty(t, secrets, "some kind declares secrets")
	noSecret("the list answer", mustJSON(t, f.env.JSON("GET", "/api/v1/bases/"+f.baseID+"/automations", nil, 200)))

	f.create(t, map[string]any{"Name": "fire"})
	for _, id := range automations {
		for _, r := range f.waitRuns(t, id, 1) {
			noSecret("a run answer", mustJSON(t, f.getRun(t, r["id"].(string))))
		}
		noSecret("the runs list", mustJSON(t, f.env.JSON("GET", "/api/v1/automations/"+id+"/runs", nil, 200)))
	}
	require.Contains(t, rcv.wait(t).Header.Get("Authorization"), "SEKRET-", "the declared secrets reached the receiver")

	rows, err := f.env.App.Pool.Query(context.Background(), `SELECT r.trigger_data::text || coalesce(r.error, '') || coalesce(s.input::text, '') ||
		coalesce(s.output::text, '') || coalesce(s.error, '') FROM runs r JOIN run_steps s ON s.run_id = r.id`)
	require.NoError(t, err)
	n := 0
	for rows.Next() {
		var row string
		require.NoError(t, rows.Scan(&row))
		noSecret("a stored run row", []byte(row))
		n++
	}
	require.NoError(t, rows.Err())
	require.Equal(t, len(automations), n, "every automation's step row was read")
	require.NotEmpty(t, logs.String(), "the app logged")
	noSecret("the log", []byte(logs.String()))
}

// configKeys are the top-level JSON keys of a kind's config (lower case).
func configKeys(cfg any) map[string]bool {
	keys := map[string]bool{}
	t := reflect.TypeOf(cfg).Elem()
	for i := 0; i < t.NumField(); i++ {
		if name := strings.Split(t.Field(i).Tag.Get("json"), ",")[0]; name != "" && name != "-" {
			keys[strings.ToLower(name)] = true
		}
	}
	return keys
}
