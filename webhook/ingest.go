package webhook

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/db"
)

// Group commit. An accepted request must be durable (its row, its delivery
// id and its runs committed synchronously) before it is answered; one
// transaction per request makes every request pay a WAL flush and eight
// round trips. So requests that arrive while others are being committed
// queue up, and one committer stores the whole queue in ONE transaction:
// one claim statement for the delivery ids, one StartRuns statement for
// the runs of all of them, one insert of the requests, one commit. At low
// rates the queue holds one request and nothing waits longer than it
// would alone (no timer: a committer takes what is queued, no more). A
// batch that fails is retried request by request, so one bad request
// (its webhook deleted meanwhile) never fails the others. (No library
// does this for PostgreSQL transactions; it is ~100 lines.)

const (
	// maxBatch is the most requests one transaction stores.
	maxBatch = 64
	// maxCommitters is how many batches are committed at once: while one
	// waits for its flush, the next fills.
	maxCommitters = 2
)

// waiting is a prepared request queued for a committer, and where its
// answer goes.
type waiting struct {
	in   stored
	ctx  context.Context
	done chan result
}

type result struct {
	ans Answer
	err error
}

// batcher is the queue of requests waiting for a committer.
type batcher struct {
	mu      sync.Mutex
	queue   []*waiting
	running int
}

// ingest stores a prepared request (replays excluded) with the others
// queued with it and returns its answer once their transaction committed.
func (s *Service) ingest(ctx context.Context, in stored) (Answer, error) {
	w := &waiting{in: in, ctx: ctx, done: make(chan result, 1)}
	b := &s.batch
	b.mu.Lock()
	b.queue = append(b.queue, w)
	commit := b.running < maxCommitters
	if commit {
		b.running++
	}
	b.mu.Unlock()
	if commit {
		// A committer of its own commits the queue, this request among
		// it, until the queue is empty — which under sustained load may
		// be long after this request's answer. Its work outlives this
		// request's cancellation: others wait on it.
		go s.commitQueue(context.WithoutCancel(ctx))
	}
	select {
	case r := <-w.done:
		return r.ans, r.err
	case <-ctx.Done():
		// The request's fate is decided by its batch; the sender sees no
		// answer and retries with the same delivery id (deduplicated).
		return Answer{}, ctx.Err()
	}
}

// commitQueue takes batches off the queue until it is empty.
func (s *Service) commitQueue(ctx context.Context) {
	b := &s.batch
	var batch []*waiting
	defer func() {
		// A panic must not leave a committer counted nor its batch
		// waiting forever (net/http recovers the handler's goroutine).
		if p := recover(); p != nil {
			b.mu.Lock()
			b.running--
			b.mu.Unlock()
			for _, w := range batch {
				select {
				case w.done <- result{err: fmt.Errorf("storing the request failed: %v", p)}:
				default: // answered already
				}
			}
			panic(p)
		}
	}()
	for {
		b.mu.Lock()
		n := min(len(b.queue), maxBatch)
		if n == 0 {
			b.running--
			b.mu.Unlock()
			return
		}
		batch = append([]*waiting(nil), b.queue[:n]...)
		b.queue = b.queue[n:]
		if len(b.queue) == 0 {
			b.queue = nil // let the backing array go
		}
		b.mu.Unlock()
		s.commitBatch(ctx, batch)
	}
}

// commitBatch stores batch in one transaction and answers each request.
// Requests of the batch that repeat an earlier one's delivery id get that
// request's answer.
func (s *Service) commitBatch(ctx context.Context, batch []*waiting) {
	if len(batch) == 1 {
		ans, err := s.storeOne(ctx, batch[0].in)
		batch[0].done <- result{ans, err}
		return
	}
	// The first request of a (webhook, delivery id) in the batch claims
	// it; later ones of the same id wait for its answer.
	type dkey struct{ webhook, delivery string }
	first := map[dkey]int{}
	var lead []*waiting
	follow := map[int][]*waiting{} // index in lead → repeats of it
	for _, w := range batch {
		if d := w.in.delivery; d != "" {
			k := dkey{w.in.webhook.ID, d}
			if i, ok := first[k]; ok {
				follow[i] = append(follow[i], w)
				continue
			}
			first[k] = len(lead)
		}
		lead = append(lead, w)
	}
	ins := make([]stored, len(lead))
	for i, w := range lead {
		ins[i] = w.in
	}
	answers, started, err := s.storeBatch(ctx, ins)
	if err != nil {
		// Request by request: one request's error is its own.
		s.log.DebugContext(ctx, "webhook batch failed; storing its requests one by one", "requests", len(lead), "error", err)
		for i, w := range lead {
			ans, err := s.storeOne(ctx, w.in)
			w.done <- result{ans, err}
			for _, f := range follow[i] {
				f.done <- repeatOf(ans, err)
			}
		}
		return
	}
	for _, st := range started {
		s.runs.Dispatch(st)
	}
	for i, w := range lead {
		w.done <- answers[i]
		for _, f := range follow[i] {
			f.done <- repeatOf(answers[i].ans, answers[i].err)
		}
	}
}

// repeatOf is the answer to a repeat of a delivery answered with ans.
func repeatOf(ans Answer, err error) result {
	if err != nil {
		return result{err: err}
	}
	ans.Repeat = true
	return result{ans: ans}
}

// storeBatch stores requests with distinct delivery ids in ONE
// transaction: claim the delivery ids (a repeat is answered with the
// earlier request after commit), start the runs of the others, store
// them. Always in that order, whatever the batch's size, so concurrent
// transactions take their locks in one order. An error means nothing was
// stored; call Dispatch for each Started once it returned.
func (s *Service) storeBatch(ctx context.Context, lead []stored) ([]result, []automation.Started, error) {
	var answers []result
	var started []automation.Started
	err := s.inTx(ctx, func(tx pgx.Tx) error {
		// inTx retries a transaction that deadlocked or failed to
		// serialize: nothing of an earlier attempt may survive it.
		answers, started = make([]result, len(lead)), nil
		q := s.q.WithTx(tx)
		claim := db.ClaimWebhookDeliveriesParams{ExpiresAt: s.now().Add(DedupeFor)}
		for _, in := range lead {
			if in.delivery != "" {
				claim.WebhookIds = append(claim.WebhookIds, in.webhook.ID)
				claim.DeliveryIds = append(claim.DeliveryIds, in.delivery)
				claim.RequestIds = append(claim.RequestIds, in.id)
			}
		}
		claimed := map[string]bool{}
		if len(claim.WebhookIds) > 0 {
			ids, err := q.ClaimWebhookDeliveries(ctx, claim)
			if err != nil {
				return fmt.Errorf("claiming delivery ids: %w", err)
			}
			for _, id := range ids {
				claimed[id] = true
			}
		}
		var occs []automation.Occurrence
		var fresh []int // indexes in lead of requests stored now
		for i, in := range lead {
			if in.delivery != "" && !claimed[in.id] {
				continue // seen before: answered after commit
			}
			occs = append(occs, in.occurrence())
			fresh = append(fresh, i)
		}
		if len(occs) == 0 {
			return nil
		}
		var err error
		if started, err = s.runs.StartTriggeredBatch(ctx, tx, occs); err != nil {
			return err
		}
		var p db.InsertWebhookRequestsParams
		for j, i := range fresh {
			in := lead[i]
			runs := started[j].Runs
			if runs == nil {
				runs = []string{}
			}
			answers[i] = result{ans: Answer{RequestID: in.id, Runs: runs}}
			enc, _ := json.Marshal(runs)
			headers, _ := json.Marshal(in.headers)
			query, _ := json.Marshal(in.query)
			body := ""
			if in.body != nil {
				b, _ := json.Marshal(in.body)
				body = string(b)
			}
			p.Ids = append(p.Ids, in.id)
			p.WebhookIds = append(p.WebhookIds, in.webhook.ID)
			p.Methods = append(p.Methods, in.method)
			p.ContentTypes = append(p.ContentTypes, in.contentType)
			p.Headers = append(p.Headers, string(headers))
			p.Queries = append(p.Queries, string(query))
			p.RawBodies = append(p.RawBodies, in.raw)
			p.Bodies = append(p.Bodies, body)
			p.DeliveryIds = append(p.DeliveryIds, in.delivery)
			p.ReplayOfs = append(p.ReplayOfs, in.replayOf)
			p.Runs = append(p.Runs, string(enc))
		}
		return q.InsertWebhookRequests(ctx, p)
	})
	if err != nil {
		return nil, nil, err
	}
	// Repeats of deliveries stored by earlier transactions.
	for i, in := range lead {
		if answers[i].ans.RequestID != "" {
			continue
		}
		prev, err := s.q.GetDelivery(ctx, db.GetDeliveryParams{WebhookID: in.webhook.ID, DeliveryID: in.delivery})
		if err != nil {
			answers[i] = result{err: fmt.Errorf("reading the earlier delivery: %w", err)}
			continue
		}
		ans := Answer{RequestID: prev.ID, Repeat: true}
		if err := json.Unmarshal(prev.Runs, &ans.Runs); err != nil {
			answers[i] = result{err: err}
			continue
		}
		answers[i] = result{ans: ans}
	}
	return answers, started, nil
}
