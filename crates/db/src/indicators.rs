//! Indicators in the store: schemes (their JSON definitions, owned by the unit that set them),
//! live scoring of a subtree over a period — records aggregated by SQL, scored by
//! `frontline_core::indicators` — its explanation down to the records, published runs (公示, then
//! final) that make the star history, and the rectification plans of laggards (后进整转).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, text};
use frontline_core::indicators::formula::{Aggregate, Compare, Measure};
use frontline_core::indicators::scheme::{check_code, defaults};
use frontline_core::indicators::{Scheme, Score, Subject, Tallier, Tally, compile, from_json, rank};
use frontline_core::people::{PartyStatus, PersonCategory};
use frontline_core::records::RecordKind;
use frontline_core::time::today_in_china;
use frontline_core::units::{UnitKind, is_within, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::inspections::unit_path_in_scope;
use crate::records::figures::{self, Holder, TallyQuery};
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql};

/// A scheme as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct SchemeView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub code: String,
    pub name: String,
    pub subject: String,
    /// The definition as JSON text (see `docs/indicators.md`).
    pub definition: String,
    pub version: i64,
    pub active: bool,
    pub updated_by: String,
    pub updated_at: DateTime<Utc>,
}

impl SchemeView {
    /// The definition compiled (it was checked when saved).
    pub fn compiled(&self) -> Result<Scheme, DbError> {
        Ok(from_json(&self.definition)?)
    }
}

const SCHEME_COLUMNS: &str = "s.id, s.unit_id, u.name AS unit_name, s.code, s.name, s.subject, s.definition, s.version, \
     s.active, s.updated_by, s.updated_at";

/// Whether a scheme owned by the unit at `owner_path` concerns the caller: they reach the owner, or
/// the owner sits above what they reach (a township sees the county's schemes it is scored by).
fn concerns(scope: &Scope, owner_path: &str) -> bool {
    scope.reaches(owner_path) || scope.subtrees.iter().chain(&scope.units).any(|p| is_within(p, owner_path))
}

/// Schemes the caller is concerned by.
pub async fn schemes(db: &Db, scope: &Scope) -> Result<Vec<SchemeView>, DbError> {
    let all: Vec<SchemeWithPath> = db
        .all(&Sql::new(&format!(
            "SELECT {SCHEME_COLUMNS}, u.path FROM schemes s JOIN units u ON u.id = s.unit_id ORDER BY s.unit_id, s.id"
        )))
        .await?;
    Ok(all.into_iter().filter(|s| concerns(scope, &s.path)).map(|s| s.scheme).collect())
}

#[derive(sqlx::FromRow)]
struct SchemeWithPath {
    #[sqlx(flatten)]
    scheme: SchemeView,
    path: String,
}

/// One scheme, if it concerns the caller.
pub async fn scheme(db: &Db, scope: &Scope, id: i64) -> Result<SchemeView, DbError> {
    let row: Option<SchemeWithPath> = db
        .opt(&Sql::with(
            &format!("SELECT {SCHEME_COLUMNS}, u.path FROM schemes s JOIN units u ON u.id = s.unit_id WHERE s.id = $1"),
            vec![id.into()],
        ))
        .await?;
    match row {
        Some(s) if concerns(scope, &s.path) => Ok(s.scheme),
        _ => Err(DomainError::NotFound.into()),
    }
}

/// A scheme as typed: its definition is the JSON document itself.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct SchemeInput {
    /// The unit that sets the scheme (a county, a township); ignored when updating.
    #[serde(default)]
    pub unit_id: i64,
    /// Letters, digits and `_`; ignored when updating.
    #[serde(default)]
    pub code: String,
    #[schema(min_length = 1, max_length = 40)]
    pub name: String,
    #[schema(value_type = Object)]
    pub definition: serde_json::Value,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

fn checked_definition(p: &mut Problems, definition: &serde_json::Value) -> Option<Scheme> {
    match serde_json::from_value(definition.clone()) {
        Ok(def) => match compile(def) {
            Ok(s) => Some(s),
            Err(DomainError::Invalid(fields)) => {
                for f in fields {
                    p.add(&format!("definition.{}", f.field), &f.code);
                }
                None
            }
            Err(_) => None,
        },
        Err(_) => {
            p.add("definition", "error.scheme.not_json");
            None
        }
    }
}

/// Creates a scheme owned by a unit the actor reaches.
pub async fn create_scheme(db: &Db, actor: &Actor, input: &SchemeInput) -> Result<i64, DbError> {
    actor.require("judge:scheme:edit")?;
    let mut p = Problems::new();
    let code = p.check(check_code("code", &input.code));
    let name = p.check(text("name", &input.name, 40));
    let scheme = checked_definition(&mut p, &input.definition);
    p.into_result()?;
    let (Some(code), Some(name), Some(scheme)) = (code, name, scheme) else {
        return Err(DomainError::invalid("definition", "error.scheme.not_json").into());
    };
    let definition = serde_json::to_string_pretty(&scheme.def)
        .map_err(|_| DomainError::invalid("definition", "error.scheme.not_json"))?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO schemes (unit_id, code, name, subject, definition, version, active, updated_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8) RETURNING id",
            vec![
                input.unit_id.into(),
                code.clone().into(),
                name.clone().into(),
                scheme.def.subject.as_str().into(),
                definition.clone().into(),
                input.active.into(),
                actor.name.clone().into(),
                now.into(),
            ],
        ))
        .await
        .map_err(|e| e.on_unique("error.scheme.duplicate"))?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "scheme.create",
            object_kind: "scheme",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"code": code, "name": name, "active": input.active, "definition": scheme.def}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Changes a scheme's name, definition and whether it is in use; the version goes up, and runs
/// already published keep the definition they were scored with.
pub async fn update_scheme(db: &Db, actor: &Actor, id: i64, input: &SchemeInput) -> Result<(), DbError> {
    actor.require("judge:scheme:edit")?;
    let current = scheme(db, &actor.scope, id).await?;
    let mut p = Problems::new();
    let name = p.check(text("name", &input.name, 40));
    let compiled = checked_definition(&mut p, &input.definition);
    p.into_result()?;
    let (Some(name), Some(compiled)) = (name, compiled) else {
        return Err(DomainError::invalid("definition", "error.scheme.not_json").into());
    };
    let mut tx = db.begin().await?;
    // Editing needs the owner unit itself in reach, not only being concerned by the scheme.
    let path = unit_path_in_scope(&mut tx, &actor.scope, current.unit_id, "unit_id")
        .await
        .map_err(|_| DomainError::NotFound)?;
    let definition = serde_json::to_string_pretty(&compiled.def)
        .map_err(|_| DomainError::invalid("definition", "error.scheme.not_json"))?;
    tx.execute(&Sql::with(
        "UPDATE schemes SET name = $1, subject = $2, definition = $3, version = version + 1, active = $4, updated_by = $5, \
         updated_at = $6 WHERE id = $7",
        vec![
            name.clone().into(),
            compiled.def.subject.as_str().into(),
            definition.into(),
            input.active.into(),
            actor.name.clone().into(),
            Utc::now().into(),
            id.into(),
        ],
    ))
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "scheme.update",
            object_kind: "scheme",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"name": current.name, "version": current.version, "active": current.active,
                "definition": serde_json::from_str::<serde_json::Value>(&current.definition).unwrap_or_default()}),
            after: json!({"name": name, "version": current.version + 1, "active": input.active, "definition": compiled.def}),
        },
    )
    .await?;
    tx.commit().await
}

/// Gives a unit (a county) the default schemes it lacks: 堡垒指数, 先锋指数, 五星争创.
pub async fn install_defaults(db: &Db, actor: &Actor, unit_id: i64) -> Result<usize, DbError> {
    let mut added = 0;
    for (code, name, json) in defaults::ALL {
        let exists = db
            .count(&Sql::with(
                "SELECT COUNT(*) FROM schemes WHERE unit_id = $1 AND code = $2",
                vec![unit_id.into(), (*code).into()],
            ))
            .await?;
        if exists == 0 {
            let definition: serde_json::Value =
                serde_json::from_str(json).map_err(|_| DomainError::invalid("definition", "error.scheme.not_json"))?;
            let input =
                SchemeInput { unit_id, code: code.to_string(), name: name.to_string(), definition, active: true };
            create_scheme(db, actor, &input).await?;
            added += 1;
        }
    }
    Ok(added)
}

/// A period scored: from one day to another, both included (China days).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn checked(from: NaiveDate, to: NaiveDate) -> Result<Period, DbError> {
        if to < from || (to - from).num_days() > 400 {
            return Err(DomainError::invalid("to", "error.judge.bad_period").into());
        }
        Ok(Period { from, to })
    }

    /// How many days the period has, both ends counted.
    pub fn days(&self) -> f64 {
        ((self.to - self.from).num_days() + 1) as f64
    }
}

/// One subject scored: a unit (its subtree) or a person.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Scored {
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    /// The unit above (the township of a village, the home unit of a person): quotas apply within it.
    pub parent_id: Option<i64>,
    pub parent_name: Option<String>,
    pub rank: usize,
    pub score: Score,
}

/// A scheme evaluated over a subtree and a period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Ranking {
    pub scheme_id: i64,
    pub scheme_name: String,
    pub subject: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub period: Period,
    /// Every subject, best first.
    pub subjects: Vec<Scored>,
    /// The units directly under the scored unit, each scored over its whole subtree (the rollup),
    /// best first; empty for a person scheme.
    pub groups: Vec<Scored>,
    /// The scored unit itself over its whole subtree (for a unit scheme).
    pub whole: Option<Score>,
    /// How many subjects with data hold 0, 1, 2… stars.
    pub star_counts: Vec<usize>,
    pub laggards: usize,
    /// How many subjects had no record in the period (无数据): not scored, ranked last.
    pub unmeasured: usize,
    /// How many subjects the (filtered) list has; `subjects` holds one page of them.
    pub total: usize,
    pub page: i64,
    pub per_page: i64,
}

impl Ranking {
    /// Keeps the subjects whose name, or their unit's, contains `words` (blank keeps all). Ranks
    /// are those of the whole list: the 487th village found by name is still 487th.
    pub fn named(mut self, words: Option<&str>) -> Ranking {
        let words = words.map(str::trim).unwrap_or("");
        if !words.is_empty() {
            self.subjects
                .retain(|s| s.unit_name.contains(words) || s.person_name.as_deref().is_some_and(|n| n.contains(words)));
        }
        self
    }

    /// Keeps one page of subjects (laggards only, if asked).
    pub fn paged(mut self, laggards_only: bool, page: Option<i64>, per_page: Option<i64>) -> Ranking {
        if laggards_only {
            self.subjects.retain(|s| s.score.laggard);
        }
        let (page, per_page) = crate::sql::page_bounds(page, per_page);
        self.total = self.subjects.len();
        let start = usize::try_from((page - 1) * per_page).unwrap_or(0).min(self.total);
        let end = (start + usize::try_from(per_page).unwrap_or(0)).min(self.total);
        self.subjects = self.subjects.drain(start..end).collect();
        self.page = page;
        self.per_page = per_page;
        self
    }
}

/// What a ranking is asked for: the unit scored (or the person explained), the period, a page.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RankingQuery {
    /// The unit whose subtree is scored (or the village explained).
    pub unit: Option<i64>,
    /// The person explained (person schemes).
    pub person: Option<i64>,
    /// First day; 29 days before `to` if left out.
    pub from: Option<NaiveDate>,
    /// Last day; today if left out.
    pub to: Option<NaiveDate>,
    /// Laggards only.
    pub laggards: Option<bool>,
    /// Only subjects whose name (or their unit's) contains these words; each keeps its rank in
    /// the whole list. Any text: words that match nothing find nothing.
    pub name: Option<String>,
    /// For a breakdown: the unit whose ranking the village is placed in (the page it was opened
    /// from); its township if left out.
    pub within: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

impl RankingQuery {
    pub fn period(&self) -> Result<Period, DbError> {
        let to = self.to.unwrap_or_else(|| today_in_china(Utc::now()));
        let from = self.from.unwrap_or(to - chrono::Duration::days(29));
        Period::checked(from, to)
    }
}

/// How one subject would move under a changed scheme.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankChange {
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub before_rank: usize,
    pub after_rank: usize,
    pub before_total: f64,
    pub after_total: f64,
    pub before_stars: u8,
    pub after_stars: u8,
    pub before_laggard: bool,
    pub after_laggard: bool,
}

/// The what-if preview: the ranking as it is and as it would be.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub period: Period,
    pub before_star_counts: Vec<usize>,
    pub after_star_counts: Vec<usize>,
    pub before_laggards: usize,
    pub after_laggards: usize,
    /// Every subject, in the proposed order (first 500).
    pub changes: Vec<RankChange>,
}

/// Scores a subtree with the stored scheme and with a changed definition, without saving
/// anything, so weights and thresholds can be tried before a run is published.
pub async fn preview(
    db: &Db,
    scope: &Scope,
    scheme_id: i64,
    unit_id: i64,
    period: Period,
    definition: &serde_json::Value,
) -> Result<Preview, DbError> {
    let meta = scheme(db, scope, scheme_id).await?;
    let mut p = Problems::new();
    let proposed = checked_definition(&mut p, definition);
    p.into_result()?;
    let proposed = proposed.ok_or_else(|| DomainError::invalid("definition", "error.scheme.not_json"))?;
    let before = score(db, scope, &meta, &meta.compiled()?, unit_id, period).await?;
    let after = score(db, scope, &meta, &proposed, unit_id, period).await?;
    let key = |s: &Scored| (s.unit_id, s.person_id);
    let was: HashMap<(i64, Option<i64>), &Scored> = before.subjects.iter().map(|s| (key(s), s)).collect();
    let changes = after
        .subjects
        .iter()
        .take(500)
        .map(|a| {
            let b = was.get(&key(a));
            RankChange {
                unit_id: a.unit_id,
                unit_name: a.unit_name.clone(),
                person_id: a.person_id,
                person_name: a.person_name.clone(),
                before_rank: b.map(|b| b.rank).unwrap_or(0),
                after_rank: a.rank,
                before_total: b.map(|b| b.score.total).unwrap_or(0.0),
                after_total: a.score.total,
                before_stars: b.map(|b| b.score.stars).unwrap_or(0),
                after_stars: a.score.stars,
                before_laggard: b.is_some_and(|b| b.score.laggard),
                after_laggard: a.score.laggard,
            }
        })
        .collect();
    Ok(Preview {
        period,
        before_star_counts: before.star_counts,
        after_star_counts: after.star_counts,
        before_laggards: before.laggards,
        after_laggards: after.laggards,
        changes,
    })
}

#[derive(sqlx::FromRow)]
struct UnitRow {
    id: i64,
    parent_id: Option<i64>,
    path: String,
    kind: String,
    name: String,
    closed: bool,
}

/// Adds the figures of the subtree at `path` over the period, per unit (or per person, whose home
/// unit is in the subtree), to the tallies `route` chooses for each holder. The figures are the
/// ledger's kept tallies (`records::figures`), never the records themselves.
async fn aggregate(
    db: &Db,
    tallier: &Tallier,
    path: &str,
    period: &Period,
    by_person: bool,
    mut route: impl FnMut(i64, &mut dyn FnMut(&mut Tally)),
) -> Result<(), DbError> {
    let kinds: Vec<&str> = RecordKind::ALL.iter().filter(|k| tallier.reads(**k)).map(|k| k.as_str()).collect();
    if kinds.is_empty() {
        return Ok(());
    }
    let query = TallyQuery {
        holder: if by_person { Holder::Person } else { Holder::Unit },
        path,
        from: period.from,
        to: period.to,
        kinds,
    };
    for row in figures::tallies(db, &query).await? {
        let Some(kind) = RecordKind::parse(&row.kind) else { continue };
        route(row.holder, &mut |t: &mut Tally| tallier.add(&mut t.measures, kind, row.value, &row.source_kind, row.n));
    }
    Ok(())
}

/// The unit a ranking shows when none is asked for: the scheme's owner if the caller reaches it,
/// else the top of what they reach.
pub async fn default_unit(db: &Db, scope: &Scope, meta: &SchemeView) -> Result<i64, DbError> {
    if units::get(db, scope, meta.unit_id).await.is_ok() {
        return Ok(meta.unit_id);
    }
    Ok(units::roots(db, scope).await?.first().map(|u| u.id).unwrap_or(meta.unit_id))
}

/// Evaluates a scheme over the subtree of `unit_id` (which the caller must reach) and a period.
/// `scheme_meta` names the scheme in the answer; `scheme` may differ from the stored definition
/// (the what-if preview).
pub async fn score(
    db: &Db,
    scope: &Scope,
    meta: &SchemeView,
    scheme: &Scheme,
    unit_id: i64,
    period: Period,
) -> Result<Ranking, DbError> {
    Ok(score_with_tallies(db, scope, meta, scheme, unit_id, period).await?.0)
}

/// [`score`], with each ranked subject's tally (same order) for explanations.
async fn score_with_tallies(
    db: &Db,
    scope: &Scope,
    meta: &SchemeView,
    scheme: &Scheme,
    unit_id: i64,
    period: Period,
) -> Result<(Ranking, Vec<Tally>), DbError> {
    let root = units::get(db, scope, unit_id).await?;
    let (lo, hi) = subtree_range(&root.path);
    let rows: Vec<UnitRow> = db
        .all(&Sql::with(
            "SELECT id, parent_id, path, kind, name, closed FROM units WHERE path >= $1 AND path < $2 ORDER BY depth, id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let names: HashMap<i64, &str> = rows.iter().map(|u| (u.id, u.name.as_str())).collect();
    let tallier = Tallier::new(&scheme.measures);
    let mut star_counts = vec![0; 6];
    type Subjects = Vec<(i64, String, Option<i64>, Option<String>, Option<i64>)>;
    let (subjects, scores, tallies, groups, whole): (Subjects, Vec<Score>, Vec<Tally>, Vec<Scored>, Option<Score>) =
        match scheme.def.subject {
            Subject::Unit => {
                let kind = scheme.def.unit_kind.clone().unwrap_or_default();
                let subject_kind = UnitKind::parse(&kind);
                let groups_subjects = |group: &str| {
                    subject_kind.is_some_and(|s| UnitKind::parse(group).is_some_and(|g| g.groups_subjects_of(s)))
                };
                // Each unit's subject (the village it lies in) and group (the child of the root it lies in).
                let mut subject_of: HashMap<i64, usize> = HashMap::new();
                let mut group_of: HashMap<i64, usize> = HashMap::new();
                let mut subject_units: Vec<&UnitRow> = Vec::new();
                let mut group_units: Vec<&UnitRow> = Vec::new();
                for u in &rows {
                    let parent = u.parent_id.filter(|_| u.id != root.id);
                    if u.kind == kind && !u.closed && scope.reaches(&u.path) {
                        subject_of.insert(u.id, subject_units.len());
                        subject_units.push(u);
                    } else if let Some(s) = parent.and_then(|p| subject_of.get(&p).copied()) {
                        subject_of.insert(u.id, s);
                    }
                    // Groups are the territorial levels directly under the root and above the
                    // subjects (a county's townships); a township's villages are its subjects already.
                    if u.parent_id == Some(root.id) && !u.closed && groups_subjects(&u.kind) {
                        group_of.insert(u.id, group_units.len());
                        group_units.push(u);
                    } else if let Some(g) = parent.and_then(|p| group_of.get(&p).copied()) {
                        group_of.insert(u.id, g);
                    }
                }
                let mut subject_tallies = vec![scheme.tally(period.days()); subject_units.len()];
                let mut group_tallies = vec![scheme.tally(period.days()); group_units.len()];
                let mut root_tally = scheme.tally(period.days());
                let mut route = |holder: i64, add: &mut dyn FnMut(&mut Tally)| {
                    if let Some(&s) = subject_of.get(&holder) {
                        add(&mut subject_tallies[s]);
                    }
                    if let Some(&g) = group_of.get(&holder) {
                        add(&mut group_tallies[g]);
                    }
                    add(&mut root_tally);
                };
                aggregate(db, &tallier, &root.path, &period, false, &mut route).await?;
                let members: Vec<(i64, i64)> = db
                .all(&Sql::with(
                    "SELECT p.home_unit_id, COUNT(*) FROM people p JOIN units u ON u.id = p.home_unit_id \
                     WHERE u.path >= $1 AND u.path < $2 AND p.party_status IN ('member', 'probationary') GROUP BY p.home_unit_id",
                    vec![lo.into(), hi.into()],
                ))
                .await?;
                for (unit, n) in members {
                    route(unit, &mut |t: &mut Tally| t.members += n as f64);
                }
                let mut scores: Vec<Score> = subject_tallies.iter().map(|t| scheme.score(t)).collect();
                let parents: Vec<i64> = subject_units.iter().map(|u| u.parent_id.unwrap_or(0)).collect();
                scheme.apply_quota(&mut scores, &parents);
                let subjects = subject_units.iter().map(|u| (u.id, u.name.clone(), None, None, u.parent_id)).collect();
                let group_scores: Vec<Score> = group_tallies.iter().map(|t| scheme.score_rollup(t)).collect();
                let groups = rank(&group_scores)
                    .into_iter()
                    .map(|(i, r)| Scored {
                        unit_id: group_units[i].id,
                        unit_name: group_units[i].name.clone(),
                        person_id: None,
                        person_name: None,
                        parent_id: Some(root.id),
                        parent_name: Some(root.name.clone()),
                        rank: r,
                        score: group_scores[i].clone(),
                    })
                    .collect();
                let whole = Some(scheme.score_rollup(&root_tally));
                (subjects, scores, subject_tallies, groups, whole)
            }
            Subject::Person => {
                #[derive(sqlx::FromRow)]
                struct PersonRow {
                    id: i64,
                    name: String,
                    category: String,
                    party_status: String,
                    home_unit_id: i64,
                    path: String,
                }
                let people: Vec<PersonRow> = db
                    .all(&Sql::with(
                        "SELECT p.id, p.name, p.category, p.party_status, p.home_unit_id, u.path FROM people p \
                     JOIN units u ON u.id = p.home_unit_id WHERE u.path >= $1 AND u.path < $2 ORDER BY p.id",
                        vec![lo.into(), hi.into()],
                    ))
                    .await?;
                let people: Vec<PersonRow> = people
                    .into_iter()
                    .filter(|p| {
                        let category = PersonCategory::parse(&p.category).unwrap_or(PersonCategory::Resident);
                        let party = PartyStatus::parse(&p.party_status).unwrap_or(PartyStatus::None);
                        category.may_be_assessed(party) && scope.reaches(&p.path)
                    })
                    .collect();
                let index: HashMap<i64, usize> = people.iter().enumerate().map(|(i, p)| (p.id, i)).collect();
                let mut tallies = vec![Tally { members: 1.0, ..scheme.tally(period.days()) }; people.len()];
                aggregate(db, &tallier, &root.path, &period, true, |holder, add| {
                    if let Some(&i) = index.get(&holder) {
                        add(&mut tallies[i]);
                    }
                })
                .await?;
                let mut scores: Vec<Score> = tallies.iter().map(|t| scheme.score(t)).collect();
                let parents: Vec<i64> = people.iter().map(|p| p.home_unit_id).collect();
                scheme.apply_quota(&mut scores, &parents);
                let subjects = people
                    .iter()
                    .map(|p| {
                        let unit = names.get(&p.home_unit_id).map(|n| n.to_string()).unwrap_or_default();
                        (p.home_unit_id, unit, Some(p.id), Some(p.name.clone()), None)
                    })
                    .collect();
                (subjects, scores, tallies, Vec::new(), None)
            }
        };
    let order = rank(&scores);
    let ranked_tallies: Vec<Tally> = order.iter().map(|&(i, _)| tallies[i].clone()).collect();
    let ranked: Vec<Scored> = order
        .into_iter()
        .map(|(i, r)| {
            let (unit_id, unit_name, person_id, person_name, parent_id) = subjects[i].clone();
            Scored {
                unit_id,
                unit_name,
                person_id,
                person_name,
                parent_id,
                parent_name: parent_id.and_then(|p| names.get(&p).map(|n| n.to_string())),
                rank: r,
                score: scores[i].clone(),
            }
        })
        .collect();
    for s in ranked.iter().filter(|s| s.score.measured) {
        star_counts[usize::from(s.score.stars).min(5)] += 1;
    }
    let laggards = ranked.iter().filter(|s| s.score.laggard).count();
    let unmeasured = ranked.iter().filter(|s| !s.score.measured).count();
    let count = ranked.len();
    let ranking = Ranking {
        scheme_id: meta.id,
        scheme_name: meta.name.clone(),
        subject: scheme.def.subject.as_str().to_string(),
        unit_id: root.id,
        unit_name: root.name,
        period,
        subjects: ranked,
        groups,
        whole,
        star_counts,
        laggards,
        unmeasured,
        total: count,
        page: 1,
        per_page: i64::try_from(count).unwrap_or(i64::MAX),
    };
    Ok((ranking, ranked_tallies))
}

/// A measure with its value for one subject and the ledger query that lists its records.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MeasureValue {
    /// As written in formulas: `count(finding_raised, value >= 2)`.
    pub text: String,
    /// Which of the scheme's measures it is (its position in the compiled scheme).
    pub index: usize,
    pub kind: String,
    pub value: f64,
    /// Query string for `/records` (and the 台账 page) listing exactly the records counted.
    pub records_query: String,
}

/// One line of a score with its definition and the measures it reads.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ExplainedLine {
    /// `indicator`, `bonus`, `deduction` or `veto`.
    pub section: String,
    pub code: String,
    pub name: String,
    pub formula: String,
    /// The weight of an indicator, the points per unit of an item, 0 for a veto.
    pub weight: f64,
    /// The target of an indicator, the cap of an item, the threshold of a veto.
    pub limit: f64,
    pub value: f64,
    pub points: f64,
    /// False when there was nothing to measure (不适用); `points` then follow the scheme's rule.
    pub applicable: bool,
    /// The weight the indicator was scored on: its own, scaled up when others were not
    /// applicable and left out (equal to `weight` otherwise, and for items and vetoes).
    pub weight_used: f64,
    /// Whether a veto fired.
    pub fired: bool,
    pub measures: Vec<MeasureValue>,
}

/// A subject's score explained: from the number to the lines, from a line to the records.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Explanation {
    pub scheme_id: i64,
    pub scheme_name: String,
    pub period: Period,
    pub subject: Scored,
    /// How many subjects were ranked with it (the person's unit, the village's township).
    pub ranked: usize,
    /// The unit whose ranking the rank is in: the village's township unless asked otherwise.
    pub ranked_within: String,
    pub lines: Vec<ExplainedLine>,
    /// The subject's measures, to put each formula in words with its values.
    #[serde(skip)]
    pub tally: Tally,
}

fn measure_text(m: &Measure) -> String {
    let mut s = format!(
        "{}({}",
        match m.aggregate {
            Aggregate::Count => "count",
            Aggregate::Sum => "sum",
        },
        m.kind.as_str()
    );
    if let Some((op, n)) = m.value {
        s.push_str(&format!(", value {} {n}", op.as_str()));
    }
    if let Some(src) = &m.source {
        s.push_str(&format!(", source = {src}"));
    }
    s.push(')');
    s
}

fn records_query(m: &Measure, subject: &Scored, period: &Period) -> String {
    let mut q = match subject.person_id {
        Some(p) => format!("person={p}"),
        None => format!("unit={}", subject.unit_id),
    };
    q.push_str(&format!("&kind={}&from={}&to={}&counted=true", m.kind.as_str(), period.from, period.to));
    if let Some((op, n)) = m.value {
        let part = match op {
            Compare::Eq => format!("&min_value={n}&max_value={n}"),
            Compare::Ne => format!("&not_value={n}"),
            Compare::Lt => format!("&max_value={}", n.saturating_sub(1)),
            Compare::Le => format!("&max_value={n}"),
            Compare::Gt => format!("&min_value={}", n.saturating_add(1)),
            Compare::Ge => format!("&min_value={n}"),
        };
        q.push_str(&part);
    }
    if let Some(src) = &m.source {
        q.push_str(&format!("&source_kind={src}"));
    }
    q
}

/// Explains the score of one village (a unit subject) or one person over a period.
pub async fn explain(
    db: &Db,
    scope: &Scope,
    scheme_id: i64,
    unit_id: Option<i64>,
    person_id: Option<i64>,
    within: Option<i64>,
    period: Period,
) -> Result<Explanation, DbError> {
    let meta = scheme(db, scope, scheme_id).await?;
    let compiled = meta.compiled()?;
    let (root, person) = match (compiled.def.subject, unit_id, person_id) {
        (Subject::Unit, Some(u), _) => (u, None),
        (Subject::Person, _, Some(p)) => {
            let person = crate::people::get(db, scope, p, false).await?;
            (person.home_unit_id, Some(p))
        }
        (Subject::Unit, None, _) => return Err(DomainError::invalid("unit", "error.required").into()),
        (Subject::Person, _, None) => return Err(DomainError::invalid("person", "error.required").into()),
    };
    // A village is ranked among its township's villages, as on the township's ranking page that
    // the breakdown links to (ranked alone it would always come first) — or among those of the
    // unit above whose ranking page it was opened from, which the rank then names.
    let root_unit = units::get(db, scope, root).await?;
    let mut under = None;
    if compiled.def.subject == Subject::Unit {
        if let Some(w) = within.filter(|w| *w != root) {
            let w = units::get(db, scope, w).await?;
            if !root_unit.path.starts_with(&w.path) {
                return Err(DomainError::invalid("within", "error.judge.not_above").into());
            }
            under = Some(w);
        } else if let Some(parent) = root_unit.parent_id {
            under = units::get(db, scope, parent).await.ok();
        }
    }
    let (ranked_under, ranked_within) = match under {
        Some(u) => (u.id, u.name),
        None => (root, root_unit.name.clone()),
    };
    let (ranking, tallies) = score_with_tallies(db, scope, &meta, &compiled, ranked_under, period).await?;
    let ranked = ranking.subjects.len();
    let (subject, tally) = ranking
        .subjects
        .into_iter()
        .zip(tallies)
        .find(|(s, _)| match person {
            Some(p) => s.person_id == Some(p),
            None => s.unit_id == root,
        })
        .ok_or(DomainError::NotFound)?;
    let measures_of = |expr: &frontline_core::indicators::formula::Expr| {
        let mut used = Vec::new();
        expr.measures(&mut used);
        used.into_iter()
            .map(|i| MeasureValue {
                text: measure_text(&compiled.measures[i]),
                index: i,
                kind: compiled.measures[i].kind.as_str().to_string(),
                value: tally.measures[i],
                records_query: records_query(&compiled.measures[i], &subject, &period),
            })
            .collect::<Vec<_>>()
    };
    let mut lines = Vec::new();
    for (c, l) in compiled.indicators.iter().zip(&subject.score.indicators) {
        lines.push(ExplainedLine {
            section: "indicator".into(),
            code: c.def.code.clone(),
            name: c.def.name.clone(),
            formula: c.def.formula.clone(),
            weight: c.def.weight,
            limit: c.def.target,
            value: l.value,
            points: l.points,
            applicable: l.applicable,
            weight_used: if l.applicable {
                frontline_core::indicators::round2(c.def.weight * subject.score.weight_scale)
            } else {
                c.def.weight
            },
            fired: false,
            measures: measures_of(&c.expr),
        });
    }
    for (section, defs, got) in [
        ("bonus", &compiled.bonuses, &subject.score.bonuses),
        ("deduction", &compiled.deductions, &subject.score.deductions),
    ] {
        for (c, l) in defs.iter().zip(got) {
            lines.push(ExplainedLine {
                section: section.into(),
                code: c.def.code.clone(),
                name: c.def.name.clone(),
                formula: c.def.formula.clone(),
                weight: c.def.points,
                limit: c.def.cap,
                value: l.value,
                points: l.points,
                applicable: l.applicable,
                weight_used: c.def.points,
                fired: false,
                measures: measures_of(&c.expr),
            });
        }
    }
    for c in &compiled.vetoes {
        let fired = subject.score.vetoes.iter().find(|v| v.code == c.def.code);
        let value = c.expr.eval(&tally);
        lines.push(ExplainedLine {
            section: "veto".into(),
            code: c.def.code.clone(),
            name: c.def.name.clone(),
            formula: c.def.formula.clone(),
            weight: 0.0,
            limit: c.def.at_least,
            value: fired
                .map(|f| f.value)
                .unwrap_or_else(|| if value.is_nan() { 0.0 } else { frontline_core::indicators::round2(value) }),
            points: 0.0,
            applicable: !value.is_nan(),
            weight_used: 0.0,
            fired: fired.is_some(),
            measures: measures_of(&c.expr),
        });
    }
    Ok(Explanation { scheme_id, scheme_name: meta.name, period, subject, ranked, ranked_within, lines, tally })
}

/// A published run (公示, then final).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RunView {
    pub id: i64,
    pub scheme_id: i64,
    pub scheme_name: String,
    pub scheme_version: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub published_on: NaiveDate,
    /// The day results become final; until then they are on public notice (公示).
    pub final_on: NaiveDate,
    pub subjects: i64,
    pub laggards: i64,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
}

const RUN_COLUMNS: &str = "r.id, r.scheme_id, s.name AS scheme_name, r.scheme_version, r.unit_id, u.name AS unit_name, \
     r.period_from, r.period_to, r.published_on, r.final_on, r.subjects, r.laggards, r.created_by, r.created_at";
const RUN_FROM: &str =
    " FROM score_runs r JOIN schemes s ON s.id = r.scheme_id JOIN units u ON u.id = r.unit_id WHERE ";

/// Scores a subtree with the scheme as stored and publishes the result: every subject's score is
/// kept with the definition it was computed with, on notice for the scheme's publication days.
pub async fn publish(db: &Db, actor: &Actor, scheme_id: i64, unit_id: i64, period: Period) -> Result<i64, DbError> {
    actor.require("judge:score:publish")?;
    let meta = scheme(db, &actor.scope, scheme_id).await?;
    if !meta.active {
        return Err(DomainError::Conflict("error.scheme.inactive".into()).into());
    }
    let compiled = meta.compiled()?;
    let ranking = score(db, &actor.scope, &meta, &compiled, unit_id, period).await?;
    let today = today_in_china(Utc::now());
    if period.to >= today {
        return Err(DomainError::invalid("to", "error.judge.period_not_over").into());
    }
    let final_on = today + chrono::Duration::days(i64::from(compiled.def.publication_days));
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, unit_id, "unit_id").await?;
    let run = tx
        .insert(&Sql::with(
            "INSERT INTO score_runs (scheme_id, scheme_version, definition, unit_id, period_from, period_to, published_on, \
             final_on, subjects, laggards, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
            vec![
                scheme_id.into(),
                meta.version.into(),
                meta.definition.clone().into(),
                unit_id.into(),
                period.from.into(),
                period.to.into(),
                today.into(),
                final_on.into(),
                (ranking.subjects.len() as i64).into(),
                (ranking.laggards as i64).into(),
                actor.name.clone().into(),
                now.into(),
            ],
        ))
        .await?;
    let rows = ranking
        .subjects
        .iter()
        .map(|s| {
            vec![
                run.into(),
                s.unit_id.into(),
                s.person_id.into(),
                s.parent_id.into(),
                ((s.score.total * 100.0).round() as i64).into(),
                i64::from(s.score.stars).into(),
                s.score.laggard.into(),
                // The rank every page shows (ties share it), not the place in the list.
                (s.rank as i64).into(),
                serde_json::to_string(&s.score).unwrap_or_default().into(),
                s.score.measured.into(),
            ]
        })
        .collect();
    tx.insert_rows(
        "scores",
        &[
            "run_id",
            "unit_id",
            "person_id",
            "parent_id",
            "total_centi",
            "stars",
            "laggard",
            "position",
            "detail",
            "measured",
        ],
        rows,
    )
    .await?;
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "score.publish",
            object_kind: "score_run",
            object_id: Some(run),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"scheme_id": scheme_id, "version": meta.version, "from": period.from, "to": period.to,
                "subjects": ranking.subjects.len(), "laggards": ranking.laggards, "final_on": final_on}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(run)
}

/// Published runs of the schemes the caller is concerned by, for units they reach, newest first.
pub async fn runs(db: &Db, scope: &Scope, scheme_id: Option<i64>) -> Result<Vec<RunView>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {RUN_COLUMNS}{RUN_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    if let Some(s) = scheme_id {
        sql.push(" AND r.scheme_id = ").bind(s);
    }
    sql.push(" ORDER BY r.period_to DESC, r.id DESC LIMIT 200");
    db.all(&sql).await
}

/// A published score row.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct ScoreRow {
    pub run_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub parent_name: Option<String>,
    pub total_centi: i64,
    pub stars: i64,
    pub laggard: bool,
    pub position: i64,
    /// False when the subject had no record in the period (无数据).
    pub measured: bool,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub final_on: NaiveDate,
}

impl ScoreRow {
    /// Where the subject stood in the published run: 无数据, 后进 or its stars.
    pub fn standing(&self) -> frontline_core::indicators::Standing {
        frontline_core::indicators::Standing::of(self.measured, self.laggard, u8::try_from(self.stars).unwrap_or(0))
    }
}

const SCORE_COLUMNS: &str = "sc.run_id, sc.unit_id, u.name AS unit_name, sc.person_id, p.name AS person_name, \
     pu.name AS parent_name, sc.total_centi, sc.stars, sc.laggard, sc.position, sc.measured, r.period_from, r.period_to, r.final_on";
const SCORE_FROM: &str = " FROM scores sc JOIN score_runs r ON r.id = sc.run_id JOIN units u ON u.id = sc.unit_id \
     LEFT JOIN people p ON p.id = sc.person_id LEFT JOIN units pu ON pu.id = sc.parent_id WHERE ";

/// A run with its rows, best first.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RunDetail {
    pub run: RunView,
    pub rows: Page<ScoreRow>,
}

/// One run and a page of its rows (only those the caller reaches); `laggards` keeps laggards only.
pub async fn run(db: &Db, scope: &Scope, id: i64, laggards: bool, page: Option<i64>) -> Result<RunDetail, DbError> {
    let mut sql = Sql::new(&format!("SELECT {RUN_COLUMNS}{RUN_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND r.id = ").bind(id);
    let run: RunView = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let mut filter = Sql::new(SCORE_FROM);
    push_scope(&mut filter, "u.path", scope);
    filter.push(" AND sc.run_id = ").bind(id);
    if laggards {
        filter.push(" AND sc.laggard = ").bind(true);
    }
    let (page, per_page) = crate::sql::page_bounds(page, Some(50));
    let rows = db.page_of(SCORE_COLUMNS, filter, "sc.position, sc.id", page, per_page).await?;
    Ok(RunDetail { run, rows })
}

/// A subject's published results under one scheme over time, oldest first: stars gained and lost.
pub async fn history(
    db: &Db,
    scope: &Scope,
    scheme_id: i64,
    unit_id: Option<i64>,
    person_id: Option<i64>,
) -> Result<Vec<ScoreRow>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {SCORE_COLUMNS}{SCORE_FROM}"));
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND r.scheme_id = ").bind(scheme_id);
    match (unit_id, person_id) {
        (_, Some(p)) => sql.push(" AND sc.person_id = ").bind(p),
        (Some(u), None) => sql.push(" AND sc.person_id IS NULL AND sc.unit_id = ").bind(u),
        (None, None) => return Err(DomainError::invalid("unit", "error.required").into()),
    };
    sql.push(" ORDER BY r.period_to, r.id");
    db.all(&sql).await
}
