-- +goose Up
-- rowflow_error_class is the class of a failed step's error text, one of
-- a fixed set (automation.ErrorClasses; automation.ErrorClass is its Go
-- twin, TestErrorClassMatchesSQL checks they agree), the first rule that
-- matches the lower-cased text:
--   loop_detected  the run would be too many automation writes deep
--   abandoned      the step's job gave up after its attempts
--   http_429       a destination answered 429 (rate limited)
--   http_4xx       a destination answered another 4xx status
--   http_5xx       a destination answered a 5xx status
--   timeout        a deadline, timeout or the script's time ran out
--   connection     the destination could not be reached (refused, reset,
--                  DNS, unreachable, EOF)
--   cancelled      the work was cancelled
--   script         a script threw (an "Error: … (line n, column m)")
--   invalid_data   the step's input or configuration is not valid (a
--                  value not of the expected type, a template, an
--                  unknown table or field)
--   other          anything else, and no error text
-- +goose StatementBegin
CREATE FUNCTION rowflow_error_class(error text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN e IS NULL OR e = '' THEN 'other'
        WHEN e ~ '^loop_detected' THEN 'loop_detected'
        WHEN e ~ 'abandoned after' THEN 'abandoned'
        WHEN e ~ 'status 429' THEN 'http_429'
        WHEN e ~ 'status 4[0-9][0-9]' THEN 'http_4xx'
        WHEN e ~ 'status 5[0-9][0-9]' THEN 'http_5xx'
        WHEN e ~ 'deadline exceeded|timeout|timed out|time is up' THEN 'timeout'
        WHEN e ~ 'connection refused|connection reset|no such host|network is unreachable|dial tcp|broken pipe|eof$' THEN 'connection'
        WHEN e ~ 'cancel' THEN 'cancelled'
        WHEN e ~ 'error: .*\(line [0-9]+|script' THEN 'script'
        WHEN e ~ 'expected a|is not a|not valid|invalid|template|must |unknown table|unknown field|no table|no field' THEN 'invalid_data'
        ELSE 'other'
    END
    FROM (SELECT lower($1) AS e) x
$$;
-- +goose StatementEnd

-- run_rollup_failures counts failed step rows per step id and error
-- class. The rows already there are split by the classes of the failed
-- steps still in run_steps; what retention already deleted stays 'other'.
ALTER TABLE run_rollup_failures ADD COLUMN error_class text NOT NULL DEFAULT 'other';
ALTER TABLE run_rollup_failures DROP CONSTRAINT run_rollup_failures_pkey, ADD PRIMARY KEY (automation_id, hour, step_id, error_class);
CREATE TEMP TABLE run_rollup_classed ON COMMIT DROP AS
SELECT r.automation_id, date_trunc('hour', r.created_at, 'UTC') AS hour, s.step_id, rowflow_error_class(s.error) AS error_class, count(*) AS n
FROM runs r JOIN run_steps s ON s.run_id = r.id AND s.status = 'failed'
WHERE NOT r.is_test AND r.status IN ('succeeded', 'failed', 'skipped', 'cancelled')
GROUP BY 1, 2, 3, 4;
INSERT INTO run_rollup_failures (automation_id, base_id, hour, step_id, error_class, n)
SELECT c.automation_id, f.base_id, c.hour, c.step_id, c.error_class, c.n
FROM run_rollup_classed c
JOIN run_rollup_failures f ON f.automation_id = c.automation_id AND f.hour = c.hour AND f.step_id = c.step_id AND f.error_class = 'other'
WHERE c.error_class <> 'other';
UPDATE run_rollup_failures f SET n = f.n - x.n
FROM (SELECT automation_id, hour, step_id, sum(n) AS n FROM run_rollup_classed WHERE error_class <> 'other' GROUP BY 1, 2, 3) x
WHERE f.automation_id = x.automation_id AND f.hour = x.hour AND f.step_id = x.step_id AND f.error_class = 'other';
DELETE FROM run_rollup_failures WHERE error_class = 'other' AND n = 0;

-- run_rollup_apply as in 00166, the failures counted per step id and
-- error class.
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

-- +goose Down
-- The classes of a step are summed into one row, then the column goes.
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
CREATE TEMP TABLE run_rollup_failures_folded ON COMMIT DROP AS
SELECT automation_id, min(base_id) AS base_id, hour, step_id, sum(n)::bigint AS n
FROM run_rollup_failures GROUP BY automation_id, hour, step_id;
DELETE FROM run_rollup_failures;
ALTER TABLE run_rollup_failures DROP CONSTRAINT run_rollup_failures_pkey, DROP COLUMN error_class, ADD PRIMARY KEY (automation_id, hour, step_id);
INSERT INTO run_rollup_failures (automation_id, base_id, hour, step_id, n)
SELECT automation_id, base_id, hour, step_id, n FROM run_rollup_failures_folded;
DROP FUNCTION rowflow_error_class(text);
