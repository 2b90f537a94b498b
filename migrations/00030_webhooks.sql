-- +goose Up
-- Incoming webhooks (webhook/): an endpoint of a base with its own auth,
-- the requests it received (stored before they are answered) and the
-- senders' delivery ids it remembers for 7 days (dedupe).

CREATE TABLE webhooks (
    id                    text PRIMARY KEY,
    base_id               text NOT NULL REFERENCES bases (id) ON DELETE CASCADE,
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    auth_mode             text NOT NULL CHECK (auth_mode IN ('hmac', 'bearer', 'basic', 'none')),
    -- the current secret ('' for mode none): the Standard Webhooks key
    -- (whsec_…) for hmac, the token or password for bearer and basic
    secret                text NOT NULL DEFAULT '',
    -- the secret before the last rotation, still accepted until previous_until
    previous_secret       text,
    previous_until        timestamptz,
    -- name → jq expression; the results are {{trigger.data.<name>}}
    mapping               jsonb NOT NULL DEFAULT '{}',
    max_body_bytes        integer NOT NULL DEFAULT 1048576 CHECK (max_body_bytes > 0),
    rate_per_second       double precision NOT NULL DEFAULT 100 CHECK (rate_per_second > 0),
    rate_burst            integer NOT NULL DEFAULT 200 CHECK (rate_burst > 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhooks_base ON webhooks (base_id, created_at, id);

-- One row per accepted request (and per replay), written in the same
-- transaction as the runs it started (runs: their ids).
CREATE TABLE webhook_requests (
    id           text PRIMARY KEY,
    webhook_id   text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    method       text NOT NULL,
    content_type text NOT NULL DEFAULT '',
    headers      jsonb NOT NULL DEFAULT '{}',
    query        jsonb NOT NULL DEFAULT '{}',
    -- the raw body as received, and its decoded form ({{trigger.body}})
    raw_body     bytea NOT NULL,
    body         jsonb,
    delivery_id  text,
    replay_of    text,
    runs         jsonb NOT NULL DEFAULT '[]',
    received_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_requests_webhook ON webhook_requests (webhook_id, received_at DESC, id DESC);

-- A sender's delivery id (webhook-id or Idempotency-Key) per webhook, for
-- 7 days: a repeat is answered with the original request and starts nothing.
CREATE TABLE webhook_deliveries (
    webhook_id  text NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    delivery_id text NOT NULL,
    request_id  text NOT NULL,
    expires_at  timestamptz NOT NULL,
    PRIMARY KEY (webhook_id, delivery_id)
);
CREATE INDEX webhook_deliveries_expires ON webhook_deliveries (expires_at);

-- Automations of a trigger that is not a record write are found by their
-- trigger config (automation/start.go: {"webhook_id": …}, {"field_id": …}).
CREATE INDEX automations_trigger_config ON automations USING gin ((trigger -> 'config') jsonb_path_ops);

-- +goose Down
DROP INDEX automations_trigger_config;
DROP TABLE webhook_deliveries;
DROP TABLE webhook_requests;
DROP TABLE webhooks;
