-- Who answers for what: responsibility links, unit pairs, acting holders, role posts and claims,
-- errands, notifications, deployments, mentoring triples. Same version and tables as postgres/0002.
CREATE TABLE links (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    note TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX links_unit ON links(unit_id);
CREATE INDEX links_person ON links(person_id);

CREATE TABLE unit_pairs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    left_unit_id INTEGER NOT NULL REFERENCES units(id),
    right_unit_id INTEGER NOT NULL REFERENCES units(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    cost REAL,
    created_at TEXT NOT NULL
);
CREATE INDEX unit_pairs_left ON unit_pairs(left_unit_id);
CREATE INDEX unit_pairs_right ON unit_pairs(right_unit_id);

ALTER TABLE tenures ADD COLUMN acting BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE people ADD COLUMN suspended BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE role_posts (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    specialties TEXT NOT NULL DEFAULT '',
    min_holders INTEGER NOT NULL DEFAULT 1,
    max_holders INTEGER NOT NULL DEFAULT 6,
    seq INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL
);
CREATE INDEX role_posts_unit ON role_posts(unit_id);

CREATE TABLE role_claims (
    id INTEGER PRIMARY KEY,
    role_post_id INTEGER NOT NULL REFERENCES role_posts(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL,
    claimed_at TEXT NOT NULL,
    decided_at TEXT,
    decided_by TEXT,
    reason TEXT
);
CREATE INDEX role_claims_post ON role_claims(role_post_id);
CREATE INDEX role_claims_person ON role_claims(person_id);

CREATE TABLE errands (
    id INTEGER PRIMARY KEY,
    role_post_id INTEGER NOT NULL REFERENCES role_posts(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    what TEXT NOT NULL,
    done_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX errands_post ON errands(role_post_id);

CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    kind TEXT NOT NULL,
    params TEXT NOT NULL,
    created_at TEXT NOT NULL,
    read_at TEXT
);
CREATE INDEX notifications_person ON notifications(person_id);

CREATE TABLE deployments (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    home_unit_id INTEGER NOT NULL REFERENCES units(id),
    target_unit_id INTEGER NOT NULL REFERENCES units(id),
    purpose TEXT NOT NULL,
    start_date TEXT NOT NULL,
    end_date TEXT,
    arrived_at TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX deployments_person ON deployments(person_id);
CREATE INDEX deployments_home ON deployments(home_unit_id);
CREATE INDEX deployments_target ON deployments(target_unit_id);

CREATE TABLE mentorships (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    leader_id INTEGER NOT NULL REFERENCES people(id),
    middle_id INTEGER NOT NULL REFERENCES people(id),
    young_id INTEGER NOT NULL REFERENCES people(id),
    start_date TEXT NOT NULL,
    end_date TEXT,
    created_at TEXT NOT NULL
);
CREATE INDEX mentorships_unit ON mentorships(unit_id);
