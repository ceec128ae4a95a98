-- Indicators and judgement: schemes as data (their JSON definition, owned by the unit that set
-- them), published score runs (公示 then final) with one row per subject, and the rectification
-- plans of laggard organisations (后进整转) with their progress. Same version and tables as postgres/0006.
CREATE TABLE schemes (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    code TEXT NOT NULL,
    name TEXT NOT NULL,
    subject TEXT NOT NULL,
    definition TEXT NOT NULL,
    version INTEGER NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    updated_by TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (unit_id, code)
);

CREATE TABLE score_runs (
    id INTEGER PRIMARY KEY,
    scheme_id INTEGER NOT NULL REFERENCES schemes(id),
    scheme_version INTEGER NOT NULL,
    definition TEXT NOT NULL,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    published_on TEXT NOT NULL,
    final_on TEXT NOT NULL,
    subjects INTEGER NOT NULL,
    laggards INTEGER NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX score_runs_scheme ON score_runs(scheme_id, period_to);

CREATE TABLE scores (
    id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL REFERENCES score_runs(id),
    unit_id INTEGER NOT NULL REFERENCES units(id),
    person_id INTEGER REFERENCES people(id),
    parent_id INTEGER REFERENCES units(id),
    total_centi INTEGER NOT NULL,
    stars INTEGER NOT NULL,
    laggard BOOLEAN NOT NULL,
    position INTEGER NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX scores_run ON scores(run_id, position);
CREATE INDEX scores_unit ON scores(unit_id, run_id);
CREATE INDEX scores_person ON scores(person_id, run_id);

CREATE TABLE laggard_plans (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    run_id INTEGER REFERENCES score_runs(id),
    reason TEXT NOT NULL,
    plan TEXT NOT NULL,
    deadline TEXT NOT NULL,
    responsible_id INTEGER NOT NULL REFERENCES people(id),
    status TEXT NOT NULL,
    outcome TEXT,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    closed_at TEXT
);
CREATE INDEX laggard_plans_unit ON laggard_plans(unit_id, status);

CREATE TABLE laggard_plan_steps (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES laggard_plans(id),
    noted_on TEXT NOT NULL,
    note TEXT NOT NULL,
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX laggard_plan_steps_plan ON laggard_plan_steps(plan_id);
