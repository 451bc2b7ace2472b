-- Delivery is claimed per DeliverNotification id (issue 9): routing may publish a delivery twice (its database claim
-- commits before the broker publish, so a failed publish is retried), the receiver still gets one message.
CREATE TABLE notification_delivery (
    notification_id TEXT NOT NULL PRIMARY KEY,
    channel         TEXT NOT NULL,
    delivered_at    TEXT NOT NULL
);
CREATE INDEX ix_notification_delivery_at ON notification_delivery (delivered_at);
-- The findings of the message a claim replaced, so that routing the same event again renders the same "what changed".
ALTER TABLE notification_log ADD COLUMN previous_findings_json TEXT NULL;
