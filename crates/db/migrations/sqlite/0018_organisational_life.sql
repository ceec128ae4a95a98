-- Organisational life (issue 26, 003.3): how often each kind of meeting must be held, the
-- meetings party branches hold, and who attended (by scanning the meeting's code or ticked by the
-- recorder). Rules hold only what an install changed from the built-in norm.
-- Each meeting and each attendance is also a record in the ledger.
CREATE TABLE life_rules (
    kind TEXT PRIMARY KEY,
    cadence TEXT NOT NULL,
    times INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE life_meetings (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    held_on TEXT NOT NULL,
    place TEXT NOT NULL,
    topic TEXT NOT NULL,
    presided_by INTEGER REFERENCES people(id),
    minutes TEXT,
    resolutions TEXT,
    check_in_code TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);
CREATE INDEX life_meetings_unit ON life_meetings(unit_id, held_on);
CREATE INDEX life_meetings_held ON life_meetings(held_on);

CREATE TABLE life_attendance (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES life_meetings(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL,
    reason TEXT,
    taken_by TEXT NOT NULL,
    at TEXT NOT NULL,
    UNIQUE (meeting_id, person_id)
);
CREATE INDEX life_attendance_person ON life_attendance(person_id);
