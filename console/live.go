package console

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/runfeed"
)

// DefaultHeartbeat is how often an idle stream is pinged (keeping proxies
// from closing it) and its session checked again (Opts.Heartbeat).
const DefaultHeartbeat = 25 * time.Second

// maxStream is the longest one event stream lasts before the browser
// reconnects (and is authenticated again).
const maxStream = 10 * time.Minute

// writeTimeout bounds one event's write: a client that stops reading is
// dropped.
const writeTimeout = 10 * time.Second

// stream is one open Server-Sent Events answer.
type stream struct {
	w  io.Writer
	rc *http.ResponseController
}

func openStream(w http.ResponseWriter) (*stream, error) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	s := &stream{w: w, rc: rc}
	return s, s.write(": connected\nretry: 2000\n\n")
}

func (s *stream) write(text string) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		return err
	}
	return s.rc.Flush()
}

// event sends one event whose data is v as JSON (one line).
func (s *stream) event(name string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.write(fmt.Sprintf("event: %s\ndata: %s\n\n", name, data))
}

// liveRow is a "run" event of the automation page: the row of one run.
type liveRow struct {
	ID   string `json:"id"`
	HTML string `json:"html"`
}

// automationEvents streams the automation's runs as they are created or
// change status: each as its rendered row (only runs the page's filter
// selects). Every run is read again with the session's principal.
func (c *Console) automationEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	id := chi.URLParam(r, "id")
	if c.opts.Feed == nil {
		c.fail(w, r, rowflow.Errorf(rowflow.CodeNotFound, "live updates are not available on this server"))
		return
	}
	if _, err := c.opts.Automations.GetAutomation(ctx, id); err != nil {
		c.fail(w, r, err)
		return
	}
	f, rf, err := filterFrom(r.URL.Query())
	if err != nil {
		c.fail(w, r, err)
		return
	}
	var since *time.Time
	if v := r.URL.Query().Get("since"); v != "" {
		t, err := time.Parse(time.RFC3339Nano, v)
		if err != nil {
			c.fail(w, r, rowflow.Invalid("since", "must be an RFC 3339 time"))
			return
		}
		since = &t
	}
	sub, err := c.opts.Feed.Subscribe(ctx, id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	defer sub.Close()
	s, err := openStream(w)
	if err != nil {
		return
	}
	send := func(runID string) error {
		run, err := c.opts.Automations.GetRun(ctx, runID)
		if rowflow.ErrorCode(err) == rowflow.CodeNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if !f.matches(run) {
			return nil
		}
		html, err := c.fragment("automation", "runrow", rowOf(run))
		if err != nil {
			return err
		}
		return s.event("run", liveRow{ID: run.ID, HTML: html})
	}
	if since != nil {
		// The runs of the gap between the page and the stream (the
		// subscription is open already: nothing after them is missed).
		rf.From, rf.Cursor, rf.Limit = since, "", 50
		runs, _, err := c.opts.Automations.ListRuns(ctx, id, rf)
		if err != nil {
			return
		}
		for i := len(runs) - 1; i >= 0; i-- {
			if err := send(runs[i].ID); err != nil {
				return
			}
		}
	}
	c.follow(r, s, sub, func(evs []runfeed.Event) error {
		seen := map[string]bool{}
		for _, ev := range evs {
			if ev.AutomationID == "" || seen[ev.RunID] {
				continue
			}
			seen[ev.RunID] = true
			if err := send(ev.RunID); err != nil {
				return err
			}
		}
		return nil
	}, func() error { return s.event("reload", struct{}{}) })
}

// runEvents streams a run's state (status, steps) as rendered HTML each
// time it changes; the first event is the state at connection, so nothing
// between the page load and the stream is missed.
func (c *Console) runEvents(w http.ResponseWriter, r *http.Request) {
	id := chi.URLParam(r, "id")
	if c.opts.Feed == nil {
		c.fail(w, r, rowflow.Errorf(rowflow.CodeNotFound, "live updates are not available on this server"))
		return
	}
	if _, err := c.loadRun(r, id); err != nil {
		c.fail(w, r, err)
		return
	}
	sub, err := c.opts.Feed.Subscribe(r.Context(), id)
	if err != nil {
		c.fail(w, r, err)
		return
	}
	defer sub.Close()
	s, err := openStream(w)
	if err != nil {
		return
	}
	send := func() error {
		d, err := c.loadRun(r, id)
		if err != nil {
			return err
		}
		html, err := c.fragment("run", "live", d)
		if err != nil {
			return err
		}
		return s.event("run", liveRow{ID: id, HTML: html})
	}
	if err := send(); err != nil {
		return
	}
	c.follow(r, s, sub, func([]runfeed.Event) error { return send() }, send)
}

// follow relays sub to the stream until the client leaves or the feed
// closes: each burst of events (drained at once, so a commit that wrote a
// step and its run renders once) goes to onEvents, a resync to onResync.
//
// The session is checked again at every heartbeat, and a stream lasts at
// most maxStream: a logout, an expired session or a deleted token ends
// the streams opened with it within a heartbeat (the browser's
// EventSource reconnects through the login check).
func (c *Console) follow(r *http.Request, s *stream, sub *runfeed.Subscription, onEvents func([]runfeed.Event) error, onResync func() error) {
	ctx, cancel := context.WithTimeout(r.Context(), maxStream)
	defer cancel()
	beat := time.NewTicker(c.opts.Heartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-sub.Done():
			return
		case ev := <-sub.C:
			evs := []runfeed.Event{ev}
		drain:
			for {
				select {
				case more := <-sub.C:
					evs = append(evs, more)
				default:
					break drain
				}
			}
			err = onEvents(evs)
		case <-sub.Resync():
			err = onResync()
		case <-beat.C:
			if _, serr := c.opts.Sessions.FromRequest(r); serr != nil {
				return // logged out, expired or its token deleted
			}
			err = s.write(": ping\n\n")
		}
		if err != nil {
			if !strings.Contains(err.Error(), "broken pipe") && ctx.Err() == nil {
				c.log.Warn("console event stream ended", "path", r.URL.Path, "error", err)
			}
			return
		}
	}
}
