-- +goose Up
-- In-app notifications (notify_user). A row commits with the completion of
-- the step that wrote it; its insert sends pg_notify('rowflow_notifications')
-- in the same transaction, so listeners hear of it exactly when it commits.

CREATE TABLE notifications (
    id            text PRIMARY KEY,
    user_id       text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    title         text NOT NULL CHECK (length(title) BETWEEN 1 AND 500),
    body          text NOT NULL DEFAULT '' CHECK (length(body) <= 5000),
    link          text NOT NULL DEFAULT '' CHECK (length(link) <= 2000),
    base_id       text,
    automation_id text,
    run_id        text,
    step_id       text,
    record_id     text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    read_at       timestamptz
);
-- ids sort by creation time: a user's list is newest first by id.
CREATE INDEX notifications_user ON notifications (user_id, id DESC);
CREATE INDEX notifications_user_unread ON notifications (user_id, id DESC) WHERE read_at IS NULL;
-- One notification per step of a run and user: a step executed again
-- cannot notify twice.
CREATE UNIQUE INDEX notifications_step ON notifications (run_id, step_id, user_id) WHERE run_id IS NOT NULL;

-- +goose Down
DROP TABLE notifications;
