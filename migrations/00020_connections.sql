-- +goose Up
-- Connections: credentials an action uses (SMTP, Slack, Teams), one base
-- each. config holds the non-secret settings; secrets holds the secret
-- ones (password, bot_token, webhook_url) as one AES-256-GCM sealed JSON
-- object: version byte, key id (4 bytes), nonce (12), ciphertext; the
-- additional data binds it to the row's id and base (connection/crypt.go).
CREATE TABLE connections (
    id         text PRIMARY KEY,
    base_id    text NOT NULL REFERENCES bases (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    type       text NOT NULL CHECK (type IN ('smtp', 'slack', 'teams')),
    config     jsonb NOT NULL DEFAULT '{}',
    secrets    bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX connections_base ON connections (base_id, id);

-- +goose Down
DROP TABLE connections;
