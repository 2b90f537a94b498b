package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humachi"

	"github.com/rowflow/rowflow/notify"
)

// Stream timings: a comment line keeps idle streams (and proxies) alive
// and finds dead clients; one write may take at most streamWriteTimeout.
const (
	streamHeartbeat    = 25 * time.Second
	streamWriteTimeout = 10 * time.Second
	streamBacklogPage  = 500
	streamSeenMax      = 1024
)

type notificationBody struct{ Body notify.Notification }

func registerNotifications(api huma.API, h *handlers) {
	huma.Register(api, huma.Operation{
		OperationID: "list-notifications", Method: http.MethodGet, Path: "/api/v1/notifications",
		Summary:     "List the token's user's notifications, newest first",
		Description: "Needs a token that belongs to a user (403 otherwise).", Tags: []string{"notifications"},
	}, func(ctx context.Context, in *struct {
		PageQuery
		Unread bool `query:"unread" doc:"only unread notifications"`
	}) (*listBody[notify.Notification], error) {
		ns, err := h.notes.List(ctx, in.Unread, in.Cursor, in.Limit+1)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return page(ns, in.Limit, func(n notify.Notification) string { return n.ID }), nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "read-notification", Method: http.MethodPost, Path: "/api/v1/notifications/{notification_id}/read",
		Summary: "Mark a notification read", Tags: []string{"notifications"},
	}, func(ctx context.Context, in *struct {
		NotificationID string `path:"notification_id" example:"ntf_01jd0000000000000000000000"`
	}) (*notificationBody, error) {
		n, err := h.notes.MarkRead(ctx, in.NotificationID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &notificationBody{Body: n}, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "read-all-notifications", Method: http.MethodPost, Path: "/api/v1/notifications/read-all",
		Summary: "Mark every notification of the token's user read", Tags: []string{"notifications"},
	}, func(ctx context.Context, _ *struct{}) (*struct {
		Body struct {
			Marked int `json:"marked" doc:"how many were unread"`
		}
	}, error) {
		n, err := h.notes.MarkAllRead(ctx)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		out := &struct {
			Body struct {
				Marked int `json:"marked" doc:"how many were unread"`
			}
		}{}
		out.Body.Marked = n
		return out, nil
	})

	huma.Register(api, huma.Operation{
		OperationID: "stream-notifications", Method: http.MethodGet, Path: "/api/v1/notifications/stream",
		Summary: "Server-Sent Events: the token's user's notifications as they commit",
		Description: "Each notification is an event `notification` whose id is the notification id and whose data is its JSON. " +
			"A reconnecting client (Last-Event-ID) first gets what it missed. A comment line every 25 s keeps the stream alive. " +
			"Browsers' EventSource cannot send headers: pass the token as `access_token` in the query instead.",
		Tags:     []string{"notifications"},
		Metadata: map[string]any{"auth": authQuery},
		Responses: map[string]*huma.Response{"200": {Description: "an event stream", Content: map[string]*huma.MediaType{
			"text/event-stream": {Schema: &huma.Schema{Type: huma.TypeString, Description: "`id: ntf_…`, `event: notification`, `data: {notification JSON}`"}},
		}}},
	}, func(ctx context.Context, in *struct {
		LastEventID string `header:"Last-Event-ID" doc:"the id of the last event received; what came after it is sent first"`
		AccessToken string `query:"access_token" doc:"the token, for clients that cannot send Authorization (EventSource)"`
	}) (*huma.StreamResponse, error) {
		sc, err := notify.ScopeOf(ctx)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		if h.hub == nil || h.notes == nil {
			return nil, huma.Error503ServiceUnavailable("notification streaming is not running in this process")
		}
		floor := in.LastEventID
		if floor == "" {
			if floor, err = h.notes.Newest(ctx, sc.UserID); err != nil {
				return nil, h.problem(ctx, err)
			}
		}
		sub, err := h.hub.Subscribe(sc.UserID)
		if err != nil {
			return nil, h.problem(ctx, err)
		}
		return &huma.StreamResponse{Body: func(hctx huma.Context) { h.stream(hctx, sub, sc, floor) }}, nil
	})
}

// stream serves one SSE connection. sub was made after floor was read, so
// sending the rows after floor first covers what committed in between;
// then it sends what came after
// floor, then every notification as the hub hands it over, until the
// client leaves or the hub closes (shutdown).
func (h *handlers) stream(hctx huma.Context, sub *notify.Subscription, sc notify.Scope, floor string) {
	ctx := hctx.Context()
	defer sub.Close()
	_, w := humachi.Unwrap(hctx)
	rc := http.NewResponseController(w)
	hctx.SetHeader("Content-Type", "text/event-stream")
	hctx.SetHeader("Cache-Control", "no-cache")
	hctx.SetHeader("X-Accel-Buffering", "no")
	hctx.SetStatus(http.StatusOK)
	out := hctx.BodyWriter()

	s := &sseWriter{w: out, rc: rc, scope: sc, seen: map[string]struct{}{}, last: floor}
	if err := s.write(": connected\nretry: 2000\n\n"); err != nil {
		return
	}
	if err := s.backlog(ctx, h.notes); err != nil {
		return
	}
	beat := time.NewTicker(streamHeartbeat)
	defer beat.Stop()
	for {
		var err error
		select {
		case <-ctx.Done():
			return
		case <-sub.Done():
			return
		case n := <-sub.C:
			err = s.event(n)
		case <-sub.Resync():
			err = s.backlog(ctx, h.notes)
		case <-beat.C:
			err = s.write(": ping\n\n")
		}
		if err != nil {
			return
		}
	}
}

// sseWriter writes events, each flushed at once under a write deadline,
// and remembers which it sent (a notification may come both from the
// backlog and from the hub).
type sseWriter struct {
	w     io.Writer
	rc    *http.ResponseController
	scope notify.Scope
	seen  map[string]struct{}
	order []string
	last  string // the greatest id sent (or the floor)
}

func (s *sseWriter) write(text string) error {
	if err := s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout)); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	if _, err := io.WriteString(s.w, text); err != nil {
		return err
	}
	return s.rc.Flush()
}

func (s *sseWriter) event(n notify.Notification) error {
	if _, dup := s.seen[n.ID]; dup || !s.scope.Sees(n) {
		return nil
	}
	data, err := json.Marshal(n)
	if err != nil {
		return err
	}
	if err := s.write(fmt.Sprintf("id: %s\nevent: notification\ndata: %s\n\n", n.ID, data)); err != nil {
		return err
	}
	s.seen[n.ID] = struct{}{}
	s.order = append(s.order, n.ID)
	if len(s.order) > streamSeenMax {
		delete(s.seen, s.order[0])
		s.order = s.order[1:]
	}
	if n.ID > s.last {
		s.last = n.ID
	}
	return nil
}

// backlog sends the user's notifications after the last id sent.
func (s *sseWriter) backlog(ctx context.Context, notes *notify.Service) error {
	for {
		ns, err := notes.After(ctx, s.scope, s.last, streamBacklogPage)
		if err != nil {
			return err
		}
		for _, n := range ns {
			if err := s.event(n); err != nil {
				return err
			}
		}
		if len(ns) < streamBacklogPage {
			return nil
		}
	}
}
