-- +goose Up
-- next_attempt_at: when a step waiting to be tried again (after a
-- retryable failure, or a Retry-After) runs next; NULL once it is final
-- or while no retry is pending.
ALTER TABLE run_steps ADD COLUMN next_attempt_at timestamptz;

-- +goose Down
ALTER TABLE run_steps DROP COLUMN next_attempt_at;
