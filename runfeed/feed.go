// Package runfeed tells a process, as they commit, which runs were
// created or changed: the database triggers of migrations/00140_console.sql
// send pg_notify('rowflow_runs') for every run insert, run status change
// and step row write, and a Feed LISTENs on one dedicated connection and
// fans the events out to in-process subscriptions by run id and by
// automation id. The runs console's live pages (Server-Sent Events) read
// them; nothing in the browser polls.
//
//	Subscribe(key) ──▶ runfeed_watches (key, listener, expires_at) + runfeed_flag = now + 60 s, refreshed every WatchRefresh
//	INSERT/UPDATE runs, run_steps ──trigger (WHEN flag not past), only for watched keys──▶ pg_notify('rowflow_runs', {"r","a","s"})
//	                                  (delivered at commit, not before)
//	Feed: LISTEN rowflow_runs ──▶ subscriptions of run id | automation id ──▶ SSE
//
// Only watched runs notify: a NOTIFY serializes the commits of every
// notifying transaction, which cost the write path 40 % of its throughput
// when every run notified (e2e TestRunFeedWriteCost); and while nothing
// is watched anywhere the triggers' WHEN clauses (a sequence read) call
// nothing at all — the PL/pgSQL call and its lookup alone cost ~20 %.
//
// An event says only what changed; subscribers read the run again through
// the runtime with their own principal, so the feed carries nothing a
// viewer could not see.
package runfeed

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// WatchRefresh is how often a feed extends its watches; each lasts
// watchTTL, so a process that died stops costing NOTIFYs within a minute.
const WatchRefresh = 20 * time.Second

const watchTTL = time.Minute

// Channel is the PostgreSQL NOTIFY channel the run triggers send on.
const Channel = "rowflow_runs"

// subBuffer is how many events a subscription holds; past that it is told
// to resync instead (a slow reader never blocks the fan-out).
const subBuffer = 64

// Event is one committed change: a run created or changed status (Status
// and AutomationID set), or one of its steps written (only RunID).
type Event struct {
	RunID        string `json:"r"`
	AutomationID string `json:"a,omitempty"`
	Status       string `json:"s,omitempty"`
}

// Feed listens on Channel and hands events to subscriptions. Start it
// once; Close ends every subscription. Safe for concurrent use.
type Feed struct {
	l        pgtx.Listener
	q        *db.Queries
	listener string
	log      *slog.Logger

	mu     sync.Mutex
	subs   map[string]map[*Subscription]struct{}
	closed bool

	cancel    context.CancelFunc
	done      chan struct{}
	refreshed chan struct{}
}

// New returns a feed that listens with a connection configured like
// pool's.
func New(pool *pgxpool.Pool, log *slog.Logger) *Feed {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	var raw [8]byte
	_, _ = rand.Read(raw[:])
	f := &Feed{q: db.New(pool), listener: hex.EncodeToString(raw[:]),
		log: log.With("component", "runfeed"), subs: map[string]map[*Subscription]struct{}{}}
	f.l = pgtx.Listener{Config: pool.Config().ConnConfig.Copy(), Channel: Channel, What: "run feed listener", Log: f.log,
		OnPayload: func(_ context.Context, payload string) { f.dispatch(payload) }, OnReconnect: f.resyncAll}
	return f
}

// Subscription receives the events of one key: a run id (its status
// changes and step writes) or an automation id (its runs' creation and
// status changes).
type Subscription struct {
	// C receives the key's events in commit order.
	C      <-chan Event
	c      chan Event
	resync chan struct{}
	done   chan struct{}
	once   sync.Once
	feed   *Feed
	key    string
}

// Resync fires when events may have been missed (C was full, or the
// listener reconnected): the subscriber reads the state again.
func (s *Subscription) Resync() <-chan struct{} { return s.resync }

// Done is closed when the feed closes; the subscriber must stop.
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Close ends the subscription; the key's watch ends with its last one.
func (s *Subscription) Close() {
	s.feed.mu.Lock()
	last := false
	if m := s.feed.subs[s.key]; m != nil {
		if _, ok := m[s]; ok {
			delete(m, s)
			if len(m) == 0 {
				delete(s.feed.subs, s.key)
				last = true
			}
		}
	}
	s.feed.mu.Unlock()
	s.end()
	if last {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := s.feed.q.UnwatchRunFeedKey(ctx, db.UnwatchRunFeedKeyParams{Key: s.key, Listener: s.feed.listener}); err != nil {
			s.feed.log.Warn("ending a run feed watch (it expires by itself)", "key", s.key, "error", err)
		}
	}
}

func (s *Subscription) end() { s.once.Do(func() { close(s.done) }) }

func (s *Subscription) signalResync() {
	select {
	case s.resync <- struct{}{}:
	default:
	}
}

// Subscribe listens to the events of key (a run or automation id): once
// it returns, every change committed after is delivered. The caller must
// have checked that its principal may see key. On a closed feed the
// subscription is done at once.
func (f *Feed) Subscribe(ctx context.Context, key string) (*Subscription, error) {
	c := make(chan Event, subBuffer)
	s := &Subscription{C: c, c: c, resync: make(chan struct{}, 1), done: make(chan struct{}), feed: f, key: key}
	f.mu.Lock()
	if f.closed {
		f.mu.Unlock()
		s.end()
		return s, nil
	}
	if f.subs[key] == nil {
		f.subs[key] = map[*Subscription]struct{}{}
	}
	f.subs[key][s] = struct{}{}
	f.mu.Unlock()
	// Watched before it is used: the triggers notify for key from the
	// commit of this row on.
	if err := f.watch(ctx, []string{key}); err != nil {
		s.Close()
		return nil, fmt.Errorf("watching %s: %w", key, err)
	}
	return s, nil
}

// watch writes (or extends) the watches of keys, then raises the flag the
// triggers read first (migrations/00165_runfeed_flag.sql): until it
// passes, their WHEN clauses let the trigger function look for watched
// keys; after it, writes call nothing.
func (f *Feed) watch(ctx context.Context, keys []string) error {
	if err := f.q.WatchRunFeedKeys(ctx, db.WatchRunFeedKeysParams{Keys: keys, Listener: f.listener, ExpiresAt: time.Now().Add(watchTTL)}); err != nil {
		return err
	}
	return f.q.RaiseRunFeedFlag(ctx, int32(watchTTL/time.Second))
}

// refresh extends the watches of every subscribed key and drops expired
// ones (of any process).
func (f *Feed) refresh(ctx context.Context) {
	f.mu.Lock()
	keys := make([]string, 0, len(f.subs))
	for k := range f.subs {
		keys = append(keys, k)
	}
	f.mu.Unlock()
	if len(keys) > 0 {
		if err := f.watch(ctx, keys); err != nil && ctx.Err() == nil {
			f.log.Warn("refreshing run feed watches", "error", err)
		}
	}
	if err := f.q.DeleteExpiredRunFeedWatches(ctx); err != nil && ctx.Err() == nil {
		f.log.Warn("deleting expired run feed watches", "error", err)
	}
}

// Start connects and LISTENs, returning once listening (or with the
// first connection's error); the feed then reconnects by itself until
// Close.
func (f *Feed) Start(ctx context.Context) error {
	conn, err := f.l.Connect(ctx)
	if err != nil {
		return err
	}
	lctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	f.cancel = cancel
	f.done = make(chan struct{})
	f.refreshed = make(chan struct{})
	go func() {
		defer close(f.done)
		f.l.Run(lctx, conn)
	}()
	go func() {
		defer close(f.refreshed)
		tick := time.NewTicker(WatchRefresh)
		defer tick.Stop()
		for {
			select {
			case <-lctx.Done():
				return
			case <-tick.C:
				f.refresh(lctx)
			}
		}
	}()
	return nil
}

// Close stops listening and ends every subscription.
func (f *Feed) Close() {
	f.mu.Lock()
	f.closed = true
	for _, m := range f.subs {
		for s := range m {
			s.end()
		}
	}
	f.subs = map[string]map[*Subscription]struct{}{}
	f.mu.Unlock()
	if f.cancel != nil {
		f.cancel()
		<-f.done
		<-f.refreshed
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = f.q.UnwatchRunFeedListener(ctx, f.listener)
}

// dispatch decodes one payload and hands it to the subscriptions of its
// run and of its automation.
func (f *Feed) dispatch(payload string) {
	var ev Event
	if err := json.Unmarshal([]byte(payload), &ev); err != nil || ev.RunID == "" {
		f.log.Warn("ignoring a malformed run feed payload", "error", err)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, key := range []string{ev.RunID, ev.AutomationID} {
		for s := range f.subs[key] {
			select {
			case s.c <- ev:
			default:
				s.signalResync()
			}
		}
	}
}

func (f *Feed) resyncAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, m := range f.subs {
		for s := range m {
			s.signalResync()
		}
	}
}
