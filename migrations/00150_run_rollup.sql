-- +goose Up
-- run_rollup: the run statistics (GET /automations/{id}/stats,
-- GET /bases/{id}/stats) kept per automation and UTC hour, so a request
-- sums a few rows per hour instead of reading every run.
--
-- run_rollup counts the ended real runs (not is_test) per (automation,
-- hour of created_at, final status): n runs, and two fixed log-scale
-- histograms as arrays indexed by rowflow_hist_bin + 1 — latency (the
-- first step's started_at − created_at) and duration (finished_at −
-- created_at); index 0 counts the runs without one. The arrays hold only
-- the indexes used (PostgreSQL arrays grow at either end on assignment;
-- NULL elements are 0). Ending a run upserts ONE row of its automation,
-- hour and status: one row per metric value cost 2.5 times as much per
-- run, and one per (status, latency bin, duration bin) as many rows as
-- runs when latency and duration vary independently (docs/performance.md).
-- run_rollup_failures counts those runs' failed step rows per step id.
--
-- A run is counted by the statement that ends it (the triggers below run
-- inside it: FinishStep, FinishInlineStep, CancelRun, SkipStaleRun, an
-- insert of an already-ended run — every path, present or future) and
-- uncounted by the one that reopens it (ReopenFailedRun: a retry), so the
-- rollup always holds the ended real runs as they stand. Deleting runs
-- (retention, ROWFLOW_RUN_RETENTION) leaves it alone: the counts outlive
-- the rows. Unfinished runs (queued, running, waiting) are not in it; the
-- stats read them from runs (runs_unfinished_*).
CREATE TABLE run_rollup (
    automation_id text NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    base_id       text NOT NULL,
    hour          timestamptz NOT NULL,
    status        text NOT NULL,
    n             bigint NOT NULL,
    latency       int[] NOT NULL,
    duration      int[] NOT NULL,
    PRIMARY KEY (automation_id, hour, status)
);
CREATE INDEX run_rollup_base ON run_rollup (base_id, hour);
CREATE TABLE run_rollup_failures (
    automation_id text NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    base_id       text NOT NULL,
    hour          timestamptz NOT NULL,
    step_id       text NOT NULL,
    n             bigint NOT NULL,
    PRIMARY KEY (automation_id, hour, step_id)
);
CREATE INDEX run_rollup_failures_base ON run_rollup_failures (base_id, hour);

-- rowflow_hist_bin is the bin of a fixed log-scale histogram of seconds:
-- bin 0 holds values below 0.1 ms (answered as 0), bin i ≥ 1 holds
-- [1e-4 · 1.1^(i−1), 1e-4 · 1.1^i) and is answered as its geometric middle,
-- at most 4.9 % (√1.1 − 1) from any value in it; bin 280 (above 400 days)
-- holds everything longer; NULL stays NULL (least() would make it 280). automation/rollup.go mirrors
-- it (HistBin). Not STRICT, so that the planner inlines it (a STRICT SQL
-- function with a CASE body is called through the SQL function executor,
-- which tripled the trigger's cost).
-- +goose StatementBegin
CREATE FUNCTION rowflow_hist_bin(seconds float8) RETURNS smallint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN seconds IS NULL THEN NULL WHEN seconds < 1e-4 THEN 0
                ELSE least(floor(ln(seconds / 1e-4) / ln(1.1)) + 1, 280) END::smallint
$$;
-- +goose StatementEnd

-- rowflow_hist_array is the histogram array of a list of indexes (its
-- element i counts the i's): the back-fill below and the bench build the
-- arrays the trigger builds one run at a time.
-- +goose StatementBegin
CREATE FUNCTION rowflow_hist_array(idx int[]) RETURNS int[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    h int[] := '{}';
    i int;
BEGIN
    FOREACH i IN ARRAY idx LOOP
        h[i] := coalesce(h[i], 0) + 1;
    END LOOP;
    RETURN array_replace(h, NULL, 0);
END
$$;
-- +goose StatementEnd

-- run_rollup_apply adds (AFTER a run ended) or removes (BEFORE an ended run
-- is reopened or changed) one run's counts: one run_rollup row, and its
-- failed steps when it has any, read from run_steps by the run's primary
-- key prefix. An AFTER trigger runs at the end of the statement that ended
-- the run, so it sees the step rows that statement wrote; a BEFORE trigger
-- runs before the reopening statement deletes the retried steps.
-- +goose StatementBegin
CREATE FUNCTION run_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r runs;
    sign int;
    h timestamptz;
    first_start timestamptz;
    li int;
    di int;
BEGIN
    IF TG_WHEN = 'BEFORE' THEN
        r := OLD;
        sign := -1;
    ELSE
        r := NEW;
        sign := 1;
    END IF;
    h := date_trunc('hour', r.created_at, 'UTC');
    SELECT s.started_at INTO first_start FROM run_steps s WHERE s.run_id = r.id AND s.step_index = 0;
    li := coalesce(rowflow_hist_bin(extract(epoch FROM first_start - r.created_at)::float8) + 1, 0);
    di := coalesce(rowflow_hist_bin(extract(epoch FROM r.finished_at - r.created_at)::float8) + 1, 0);
    INSERT INTO run_rollup AS ru (automation_id, base_id, hour, status, n, latency, duration)
    VALUES (r.automation_id, r.base_id, h, r.status, sign, array_fill(sign, ARRAY[1], ARRAY[li]), array_fill(sign, ARRAY[1], ARRAY[di]))
    ON CONFLICT (automation_id, hour, status) DO UPDATE SET n = ru.n + sign,
        latency[li] = coalesce(ru.latency[li], 0) + sign, duration[di] = coalesce(ru.duration[di], 0) + sign;
    IF EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed') THEN
        INSERT INTO run_rollup_failures AS rf (automation_id, base_id, hour, step_id, n)
        SELECT r.automation_id, r.base_id, h, s.step_id, count(*) * sign
        FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed' GROUP BY s.step_id
        ON CONFLICT (automation_id, hour, step_id) DO UPDATE SET n = rf.n + EXCLUDED.n;
    END IF;
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

-- The runs already ended: counts per (automation, hour, status, index),
-- then one array per histogram.
INSERT INTO run_rollup (automation_id, base_id, hour, status, n, latency, duration)
SELECT automation_id, base_id, hour, status, count(*),
       rowflow_hist_array(array_agg(li)), rowflow_hist_array(array_agg(di))
FROM (
    SELECT r.automation_id, r.base_id, date_trunc('hour', r.created_at, 'UTC') AS hour, r.status,
           coalesce(rowflow_hist_bin(extract(epoch FROM fs.started_at - r.created_at)::float8) + 1, 0) AS li,
           coalesce(rowflow_hist_bin(extract(epoch FROM r.finished_at - r.created_at)::float8) + 1, 0) AS di
    FROM runs r LEFT JOIN run_steps fs ON fs.run_id = r.id AND fs.step_index = 0
    WHERE NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
) x
GROUP BY automation_id, base_id, hour, status;
INSERT INTO run_rollup_failures (automation_id, base_id, hour, step_id, n)
SELECT r.automation_id, min(r.base_id), date_trunc('hour', r.created_at, 'UTC'), s.step_id, count(*)
FROM runs r JOIN run_steps s ON s.run_id = r.id AND s.status = 'failed'
WHERE NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
GROUP BY r.automation_id, date_trunc('hour', r.created_at, 'UTC'), s.step_id;

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
DROP FUNCTION rowflow_hist_array(int[]);
DROP FUNCTION rowflow_hist_bin(float8);
DROP TABLE run_rollup_failures;
DROP TABLE run_rollup;
