-- Exception requests (issue 20): a team asks for an exception, an approver of the owning team approves or denies it; an
-- approved request becomes a granted exception that the decision path adds to the policy file's exceptions.
-- Dates (expires) are ISO text YYYY-MM-DD in both databases: they compare as text and mean a whole UTC day.
CREATE TABLE exception_requests (
    request_id           TEXT NOT NULL PRIMARY KEY,
    finding_id           TEXT NOT NULL,
    project              TEXT NOT NULL,
    repository           TEXT NULL,
    digest               TEXT NULL,
    scope                TEXT NOT NULL,
    reason               TEXT NOT NULL,
    expires              TEXT NOT NULL,
    requester            TEXT NOT NULL,
    team                 TEXT NULL,
    artifact_project     TEXT NOT NULL,
    artifact_repository  TEXT NOT NULL,
    artifact_digest      TEXT NOT NULL,
    state                TEXT NOT NULL,
    requested_at         TIMESTAMPTZ NOT NULL,
    decided_by           TEXT NULL,
    decided_at           TIMESTAMPTZ NULL,
    comment              TEXT NULL
);
-- One pending request per finding and scope: a second one is refused (409) rather than asked twice.
CREATE UNIQUE INDEX ux_exception_requests_pending ON exception_requests (finding_id, scope) WHERE state = 'requested';
CREATE INDEX ix_exception_requests_state ON exception_requests (state, requested_at);

CREATE TABLE granted_exceptions (
    request_id   TEXT NOT NULL PRIMARY KEY REFERENCES exception_requests (request_id),
    finding_id   TEXT NOT NULL,
    project      TEXT NOT NULL,
    repository   TEXT NULL,
    digest       TEXT NULL,
    expires      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    owner        TEXT NULL,
    approver     TEXT NOT NULL,
    granted_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_granted_exceptions_expires ON granted_exceptions (expires);
