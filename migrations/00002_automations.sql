-- +goose Up
-- Automations: one trigger, optional conditions, an ordered chain of steps.
-- Every save writes an immutable automation_versions row; a run pins the
-- version it started with.

CREATE TABLE automations (
    id           text PRIMARY KEY,
    base_id      text NOT NULL REFERENCES bases (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    enabled      boolean NOT NULL DEFAULT true,
    trigger_type text NOT NULL,
    -- the table a record trigger watches (NULL for other triggers)
    table_id     text REFERENCES tables (id) ON DELETE CASCADE,
    trigger      jsonb NOT NULL,
    conditions   jsonb,
    steps        jsonb NOT NULL DEFAULT '[]',
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX automations_base ON automations (base_id, created_at, id);
CREATE INDEX automations_table_enabled ON automations (table_id) WHERE enabled;

CREATE TABLE automation_versions (
    automation_id text NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    definition    jsonb NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (automation_id, version)
);

-- status: queued → running → succeeded | failed | skipped | cancelled.
-- event_key makes run creation idempotent: one run per (automation, event).
CREATE TABLE runs (
    id            text PRIMARY KEY,
    automation_id text NOT NULL REFERENCES automations (id) ON DELETE CASCADE,
    version       integer NOT NULL,
    base_id       text NOT NULL,
    trigger_type  text NOT NULL,
    trigger_data  jsonb NOT NULL,
    status        text NOT NULL CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
    error         text,
    depth         integer NOT NULL DEFAULT 0,
    origin_run_id text,
    is_test       boolean NOT NULL DEFAULT false,
    event_key     text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    started_at    timestamptz,
    finished_at   timestamptz,
    UNIQUE (automation_id, event_key)
);
CREATE INDEX runs_automation_created ON runs (automation_id, created_at DESC, id DESC);

CREATE TABLE run_steps (
    run_id      text NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    step_index  integer NOT NULL,
    step_id     text NOT NULL,
    type        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped')),
    attempts    integer NOT NULL DEFAULT 0,
    -- times the step waited for a Retry-After (429/503) without using an attempt
    snoozes     integer NOT NULL DEFAULT 0,
    input       jsonb,
    output      jsonb,
    error       text,
    started_at  timestamptz,
    finished_at timestamptz,
    PRIMARY KEY (run_id, step_index)
);

-- +goose Down
DROP TABLE run_steps;
DROP TABLE runs;
DROP TABLE automation_versions;
DROP TABLE automations;
