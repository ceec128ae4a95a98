//! The ledger's figures, kept as the ledger grows: per unit and per person, per China day and per
//! China month, kind, source and value, how many records there are and how many of them a later
//! record has corrected. Store triggers keep them in the transaction that appends the record
//! (migration 0009), so every path that writes the ledger keeps them; this module reads them for
//! any subtree and period without reading the records, recounts them from the records to verify
//! them, and rebuilds them.
//!
//! Why this grain: a county's year is ~25 M records, but per unit and month it is a few hundred
//! thousand rows, per unit and day a few million; a period is read as the whole months it covers
//! plus the days at its ends (`frontline_core::records::spans`), so a year reads twelve month rows
//! per unit and kind. The value stays in the key because measures filter on it
//! (`count(finding_raised, value >= 2)`), the source because measures filter on that too. People
//! have their own table (with the unit of the record, for scoping) since a person scheme ranks
//! people and a unit row would mix them. Nothing is held in memory: the store is the one truth,
//! so the figures are as current and as durable as the records they count.

use chrono::NaiveDate;
use frontline_core::access::Scope;
use frontline_core::records::{Part, SPAN_DAY, SPAN_MONTH, spans};
use frontline_core::units::subtree_range;
use serde::Serialize;

use crate::units::push_scope;
use crate::{Db, DbError, Sql, Tx};

/// Whose figures: each unit's own records, or each person's records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Unit,
    Person,
}

/// The figures of one holder for one kind, source and value over a period.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Tallied {
    pub holder: i64,
    pub kind: String,
    pub source_kind: String,
    pub value: i64,
    /// Records that count (not corrected).
    pub n: i64,
}

/// The China day as a day number, in SQL, for the records' `occurred_at` column `col`.
fn day_sql(postgres: bool, col: &str) -> String {
    if postgres {
        format!("china_day({col})")
    } else {
        format!("CAST(julianday({col}, '+8 hours') - 2440587.5 AS INTEGER)")
    }
}

/// The first day of the China month, as a day number, in SQL.
fn month_sql(postgres: bool, col: &str) -> String {
    if postgres {
        format!("china_month({col})")
    } else {
        format!("CAST(julianday(date({col}, '+8 hours', 'start of month')) - 2440587.5 AS INTEGER)")
    }
}

/// The figures recounted from the records themselves, as rows of `(holder…, span, day, kind,
/// source_kind, value, n, corrected)` — what the kept tables must hold.
fn recount_sql(postgres: bool, holder: Holder) -> String {
    let (key, filter) = match holder {
        Holder::Unit => ("r.unit_id", ""),
        Holder::Person => ("r.person_id, r.unit_id", " WHERE r.person_id IS NOT NULL"),
    };
    let outer_key = match holder {
        Holder::Unit => "unit_id",
        Holder::Person => "person_id, unit_id",
    };
    format!(
        "SELECT {outer_key}, span, day, kind, source_kind, value, CAST(COUNT(*) AS BIGINT) AS n, \
         CAST(SUM(is_corrected) AS BIGINT) AS corrected FROM (\
           SELECT {key}, s.span, CASE s.span WHEN {SPAN_DAY} THEN {day} ELSE {month} END AS day, \
                  r.kind, r.source_kind, r.value, \
                  CASE WHEN EXISTS (SELECT 1 FROM records c WHERE c.source_kind = 'record' AND c.source_id = r.id) \
                       THEN 1 ELSE 0 END AS is_corrected \
           FROM records r CROSS JOIN (SELECT {SPAN_DAY} AS span UNION ALL SELECT {SPAN_MONTH}) s{filter}\
         ) t GROUP BY {outer_key}, span, day, kind, source_kind, value",
        day = day_sql(postgres, "r.occurred_at"),
        month = month_sql(postgres, "r.occurred_at"),
    )
}

fn table(holder: Holder) -> &'static str {
    match holder {
        Holder::Unit => "unit_tallies",
        Holder::Person => "person_tallies",
    }
}

fn columns(holder: Holder) -> &'static str {
    match holder {
        Holder::Unit => "unit_id, span, day, kind, source_kind, value, n, corrected",
        Holder::Person => "person_id, unit_id, span, day, kind, source_kind, value, n, corrected",
    }
}

/// What a rebuild wrote.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Rebuilt {
    pub records: i64,
    pub unit_rows: i64,
    pub person_rows: i64,
}

/// Refills the figures from the records inside the caller's transaction (the upgrade path of a
/// store that had records before the figures existed).
pub async fn rebuild_in(tx: &mut Tx) -> Result<Rebuilt, DbError> {
    let postgres = tx.is_postgres();
    let mut out = Rebuilt::default();
    for holder in [Holder::Unit, Holder::Person] {
        tx.execute(&Sql::new(&format!("DELETE FROM {}", table(holder)))).await?;
        // `WHERE true` keeps SQLite from reading a following clause as part of the SELECT.
        let rows = tx
            .execute(&Sql::new(&format!(
                "INSERT INTO {} ({}) SELECT * FROM ({}) f WHERE true",
                table(holder),
                columns(holder),
                recount_sql(postgres, holder)
            )))
            .await?;
        let rows = i64::try_from(rows).unwrap_or(i64::MAX);
        match holder {
            Holder::Unit => out.unit_rows = rows,
            Holder::Person => out.person_rows = rows,
        }
    }
    out.records = tx.count(&Sql::new("SELECT COUNT(*) FROM records")).await?;
    Ok(out)
}

/// Rebuilds the figures from the records in one transaction: readers see the old figures or the
/// new, never none.
pub async fn rebuild(db: &Db) -> Result<Rebuilt, DbError> {
    let mut tx = db.begin().await?;
    let out = rebuild_in(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// The upkeep triggers, taken off for a bulk load of history (see [`suspend_upkeep`]).
pub struct Suspended {
    /// SQLite: the triggers' own `CREATE TRIGGER` text, to put back; PostgreSQL disables instead.
    sqlite_triggers: Vec<String>,
}

/// Takes the figures' upkeep off the records table so that history can be loaded in bulk (tens of
/// millions of records, where tallying row by row would cost more than one recount at the end).
/// Nothing else may write records until [`resume_upkeep`], which puts the upkeep back and rebuilds
/// the figures in one transaction.
pub async fn suspend_upkeep(db: &Db) -> Result<Suspended, DbError> {
    let mut tx = db.begin().await?;
    let mut sqlite_triggers = Vec::new();
    if tx.is_postgres() {
        tx.execute(&Sql::new("ALTER TABLE records DISABLE TRIGGER records_tally")).await?;
    } else {
        let triggers: Vec<(String, String)> = tx
            .all(&Sql::new(
                "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'records' ORDER BY name",
            ))
            .await?;
        for (name, sql) in triggers {
            tx.execute(&Sql::new(&format!("DROP TRIGGER {name}"))).await?;
            sqlite_triggers.push(sql);
        }
    }
    tx.commit().await?;
    Ok(Suspended { sqlite_triggers })
}

/// Puts the upkeep back and rebuilds the figures from the records, in one transaction.
pub async fn resume_upkeep(db: &Db, suspended: Suspended) -> Result<Rebuilt, DbError> {
    let mut tx = db.begin().await?;
    if tx.is_postgres() {
        tx.execute(&Sql::new("ALTER TABLE records ENABLE TRIGGER records_tally")).await?;
    }
    for sql in &suspended.sqlite_triggers {
        tx.execute(&Sql::new(sql)).await?;
    }
    let out = rebuild_in(&mut tx).await?;
    tx.commit().await?;
    Ok(out)
}

/// One row where the kept figures and a recount disagree.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `unit` or `person`.
    pub holder_kind: &'static str,
    pub holder: i64,
    /// The unit of the records (the holder itself for a unit).
    pub unit: i64,
    /// `day` or `month`.
    pub span: &'static str,
    pub first_day: NaiveDate,
    pub kind: String,
    pub source_kind: String,
    pub value: i64,
    /// Records and corrected records as kept, and as recounted.
    pub kept: (i64, i64),
    pub recounted: (i64, i64),
}

impl std::fmt::Display for Difference {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} (unit {}) {} of {}: {} from {} value {}: kept {} records ({} corrected), recounted {} ({} corrected)",
            self.holder_kind,
            self.holder,
            self.unit,
            self.span,
            self.first_day,
            self.kind,
            self.source_kind,
            self.value,
            self.kept.0,
            self.kept.1,
            self.recounted.0,
            self.recounted.1
        )
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    holder: i64,
    unit: i64,
    span: i64,
    day: i64,
    kind: String,
    source_kind: String,
    value: i64,
    n: i64,
    corrected: i64,
}

/// Recounts the figures from the records and names every row that differs (at most `limit`).
pub async fn verify(db: &Db, limit: usize) -> Result<Vec<Difference>, DbError> {
    let postgres = db.is_postgres();
    let mut out = Vec::new();
    for holder in [Holder::Unit, Holder::Person] {
        let select = match holder {
            Holder::Unit => "unit_id AS holder, unit_id AS unit",
            Holder::Person => "person_id AS holder, unit_id AS unit",
        };
        let cols = format!(
            "{select}, CAST(span AS BIGINT) AS span, CAST(day AS BIGINT) AS day, kind, source_kind, value, n, corrected"
        );
        let kept = format!("SELECT {cols} FROM {} WHERE n > 0", table(holder));
        let recount = format!("SELECT {cols} FROM ({}) f", recount_sql(postgres, holder));
        for (left, right, left_is_kept) in [(&kept, &recount, true), (&recount, &kept, false)] {
            let rows: Vec<Row> = db
                .all(&Sql::new(&format!(
                    "SELECT holder, unit, span, day, kind, source_kind, value, n, corrected FROM ({left} EXCEPT {right}) d \
                     ORDER BY holder, unit, span, day, kind LIMIT {}",
                    limit + 1
                )))
                .await?;
            for r in rows {
                // The same key on the other side, if any, for the message.
                let other: Option<(i64, i64)> = db
                    .opt(&Sql::with(
                        &format!(
                            "SELECT n, corrected FROM ({right}) o WHERE holder = $1 AND unit = $2 AND span = $3 AND day = $4 \
                             AND kind = $5 AND source_kind = $6 AND value = $7"
                        ),
                        vec![
                            r.holder.into(),
                            r.unit.into(),
                            r.span.into(),
                            r.day.into(),
                            r.kind.clone().into(),
                            r.source_kind.clone().into(),
                            r.value.into(),
                        ],
                    ))
                    .await?;
                let other = other.unwrap_or((0, 0));
                let mine = (r.n, r.corrected);
                let (kept_v, recounted_v) = if left_is_kept { (mine, other) } else { (other, mine) };
                let d = Difference {
                    holder_kind: if holder == Holder::Unit { "unit" } else { "person" },
                    holder: r.holder,
                    unit: r.unit,
                    span: if r.span == SPAN_DAY { "day" } else { "month" },
                    first_day: NaiveDate::default() + chrono::Duration::days(r.day),
                    kind: r.kind,
                    source_kind: r.source_kind,
                    value: r.value,
                    kept: kept_v,
                    recounted: recounted_v,
                };
                if !out.contains(&d) {
                    out.push(d);
                }
                if out.len() >= limit {
                    return Ok(out);
                }
            }
        }
    }
    Ok(out)
}

/// What figures to read: a subtree (by the records' unit, or by the people's home unit), a period,
/// some kinds.
pub struct TallyQuery<'a> {
    pub holder: Holder,
    /// The subtree: records of its units (`Holder::Unit`), or of people whose home unit is in it.
    pub path: &'a str,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// Kinds read; all when empty.
    pub kinds: Vec<&'a str>,
}

/// The figures of every holder in the subtree over the period, per kind, source and value: what
/// `GROUP BY holder, kind, source_kind, value` over the records that count would give.
pub async fn tallies(db: &Db, q: &TallyQuery<'_>) -> Result<Vec<Tallied>, DbError> {
    let (lo, hi) = subtree_range(q.path);
    let (holder, from_join) = match q.holder {
        Holder::Unit => ("t.unit_id", "FROM units u JOIN unit_tallies t ON t.unit_id = u.id"),
        Holder::Person => (
            "t.person_id",
            "FROM units u JOIN people p ON p.home_unit_id = u.id JOIN person_tallies t ON t.person_id = p.id",
        ),
    };
    let mut sql = Sql::new("SELECT holder, kind, source_kind, value, CAST(SUM(n) AS BIGINT) AS n FROM (");
    for (i, part) in ranges(q.from, q.to).into_iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT {holder} AS holder, t.kind, t.source_kind, t.value, {} * (t.n - t.corrected) AS n {from_join} WHERE u.path >= ",
            part.sign
        ));
        sql.bind(lo.clone()).push(" AND u.path < ").bind(hi.clone());
        push_part(&mut sql, &part);
        if !q.kinds.is_empty() {
            sql.push(" AND t.kind IN ").bind_list(q.kinds.iter().map(|k| k.to_string()));
        }
    }
    sql.push(") f GROUP BY holder, kind, source_kind, value HAVING SUM(n) <> 0");
    db.all(&sql).await
}

/// The rows of the figures table `t` that one part reads.
fn push_part(sql: &mut Sql, part: &Part) {
    sql.push(" AND t.span = ").bind(part.span).push(" AND t.day >= ").bind(part.first);
    sql.push(" AND t.day < ").bind(part.after);
}

/// The parts `[from, to]` is read from; never empty, so the query stays well formed.
fn ranges(from: NaiveDate, to: NaiveDate) -> Vec<Part> {
    let parts = spans(from, to);
    if parts.is_empty() {
        return vec![Part { span: SPAN_DAY, first: 0, after: 0, sign: 1 }];
    }
    parts
}

/// Filters of the ledger list that the figures can answer: everything but free text.
#[derive(Debug, Clone, Default)]
pub struct CountFilter<'a> {
    /// The subtree of the records' units.
    pub path: Option<&'a str>,
    pub person: Option<i64>,
    pub kind: Option<&'a str>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub min_value: Option<i64>,
    pub max_value: Option<i64>,
    pub not_value: Option<i64>,
    pub source_kind: Option<&'a str>,
    /// Leave corrected records out.
    pub counted: bool,
}

/// Records of one kind matching a filter: how many, and the sum of their values.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KindFigure {
    pub kind: String,
    pub records: i64,
    pub total_value: i64,
}

/// The ledger list's counts per kind, from the figures: the records the list would show in the
/// caller's scope, without counting them.
pub async fn counts(db: &Db, scope: &Scope, f: &CountFilter<'_>) -> Result<Vec<KindFigure>, DbError> {
    let from = f.from.unwrap_or_default();
    let to = f.to.unwrap_or_else(|| NaiveDate::from_ymd_opt(2199, 12, 31).unwrap_or(from));
    let n = if f.counted { "t.n - t.corrected" } else { "t.n" };
    let (table, person) = match f.person {
        Some(p) => ("person_tallies", Some(p)),
        None => ("unit_tallies", None),
    };
    let mut sql = Sql::new(
        "SELECT kind, CAST(SUM(n) AS BIGINT) AS records, CAST(SUM(n * value) AS BIGINT) AS total_value FROM (",
    );
    for (i, part) in ranges(from, to).into_iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push(&format!(
            "SELECT t.kind, t.value, {} * ({n}) AS n FROM {table} t JOIN units u ON u.id = t.unit_id WHERE ",
            part.sign
        ));
        push_scope(&mut sql, "u.path", scope);
        if let Some(p) = person {
            sql.push(" AND t.person_id = ").bind(p);
        }
        if let Some(path) = f.path {
            let (lo, hi) = subtree_range(path);
            sql.push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
        }
        push_part(&mut sql, &part);
        if let Some(k) = f.kind {
            sql.push(" AND t.kind = ").bind(k.to_string());
        }
        if let Some(v) = f.min_value {
            sql.push(" AND t.value >= ").bind(v);
        }
        if let Some(v) = f.max_value {
            sql.push(" AND t.value <= ").bind(v);
        }
        if let Some(v) = f.not_value {
            sql.push(" AND t.value <> ").bind(v);
        }
        if let Some(s) = f.source_kind {
            sql.push(" AND t.source_kind = ").bind(s.to_string());
        }
    }
    sql.push(") f GROUP BY kind HAVING SUM(n) <> 0 ORDER BY kind");
    db.all(&sql).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::{NewRecord, append, append_many};
    use chrono::{DateTime, Duration, TimeZone, Utc};
    use frontline_core::demo::Rng;
    use frontline_core::records::{CORRECTED_SOURCE, RecordKind};

    async fn store() -> crate::testing::TestDb {
        let t = crate::testing::TestDb::new().await.unwrap();
        let mut tx = t.db.begin().await.unwrap();
        tx.script(
            "INSERT INTO units (id, parent_id, path, depth, kind, name, code, tags, closed, created_at, updated_at) VALUES \
             (1, NULL, '/1/', 0, 'county', '乐清市', '330382', '', FALSE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
             (2, 1, '/1/2/', 1, 'township', '白石街道', '330382006', '', FALSE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
             (3, 2, '/1/2/3/', 2, 'village', '岐元村', '330382006205', '', FALSE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
             (4, 1, '/1/4/', 1, 'township', '柳市镇', '330382101', '', FALSE, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'); \
             INSERT INTO people (id, name, category, party_status, rank, home_unit_id, created_at, updated_at) VALUES \
             (1, '王建国', 'village_cadre', 'member', 'village', 3, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
             (2, '李秀英', 'village_cadre', 'member', 'village', 3, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00'), \
             (3, '陈志强', 'cadre', 'member', 'staff', 4, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
        )
        .await
        .unwrap();
        tx.sync_id_sequence("units").await.unwrap();
        tx.sync_id_sequence("people").await.unwrap();
        tx.commit().await.unwrap();
        t
    }

    /// A time near the edges that matter: China midnight (16:00 UTC) and month ends.
    fn when(rng: &mut Rng) -> DateTime<Utc> {
        let base = Utc.with_ymd_and_hms(2025, 11, 20, 0, 0, 0).unwrap();
        let day = base + Duration::days(rng.range(0, 75));
        let seconds = match rng.below(4) {
            0 => 16 * 3600 - 1,
            1 => 16 * 3600,
            2 => 0,
            _ => rng.range(0, 86_399),
        };
        day + Duration::seconds(seconds)
    }

    fn record(rng: &mut Rng) -> NewRecord {
        let kinds = [RecordKind::TaskSubmitted, RecordKind::FindingRaised, RecordKind::ShiftAttended];
        NewRecord {
            kind: *rng.pick(&kinds),
            unit_id: rng.range(1, 4),
            person_id: if rng.chance(70) { Some(rng.range(1, 3)) } else { None },
            occurred_at: when(rng),
            value: rng.range(0, 3),
            source_kind: if rng.chance(50) { "task_instance" } else { "finding" },
            source_id: rng.range(1, 1000),
            note: None,
        }
    }

    /// What the figures must say, counted from the records the old way.
    async fn recounted(db: &Db, q: &TallyQuery<'_>) -> Vec<(i64, String, String, i64, i64)> {
        let (lo, hi) = subtree_range(q.path);
        let holder = match q.holder {
            Holder::Unit => "r.unit_id FROM records r JOIN units u ON u.id = r.unit_id",
            Holder::Person => {
                "r.person_id FROM records r JOIN people p ON p.id = r.person_id JOIN units u ON u.id = p.home_unit_id"
            }
        };
        let mut sql = Sql::new(&format!(
            "SELECT {}",
            holder.replacen(" FROM", ", r.kind, r.source_kind, r.value, COUNT(*) FROM", 1)
        ));
        sql.push(" WHERE u.path >= ").bind(lo).push(" AND u.path < ").bind(hi);
        sql.push(" AND r.occurred_at >= ").bind(frontline_core::time::start_of_china_day(q.from));
        sql.push(" AND r.occurred_at < ").bind(frontline_core::time::start_of_china_day(q.to + Duration::days(1)));
        sql.push(crate::records::NOT_CORRECTED);
        sql.push(" GROUP BY 1, r.kind, r.source_kind, r.value");
        let mut rows: Vec<(i64, String, String, i64, i64)> = db.all(&sql).await.unwrap();
        rows.sort();
        rows
    }

    /// Records appended and corrected at random, one by one and in batches: after every step the
    /// kept figures equal a recount, and the figures of a random subtree and period equal the
    /// records' own grouping.
    #[tokio::test]
    async fn kept_figures_equal_a_recount_after_every_append_and_correction() {
        let t = store().await;
        let db = &t.db;
        let mut rng = Rng::new(21);
        let mut ids: Vec<i64> = Vec::new();
        for step in 0..120 {
            let mut tx = db.begin().await.unwrap();
            let mut appended = Vec::new();
            match rng.below(5) {
                0 | 1 => appended.push(append(&mut tx, record(&mut rng)).await.unwrap()),
                2 => {
                    let batch: Vec<NewRecord> = (0..rng.range(1, 12)).map(|_| record(&mut rng)).collect();
                    append_many(&mut tx, batch).await.unwrap();
                }
                _ if !ids.is_empty() => {
                    // A correction, sometimes of a record corrected already, or of a correction.
                    let target = *rng.pick(&ids);
                    let (unit, person): (i64, Option<i64>) = tx
                        .one(&Sql::with("SELECT unit_id, person_id FROM records WHERE id = $1", vec![target.into()]))
                        .await
                        .unwrap();
                    let id = append(
                        &mut tx,
                        NewRecord {
                            kind: RecordKind::RecordCorrected,
                            unit_id: unit,
                            person_id: person,
                            occurred_at: when(&mut rng),
                            value: 1,
                            source_kind: CORRECTED_SOURCE,
                            source_id: target,
                            note: Some("录入有误".into()),
                        },
                    )
                    .await
                    .unwrap();
                    appended.push(id);
                }
                _ => {}
            }
            if rng.chance(10) {
                // A transaction that fails leaves neither records nor figures behind.
                drop(tx);
                continue;
            }
            tx.commit().await.unwrap();
            ids.extend(appended);
            let differences = verify(db, 10).await.unwrap();
            assert!(
                differences.is_empty(),
                "step {step}: {:?}",
                differences.iter().map(|d| d.to_string()).collect::<Vec<_>>()
            );
            let from = NaiveDate::from_ymd_opt(2025, 11, 15).unwrap() + Duration::days(rng.range(0, 60));
            let to = from + Duration::days(rng.range(0, 70));
            let path = rng.pick(&["/1/", "/1/2/", "/1/2/3/", "/1/4/"]).to_string();
            for holder in [Holder::Unit, Holder::Person] {
                let q = TallyQuery { holder, path: &path, from, to, kinds: Vec::new() };
                let mut kept: Vec<(i64, String, String, i64, i64)> = tallies(db, &q)
                    .await
                    .unwrap()
                    .into_iter()
                    .map(|t| (t.holder, t.kind, t.source_kind, t.value, t.n))
                    .collect();
                kept.sort();
                assert_eq!(kept, recounted(db, &q).await, "step {step}: {holder:?} {path} {from}..{to}");
            }
        }
        let (records,): (i64,) = db.one(&Sql::new("SELECT COUNT(*) FROM records")).await.unwrap();
        assert!(records > 100, "the walk appended records ({records})");
        let corrections =
            db.count(&Sql::new("SELECT COUNT(*) FROM records WHERE source_kind = 'record'")).await.unwrap();
        assert!(corrections > 10, "and corrected some ({corrections})");
    }

    /// Verify names a figure that no longer matches its records, and rebuild mends it.
    #[tokio::test]
    async fn verify_names_a_tampered_figure_and_rebuild_mends_it() {
        let t = store().await;
        let db = &t.db;
        let mut rng = Rng::new(7);
        let mut tx = db.begin().await.unwrap();
        append_many(&mut tx, (0..40).map(|_| record(&mut rng)).collect()).await.unwrap();
        tx.commit().await.unwrap();
        assert!(verify(db, 10).await.unwrap().is_empty());
        let mut tx = db.begin().await.unwrap();
        tx.execute(&Sql::new(
            "UPDATE unit_tallies SET n = n + 5 WHERE unit_id = (SELECT MIN(unit_id) FROM unit_tallies) AND span = 2",
        ))
        .await
        .unwrap();
        tx.commit().await.unwrap();
        let differences = verify(db, 50).await.unwrap();
        assert!(!differences.is_empty());
        assert!(
            differences.iter().all(|d| d.holder_kind == "unit" && d.span == "month" && d.kept.0 == d.recounted.0 + 5)
        );
        let rebuilt = rebuild(db).await.unwrap();
        assert_eq!(rebuilt.records, 40);
        // A bulk load with the upkeep suspended, then resumed: the figures count it, and the
        // upkeep is back for the next record.
        let suspended = suspend_upkeep(db).await.unwrap();
        let mut tx = db.begin().await.unwrap();
        append_many(&mut tx, (0..30).map(|_| record(&mut rng)).collect()).await.unwrap();
        tx.commit().await.unwrap();
        assert!(!verify(db, 10).await.unwrap().is_empty(), "suspended: the figures lag");
        assert_eq!(resume_upkeep(db, suspended).await.unwrap().records, 70);
        let mut tx = db.begin().await.unwrap();
        append(&mut tx, record(&mut rng)).await.unwrap();
        tx.commit().await.unwrap();
        assert!(rebuilt.unit_rows > 0 && rebuilt.person_rows > 0);
        assert!(verify(db, 10).await.unwrap().is_empty());
    }
}
