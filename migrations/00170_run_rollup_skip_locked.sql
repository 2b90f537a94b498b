-- +goose Up
-- run_rollup_apply as in 00167, but a completion never waits for another
-- transaction's rollup row. 00166 spread an automation's completions over
-- 4 fixed shard rows (hashtext(run id) & 3); at a few thousand
-- completions per second the statements ending runs still queued on those
-- rows' locks (Lock:transactionid in pg_stat_activity), which capped the
-- incoming-webhook bench near 1,600 requests/s. Now a completion takes the
-- first row of its (automation, hour, status) that no other transaction
-- holds (FOR UPDATE SKIP LOCKED) and adds a row only when every existing
-- one is held: an hour has at most as many rows as transactions that ever
-- ended its runs at the same instant, one when they come one at a time.
-- Reads already sum every row of an hour (queries/rollup.sql). Rows
-- written before keep their shard numbers (0..3); new ones are numbered by
-- the backend's pid (& 32767).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION run_rollup_apply() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r runs;
    sign int;
    h timestamptz;
    first_start timestamptz;
    li int;
    di int;
    target tid;
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
    -- The row to count in: the first of the hour's rows (for this
    -- automation and status) no other transaction holds, or else a new
    -- one numbered by this backend (unique among live backends, so two
    -- concurrent transactions never create the same row).
    SELECT ru.ctid INTO target FROM run_rollup ru
    WHERE ru.automation_id = r.automation_id AND ru.hour = h AND ru.status = r.status
    ORDER BY ru.shard LIMIT 1 FOR UPDATE SKIP LOCKED;
    IF FOUND THEN
        UPDATE run_rollup ru SET n = ru.n + sign,
            latency[li] = coalesce(ru.latency[li], 0) + sign, duration[di] = coalesce(ru.duration[di], 0) + sign
        WHERE ru.ctid = target;
    ELSE
        INSERT INTO run_rollup AS ru (automation_id, base_id, hour, status, shard, n, latency, duration)
        VALUES (r.automation_id, r.base_id, h, r.status, pg_backend_pid() & 32767, sign,
                array_fill(sign, ARRAY[1], ARRAY[li]), array_fill(sign, ARRAY[1], ARRAY[di]))
        ON CONFLICT (automation_id, hour, status, shard) DO UPDATE SET n = ru.n + sign,
            latency[li] = coalesce(ru.latency[li], 0) + sign, duration[di] = coalesce(ru.duration[di], 0) + sign;
    END IF;
    IF EXISTS (SELECT 1 FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed') THEN
        INSERT INTO run_rollup_failures AS rf (automation_id, base_id, hour, step_id, error_class, n)
        SELECT r.automation_id, r.base_id, h, s.step_id, rowflow_error_class(s.error), count(*) * sign
        FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed' GROUP BY s.step_id, rowflow_error_class(s.error)
        ON CONFLICT (automation_id, hour, step_id, error_class) DO UPDATE SET n = rf.n + EXCLUDED.n;
    END IF;
    IF TG_WHEN = 'BEFORE' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

-- +goose Down
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
        INSERT INTO run_rollup_failures AS rf (automation_id, base_id, hour, step_id, error_class, n)
        SELECT r.automation_id, r.base_id, h, s.step_id, rowflow_error_class(s.error), count(*) * sign
        FROM run_steps s WHERE s.run_id = r.id AND s.status = 'failed' GROUP BY s.step_id, rowflow_error_class(s.error)
        ON CONFLICT (automation_id, hour, step_id, error_class) DO UPDATE SET n = rf.n + EXCLUDED.n;
    END IF;
    IF TG_WHEN = 'BEFORE' THEN
        RETURN NEW;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd
