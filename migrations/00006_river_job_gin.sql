-- +goose Up
-- River's table carries two GIN indexes, on args and metadata, for
-- searching jobs by their arguments. rowflow never searches them, and
-- every record event (its args hold the written cells) added a few dozen
-- GIN entries: measured at 1,000 writes/s, they cost ~15 % of PostgreSQL's
-- CPU, and each flush of their pending list stalled one write for tens of
-- milliseconds (docs/performance.md). River supports running without them
-- (app.go leaves them out of its ReindexerIndexNames).
DROP INDEX IF EXISTS river_job_args_index;
DROP INDEX IF EXISTS river_job_metadata_index;

-- +goose Down
CREATE INDEX IF NOT EXISTS river_job_args_index ON river_job USING GIN (args);
CREATE INDEX IF NOT EXISTS river_job_metadata_index ON river_job USING GIN (metadata);
