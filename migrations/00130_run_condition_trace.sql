-- +goose Up
-- condition_trace: the run's conditions evaluated rule by rule when it was
-- matched (condition.Trace JSON; NULL when the automation has no
-- conditions). record_skipped_runs: events whose conditions fail are
-- stored as runs with status 'skipped' and their trace (off by default:
-- nothing is stored for them). Not versioned (a setting, like
-- alert_email).
ALTER TABLE runs ADD COLUMN condition_trace jsonb;
ALTER TABLE automations ADD COLUMN record_skipped_runs boolean NOT NULL DEFAULT false;

-- +goose Down
ALTER TABLE automations DROP COLUMN record_skipped_runs;
ALTER TABLE runs DROP COLUMN condition_trace;
