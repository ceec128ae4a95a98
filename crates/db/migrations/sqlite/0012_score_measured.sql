-- A published score keeps whether its subject had any data in the period (无数据): such a subject
-- is not scored, not a laggard and shows no stars. Runs published before kept it only in the
-- score's detail.
ALTER TABLE scores ADD COLUMN measured BOOLEAN NOT NULL DEFAULT TRUE;
UPDATE scores SET measured = FALSE WHERE detail LIKE '%"measured":false%';
