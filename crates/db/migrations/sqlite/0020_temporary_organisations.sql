-- Temporary party organisations and alliances (issue 26, 003.6): a party branch set up for a
-- while at a checkpoint or for a task (its organisational life judged only while it lasts), and
-- alliances of organisations such as 红色抗疫联盟 with their member organisations.
CREATE TABLE temporary_orgs (
    unit_id INTEGER PRIMARY KEY REFERENCES units(id),
    serves_unit_id INTEGER REFERENCES units(id),
    purpose TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE alliances (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    name TEXT NOT NULL,
    purpose TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX alliances_unit ON alliances(unit_id);

CREATE TABLE alliance_members (
    alliance_id INTEGER NOT NULL REFERENCES alliances(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    joined_on TEXT NOT NULL,
    PRIMARY KEY (alliance_id, unit_id)
);
