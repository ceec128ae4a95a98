//! Meetings with topics and training with attendance in the store (002.2, 002.1, 003.1, 002.3).

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::meetings::{MeetingKind, TrainingKind, answered_in_time};
use frontline_core::records::RecordKind;
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::{open_unit_in_scope, person_in_tx};
use crate::records::{self, NewRecord};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Sql};

/// A topic as typed: what the committee asks, who answers, by when.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TopicInput {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    pub owner_id: i64,
    pub due_date: NaiveDate,
}

/// A meeting as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct MeetingInput {
    #[schema(value_type = frontline_core::meetings::MeetingKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    pub held_on: NaiveDate,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    #[schema(max_items = 20)]
    pub topics: Vec<TopicInput>,
}

/// Records a meeting of a unit with the topics it set.
pub async fn create_meeting(db: &Db, actor: &Actor, unit_id: i64, m: &MeetingInput) -> Result<i64, DbError> {
    actor.require("work:meeting:edit")?;
    let mut p = Problems::new();
    if MeetingKind::parse(&m.kind).is_none() {
        p.add("kind", "error.meeting.kind");
    }
    let title = p.check(text("title", &m.title, 80));
    let note = p.check(optional_text("note", &m.note, 2000)).flatten();
    if m.topics.len() > 20 {
        p.add("topics", "error.out_of_range");
    }
    for t in &m.topics {
        p.check(text("topics", &t.title, 200));
        if t.due_date < m.held_on {
            p.add("topics", "error.meeting.due_before_meeting");
        }
    }
    p.into_result()?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let now = Utc::now();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO meetings (unit_id, kind, title, held_on, note, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![unit_id.into(), m.kind.clone().into(), title.clone().into(), m.held_on.into(), note.into(), now.into()],
        ))
        .await?;
    for t in &m.topics {
        // The owner must be someone the caller reaches; the topic sits in the owner's home unit.
        let owner = person_in_tx(&mut tx, &actor.scope, t.owner_id)
            .await
            .map_err(|_| DbError::from(DomainError::invalid("topics", "error.meeting.unknown_owner")))?;
        tx.execute(&Sql::with(
            "INSERT INTO meeting_topics (meeting_id, title, owner_id, unit_id, due_date, status, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6)",
            vec![
                id.into(),
                t.title.trim().into(),
                t.owner_id.into(),
                owner.home_unit_id.into(),
                t.due_date.into(),
                now.into(),
            ],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "meeting.create",
            object_kind: "meeting",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": m.kind, "title": title, "held_on": m.held_on, "topics": m.topics.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// A topic with its meeting and answer.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TopicView {
    pub id: i64,
    pub meeting_id: i64,
    pub meeting_title: String,
    pub title: String,
    pub owner_id: i64,
    pub owner_name: String,
    pub unit_name: String,
    pub due_date: NaiveDate,
    pub answer: Option<String>,
    pub answered_at: Option<DateTime<Utc>>,
    pub status: String,
    /// Left unanswered past its date and escalated to the secretary of the unit that set it.
    pub escalated: bool,
}

impl TopicView {
    /// Unanswered past its due date (a topic answered late is answered, its record says late).
    pub fn overdue(&self, today: &NaiveDate) -> bool {
        self.status != "answered" && self.due_date < *today
    }
}

const TOPIC_COLUMNS: &str = "t.id, t.meeting_id, m.title AS meeting_title, t.title, t.owner_id, p.name AS owner_name, \
     u.name AS unit_name, t.due_date, t.answer, t.answered_at, t.status, t.escalated FROM meeting_topics t JOIN meetings m ON m.id = t.meeting_id \
     JOIN people p ON p.id = t.owner_id JOIN units u ON u.id = t.unit_id JOIN units mu ON mu.id = m.unit_id";

/// A meeting with its topics.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub note: Option<String>,
    pub topics: i64,
    pub answered: i64,
}

/// Meetings of the units under a unit, newest first.
pub async fn meetings(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<MeetingView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT m.id, m.unit_id, u.name AS unit_name, m.kind, m.title, m.held_on, m.note, \
         (SELECT COUNT(*) FROM meeting_topics t WHERE t.meeting_id = m.id) AS topics, \
         (SELECT COUNT(*) FROM meeting_topics t WHERE t.meeting_id = m.id AND t.status = 'answered') AS answered \
         FROM meetings m JOIN units u ON u.id = m.unit_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY m.held_on DESC, m.id DESC LIMIT 200");
    db.all(&sql).await
}

/// Topics set by meetings under a unit, or owned by the caller.
pub async fn topics(db: &Db, scope: &Scope, unit: Option<i64>, owner: Option<i64>) -> Result<Vec<TopicView>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {TOPIC_COLUMNS} WHERE ("));
    push_scope(&mut sql, "mu.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR t.owner_id = ").bind(me);
    }
    sql.push(")");
    if let Some(unit) = unit {
        let root = units::get(db, scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND mu.path >= ").bind(lo).push(" AND mu.path < ").bind(hi);
    }
    if let Some(o) = owner {
        sql.push(" AND t.owner_id = ").bind(o);
    }
    sql.push(" ORDER BY t.status, t.due_date, t.id LIMIT 500");
    db.all(&sql).await
}

/// The owner answers a topic (书记答题). Records `topic_answered`, value 1 when by the due date.
pub async fn answer(db: &Db, actor: &Actor, topic: i64, answer: &str) -> Result<TopicView, DbError> {
    actor.require("work:meeting:answer")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("work:meeting:answer".into()))?;
    let answer = text("answer", answer, 2000).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let row: Option<(i64, i64, NaiveDate, String)> = tx
        .opt(&Sql::with(
            "SELECT t.owner_id, t.unit_id, t.due_date, t.status FROM meeting_topics t WHERE t.id = $1 AND t.owner_id = $2",
            vec![topic.into(), me.into()],
        ))
        .await?;
    let Some((_, unit_id, due, status)) = row else { return Err(DomainError::NotFound.into()) };
    if status == "answered" {
        return Err(DomainError::Conflict("error.meeting.answered".into()).into());
    }
    let now = Utc::now();
    tx.execute(&Sql::with(
        "UPDATE meeting_topics SET answer = $1, answered_at = $2, status = 'answered' WHERE id = $3",
        vec![answer.clone().into(), now.into(), topic.into()],
    ))
    .await?;
    let on_time = answered_in_time(due, frontline_core::time::today_in_china(now));
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::TopicAnswered,
            unit_id,
            person_id: Some(me),
            occurred_at: now,
            value: on_time as i64,
            source_kind: "meeting_topic",
            source_id: topic,
            note: None,
        },
    )
    .await?;
    let (path,): (String,) = tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![unit_id.into()])).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "topic.answer",
            object_kind: "meeting_topic",
            object_id: Some(topic),
            unit_path: Some(&path),
            before: json!({"status": status}),
            after: json!({"status": "answered", "on_time": on_time}),
        },
    )
    .await?;
    let view = tx.one(&Sql::with(&format!("SELECT {TOPIC_COLUMNS} WHERE t.id = $1"), vec![topic.into()])).await?;
    tx.commit().await?;
    Ok(view)
}

/// Escalates the topics left unanswered past their date (once each): the owner and the secretary
/// of the unit whose meeting set the topic are told. Run by the jobs loop.
pub async fn escalate_overdue_topics(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let today = frontline_core::time::today_in_china(now);
    let due: Vec<(i64, i64, i64, String, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT t.id, t.owner_id, m.unit_id, t.title, t.due_date FROM meeting_topics t JOIN meetings m ON m.id = t.meeting_id \
             WHERE t.escalated = FALSE AND t.status <> 'answered' AND t.due_date < $1 ORDER BY t.id LIMIT 5000",
            vec![today.into()],
        ))
        .await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut n = 0;
    for (id, owner, setter_unit, title, due_date) in due {
        let changed = tx
            .execute(&Sql::with(
                "UPDATE meeting_topics SET escalated = TRUE WHERE id = $1 AND escalated = FALSE",
                vec![id.into()],
            ))
            .await?;
        if changed == 0 {
            continue;
        }
        let params = json!({"title": title, "due": due_date.to_string()});
        crate::succession::notify(&mut tx, owner, "topic_overdue", params.clone()).await?;
        if let Some((secretary, _)) = crate::responsibility::responsible_holder(&mut tx, setter_unit, today).await?
            && secretary != owner
        {
            crate::succession::notify(&mut tx, secretary, "topic_overdue", params).await?;
        }
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}

/// A training session as typed: who attended is given by person, or as "every party member of
/// this unit" (a branch's whole membership at a party lesson).
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TrainingInput {
    #[schema(value_type = frontline_core::meetings::TrainingKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    pub held_on: NaiveDate,
    #[schema(minimum = 1, maximum = 200)]
    pub hours: i64,
    #[serde(default)]
    pub attendees: Vec<i64>,
    /// Every party member whose home unit lies under this unit attended.
    #[serde(default)]
    pub members_of: Option<i64>,
}

/// Records a training session with its attendance; each attendance is a record.
pub async fn create_training(db: &Db, actor: &Actor, unit_id: i64, t: &TrainingInput) -> Result<(i64, i64), DbError> {
    actor.require("work:meeting:edit")?;
    let mut p = Problems::new();
    if TrainingKind::parse(&t.kind).is_none() {
        p.add("kind", "error.meeting.kind");
    }
    let title = p.check(text("title", &t.title, 80));
    if !(1..=200).contains(&t.hours) {
        p.add("hours", "error.out_of_range");
    }
    if t.attendees.is_empty() && t.members_of.is_none() {
        p.add("attendees", "error.required");
    }
    p.into_result()?;
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let mut people: Vec<(i64, i64)> = Vec::new();
    for a in &t.attendees {
        let person = person_in_tx(&mut tx, &actor.scope, *a)
            .await
            .map_err(|_| DbError::from(DomainError::invalid("attendees", "error.post.unknown_person")))?;
        people.push((person.id, person.home_unit_id));
    }
    if let Some(root) = t.members_of {
        let root_path = open_unit_in_scope(&mut tx, &actor.scope, root)
            .await
            .map_err(|_| DbError::from(DomainError::invalid("members_of", "error.person.unknown_unit")))?;
        let (lo, hi) = subtree_range(&root_path);
        let members: Vec<(i64, i64)> = tx
            .all(&Sql::with(
                "SELECT p.id, p.home_unit_id FROM people p JOIN units u ON u.id = p.home_unit_id WHERE u.path >= $1 \
                 AND u.path < $2 AND p.party_status <> 'none' ORDER BY p.id",
                vec![lo.into(), hi.into()],
            ))
            .await?;
        people.extend(members);
    }
    people.sort();
    people.dedup();
    let now = Utc::now();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO trainings (unit_id, kind, title, held_on, hours, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            vec![unit_id.into(), t.kind.clone().into(), title.clone().into(), t.held_on.into(), t.hours.into(), now.into()],
        ))
        .await?;
    let at = t.held_on.and_hms_opt(1, 0, 0).unwrap_or_default().and_utc();
    let mut rows = Vec::new();
    let mut facts = Vec::new();
    for (person, home) in &people {
        rows.push(vec![id.into(), (*person).into()]);
        facts.push(NewRecord {
            kind: RecordKind::TrainingAttended,
            unit_id: *home,
            person_id: Some(*person),
            occurred_at: at,
            value: t.hours,
            source_kind: "training",
            source_id: id,
            note: None,
        });
    }
    tx.insert_rows("training_attendance", &["training_id", "person_id"], rows).await?;
    records::append_many(&mut tx, facts).await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "training.create",
            object_kind: "training",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": t.kind, "title": title, "held_on": t.held_on, "hours": t.hours, "attendees": people.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok((id, people.len() as i64))
}

/// A training session with its attendance count.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TrainingView {
    pub id: i64,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub hours: i64,
    pub attendees: i64,
}

pub async fn trainings(db: &Db, scope: &Scope, unit: i64) -> Result<Vec<TrainingView>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        "SELECT t.id, u.name AS unit_name, t.kind, t.title, t.held_on, t.hours, \
         (SELECT COUNT(*) FROM training_attendance a WHERE a.training_id = t.id) AS attendees \
         FROM trainings t JOIN units u ON u.id = t.unit_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" ORDER BY t.held_on DESC, t.id DESC LIMIT 200");
    db.all(&sql).await
}

/// Training coverage of one unit's part of the tree: party members, and how many attended any
/// training in the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CoverageRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub members: i64,
    pub trained: i64,
    /// Per cent of the members trained; null when there are no members (not applicable).
    pub percent: Option<f64>,
}

/// "69,000 members trained, full coverage": the subtree first, then each child unit.
pub async fn coverage(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<CoverageRow>, DbError> {
    let root = units::get(db, scope, unit).await?;
    let children = units::children(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let rows: Vec<(String, i64, i64)> = db
        .all(&Sql::with(
            "SELECT u.path, COUNT(*), SUM(CASE WHEN EXISTS (SELECT 1 FROM training_attendance a JOIN trainings t ON t.id = a.training_id \
             WHERE a.person_id = p.id AND t.held_on >= $3 AND t.held_on <= $4) THEN 1 ELSE 0 END) \
             FROM people p JOIN units u ON u.id = p.home_unit_id WHERE u.path >= $1 AND u.path < $2 AND p.party_status <> 'none' \
             GROUP BY u.path",
            vec![lo.into(), hi.into(), from.into(), to.into()],
        ))
        .await?;
    let sum = |prefix: &str| -> (i64, i64) {
        rows.iter().filter(|r| r.0.starts_with(prefix)).fold((0, 0), |(m, t), r| (m + r.1, t + r.2))
    };
    let row = |id: i64, name: String, (members, trained): (i64, i64)| CoverageRow {
        unit_id: id,
        unit_name: name,
        members,
        trained,
        percent: frontline_core::tasks::percent(trained, members),
    };
    let mut out = vec![row(root.id, root.name.clone(), sum(&root.path))];
    for c in children {
        let s = sum(&c.path);
        if s.0 > 0 {
            out.push(row(c.id, c.name, s));
        }
    }
    Ok(out)
}
