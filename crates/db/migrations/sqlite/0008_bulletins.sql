-- Periodic bulletins (周督促、月调度、季度通报): what each says, kept when it is made, and the unique key
-- means a bulletin is never made twice. Same version and tables as postgres/0008.
CREATE TABLE bulletins (
    id INTEGER PRIMARY KEY,
    unit_id INTEGER NOT NULL REFERENCES units(id),
    cadence TEXT NOT NULL,
    period_from TEXT NOT NULL,
    period_to TEXT NOT NULL,
    content TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (unit_id, cadence, period_from)
);
