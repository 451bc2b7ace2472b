-- One row per (subject, verdict, content hash, channel): the deduplication key of notifications (issue 7).
CREATE TABLE notification_log (
    dedup_key      TEXT NOT NULL PRIMARY KEY,
    subject        TEXT NOT NULL,
    verdict        TEXT NOT NULL,
    content_hash   TEXT NOT NULL,
    channel        TEXT NOT NULL,
    route          TEXT NOT NULL,
    project        TEXT NULL,
    repository     TEXT NULL,
    digest         TEXT NULL,
    tag            TEXT NULL,
    findings_json  TEXT NOT NULL,
    last_event_id  TEXT NOT NULL,
    first_sent_at  TIMESTAMPTZ NOT NULL,
    last_sent_at   TIMESTAMPTZ NOT NULL,
    send_count     INTEGER NOT NULL
);
CREATE INDEX ix_notification_log_subject ON notification_log (subject, verdict, channel, last_sent_at);
CREATE INDEX ix_notification_log_sent ON notification_log (last_sent_at);
