package notify

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow"
	"github.com/rowflow/rowflow/pgtx"
)

// subBuffer is how many notifications a subscription holds before it is
// told to resync instead (a slow client never blocks the fan-out).
const subBuffer = 256

// MaxSubscriptionsPerUser caps one user's open streams in one process
// (browser tabs, devices); Subscribe refuses more with a conflict error.
const MaxSubscriptionsPerUser = 16

// Hub listens on Channel over one dedicated connection (not the pool's)
// and fans each notification out to the subscriptions of its user, in
// process. Start it once; Close ends every subscription.
type Hub struct {
	svc *Service
	l   pgtx.Listener
	log *slog.Logger

	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{}
	closed bool

	cancel context.CancelFunc
	done   chan struct{}
}

// NewHub returns a hub that listens with a connection configured like
// pool's and reads oversized notifications through svc.
func NewHub(pool *pgxpool.Pool, svc *Service, log *slog.Logger) *Hub {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Hub{svc: svc, log: log.With("component", "notify"), subs: map[string]map[*Subscription]struct{}{}}
	h.l = pgtx.Listener{Config: pool.Config().ConnConfig.Copy(), Channel: Channel, What: "notification listener", Log: h.log,
		OnPayload: h.dispatch, OnReconnect: h.resyncAll}
	return h
}

// Subscription is one listener of one user's notifications.
type Subscription struct {
	// C receives the user's notifications as they commit.
	C      <-chan Notification
	c      chan Notification
	resync chan struct{}
	done   chan struct{}
	once   sync.Once
	hub    *Hub
	userID string
}

// Resync fires when notifications may have been missed (the listener
// reconnected, or C was full): the subscriber re-reads the rows after the
// last one it saw.
func (s *Subscription) Resync() <-chan struct{} { return s.resync }

// Done is closed when the hub closes; the subscriber must stop.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.hub.mu.Lock()
	defer s.hub.mu.Unlock()
	if m := s.hub.subs[s.userID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(s.hub.subs, s.userID)
		}
	}
	s.end()
}

func (s *Subscription) end() { s.once.Do(func() { close(s.done) }) }

func (s *Subscription) signalResync() {
	select {
	case s.resync <- struct{}{}:
	default:
	}
}

// Subscribe listens to userID's notifications. On a closed hub the
// subscription is done at once. A user with MaxSubscriptionsPerUser open
// subscriptions gets a conflict error (409).
func (h *Hub) Subscribe(userID string) (*Subscription, error) {
	c := make(chan Notification, subBuffer)
	s := &Subscription{C: c, c: c, resync: make(chan struct{}, 1), done: make(chan struct{}), hub: h, userID: userID}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		s.end()
		return s, nil
	}
	if len(h.subs[userID]) >= MaxSubscriptionsPerUser {
		return nil, rowflow.Errorf(rowflow.CodeConflict, "this user has %d notification streams open (the most there may be): close one", MaxSubscriptionsPerUser)
	}
	if h.subs[userID] == nil {
		h.subs[userID] = map[*Subscription]struct{}{}
	}
	h.subs[userID][s] = struct{}{}
	return s, nil
}

// Start connects and LISTENs, returning once listening (or the first
// connection's error); the hub then reconnects by itself until Close.
func (h *Hub) Start(ctx context.Context) error {
	conn, err := h.l.Connect(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	h.cancel = cancel
	h.done = make(chan struct{})
	go func() {
		defer close(h.done)
		h.l.Run(lctx, conn)
	}()
	return nil
}

// dispatch decodes one payload and hands it to its user's subscriptions.
func (h *Hub) dispatch(ctx context.Context, payload string) {
	var a announcement
	if err := json.Unmarshal([]byte(payload), &a); err != nil || a.UserID == "" {
		h.log.Warn("ignoring a malformed notification payload", "error", err)
		return
	}
	h.mu.Lock()
	interested := len(h.subs[a.UserID]) > 0
	h.mu.Unlock()
	if !interested {
		return
	}
	var n Notification
	if a.Ref {
		var err error
		if n, err = h.svc.get(ctx, a.ID); err != nil {
			if !errors.Is(err, pgx.ErrNoRows) {
				h.log.Warn("reading an announced notification", "id", a.ID, "error", err)
			}
			return
		}
	} else if err := json.Unmarshal([]byte(payload), &n); err != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs[n.UserID] {
		select {
		case s.c <- n:
		default:
			s.signalResync()
		}
	}
}

func (h *Hub) resyncAll() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, m := range h.subs {
		for s := range m {
			s.signalResync()
		}
	}
}

// Close stops listening and ends every subscription (streams return), so
// an HTTP server's graceful shutdown is not held up by open streams.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	for _, m := range h.subs {
		for s := range m {
			s.end()
		}
	}
	h.subs = map[string]map[*Subscription]struct{}{}
	h.mu.Unlock()
	if h.cancel != nil {
		h.cancel()
		<-h.done
	}
}
