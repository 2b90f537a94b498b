-- +goose Up
-- rowflow_job_priority is the River priority of a job rowflow inserts with
-- its own statements (queries/*.sql), beside rowflow_job_queue (00171):
-- 2 (automation.BulkPriority) for the work of a write of several records
-- (its args say "bulk": true), 1 otherwise. automation.jobPriority is its
-- Go twin (River's InsertOpts); TestJobRowsMatchRiver checks they agree.
-- +goose StatementBegin
CREATE FUNCTION rowflow_job_priority(args jsonb) RETURNS smallint LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (CASE WHEN args ->> 'bulk' = 'true' THEN 2 ELSE 1 END)::smallint
$$;
-- +goose StatementEnd

-- +goose Down
DROP FUNCTION rowflow_job_priority(jsonb);
