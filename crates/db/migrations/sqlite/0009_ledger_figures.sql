-- Figures maintained as the ledger grows (see docs/scaling.md, "The ledger's figures"): every
-- record is tallied as it is appended, in the same transaction, per unit and per person, per
-- China day and per China month, kind, source and value. A period is answered from the months it
-- covers whole and the days at its two ends, without reading the records themselves. `n` counts
-- the records, `corrected` those of them a later record has corrected (they no longer count).
-- `frontline ledger verify` recounts these from the records; `frontline ledger rebuild` refills
-- them; an upgraded store is filled by the same rebuild right after this migration. Same version
-- and tables as postgres/0009.
CREATE TABLE unit_tallies (
    unit_id INTEGER NOT NULL,
    span INTEGER NOT NULL,
    day INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    value INTEGER NOT NULL,
    n INTEGER NOT NULL,
    corrected INTEGER NOT NULL,
    PRIMARY KEY (unit_id, span, day, kind, source_kind, value)
) WITHOUT ROWID;

CREATE TABLE person_tallies (
    person_id INTEGER NOT NULL,
    unit_id INTEGER NOT NULL,
    span INTEGER NOT NULL,
    day INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    value INTEGER NOT NULL,
    n INTEGER NOT NULL,
    corrected INTEGER NOT NULL,
    PRIMARY KEY (person_id, span, day, unit_id, kind, source_kind, value)
) WITHOUT ROWID;

-- The ledger's newest-first list walks this index (keyset pages on time and id).
CREATE INDEX records_time ON records(occurred_at, id);

-- Scores count each unit's party members; this index answers that without reading the people.
CREATE INDEX people_home_party ON people(home_unit_id, party_status);

-- span 1 is a China day (UTC+8), span 2 a China month; day is the span's first day as days since
-- 1970-01-01.
CREATE TRIGGER records_tally_unit AFTER INSERT ON records BEGIN
    INSERT INTO unit_tallies (unit_id, span, day, kind, source_kind, value, n, corrected)
    VALUES (NEW.unit_id, 1, CAST(julianday(NEW.occurred_at, '+8 hours') - 2440587.5 AS INTEGER),
            NEW.kind, NEW.source_kind, NEW.value, 1, 0),
           (NEW.unit_id, 2, CAST(julianday(date(NEW.occurred_at, '+8 hours', 'start of month')) - 2440587.5 AS INTEGER),
            NEW.kind, NEW.source_kind, NEW.value, 1, 0)
    ON CONFLICT (unit_id, span, day, kind, source_kind, value) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER records_tally_person AFTER INSERT ON records WHEN NEW.person_id IS NOT NULL BEGIN
    INSERT INTO person_tallies (person_id, unit_id, span, day, kind, source_kind, value, n, corrected)
    VALUES (NEW.person_id, NEW.unit_id, 1, CAST(julianday(NEW.occurred_at, '+8 hours') - 2440587.5 AS INTEGER),
            NEW.kind, NEW.source_kind, NEW.value, 1, 0),
           (NEW.person_id, NEW.unit_id, 2,
            CAST(julianday(date(NEW.occurred_at, '+8 hours', 'start of month')) - 2440587.5 AS INTEGER),
            NEW.kind, NEW.source_kind, NEW.value, 1, 0)
    ON CONFLICT (person_id, span, day, unit_id, kind, source_kind, value) DO UPDATE SET n = n + 1;
END;

-- A record naming another (source 'record') corrects it: the first such record takes the corrected
-- one out of the figures.
CREATE TRIGGER records_tally_correction AFTER INSERT ON records
WHEN NEW.source_kind = 'record'
 AND NOT EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = NEW.source_id AND c.id <> NEW.id)
BEGIN
    UPDATE unit_tallies SET corrected = corrected + 1
    WHERE (unit_id, span, day, kind, source_kind, value) IN (
        SELECT o.unit_id, 1, CAST(julianday(o.occurred_at, '+8 hours') - 2440587.5 AS INTEGER), o.kind, o.source_kind, o.value
        FROM records o WHERE o.id = NEW.source_id
        UNION ALL
        SELECT o.unit_id, 2, CAST(julianday(date(o.occurred_at, '+8 hours', 'start of month')) - 2440587.5 AS INTEGER),
               o.kind, o.source_kind, o.value
        FROM records o WHERE o.id = NEW.source_id);
    UPDATE person_tallies SET corrected = corrected + 1
    WHERE (person_id, unit_id, span, day, kind, source_kind, value) IN (
        SELECT o.person_id, o.unit_id, 1, CAST(julianday(o.occurred_at, '+8 hours') - 2440587.5 AS INTEGER), o.kind,
               o.source_kind, o.value
        FROM records o WHERE o.id = NEW.source_id AND o.person_id IS NOT NULL
        UNION ALL
        SELECT o.person_id, o.unit_id, 2, CAST(julianday(date(o.occurred_at, '+8 hours', 'start of month')) - 2440587.5 AS INTEGER),
               o.kind, o.source_kind, o.value
        FROM records o WHERE o.id = NEW.source_id AND o.person_id IS NOT NULL);
END;
