-- The artifact life cycle (issue 16): the verdict in force (its decision, report time and policy version) is kept on the
-- artifact so that an older report, or a scan failure, cannot overtake it; state writes compare-and-set on `state`.
ALTER TABLE artifacts ADD COLUMN decision_id TEXT NULL;
ALTER TABLE artifacts ADD COLUMN verdict_report_at TIMESTAMPTZ NULL;
ALTER TABLE artifacts ADD COLUMN verdict_policy_version TEXT NULL;
