-- name: CreateAutomation :one
INSERT INTO automations (id, base_id, name, enabled, trigger_type, table_id, trigger, conditions, steps)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING *;

-- name: GetAutomation :one
SELECT * FROM automations WHERE id = $1;

-- name: GetAutomationForUpdate :one
SELECT * FROM automations WHERE id = $1 FOR UPDATE;

-- name: ListAutomations :many
SELECT * FROM automations WHERE base_id = $1 ORDER BY created_at, id;

-- name: UpdateAutomation :one
UPDATE automations
SET name = $2, enabled = $3, disabled_reason = CASE WHEN $3 THEN NULL ELSE disabled_reason END, trigger_type = $4, table_id = $5, trigger = $6, conditions = $7, steps = $8,
    version = version + 1, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: SetAutomationEnabled :one
UPDATE automations SET enabled = $2, disabled_reason = CASE WHEN $2 THEN NULL ELSE disabled_reason END, updated_at = now()
WHERE id = $1 RETURNING *;

-- name: DeleteAutomation :execrows
DELETE FROM automations WHERE id = $1;

-- name: TableAutomations :one
-- A table's automations_version and its enabled automations (rows as JSON
-- objects, in creation order), read together in one snapshot.
SELECT t.automations_version,
       coalesce((SELECT json_agg(a ORDER BY a.created_at, a.id) FROM automations a WHERE a.table_id = t.id AND a.enabled), '[]')::jsonb AS automations
FROM tables t WHERE t.id = $1;

-- name: InsertAutomationVersion :exec
INSERT INTO automation_versions (automation_id, version, definition) VALUES ($1, $2, $3);

-- name: GetAutomationVersion :one
SELECT * FROM automation_versions WHERE automation_id = $1 AND version = $2;

-- name: ListAutomationVersions :many
-- An automation's versions, newest first, below version before (0: all).
SELECT * FROM automation_versions
WHERE automation_id = sqlc.arg(automation_id) AND (sqlc.arg(before)::int = 0 OR version < sqlc.arg(before)::int)
ORDER BY version DESC
LIMIT sqlc.arg(lim);

-- name: TriggeredAutomations :many
-- The automations, enabled or not, of a trigger that is not a record
-- write whose trigger config contains config (automation/start.go).
SELECT * FROM automations
WHERE trigger_type = sqlc.arg(trigger_type) AND trigger -> 'config' @> sqlc.arg(config)::jsonb
ORDER BY created_at, id;

-- name: SetAutomationAutoDisable :exec
-- auto_disable_after of an automation (NULL: never).
UPDATE automations SET auto_disable_after = $2 WHERE id = $1;

-- name: SetAutomationAlertEmail :exec
-- alert_email of an automation (NULL: none).
UPDATE automations SET alert_email = $2 WHERE id = $1;

-- name: SetAutomationRecordSkippedRuns :exec
-- record_skipped_runs of an automation: events whose conditions fail are
-- stored as skipped runs with their trace. (The update bumps the table's
-- automations_version, 00004: writers match against the new setting.)
UPDATE automations SET record_skipped_runs = $2 WHERE id = $1 AND record_skipped_runs <> $2;
-- name: SetAutomationCreatedBy :exec
-- The user who created an automation (its owner).
UPDATE automations SET created_by = $2 WHERE id = $1;

-- name: CountRunFailure :one
-- One more consecutive failed run of an automation; answers the count and
-- the automation's auto_disable_after (NULL: never), alert_email, name,
-- base and owner (created_by).
WITH c AS (
    INSERT INTO automation_failures (automation_id, consecutive) VALUES ($1, 1)
    ON CONFLICT (automation_id) DO UPDATE SET consecutive = automation_failures.consecutive + 1
    RETURNING consecutive
)
SELECT c.consecutive, a.auto_disable_after, a.alert_email, a.name, a.base_id, a.created_by FROM c, automations a WHERE a.id = $1;

-- name: ResetRunFailures :exec
-- A run of the automation succeeded: no consecutive failures.
DELETE FROM automation_failures WHERE automation_id = $1;

-- name: AutoDisableAutomation :one
-- Disables an enabled automation with its reason (no row: already disabled).
UPDATE automations SET enabled = false, disabled_reason = $2, updated_at = now()
WHERE id = $1 AND enabled RETURNING *;

-- name: SetAutomationMaxSteps :exec
-- max_steps of an automation (NULL: the default).
UPDATE automations SET max_steps = $2 WHERE id = $1;
