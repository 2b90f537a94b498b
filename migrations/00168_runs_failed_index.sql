-- +goose Up
-- The runs console's list names each automation's newest failed run
-- (queries/health.sql BaseLastFailures): found by this index, not by
-- walking every run of an automation that never failed.
CREATE INDEX runs_failed_newest ON runs (automation_id, created_at DESC, id DESC) WHERE status = 'failed';

-- +goose Down
DROP INDEX runs_failed_newest;
