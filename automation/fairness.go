package automation

import "github.com/riverqueue/river"

// Fairness between writers. A write of several records (a batch create,
// update or delete: an import) marks its event job Bulk, and every run it
// starts carries Bulk in its steps' job args, so all of that work goes to
// River queue BulkQueue with priority BulkPriority, while single writes'
// events and runs stay in the default queue with priority 1. The bulk
// queue has few workers per process (ROWFLOW_BULK_WORKERS, default 4), the
// default queue many (ROWFLOW_MAX_WORKERS): a base importing 50,000
// records then neither takes the workers other bases' single writes need
// nor the whole machine's CPU, and its runs drain behind theirs (e2e
// TestBatchImportIsFairToOtherBases, docs/reliability.md). Priority alone
// was not enough: River fetches by priority, but once 200 workers run the
// import's jobs, a single write's job waits for one of them, and the
// machine is saturated meanwhile.
//
// Queue and priority are pure functions of the args: rowflow's own
// inserts (queries/*.sql) compute them from the args' "bulk" key
// (rowflow_job_queue, migration 00171), River's InsertTx from InsertOpts,
// and a retry keeps its job's row. Runs handed to River by paths that do
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
