package e2e_test

import (
	"html"
	"io"
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/rowflow/rowflow/apptest"
)

// TestConsoleRunListPaging: the automation page lists 25 runs a page,
// newest first, with a cursor link to the next page until the last; the
// time range filter selects by creation time and a malformed one is 422.
func TestConsoleRunListPaging(t *testing.T) {
	t.Parallel()
	f := setup(t)
	id := f.automation(t, map[string]any{"name": "paged", "trigger": f.trigger("record_created", nil), "enabled": false,
		"steps": []any{webhookStep("send", "https://example.com/in", nil)}})
	seedRuns(t, f.env, f.baseID, id, "send", 60, 10*time.Hour)
	c := consoleClient(t, f.env, apptest.AdminToken)
	rowRe := regexp.MustCompile(`<tr id="row-(run_[a-z0-9]+)"`)
	nextRe := regexp.MustCompile(`<a href="(\?[^"]+)" rel="next">`)
	get := func(query string) (int, string) {
		resp, err := c.Get(f.env.URL + "/console/automations/" + id + query)
		require.NoError(t, err)
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(body)
	}
	seen := map[string]bool{}
	query, pages := "", 0
	for {
		status, body := get(query)
		require.Equal(t, 200, status, body)
		pages++
		rows := rowRe.FindAllStringSubmatch(body, -1)
		for _, r := range rows {
			require.False(t, seen[r[1]], "run %s on two pages", r[1])
			seen[r[1]] = true
		}
		m := nextRe.FindStringSubmatch(body)
		if m == nil {
			require.Len(t, rows, 10, "the last page")
			break
		}
		require.Len(t, rows, 25)
		query = html.UnescapeString(m[1])
	}
	require.Equal(t, 3, pages)
	require.Len(t, seen, 60)

	_, body := get("?from=" + url.QueryEscape(time.Now().Add(time.Hour).UTC().Format("2006-01-02T15:04")))
	require.Empty(t, rowRe.FindAllString(body, -1), "nothing created in the future")
	_, body = get("?from=" + url.QueryEscape(time.Now().Add(-11*time.Hour).UTC().Format(time.RFC3339)))
	require.Len(t, rowRe.FindAllString(body, -1), 25)
	status, body := get("?from=yesterday")
	require.Equal(t, 422, status)
	require.Contains(t, body, "from")
}
