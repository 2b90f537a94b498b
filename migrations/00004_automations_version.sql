-- +goose Up
-- automations_version counts changes to the automations watching a table.
-- A record create reads it in its own statement and carries it in its
-- event; matching reuses a cached list of the table's enabled automations
-- only at that version (automation/table_automations.go), so an automation
-- saved before a write commits is always seen by that write's event.
ALTER TABLE tables ADD COLUMN automations_version bigint NOT NULL DEFAULT 1;

-- +goose StatementBegin
CREATE FUNCTION rowflow_bump_automations_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.table_id IS NOT NULL THEN
        UPDATE tables SET automations_version = automations_version + 1 WHERE id = OLD.table_id;
    END IF;
    IF TG_OP <> 'DELETE' AND NEW.table_id IS NOT NULL
       AND (TG_OP = 'INSERT' OR NEW.table_id IS DISTINCT FROM OLD.table_id) THEN
        UPDATE tables SET automations_version = automations_version + 1 WHERE id = NEW.table_id;
    END IF;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER automations_bump_version AFTER INSERT OR UPDATE OR DELETE ON automations
    FOR EACH ROW EXECUTE FUNCTION rowflow_bump_automations_version();

-- +goose Down
DROP TRIGGER automations_bump_version ON automations;
DROP FUNCTION rowflow_bump_automations_version();
ALTER TABLE tables DROP COLUMN automations_version;
