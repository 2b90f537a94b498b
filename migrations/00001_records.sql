-- +goose Up
-- The record service: bases hold tables, tables hold typed fields and
-- records, views filter records, forms create them. IDs are opaque strings
-- with a type prefix (bas_, tbl_, fld_, rec_, viw_, frm_).

CREATE TABLE bases (
    id         text PRIMARY KEY,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE tables (
    id         text PRIMARY KEY,
    base_id    text NOT NULL REFERENCES bases (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (base_id, name)
);

CREATE TABLE fields (
    id         text PRIMARY KEY,
    table_id   text NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type       text NOT NULL,
    options    jsonb NOT NULL DEFAULT '{}',
    position   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (table_id, name)
);
CREATE INDEX fields_table_position ON fields (table_id, position);

-- cells: canonical values keyed by field id; version is bumped on each write;
-- seq gives a stable creation order for listing and cursors.
CREATE TABLE records (
    id         text PRIMARY KEY,
    table_id   text NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
    cells      jsonb NOT NULL DEFAULT '{}',
    version    bigint NOT NULL DEFAULT 1,
    seq        bigint GENERATED ALWAYS AS IDENTITY,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX records_table_seq ON records (table_id, seq);

CREATE TABLE views (
    id         text PRIMARY KEY,
    table_id   text NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    filter     jsonb,
    sort       jsonb NOT NULL DEFAULT '[]',
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (table_id, name)
);

-- fields: [{"field_id": "fld_…", "required": bool}] in display order.
CREATE TABLE forms (
    id         text PRIMARY KEY,
    table_id   text NOT NULL REFERENCES tables (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    fields     jsonb NOT NULL,
    public     boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Access tokens: only the SHA-256 of the token is stored. base_ids NULL means
-- every base.
CREATE TABLE api_tokens (
    id           text PRIMARY KEY,
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    role         text NOT NULL CHECK (role IN ('owner', 'editor', 'viewer')),
    base_ids     text[],
    token_hash   bytea NOT NULL UNIQUE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);

-- +goose Down
DROP TABLE api_tokens;
DROP TABLE forms;
DROP TABLE views;
DROP TABLE records;
DROP TABLE fields;
DROP TABLE tables;
DROP TABLE bases;
