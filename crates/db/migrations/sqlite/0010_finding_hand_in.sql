-- The China day a finding's latest rectification was handed in: the overdue rule (逾期未改) and the
-- on-time value of its `finding_fixed` record read it, so that a rectification handed in on time
-- is not overdue while it awaits the team's acceptance.
ALTER TABLE findings ADD COLUMN handed_in_on TEXT;
UPDATE findings SET handed_in_on = (
    SELECT date(MAX(r.submitted_at), '+8 hours') FROM rectifications r WHERE r.finding_id = findings.id
);
