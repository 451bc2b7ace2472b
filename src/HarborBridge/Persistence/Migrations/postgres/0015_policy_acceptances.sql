-- Policy impact preview (issue 20): an admin's acceptance of a policy file whose impact exceeded
-- HarborBridge:Policy:MaxNewlyBlocked, bound to the file's content hash, so that every replica honours it.
CREATE TABLE policy_acceptances (
    content_hash     TEXT NOT NULL PRIMARY KEY,
    policy_version   TEXT NOT NULL,
    accepted_impact  INTEGER NOT NULL,
    newly_blocked    INTEGER NOT NULL,
    actor            TEXT NOT NULL,
    accepted_at      TIMESTAMPTZ NOT NULL
);
