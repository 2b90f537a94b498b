package webhook

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/rowflow/rowflow/automation"
	"github.com/rowflow/rowflow/db"
	"github.com/rowflow/rowflow/pgtx"
)

// Group commit (pgtx.Group). An accepted request must be durable (its
// row, its delivery id and its runs committed synchronously) before it is
// answered; one transaction per request makes every request pay a WAL
// flush and eight round trips. So requests that arrive while others are
// being committed queue up, and one committer stores the whole queue in
// ONE transaction: one claim statement for the delivery ids, one StartRuns
// statement for the runs of all of them, one insert of the requests, one
// commit. A batch that fails is retried request by request, so one bad
// request (its webhook deleted meanwhile) never fails the others.

const (
	// maxBatch is the most requests one transaction stores.
	maxBatch = 64
	// maxCommitters is how many batches are committed at once: while one
	// waits for its flush, the next fills.
	maxCommitters = 2
)

// result is one request's answer.
type result = pgtx.Result[Answer]

// ingest stores a prepared request (replays excluded) with the others
// queued with it and returns its answer once their transaction committed.
// When ctx ends first the request's fate is decided by its batch; the
// sender sees no answer and retries with the same delivery id
// (deduplicated).
func (s *Service) ingest(ctx context.Context, in stored) (Answer, error) {
	return s.batch.Do(ctx, in)
}

// commitBatch stores batch in one transaction and returns each request's
// answer. Requests of the batch that repeat an earlier one's delivery id
// get that request's answer.
func (s *Service) commitBatch(ctx context.Context, batch []stored) []result {
	out := make([]result, len(batch))
	if len(batch) == 1 {
		ans, err := s.storeOne(ctx, batch[0])
		out[0] = result{Val: ans, Err: err}
		return out
	}
	// The first request of a (webhook, delivery id) in the batch claims
	// it; later ones of the same id get its answer.
	type dkey struct{ webhook, delivery string }
	first := map[dkey]int{}
	var lead []int            // indexes in batch of the requests stored
	follow := map[int][]int{} // index in lead → indexes in batch of its repeats
	for i, in := range batch {
		if d := in.delivery; d != "" {
			k := dkey{in.webhook.ID, d}
			if j, ok := first[k]; ok {
				follow[j] = append(follow[j], i)
				continue
			}
			first[k] = len(lead)
		}
		lead = append(lead, i)
	}
	ins := make([]stored, len(lead))
	for j, i := range lead {
		ins[j] = batch[i]
	}
	answers, started, err := s.storeBatch(ctx, ins)
	if err != nil {
		// Request by request: one request's error is its own.
		s.log.DebugContext(ctx, "webhook batch failed; storing its requests one by one", "requests", len(lead), "error", err)
		answers = make([]result, len(lead))
		for j, in := range ins {
			ans, err := s.storeOne(ctx, in)
			answers[j] = result{Val: ans, Err: err}
		}
	} else {
		for _, st := range started {
			s.runs.Dispatch(st)
		}
	}
	for j, i := range lead {
		out[i] = answers[j]
		for _, f := range follow[j] {
			out[f] = repeatOf(answers[j].Val, answers[j].Err)
		}
	}
	return out
}

// repeatOf is the answer to a repeat of a delivery answered with ans.
func repeatOf(ans Answer, err error) result {
	if err != nil {
		return result{Err: err}
	}
	ans.Repeat = true
	return result{Val: ans}
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
			answers[i] = result{Val: Answer{RequestID: in.id, Runs: runs}}
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
		if answers[i].Val.RequestID != "" {
			continue
		}
		prev, err := s.q.GetDelivery(ctx, db.GetDeliveryParams{WebhookID: in.webhook.ID, DeliveryID: in.delivery})
		if err != nil {
			answers[i] = result{Err: fmt.Errorf("reading the earlier delivery: %w", err)}
			continue
		}
		ans := Answer{RequestID: prev.ID, Repeat: true}
		if err := json.Unmarshal(prev.Runs, &ans.Runs); err != nil {
			answers[i] = result{Err: err}
			continue
		}
		answers[i] = result{Val: ans}
	}
	return answers, started, nil
}
