-- +goose Up
-- rowflow_job_queue is the River queue of a job rowflow inserts with its
-- own statements (queries/*.sql): 'bulk' for the work of a write of
-- several records (its args say "bulk": true: automation/fairness.go),
-- whose workers are few (ROWFLOW_BULK_WORKERS), 'default' for everything
-- else. automation.JobQueue is its Go twin (River's InsertOpts).
-- +goose StatementBegin
CREATE FUNCTION rowflow_job_queue(args jsonb) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN args ->> 'bulk' = 'true' THEN 'bulk' ELSE 'default' END
$$;
-- +goose StatementEnd

-- +goose Down
-- Bulk jobs not yet worked go back to the default queue, which every
-- process works.
UPDATE river_job SET queue = 'default' WHERE queue = 'bulk' AND finalized_at IS NULL;
DROP FUNCTION rowflow_job_queue(jsonb);
