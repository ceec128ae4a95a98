-- Supervision: inspection teams and rounds with their reproducible draws, visits with the cadres
-- found on post, findings and their rectification, notices (通报), accountability actions and the
-- decided items about them (问责会审, 容错纠错). Same version and tables as postgres/0005.
CREATE TABLE inspection_teams (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    leader_id INTEGER NOT NULL REFERENCES people(id),
    created_at TEXT NOT NULL
);

CREATE TABLE inspection_team_members (
    team_id INTEGER NOT NULL REFERENCES inspection_teams(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (team_id, person_id)
);
CREATE INDEX inspection_team_members_person ON inspection_team_members(person_id);

CREATE TABLE inspection_rounds (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    title TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    per_township INTEGER NOT NULL,
    seed TEXT NOT NULL,
    draw_input TEXT NOT NULL,
    organiser_id INTEGER REFERENCES people(id),
    organiser TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX inspection_rounds_unit ON inspection_rounds(unit_id, starts_on);

CREATE TABLE inspection_targets (
    id INTEGER PRIMARY KEY,
    round_id INTEGER NOT NULL REFERENCES inspection_rounds(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    township_id INTEGER NOT NULL REFERENCES units(id),
    team_id INTEGER NOT NULL REFERENCES inspection_teams(id),
    weight_milli INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    visited_at TEXT,
    UNIQUE (round_id, unit_id)
);
CREATE INDEX inspection_targets_team ON inspection_targets(team_id);

CREATE TABLE inspection_visits (
    id INTEGER PRIMARY KEY,
    round_id INTEGER REFERENCES inspection_rounds(id),
    target_id INTEGER REFERENCES inspection_targets(id),
    team_id INTEGER NOT NULL REFERENCES inspection_teams(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    visited_at TEXT NOT NULL,
    logged_by_id INTEGER REFERENCES people(id),
    logged_by TEXT NOT NULL,
    on_post_expected INTEGER NOT NULL,
    on_post_found INTEGER NOT NULL,
    task_progress TEXT NOT NULL,
    grid_management TEXT NOT NULL,
    summary TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX inspection_visits_unit ON inspection_visits(unit_id, visited_at);

CREATE TABLE inspection_visit_people (
    visit_id INTEGER NOT NULL REFERENCES inspection_visits(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    post_id INTEGER REFERENCES posts(id),
    present BOOLEAN NOT NULL,
    PRIMARY KEY (visit_id, person_id)
);

CREATE TABLE findings (
    id INTEGER PRIMARY KEY,
    visit_id INTEGER REFERENCES inspection_visits(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    category TEXT NOT NULL,
    severity TEXT NOT NULL,
    description TEXT NOT NULL,
    post_id INTEGER REFERENCES posts(id),
    person_id INTEGER REFERENCES people(id),
    deadline TEXT NOT NULL,
    status TEXT NOT NULL,
    escalated BOOLEAN NOT NULL DEFAULT FALSE,
    raised_at TEXT NOT NULL,
    fixed_at TEXT,
    raised_by TEXT NOT NULL
);
CREATE INDEX findings_unit ON findings(unit_id, raised_at);
CREATE INDEX findings_status ON findings(status, deadline);

CREATE TABLE rectifications (
    id INTEGER PRIMARY KEY,
    finding_id INTEGER NOT NULL REFERENCES findings(id),
    text TEXT NOT NULL,
    evidence TEXT NOT NULL,
    submitted_by TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    decision TEXT,
    decision_note TEXT,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX rectifications_finding ON rectifications(finding_id, id);

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    finding_id INTEGER REFERENCES findings(id),
    visit_id INTEGER REFERENCES inspection_visits(id),
    issued_at TEXT NOT NULL,
    issued_by TEXT NOT NULL
);
CREATE INDEX notices_unit ON notices(unit_id, issued_at);

CREATE TABLE notice_people (
    notice_id INTEGER NOT NULL REFERENCES notices(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    PRIMARY KEY (notice_id, person_id)
);

CREATE TABLE accountability_actions (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT NOT NULL,
    decision TEXT,
    decided_on TEXT NOT NULL,
    source_kind TEXT,
    source_id INTEGER,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE INDEX accountability_actions_unit ON accountability_actions(unit_id, decided_on);
CREATE INDEX accountability_actions_person ON accountability_actions(person_id);

CREATE TABLE accountability_reviews (
    id INTEGER PRIMARY KEY,
    action_id INTEGER NOT NULL REFERENCES accountability_actions(id),
    kind TEXT NOT NULL,
    request TEXT NOT NULL,
    status TEXT NOT NULL,
    decision TEXT,
    requested_by TEXT NOT NULL,
    requested_at TEXT NOT NULL,
    decided_by TEXT,
    decided_at TEXT
);
CREATE INDEX accountability_reviews_action ON accountability_reviews(action_id);
