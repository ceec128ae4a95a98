-- A topic set by a party committee (党委点题) and left unanswered past its date is escalated once,
-- like a finding: its owner and the secretary of the unit that set it are told.
ALTER TABLE meeting_topics ADD COLUMN escalated BOOLEAN NOT NULL DEFAULT FALSE;
