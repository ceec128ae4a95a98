-- Weak or lax party organisations (issue 26, 003.5, 软弱涣散): the criteria an install changed
-- from the built-in list, the cases a yearly screening (排查) finds with the reasons read from the
-- records, their rectification plan with a strong branch paired for 1+1 帮带, progress reports,
-- and 销号 when the criteria clear.
CREATE TABLE weak_criteria (
    criterion TEXT PRIMARY KEY,
    threshold INTEGER NOT NULL,
    enabled BOOLEAN NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE weak_cases (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    year INTEGER NOT NULL,
    status TEXT NOT NULL,
    reasons TEXT NOT NULL,
    measures TEXT,
    leader_id INTEGER REFERENCES people(id),
    deadline TEXT,
    partner_id INTEGER REFERENCES units(id),
    note TEXT,
    cleared_on TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (unit_id, year)
);
CREATE INDEX weak_cases_year ON weak_cases(year, status);

CREATE TABLE weak_case_steps (
    id INTEGER PRIMARY KEY,
    case_id INTEGER NOT NULL REFERENCES weak_cases(id),
    noted_on TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX weak_case_steps_case ON weak_case_steps(case_id);
