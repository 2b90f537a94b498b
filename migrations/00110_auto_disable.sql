-- +goose Up
-- auto_disable_after: N consecutive failed runs disable the automation,
-- which then shows why in disabled_reason (cleared when it is enabled
-- again). The count lives in automation_failures, not on automations: an
-- UPDATE of automations bumps its table's automations_version (00004),
-- which a failing run must not do.
ALTER TABLE automations ADD COLUMN auto_disable_after int CHECK (auto_disable_after > 0),
    ADD COLUMN disabled_reason text;
CREATE TABLE automation_failures (
    automation_id text PRIMARY KEY REFERENCES automations (id) ON DELETE CASCADE,
    consecutive int NOT NULL
);

-- +goose Down
DROP TABLE automation_failures;
ALTER TABLE automations DROP COLUMN disabled_reason, DROP COLUMN auto_disable_after;
