package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

const adminToken = "bench-admin-token-0123456789abcdefghij"

// api is a keep-alive JSON client of the rowflow under test.
type api struct {
	base string
	hc   *http.Client
}

func newAPI(base string) *api {
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024, IdleConnTimeout: time.Minute}
	return &api{base: base, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends body as JSON and decodes the answer into out (if non-nil).
func (a *api) do(method, path string, body, out any, want int) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

type idOnly struct {
	ID string `json:"id"`
}

// setupTable creates a base and an Orders table and returns their ids.
func (a *api) setupTable(name string) (string, string, error) {
	var b idOnly
	if err := a.do("POST", "/api/v1/bases", map[string]any{"name": name}, &b, 201); err != nil {
		return "", "", err
	}
	var t idOnly
	err := a.do("POST", "/api/v1/bases/"+b.ID+"/tables", map[string]any{"name": "Orders", "fields": []any{
		map[string]any{"name": "Name", "type": "text"},
		map[string]any{"name": "Status", "type": "single_select", "options": map[string]any{"choices": []any{
			map[string]any{"name": "Todo"}, map[string]any{"name": "Done"}}}},
		map[string]any{"name": "Amount", "type": "number"},
	}}, &t, 201)
	return b.ID, t.ID, err
}

// webhookAutomation creates "record_created + Status is <status> +
// send_webhook to url".
func (a *api) webhookAutomation(baseID, tableID, status, url string) error {
	return a.do("POST", "/api/v1/bases/"+baseID+"/automations", map[string]any{
		"name":       "bench " + status,
		"trigger":    map[string]any{"type": "record_created", "config": map[string]any{"table_id": tableID}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Status", "op": "is", "value": status}}},
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "config": map[string]any{
			"url": url, "body": map[string]any{"id": "{{trigger.record.id}}", "amount": "{{trigger.record.fields.Amount}}"},
		}}},
	}, nil, 201)
}
