-- +goose Up
-- replay_of: the run a replay (POST /runs/{id}/replay) started again.
-- runs_base_created serves the base-wide run history (GET /bases/{id}/runs)
-- as runs_automation_created serves an automation's; runs_record serves
-- the record_id filter of both.
ALTER TABLE runs ADD COLUMN replay_of text;
CREATE INDEX runs_base_created ON runs (base_id, created_at DESC, id DESC);
CREATE INDEX runs_record ON runs ((trigger_data->'record'->>'id'), created_at DESC, id DESC)
    WHERE trigger_data->'record'->>'id' IS NOT NULL;

-- +goose Down
DROP INDEX runs_record;
DROP INDEX runs_base_created;
ALTER TABLE runs DROP COLUMN replay_of;
