-- Figures maintained as the ledger grows (see docs/scaling.md, "The ledger's figures"): every
-- record is tallied as it is appended, in the same transaction, per unit and per person, per
-- China day and per China month, kind, source and value. A period is answered from the months it
-- covers whole and the days at its two ends, without reading the records themselves. `n` counts
-- the records, `corrected` those of them a later record has corrected (they no longer count).
-- `frontline ledger verify` recounts these from the records; `frontline ledger rebuild` refills
-- them; an upgraded store is filled by the same rebuild right after this migration. Same version
-- and tables as sqlite/0009.
CREATE TABLE unit_tallies (
    unit_id BIGINT NOT NULL,
    span SMALLINT NOT NULL,
    day INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    value BIGINT NOT NULL,
    n BIGINT NOT NULL,
    corrected BIGINT NOT NULL,
    PRIMARY KEY (unit_id, span, day, kind, source_kind, value)
);

CREATE TABLE person_tallies (
    person_id BIGINT NOT NULL,
    unit_id BIGINT NOT NULL,
    span SMALLINT NOT NULL,
    day INTEGER NOT NULL,
    kind TEXT NOT NULL,
    source_kind TEXT NOT NULL,
    value BIGINT NOT NULL,
    n BIGINT NOT NULL,
    corrected BIGINT NOT NULL,
    PRIMARY KEY (person_id, span, day, unit_id, kind, source_kind, value)
);

-- The ledger's newest-first list walks this index (keyset pages on time and id).
CREATE INDEX records_time ON records(occurred_at, id);

-- Scores count each unit's party members; this index answers that without reading the people.
CREATE INDEX people_home_party ON people(home_unit_id, party_status);

-- span 1 is a China day (UTC+8), span 2 a China month; day is the span's first day as days since
-- 1970-01-01.
CREATE FUNCTION china_day(t TIMESTAMPTZ) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS
$$ SELECT (((t AT TIME ZONE 'UTC') + INTERVAL '8 hours')::date - DATE '1970-01-01') $$;

CREATE FUNCTION china_month(t TIMESTAMPTZ) RETURNS INTEGER LANGUAGE sql IMMUTABLE AS
$$ SELECT (date_trunc('month', (t AT TIME ZONE 'UTC') + INTERVAL '8 hours')::date - DATE '1970-01-01') $$;

CREATE FUNCTION records_tally() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO unit_tallies (unit_id, span, day, kind, source_kind, value, n, corrected)
    VALUES (NEW.unit_id, 1, china_day(NEW.occurred_at), NEW.kind, NEW.source_kind, NEW.value, 1, 0),
           (NEW.unit_id, 2, china_month(NEW.occurred_at), NEW.kind, NEW.source_kind, NEW.value, 1, 0)
    ON CONFLICT (unit_id, span, day, kind, source_kind, value) DO UPDATE SET n = unit_tallies.n + 1;
    IF NEW.person_id IS NOT NULL THEN
        INSERT INTO person_tallies (person_id, unit_id, span, day, kind, source_kind, value, n, corrected)
        VALUES (NEW.person_id, NEW.unit_id, 1, china_day(NEW.occurred_at), NEW.kind, NEW.source_kind, NEW.value, 1, 0),
               (NEW.person_id, NEW.unit_id, 2, china_month(NEW.occurred_at), NEW.kind, NEW.source_kind, NEW.value, 1, 0)
        ON CONFLICT (person_id, span, day, unit_id, kind, source_kind, value) DO UPDATE SET n = person_tallies.n + 1;
    END IF;
    -- A record naming another (source 'record') corrects it: the first such record takes the
    -- corrected one out of the figures.
    IF NEW.source_kind = 'record' AND NOT EXISTS (
        SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = NEW.source_id AND c.id <> NEW.id
    ) THEN
        UPDATE unit_tallies t SET corrected = t.corrected + 1 FROM records o
        WHERE o.id = NEW.source_id AND t.unit_id = o.unit_id AND t.kind = o.kind AND t.source_kind = o.source_kind
          AND t.value = o.value
          AND ((t.span = 1 AND t.day = china_day(o.occurred_at)) OR (t.span = 2 AND t.day = china_month(o.occurred_at)));
        UPDATE person_tallies t SET corrected = t.corrected + 1 FROM records o
        WHERE o.id = NEW.source_id AND t.person_id = o.person_id AND t.unit_id = o.unit_id AND t.kind = o.kind
          AND t.source_kind = o.source_kind AND t.value = o.value
          AND ((t.span = 1 AND t.day = china_day(o.occurred_at)) OR (t.span = 2 AND t.day = china_month(o.occurred_at)));
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER records_tally AFTER INSERT ON records FOR EACH ROW EXECUTE FUNCTION records_tally();
