CREATE TABLE artifact_children (
    project        TEXT NOT NULL,
    repository     TEXT NOT NULL,
    parent_digest  TEXT NOT NULL,
    child_digest   TEXT NOT NULL,
    PRIMARY KEY (project, repository, parent_digest, child_digest)
);
CREATE INDEX ix_artifact_children_child ON artifact_children (project, repository, child_digest);
