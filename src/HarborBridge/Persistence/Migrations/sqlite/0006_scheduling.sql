-- Scheduled work (issue 8): rescans, at-risk deadlines, reconciliation watermarks, exception reminders, job runs.
ALTER TABLE artifacts ADD COLUMN rescan_requested_at TEXT NULL;
CREATE INDEX ix_artifacts_rescan ON artifacts (state, rescan_requested_at);

CREATE TABLE schedule_watermarks (
    name        TEXT NOT NULL PRIMARY KEY,
    value       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE at_risk_deadlines (
    project       TEXT NOT NULL,
    repository    TEXT NOT NULL,
    digest        TEXT NOT NULL,
    decision_id   TEXT NOT NULL,
    fix_by        TEXT NOT NULL,
    reason        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    resolved_at   TEXT NULL,
    resolution    TEXT NULL,
    PRIMARY KEY (project, repository, digest)
);
CREATE INDEX ix_at_risk_deadlines_open ON at_risk_deadlines (resolved_at, fix_by);

CREATE TABLE exception_reminders (
    reminder_key  TEXT NOT NULL PRIMARY KEY,
    exception_id  TEXT NOT NULL,
    scope         TEXT NOT NULL,
    kind          TEXT NOT NULL,
    sent_at       TEXT NOT NULL
);

CREATE TABLE scheduled_job_runs (
    fire_instance_id  TEXT NOT NULL,
    job_name          TEXT NOT NULL,
    scheduled_at      TEXT NOT NULL,
    fired_at          TEXT NOT NULL,
    instance          TEXT NOT NULL
);
CREATE INDEX ix_scheduled_job_runs_job ON scheduled_job_runs (job_name, scheduled_at);
