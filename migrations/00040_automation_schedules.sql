-- +goose Up
-- One row per enabled automation with a `scheduled` trigger, kept by the
-- trigger's Lifecycle hook in the transaction that saves, enables,
-- disables or deletes the automation (schedule/doc.go). The leader's tick
-- claims rows whose next_fire_at is due (FOR UPDATE SKIP LOCKED), inserts
-- one run per fire (unique per automation and fire time through
-- runs.event_key) and advances next_fire_at, in one transaction.
CREATE TABLE automation_schedules (
    automation_id text PRIMARY KEY REFERENCES automations (id) ON DELETE CASCADE,
    -- the automation version the schedule fires
    version       integer NOT NULL,
    -- exactly one of cron (in time_zone) and every_seconds
    cron          text,
    every_seconds bigint CHECK (every_seconds > 0),
    time_zone     text NOT NULL DEFAULT 'UTC',
    catch_up      text NOT NULL CHECK (catch_up IN ('skip', 'once', 'all')),
    next_fire_at  timestamptz NOT NULL,
    last_fire_at  timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((cron IS NULL) <> (every_seconds IS NULL))
);
CREATE INDEX automation_schedules_due ON automation_schedules (next_fire_at);

-- +goose Down
DROP TABLE automation_schedules;
