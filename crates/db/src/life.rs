//! Organisational life in the store (003.3): the install's rules, the meetings party
//! organisations hold with their attendance, and each organisation's compliance over a period.
//! A meeting is a `meeting_held` record of its organisation, each attendance a `meeting_attended`
//! record of the member, written in the change's transaction.

use chrono::{Duration, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::life::{self, Attendance, Cadence, DEFAULT_RULES, LifeKind, LifeTally, Rule, TakenBy};
use frontline_core::records::{CORRECTED_SOURCE, RecordKind};
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::person_in_tx;
use crate::records::{self, NewRecord};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// Unit kinds that hold organisational life: party branches and general branches. 三会一课 is the
/// branch's system; a party committee (党委, a township's) has its own meetings and is not judged
/// against it (a community's 党委 that works as a branch is a `party_branch` unit).
pub const ORGANISATION_KINDS: [&str; 2] = ["party_branch", "party_general_branch"];

fn organisation_kinds_sql() -> String {
    ORGANISATION_KINDS.iter().map(|k| format!("'{k}'")).collect::<Vec<_>>().join(", ")
}

/// Who counts as a member of an organisation: party members whose home is the organisation, and
/// party members holding a post in it (village cadres live in the village and sit in its branch).
/// `$org` is replaced by the expression naming the organisation's id.
fn members_sql(org: &str) -> String {
    format!(
        "p.party_status <> 'none' AND (p.home_unit_id = {org} OR EXISTS (SELECT 1 FROM tenures t JOIN posts po ON \
         po.id = t.post_id WHERE t.person_id = p.id AND t.end_date IS NULL AND po.unit_id = {org}))"
    )
}

// ---------------------------------------------------------------------------------------------
// Rules

/// The rules in force: the built-in norm, with what the install changed.
pub async fn rules(db: &Db) -> Result<Vec<Rule>, DbError> {
    let stored: Vec<(String, String, i64)> =
        db.all(&Sql::new("SELECT kind, cadence, times FROM life_rules ORDER BY kind")).await?;
    Ok(DEFAULT_RULES
        .iter()
        .map(|d| {
            stored
                .iter()
                .find(|(k, _, _)| k == d.kind.as_str())
                .and_then(|(_, c, t)| {
                    Some(Rule { kind: d.kind, cadence: Cadence::parse(c)?, times: u32::try_from(*t).ok()? })
                })
                .unwrap_or(*d)
        })
        .collect())
}

/// A rule as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RuleInput {
    #[schema(value_type = frontline_core::life::LifeKind)]
    pub kind: String,
    #[schema(value_type = frontline_core::life::Cadence)]
    pub cadence: String,
    #[schema(minimum = 1, maximum = 31)]
    pub times: i64,
}

/// Changes how often a kind of meeting must be held, for the whole install.
pub async fn set_rule(db: &Db, actor: &Actor, input: &RuleInput) -> Result<Rule, DbError> {
    actor.require("system:setting:edit")?;
    let mut p = Problems::new();
    let kind = LifeKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.life.kind");
    }
    let cadence = Cadence::parse(&input.cadence);
    if cadence.is_none() {
        p.add("cadence", "error.life.cadence");
    }
    let times = u32::try_from(input.times).ok().filter(|t| life::TIMES.contains(t));
    if times.is_none() {
        p.add("times", "error.out_of_range");
    }
    p.into_result()?;
    let (Some(kind), Some(cadence), Some(times)) = (kind, cadence, times) else {
        return Err(DomainError::NotFound.into());
    };
    let rule = Rule { kind, cadence, times };
    let before = rules(db).await?.into_iter().find(|r| r.kind == kind);
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with("DELETE FROM life_rules WHERE kind = $1", vec![kind.as_str().into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO life_rules (kind, cadence, times, updated_at) VALUES ($1, $2, $3, $4)",
        vec![kind.as_str().into(), cadence.as_str().into(), i64::from(times).into(), Utc::now().into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "life_rule.set",
            object_kind: "life_rule",
            object_id: None,
            unit_path: None,
            before: json!(before),
            after: json!(rule),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(rule)
}

// ---------------------------------------------------------------------------------------------
// Meetings

/// A meeting as typed by its recorder.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct LifeMeetingInput {
    #[schema(value_type = frontline_core::life::LifeKind)]
    pub kind: String,
    pub held_on: NaiveDate,
    #[schema(min_length = 1, max_length = 100)]
    pub place: String,
    #[schema(min_length = 1, max_length = 200)]
    pub topic: String,
    /// Who presided (a party member).
    #[serde(default)]
    pub presided_by: Option<i64>,
    #[serde(default)]
    #[schema(max_length = 10000)]
    pub minutes: String,
    #[serde(default)]
    #[schema(max_length = 4000)]
    pub resolutions: String,
    /// Members the recorder ticks as present now (more can scan the code or be ticked later).
    #[serde(default)]
    #[schema(max_items = 500)]
    pub present: Vec<i64>,
}

/// The organisation a meeting belongs to, checked: in scope, open, a party organisation.
async fn organisation_in_scope(tx: &mut Tx, scope: &Scope, unit_id: i64) -> Result<String, DbError> {
    let mut sql = Sql::new("SELECT path, kind, closed FROM units u WHERE u.id = ");
    sql.bind(unit_id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let (path, kind, closed): (String, String, bool) =
        tx.opt(&sql).await?.ok_or_else(|| DomainError::invalid("unit_id", "error.person.unknown_unit"))?;
    if closed {
        return Err(DomainError::invalid("unit_id", "error.unit.parent_closed").into());
    }
    if !ORGANISATION_KINDS.contains(&kind.as_str()) {
        return Err(DomainError::invalid("unit_id", "error.life.not_an_organisation").into());
    }
    Ok(path)
}

/// The moment a meeting held on a day is recorded at in the ledger: 09:00 in China.
fn meeting_time(day: NaiveDate) -> chrono::DateTime<Utc> {
    start_of_china_day(day) + Duration::hours(9)
}

/// Records a meeting of a party organisation; the members ticked present are recorded with it.
/// `check_in_code` is the random code its QR code carries.
pub async fn record_meeting(
    db: &Db,
    actor: &Actor,
    unit_id: i64,
    input: &LifeMeetingInput,
    check_in_code: &str,
) -> Result<i64, DbError> {
    actor.require("work:life:record")?;
    let mut p = Problems::new();
    let kind = LifeKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.life.kind");
    }
    let today = today_in_china(Utc::now());
    if input.held_on > today {
        p.add("held_on", "error.life.in_future");
    }
    let place = p.check(text("place", &input.place, 100));
    let topic = p.check(text("topic", &input.topic, 200));
    let minutes = p.check(optional_text("minutes", &input.minutes, 10_000)).flatten();
    let resolutions = p.check(optional_text("resolutions", &input.resolutions, 4_000)).flatten();
    if input.present.len() > 500 {
        p.add("present", "error.out_of_range");
    }
    p.into_result()?;
    let kind = kind.ok_or(DomainError::NotFound)?;
    let mut tx = db.begin().await?;
    let path = organisation_in_scope(&mut tx, &actor.scope, unit_id).await?;
    if let Some(chair) = input.presided_by {
        let person = person_in_tx(&mut tx, &actor.scope, chair)
            .await
            .map_err(|_| DbError::from(DomainError::invalid("presided_by", "error.post.unknown_person")))?;
        if person.party_status == "none" {
            return Err(DomainError::invalid("presided_by", "error.life.not_a_member").into());
        }
    }
    let now = Utc::now();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO life_meetings (unit_id, kind, held_on, place, topic, presided_by, minutes, resolutions, \
             check_in_code, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            vec![
                unit_id.into(),
                kind.as_str().into(),
                input.held_on.into(),
                place.clone().into(),
                topic.clone().into(),
                input.presided_by.into(),
                minutes.into(),
                resolutions.into(),
                check_in_code.into(),
                now.into(),
            ],
        ))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::MeetingHeld,
            unit_id,
            person_id: input.presided_by,
            occurred_at: meeting_time(input.held_on),
            value: 1,
            source_kind: "life_meeting",
            source_id: id,
            note: None,
        },
    )
    .await?;
    let mut present = input.present.clone();
    present.sort_unstable();
    present.dedup();
    for person in &present {
        let who = person_in_tx(&mut tx, &actor.scope, *person)
            .await
            .map_err(|_| DbError::from(DomainError::invalid("present", "error.post.unknown_person")))?;
        if who.party_status == "none" {
            return Err(DomainError::invalid("present", "error.life.not_a_member").into());
        }
        mark_in_tx(
            &mut tx,
            id,
            input.held_on,
            (who.id, who.home_unit_id),
            Attendance::Present,
            None,
            TakenBy::Recorder,
        )
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "life_meeting.create",
            object_kind: "life_meeting",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": kind, "held_on": input.held_on, "place": place, "topic": topic,
                          "presided_by": input.presided_by, "present": present.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Sets one member's attendance at a meeting inside a transaction, keeping the ledger in step:
/// becoming present appends a `meeting_attended` record, ceasing to be present corrects the one
/// that counts (`record_corrected`), so the ledger says who attended as the recorder last said.
/// Returns whether anything changed.
async fn mark_in_tx(
    tx: &mut Tx,
    meeting: i64,
    held_on: NaiveDate,
    (person, home_unit): (i64, i64),
    status: Attendance,
    reason: Option<String>,
    taken_by: TakenBy,
) -> Result<bool, DbError> {
    let before: Option<(i64, String, Option<String>)> = tx
        .opt(&Sql::with(
            "SELECT id, status, reason FROM life_attendance WHERE meeting_id = $1 AND person_id = $2",
            vec![meeting.into(), person.into()],
        ))
        .await?;
    if let Some((_, s, r)) = &before
        && s == status.as_str()
        && *r == reason
    {
        return Ok(false);
    }
    // The attendance record that still counts, if any (none, or corrected, after a change away).
    let counted: Option<(i64,)> = tx
        .opt(&Sql::with(
            "SELECT r.id FROM records r WHERE r.source_kind = 'life_meeting' AND r.source_id = $1 AND r.person_id = $2 \
             AND r.kind = $3 AND NOT EXISTS (SELECT 1 FROM records c WHERE c.source_kind = $4 AND c.source_id = r.id)",
            vec![meeting.into(), person.into(), RecordKind::MeetingAttended.as_str().into(), CORRECTED_SOURCE.into()],
        ))
        .await?;
    let now = Utc::now();
    match (status, counted.map(|c| c.0)) {
        (Attendance::Present, None) => {
            records::append(
                tx,
                NewRecord {
                    kind: RecordKind::MeetingAttended,
                    unit_id: home_unit,
                    person_id: Some(person),
                    occurred_at: meeting_time(held_on),
                    value: 1,
                    source_kind: "life_meeting",
                    source_id: meeting,
                    note: None,
                },
            )
            .await?;
        }
        (Attendance::Leave | Attendance::Absent, Some(attended)) => {
            records::append(
                tx,
                NewRecord {
                    kind: RecordKind::RecordCorrected,
                    unit_id: home_unit,
                    person_id: Some(person),
                    occurred_at: now,
                    value: 1,
                    source_kind: CORRECTED_SOURCE,
                    source_id: attended,
                    note: Some(format!("attendance changed to {}", status.as_str())),
                },
            )
            .await?;
        }
        _ => {}
    }
    match before {
        Some((row, ..)) => {
            tx.execute(&Sql::with(
                "UPDATE life_attendance SET status = $1, reason = $2, taken_by = $3, at = $4 WHERE id = $5",
                vec![status.as_str().into(), reason.into(), taken_by.as_str().into(), now.into(), row.into()],
            ))
            .await?;
        }
        None => {
            tx.execute(&Sql::with(
                "INSERT INTO life_attendance (meeting_id, person_id, status, reason, taken_by, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
                vec![
                    meeting.into(),
                    person.into(),
                    status.as_str().into(),
                    reason.into(),
                    taken_by.as_str().into(),
                    now.into(),
                ],
            ))
            .await?;
        }
    }
    Ok(true)
}

/// An attendance as the recorder sets it.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AttendanceInput {
    pub person_id: i64,
    #[schema(value_type = frontline_core::life::Attendance)]
    pub status: String,
    /// Required for leave (请假): why.
    #[serde(default)]
    #[schema(max_length = 200)]
    pub reason: String,
}

/// The recorder ticks a member present, on leave (with the reason) or absent.
pub async fn mark(db: &Db, actor: &Actor, meeting: i64, input: &AttendanceInput) -> Result<bool, DbError> {
    actor.require("work:life:record")?;
    let mut p = Problems::new();
    let status = Attendance::parse(&input.status);
    if status.is_none() {
        p.add("status", "error.life.attendance");
    }
    let reason = p.check(optional_text("reason", &input.reason, 200)).flatten();
    if status == Some(Attendance::Leave) && reason.is_none() {
        p.add("reason", "error.life.reason_required");
    }
    p.into_result()?;
    let status = status.ok_or(DomainError::NotFound)?;
    let reason = if status == Attendance::Leave { reason } else { None };
    let mut tx = db.begin().await?;
    let (held_on, path) = meeting_in_scope(&mut tx, &actor.scope, meeting).await?;
    let who = person_in_tx(&mut tx, &actor.scope, input.person_id)
        .await
        .map_err(|_| DbError::from(DomainError::invalid("person_id", "error.post.unknown_person")))?;
    if who.party_status == "none" {
        return Err(DomainError::invalid("person_id", "error.life.not_a_member").into());
    }
    let changed =
        mark_in_tx(&mut tx, meeting, held_on, (who.id, who.home_unit_id), status, reason.clone(), TakenBy::Recorder)
            .await?;
    if changed {
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "life_attendance.mark",
                object_kind: "life_meeting",
                object_id: Some(meeting),
                unit_path: Some(&path),
                before: serde_json::Value::Null,
                after: json!({"person_id": who.id, "status": status, "reason": reason}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(changed)
}

async fn meeting_in_scope(tx: &mut Tx, scope: &Scope, meeting: i64) -> Result<(NaiveDate, String), DbError> {
    let mut sql =
        Sql::new("SELECT m.held_on, u.path FROM life_meetings m JOIN units u ON u.id = m.unit_id WHERE m.id = ");
    sql.bind(meeting).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    Ok(tx.opt(&sql).await?.ok_or(DomainError::NotFound)?)
}

/// What a member's scan of a meeting's code did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckIn {
    pub meeting_id: i64,
    pub unit_name: String,
    #[schema(value_type = frontline_core::life::LifeKind)]
    pub kind: LifeKind,
    pub topic: String,
    pub held_on: NaiveDate,
    /// The member had already been recorded present: nothing changed.
    pub already: bool,
}

/// A member checks in at a meeting by scanning its code on their phone. The code is the key: the
/// meeting need not lie in the member's own scope (a member attending another branch's meeting).
pub async fn check_in(db: &Db, actor: &Actor, code: &str) -> Result<CheckIn, DbError> {
    actor.require("work:life:checkin")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Conflict("error.life.no_person".into()))?;
    let code = code.trim();
    if code.is_empty() || code.len() > 64 {
        return Err(DomainError::invalid("code", "error.life.unknown_code").into());
    }
    let mut tx = db.begin().await?;
    let found: Option<(i64, String, String, String, NaiveDate, String)> = tx
        .opt(&Sql::with(
            "SELECT m.id, u.name, m.kind, m.topic, m.held_on, u.path FROM life_meetings m JOIN units u ON u.id = m.unit_id \
             WHERE m.check_in_code = $1",
            vec![code.into()],
        ))
        .await?;
    let (meeting, unit_name, kind, topic, held_on, path) =
        found.ok_or_else(|| DomainError::invalid("code", "error.life.unknown_code"))?;
    let kind = LifeKind::try_from(kind).map_err(DbError::Config)?;
    if !life::check_in_open(held_on, today_in_china(Utc::now())) {
        return Err(DomainError::Conflict("error.life.check_in_closed".into()).into());
    }
    let (status, home): (String, i64) =
        tx.one(&Sql::with("SELECT party_status, home_unit_id FROM people WHERE id = $1", vec![me.into()])).await?;
    if status == "none" {
        return Err(DomainError::Conflict("error.life.not_a_member".into()).into());
    }
    let already: bool = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM life_attendance WHERE meeting_id = $1 AND person_id = $2 AND status = 'present'",
            vec![meeting.into(), me.into()],
        ))
        .await?
        > 0;
    if !already {
        mark_in_tx(&mut tx, meeting, held_on, (me, home), Attendance::Present, None, TakenBy::Scan).await?;
        audit::append(
            &mut tx,
            actor,
            Change {
                action: "life_attendance.check_in",
                object_kind: "life_meeting",
                object_id: Some(meeting),
                unit_path: Some(&path),
                before: serde_json::Value::Null,
                after: json!({"person_id": me}),
            },
        )
        .await?;
    }
    tx.commit().await?;
    Ok(CheckIn { meeting_id: meeting, unit_name, kind, topic, held_on, already })
}

/// A meeting as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct LifeMeetingRow {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    #[sqlx(try_from = "String")]
    #[schema(value_type = frontline_core::life::LifeKind)]
    pub kind: LifeKind,
    pub held_on: NaiveDate,
    pub place: String,
    pub topic: String,
    pub presided_name: Option<String>,
    pub present: i64,
    pub leave: i64,
}

const ROW_COLUMNS: &str = "m.id, m.unit_id, u.name AS unit_name, m.kind, m.held_on, m.place, m.topic, \
    ch.name AS presided_name, \
    (SELECT COUNT(*) FROM life_attendance a WHERE a.meeting_id = m.id AND a.status = 'present') AS present, \
    (SELECT COUNT(*) FROM life_attendance a WHERE a.meeting_id = m.id AND a.status = 'leave') AS leave";

/// Which meetings to list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingQuery {
    /// Only this kind (blank: all).
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub kind: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Meetings held in a unit's part of the tree, newest first, a page at a time.
pub async fn meetings(db: &Db, scope: &Scope, unit: i64, q: &MeetingQuery) -> Result<Page<LifeMeetingRow>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut f = Sql::new(
        " FROM life_meetings m JOIN units u ON u.id = m.unit_id LEFT JOIN people ch ON ch.id = m.presided_by \
         WHERE u.path >= ",
    );
    f.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    if let Some(kind) = q.kind.as_deref().filter(|k| !k.is_empty()) {
        let kind = LifeKind::parse(kind).ok_or_else(|| DomainError::invalid("kind", "error.life.kind"))?;
        f.push(" AND m.kind = ").bind(kind.as_str());
    }
    if let Some(from) = q.from {
        f.push(" AND m.held_on >= ").bind(from);
    }
    if let Some(to) = q.to {
        f.push(" AND m.held_on <= ").bind(to);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    db.page_of(ROW_COLUMNS, f, "m.held_on DESC, m.id DESC", page, per_page).await
}

/// A meeting with its record and who attended.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct LifeMeetingView {
    #[serde(flatten)]
    pub row: LifeMeetingRow,
    pub presided_by: Option<i64>,
    pub minutes: Option<String>,
    pub resolutions: Option<String>,
    /// The code members scan to check in (shown to those who may record the meeting).
    pub check_in_code: Option<String>,
    /// Whether scanning still records attendance (the meeting's day and the day after).
    pub check_in_open: bool,
    /// The organisation's members, each with their attendance, then anyone else who attended.
    pub attendance: Vec<AttendanceRow>,
    /// The meeting's photos (ids of attachments, shown at `/work/attachments/{id}`), oldest first.
    pub photos: Vec<i64>,
}

/// One member's attendance.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AttendanceRow {
    pub person_id: i64,
    pub name: String,
    /// Null: not recorded yet.
    #[schema(value_type = Option<frontline_core::life::Attendance>)]
    pub status: Option<Attendance>,
    pub reason: Option<String>,
    #[schema(value_type = Option<frontline_core::life::TakenBy>)]
    pub taken_by: Option<TakenBy>,
    /// A member of the organisation (otherwise a guest who attended).
    pub member: bool,
}

/// A stored code that may be null, typed.
fn optional_code<T: TryFrom<String, Error = String>>(code: Option<String>) -> Result<Option<T>, DbError> {
    code.map(T::try_from).transpose().map_err(DbError::Config)
}

/// One meeting, if it lies in the caller's scope; the check-in code only for `show_code`.
pub async fn meeting(db: &Db, scope: &Scope, id: i64, show_code: bool) -> Result<LifeMeetingView, DbError> {
    let mut sql = Sql::new(&format!(
        "SELECT {ROW_COLUMNS} FROM life_meetings m JOIN units u ON u.id = m.unit_id \
         LEFT JOIN people ch ON ch.id = m.presided_by WHERE m.id = "
    ));
    sql.bind(id).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let row: LifeMeetingRow = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let (presided_by, minutes, resolutions, code): (Option<i64>, Option<String>, Option<String>, String) = db
        .one(&Sql::with(
            "SELECT presided_by, minutes, resolutions, check_in_code FROM life_meetings WHERE id = $1",
            vec![id.into()],
        ))
        .await?;
    let members = members_sql("$2");
    type Raw = (i64, String, Option<String>, Option<String>, Option<String>, bool);
    let raw: Vec<Raw> = db
        .all(&Sql::with(
            &format!(
                "SELECT p.id AS person_id, p.name, a.status, a.reason, a.taken_by, TRUE AS member FROM people p \
                 LEFT JOIN life_attendance a ON a.person_id = p.id AND a.meeting_id = $1 WHERE {members} \
                 UNION ALL \
                 SELECT p.id, p.name, a.status, a.reason, a.taken_by, FALSE FROM life_attendance a \
                 JOIN people p ON p.id = a.person_id WHERE a.meeting_id = $1 AND NOT ({members}) \
                 ORDER BY 6 DESC, 1 LIMIT 1000"
            ),
            vec![id.into(), row.unit_id.into()],
        ))
        .await?;
    let attendance = raw
        .into_iter()
        .map(|(person_id, name, status, reason, taken_by, member)| {
            Ok(AttendanceRow {
                person_id,
                name,
                status: optional_code(status)?,
                reason,
                taken_by: optional_code(taken_by)?,
                member,
            })
        })
        .collect::<Result<Vec<_>, DbError>>()?;
    let open = life::check_in_open(row.held_on, today_in_china(Utc::now()));
    let photos: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT attachment_id FROM life_meeting_photos WHERE meeting_id = $1 ORDER BY attachment_id",
            vec![id.into()],
        ))
        .await?;
    Ok(LifeMeetingView {
        photos: photos.into_iter().map(|(p,)| p).collect(),
        row,
        presided_by,
        minutes,
        resolutions,
        check_in_code: show_code.then_some(code),
        check_in_open: open,
        attendance,
    })
}

/// The most photos one meeting keeps.
pub const MEETING_PHOTOS_MAX: i64 = 20;

/// A photo of a meeting, added by whoever may record meetings of its organisation: cleaned,
/// hashed and placed as every photo is (`evidence::clean_photo`), kept in the same transaction as its
/// link and the audit entry; one sent from a phone without signal keeps the phone's time too.
/// Returns the photo's id.
pub async fn add_photo(
    db: &Db,
    actor: &Actor,
    meeting: i64,
    upload: &crate::evidence::Upload,
    when: frontline_core::time::Timing,
) -> Result<i64, DbError> {
    actor.require("work:life:record")?;
    // A meeting out of reach does not exist, whatever is sent to it.
    let mut sql = Sql::new("SELECT u.path FROM life_meetings m JOIN units u ON u.id = m.unit_id WHERE m.id = ");
    sql.bind(meeting).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let (path,): (String,) = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let photo = crate::evidence::clean_photo("photo", &upload.content_type, &upload.data, upload.place)?;
    let mut tx = db.begin().await?;
    let kept = tx
        .count(&Sql::with("SELECT COUNT(*) FROM life_meeting_photos WHERE meeting_id = $1", vec![meeting.into()]))
        .await?;
    if kept >= MEETING_PHOTOS_MAX {
        return Err(DomainError::invalid("photo", "error.life.too_many_photos").into());
    }
    let id = crate::evidence::insert_photo(&mut tx, actor.scope.person_id, photo, when).await?;
    tx.execute(&Sql::with(
        "INSERT INTO life_meeting_photos (meeting_id, attachment_id) VALUES ($1, $2)",
        vec![meeting.into(), id.into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "life.photo",
            object_kind: "life_meeting",
            object_id: Some(meeting),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"attachment_id": id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Party members of an organisation (for the recorder's lists), by name.
pub async fn members(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<(i64, String)>, DbError> {
    units::get(db, scope, unit).await?;
    db.all(&Sql::with(
        &format!("SELECT p.id, p.name FROM people p WHERE {} ORDER BY p.id LIMIT 1000", members_sql("$1")),
        vec![unit.into()],
    ))
    .await
}

/// Open party organisations under a path (within scope), by name: choices for a form.
pub async fn organisations_under(
    db: &Db,
    scope: &Scope,
    root_path: &str,
    limit: i64,
) -> Result<Vec<(i64, String)>, DbError> {
    let (lo, hi) = subtree_range(root_path);
    let mut sql = Sql::new(&format!(
        "SELECT u.id, u.name FROM units u WHERE u.kind IN ({}) AND NOT u.closed AND u.path >= ",
        organisation_kinds_sql()
    ));
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY u.path LIMIT ").bind(limit);
    db.all(&sql).await
}

// ---------------------------------------------------------------------------------------------
// Compliance

/// One kind of meeting judged.
#[derive(Debug, Clone, Copy, Serialize, utoipa::ToSchema)]
pub struct KindTally {
    #[schema(value_type = frontline_core::life::LifeKind)]
    pub kind: LifeKind,
    #[serde(flatten)]
    pub tally: LifeTally,
}

/// Compliance of a part of the tree: every kind of meeting, summed over its organisations.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ComplianceRow {
    pub unit_id: i64,
    pub unit_name: String,
    /// Party organisations in this part of the tree.
    pub organisations: i64,
    /// Organisations with at least one period missed.
    pub behind: i64,
    pub kinds: Vec<KindTally>,
    /// All kinds together.
    pub total: LifeTally,
    /// Per cent of the judged periods met; null when nothing was due.
    pub percent: Option<f64>,
}

/// One organisation that missed a period, with what it missed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BehindRow {
    pub unit_id: i64,
    pub unit_name: String,
    /// The unit above it (the village of a village branch).
    pub parent_name: String,
    pub missed: i64,
    pub due: i64,
    pub percent: Option<f64>,
    /// The kinds it missed, each with how many periods.
    pub missed_kinds: Vec<KindTally>,
    pub last_held: Option<NaiveDate>,
}

/// Compliance over a period: the part of the tree as a whole, each unit below it, and the
/// organisations behind (most periods missed first), a page at a time.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Compliance {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day periods were judged on: a period counts once it has ended before this day.
    pub judged_on: NaiveDate,
    pub rules: Vec<Rule>,
    pub whole: ComplianceRow,
    pub children: Vec<ComplianceRow>,
    pub behind: Page<BehindRow>,
}

/// One party organisation judged against the rules, kind by kind.
#[derive(Debug, Clone)]
pub struct Judged {
    pub id: i64,
    pub path: String,
    pub name: String,
    pub parent_id: Option<i64>,
    pub parent_name: String,
    pub kinds: Vec<KindTally>,
    /// The last meeting it held in the period.
    pub last_held: Option<NaiveDate>,
}

impl Judged {
    /// All kinds together.
    pub fn total(&self) -> LifeTally {
        self.kinds.iter().fold(LifeTally::default(), |mut t, k| {
            t.add(&k.tally);
            t
        })
    }
}

/// Every open party organisation under `root_path` (within scope) judged over `period`, in tree
/// order: one read of the organisations and one of their meetings in the period.
pub async fn judge_organisations(
    db: &Db,
    scope: &Scope,
    root_path: &str,
    rules: &[Rule],
    (from, to): (NaiveDate, NaiveDate),
    today: NaiveDate,
) -> Result<Vec<Judged>, DbError> {
    let (lo, hi) = subtree_range(root_path);
    let mut orgs_sql = Sql::new(&format!(
        "SELECT u.id, u.path, u.name, u.parent_id, COALESCE(pa.name, ''), t.starts_on, t.ends_on FROM units u \
         LEFT JOIN units pa ON pa.id = u.parent_id LEFT JOIN temporary_orgs t ON t.unit_id = u.id \
         WHERE u.kind IN ({}) AND NOT u.closed AND u.path >= ",
        organisation_kinds_sql()
    ));
    orgs_sql.bind(lo.clone()).push(" AND u.path < ").bind(hi.clone()).push(" AND ");
    push_scope(&mut orgs_sql, "u.path", scope);
    orgs_sql.push(" ORDER BY u.path");
    type OrgRow = (i64, String, String, Option<i64>, String, Option<NaiveDate>, Option<NaiveDate>);
    let orgs: Vec<OrgRow> = db.all(&orgs_sql).await?;
    let held: Vec<(i64, String, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT m.unit_id, m.kind, m.held_on FROM life_meetings m JOIN units u ON u.id = m.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND m.held_on >= $3 AND m.held_on <= $4 ORDER BY m.unit_id",
            vec![lo.into(), hi.into(), from.into(), to.into()],
        ))
        .await?;
    let mut by_org: std::collections::HashMap<i64, Vec<(&str, NaiveDate)>> = Default::default();
    for (unit, kind, on) in &held {
        by_org.entry(*unit).or_default().push((kind.as_str(), *on));
    }
    Ok(orgs
        .into_iter()
        .map(|(id, path, name, parent_id, parent_name, starts, ends)| {
            let mine = by_org.get(&id).map(Vec::as_slice).unwrap_or_default();
            // A temporary organisation is judged only while it lasts.
            let (from, to) = (starts.map_or(from, |s| s.max(from)), ends.map_or(to, |e| e.min(to)));
            let kinds = rules
                .iter()
                .map(|r| {
                    let dates: Vec<NaiveDate> = mine.iter().filter(|h| h.0 == r.kind.as_str()).map(|h| h.1).collect();
                    KindTally { kind: r.kind, tally: life::judge(r, &dates, from, to, today) }
                })
                .collect();
            Judged { id, path, name, parent_id, parent_name, kinds, last_held: mine.iter().map(|h| h.1).max() }
        })
        .collect())
}

/// The compliance of a unit's part of the tree with the rules, over `from..=to`, as of `today`.
#[allow(clippy::too_many_arguments)]
pub async fn compliance(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
    today: NaiveDate,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Compliance, DbError> {
    if to < from {
        return Err(DomainError::invalid("to", "error.period.reversed").into());
    }
    let root = units::get(db, scope, unit).await?;
    let children = units::children(db, scope, unit).await?;
    let rules = rules(db).await?;
    let judged = judge_organisations(db, scope, &root.path, &rules, (from, to), today).await?;
    let sum = |unit_id: i64, unit_name: String, prefix: &str| -> ComplianceRow {
        let mut kinds: Vec<KindTally> =
            rules.iter().map(|r| KindTally { kind: r.kind, tally: LifeTally::default() }).collect();
        let mut total = LifeTally::default();
        let (mut organisations, mut behind) = (0, 0);
        for o in judged.iter().filter(|o| o.path.starts_with(prefix)) {
            organisations += 1;
            let mut missed = 0;
            for (acc, k) in kinds.iter_mut().zip(&o.kinds) {
                acc.tally.add(&k.tally);
                total.add(&k.tally);
                missed += k.tally.missed;
            }
            if missed > 0 {
                behind += 1;
            }
        }
        ComplianceRow { unit_id, unit_name, organisations, behind, kinds, total, percent: total.percent() }
    };
    let whole = sum(root.id, root.name.clone(), &root.path);
    let children: Vec<ComplianceRow> =
        children.into_iter().map(|c| sum(c.id, c.name, &c.path)).filter(|r| r.organisations > 0).collect();
    let mut behind: Vec<BehindRow> = judged
        .into_iter()
        .filter_map(|o| {
            let total = o.total();
            (total.missed > 0).then(|| BehindRow {
                unit_id: o.id,
                unit_name: o.name,
                parent_name: o.parent_name,
                missed: total.missed,
                due: total.due,
                percent: total.percent(),
                missed_kinds: o.kinds.into_iter().filter(|k| k.tally.missed > 0).collect(),
                last_held: o.last_held,
            })
        })
        .collect();
    behind.sort_by(|a, b| {
        b.missed
            .cmp(&a.missed)
            .then(a.percent.partial_cmp(&b.percent).unwrap_or(std::cmp::Ordering::Equal))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    let total = behind.len() as i64;
    let items = behind.into_iter().skip(((page - 1) * per_page) as usize).take(per_page as usize).collect();
    Ok(Compliance { from, to, judged_on: today, rules, whole, children, behind: Page { items, total, page, per_page } })
}

// ---------------------------------------------------------------------------------------------
// Temporary organisations and alliances (003.6)

/// What makes a party organisation temporary, as typed: the checkpoint or task it serves, why,
/// and while when.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TemporaryInput {
    /// The checkpoint (or other unit) it serves, if any.
    #[serde(default)]
    pub serves_unit_id: Option<i64>,
    #[schema(min_length = 1, max_length = 200)]
    pub purpose: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// A temporary organisation (临时党组织) as shown.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TemporaryView {
    pub unit_id: i64,
    pub unit_name: String,
    pub serves_unit_id: Option<i64>,
    pub serves_name: Option<String>,
    pub purpose: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

/// Marks a party organisation as temporary (set up at a checkpoint or for a task): its
/// organisational life is judged only between its first and last day.
pub async fn make_temporary(db: &Db, actor: &Actor, unit: i64, input: &TemporaryInput) -> Result<(), DbError> {
    actor.require("units:unit:edit")?;
    let mut p = Problems::new();
    let purpose = p.check(text("purpose", &input.purpose, 200));
    if input.ends_on < input.starts_on {
        p.add("ends_on", "error.period.reversed");
    }
    p.into_result()?;
    let mut tx = db.begin().await?;
    let path = organisation_in_scope(&mut tx, &actor.scope, unit).await?;
    if let Some(serves) = input.serves_unit_id {
        let mut sql = Sql::new("SELECT COUNT(*) FROM units u WHERE u.id = ");
        sql.bind(serves).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("serves_unit_id", "error.person.unknown_unit").into());
        }
    }
    tx.execute(&Sql::with("DELETE FROM temporary_orgs WHERE unit_id = $1", vec![unit.into()])).await?;
    tx.execute(&Sql::with(
        "INSERT INTO temporary_orgs (unit_id, serves_unit_id, purpose, starts_on, ends_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            unit.into(),
            input.serves_unit_id.into(),
            purpose.clone().into(),
            input.starts_on.into(),
            input.ends_on.into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "unit.temporary",
            object_kind: "unit",
            object_id: Some(unit),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"serves_unit_id": input.serves_unit_id, "purpose": purpose,
                          "starts_on": input.starts_on, "ends_on": input.ends_on}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Temporary organisations of a unit's part of the tree, the latest first.
pub async fn temporaries(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<TemporaryView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT t.unit_id, u.name AS unit_name, t.serves_unit_id, s.name AS serves_name, t.purpose, t.starts_on, \
         t.ends_on FROM temporary_orgs t JOIN units u ON u.id = t.unit_id LEFT JOIN units s ON s.id = t.serves_unit_id \
         WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY t.starts_on DESC, t.unit_id LIMIT 200");
    db.all(&sql).await
}

/// An alliance as typed: its name, what it is for, and its member organisations.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AllianceInput {
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    #[schema(min_length = 1, max_length = 200)]
    pub purpose: String,
    /// Member units (party organisations, enterprises, departments…) within the caller's scope.
    #[serde(default)]
    #[schema(max_items = 200)]
    pub members: Vec<i64>,
}

/// An alliance with its members.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AllianceView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub name: String,
    pub purpose: String,
    /// Member units: id and name.
    pub members: Vec<(i64, String)>,
}

async fn add_members(
    tx: &mut Tx,
    scope: &Scope,
    alliance: i64,
    members: &[i64],
    on: NaiveDate,
) -> Result<usize, DbError> {
    let mut added = 0;
    for m in members {
        let mut sql = Sql::new("SELECT COUNT(*) FROM units u WHERE NOT u.closed AND u.id = ");
        sql.bind(*m).push(" AND ");
        push_scope(&mut sql, "u.path", scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("members", "error.person.unknown_unit").into());
        }
        let exists = tx
            .count(&Sql::with(
                "SELECT COUNT(*) FROM alliance_members WHERE alliance_id = $1 AND unit_id = $2",
                vec![alliance.into(), (*m).into()],
            ))
            .await?;
        if exists == 0 {
            tx.execute(&Sql::with(
                "INSERT INTO alliance_members (alliance_id, unit_id, joined_on) VALUES ($1, $2, $3)",
                vec![alliance.into(), (*m).into(), on.into()],
            ))
            .await?;
            added += 1;
        }
    }
    Ok(added)
}

/// Forms an alliance (e.g. 红色抗疫联盟) at a unit with its first members.
pub async fn create_alliance(db: &Db, actor: &Actor, unit: i64, input: &AllianceInput) -> Result<i64, DbError> {
    actor.require("units:unit:edit")?;
    let mut p = Problems::new();
    let name = p.check(text("name", &input.name, 60));
    let purpose = p.check(text("purpose", &input.purpose, 200));
    if input.members.len() > 200 {
        p.add("members", "error.out_of_range");
    }
    p.into_result()?;
    let mut tx = db.begin().await?;
    let path = crate::people::open_unit_in_scope(&mut tx, &actor.scope, unit)
        .await
        .map_err(|_| DbError::from(DomainError::invalid("unit_id", "error.person.unknown_unit")))?;
    let now = Utc::now();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO alliances (unit_id, name, purpose, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vec![unit.into(), name.clone().into(), purpose.clone().into(), now.into()],
        ))
        .await?;
    let added = add_members(&mut tx, &actor.scope, id, &input.members, today_in_china(now)).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "alliance.create",
            object_kind: "alliance",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"name": name, "purpose": purpose, "members": added}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Adds member units to an alliance the caller reaches; returns how many were new.
pub async fn join_alliance(db: &Db, actor: &Actor, alliance: i64, members: &[i64]) -> Result<usize, DbError> {
    actor.require("units:unit:edit")?;
    if members.is_empty() || members.len() > 200 {
        return Err(DomainError::invalid("members", "error.out_of_range").into());
    }
    let mut tx = db.begin().await?;
    let mut sql = Sql::new("SELECT u.path FROM alliances a JOIN units u ON u.id = a.unit_id WHERE a.id = ");
    sql.bind(alliance).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let (path,): (String,) = tx.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let added = add_members(&mut tx, &actor.scope, alliance, members, today_in_china(Utc::now())).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "alliance.join",
            object_kind: "alliance",
            object_id: Some(alliance),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"members": members, "added": added}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(added)
}

/// Alliances formed in a unit's part of the tree, with their members.
pub async fn alliances(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<AllianceView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT a.id, a.unit_id, u.name, a.name, a.purpose FROM alliances a JOIN units u ON u.id = a.unit_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY a.id DESC LIMIT 100");
    let rows: Vec<(i64, i64, String, String, String)> = db.all(&sql).await?;
    let mut out = Vec::new();
    for (id, unit_id, unit_name, name, purpose) in rows {
        let members: Vec<(i64, String)> = db
            .all(&Sql::with(
                "SELECT u.id, u.name FROM alliance_members m JOIN units u ON u.id = m.unit_id WHERE m.alliance_id = $1 \
                 ORDER BY u.path LIMIT 500",
                vec![id.into()],
            ))
            .await?;
        out.push(AllianceView { id, unit_id, unit_name, name, purpose, members });
    }
    Ok(out)
}
