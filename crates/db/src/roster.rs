//! Checkpoint rosters in the store (003.11): checkpoint settings and who may stand there, planning
//! a period with the roster engine, the shifts with their people, check-in and check-out on post
//! (换班 with a handover note), missed shifts, and long duty streaks.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::records::RecordKind;
use frontline_core::roster::{
    CheckpointSpec, PersonSpec, RosterRequest, Rules, Shortfall, long_streaks, pattern, solve,
};
use frontline_core::time::{Timing, china};
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::records::{self, NewRecord};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Sql, Tx};

/// Minutes after the start of a shift that still count as on time.
pub const GRACE_MINUTES: i64 = 10;
/// Consecutive days on duty that ask for care (关心关爱).
pub const STREAK_DAYS: i64 = 10;

/// A checkpoint with its settings.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct CheckpointView {
    pub unit_id: i64,
    pub name: String,
    pub parent_name: String,
    pub pattern: Option<String>,
    pub headcount: Option<i64>,
    pub night_headcount: Option<i64>,
    pub min_party: Option<i64>,
    pub min_cadre: Option<i64>,
    pub people: i64,
    #[serde(skip)]
    pub path: String,
}

/// Checkpoint units in a subtree, configured or not.
pub async fn checkpoints(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<CheckpointView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT u.id AS unit_id, u.name, pu.name AS parent_name, c.pattern, c.headcount, c.night_headcount, c.min_party, \
         c.min_cadre, (SELECT COUNT(*) FROM checkpoint_people cp WHERE cp.checkpoint_id = u.id) AS people, u.path \
         FROM units u JOIN units pu ON pu.id = u.parent_id LEFT JOIN checkpoints c ON c.unit_id = u.id \
         WHERE u.kind = 'checkpoint' AND u.closed = FALSE AND u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.path LIMIT 1000");
    db.all(&sql).await
}

async fn checkpoint_path(tx: &mut Tx, scope: &Scope, unit_id: i64) -> Result<String, DbError> {
    let mut sql = Sql::new("SELECT path FROM units u WHERE u.kind = 'checkpoint' AND u.closed = FALSE AND u.id = ");
    sql.bind(unit_id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let row: Option<(String,)> = tx.opt(&sql).await?;
    row.map(|r| r.0).ok_or_else(|| DomainError::invalid("unit_id", "error.roster.not_checkpoint").into())
}

/// A checkpoint's settings as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct CheckpointInput {
    /// `3x8`, `2x12` or `day`.
    #[schema(schema_with = shift_patterns)]
    pub pattern: String,
    #[schema(minimum = 1, maximum = 50)]
    pub headcount: i64,
    #[schema(minimum = 1, maximum = 50)]
    pub night_headcount: i64,
    #[schema(minimum = 0, maximum = 50)]
    pub min_party: i64,
    #[schema(minimum = 0, maximum = 50)]
    pub min_cadre: i64,
}

/// The shift patterns a checkpoint can run, by name.
fn shift_patterns() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema(frontline_core::roster::PATTERNS.iter().map(|(name, _)| *name))
}

impl CheckpointInput {
    fn validate(&self) -> Result<(), DomainError> {
        let mut p = frontline_core::error::Problems::new();
        if pattern(&self.pattern).is_none() {
            p.add("pattern", "error.roster.pattern");
        }
        if !(1..=50).contains(&self.headcount) {
            p.add("headcount", "error.out_of_range");
        }
        if !(1..=50).contains(&self.night_headcount) {
            p.add("night_headcount", "error.out_of_range");
        }
        if self.min_party < 0 || self.min_party > self.headcount {
            p.add("min_party", "error.out_of_range");
        }
        if self.min_cadre < 0 || self.min_cadre > self.headcount {
            p.add("min_cadre", "error.out_of_range");
        }
        p.into_result()
    }
}

/// Sets a checkpoint's shift pattern, headcount and required mix.
pub async fn configure(db: &Db, actor: &Actor, unit_id: i64, input: &CheckpointInput) -> Result<(), DbError> {
    actor.require("work:roster:edit")?;
    input.validate()?;
    let mut tx = db.begin().await?;
    let path = checkpoint_path(&mut tx, &actor.scope, unit_id).await?;
    tx.execute(&Sql::with("DELETE FROM checkpoints WHERE unit_id = $1", vec![unit_id.into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO checkpoints (unit_id, pattern, headcount, night_headcount, min_party, min_cadre, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        vec![
            unit_id.into(),
            input.pattern.clone().into(),
            input.headcount.into(),
            input.night_headcount.into(),
            input.min_party.into(),
            input.min_cadre.into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "checkpoint.configure",
            object_kind: "unit",
            object_id: Some(unit_id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"pattern": input.pattern, "headcount": input.headcount, "night_headcount": input.night_headcount,
                "min_party": input.min_party, "min_cadre": input.min_cadre}),
        },
    )
    .await?;
    tx.commit().await
}

/// Who may stand at a checkpoint: a person in scope, as a 包保干部, 乡镇干部, party member or
/// resident volunteer (群众).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct DutyPersonInput {
    pub person_id: i64,
    /// `cadre_in_charge`, `township_cadre`, `member` or `resident`.
    #[schema(schema_with = duty_categories)]
    pub category: String,
    #[serde(default = "yes")]
    pub home: bool,
    #[serde(default)]
    pub avoid_nights: bool,
}

fn yes() -> bool {
    true
}

pub const DUTY_CATEGORIES: [&str; 4] = ["cadre_in_charge", "township_cadre", "member", "resident"];

/// [`DUTY_CATEGORIES`] in the API document.
fn duty_categories() -> utoipa::openapi::schema::Object {
    frontline_core::codes::codes_schema(DUTY_CATEGORIES)
}

/// Adds (or changes) a person on a checkpoint's duty list.
pub async fn add_person(db: &Db, actor: &Actor, unit_id: i64, input: &DutyPersonInput) -> Result<(), DbError> {
    actor.require("work:roster:edit")?;
    if !DUTY_CATEGORIES.contains(&input.category.as_str()) {
        return Err(DomainError::invalid("category", "error.roster.category").into());
    }
    let mut tx = db.begin().await?;
    let path = checkpoint_path(&mut tx, &actor.scope, unit_id).await?;
    crate::people::person_in_tx(&mut tx, &actor.scope, input.person_id).await?;
    tx.execute(&Sql::with(
        "DELETE FROM checkpoint_people WHERE checkpoint_id = $1 AND person_id = $2",
        vec![unit_id.into(), input.person_id.into()],
    ))
    .await?;
    tx.execute(&Sql::with(
        "INSERT INTO checkpoint_people (checkpoint_id, person_id, category, home, avoid_nights) VALUES ($1, $2, $3, $4, $5)",
        vec![
            unit_id.into(),
            input.person_id.into(),
            input.category.clone().into(),
            input.home.into(),
            input.avoid_nights.into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "checkpoint.person",
            object_kind: "unit",
            object_id: Some(unit_id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"person_id": input.person_id, "category": input.category, "home": input.home,
                "avoid_nights": input.avoid_nights}),
        },
    )
    .await?;
    tx.commit().await
}

/// Days a person cannot stand duty (leave, illness, another assignment), which the planner
/// respects. Marking a day twice keeps one mark.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AwayInput {
    pub person_id: i64,
    pub from: NaiveDate,
    pub to: NaiveDate,
    #[serde(default)]
    #[schema(max_length = 100)]
    pub note: String,
}

/// Records the days a person in scope cannot stand duty; gives how many days were added.
pub async fn mark_away(db: &Db, actor: &Actor, input: &AwayInput) -> Result<u64, DbError> {
    actor.require("work:roster:edit")?;
    let mut p = frontline_core::error::Problems::new();
    if input.to < input.from || (input.to - input.from).num_days() > 92 {
        p.add("to", "error.roster.away_range");
    }
    let note = p.check(frontline_core::error::optional_text("note", &input.note, 100)).flatten();
    p.into_result()?;
    let mut tx = db.begin().await?;
    let person = crate::people::person_in_tx(&mut tx, &actor.scope, input.person_id).await?;
    let mut added = 0;
    let mut day = input.from;
    while day <= input.to {
        added += tx
            .execute(&Sql::with(
                "INSERT INTO unavailability (person_id, day, note) VALUES ($1, $2, $3) ON CONFLICT (person_id, day) DO NOTHING",
                vec![input.person_id.into(), day.into(), note.clone().into()],
            ))
            .await?;
        day = day.succ_opt().unwrap_or(day + chrono::Duration::days(1));
    }
    let (path,): (String,) =
        tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![person.home_unit_id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "duty.away",
            object_kind: "person",
            object_id: Some(input.person_id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"from": input.from, "to": input.to, "note": note, "days": added}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// What to plan.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct PlanInput {
    pub start: NaiveDate,
    #[serde(default = "seven")]
    #[schema(minimum = 1, maximum = 31)]
    pub days: i64,
    #[serde(default = "twelve")]
    #[schema(minimum = 0, maximum = 48)]
    pub min_rest_hours: i64,
    #[serde(default = "five")]
    #[schema(minimum = 1, maximum = 93)]
    pub max_shifts: i64,
}

fn seven() -> i64 {
    7
}
fn twelve() -> i64 {
    12
}
fn five() -> i64 {
    5
}

/// What a plan did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PlanOutcome {
    pub checkpoints: usize,
    pub shifts: usize,
    pub places: i64,
    pub filled: i64,
    pub objective: i64,
    /// Shifts left short, by reason code.
    /// Each a JSON array (a tuple), documented as an array of values.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub short: Vec<(String, i64)>,
    pub solve_ms: f64,
}

/// Plans every configured checkpoint under a unit for a period, with the engine, and writes the
/// shifts and assignments. A period that already has shifts at one of these checkpoints is refused.
pub async fn plan(db: &Db, actor: &Actor, unit: i64, input: &PlanInput) -> Result<PlanOutcome, DbError> {
    actor.require("work:roster:edit")?;
    let all = checkpoints(db, &actor.scope, unit).await?;
    let configured: Vec<&CheckpointView> = all.iter().filter(|c| c.pattern.is_some()).collect();
    if configured.is_empty() {
        return Err(DomainError::invalid("unit_id", "error.roster.no_checkpoints").into());
    }
    let index: HashMap<i64, usize> = configured.iter().enumerate().map(|(i, c)| (c.unit_id, i)).collect();
    let ids: Vec<i64> = configured.iter().map(|c| c.unit_id).collect();
    let mut sql = Sql::new(
        "SELECT cp.checkpoint_id, cp.person_id, p.name, p.party_status, cp.category, cp.home, cp.avoid_nights \
         FROM checkpoint_people cp JOIN people p ON p.id = cp.person_id WHERE p.suspended = FALSE AND cp.checkpoint_id IN ",
    );
    sql.bind_list(ids.clone()).push(" ORDER BY cp.person_id, cp.home DESC, cp.checkpoint_id");
    let rows: Vec<(i64, i64, String, String, String, bool, bool)> = db.all(&sql).await?;
    let mut people: Vec<PersonSpec> = Vec::new();
    let mut person_ids: Vec<i64> = Vec::new();
    for (checkpoint, person, name, party, category, _home, avoid) in rows {
        let c = index[&checkpoint];
        if person_ids.last() == Some(&person) {
            if let Some(last) = people.last_mut() {
                last.checkpoints.push(c);
            }
            continue;
        }
        person_ids.push(person);
        people.push(PersonSpec {
            name,
            party: party != "none",
            cadre: category == "cadre_in_charge" || category == "township_cadre",
            checkpoints: vec![c],
            avoid_nights: avoid,
            unavailable_days: Vec::new(),
        });
    }
    let end = input.start + chrono::Duration::days(input.days.max(0));
    if !person_ids.is_empty() {
        let mut sql = Sql::new("SELECT person_id, day FROM unavailability WHERE day >= ");
        sql.bind(input.start).push(" AND day < ").bind(end).push(" AND person_id IN ").bind_list(person_ids.clone());
        let away: Vec<(i64, NaiveDate)> = db.all(&sql).await?;
        for (person, day) in away {
            if let Some(i) = person_ids.iter().position(|p| *p == person) {
                people[i].unavailable_days.push((day - input.start).num_days());
            }
        }
    }
    let request = RosterRequest {
        start: input.start,
        days: input.days,
        rules: Rules {
            min_rest_minutes: input.min_rest_hours * 60,
            max_shifts: input.max_shifts.clamp(0, 1000) as usize,
        },
        checkpoints: configured
            .iter()
            .map(|c| CheckpointSpec {
                name: c.name.clone(),
                pattern: c.pattern.clone().unwrap_or_default(),
                headcount: c.headcount.unwrap_or(1) as u32,
                night_headcount: c.night_headcount.map(|n| n as u32),
                min_party: c.min_party.unwrap_or(0) as u32,
                min_cadre: c.min_cadre.unwrap_or(0) as u32,
            })
            .collect(),
        people,
    };
    let problem = request.expand()?;
    // The search is CPU work: it runs off the async workers so other requests go on meanwhile.
    let (problem, solution) = tokio::task::spawn_blocking(move || {
        let solution = solve(&problem, Duration::from_millis(500), 1);
        (problem, solution)
    })
    .await
    .map_err(|_| DomainError::Conflict("error.internal".into()))?;
    let start_utc = china()
        .from_local_datetime(&input.start.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default();
    let mut tx = db.begin().await?;
    let mut existing = Sql::new("SELECT COUNT(*) FROM shifts WHERE starts_at >= ");
    existing.bind(start_utc).push(" AND starts_at < ").bind(start_utc + chrono::Duration::days(input.days));
    existing.push(" AND checkpoint_id IN ").bind_list(ids);
    if tx.count(&existing).await? > 0 {
        return Err(DomainError::Conflict("error.roster.exists".into()).into());
    }
    let reasons: HashMap<usize, Shortfall> = solution.unfilled.iter().map(|u| (u.shift, u.reason)).collect();
    let now = Utc::now();
    for (i, (shift, members)) in problem.shifts.iter().zip(&solution.roster).enumerate() {
        let checkpoint = configured[shift.checkpoint].unit_id;
        let shift_id = tx
            .insert(&Sql::with(
                "INSERT INTO shifts (checkpoint_id, starts_at, ends_at, night, headcount, min_party, min_cadre, unfilled_reason, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                vec![
                    checkpoint.into(),
                    (start_utc + chrono::Duration::minutes(shift.start)).into(),
                    (start_utc + chrono::Duration::minutes(shift.end)).into(),
                    shift.night.into(),
                    (shift.headcount as i64).into(),
                    (shift.min_party as i64).into(),
                    (shift.min_cadre as i64).into(),
                    reasons.get(&i).map(|r| r.as_str().to_string()).into(),
                    now.into(),
                ],
            ))
            .await?;
        for &p in members {
            tx.execute(&Sql::with(
                "INSERT INTO shift_assignments (shift_id, person_id, status) VALUES ($1, $2, 'planned')",
                vec![shift_id.into(), person_ids[p].into()],
            ))
            .await?;
        }
    }
    let root = units::get(db, &actor.scope, unit).await?;
    let mut short: Vec<(String, i64)> = Vec::new();
    for reason in Shortfall::ALL {
        let n = solution.unfilled.iter().filter(|u| u.reason == reason).count() as i64;
        if n > 0 {
            short.push((reason.as_str().to_string(), n));
        }
    }
    let outcome = PlanOutcome {
        checkpoints: configured.len(),
        shifts: problem.shifts.len(),
        places: problem.shifts.iter().map(|s| s.headcount as i64).sum(),
        filled: solution.roster.iter().map(|m| m.len() as i64).sum(),
        objective: solution.objective,
        short,
        solve_ms: solution.best_at.as_secs_f64() * 1e3,
    };
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "roster.plan",
            object_kind: "unit",
            object_id: Some(unit),
            unit_path: Some(&root.path),
            before: serde_json::Value::Null,
            after: json!({"start": input.start, "days": input.days, "shifts": outcome.shifts, "places": outcome.places,
                "filled": outcome.filled, "short": outcome.short}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(outcome)
}

/// A shift with its people.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ShiftView {
    pub id: i64,
    pub checkpoint_id: i64,
    pub checkpoint_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub night: bool,
    pub headcount: i64,
    pub unfilled_reason: Option<String>,
    /// `name:status` of each person, `|` separated.
    pub people: String,
}

/// Shifts of checkpoints under a unit starting in [from, to).
pub async fn shifts(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<ShiftView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let concat = if db.is_postgres() {
        "string_agg(p.name || ':' || a.status, '|' ORDER BY p.name)"
    } else {
        "group_concat(p.name || ':' || a.status, '|')"
    };
    let mut sql = Sql::new(&format!(
        "SELECT s.id, s.checkpoint_id, u.name AS checkpoint_name, s.starts_at, s.ends_at, s.night, s.headcount, s.unfilled_reason, \
         COALESCE({concat}, '') AS people FROM shifts s JOIN units u ON u.id = s.checkpoint_id \
         LEFT JOIN shift_assignments a ON a.shift_id = s.id LEFT JOIN people p ON p.id = a.person_id WHERE "
    ));
    push_shifts_of(&mut sql, scope, &root.path, from, to);
    sql.push(" GROUP BY s.id, s.checkpoint_id, u.name, s.starts_at, s.ends_at, s.night, s.headcount, s.unfilled_reason, u.path");
    sql.push(" ORDER BY s.starts_at, u.path LIMIT 3000");
    db.all(&sql).await
}

/// Limits a query of shifts (`s`, checkpoint `u`) to checkpoints under `root` in the caller's
/// units, starting in [from, to).
fn push_shifts_of(sql: &mut Sql, scope: &Scope, root: &str, from: DateTime<Utc>, to: DateTime<Utc>) {
    let (lo, hi) = subtree_range(root);
    sql.push("u.path >= ").bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(sql, "u.path", scope);
    sql.push(" AND s.starts_at >= ").bind(from).push(" AND s.starts_at < ").bind(to);
}

/// One person on one shift: their state, when they checked in and out, and for a check made on a
/// phone without signal, the phone's time beside the arrival.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Attendance {
    pub shift_id: i64,
    pub person_name: String,
    pub status: String,
    /// When the check-in counts: the phone's time where believed, else its arrival.
    pub checked_in_at: Option<DateTime<Utc>>,
    pub check_in_device_at: Option<DateTime<Utc>>,
    pub check_in_arrived_at: Option<DateTime<Utc>>,
    pub late_minutes: Option<i64>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub check_out_device_at: Option<DateTime<Utc>>,
    pub check_out_arrived_at: Option<DateTime<Utc>>,
}

/// The people of the shifts [`shifts`] gives (same unit and period), by shift and name.
pub async fn attendance(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Vec<Attendance>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let mut sql = Sql::new(
        "SELECT a.shift_id, p.name AS person_name, a.status, a.checked_in_at, a.check_in_device_at, \
         a.check_in_arrived_at, a.late_minutes, a.checked_out_at, a.check_out_device_at, a.check_out_arrived_at \
         FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id JOIN units u ON u.id = s.checkpoint_id \
         JOIN people p ON p.id = a.person_id WHERE ",
    );
    push_shifts_of(&mut sql, scope, &root.path, from, to);
    sql.push(" ORDER BY s.starts_at, u.path, p.name LIMIT 9000");
    db.all(&sql).await
}

/// One of a person's own shifts.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MyShift {
    pub assignment_id: i64,
    pub checkpoint_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub night: bool,
    pub status: String,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub checked_out_at: Option<DateTime<Utc>>,
    pub late_minutes: Option<i64>,
}

/// A person's shifts ending after `since`, soonest first.
pub async fn my_shifts(db: &Db, person_id: i64, since: DateTime<Utc>) -> Result<Vec<MyShift>, DbError> {
    db.all(&Sql::with(
        "SELECT a.id AS assignment_id, u.name AS checkpoint_name, s.starts_at, s.ends_at, s.night, a.status, a.checked_in_at, \
         a.checked_out_at, a.late_minutes FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
         JOIN units u ON u.id = s.checkpoint_id WHERE a.person_id = $1 AND s.ends_at > $2 ORDER BY s.starts_at LIMIT 20",
        vec![person_id.into(), since.into()],
    ))
    .await
}

async fn own_assignment(
    tx: &mut Tx,
    actor: &Actor,
    id: i64,
) -> Result<(i64, String, DateTime<Utc>, DateTime<Utc>, i64, String), DbError> {
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("work:roster:check".into()))?;
    tx.opt(&Sql::with(
        "SELECT a.person_id, a.status, s.starts_at, s.ends_at, s.checkpoint_id, u.path FROM shift_assignments a \
         JOIN shifts s ON s.id = a.shift_id JOIN units u ON u.id = s.checkpoint_id WHERE a.id = $1 AND a.person_id = $2",
        vec![id.into(), me.into()],
    ))
    .await?
    .ok_or_else(|| DomainError::NotFound.into())
}

/// Checks in on post: from half an hour before the start until the end; later than the grace
/// period counts the minutes late. Records `shift_attended` with the minutes late. A check-in
/// queued on a phone without signal counts at the phone's time where believed
/// ([`Timing::trusted`]); both times are kept.
pub async fn check_in(db: &Db, actor: &Actor, id: i64, when: Timing) -> Result<i64, DbError> {
    actor.require("work:roster:check")?;
    let now = when.trusted();
    let mut tx = db.begin().await?;
    let (person, status, starts, ends, checkpoint, path) = own_assignment(&mut tx, actor, id).await?;
    if status != "planned" {
        return Err(DomainError::Conflict("error.roster.already_checked_in".into()).into());
    }
    if now < starts - chrono::Duration::minutes(30) || now > ends {
        return Err(DomainError::Conflict("error.roster.not_now".into()).into());
    }
    let late = ((now - starts).num_minutes() - GRACE_MINUTES).max(0);
    let late = if late > 0 { late + GRACE_MINUTES } else { 0 };
    tx.execute(&Sql::with(
        "UPDATE shift_assignments SET status = 'on_duty', checked_in_at = $1, late_minutes = $2, \
         check_in_device_at = $3, check_in_arrived_at = $4 WHERE id = $5",
        vec![now.into(), late.into(), when.device.into(), when.received.into(), id.into()],
    ))
    .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::ShiftAttended,
            unit_id: checkpoint,
            person_id: Some(person),
            occurred_at: now,
            value: late,
            source_kind: "shift_assignment",
            source_id: id,
            note: None,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "shift.check_in",
            object_kind: "shift_assignment",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": status}),
            after: json!({"status": "on_duty", "late_minutes": late, "checked_in_at": now,
                "device_at": when.device, "arrived_at": when.received}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(late)
}

/// Checks out with a handover note for the next shift (换班交接), at the phone's time where
/// believed.
pub async fn check_out(db: &Db, actor: &Actor, id: i64, handover: &str, when: Timing) -> Result<(), DbError> {
    actor.require("work:roster:check")?;
    let now = when.trusted();
    let handover =
        frontline_core::error::optional_text("handover", handover, 500).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let (_, status, _, _, _, path) = own_assignment(&mut tx, actor, id).await?;
    if status != "on_duty" {
        return Err(DomainError::Conflict("error.roster.not_on_duty".into()).into());
    }
    tx.execute(&Sql::with(
        "UPDATE shift_assignments SET status = 'done', checked_out_at = $1, handover = $2, \
         check_out_device_at = $3, check_out_arrived_at = $4 WHERE id = $5",
        vec![now.into(), handover.clone().into(), when.device.into(), when.received.into(), id.into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "shift.check_out",
            object_kind: "shift_assignment",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": status}),
            after: json!({"status": "done", "handover": handover, "checked_out_at": now,
                "device_at": when.device, "arrived_at": when.received}),
        },
    )
    .await?;
    tx.commit().await
}

/// Marks shifts that ended with nobody checked in as missed, and records them. Gives how many.
pub async fn record_missed(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let missed: Vec<(i64, i64, i64, DateTime<Utc>)> = db
        .all(&Sql::with(
            "SELECT a.id, a.person_id, s.checkpoint_id, s.ends_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
             WHERE a.status = 'planned' AND s.ends_at < $1 ORDER BY a.id LIMIT 20000",
            vec![now.into()],
        ))
        .await?;
    let mut tx = db.begin().await?;
    for (id, person, checkpoint, ends) in &missed {
        tx.execute(&Sql::with("UPDATE shift_assignments SET status = 'missed' WHERE id = $1", vec![(*id).into()]))
            .await?;
        records::append(
            &mut tx,
            NewRecord {
                kind: RecordKind::ShiftMissed,
                unit_id: *checkpoint,
                person_id: Some(*person),
                occurred_at: *ends,
                value: 1,
                source_kind: "shift_assignment",
                source_id: *id,
                note: None,
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(missed.len() as u64)
}

/// Someone on duty many days in a row.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Streak {
    pub person_id: i64,
    pub name: String,
    pub days: i64,
    pub since: NaiveDate,
}

/// People under a unit who stood duty at least [`STREAK_DAYS`] days in a row within the last 60.
pub async fn streaks(db: &Db, scope: &Scope, unit: i64, now: DateTime<Utc>) -> Result<Vec<Streak>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT a.person_id, p.name, s.starts_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
         JOIN units u ON u.id = s.checkpoint_id JOIN people p ON p.id = a.person_id \
         WHERE a.status IN ('on_duty', 'done') AND u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND s.starts_at >= ").bind(now - chrono::Duration::days(60));
    let rows: Vec<(i64, String, DateTime<Utc>)> = db.all(&sql).await?;
    let names: HashMap<i64, String> = rows.iter().map(|r| (r.0, r.1.clone())).collect();
    let days: Vec<(i64, NaiveDate)> = rows.iter().map(|r| (r.0, r.2.with_timezone(&china()).date_naive())).collect();
    Ok(long_streaks(&days, STREAK_DAYS)
        .into_iter()
        .map(|(person_id, days, since)| Streak {
            person_id,
            name: names.get(&person_id).cloned().unwrap_or_default(),
            days,
            since,
        })
        .collect())
}
