-- +goose Up
-- runs_stats_automation and runs_stats_base serve the analytics
-- (GET /automations/{id}/stats, GET /bases/{id}/stats): the real runs
-- (not is_test) of one automation or base created in a range, with the
-- columns the counts and durations read. runs_finished serves the
-- retention sweep (finished runs older than the retention, oldest first).
CREATE INDEX runs_stats_automation ON runs (automation_id, created_at) INCLUDE (status, finished_at) WHERE NOT is_test;
CREATE INDEX runs_stats_base ON runs (base_id, created_at) INCLUDE (status, finished_at) WHERE NOT is_test;
CREATE INDEX runs_finished ON runs (finished_at) WHERE finished_at IS NOT NULL;

-- +goose Down
DROP INDEX runs_finished;
DROP INDEX runs_stats_base;
DROP INDEX runs_stats_automation;
