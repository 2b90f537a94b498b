package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// formSetup is a schema with a public form (Name and Tags required, Email
// and Amount optional) and a private form (Name) on Items.
type formSetup struct {
	schema
	Public, Private string
}

func setupForms(t *testing.T, env *apptest.Env) formSetup {
	t.Helper()
	s := formSetup{schema: createSchema(t, env)}
	forms := "/api/v1/tables/" + s.ItemsID + "/forms"
	pub := doJSON(t, env, "POST", forms, map[string]any{
		"name": "Intake", "public": true,
		"fields": []any{
			map[string]any{"field": "Name", "required": true},
			map[string]any{"field": "Email"},
			map[string]any{"field": s.Fields["Tags"], "required": true},
			map[string]any{"field": "Amount"},
		},
	}, http.StatusCreated)
	s.Public = pub["id"].(string)
	require.True(t, strings.HasPrefix(s.Public, "frm_"), s.Public)
	require.Equal(t, true, pub["public"])
	require.Equal(t, s.ItemsID, pub["table_id"])
	require.Equal(t, s.BaseID, pub["base_id"])
	require.Equal(t, []any{
		map[string]any{"field_id": s.Fields["Name"], "required": true},
		map[string]any{"field_id": s.Fields["Email"]},
		map[string]any{"field_id": s.Fields["Tags"], "required": true},
		map[string]any{"field_id": s.Fields["Amount"]},
	}, pub["fields"], "fields named by name or id are stored by id, with their required flag")
	priv := doJSON(t, env, "POST", forms, map[string]any{
		"name": "Internal", "fields": []any{map[string]any{"field": "Name"}},
	}, http.StatusCreated)
	s.Private = priv["id"].(string)
	require.Equal(t, false, priv["public"])
	return s
}

// TestFormCreate: bad form definitions are refused with their place.
func TestFormCreate(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := setupForms(t, env)
	forms := "/api/v1/tables/" + s.ItemsID + "/forms"
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
		where  string
	}{
		{"unknown field", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Nope"}}}, 422, "fields[0].field"},
		{"button field", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Go"}}}, 422, "fields[0].field"},
		{"field twice", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Name"}, map[string]any{"field": s.Fields["Name"]}}}, 422, "fields[1].field"},
		{"no fields", map[string]any{"name": "F", "fields": []any{}}, 422, ""},
		{"blank name", map[string]any{"name": "  ", "fields": []any{map[string]any{"field": "Name"}}}, 422, "name"},
		{"unknown property", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Name"}}, "anonymous": true}, 422, ""},
		{"unknown property of a field", map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Name", "hidden": true}}}, 422, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "POST", forms, admin, tc.body)
			require.Equal(t, tc.status, status, "%s", raw)
			if tc.where != "" {
				requireProblemAt(t, status, raw, tc.where, "")
			}
		})
	}
	list := doJSON(t, env, "GET", forms, nil, http.StatusOK)["items"].([]any)
	require.Len(t, list, 2, "a refused form was created")
	_, viewer := createToken(t, env, "viewer")
	status, raw := do(t, env, "POST", forms, viewer, map[string]any{"name": "F", "fields": []any{map[string]any{"field": "Name"}}})
	require.Equal(t, http.StatusForbidden, status, "%s", raw)
}

// TestPublicFormSubmit: a public form takes submissions without a token,
// only for its fields, with its required fields filled.
func TestPublicFormSubmit(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := setupForms(t, env)
	submit := "/api/v1/forms/" + s.Public + "/submit"

	out := doJSONAs(t, env, "", "POST", submit, map[string]any{"fields": map[string]any{
		"Name": "Ada", "Email": "ada@example.com", "Tags": []any{"red"},
	}}, http.StatusCreated)
	id := out["id"].(string)
	require.True(t, strings.HasPrefix(id, "rec_"), id)
	require.Equal(t, "Ada", out["fields"].(map[string]any)["Name"])
	got := getFields(t, env, s.ItemsID, id)
	require.Equal(t, "ada@example.com", got["Email"])
	require.Equal(t, []any{"red"}, got["Tags"])

	// Fields may be named by id too.
	doJSONAs(t, env, "", "POST", submit, map[string]any{"fields": map[string]any{
		s.Fields["Name"]: "Bob", s.Fields["Tags"]: "blue", "Amount": 3,
	}}, http.StatusCreated)

	for _, tc := range []struct {
		name   string
		fields map[string]any
		where  string
		reason string
	}{
		{"field not on the form", map[string]any{"Name": "x", "Tags": "red", "Notes": "sneaky"}, "fields.Notes", "no such field"},
		{"field not on the form by id", map[string]any{"Name": "x", "Tags": "red", s.Fields["Done"]: true}, "fields." + s.Fields["Done"], "no such field"},
		{"unknown field", map[string]any{"Name": "x", "Tags": "red", "Nope": 1}, "fields.Nope", "no such field"},
		{"missing required field", map[string]any{"Tags": "red"}, "fields.Name", "required"},
		{"required field null", map[string]any{"Name": nil, "Tags": "red"}, "fields.Name", "required"},
		{"required field empty", map[string]any{"Name": "", "Tags": "red"}, "fields.Name", "required"},
		{"required list empty", map[string]any{"Name": "x", "Tags": []any{}}, "fields.Tags", "required"},
		{"bad value", map[string]any{"Name": "x", "Tags": "red", "Email": "not an email"}, "fields.Email", "not a valid email"},
		{"button field", map[string]any{"Name": "x", "Tags": "red", "Go": "click"}, "fields.Go", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "POST", submit, "", map[string]any{"fields": tc.fields})
			requireProblemAt(t, status, raw, tc.where, tc.reason)
		})
	}
	status, raw := do(t, env, "POST", submit, "", map[string]any{"fields": map[string]any{"Name": "x", "Tags": "red"}, "extra": 1})
	require.Equal(t, http.StatusUnprocessableEntity, status, "unknown body property: %s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 2, "a refused submission wrote a record")

	// A bad token is refused even on a public form.
	status, raw = do(t, env, "POST", submit, "rf_bogus", map[string]any{"fields": map[string]any{"Name": "x", "Tags": "red"}})
	require.Equal(t, http.StatusUnauthorized, status, "%s", raw)
	status, raw = do(t, env, "POST", "/api/v1/forms/frm_missing/submit", "", map[string]any{"fields": map[string]any{}})
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 2)
}

// TestPrivateFormSubmit: a private form needs a token that may write its
// base.
func TestPrivateFormSubmit(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := setupForms(t, env)
	other := createSchema(t, env)
	submit := "/api/v1/forms/" + s.Private + "/submit"
	body := map[string]any{"fields": map[string]any{"Name": "Ada"}}
	_, editor := createToken(t, env, "editor")
	_, viewer := createToken(t, env, "viewer")
	_, elsewhere := createToken(t, env, "owner", other.BaseID)
	_, scopedEditor := createToken(t, env, "editor", s.BaseID)

	status, raw := do(t, env, "POST", submit, "", body)
	require.Contains(t, []int{http.StatusUnauthorized, http.StatusNotFound}, status, "%s", raw)
	status, raw = do(t, env, "POST", submit, viewer, body)
	require.Equal(t, http.StatusForbidden, status, "%s", raw)
	status, raw = do(t, env, "POST", submit, elsewhere, body)
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	require.Empty(t, listAll(t, env, s.ItemsID, ""))

	doJSONAs(t, env, editor, "POST", submit, body, http.StatusCreated)
	doJSONAs(t, env, scopedEditor, "POST", submit, body, http.StatusCreated)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 2)
	// The token does not widen the form: only its fields.
	status, raw = do(t, env, "POST", submit, editor, map[string]any{"fields": map[string]any{"Name": "x", "Amount": 1}})
	requireProblemAt(t, status, raw, "fields.Amount", "no such field")

	// A viewer cannot write records, but a public form takes its
	// submission like anyone's.
	doJSONAs(t, env, viewer, "POST", "/api/v1/forms/"+s.Public+"/submit", map[string]any{"fields": map[string]any{"Name": "v", "Tags": "red"}}, http.StatusCreated)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 3)

	// A public form of a base the token does not reach is no way in either.
	status, raw = do(t, env, "POST", "/api/v1/forms/"+s.Public+"/submit", elsewhere, map[string]any{"fields": map[string]any{"Name": "x", "Tags": "red"}})
	require.Equal(t, http.StatusNotFound, status, "%s", raw)
	require.Len(t, listAll(t, env, s.ItemsID, ""), 3)
}

// TestGetForm: anyone may read a public form; a private one only with a
// token that reaches its base.
func TestGetForm(t *testing.T) {
	t.Parallel()
	env := apptest.Start(t)
	s := setupForms(t, env)
	other := createSchema(t, env)
	_, viewer := createToken(t, env, "viewer")
	_, elsewhere := createToken(t, env, "viewer", other.BaseID)

	for _, tc := range []struct {
		name   string
		form   string
		token  string
		status int
	}{
		{"public, anonymous", s.Public, "", 200},
		{"public, viewer", s.Public, viewer, 200},
		{"public, token of another base", s.Public, elsewhere, 200},
		{"private, anonymous", s.Private, "", 404},
		{"private, viewer", s.Private, viewer, 200},
		{"private, token of another base", s.Private, elsewhere, 404},
		{"private, bad token", s.Private, "rf_bogus", 401},
		{"missing", "frm_missing", viewer, 404},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, raw := do(t, env, "GET", "/api/v1/forms/"+tc.form, tc.token, nil)
			require.Equal(t, tc.status, status, "%s", raw)
			if status == 200 {
				require.Contains(t, string(raw), `"id":"`+tc.form+`"`)
			}
		})
	}
}
