CREATE TABLE artifacts (
    project        TEXT NOT NULL,
    repository     TEXT NOT NULL,
    digest         TEXT NOT NULL,
    state          TEXT NOT NULL,
    media_type     TEXT NULL,
    pusher         TEXT NULL,
    pushed_at      TEXT NULL,
    first_seen_at  TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    deleted_at     TEXT NULL,
    PRIMARY KEY (project, repository, digest)
);
CREATE INDEX ix_artifacts_digest ON artifacts (digest);
CREATE INDEX ix_artifacts_state ON artifacts (state, project);

CREATE TABLE artifact_tags (
    project     TEXT NOT NULL,
    repository  TEXT NOT NULL,
    digest      TEXT NOT NULL,
    tag         TEXT NOT NULL,
    added_at    TEXT NOT NULL,
    PRIMARY KEY (project, repository, digest, tag)
);

CREATE TABLE artifact_events (
    event_id     TEXT NOT NULL PRIMARY KEY,
    event_type   TEXT NOT NULL,
    project      TEXT NULL,
    repository   TEXT NULL,
    digest       TEXT NULL,
    tag          TEXT NULL,
    operator     TEXT NULL,
    occurred_at  TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    details      TEXT NULL
);
CREATE INDEX ix_artifact_events_digest ON artifact_events (digest, occurred_at);
