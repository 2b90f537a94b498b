-- +goose Up
-- schema_version counts changes to a table's definition (its fields and
-- name). Processes cache table definitions; a write made with a cached one
-- checks the version in its own statement and reloads when it moved, so no
-- write is ever validated against a stale schema (record/cache.go).
ALTER TABLE tables ADD COLUMN schema_version bigint NOT NULL DEFAULT 1;

-- +goose StatementBegin
CREATE FUNCTION rowflow_bump_schema_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'tables' THEN
        NEW.schema_version := OLD.schema_version + 1;
        RETURN NEW;
    END IF;
    UPDATE tables SET schema_version = schema_version + 1
    WHERE id = CASE WHEN TG_OP = 'DELETE' THEN OLD.table_id ELSE NEW.table_id END;
    RETURN NULL;
END
$$;
-- +goose StatementEnd

CREATE TRIGGER fields_bump_schema_version AFTER INSERT OR UPDATE OR DELETE ON fields
    FOR EACH ROW EXECUTE FUNCTION rowflow_bump_schema_version();
CREATE TRIGGER tables_bump_schema_version BEFORE UPDATE ON tables
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name OR OLD.base_id IS DISTINCT FROM NEW.base_id)
    EXECUTE FUNCTION rowflow_bump_schema_version();

-- +goose Down
DROP TRIGGER tables_bump_schema_version ON tables;
DROP TRIGGER fields_bump_schema_version ON fields;
DROP FUNCTION rowflow_bump_schema_version();
ALTER TABLE tables DROP COLUMN schema_version;
