ALTER TABLE artifacts ADD COLUMN scan_requested_at TEXT NULL;
ALTER TABLE artifacts ADD COLUMN scan_attempts INTEGER NOT NULL DEFAULT 0;

CREATE TABLE decisions (
    decision_id     TEXT NOT NULL PRIMARY KEY,
    project         TEXT NOT NULL,
    repository      TEXT NOT NULL,
    digest          TEXT NOT NULL,
    tag             TEXT NULL,
    verdict         TEXT NOT NULL,
    enforced        INTEGER NOT NULL,
    policy_version  TEXT NOT NULL,
    report_digest   TEXT NOT NULL,
    reason          TEXT NOT NULL,
    cause           TEXT NOT NULL,
    decided_at      TEXT NOT NULL,
    findings_json   TEXT NOT NULL,
    decision_json   TEXT NOT NULL
);
CREATE INDEX ix_decisions_digest ON decisions (digest, decided_at);

CREATE TABLE artifact_transitions (
    transition_id  TEXT NOT NULL PRIMARY KEY,
    project        TEXT NOT NULL,
    repository     TEXT NOT NULL,
    digest         TEXT NOT NULL,
    from_state     TEXT NULL,
    to_state       TEXT NOT NULL,
    cause          TEXT NOT NULL,
    actor          TEXT NOT NULL,
    decision_id    TEXT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX ix_artifact_transitions_digest ON artifact_transitions (digest, at);
