package httpapi_test

import (
	"fmt"
	"testing"

	"github.com/rowflow/rowflow/apptest"
)

func TestProbe(t *testing.T) {
	env := apptest.Start(t)
	s := createSchema(t, env)
	tg := createRecord(t, env, s.TargetsID, map[string]any{"Label": "T1"})
	r := send(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/records", admin, map[string]any{"fields": map[string]any{
		"Name": "a", "Amount": 12.345, "At": "2026-01-02T10:00", "Status": "todo", "Tags": []any{"red", "Blue"}, "Email": "A@Example.COM", "Target": []any{tg}, "Due": "2026-03-04", "Done": false}})
	fmt.Println(r.Status, string(r.Body), r.Header)
	r = send(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/records", admin, map[string]any{"fields": map[string]any{"Amount": "x", "Nope": 1}, "extra": 1})
	fmt.Println(r.Status, string(r.Body), r.Header)
	r = send(t, env, "POST", "/api/v1/tables/"+s.ItemsID+"/records", admin, map[string]any{"fields": map[string]any{"Amount": "x", "Nope": 1}})
	fmt.Println(r.Status, string(r.Body), r.Header)
	r = send(t, env, "GET", "/api/v1/tables/"+s.TargetsID+"/records", admin, nil)
	fmt.Println(r.Status, string(r.Body))
	r = send(t, env, "GET", "/api/v1/tables/"+s.TargetsID, admin, nil)
	fmt.Println(r.Status, string(r.Body))
}
