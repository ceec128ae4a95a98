//! Household checks in the store (000.6): survey forms as data, responses filed by those
//! responsible for a household, the village's daily compilation and the risk list.
//!
//! Who may see or file a household's answers: whoever's data scope reaches the household (the
//! village secretary and above), and whoever answers for it in person — the holder of a post in
//! one of its units (the grid worker of its grid) or someone linked to it or to its group (党员
//! 中心户, 包组).

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::records::RecordKind;
use frontline_core::surveys::{FieldType, FormSpec};
use frontline_core::units::{path_ids, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::open_unit_in_scope;
use crate::records::{self, NewRecord};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// A survey form.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FormView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    /// The fields as JSON (see `FormField`).
    pub fields: String,
    pub active: bool,
    #[serde(skip)]
    pub unit_path: String,
}

impl FormView {
    pub fn spec(&self) -> Result<FormSpec, DomainError> {
        FormSpec::parse(&self.fields)
    }
}

/// Adds a form to a unit (a county's own form needs no new release).
pub async fn create_form(db: &Db, actor: &Actor, unit_id: i64, title: &str, fields: &str) -> Result<i64, DbError> {
    actor.require("work:survey:edit")?;
    let mut p = frontline_core::error::Problems::new();
    let title = p.check(frontline_core::error::text("title", title, 60));
    let spec = match FormSpec::parse(fields) {
        Ok(s) => Some(s),
        Err(DomainError::Invalid(errs)) => {
            for e in errs {
                p.add(&e.field, &e.code);
            }
            None
        }
        Err(e) => return Err(e.into()),
    };
    p.into_result()?;
    let (Some(title), Some(spec)) = (title, spec) else {
        return Err(DomainError::invalid("fields", "error.invalid").into());
    };
    let mut tx = db.begin().await?;
    let path = open_unit_in_scope(&mut tx, &actor.scope, unit_id).await?;
    let stored =
        serde_json::to_string(&spec.fields).map_err(|_| DomainError::invalid("fields", "error.survey.bad_fields"))?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO forms (unit_id, title, fields, active, created_at) VALUES ($1, $2, $3, TRUE, $4) RETURNING id",
            vec![unit_id.into(), title.clone().into(), stored.into(), Utc::now().into()],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "survey_form.create",
            object_kind: "form",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"title": title, "fields": spec.fields.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const FORM_COLUMNS: &str = "f.id, f.unit_id, u.name AS unit_name, f.title, f.fields, f.active, u.path AS unit_path FROM forms f JOIN units u ON u.id = f.unit_id";

/// The active forms the caller may use: those of their units and of the units above them.
pub async fn forms(db: &Db, actor: &Actor) -> Result<Vec<FormView>, DbError> {
    let all: Vec<FormView> =
        db.all(&Sql::new(&format!("SELECT {FORM_COLUMNS} WHERE f.active = TRUE ORDER BY f.id"))).await?;
    let mine = responsible_paths(db, actor).await?;
    Ok(all
        .into_iter()
        .filter(|f| {
            actor.scope.reaches(&f.unit_path)
                || actor
                    .scope
                    .subtrees
                    .iter()
                    .chain(&actor.scope.units)
                    .chain(&mine)
                    .any(|p| p.starts_with(&f.unit_path))
        })
        .collect())
}

async fn form_in(tx: &mut Tx, id: i64) -> Result<FormView, DbError> {
    tx.opt(&Sql::with(&format!("SELECT {FORM_COLUMNS} WHERE f.id = $1 AND f.active = TRUE"), vec![id.into()]))
        .await?
        .ok_or_else(|| DomainError::invalid("form_id", "error.survey.unknown_form").into())
}

/// Paths of the units the caller's person answers for in person: current posts and links.
async fn responsible_paths(db: &Db, actor: &Actor) -> Result<Vec<String>, DbError> {
    let Some(me) = actor.scope.person_id else { return Ok(Vec::new()) };
    let today = frontline_core::time::today_in_china(Utc::now());
    let rows: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT u.path FROM posts po JOIN tenures t ON t.post_id = po.id JOIN units u ON u.id = po.unit_id \
             WHERE t.person_id = $1 AND t.end_date IS NULL AND u.kind IN ('grid', 'household_group', 'household') UNION \
             SELECT u.path FROM links l JOIN units u ON u.id = l.unit_id WHERE l.person_id = $1 AND l.start_date <= $2 \
             AND (l.end_date IS NULL OR l.end_date > $2) AND u.kind IN ('grid', 'household_group', 'household')",
            vec![me.into(), today.into()],
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// `(h.path in scope OR under one of these paths)`.
fn push_responsible(sql: &mut Sql, column: &str, scope: &Scope, paths: &[String]) {
    sql.push("(");
    push_scope(sql, column, scope);
    for p in paths {
        let (lo, hi) = subtree_range(p);
        sql.push(" OR (").push(column).push(" >= ").bind(lo).push(" AND ").push(column).push(" < ").bind(hi).push(")");
    }
    sql.push(")");
}

/// A household with its latest check.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HouseholdView {
    pub id: i64,
    pub name: String,
    pub group_name: String,
    pub last_checked: Option<NaiveDate>,
    pub at_risk: Option<bool>,
}

/// Households the caller answers for (or, with a unit, those of its subtree), in tree order.
pub async fn households(db: &Db, actor: &Actor, unit: Option<i64>) -> Result<Vec<HouseholdView>, DbError> {
    let mine = responsible_paths(db, actor).await?;
    let mut sql = Sql::new(
        "SELECT h.id, h.name, g.name AS group_name, \
         (SELECT MAX(r.filled_on) FROM survey_responses r WHERE r.household_id = h.id) AS last_checked, \
         (SELECT r.risk FROM survey_responses r WHERE r.household_id = h.id ORDER BY r.filled_on DESC, r.id DESC LIMIT 1) AS at_risk \
         FROM units h JOIN units g ON g.id = h.parent_id WHERE h.kind = 'household' AND h.closed = FALSE AND ",
    );
    push_responsible(&mut sql, "h.path", &actor.scope, &mine);
    if let Some(unit) = unit {
        let root = units::get(db, &actor.scope, unit).await?;
        let (lo, hi) = subtree_range(&root.path);
        sql.push(" AND h.path >= ").bind(lo).push(" AND h.path < ").bind(hi);
    }
    sql.push(" ORDER BY h.path LIMIT 500");
    db.all(&sql).await
}

async fn household_in(tx: &mut Tx, db: &Db, actor: &Actor, id: i64) -> Result<(String, String), DbError> {
    let mine = responsible_paths(db, actor).await?;
    let mut sql = Sql::new("SELECT h.path, h.name FROM units h WHERE h.kind = 'household' AND h.id = ");
    sql.bind(id).push(" AND ");
    push_responsible(&mut sql, "h.path", &actor.scope, &mine);
    tx.opt(&sql).await?.ok_or_else(|| DomainError::NotFound.into())
}

/// The name of a household the caller answers for, with its group (`五户联防第1组 · 第1组1号户`).
pub async fn household_name(db: &Db, actor: &Actor, id: i64) -> Result<String, DbError> {
    let mut tx = db.begin().await?;
    let (path, name) = household_in(&mut tx, db, actor, id).await?;
    let parent = frontline_core::units::path_ids(&path).into_iter().rev().nth(1).unwrap_or_default();
    let group: Option<(String,)> =
        tx.opt(&Sql::with("SELECT name FROM units WHERE id = $1", vec![parent.into()])).await?;
    tx.commit().await?;
    Ok(match group {
        Some((g,)) => format!("{g} · {name}"),
        None => name,
    })
}

/// One filled form.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ResponseView {
    pub id: i64,
    pub form_id: i64,
    pub form_title: String,
    pub household_id: i64,
    pub household_name: String,
    pub person_name: String,
    pub filled_on: NaiveDate,
    /// The answers as JSON, keyed by field.
    pub answers: String,
    pub risk: bool,
    /// Labels of the fields that put the household at risk, `|` separated.
    pub risk_reasons: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub household_path: String,
}

const RESPONSE_FIELDS: &str = "r.id, r.form_id, f.title AS form_title, r.household_id, h.name AS household_name, \
     p.name AS person_name, r.filled_on, r.answers, r.risk, r.risk_reasons, r.created_at, h.path AS household_path";
const RESPONSE_JOINS: &str =
    " JOIN forms f ON f.id = r.form_id JOIN units h ON h.id = r.household_id JOIN people p ON p.id = r.person_id";

/// The checks of one household, newest first.
pub async fn responses(db: &Db, actor: &Actor, household: i64) -> Result<Vec<ResponseView>, DbError> {
    actor.require("work:survey:list")?;
    let mut tx = db.begin().await?;
    household_in(&mut tx, db, actor, household).await?;
    let list = tx
        .all(&Sql::with(
            &format!(
                "SELECT {RESPONSE_FIELDS} FROM survey_responses r{RESPONSE_JOINS} WHERE r.household_id = $1 \
                 ORDER BY r.filled_on DESC, r.id DESC LIMIT 50"
            ),
            vec![household.into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(list)
}

/// Files a form for a household: answers checked against the form, the risk worked out from
/// them, a `survey_filed` record (value 1 when at risk). The audit entry names the form and the
/// household, not the answers.
pub async fn file(
    db: &Db,
    actor: &Actor,
    household: i64,
    form_id: i64,
    filled_on: NaiveDate,
    answers: &BTreeMap<String, serde_json::Value>,
    when: frontline_core::time::Timing,
) -> Result<ResponseView, DbError> {
    actor.require("work:survey:fill")?;
    let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("work:survey:fill".into()))?;
    let today = frontline_core::time::today_in_china(Utc::now());
    if filled_on > today || filled_on < today - chrono::Duration::days(31) {
        return Err(DomainError::invalid("filled_on", "error.survey.bad_day").into());
    }
    let mut tx = db.begin().await?;
    let (path, _) = household_in(&mut tx, db, actor, household).await?;
    let form = form_in(&mut tx, form_id).await?;
    let checked = form.spec()?.check(answers)?;
    let stored =
        serde_json::to_string(&checked.answers).map_err(|_| DomainError::invalid("answers", "error.invalid"))?;
    let reasons = checked.risk_reasons.join("|");
    // A check made offline counts from when the phone says it was made (where believed); the
    // row keeps that and its arrival (`created_at`).
    let now = when.trusted();
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO survey_responses (form_id, household_id, person_id, filled_on, answers, risk, risk_reasons, \
             device_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            vec![
                form_id.into(),
                household.into(),
                me.into(),
                filled_on.into(),
                stored.into(),
                checked.at_risk().into(),
                reasons.into(),
                when.device.into(),
                when.received.into(),
            ],
        ))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::SurveyFiled,
            unit_id: household,
            person_id: Some(me),
            occurred_at: now,
            value: checked.at_risk() as i64,
            source_kind: "survey_response",
            source_id: id,
            note: None,
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "survey.file",
            object_kind: "survey_response",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"form_id": form_id, "household_id": household, "filled_on": filled_on, "risk": checked.at_risk()}),
        },
    )
    .await?;
    let view = tx
        .one(&Sql::with(
            &format!("SELECT {RESPONSE_FIELDS} FROM survey_responses r{RESPONSE_JOINS} WHERE r.id = $1"),
            vec![id.into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(view)
}

/// The village's compilation (汇总) for a day, out of the answers.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Compilation {
    pub households: i64,
    /// Households with at least one check so far.
    pub checked: i64,
    /// Checks filed on the day.
    pub filed_on_day: i64,
    /// Households whose latest check puts them at risk.
    pub at_risk: i64,
    /// For each choice field of the latest checks: (label, option, households).
    /// Each a JSON array (a tuple), documented as an array of values.
    #[schema(value_type = Vec<Vec<Value>>)]
    pub tallies: Vec<(String, String, i64)>,
}

/// `FROM … WHERE …` of the latest check of each household and form under a unit (in scope), up
/// to a day: one pass over the checks, numbered newest first within each household and form.
async fn latest_from(db: &Db, scope: &Scope, unit: i64, on: NaiveDate) -> Result<(String, Sql), DbError> {
    let root = units::get(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&root.path);
    let mut sql = Sql::new(
        " FROM (SELECT r.*, ROW_NUMBER() OVER (PARTITION BY r.household_id, r.form_id \
         ORDER BY r.filled_on DESC, r.id DESC) AS newest FROM survey_responses r JOIN units h ON h.id = r.household_id \
         WHERE h.path >= $1 AND h.path < $2 AND r.filled_on <= $3 AND ",
    );
    sql.params = vec![lo.into(), hi.into(), on.into()];
    push_scope(&mut sql, "h.path", scope);
    sql.push(&format!(") r{RESPONSE_JOINS} WHERE r.newest = 1"));
    Ok((root.path, sql))
}

/// Latest checks of the households under a unit (in scope), up to a day, in tree order.
async fn latest(db: &Db, scope: &Scope, unit: i64, on: NaiveDate) -> Result<(String, Vec<ResponseView>), DbError> {
    let (path, from) = latest_from(db, scope, unit, on).await?;
    let rows = db.rows_of(RESPONSE_FIELDS, from, "h.path, r.form_id", i64::MAX).await?;
    Ok((path, rows))
}

/// The compilation of a unit's households for a day.
pub async fn compilation(db: &Db, actor: &Actor, unit: i64, on: NaiveDate) -> Result<Compilation, DbError> {
    actor.require("work:survey:list")?;
    let (path, latest) = latest(db, &actor.scope, unit, on).await?;
    let (lo, hi) = subtree_range(&path);
    let households = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM units WHERE kind = 'household' AND closed = FALSE AND path >= $1 AND path < $2",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let filed_on_day = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM survey_responses r JOIN units h ON h.id = r.household_id WHERE h.path >= $1 AND h.path < $2 \
             AND r.filled_on = $3",
            vec![lo.into(), hi.into(), on.into()],
        ))
        .await?;
    let mut checked: Vec<i64> = latest.iter().map(|r| r.household_id).collect();
    checked.dedup();
    let at_risk =
        latest.iter().filter(|r| r.risk).map(|r| r.household_id).collect::<std::collections::BTreeSet<_>>().len();
    let mut tallies: BTreeMap<(i64, usize, String, String), i64> = BTreeMap::new();
    let mut specs: BTreeMap<i64, FormSpec> = BTreeMap::new();
    for r in &latest {
        if let std::collections::btree_map::Entry::Vacant(slot) = specs.entry(r.form_id) {
            let (fields,): (String,) =
                db.one(&Sql::with("SELECT fields FROM forms WHERE id = $1", vec![r.form_id.into()])).await?;
            slot.insert(FormSpec::parse(&fields)?);
        }
        let Some(spec) = specs.get(&r.form_id) else { continue };
        let answers: BTreeMap<String, serde_json::Value> = serde_json::from_str(&r.answers).unwrap_or_default();
        for (i, f) in spec.fields.iter().enumerate() {
            let kind = FieldType::parse(&f.field_type);
            let picked: Vec<String> = match (kind, answers.get(&f.key)) {
                (Some(FieldType::Choice | FieldType::YesNo), Some(serde_json::Value::String(s))) => vec![s.clone()],
                (Some(FieldType::Multi), Some(serde_json::Value::Array(a))) => {
                    a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
                }
                _ => Vec::new(),
            };
            for option in picked {
                *tallies.entry((r.form_id, i, f.label.clone(), option)).or_default() += 1;
            }
        }
    }
    Ok(Compilation {
        households,
        checked: checked.len() as i64,
        filed_on_day,
        at_risk: at_risk as i64,
        tallies: tallies.into_iter().map(|((_, _, label, option), n)| (label, option, n)).collect(),
    })
}

/// A household at risk, named with where it lies (its village and group), and its latest check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RiskRow {
    /// The village and group the household lies in, e.g. `岐元村 · 第1组`.
    pub place: String,
    #[serde(flatten)]
    pub check: ResponseView,
}

/// Households under a unit whose latest check puts them at risk, with the reasons, in tree
/// order, a page at a time.
pub async fn risk_list(
    db: &Db,
    actor: &Actor,
    unit: i64,
    on: NaiveDate,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<RiskRow>, DbError> {
    actor.require("work:survey:list")?;
    let (_, mut from) = latest_from(db, &actor.scope, unit, on).await?;
    from.push(" AND r.risk = TRUE");
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    let checks: Page<ResponseView> = db.page_of(RESPONSE_FIELDS, from, "h.path, r.form_id", page, per_page).await?;
    // The names of the villages and groups above the page's households, read once.
    let mut above: Vec<i64> = checks.items.iter().flat_map(|r| path_ids(&r.household_path)).collect();
    above.sort_unstable();
    above.dedup();
    let mut names: BTreeMap<i64, String> = BTreeMap::new();
    if !above.is_empty() {
        let mut sql = Sql::new(
            "SELECT id, name FROM units WHERE kind IN ('village', 'village_group', 'household_group') AND id IN ",
        );
        sql.bind_list(above.iter().copied());
        let rows: Vec<(i64, String)> = db.all(&sql).await?;
        names.extend(rows);
    }
    Ok(checks.map(|check| {
        let place = path_ids(&check.household_path).iter().filter_map(|id| names.get(id).cloned()).collect::<Vec<_>>();
        RiskRow { place: place.join(" · "), check }
    }))
}
