#!/usr/bin/env bash
# The fault suite (make test-reliability): outages, crash recovery, lost
# database, retry and upgrade guards, then a short fuzzing run of each
# target. Prints one FIGURE line per scenario; docs/reliability.md keeps
# the last figures. FUZZTIME (default 15s) is each fuzz target's budget;
# ROWFLOW_RELIABILITY_EVENTS (default 500, i.e. 50 events/s) the events of the outage scenario;
# ROWFLOW_SCALING_WRITES (3000) the writes of the many-process scenario;
# ROWFLOW_FAIRNESS_RECORDS (50000) the import of the fairness scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
export ROWFLOW_RELIABILITY=1
export ROWFLOW_RELIABILITY_EVENTS="${ROWFLOW_RELIABILITY_EVENTS:-500}"
fuzztime="${FUZZTIME:-15s}"
status=0
log=$(mktemp)
run() { # package, test pattern
  go test -count=1 -v -timeout 40m "$1" -run "$2" 2>&1 | tee -a "$log" | grep -E '^(=== RUN|--- |FAIL|ok|PASS)|FIGURE' || true
  if grep -qE '^(--- FAIL|FAIL)' "$log"; then status=1; fi
}
run ./e2e/ 'TestReceiverDownTenSeconds|TestCrashLosesAndDoublesNothing|TestKillWorkerWithQueuedRuns|TestPostgresRestartUnderWrites|TestWebhookRetriesKeepTheSameWebhookID|TestWebhook4xxFailsAtOnce|TestWebhook429RetryAfterDoesNotUseAnAttempt|TestWebhookTimeoutIsRetried|TestFailingMiddleStepRetriesAlone|TestStepJobRunAgainDoesNothing|TestInlineFirstStepHandedBackOnTimeout|TestSplitRolesRunAutomations|TestMigrationsDownUpOnPopulatedDatabase|TestReceiverDownFiveMinutes|TestWebhook410FailsAtOnce|TestWebhookRedirectIsNotFollowed|TestRecordStepsDoNotStarveThePool|TestAbandonedStepFailsItsRun|TestBulkWritesQueueBehindSingleWrites'
# Throughput and latency figures: each alone, so no other scenario shares the machine.
run ./e2e/ '^TestManyProcessesDoubleNothing$'
run ./e2e/ '^TestBatchImportIsFairToOtherBases$'
run ./httpapi/ 'TestDatabaseLostAnswers503|TestRateLimits|TestFormAndTokenRateLimits|TestServerTimeouts|TestMaxConns'
run ./automation/ 'TestJobRowsMatchRiver|TestExternalRetrySchedule|TestRetryJitter'
run ./condition/ 'TestDeepNestingFailsFast|TestManyRulesStopEarly'
for target in ./condition/:FuzzCompileJSON ./formula/:FuzzParse ./template/:FuzzRender ./webhook/:FuzzMapping ./schedule/:FuzzParse; do
  pkg=${target%%:*} fn=${target##*:}
  if out=$(go test -run '^$' -fuzz="^${fn}\$" -fuzztime="$fuzztime" "$pkg" 2>&1); then
    echo "FIGURE fuzz $fn: $(echo "$out" | grep -oE 'execs: [0-9]+' | tail -1) in $fuzztime, no failure"
  else
    echo "$out" | tail -20; echo "FIGURE fuzz $fn: FAILED (the input is in $pkg/testdata/fuzz/$fn)"; status=1
  fi
done
if [ -z "${DATABASE_URL:-}" ] && [ -d .data/testpg ]; then
  go run ./cmd/rowflow pg stop -dir .data/testpg >/dev/null 2>&1 || true
fi
rm -f "$log"
exit $status
