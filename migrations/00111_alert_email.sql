-- +goose Up
-- alert_email: who is emailed when a run of the automation fails for good
-- (through the server's SMTP server, ROWFLOW_SMTP_URL; none: no email).
ALTER TABLE automations ADD COLUMN alert_email text;

-- +goose Down
ALTER TABLE automations DROP COLUMN alert_email;
