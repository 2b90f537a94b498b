package automation

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/rowflow/rowflow/db"
)

// rowflow writes its River jobs with its own statements (queries/jobs.sql,
// CreateRecordsWithEvent, StartRuns, FinishStep) instead of River's
// InsertTx, so that a job goes to the database in the same statement as
// the rows it belongs to: a record write and its event are ONE round trip,
// not five (BEGIN, insert, River's insert, River's notify, COMMIT). The
// rows are exactly those InsertTx writes for these jobs — queue "default",
// priority 1 (BulkQueue, BulkPriority for bulk work: fairness.go), no tags, no unique
// key (TestJobRowsMatchRiver compares them) —
// and River fetches, retries, rescues and completes them as usual.

// notifyCooldown is how often one process wakes River's producers with an
// insert notification, as River's own limiter does (its FetchCooldown): a
// notification within the cooldown of the previous one is skipped, and the
// producer's next fetch picks the job up.
const notifyCooldown = 2 * time.Millisecond

// notifier limits insert notifications like River's client does.
type notifier struct{ last atomic.Int64 }

// due reports whether this insert should notify, and if so claims the slot.
func (n *notifier) due(now time.Time) bool {
	last := n.last.Load()
	if now.UnixNano()-last < int64(notifyCooldown) {
		return false
	}
	return n.last.CompareAndSwap(last, now.UnixNano())
}

// jobSpec is one River job to insert: its args, max attempts and, for a
// job that must wait, when it is due (zero: available now).
type jobSpec struct {
	args        river.JobArgs
	maxAttempts int
	scheduledAt time.Time
}

// insertJobs inserts jobs with q (the caller's transaction or the pool)
// in one statement, notifying River when one is available now, and
// returns their ids in order.
func (rt *Runtime) insertJobs(ctx context.Context, q *db.Queries, jobs []jobSpec) ([]int64, error) {
	if len(jobs) == 0 {
		return nil, nil
	}
	p := db.InsertJobsParams{Notify: rt.notify.due(rt.now())}
	for _, j := range jobs {
		b, err := json.Marshal(j.args)
		if err != nil {
			return nil, fmt.Errorf("encoding %s job: %w", j.args.Kind(), err)
		}
		p.Args = append(p.Args, string(b))
		p.Kinds = append(p.Kinds, j.args.Kind())
		p.MaxAttempts = append(p.MaxAttempts, int32(j.maxAttempts))
		p.ScheduledAt = append(p.ScheduledAt, j.scheduledAt)
	}
	rows, err := q.InsertJobs(ctx, p)
	if err != nil {
		return nil, fmt.Errorf("inserting jobs: %w", err)
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	return ids, nil
}
