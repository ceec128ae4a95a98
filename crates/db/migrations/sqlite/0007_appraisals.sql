-- Appraisals, incentives and care: leaders' notes and mass evaluations written into the ledger,
-- appraisals of cadres (鉴定书), the talent pool (储备人选, 重点培养对象, 提拔使用), 五述五评 reviews
-- with their ratings, commendations, typical deeds, annual selections with nominations and votes,
-- and care records. Same version and tables as postgres/0007.
CREATE TABLE ledger_notes (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    occurred_on TEXT NOT NULL,
    value INTEGER NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX ledger_notes_person ON ledger_notes(person_id);

CREATE TABLE appraisals (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    campaign TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    status TEXT NOT NULL,
    grade TEXT,
    conclusion TEXT,
    figures TEXT,
    assessor TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    finalized_at TEXT,
    UNIQUE (person_id, campaign)
);
CREATE INDEX appraisals_unit ON appraisals(unit_id);

CREATE TABLE talent_pool (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    tier TEXT NOT NULL,
    reason TEXT NOT NULL,
    source_kind TEXT,
    source_id INTEGER,
    since_on TEXT NOT NULL,
    added_by TEXT NOT NULL,
    added_at TEXT NOT NULL,
    removed_at TEXT,
    removed_reason TEXT
);
CREATE INDEX talent_pool_person ON talent_pool(person_id, tier);

CREATE TABLE reviews (
    id INTEGER PRIMARY KEY,
    year INTEGER NOT NULL,
    track TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    report TEXT NOT NULL,
    status TEXT NOT NULL,
    favourable_permille INTEGER,
    verdict TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (year, unit_id, person_id)
);

CREATE TABLE review_ratings (
    review_id INTEGER NOT NULL REFERENCES reviews(id),
    rater_id INTEGER NOT NULL REFERENCES users(id),
    rater TEXT NOT NULL,
    rating TEXT NOT NULL,
    comment TEXT,
    created_at TEXT NOT NULL,
    PRIMARY KEY (review_id, rater_id)
);

CREATE TABLE commendations (
    id INTEGER PRIMARY KEY,
    issuer_unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    reason TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    issued_on TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX commendations_unit ON commendations(unit_id);

CREATE TABLE deeds (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    published_by TEXT,
    published_at TEXT
);
CREATE INDEX deeds_unit ON deeds(unit_id);

CREATE TABLE selections (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    seats INTEGER NOT NULL,
    status TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT,
    UNIQUE (unit_id, year, title)
);

CREATE TABLE nominations (
    id INTEGER PRIMARY KEY,
    selection_id INTEGER NOT NULL REFERENCES selections(id),
    person_id INTEGER NOT NULL REFERENCES people(id),
    reason TEXT NOT NULL,
    nominated_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    selected BOOLEAN NOT NULL DEFAULT FALSE,
    UNIQUE (selection_id, person_id)
);

CREATE TABLE selection_votes (
    selection_id INTEGER NOT NULL REFERENCES selections(id),
    nomination_id INTEGER NOT NULL REFERENCES nominations(id),
    voter_id INTEGER NOT NULL REFERENCES users(id),
    created_at TEXT NOT NULL,
    PRIMARY KEY (nomination_id, voter_id)
);
CREATE INDEX selection_votes_voter ON selection_votes(selection_id, voter_id);

CREATE TABLE care_records (
    id INTEGER PRIMARY KEY,
    person_id INTEGER NOT NULL REFERENCES people(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    kind TEXT NOT NULL,
    given_on TEXT NOT NULL,
    note TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX care_records_person ON care_records(person_id, given_on);
