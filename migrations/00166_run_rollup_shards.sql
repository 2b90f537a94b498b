-- +goose Up
-- shard spreads the completions of one automation over 4 run_rollup rows
-- per hour and status (hashtext(run id) & 3), so that concurrent
-- completions do not all wait for one row's lock: the rollup's cost on
-- end-to-end throughput went from ~17 % to ~12 % (e2e TestRollupWriteCost,
-- docs/performance.md). Reads sum every row of an hour, shards included.
-- The rows already there (and those 00150 back-fills) are shard 0.
-- fillfactor 50 leaves room on each page for the updates of its rows (HOT
-- updates: no index entry per update).
ALTER TABLE run_rollup ADD COLUMN shard smallint NOT NULL DEFAULT 0;
ALTER TABLE run_rollup DROP CONSTRAINT run_rollup_pkey, ADD PRIMARY KEY (automation_id, hour, status, shard);
ALTER TABLE run_rollup ALTER COLUMN shard DROP DEFAULT;
ALTER TABLE run_rollup SET (fillfactor = 50);

-- run_rollup_apply as in 00150, its row chosen by the run's shard.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION run_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
    INSERT INTO run_rollup AS ru (automation_id, base_id, hour, status, shard, n, latency, duration)
    VALUES (r.automation_id, r.base_id, h, r.status, hashtext(r.id) & 3, sign,
            array_fill(sign, ARRAY[1], ARRAY[li]), array_fill(sign, ARRAY[1], ARRAY[di]))
    ON CONFLICT (automation_id, hour, status, shard) DO UPDATE SET n = ru.n + sign,
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

-- +goose Down
-- The shards of an hour are folded into shard 0 (arrays summed element by
-- element), then the column goes.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION run_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
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
CREATE TEMP TABLE run_rollup_folded ON COMMIT DROP AS
SELECT automation_id, min(base_id) AS base_id, hour, status, sum(n)::bigint AS n,
       (SELECT rowflow_hist_array(coalesce(array_agg(x.i), '{}')) FROM (
            SELECT (array_lower(r2.latency, 1) + o - 1)::int AS i FROM run_rollup r2, unnest(r2.latency) WITH ORDINALITY u(v, o), generate_series(1, greatest(coalesce(v, 0), 0))
            WHERE r2.automation_id = r.automation_id AND r2.hour = r.hour AND r2.status = r.status) x) AS latency,
       (SELECT rowflow_hist_array(coalesce(array_agg(x.i), '{}')) FROM (
            SELECT (array_lower(r2.duration, 1) + o - 1)::int AS i FROM run_rollup r2, unnest(r2.duration) WITH ORDINALITY u(v, o), generate_series(1, greatest(coalesce(v, 0), 0))
            WHERE r2.automation_id = r.automation_id AND r2.hour = r.hour AND r2.status = r.status) x) AS duration
FROM run_rollup r GROUP BY automation_id, hour, status;
DELETE FROM run_rollup;
ALTER TABLE run_rollup DROP CONSTRAINT run_rollup_pkey, DROP COLUMN shard, ADD PRIMARY KEY (automation_id, hour, status);
ALTER TABLE run_rollup RESET (fillfactor);
INSERT INTO run_rollup (automation_id, base_id, hour, status, n, latency, duration)
SELECT automation_id, base_id, hour, status, n, latency, duration FROM run_rollup_folded;
