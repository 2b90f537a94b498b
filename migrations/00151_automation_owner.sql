-- +goose Up
-- created_by: the user whose token created the automation — its owner,
-- told in-app when one of its runs fails for good (automation/failure_notice.go).
-- NULL for an automation created by a token of no user (the admin token).
ALTER TABLE automations ADD COLUMN created_by text REFERENCES users (id) ON DELETE SET NULL;

-- +goose Down
ALTER TABLE automations DROP COLUMN created_by;
