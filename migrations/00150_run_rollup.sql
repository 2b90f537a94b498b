-- +goose Up
-- run_rollup: the run statistics (GET /automations/{id}/stats,
-- GET /bases/{id}/stats) kept per automation and UTC hour, so a request
-- sums at most a few rows per hour instead of reading every run.
--
-- One row per (automation, hour of created_at, metric, label, bin):
--   status    label = the final status (succeeded, failed, skipped,
--             cancelled), n = runs;
--   latency   bin = rowflow_hist_bin(first step's started_at − created_at
--             in seconds), n = runs;
--   duration  bin = rowflow_hist_bin(finished_at − created_at), n = runs;
--   failure   label = a step id, n = failed step rows of those runs.
--
-- A run is counted by the statement that ends it (the triggers below run
-- inside it: FinishStep, FinishInlineStep, CancelRun, SkipStaleRun, an
-- insert of an already-ended run — every path, present or future) and
-- uncounted by the one that reopens it (ReopenFailedRun: a retry), so the
-- rollup always holds the ended real runs (not is_test) as they stand.
-- Deleting runs (retention, ROWFLOW_RUN_RETENTION) leaves it alone: the
-- counts outlive the rows. Unfinished runs (queued, running, waiting) are
-- not in it; the stats read them from runs (runs_unfinished_*).
CREATE TABLE run_rollup (
    automation_id text NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    base_id       text NOT NULL,
    hour          timestamptz NOT NULL,
    metric        text NOT NULL CHECK (metric IN ('status', 'latency', 'duration', 'failure')),
    label         text NOT NULL DEFAULT '',
    bin           smallint NOT NULL DEFAULT 0,
    n             bigint NOT NULL,
    PRIMARY KEY (automation_id, hour, metric, label, bin)
);
CREATE INDEX run_rollup_base ON run_rollup (base_id, hour);

-- rowflow_hist_bin is the bin of a fixed log-scale histogram of seconds:
-- bin 0 holds values below 0.1 ms (answered as 0), bin i ≥ 1 holds
-- [1e-4 · 1.1^(i−1), 1e-4 · 1.1^i) and is answered as its geometric middle,
-- at most 4.9 % (√1.1 − 1) from any value in it; bin 280 (above 400 days)
-- holds everything longer. automation/rollup.go mirrors it (HistBin).
-- +goose StatementBegin
CREATE FUNCTION rowflow_hist_bin(seconds float8) RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT CASE WHEN seconds < 1e-4 THEN 0
                ELSE least(floor(ln(seconds / 1e-4) / ln(1.1)) + 1, 280) END::smallint
$$;
-- +goose StatementEnd

-- run_rollup_apply adds (AFTER a run ended) or removes (BEFORE an ended run
-- is reopened or changed) one run's counts: its status, latency, duration
-- and failed steps, read from run_steps by the run's primary key prefix.
-- An AFTER trigger runs at the end of the statement that ended the run, so
-- it sees the step rows that statement wrote; a BEFORE trigger runs before
-- the reopening statement deletes the retried steps.
-- +goose StatementBegin
CREATE FUNCTION run_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r runs;
    sign bigint;
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        r := OLD;
        sign := -1;
    ELSE
        r := NEW;
        sign := 1;
    END IF;
    INSERT INTO run_rollup AS ru (automation_id, base_id, hour, metric, label, bin, n)
    SELECT r.automation_id, r.base_id, date_trunc('hour', r.created_at, 'UTC'), m.metric, m.label, m.bin, m.n * sign
    FROM (
        SELECT 'status' AS metric, r.status AS label, 0::smallint AS bin, 1::bigint AS n
        UNION ALL
        SELECT 'duration', '', rowflow_hist_bin(extract(epoch FROM r.finished_at - r.created_at)::float8), 1
        WHERE r.finished_at IS NOT NULL
        UNION ALL
        SELECT 'latency', '', rowflow_hist_bin(extract(epoch FROM s.started_at - r.created_at)::float8), 1
        FROM run_steps s WHERE s.run_id = r.id AND s.step_index = 0 AND s.started_at IS NOT NULL
        UNION ALL
        SELECT 'failure', s.step_id, 0::smallint, count(*)
        FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed' GROUP BY s.step_id
    ) m
    ON CONFLICT (automation_id, hour, metric, label, bin) DO UPDATE SET n = ru.n + EXCLUDED.n;
    IF TG_WHEN = 'BEFORE' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER runs_rollup_insert AFTER INSERT ON runs FOR EACH ROW
    WHEN (NOT NEW.is_test AND NEW.status IN ('succeeded', 'failed', 'skipped', 'cancelled'))
    EXECUTE FUNCTION run_rollup_apply();
CREATE TRIGGER runs_rollup_end AFTER UPDATE OF status, finished_at ON runs FOR EACH ROW
    WHEN (NOT NEW.is_test AND NEW.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
          AND (OLD.status NOT IN ('succeeded', 'failed', 'skipped', 'cancelled') OR OLD.status <> NEW.status
               OR OLD.finished_at IS DISTINCT FROM NEW.finished_at))
    EXECUTE FUNCTION run_rollup_apply();
CREATE TRIGGER runs_rollup_reopen BEFORE UPDATE OF status, finished_at ON runs FOR EACH ROW
    WHEN (NOT OLD.is_test AND OLD.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
          AND (NEW.status NOT IN ('succeeded', 'failed', 'skipped', 'cancelled') OR OLD.status <> NEW.status
               OR OLD.finished_at IS DISTINCT FROM NEW.finished_at))
    EXECUTE FUNCTION run_rollup_apply();

-- The runs already ended.
INSERT INTO run_rollup (automation_id, base_id, hour, metric, label, bin, n)
SELECT r.automation_id, min(r.base_id), date_trunc('hour', r.created_at, 'UTC'), m.metric, m.label, m.bin, sum(m.n)
FROM runs r
CROSS JOIN LATERAL (
    SELECT 'status' AS metric, r.status AS label, 0::smallint AS bin, 1::bigint AS n
    UNION ALL
    SELECT 'duration', '', rowflow_hist_bin(extract(epoch FROM r.finished_at - r.created_at)::float8), 1
    WHERE r.finished_at IS NOT NULL
    UNION ALL
    SELECT 'latency', '', rowflow_hist_bin(extract(epoch FROM s.started_at - r.created_at)::float8), 1
    FROM run_steps s WHERE s.run_id = r.id AND s.step_index = 0 AND s.started_at IS NOT NULL
    UNION ALL
    SELECT 'failure', s.step_id, 0::smallint, count(*)
    FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed' GROUP BY s.step_id
) m
WHERE NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
GROUP BY r.automation_id, date_trunc('hour', r.created_at, 'UTC'), m.metric, m.label, m.bin;

-- The stats read the unfinished runs from runs; these replace 00112's
-- indexes of every real run, which the rollup made unneeded.
CREATE INDEX runs_unfinished_automation ON runs (automation_id, created_at) INCLUDE (status)
    WHERE NOT is_test AND status IN ('queued', 'running', 'waiting');
CREATE INDEX runs_unfinished_base ON runs (base_id, created_at) INCLUDE (status)
    WHERE NOT is_test AND status IN ('queued', 'running', 'waiting');
DROP INDEX runs_stats_automation;
DROP INDEX runs_stats_base;

-- +goose Down
CREATE INDEX runs_stats_automation ON runs (automation_id, created_at) INCLUDE (status, finished_at) WHERE NOT is_test;
CREATE INDEX runs_stats_base ON runs (base_id, created_at) INCLUDE (status, finished_at) WHERE NOT is_test;
DROP INDEX runs_unfinished_base;
DROP INDEX runs_unfinished_automation;
DROP TRIGGER runs_rollup_reopen ON runs;
DROP TRIGGER runs_rollup_end ON runs;
DROP TRIGGER runs_rollup_insert ON runs;
DROP FUNCTION run_rollup_apply();
DROP FUNCTION rowflow_hist_bin(float8);
DROP TABLE run_rollup;
