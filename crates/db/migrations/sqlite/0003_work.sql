-- Daily work: the records ledger, task lists with sign-off and verification, commitment letters,
-- checkpoints with shifts and rosters, household survey forms, meetings with assigned topics,
-- training with attendance. Same version and tables as postgres/0003.
CREATE TABLE records (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    occurred_at TEXT NOT NULL,
    value INTEGER NOT NULL DEFAULT 1,
    source_kind TEXT NOT NULL,
    source_id INTEGER NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX records_unit ON records(unit_id, occurred_at);
CREATE INDEX records_person ON records(person_id, occurred_at);
CREATE INDEX records_source ON records(source_kind, source_id);

CREATE TABLE task_lists (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    post_kinds TEXT NOT NULL,
    period TEXT NOT NULL,
    due_time TEXT NOT NULL,
    campaign TEXT,
    commitment TEXT,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);
CREATE INDEX task_lists_unit ON task_lists(unit_id);

CREATE TABLE task_items (
    id INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES task_lists(id),
    seq INTEGER NOT NULL,
    text TEXT NOT NULL,
    needs_note BOOLEAN NOT NULL DEFAULT FALSE,
    needs_photo BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX task_items_list ON task_items(list_id);

CREATE TABLE task_instances (
    id INTEGER PRIMARY KEY,
    list_id INTEGER NOT NULL REFERENCES task_lists(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period_start TEXT NOT NULL,
    due_at TEXT NOT NULL,
    status TEXT NOT NULL,
    submitted_at TEXT,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (list_id, person_id, period_start)
);
CREATE INDEX task_instances_unit ON task_instances(unit_id, period_start);
CREATE INDEX task_instances_person ON task_instances(person_id, period_start);
CREATE INDEX task_instances_due ON task_instances(status, due_at);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    content_type TEXT NOT NULL,
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    person_id INTEGER REFERENCES people(id),
    created_at TEXT NOT NULL
);

CREATE TABLE task_checks (
    id INTEGER PRIMARY KEY,
    instance_id INTEGER NOT NULL REFERENCES task_instances(id),
    item_id INTEGER NOT NULL REFERENCES task_items(id),
    note TEXT,
    attachment_id INTEGER REFERENCES attachments(id),
    done_at TEXT NOT NULL,
    UNIQUE (instance_id, item_id)
);

CREATE TABLE commitments (
    id INTEGER PRIMARY KEY,
    campaign TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    text TEXT NOT NULL,
    signed_at TEXT NOT NULL,
    UNIQUE (campaign, person_id)
);

CREATE TABLE job_runs (
    job TEXT NOT NULL,
    period TEXT NOT NULL,
    ran_at TEXT NOT NULL,
    PRIMARY KEY (job, period)
);

CREATE TABLE checkpoints (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    pattern TEXT NOT NULL,
    headcount INTEGER NOT NULL,
    night_headcount INTEGER NOT NULL,
    min_party INTEGER NOT NULL,
    min_cadre INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE checkpoint_people (
    checkpoint_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    category TEXT NOT NULL,
    home BOOLEAN NOT NULL DEFAULT TRUE,
    avoid_nights BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (checkpoint_id, person_id)
);
CREATE INDEX checkpoint_people_person ON checkpoint_people(person_id);

CREATE TABLE unavailability (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    day TEXT NOT NULL,
    note TEXT,
    UNIQUE (person_id, day)
);

CREATE TABLE shifts (
    id INTEGER PRIMARY KEY,
    checkpoint_id INTEGER NOT NULL REFERENCES units(id),
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    night BOOLEAN NOT NULL,
    headcount INTEGER NOT NULL,
    min_party INTEGER NOT NULL,
    min_cadre INTEGER NOT NULL,
    unfilled_reason TEXT,
    created_at TEXT NOT NULL,
    UNIQUE (checkpoint_id, starts_at)
);
CREATE INDEX shifts_start ON shifts(starts_at);

CREATE TABLE shift_assignments (
    id INTEGER PRIMARY KEY,
    shift_id INTEGER NOT NULL REFERENCES shifts(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL,
    checked_in_at TEXT,
    checked_out_at TEXT,
    late_minutes INTEGER,
    handover TEXT,
    UNIQUE (shift_id, person_id)
);
CREATE INDEX shift_assignments_person ON shift_assignments(person_id);

CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    fields TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT NOT NULL
);

CREATE TABLE survey_responses (
    id INTEGER PRIMARY KEY,
    form_id INTEGER NOT NULL REFERENCES forms(id),
    household_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    filled_on TEXT NOT NULL,
    answers TEXT NOT NULL,
    risk BOOLEAN NOT NULL,
    risk_reasons TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX survey_responses_household ON survey_responses(household_id, filled_on);
CREATE INDEX survey_responses_form ON survey_responses(form_id, filled_on);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX meetings_unit ON meetings(unit_id);

CREATE TABLE meeting_topics (
    id INTEGER PRIMARY KEY,
    meeting_id INTEGER NOT NULL REFERENCES meetings(id),
    title TEXT NOT NULL,
    owner_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    due_date TEXT NOT NULL,
    answer TEXT,
    answered_at TEXT,
    status TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX meeting_topics_meeting ON meeting_topics(meeting_id);
CREATE INDEX meeting_topics_owner ON meeting_topics(owner_id);

CREATE TABLE trainings (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    held_on TEXT NOT NULL,
    hours INTEGER NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX trainings_unit ON trainings(unit_id);

CREATE TABLE training_attendance (
    training_id INTEGER NOT NULL REFERENCES trainings(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (training_id, person_id)
);
CREATE INDEX training_attendance_person ON training_attendance(person_id);
