-- +goose Up
-- The runs console (console/): browser sessions and the run feed.
--
-- console_sessions: a login exchanges an access token for a session; only
-- the SHA-256 of the session's cookie value is stored. A session of an API
-- token ends with the token (ON DELETE CASCADE); one of the admin token
-- keeps the hash of the admin token it was opened with and is honoured
-- only while that is still the configured admin token.
CREATE TABLE console_sessions (
    id_hash    bytea PRIMARY KEY,
    token_id   text REFERENCES api_tokens (id) ON DELETE CASCADE,
    admin_hash bytea,
    csrf       text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    CHECK ((token_id IS NULL) <> (admin_hash IS NULL))
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);

-- The run feed (runfeed/): a run created or changing status, and a step
-- row written, send a small pg_notify('rowflow_runs') that commits with
-- the write — but only while some console page watches that run or its
-- automation (a row of runfeed_watches, kept fresh by the watching
-- process). Unwatched writes pay a function call and one probe of a tiny
-- table, and no NOTIFY: a NOTIFY serializes the commits of every
-- notifying transaction, which cost the write path 40 % of its
-- throughput when every run notified (e2e TestRunFeedWriteCost).
-- Payloads: {"r": run, "a": automation, "s": status} for runs, {"r": run}
-- for steps. A run update that does not change its status (backstop
-- bookkeeping) fires nothing (the WHEN clause: no function call).
--
-- runfeed_watches is UNLOGGED: after a crash it starts empty, and the
-- watchers of a live process write their rows again within seconds.
CREATE UNLOGGED TABLE runfeed_watches (
    key        text NOT NULL,
    listener   text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (key, listener)
);
-- +goose StatementBegin
CREATE FUNCTION rowflow_run_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM runfeed_watches WHERE key IN (NEW.id, NEW.automation_id) AND expires_at > now()) THEN
        PERFORM pg_notify('rowflow_runs', json_build_object('r', NEW.id, 'a', NEW.automation_id, 's', NEW.status)::text);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE FUNCTION rowflow_run_step_feed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM runfeed_watches WHERE key = NEW.run_id AND expires_at > now()) THEN
        PERFORM pg_notify('rowflow_runs', json_build_object('r', NEW.run_id)::text);
    END IF;
    RETURN NULL;
END $$;
-- +goose StatementEnd
CREATE TRIGGER runs_feed_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER runs_feed_status AFTER UPDATE OF status ON runs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER run_steps_feed AFTER INSERT OR UPDATE ON run_steps FOR EACH ROW EXECUTE FUNCTION rowflow_run_step_feed();

-- +goose Down
DROP TRIGGER run_steps_feed ON run_steps;
DROP TRIGGER runs_feed_status ON runs;
DROP TRIGGER runs_feed_insert ON runs;
DROP FUNCTION rowflow_run_step_feed();
DROP FUNCTION rowflow_run_feed();
DROP TABLE runfeed_watches;
DROP TABLE console_sessions;
