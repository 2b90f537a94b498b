-- +goose Up
-- The run feed's triggers (00140) cost the write path even when no console
-- page watches anything: a PL/pgSQL call with a lookup for every run and
-- step row written (on a quiet machine, 1,490 → 1,150 runs/s, e2e
-- TestRunFeedWriteCost). Now each trigger's WHEN clause first reads a
-- flag that is cheap to read without calling any function of ours:
-- runfeed_flag's last value is the epoch second until which some process
-- has watches (each watching process raises it to now + 60 s when it
-- subscribes and every 20 s while it watches). Past it, nothing is called
-- and no trigger event is queued; before it, the trigger function checks
-- the exact keys as before.
CREATE SEQUENCE runfeed_flag MINVALUE 0 START 0;
SELECT setval('runfeed_flag', 0, true);

DROP TRIGGER runs_feed_insert ON runs;
DROP TRIGGER runs_feed_status ON runs;
DROP TRIGGER run_steps_feed ON run_steps;
CREATE TRIGGER runs_feed_insert AFTER INSERT ON runs FOR EACH ROW
    WHEN (coalesce(pg_sequence_last_value('runfeed_flag'), 0) > extract(epoch FROM now()))
    EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER runs_feed_status AFTER UPDATE OF status ON runs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status AND coalesce(pg_sequence_last_value('runfeed_flag'), 0) > extract(epoch FROM now()))
    EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER run_steps_feed AFTER INSERT OR UPDATE ON run_steps FOR EACH ROW
    WHEN (coalesce(pg_sequence_last_value('runfeed_flag'), 0) > extract(epoch FROM now()))
    EXECUTE FUNCTION rowflow_run_step_feed();

-- +goose Down
DROP TRIGGER run_steps_feed ON run_steps;
DROP TRIGGER runs_feed_status ON runs;
DROP TRIGGER runs_feed_insert ON runs;
CREATE TRIGGER runs_feed_insert AFTER INSERT ON runs FOR EACH ROW EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER runs_feed_status AFTER UPDATE OF status ON runs FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION rowflow_run_feed();
CREATE TRIGGER run_steps_feed AFTER INSERT OR UPDATE ON run_steps FOR EACH ROW EXECUTE FUNCTION rowflow_run_step_feed();
DROP SEQUENCE runfeed_flag;
