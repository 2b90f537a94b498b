-- +goose Up
-- A run whose delay step completed waits (status 'waiting') until
-- resume_at, when its next step's job (already in River's table,
-- scheduled then) starts and moves it back to running.
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'waiting', 'succeeded', 'failed', 'skipped', 'cancelled'));
ALTER TABLE runs ADD COLUMN resume_at timestamptz;

-- +goose Down
ALTER TABLE runs DROP COLUMN resume_at;
UPDATE runs SET status = 'running' WHERE status = 'waiting';
ALTER TABLE runs DROP CONSTRAINT runs_status_check;
ALTER TABLE runs ADD CONSTRAINT runs_status_check
    CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'));
