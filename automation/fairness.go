package automation

// Fairness between writers: River fetches available jobs by priority,
// then due time, then id. A write of several records (a batch create,
// update or delete: an import) marks its event job Bulk, and every run it
// starts carries Bulk in its steps' job args, so all of that work has
// River priority BulkPriority while single writes' events and runs keep
// priority 1. A base importing 50,000 records then queues behind the
// single writes of every other base instead of in front of them
// (e2e TestBatchImportIsFairToOtherBases, docs/reliability.md). The
// priority is a pure function of the args: rowflow's own inserts
// (queries/*.sql) compute it from the args' "bulk" key, River's InsertTx
// from InsertOpts, and a retry keeps its job's row.
//
// Runs handed to River by paths that do not know their origin — the
// backstop sweep after a crash, a retry from a failed step — take
// priority 1.

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
