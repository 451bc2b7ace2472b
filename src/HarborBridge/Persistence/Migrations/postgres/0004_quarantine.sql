CREATE TABLE quarantine_steps (
    project      TEXT NOT NULL,
    repository   TEXT NOT NULL,
    digest       TEXT NOT NULL,
    strategy     TEXT NOT NULL,
    decision_id  TEXT NOT NULL,
    status       TEXT NOT NULL,
    prior_json   TEXT NOT NULL,
    detail       TEXT NULL,
    applied_at   TIMESTAMPTZ NOT NULL,
    released_at  TIMESTAMPTZ NULL,
    PRIMARY KEY (project, repository, digest, strategy)
);
CREATE INDEX ix_quarantine_steps_digest ON quarantine_steps (digest, status);
CREATE INDEX ix_quarantine_steps_project ON quarantine_steps (project, strategy, status);

CREATE TABLE quarantine_project_priors (
    project      TEXT NOT NULL PRIMARY KEY,
    prior_json   TEXT NOT NULL,
    captured_at  TIMESTAMPTZ NOT NULL
);
