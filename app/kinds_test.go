package app

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/automation/kind"
)

// credentialName is what a config key holding a credential is called.
var credentialName = regexp.MustCompile(`(?i)(secret|password|passwd|token|api_?key|webhook_url|credential|private_key)`)

// TestKindsAreWellFormed walks every registered kind: it has a name and a
// summary, its config is a struct pointer, its example decodes strictly
// into that config, and every config key named like a credential is a
// declared secret (kind.SecretHolder) or one kind.Redact always hides — so
// a new kind cannot forget to declare a secret.
func TestKindsAreWellFormed(t *testing.T) {
	t.Parallel()
	reg := Kinds(KindDeps{})
	var all []kind.Kind
	for _, k := range reg.Triggers() {
		all = append(all, k)
	}
	for _, k := range reg.Actions() {
		all = append(all, k)
	}
	require.NotEmpty(t, all)
	for _, k := range all {
		t.Run(k.Name(), func(t *testing.T) {
			require.Regexp(t, `^[a-z][a-z_]*$`, k.Name())
			require.NotEmpty(t, k.Summary())
			cfg := k.NewConfig()
			typ := reflect.TypeOf(cfg)
			require.Equal(t, reflect.Pointer, typ.Kind(), "NewConfig returns a pointer")
			require.Equal(t, reflect.Struct, typ.Elem().Kind(), "NewConfig returns a pointer to a struct")
			raw, err := json.Marshal(k.Example("tbl_example"))
			require.NoError(t, err)
			require.NoError(t, kind.DecodeConfig(raw, k.NewConfig()), "the example decodes strictly into the config")

			declared := kind.SecretsOf(k)
			for _, key := range jsonKeys(typ.Elem(), "") {
				last := key[strings.LastIndex(key, ".")+1:]
				if !credentialName.MatchString(last) {
					continue
				}
				probe := nest(key, "probe-value")
				redacted, _ := json.Marshal(kind.Redact(probe, declared))
				require.NotContains(t, string(redacted), "probe-value", "config key %q of %s looks like a credential: declare it in Secrets()", key, k.Name())
			}
		})
	}
}

// TestCredentialCheckCanFail: the check above finds an undeclared
// credential key (a kind with a bot_token it does not declare).
func TestCredentialCheckCanFail(t *testing.T) {
	t.Parallel()
	type cfg struct {
		BotToken string `json:"bot_token"`
	}
	keys := jsonKeys(reflect.TypeOf(cfg{}), "")
	require.Equal(t, []string{"bot_token"}, keys)
	require.True(t, credentialName.MatchString("bot_token"))
	redacted, _ := json.Marshal(kind.Redact(nest("bot_token", "probe-value"), nil))
	require.Contains(t, string(redacted), "probe-value", "an undeclared bot_token is not hidden, so the check fails for it")
	redacted, _ = json.Marshal(kind.Redact(nest("bot_token", "probe-value"), []string{"bot_token"}))
	require.NotContains(t, string(redacted), "probe-value")
}

// jsonKeys lists the JSON keys of struct type t, nested structs as
// "outer.inner".
func jsonKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name := strings.Split(f.Tag.Get("json"), ",")[0]
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct && ft.PkgPath() != "time" {
			out = append(out, jsonKeys(ft, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

// nest is {"a": {"b": v}} for key "a.b".
func nest(key string, v any) map[string]any {
	parts := strings.Split(key, ".")
	var cur any = v
	for i := len(parts) - 1; i >= 0; i-- {
		cur = map[string]any{parts[i]: cur}
	}
	return cur.(map[string]any)
}
