package automation

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"
)

// Fairness between writers. A write of several records (a batch create,
// update or delete: an import) marks its event job Bulk, and every run it
// starts carries Bulk in its steps' job args, so all of that work goes to
// River queue BulkQueue with priority BulkPriority, while single writes'
// events and runs stay in the default queue with priority 1: each queue
// has workers of its own, so an import never takes the workers single
// writes need. And while single writes' work runs in a process (a step or
// an event not bulk started within the last bulkShareWindow), at most
// Opts.BulkShare bulk jobs run there at once (ROWFLOW_BULK_WORKERS,
// default 4; the gate below): the import then no longer takes the whole
// machine's CPU, and other bases' automations start as fast as when idle,
// near enough (e2e TestBatchImportIsFairToOtherBases, docs/reliability.md).
// With nothing else to do, an import runs at full speed. Priority alone
// was not enough: River fetches by priority, but with 200 workers running
// an import's jobs the machine is saturated, and every single write pays.
//
// Queue and priority are pure functions of the args: rowflow's own
// inserts (queries/*.sql) compute them from the args' "bulk" key
// (rowflow_job_queue and rowflow_job_priority, migrations 00171 and
// 00172), River's InsertTx from InsertOpts, and a retry keeps its job's
// row. Runs handed to River by paths that do
// not know their origin — the backstop sweep after a crash, a retry from
// a failed step — take the default queue and priority 1.

// BulkQueue is the River queue of the jobs of bulk writes.
const BulkQueue = "bulk"

// JobQueue is the River queue of a job: BulkQueue for bulk work, River's
// default queue otherwise (rowflow_job_queue in SQL).
func JobQueue(bulk bool) string {
	if bulk {
		return BulkQueue
	}
	return river.QueueDefault
}

// BulkPriority is the River priority of the jobs of bulk writes (1 is
// River's highest and the default; 4 its lowest).
const BulkPriority = 2

// jobPriority is the River priority of a job: BulkPriority for bulk work.
func jobPriority(bulk bool) int {
	if bulk {
		return BulkPriority
	}
	return 1
}

// markBulk marks every run in starts as started by a bulk write.
func markBulk(starts []runStart, bulk bool) {
	for i := range starts {
		starts[i].bulk = bulk
	}
}

// bulkStep is args marked Bulk when bulk is set (a run of a bulk write).
func bulkStep(args StepArgs, bulk bool) StepArgs {
	args.Bulk = args.Bulk || bulk
	return args
}

// bulkShareWindow is how long after single writes' work last started bulk
// work stays limited to Opts.BulkShare jobs at once.
const bulkShareWindow = time.Second

// bulkGate limits bulk work while single writes' work runs.
type bulkGate struct {
	// lastSingle is when single writes' work last started (UnixNano).
	lastSingle atomic.Int64
	// slots are the bulk jobs allowed at once while it runs (nil: no
	// limit).
	slots chan struct{}
}

// admit is called as a step or an event starts. Single writes' work is
// noted and goes on; bulk work waits for a slot while single writes' work
// started within bulkShareWindow, and goes on at once otherwise. The
// returned release must be called when the work is done.
func (rt *Runtime) admit(ctx context.Context, bulk bool) (release func(), err error) {
	g := &rt.gate
	now := time.Now().UnixNano()
	if !bulk {
		if now-g.lastSingle.Load() > int64(time.Millisecond) {
			g.lastSingle.Store(now)
		}
		return func() {}, nil
	}
	if g.slots == nil || now-g.lastSingle.Load() > int64(bulkShareWindow) {
		return func() {}, nil
	}
	select {
	case g.slots <- struct{}{}:
		return func() { <-g.slots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}
