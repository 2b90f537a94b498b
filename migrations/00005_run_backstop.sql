-- +goose Up
-- backstop_at: a run whose first step its matching process executes itself
-- (automation/step_inline.go) is due for River at this time unless that execution
-- finished or handed the step over first (both clear it). The leader's
-- periodic sweep enqueues the step of every run past its backstop.
ALTER TABLE runs ADD COLUMN backstop_at timestamptz;
CREATE INDEX runs_backstop ON runs (backstop_at) WHERE backstop_at IS NOT NULL;

-- +goose Down
DROP INDEX runs_backstop;
ALTER TABLE runs DROP COLUMN backstop_at;
