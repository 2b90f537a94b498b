package console_test

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"

	"github.com/rowflow/rowflow/apptest"
)

// TestMain fails the package's tests if a goroutine outlives them.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m,
		goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
		goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
		goleak.IgnoreTopFunction("internal/poll.runtime_pollWait"),
	)
}

// browser is an HTTP client with a cookie jar that does not follow
// redirects (tests look at them).
type browser struct {
	t   *testing.T
	env *apptest.Env
	c   *http.Client
}

func newBrowser(t *testing.T, env *apptest.Env) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, env: env, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// answer is one response with its body read.
type answer struct {
	Status int
	Header http.Header
	Body   string
}

func (b *browser) do(req *http.Request) answer {
	b.t.Helper()
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(b.t, err)
	return answer{Status: resp.StatusCode, Header: resp.Header, Body: string(raw)}
}

func (b *browser) get(path string) answer {
	b.t.Helper()
	req, err := http.NewRequest("GET", b.env.URL+path, nil)
	require.NoError(b.t, err)
	return b.do(req)
}

// post sends a form; header may add headers (Origin…).
func (b *browser) post(path string, form url.Values, header ...string) answer {
	b.t.Helper()
	req, err := http.NewRequest("POST", b.env.URL+path, strings.NewReader(form.Encode()))
	require.NoError(b.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of the page at path.
func (b *browser) csrf(path string) string {
	b.t.Helper()
	a := b.get(path)
	require.Equal(b.t, 200, a.Status, a.Body)
	m := csrfField.FindStringSubmatch(a.Body)
	require.NotNil(b.t, m, "no csrf field on %s", path)
	return m[1]
}

// login logs in with token and requires success.
func (b *browser) login(token string) {
	b.t.Helper()
	a := b.post("/console/login", url.Values{"csrf": {b.csrf("/console/login")}, "token": {token}})
	require.Equal(b.t, http.StatusSeeOther, a.Status, a.Body)
}

// fixture is a base with a table and an automation whose one step posts
// to a receiver that answers 500: every run fails.
type fixture struct {
	env          *apptest.Env
	baseID       string
	tableID      string
	automationID string
	hook         *httptest.Server
	// calls counts the requests the receiver got.
	calls *atomic.Int64
}

func setup(t *testing.T, env *apptest.Env, name string) *fixture {
	t.Helper()
	calls := &atomic.Int64{}
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		http.Error(w, "down for the test", http.StatusInternalServerError)
	}))
	t.Cleanup(hook.Close)
	b := env.JSON("POST", "/api/v1/bases", map[string]any{"name": name}, 201)["id"].(string)
	tb := env.JSON("POST", "/api/v1/bases/"+b+"/tables", map[string]any{"name": "Orders", "fields": []any{
		map[string]any{"name": "Name", "type": "text"}}}, 201)["id"].(string)
	a := env.JSON("POST", "/api/v1/bases/"+b+"/automations", map[string]any{
		"name":       name + " notifier",
		"trigger":    map[string]any{"type": "record_created", "config": map[string]any{"table_id": tb}},
		"conditions": map[string]any{"match": "all", "rules": []any{map[string]any{"field": "Name", "op": "is_not_empty"}}},
		"steps": []any{map[string]any{"id": "notify", "type": "send_webhook", "retry": map[string]any{"max_attempts": 1},
			"config": map[string]any{"url": hook.URL + "/hook", "secret": "whsec_topsecret" + name, "body": map[string]any{"id": "{{trigger.record.id}}"}}}},
	}, 201)["id"].(string)
	return &fixture{env: env, baseID: b, tableID: tb, automationID: a, hook: hook, calls: calls}
}

// failedRun writes a record and waits (on the run feed) for its run to
// fail; it returns the run id.
func (f *fixture) failedRun(t *testing.T) string {
	t.Helper()
	sub, err := f.env.App.RunFeed.Subscribe(context.Background(), f.automationID)
	require.NoError(t, err)
	defer sub.Close()
	f.env.JSON("POST", "/api/v1/tables/"+f.tableID+"/records", map[string]any{"fields": map[string]any{"Name": "x"}}, 201)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for {
		select {
		case ev := <-sub.C:
			if ev.Status == "failed" {
				return ev.RunID
			}
		case <-ctx.Done():
			t.Fatal("no run failed")
		}
	}
}

// token creates a token of role for bases and returns its secret.
func token(t *testing.T, env *apptest.Env, role string, bases ...string) string {
	t.Helper()
	body := map[string]any{"name": role, "role": role}
	if len(bases) > 0 {
		body["base_ids"] = bases
	}
	return env.JSON("POST", "/api/v1/tokens", body, 201)["token"].(string)
}

// sseEvent is one Server-Sent Event.
type sseEvent struct {
	Name string
	Data map[string]any
}

// openEvents opens an event stream with b's cookies and sends its events
// to the returned channel until the test ends.
func (b *browser) openEvents(path string) <-chan sseEvent {
	b.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, "GET", b.env.URL+path, nil)
	require.NoError(b.t, err)
	req.Header.Set("Accept", "text/event-stream")
	resp, err := b.c.Do(req)
	require.NoError(b.t, err)
	require.Equal(b.t, 200, resp.StatusCode)
	out := make(chan sseEvent, 16)
	done := make(chan struct{})
	b.t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	go func() {
		defer close(done)
		defer close(out) // the stream ended
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.Data)
			case line == "" && ev.Name != "":
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
				ev = sseEvent{}
			}
		}
	}()
	return out
}

// next waits for the next event named name.
func next(t *testing.T, events <-chan sseEvent, name string, match func(sseEvent) bool) sseEvent {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("the stream ended before a %s event", name)
			}
			if ev.Name == name && (match == nil || match(ev)) {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}
