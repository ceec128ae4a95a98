//! Appraisals of cadres in the store: leaders' 询/察/听 notes and mass evaluations written into the
//! ledger, corrections of ledger records, appraisals per campaign made final as the 鉴定书, the
//! talent pool (储备人选, 重点培养对象, 提拔使用), the candidacy list for the next village election,
//! 五述五评 reviews with their ratings, and the share of frontline experience among the promoted.

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::appraisals::{
    AppraisalStatus, CandidacyBar, FrontlineShare, Grade, GradeWarning, Rating, ReviewTrack, TalentTier, barring_kinds,
    candidacy_bars, grade_warnings, review_outcome, tier_for,
};
use frontline_core::error::{Problems, text};
use frontline_core::people::PostKind;
use frontline_core::records::{CORRECTED_SOURCE, RecordKind};
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::UnitKind;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::inspections::{subject_in_tx, subject_or_unit, unit_path, unit_path_in_scope};
use crate::people::push_person_scope;
use crate::records::{self, KindCount, NewRecord, RecordQuery, RecordView};
use crate::units::push_scope;
use crate::{Db, DbError, Page, Sql, Tx};

// ---------------------------------------------------------------------------------------------
// Leaders' notes, mass evaluation and corrections

/// A leader's note (询, 察, 听) or a mass evaluation, as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct NoteInput {
    /// `leader_inquiry`, `leader_observation`, `leader_listening` or `mass_evaluation`.
    #[schema(schema_with = note_kinds)]
    pub kind: String,
    /// The cadre or member noted; without one the note is about `unit_id`.
    #[serde(default)]
    pub person_id: Option<i64>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    pub occurred_on: NaiveDate,
    /// Leaders' notes: 1 good, 0 neutral, -1 poor impression; mass evaluation: satisfaction 1–5.
    pub value: i64,
    #[schema(min_length = 1, max_length = 1000)]
    pub note: String,
}

/// The kinds of record written by hand.
fn note_kinds() -> utoipa::openapi::schema::Object {
    let kinds = RecordKind::ALL.iter().filter(|k| k.entered_by_hand().is_some()).map(|k| k.as_str());
    frontline_core::codes::codes_schema(kinds)
}

/// Writes a note into the ledger (a `ledger_notes` row and the record that counts it).
pub async fn add_note(db: &Db, actor: &Actor, input: &NoteInput) -> Result<i64, DbError> {
    actor.require("judge:note:edit")?;
    let mut p = Problems::new();
    let kind = RecordKind::parse(&input.kind).filter(|k| k.entered_by_hand().is_some());
    match kind.and_then(RecordKind::entered_by_hand) {
        None => p.add("kind", "error.note.kind"),
        Some(range) if !range.contains(&input.value) => p.add("value", "error.note.value"),
        Some(_) => {}
    }
    let note = p.check(text("note", &input.note, 1000));
    if input.occurred_on > today_in_china(Utc::now()) {
        p.add("occurred_on", "error.note.future");
    }
    if input.person_id.is_none() && input.unit_id.is_none() {
        p.add("person_id", "error.required");
    }
    p.into_result()?;
    let (Some(kind), Some(note)) = (kind, note) else {
        return Err(DomainError::invalid("kind", "error.note.kind").into());
    };
    let mut tx = db.begin().await?;
    let (unit_id, path) = subject_or_unit(&mut tx, &actor.scope, input.person_id, input.unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO ledger_notes (kind, unit_id, person_id, occurred_on, value, note, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                kind.as_str().into(),
                unit_id.into(),
                input.person_id.into(),
                input.occurred_on.into(),
                input.value.into(),
                note.clone().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind,
            unit_id,
            person_id: input.person_id,
            occurred_at: start_of_china_day(input.occurred_on),
            value: input.value,
            source_kind: "ledger_note",
            source_id: id,
            note: Some(note.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "note.create",
            object_kind: "ledger_note",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": kind.as_str(), "person_id": input.person_id, "unit_id": unit_id,
                "occurred_on": input.occurred_on, "value": input.value, "note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Corrects a record: a new `record_corrected` record names it, with the reason, and from then on
/// it no longer counts in any tally (it stays in the ledger, marked corrected). A correction is
/// not itself corrected, and a record is corrected once.
pub async fn correct(db: &Db, actor: &Actor, record_id: i64, reason: &str) -> Result<i64, DbError> {
    actor.require("judge:record:correct")?;
    let reason = text("reason", reason, 500).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let mut sql = Sql::new(
        "SELECT r.kind, r.unit_id, r.person_id, u.path FROM records r JOIN units u ON u.id = r.unit_id WHERE r.id = ",
    );
    sql.bind(record_id).push(" AND ");
    push_scope(&mut sql, "u.path", &actor.scope);
    let row: Option<(String, i64, Option<i64>, String)> = tx.opt(&sql).await?;
    let (kind, unit_id, person_id, path) = row.ok_or(DomainError::NotFound)?;
    if kind == RecordKind::RecordCorrected.as_str() {
        return Err(DomainError::Conflict("error.note.correction_of_correction".into()).into());
    }
    let done = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM records WHERE source_kind = $1 AND source_id = $2",
            vec![CORRECTED_SOURCE.into(), record_id.into()],
        ))
        .await?;
    if done > 0 {
        return Err(DomainError::Conflict("error.note.already_corrected".into()).into());
    }
    let id = records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::RecordCorrected,
            unit_id,
            person_id,
            occurred_at: Utc::now(),
            value: 1,
            source_kind: CORRECTED_SOURCE,
            source_id: record_id,
            note: Some(reason.clone()),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "record.correct",
            object_kind: "record",
            object_id: Some(record_id),
            unit_path: Some(&path),
            before: json!({"kind": kind}),
            after: json!({"corrected_by": id, "reason": reason}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

// ---------------------------------------------------------------------------------------------
// Appraisals

/// A new appraisal (a draft) as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct AppraisalInput {
    pub person_id: i64,
    /// The campaign appraised (`2026年冬春疫情防控`); one appraisal per person and campaign.
    #[schema(min_length = 1, max_length = 60)]
    pub campaign: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
}

/// The assessor's conclusion that makes an appraisal final.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ConclusionInput {
    /// `excellent`, `competent`, `basic` or `incompetent`.
    #[schema(value_type = frontline_core::appraisals::Grade)]
    pub grade: String,
    #[schema(min_length = 1, max_length = 4000)]
    pub conclusion: String,
    /// Why the grade stands when the record disagrees with it (a score in the bottom fifth,
    /// overdue lists, findings): required then, and kept on the 鉴定书.
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub reason: String,
}

/// A grade given against the record, with what the record said and the assessor's reason.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct GradeOverride {
    /// `bottom_fifth`, `overdue`, `findings`.
    pub warnings: Vec<String>,
    pub reason: String,
}

/// An appraisal as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct AppraisalView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_rank: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub campaign: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    /// `draft` or `final`.
    pub status: String,
    pub grade: Option<String>,
    pub conclusion: Option<String>,
    pub assessor: Option<String>,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub finalized_at: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub figures: Option<String>,
}

/// A score of the person under a person scheme (先锋指数) over the appraisal's period.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AppraisalScore {
    pub scheme_id: i64,
    pub scheme_name: String,
    pub total: f64,
    pub stars: u8,
    pub rank: usize,
    pub of: usize,
}

/// What the ledger says about the person over the period: counted by kind, the score, and the
/// leaders' notes and mass evaluations in full. Fixed into the appraisal when it is made final.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct AppraisalFigures {
    pub counts: Vec<FigureCount>,
    pub score: Option<AppraisalScore>,
    pub notes: Vec<FigureNote>,
    /// Mean of the mass evaluations (1–5), if any.
    pub mass_mean: Option<f64>,
    /// Set when the grade was given against the record (see [`GradeOverride`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grade_override: Option<GradeOverride>,
}

impl AppraisalFigures {
    /// What this record says against a grade (`frontline_core::appraisals::grade_warnings`).
    pub fn warnings(&self, grade: Grade) -> Vec<GradeWarning> {
        let records =
            |kind: RecordKind| self.counts.iter().filter(|c| c.kind == kind.as_str()).map(|c| c.records).sum::<i64>();
        grade_warnings(
            grade,
            self.score.as_ref().map(|s| (s.rank, s.of)),
            records(RecordKind::TaskOverdue),
            records(RecordKind::FindingRaised),
        )
    }
}

/// Records of one kind.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FigureCount {
    pub kind: String,
    pub records: i64,
    pub total_value: i64,
}

/// One leader's note or mass evaluation.
#[derive(Debug, Clone, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct FigureNote {
    pub record_id: i64,
    pub kind: String,
    pub occurred_at: DateTime<Utc>,
    pub value: i64,
    pub note: Option<String>,
}

/// An appraisal with its figures and the person's candidacy.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct AppraisalDetail {
    pub appraisal: AppraisalView,
    pub figures: AppraisalFigures,
    /// The person's places in the talent pool now.
    pub tiers: Vec<String>,
    /// What bars the person's candidacy now (empty: may stand).
    pub candidacy_bars: Vec<String>,
}

const APPRAISAL_COLUMNS: &str = "a.id, a.person_id, p.name AS person_name, p.rank AS person_rank, a.unit_id, u.name AS unit_name, \
     a.campaign, a.period_from, a.period_to, a.status, a.grade, a.conclusion, a.assessor, a.created_by, a.created_at, \
     a.finalized_at, a.figures";
const APPRAISAL_FROM: &str =
    " FROM appraisals a JOIN people p ON p.id = a.person_id JOIN units u ON u.id = a.unit_id WHERE ";

/// Opens a draft appraisal of a cadre or member the actor reaches.
pub async fn create(db: &Db, actor: &Actor, input: &AppraisalInput) -> Result<i64, DbError> {
    actor.require("judge:appraisal:edit")?;
    let mut p = Problems::new();
    let campaign = p.check(text("campaign", &input.campaign, 60));
    if input.period_to < input.period_from || (input.period_to - input.period_from).num_days() > 400 {
        p.add("period_to", "error.judge.bad_period");
    }
    p.into_result()?;
    let Some(campaign) = campaign else {
        return Err(DomainError::invalid("campaign", "error.required").into());
    };
    let mut tx = db.begin().await?;
    let unit_id = subject_in_tx(&mut tx, &actor.scope, input.person_id, "person_id").await?;
    let exists = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM appraisals WHERE person_id = $1 AND campaign = $2",
            vec![input.person_id.into(), campaign.clone().into()],
        ))
        .await?;
    if exists > 0 {
        return Err(DomainError::Conflict("error.appraisal.exists".into()).into());
    }
    let path = unit_path(&mut tx, unit_id).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO appraisals (person_id, unit_id, campaign, period_from, period_to, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                input.person_id.into(),
                unit_id.into(),
                campaign.clone().into(),
                input.period_from.into(),
                input.period_to.into(),
                AppraisalStatus::Draft.as_str().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "appraisal.create",
            object_kind: "appraisal",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"person_id": input.person_id, "campaign": campaign, "period_from": input.period_from,
                "period_to": input.period_to}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Filters for appraisals.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AppraisalQuery {
    pub campaign: Option<String>,
    pub status: Option<String>,
    pub grade: Option<String>,
    pub person: Option<i64>,
    pub page: Option<i64>,
}

/// Appraisals of people in units the caller reaches, newest first.
pub async fn list(db: &Db, scope: &Scope, q: &AppraisalQuery) -> Result<Page<AppraisalView>, DbError> {
    let mut filter = Sql::new(APPRAISAL_FROM);
    push_scope(&mut filter, "u.path", scope);
    if let Some(c) = q.campaign.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND a.campaign = ").bind(c);
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND a.status = ").bind(s);
    }
    if let Some(g) = q.grade.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND a.grade = ").bind(g);
    }
    if let Some(person) = q.person {
        filter.push(" AND a.person_id = ").bind(person);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    db.page_of(APPRAISAL_COLUMNS, filter, "a.created_at DESC, a.id DESC", page, per_page).await
}

async fn get_view(db: &Db, scope: &Scope, id: i64) -> Result<AppraisalView, DbError> {
    let mut sql = Sql::new(&format!("SELECT {APPRAISAL_COLUMNS}{APPRAISAL_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND a.id = ").bind(id);
    Ok(db.opt(&sql).await?.ok_or(DomainError::NotFound)?)
}

/// The person's ledger over the period, as the appraisal reads it.
async fn figures(db: &Db, scope: &Scope, a: &AppraisalView) -> Result<AppraisalFigures, DbError> {
    let q = RecordQuery {
        person: Some(a.person_id),
        from: Some(a.period_from),
        to: Some(a.period_to),
        ..Default::default()
    };
    let counts: Vec<KindCount> = records::counts_by_kind(db, scope, &q).await?;
    let mut notes = Vec::new();
    for kind in [
        RecordKind::LeaderInquiry,
        RecordKind::LeaderObservation,
        RecordKind::LeaderListening,
        RecordKind::MassEvaluation,
    ] {
        let q = RecordQuery { kind: Some(kind.as_str().into()), per_page: Some(100), ..q.clone() };
        let page: Page<RecordView> = records::list(db, scope, &q).await?;
        notes.extend(page.items.into_iter().filter(|r| !r.corrected).map(|r| FigureNote {
            record_id: r.id,
            kind: r.kind,
            occurred_at: r.occurred_at,
            value: r.value,
            note: r.note,
        }));
    }
    notes.sort_by_key(|n| (n.occurred_at, n.record_id));
    let mass: Vec<i64> =
        notes.iter().filter(|n| n.kind == RecordKind::MassEvaluation.as_str()).map(|n| n.value).collect();
    let mass_mean = (!mass.is_empty()).then(|| mass.iter().sum::<i64>() as f64 / mass.len() as f64);
    let score = person_score(db, scope, a).await?;
    Ok(AppraisalFigures {
        counts: counts
            .into_iter()
            .map(|c| FigureCount { kind: c.kind, records: c.records, total_value: c.total_value })
            .collect(),
        score,
        notes,
        mass_mean,
        grade_override: None,
    })
}

/// The person's score under the first active person scheme the caller reaches, over the period.
async fn person_score(db: &Db, scope: &Scope, a: &AppraisalView) -> Result<Option<AppraisalScore>, DbError> {
    let schemes = crate::indicators::schemes(db, scope).await?;
    let Some(scheme) = schemes.into_iter().find(|s| s.active && s.subject == "person") else {
        return Ok(None);
    };
    let Ok(period) = crate::indicators::Period::checked(a.period_from, a.period_to) else {
        return Ok(None);
    };
    let explained = crate::indicators::explain(db, scope, scheme.id, None, Some(a.person_id), None, period).await;
    Ok(explained.ok().map(|e| AppraisalScore {
        scheme_id: scheme.id,
        scheme_name: scheme.name,
        total: e.subject.score.total,
        stars: e.subject.score.stars,
        rank: e.subject.rank,
        of: e.ranked,
    }))
}

/// One appraisal with its figures (fixed ones once final) and the person's standing now.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<AppraisalDetail, DbError> {
    let appraisal = get_view(db, scope, id).await?;
    let fixed = appraisal.figures.as_deref().and_then(|f| serde_json::from_str::<AppraisalFigures>(f).ok());
    let figures = match fixed {
        Some(f) => f,
        None => figures(db, scope, &appraisal).await?,
    };
    let tiers = person_tiers(db, appraisal.person_id).await?;
    let candidacy_bars =
        person_bars(db, appraisal.person_id).await?.into_iter().map(|b| b.as_str().to_string()).collect();
    Ok(AppraisalDetail { appraisal, figures, tiers, candidacy_bars })
}

async fn person_tiers(db: &Db, person: i64) -> Result<Vec<String>, DbError> {
    let rows: Vec<(String,)> = db
        .all(&Sql::with(
            "SELECT tier FROM talent_pool WHERE person_id = $1 AND removed_at IS NULL ORDER BY tier",
            vec![person.into()],
        ))
        .await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

async fn person_bars(db: &Db, person: i64) -> Result<Vec<CandidacyBar>, DbError> {
    let row: Option<CandidateFacts> = db
        .opt(&Sql::with(
            &format!("SELECT {LATEST_GRADE} AS latest_grade, CAST({} AS BIGINT) AS barring_actions FROM people p WHERE p.id = $1", barring_actions_sql()),
            vec![person.into()],
        ))
        .await?;
    Ok(row.map(|r| r.bars()).unwrap_or_default())
}

/// Makes a draft final with the assessor's grade and conclusion: the figures are fixed, an
/// `appraised` record is written, and an excellent cadre enters the reserve of candidates.
pub async fn conclude(db: &Db, actor: &Actor, id: i64, input: &ConclusionInput) -> Result<(), DbError> {
    actor.require("judge:appraisal:edit")?;
    let mut p = Problems::new();
    let grade = Grade::parse(&input.grade);
    if grade.is_none() {
        p.add("grade", "error.appraisal.grade");
    }
    let conclusion = p.check(text("conclusion", &input.conclusion, 4000));
    let reason = p.check(frontline_core::error::optional_text("reason", &input.reason, 1000));
    p.into_result()?;
    let (Some(grade), Some(conclusion)) = (grade, conclusion) else {
        return Err(DomainError::invalid("grade", "error.appraisal.grade").into());
    };
    let view = get_view(db, &actor.scope, id).await?;
    AppraisalStatus::parse(&view.status).unwrap_or(AppraisalStatus::Final).edit()?;
    let mut figures = figures(db, &actor.scope, &view).await?;
    // A grade the record disagrees with stands only with the assessor's reason, kept on the 鉴定书.
    let warnings = figures.warnings(grade);
    if !warnings.is_empty() {
        let Some(reason) = reason.flatten() else {
            return Err(DomainError::invalid("reason", "error.appraisal.grade_disagrees").into());
        };
        figures.grade_override =
            Some(GradeOverride { warnings: warnings.iter().map(|w| w.as_str().to_string()).collect(), reason });
    }
    let override_reason = figures.grade_override.as_ref().map(|o| o.reason.clone());
    // Plain structs always serialise; were it ever empty, the page would show live figures.
    let figures_json = serde_json::to_string(&figures).unwrap_or_default();
    let mut tx = db.begin().await?;
    let path = unit_path(&mut tx, view.unit_id).await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE appraisals SET status = $1, grade = $2, conclusion = $3, figures = $4, assessor = $5, finalized_at = $6 \
             WHERE id = $7 AND status = $8",
            vec![
                AppraisalStatus::Final.as_str().into(),
                grade.as_str().into(),
                conclusion.clone().into(),
                figures_json.into(),
                actor.name.clone().into(),
                Utc::now().into(),
                id.into(),
                AppraisalStatus::Draft.as_str().into(),
            ],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.appraisal.final".into()).into());
    }
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::Appraised,
            unit_id: view.unit_id,
            person_id: Some(view.person_id),
            occurred_at: start_of_china_day(view.period_to),
            value: grade.value(),
            source_kind: "appraisal",
            source_id: id,
            note: Some(view.campaign.clone()),
        },
    )
    .await?;
    if let Some(tier) = tier_for(grade) {
        let reason = format!("{}: {}", view.campaign, grade.as_str());
        add_tier_in_tx(&mut tx, actor, view.person_id, tier, &reason, Some(("appraisal", id)), &path).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "appraisal.conclude",
            object_kind: "appraisal",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": view.status}),
            after: json!({"status": "final", "grade": grade.as_str(), "conclusion": conclusion, "reason": override_reason}),
        },
    )
    .await?;
    tx.commit().await
}

// ---------------------------------------------------------------------------------------------
// Talent pool and candidacy

/// A place in the talent pool as typed.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct TierInput {
    pub person_id: i64,
    /// `reserve`, `key_training` or `promoted`.
    #[schema(value_type = frontline_core::appraisals::TalentTier)]
    pub tier: String,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// A place in the talent pool.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TierView {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub person_rank: String,
    pub home_unit_id: i64,
    pub home_unit_name: String,
    pub tier: String,
    pub reason: String,
    pub source_kind: Option<String>,
    pub source_id: Option<i64>,
    pub since_on: NaiveDate,
    pub added_by: String,
}

/// Puts a person in a tier (unless they are already there); promotion also writes a `promoted`
/// record.
async fn add_tier_in_tx(
    tx: &mut Tx,
    actor: &Actor,
    person: i64,
    tier: TalentTier,
    reason: &str,
    source: Option<(&'static str, i64)>,
    path: &str,
) -> Result<Option<i64>, DbError> {
    let already = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM talent_pool WHERE person_id = $1 AND tier = $2 AND removed_at IS NULL",
            vec![person.into(), tier.as_str().into()],
        ))
        .await?;
    if already > 0 {
        return Ok(None);
    }
    let today = today_in_china(Utc::now());
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO talent_pool (person_id, tier, reason, source_kind, source_id, since_on, added_by, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                person.into(),
                tier.as_str().into(),
                reason.into(),
                source.map(|s| s.0.to_string()).into(),
                source.map(|s| s.1).into(),
                today.into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    if tier == TalentTier::Promoted {
        let (home,): (i64,) =
            tx.one(&Sql::with("SELECT home_unit_id FROM people WHERE id = $1", vec![person.into()])).await?;
        records::append(
            tx,
            NewRecord {
                kind: RecordKind::Promoted,
                unit_id: home,
                person_id: Some(person),
                occurred_at: Utc::now(),
                value: 1,
                source_kind: "talent_pool",
                source_id: id,
                note: Some(reason.to_string()),
            },
        )
        .await?;
    }
    audit::append(
        tx,
        actor,
        Change {
            action: "talent.add",
            object_kind: "talent_pool",
            object_id: Some(id),
            unit_path: Some(path),
            before: serde_json::Value::Null,
            after: json!({"person_id": person, "tier": tier.as_str(), "reason": reason}),
        },
    )
    .await?;
    Ok(Some(id))
}

/// Puts a cadre or member the actor reaches in a tier of the talent pool.
pub async fn add_tier(db: &Db, actor: &Actor, input: &TierInput) -> Result<i64, DbError> {
    actor.require("judge:appraisal:edit")?;
    let mut p = Problems::new();
    let tier = TalentTier::parse(&input.tier);
    if tier.is_none() {
        p.add("tier", "error.talent.tier");
    }
    let reason = p.check(text("reason", &input.reason, 500));
    p.into_result()?;
    let (Some(tier), Some(reason)) = (tier, reason) else {
        return Err(DomainError::invalid("tier", "error.talent.tier").into());
    };
    let mut tx = db.begin().await?;
    let unit = subject_in_tx(&mut tx, &actor.scope, input.person_id, "person_id").await?;
    let path = unit_path(&mut tx, unit).await?;
    let id = add_tier_in_tx(&mut tx, actor, input.person_id, tier, &reason, None, &path)
        .await?
        .ok_or(DomainError::Conflict("error.talent.already".into()))?;
    tx.commit().await?;
    Ok(id)
}

/// Takes a person out of a tier, with the reason.
pub async fn remove_tier(db: &Db, actor: &Actor, id: i64, reason: &str) -> Result<(), DbError> {
    actor.require("judge:appraisal:edit")?;
    let reason = text("reason", reason, 500).map_err(|e| DbError::from(vec![e]))?;
    let mut tx = db.begin().await?;
    let mut sql = Sql::new(
        "SELECT t.tier, hu.path FROM talent_pool t JOIN people p ON p.id = t.person_id JOIN units hu ON hu.id = p.home_unit_id \
         WHERE t.removed_at IS NULL AND t.id = ",
    );
    sql.bind(id).push(" AND ");
    push_person_scope(&mut sql, &actor.scope);
    let row: Option<(String, String)> = tx.opt(&sql).await?;
    let (tier, path) = row.ok_or(DomainError::NotFound)?;
    tx.execute(&Sql::with(
        "UPDATE talent_pool SET removed_at = $1, removed_reason = $2 WHERE id = $3",
        vec![Utc::now().into(), reason.clone().into(), id.into()],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "talent.remove",
            object_kind: "talent_pool",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"tier": tier}),
            after: json!({"removed_reason": reason}),
        },
    )
    .await?;
    tx.commit().await
}

/// Filters for the talent pool.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TierQuery {
    pub tier: Option<String>,
    pub page: Option<i64>,
}

/// The talent pool of people the caller reaches.
pub async fn tiers(db: &Db, scope: &Scope, q: &TierQuery) -> Result<Page<TierView>, DbError> {
    let mut filter = Sql::new(
        " FROM talent_pool t JOIN people p ON p.id = t.person_id JOIN units hu ON hu.id = p.home_unit_id \
         WHERE t.removed_at IS NULL AND ",
    );
    push_person_scope(&mut filter, scope);
    if let Some(t) = q.tier.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND t.tier = ").bind(t);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    db.page_of(
        "t.id, t.person_id, p.name AS person_name, p.rank AS person_rank, p.home_unit_id, hu.name AS home_unit_name, t.tier, \
         t.reason, t.source_kind, t.source_id, t.since_on, t.added_by",
        filter,
        "t.since_on DESC, t.id DESC",
        page,
        per_page,
    )
    .await
}

/// A person on the candidacy list for the next village election.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CandidateView {
    pub person_id: i64,
    pub person_name: String,
    pub category: String,
    pub home_unit_id: i64,
    pub home_unit_name: String,
    pub latest_grade: Option<String>,
    /// `poor_appraisal`, `accountability`: why the person may not stand; empty when they may.
    pub bars: Vec<String>,
    pub tiers: Vec<String>,
}

#[derive(sqlx::FromRow)]
struct CandidateRow {
    person_id: i64,
    person_name: String,
    category: String,
    home_unit_id: i64,
    home_unit_name: String,
    #[sqlx(flatten)]
    facts: CandidateFacts,
}

/// Filters for the candidacy list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CandidateQuery {
    /// Only people whose candidacy is barred.
    pub barred: Option<bool>,
    pub page: Option<i64>,
}

/// Village cadres and members of villages the caller reaches, with what bars each from standing.
pub async fn candidates(db: &Db, scope: &Scope, q: &CandidateQuery) -> Result<Page<CandidateView>, DbError> {
    let latest = LATEST_GRADE;
    let actions = barring_actions_sql();
    let mut filter = Sql::new(" FROM people p JOIN units hu ON hu.id = p.home_unit_id WHERE hu.kind = ");
    filter.bind(UnitKind::Village.as_str()).push(" AND p.category IN ('village_cadre', 'member') AND ");
    push_person_scope(&mut filter, scope);
    if q.barred == Some(true) {
        filter.push(&format!(" AND ({latest} = 'incompetent' OR {actions} > 0)"));
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    let columns = format!(
        "p.id AS person_id, p.name AS person_name, p.category, p.home_unit_id, hu.name AS home_unit_name, {latest} AS latest_grade, \
         CAST({actions} AS BIGINT) AS barring_actions"
    );
    let rows: Page<CandidateRow> = db.page_of(&columns, filter, "hu.path, p.name, p.id", page, per_page).await?;
    let mut out = Vec::with_capacity(rows.items.len());
    for r in rows.items {
        let bars = r.facts.bars().into_iter().map(|b| b.as_str().to_string()).collect();
        out.push(CandidateView {
            tiers: person_tiers(db, r.person_id).await?,
            person_id: r.person_id,
            person_name: r.person_name,
            category: r.category,
            home_unit_id: r.home_unit_id,
            home_unit_name: r.home_unit_name,
            latest_grade: r.facts.latest_grade,
            bars,
        });
    }
    Ok(Page { items: out, total: rows.total, page: rows.page, per_page: rows.per_page })
}

/// The grade of a person's (`p`) latest final appraisal, as a subquery.
const LATEST_GRADE: &str = "(SELECT a.grade FROM appraisals a WHERE a.person_id = p.id AND a.status = 'final' \
     ORDER BY a.finalized_at DESC, a.id DESC LIMIT 1)";

/// What candidacy is decided from, as the two subqueries read it.
#[derive(sqlx::FromRow)]
struct CandidateFacts {
    latest_grade: Option<String>,
    barring_actions: i64,
}

impl CandidateFacts {
    fn bars(&self) -> Vec<CandidacyBar> {
        candidacy_bars(self.latest_grade.as_deref().and_then(Grade::parse), self.barring_actions.max(0) as usize)
    }
}

/// The count of a person's (`p`) accountability actions in effect that bar candidacy, as a
/// subquery; the kinds are the core's fixed codes, not user input.
fn barring_actions_sql() -> String {
    let kinds: Vec<String> = barring_kinds().iter().map(|k| format!("'{k}'")).collect();
    format!(
        "(SELECT COUNT(*) FROM accountability_actions x WHERE x.person_id = p.id AND x.status = 'effective' AND x.kind IN ({}))",
        kinds.join(", ")
    )
}

/// The promoted in a period and how many had frontline experience, with each person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FrontlineReport {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub share: FrontlineShare,
    pub people: Vec<PromotedView>,
}

/// One promoted person and their frontline experience before the promotion.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct PromotedView {
    pub person_id: i64,
    pub person_name: String,
    pub home_unit_name: String,
    pub since_on: NaiveDate,
    /// Deployments to the frontline (下沉, 驻村) begun before the promotion.
    pub deployments: i64,
    /// Frontline records (shifts stood, task lists handed in, households checked) before it.
    pub frontline_records: i64,
}

/// The share of frontline experience among people promoted in a period (001.6: 80 %).
pub async fn frontline_share(
    db: &Db,
    scope: &Scope,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<FrontlineReport, DbError> {
    if to < from {
        return Err(DomainError::invalid("to", "error.judge.bad_period").into());
    }
    let mut sql = Sql::new(
        "SELECT t.person_id, p.name AS person_name, hu.name AS home_unit_name, t.since_on, \
         CAST((SELECT COUNT(*) FROM deployments d WHERE d.person_id = t.person_id AND d.start_date <= t.since_on) AS BIGINT) AS deployments, \
         CAST((SELECT COUNT(*) FROM records r WHERE r.person_id = t.person_id AND r.kind IN ",
    );
    sql.bind_list(
        [RecordKind::ShiftAttended, RecordKind::TaskSubmitted, RecordKind::SurveyFiled].iter().map(|k| k.as_str()),
    );
    sql.push(
        " AND r.occurred_at < ",
    )
    .push("t.added_at) AS BIGINT) AS frontline_records \
         FROM talent_pool t JOIN people p ON p.id = t.person_id JOIN units hu ON hu.id = p.home_unit_id WHERE t.tier = ");
    sql.bind(TalentTier::Promoted.as_str()).push(" AND t.removed_at IS NULL AND t.since_on >= ").bind(from);
    sql.push(" AND t.since_on <= ").bind(to).push(" AND ");
    push_person_scope(&mut sql, scope);
    sql.push(" ORDER BY t.since_on, p.name");
    let people: Vec<PromotedView> = db.all(&sql).await?;
    let with = people.iter().filter(|p| p.deployments > 0 || p.frontline_records > 0).count() as i64;
    Ok(FrontlineReport { from, to, share: FrontlineShare::new(people.len() as i64, with), people })
}

// ---------------------------------------------------------------------------------------------
// 五述五评

/// A review as opened: the secretary of a unit reports for a year.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct ReviewInput {
    pub unit_id: i64,
    pub person_id: i64,
    #[schema(minimum = 2000, maximum = 2100)]
    pub year: i32,
    /// The report (述职报告) as delivered.
    #[schema(min_length = 1, max_length = 8000)]
    pub report: String,
    /// `first_secretary` for a stationed first secretary; otherwise the unit's level decides.
    #[serde(default)]
    pub track: Option<String>,
}

/// A rater's verdict.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct RatingInput {
    /// `good`, `fair`, `average` or `poor`.
    #[schema(value_type = frontline_core::appraisals::Rating)]
    pub rating: String,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub comment: Option<String>,
}

/// A review.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ReviewView {
    pub id: i64,
    pub year: i64,
    pub track: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: i64,
    pub person_name: String,
    pub report: String,
    /// `open` or `closed`.
    pub status: String,
    /// Share of raters finding it good or fair, in thousandths, once closed.
    pub favourable_permille: Option<i64>,
    pub verdict: Option<String>,
    pub created_by: String,
    pub closed_at: Option<DateTime<Utc>>,
}

/// One rating.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RatingView {
    pub rater: String,
    pub rating: String,
    pub comment: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A review with its ratings.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ReviewDetail {
    pub review: ReviewView,
    pub ratings: Vec<RatingView>,
    /// Whether the caller has rated.
    pub rated: bool,
}

const REVIEW_COLUMNS: &str = "v.id, v.year, v.track, v.unit_id, u.name AS unit_name, v.person_id, p.name AS person_name, v.report, \
     v.status, v.favourable_permille, v.verdict, v.created_by, v.closed_at";
const REVIEW_FROM: &str = " FROM reviews v JOIN units u ON u.id = v.unit_id JOIN people p ON p.id = v.person_id WHERE ";

/// Opens a review: the person must be a subject the actor reaches and the unit must report.
pub async fn open_review(db: &Db, actor: &Actor, input: &ReviewInput) -> Result<i64, DbError> {
    actor.require("judge:review:edit")?;
    let mut p = Problems::new();
    let report = p.check(text("report", &input.report, 8000));
    if !(2000..=2100).contains(&input.year) {
        p.add("year", "error.review.year");
    }
    p.into_result()?;
    let Some(report) = report else {
        return Err(DomainError::invalid("report", "error.required").into());
    };
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    subject_in_tx(&mut tx, &actor.scope, input.person_id, "person_id").await?;
    // A party organisation reports at the level of the unit it belongs to (a village's branch).
    let (kind, parent_id, parent_kind): (String, Option<i64>, Option<String>) = tx
        .one(&Sql::with(
            "SELECT u.kind, u.parent_id, pu.kind FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1",
            vec![input.unit_id.into()],
        ))
        .await?;
    let (level, level_id) = match UnitKind::parse(&kind) {
        Some(UnitKind::PartyBranch | UnitKind::PartyGeneralBranch | UnitKind::PartyCommittee) => {
            (parent_kind.as_deref().and_then(UnitKind::parse), parent_id.unwrap_or(input.unit_id))
        }
        other => (other, input.unit_id),
    };
    let track = match input.track.as_deref().filter(|t| !t.is_empty()) {
        Some(t) => {
            ReviewTrack::parse(t).ok_or_else(|| DbError::from(DomainError::invalid("track", "error.review.track")))?
        }
        None => level
            .and_then(ReviewTrack::for_unit)
            .ok_or_else(|| DbError::from(DomainError::invalid("unit_id", "error.review.track")))?,
    };
    // The reporter holds the level's secretary post today, in the unit or its party organisation.
    let today = today_in_china(Utc::now());
    let held: Vec<(String,)> = tx
        .all(&Sql::with(
            "SELECT po.kind FROM tenures t JOIN posts po ON po.id = t.post_id JOIN units pu ON pu.id = po.unit_id \
             WHERE t.person_id = $1 AND t.start_date <= $2 AND (t.end_date IS NULL OR t.end_date > $3) \
             AND (pu.id = $4 OR (pu.parent_id = $5 AND pu.kind IN ('party_branch', 'party_general_branch', 'party_committee')))",
            vec![input.person_id.into(), today.into(), today.into(), level_id.into(), level_id.into()],
        ))
        .await?;
    let held: Vec<PostKind> = held.iter().filter_map(|(k,)| PostKind::parse(k)).collect();
    if !level.is_some_and(|level| track.reported_by(&held, level)) {
        return Err(DomainError::invalid("person_id", "error.review.not_the_secretary").into());
    }
    let exists = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM reviews WHERE year = $1 AND unit_id = $2 AND person_id = $3",
            vec![i64::from(input.year).into(), input.unit_id.into(), input.person_id.into()],
        ))
        .await?;
    if exists > 0 {
        return Err(DomainError::Conflict("error.review.exists".into()).into());
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO reviews (year, track, unit_id, person_id, report, status, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 'open', $6, $7) RETURNING id",
            vec![
                i64::from(input.year).into(),
                track.as_str().into(),
                input.unit_id.into(),
                input.person_id.into(),
                report.clone().into(),
                actor.name.clone().into(),
                Utc::now().into(),
            ],
        ))
        .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "review.open",
            object_kind: "review",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"year": input.year, "track": track.as_str(), "unit_id": input.unit_id, "person_id": input.person_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Filters for reviews.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    pub year: Option<i64>,
    pub track: Option<String>,
    pub page: Option<i64>,
}

/// Reviews of units the caller reaches.
pub async fn reviews(db: &Db, scope: &Scope, q: &ReviewQuery) -> Result<Page<ReviewView>, DbError> {
    let mut filter = Sql::new(REVIEW_FROM);
    push_scope(&mut filter, "u.path", scope);
    if let Some(y) = q.year {
        filter.push(" AND v.year = ").bind(y);
    }
    if let Some(t) = q.track.as_deref().filter(|s| !s.is_empty()) {
        filter.push(" AND v.track = ").bind(t);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, Some(50));
    db.page_of(REVIEW_COLUMNS, filter, "v.year DESC, u.path, v.id", page, per_page).await
}

/// One review with its ratings: for those who may list reviews in their units, and for the person
/// reviewed, who may always read their own.
pub async fn review(db: &Db, actor: &Actor, id: i64) -> Result<ReviewDetail, DbError> {
    let mut sql = Sql::new(&format!("SELECT {REVIEW_COLUMNS}{REVIEW_FROM}"));
    if actor.can("judge:review:list") {
        push_scope(&mut sql, "u.path", &actor.scope);
    } else {
        let me = actor.scope.person_id.ok_or_else(|| DomainError::Forbidden("judge:review:list".into()))?;
        sql.push("v.person_id = ").bind(me);
    }
    sql.push(" AND v.id = ").bind(id);
    let review: ReviewView = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let ratings = db
        .all(&Sql::with(
            "SELECT rater, rating, comment, created_at FROM review_ratings WHERE review_id = $1 ORDER BY created_at, rater",
            vec![id.into()],
        ))
        .await?;
    let rated = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM review_ratings WHERE review_id = $1 AND rater_id = $2",
            vec![id.into(), actor.user_id.unwrap_or(0).into()],
        ))
        .await?
        > 0;
    Ok(ReviewDetail { review, ratings, rated })
}

/// Rates an open review, once per rater (a second rating replaces nothing: it is refused).
pub async fn rate(db: &Db, actor: &Actor, id: i64, input: &RatingInput) -> Result<(), DbError> {
    actor.require("judge:review:rate")?;
    let rating = Rating::parse(&input.rating)
        .ok_or_else(|| DbError::from(DomainError::invalid("rating", "error.review.rating")))?;
    let comment = match input.comment.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
        Some(c) => Some(text("comment", c, 1000).map_err(|e| DbError::from(vec![e]))?),
        None => None,
    };
    let detail = review(db, actor, id).await?;
    if detail.review.status != "open" {
        return Err(DomainError::Conflict("error.review.closed".into()).into());
    }
    if detail.rated {
        return Err(DomainError::Conflict("error.review.rated".into()).into());
    }
    let rater_id = actor.user_id.ok_or_else(|| DomainError::Forbidden("judge:review:rate".into()))?;
    if actor.scope.person_id == Some(detail.review.person_id) {
        // No one rates their own report.
        return Err(DomainError::Forbidden("error.review.own".into()).into());
    }
    let mut tx = db.begin().await?;
    let path = unit_path(&mut tx, detail.review.unit_id).await?;
    tx.execute(&Sql::with(
        "INSERT INTO review_ratings (review_id, rater_id, rater, rating, comment, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        vec![
            id.into(),
            rater_id.into(),
            actor.name.clone().into(),
            rating.as_str().into(),
            comment.clone().into(),
            Utc::now().into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "review.rate",
            object_kind: "review",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"rating": rating.as_str(), "comment": comment}),
        },
    )
    .await?;
    tx.commit().await
}

/// Closes a review: the verdict and favourable share come from the ratings, and the person gets a
/// `reviewed` record with the verdict's points.
pub async fn close_review(db: &Db, actor: &Actor, id: i64) -> Result<(), DbError> {
    actor.require("judge:review:edit")?;
    let detail = review(db, actor, id).await?;
    let ratings: Vec<Rating> = detail.ratings.iter().filter_map(|r| Rating::parse(&r.rating)).collect();
    let (favourable, verdict) = review_outcome(&ratings)
        .ok_or_else(|| DbError::from(DomainError::Conflict("error.review.no_ratings".into())))?;
    let permille = (favourable * 1000.0).round() as i64;
    let mut tx = db.begin().await?;
    let path = unit_path(&mut tx, detail.review.unit_id).await?;
    let changed = tx
        .execute(&Sql::with(
            "UPDATE reviews SET status = 'closed', favourable_permille = $1, verdict = $2, closed_at = $3 WHERE id = $4 AND status = 'open'",
            vec![permille.into(), verdict.as_str().into(), Utc::now().into(), id.into()],
        ))
        .await?;
    if changed == 0 {
        return Err(DomainError::Conflict("error.review.closed".into()).into());
    }
    let (home,): (i64,) = tx
        .one(&Sql::with("SELECT home_unit_id FROM people WHERE id = $1", vec![detail.review.person_id.into()]))
        .await?;
    records::append(
        &mut tx,
        NewRecord {
            kind: RecordKind::Reviewed,
            unit_id: home,
            person_id: Some(detail.review.person_id),
            occurred_at: Utc::now(),
            value: verdict.points(),
            source_kind: "review",
            source_id: id,
            note: Some(format!("{} {}", detail.review.year, detail.review.track)),
        },
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "review.close",
            object_kind: "review",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": "open"}),
            after: json!({"status": "closed", "verdict": verdict.as_str(), "favourable_permille": permille}),
        },
    )
    .await?;
    tx.commit().await
}
