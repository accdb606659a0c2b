DROP TABLE idempotency_keys;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP TABLE email_settings;
DROP TABLE notifications;
DROP TABLE jobs;
