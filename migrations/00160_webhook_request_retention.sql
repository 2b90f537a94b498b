-- +goose Up
-- Stored webhook requests are deleted after the run retention
-- (webhook.Service.DeleteExpiredRequests, the worker's retention sweep):
-- found by age across all webhooks.
CREATE INDEX webhook_requests_received ON webhook_requests (received_at);

-- +goose Down
DROP INDEX webhook_requests_received;
