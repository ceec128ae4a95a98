//! Inspections in the store (000.8, 001.7): teams (督导组), rounds with their reproducible draw,
//! the drawn targets that only the team sees until the visit is logged ("四不两直"), visits with
//! the cadres found on post, findings with the post holder who answered for the unit that day,
//! rectification and its acceptance, the overdue escalation the jobs loop runs, notices (通报),
//! and the counts the articles print for any subtree and period.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::error::{Problems, optional_text, text};
use frontline_core::inspections::{
    self, Candidate, DrawInput, FindingCategory, FindingJudges, FindingStatus, MAX_PER_TOWNSHIP, NoticeKind, Severity,
};
use frontline_core::people::{PartyStatus, PersonCategory};
use frontline_core::records::RecordKind;
use frontline_core::time::{Timing, start_of_china_day, today_in_china};
use frontline_core::units::{is_within, path_ids, subtree_range};
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::records::{self, NewRecord};
use crate::responsibility::responsible_holder;
use crate::succession::notify;
use crate::units::{self, push_scope};
use crate::{Db, DbError, Page, Sql, Tx};

/// An inspection team.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TeamView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub name: String,
    pub leader_id: i64,
    pub leader_name: String,
    /// Members' names, comma separated (the leader included).
    pub members: String,
}

/// A team as typed: the organising unit, a name, the leader and the other members.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct TeamInput {
    pub unit_id: i64,
    #[schema(min_length = 1, max_length = 60)]
    pub name: String,
    pub leader_id: i64,
    #[serde(default)]
    pub member_ids: Vec<i64>,
}

/// Locks onto a unit in the actor's scope, returning its path.
pub(crate) async fn unit_path_in_scope(tx: &mut Tx, scope: &Scope, unit: i64, field: &str) -> Result<String, DbError> {
    let mut sql = Sql::new("SELECT path FROM units u WHERE u.id = ");
    sql.bind(unit).push(" AND NOT u.closed AND ");
    push_scope(&mut sql, "u.path", scope);
    let row: Option<(String,)> = tx.opt(&sql).await?;
    row.map(|r| r.0).ok_or_else(|| DomainError::invalid(field, "error.inspect.unknown_unit").into())
}

/// Creates a team; every member must be a person the actor reaches.
pub async fn create_team(db: &Db, actor: &Actor, input: &TeamInput) -> Result<i64, DbError> {
    actor.require("inspect:round:edit")?;
    let name = text("name", &input.name, 60).map_err(|e| DbError::from(vec![e]))?;
    let mut members: Vec<i64> = std::iter::once(input.leader_id).chain(input.member_ids.iter().copied()).collect();
    members.sort_unstable();
    members.dedup();
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    for person in &members {
        crate::people::person_in_tx(&mut tx, &actor.scope, *person)
            .await
            .map_err(|_| DomainError::invalid("member_ids", "error.inspect.unknown_person"))?;
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO inspection_teams (unit_id, name, leader_id, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
            vec![input.unit_id.into(), name.clone().into(), input.leader_id.into(), Utc::now().into()],
        ))
        .await?;
    for person in &members {
        tx.execute(&Sql::with(
            "INSERT INTO inspection_team_members (team_id, person_id) VALUES ($1, $2)",
            vec![id.into(), (*person).into()],
        ))
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "inspection_team.create",
            object_kind: "inspection_team",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"name": name, "leader_id": input.leader_id, "members": members}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

const TEAM_QUERY: &str = "SELECT t.id, t.unit_id, u.name AS unit_name, t.name, t.leader_id, l.name AS leader_name, \
     COALESCE((SELECT STRING_AGG(p.name, ',') FROM inspection_team_members m JOIN people p ON p.id = m.person_id \
     WHERE m.team_id = t.id), '') AS members \
     FROM inspection_teams t JOIN units u ON u.id = t.unit_id JOIN people l ON l.id = t.leader_id WHERE ";

/// Teams organised in the caller's units, and teams the caller belongs to.
pub async fn teams(db: &Db, scope: &Scope) -> Result<Vec<TeamView>, DbError> {
    let agg = if db.is_postgres() { TEAM_QUERY.to_string() } else { TEAM_QUERY.replace("STRING_AGG", "GROUP_CONCAT") };
    let mut sql = Sql::new(&agg);
    sql.push("(");
    push_scope(&mut sql, "u.path", scope);
    if let Some(me) = scope.person_id {
        sql.push(" OR EXISTS (SELECT 1 FROM inspection_team_members m WHERE m.team_id = t.id AND m.person_id = ")
            .bind(me)
            .push(")");
    }
    sql.push(") ORDER BY t.id");
    db.all(&sql).await
}

/// A round as typed: where, when, how many visits per township and which teams go.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct RoundInput {
    /// The organising unit: villages are drawn from its subtree.
    pub unit_id: i64,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Visits to draw in each township.
    #[schema(minimum = 1, maximum = 20)]
    pub per_township: i64,
    /// The teams that go; townships are shared among them in turn.
    #[schema(min_items = 1)]
    pub team_ids: Vec<i64>,
    /// A targeted round (定点督查): the organiser names the places (the round's unit) rather than
    /// drawing them; allowed over any pool, and shown as not random. A random round over a pool
    /// draws at most one place for every [`inspections::MIN_POOL_PER_PLACE`] candidates of a
    /// township, and is refused where that is none at all.
    #[serde(default)]
    pub targeted: bool,
}

/// A round.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RoundView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub per_township: i64,
    /// A targeted round (定点督查), not a random draw.
    pub targeted: bool,
    pub organiser: String,
    /// The organiser's person, who alone sees every target.
    #[serde(skip)]
    pub organiser_id: Option<i64>,
    pub targets: i64,
    pub visited: i64,
    pub created_at: DateTime<Utc>,
}

const ROUND_COLUMNS: &str = "r.id, r.unit_id, u.name AS unit_name, r.title, r.starts_on, r.ends_on, r.per_township, r.targeted, \
     r.organiser, r.organiser_id, (SELECT COUNT(*) FROM inspection_targets g WHERE g.round_id = r.id) AS targets, \
     (SELECT COUNT(*) FROM inspection_targets g WHERE g.round_id = r.id AND g.visited_at IS NOT NULL) AS visited, r.created_at";

/// Creates a round and draws its targets at once (the draw's seed comes from the caller: the
/// server uses the operating system's randomness). Returns the round's id.
pub async fn create_round(db: &Db, actor: &Actor, input: &RoundInput, seed: u64) -> Result<i64, DbError> {
    actor.require("inspect:round:edit")?;
    let mut p = Problems::new();
    let title = p.check(text("title", &input.title, 80));
    if input.ends_on < input.starts_on || input.ends_on > input.starts_on + Duration::days(92) {
        p.add("ends_on", "error.inspect.bad_period");
    }
    if !(1..=MAX_PER_TOWNSHIP).contains(&input.per_township) {
        p.add("per_township", "error.out_of_range");
    }
    if input.team_ids.is_empty() {
        p.add("team_ids", "error.inspect.no_team");
    }
    p.into_result()?;
    let title = title.unwrap_or_default();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    let mut teams: Vec<i64> = Vec::new();
    for t in &input.team_ids {
        if !teams.contains(t) {
            teams.push(*t);
        }
    }
    for team in &teams {
        let mut sql =
            Sql::new("SELECT COUNT(*) FROM inspection_teams t JOIN units u ON u.id = t.unit_id WHERE t.id = ");
        sql.bind(*team).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("team_ids", "error.inspect.unknown_team").into());
        }
    }
    // Every open village of the subtree, with its township and the day of its last visit.
    let (lo, hi) = subtree_range(&path);
    let rows: Vec<(i64, String, Option<DateTime<Utc>>)> = tx
        .all(&Sql::with(
            "SELECT u.id, u.path, (SELECT MAX(v.visited_at) FROM inspection_visits v WHERE v.unit_id = u.id) AS last_visit \
             FROM units u WHERE u.kind = 'village' AND NOT u.closed AND u.path >= $1 AND u.path < $2 ORDER BY u.id",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    // Each village's township: the township on its path, inside the subtree or above it (a round
    // may cover one township or a single village).
    let mut above: Vec<i64> = rows.iter().flat_map(|(_, p, _)| path_ids(p)).collect();
    above.sort_unstable();
    above.dedup();
    let mut towns: Vec<(i64, String)> = Vec::new();
    for chunk in above.chunks(500) {
        let mut sql = Sql::new("SELECT id, path FROM units WHERE kind = 'township' AND id IN ");
        sql.bind_list(chunk.iter().copied());
        towns.extend(tx.all::<(i64, String)>(&sql).await?);
    }
    let today = today_in_china(now);
    let candidates: Vec<Candidate> = rows
        .iter()
        .filter_map(|(id, vpath, last)| {
            let township = towns.iter().find(|(_, tpath)| is_within(vpath, tpath)).map(|t| t.0)?;
            Some(Candidate {
                unit_id: *id,
                township_id: township,
                days_since_visit: last.map(|l| (today - today_in_china(l)).num_days()),
            })
        })
        .collect();
    if candidates.is_empty() {
        return Err(DomainError::invalid("unit_id", "error.inspect.no_villages").into());
    }
    let draw_input = DrawInput {
        seed: seed.to_string(),
        per_township: input.per_township,
        candidates,
        min_pool_per_place: if input.targeted { 0 } else { inspections::MIN_POOL_PER_PLACE },
        targeted: input.targeted,
    };
    let drawn = inspections::draw(&draw_input)?;
    if drawn.is_empty() {
        // Fewer than the minimum pool in every township: nothing can be drawn at random.
        return Err(DomainError::invalid("unit_id", "error.inspect.pool_too_small").into());
    }
    let input_json = serde_json::to_string(&draw_input).map_err(|e| DbError::Config(e.to_string()))?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO inspection_rounds (unit_id, title, starts_on, ends_on, per_township, seed, draw_input, organiser_id, organiser, \
             created_at, targeted) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            vec![
                input.unit_id.into(),
                title.clone().into(),
                input.starts_on.into(),
                input.ends_on.into(),
                input.per_township.into(),
                draw_input.seed.clone().into(),
                input_json.into(),
                actor.scope.person_id.into(),
                actor.name.clone().into(),
                now.into(),
                input.targeted.into(),
            ],
        ))
        .await?;
    let mut township_order: Vec<i64> = drawn.iter().map(|d| d.township_id).collect();
    township_order.dedup();
    for (seq, d) in drawn.iter().enumerate() {
        let turn = township_order.iter().position(|t| *t == d.township_id).unwrap_or(0);
        let team = teams[turn % teams.len()];
        tx.execute(&Sql::with(
            "INSERT INTO inspection_targets (round_id, unit_id, township_id, team_id, weight_milli, seq) VALUES ($1, $2, $3, $4, $5, $6)",
            vec![id.into(), d.unit_id.into(), d.township_id.into(), team.into(), d.weight_milli.into(), (seq as i64).into()],
        ))
        .await?;
    }
    // The team members learn that they go, not where: they see the list in the app.
    let mut members = Sql::new("SELECT DISTINCT person_id FROM inspection_team_members WHERE team_id IN ");
    members.bind_list(teams.iter().copied());
    for (person,) in tx.all::<(i64,)>(&members).await? {
        notify(&mut tx, person, "inspection_assigned", json!({"title": title})).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "inspection_round.create",
            object_kind: "inspection_round",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            // The targets stay out of the audit trail: it is read by people the draw is hidden from.
            after: json!({"title": title, "starts_on": input.starts_on, "ends_on": input.ends_on,
                "per_township": input.per_township, "targeted": input.targeted, "teams": teams, "targets": drawn.len()}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Rounds organised in the caller's units, newest first.
pub async fn rounds(
    db: &Db,
    scope: &Scope,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<RoundView>, DbError> {
    let mut f = Sql::new(" FROM inspection_rounds r JOIN units u ON u.id = r.unit_id WHERE ");
    push_scope(&mut f, "u.path", scope);
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(ROUND_COLUMNS, f, "r.starts_on DESC, r.id DESC", page, per_page).await
}

/// How the caller stands to a round: the organiser sees every target, a team member the targets
/// of their team, anyone else in scope only the targets already visited.
struct RoundAccess {
    organiser: bool,
    my_teams: Vec<i64>,
    ended: bool,
}

async fn round_access(db: &Db, actor: &Actor, round: i64) -> Result<(RoundView, RoundAccess), DbError> {
    let mut sql = Sql::new(&format!(
        "SELECT {ROUND_COLUMNS} FROM inspection_rounds r JOIN units u ON u.id = r.unit_id WHERE r.id = "
    ));
    sql.bind(round).push(" AND (");
    push_scope(&mut sql, "u.path", &actor.scope);
    if let Some(me) = actor.scope.person_id {
        sql.push(
            " OR EXISTS (SELECT 1 FROM inspection_targets g JOIN inspection_team_members m ON m.team_id = g.team_id \
             WHERE g.round_id = r.id AND m.person_id = ",
        )
        .bind(me)
        .push(")");
    }
    sql.push(")");
    let view: RoundView = db.opt(&sql).await?.ok_or(DomainError::NotFound)?;
    let my_teams: Vec<(i64,)> = match actor.scope.person_id {
        Some(me) => {
            db.all(&Sql::with(
                "SELECT DISTINCT g.team_id FROM inspection_targets g JOIN inspection_team_members m ON m.team_id = g.team_id \
                 WHERE g.round_id = $1 AND m.person_id = $2",
                vec![round.into(), me.into()],
            ))
            .await?
        }
        None => Vec::new(),
    };
    let ended = view.ends_on < today_in_china(Utc::now()) || view.visited == view.targets;
    let organiser = view.organiser_id.is_some() && view.organiser_id == actor.scope.person_id;
    Ok((view, RoundAccess { organiser, my_teams: my_teams.into_iter().map(|t| t.0).collect(), ended }))
}

/// One drawn target.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct TargetView {
    pub id: i64,
    pub round_id: i64,
    pub round_title: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub township_name: String,
    pub team_id: i64,
    pub team_name: String,
    pub weight_milli: i64,
    pub seq: i64,
    /// When its visit counts as made (the phone's time where believed, else the arrival).
    pub visited_at: Option<DateTime<Utc>>,
    /// The visit logged on a phone without signal: the time the phone says.
    pub visit_device_at: Option<DateTime<Utc>>,
    /// When the visit reached the server.
    pub visit_arrived_at: Option<DateTime<Utc>>,
}

const TARGET_QUERY: &str = "SELECT g.id, g.round_id, r.title AS round_title, g.unit_id, u.name AS unit_name, \
     tw.name AS township_name, g.team_id, t.name AS team_name, g.weight_milli, g.seq, g.visited_at, \
     v.device_at AS visit_device_at, v.created_at AS visit_arrived_at \
     FROM inspection_targets g JOIN inspection_rounds r ON r.id = g.round_id JOIN units u ON u.id = g.unit_id \
     JOIN units tw ON tw.id = g.township_id JOIN inspection_teams t ON t.id = g.team_id \
     LEFT JOIN inspection_visits v ON v.target_id = g.id WHERE ";

/// A round with the targets the caller may see.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RoundDetail {
    pub round: RoundView,
    pub targets: Vec<TargetView>,
    /// Whether the caller sees every target (organiser) or only some.
    pub sees_all: bool,
}

/// A round and the targets the caller may see: before a target is visited only its team and the
/// organiser see it.
pub async fn round(db: &Db, actor: &Actor, id: i64) -> Result<RoundDetail, DbError> {
    actor.require("inspect:round:list").or_else(|e| actor.require("inspect:visit:log").map_err(|_| e))?;
    let (view, access) = round_access(db, actor, id).await?;
    let mut sql = Sql::new(TARGET_QUERY);
    sql.push("g.round_id = ").bind(id);
    if !access.organiser {
        sql.push(" AND (g.visited_at IS NOT NULL");
        if !access.my_teams.is_empty() {
            sql.push(" OR g.team_id IN ").bind_list(access.my_teams.iter().copied());
        }
        sql.push(")");
    }
    sql.push(" ORDER BY g.seq");
    Ok(RoundDetail { round: view, targets: db.all(&sql).await?, sees_all: access.organiser })
}

/// The targets not yet visited of every team the caller is on (the phone's list).
pub async fn my_targets(db: &Db, actor: &Actor) -> Result<Vec<TargetView>, DbError> {
    actor.require("inspect:visit:log")?;
    let Some(me) = actor.scope.person_id else { return Ok(Vec::new()) };
    let mut sql = Sql::new(TARGET_QUERY);
    sql.push("g.visited_at IS NULL AND r.ends_on >= ")
        .bind(today_in_china(Utc::now()))
        .push(" AND g.team_id IN (SELECT team_id FROM inspection_team_members WHERE person_id = ")
        .bind(me)
        .push(") ORDER BY r.starts_on, g.seq");
    db.all(&sql).await
}

/// A draw as stored, run again.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DrawCheck {
    /// The stored input (seed, visits per township, every candidate with its days since the last visit).
    #[schema(value_type = Object)]
    pub input: DrawInput,
    /// The villages the round holds, in draw order.
    pub stored: Vec<i64>,
    /// The villages the draw gives when run again now.
    pub redrawn: Vec<i64>,
    pub matches: bool,
    /// Whether it was a random draw: not targeted, and every township's pool held at least
    /// `min_pool_per_place` candidates for each place drawn ([`DrawInput::is_random`]).
    pub random: bool,
    pub min_pool_per_place: i64,
}

/// Runs a round's draw again from its stored input and compares it with the targets the round
/// holds. The seed and the list are sealed until the round ends (or every target is visited),
/// except to its organiser.
pub async fn recheck(db: &Db, actor: &Actor, id: i64) -> Result<DrawCheck, DbError> {
    actor.require("inspect:round:list").or_else(|e| actor.require("inspect:visit:log").map_err(|_| e))?;
    let (_, access) = round_access(db, actor, id).await?;
    // A team member sees their own targets, but the seed would give them every team's.
    if !(access.organiser || access.ended) {
        return Err(DomainError::Conflict("error.inspect.draw_sealed".into()).into());
    }
    let (json,): (String,) =
        db.one(&Sql::with("SELECT draw_input FROM inspection_rounds WHERE id = $1", vec![id.into()])).await?;
    let input: DrawInput = serde_json::from_str(&json).map_err(|e| DbError::Config(e.to_string()))?;
    let stored: Vec<(i64,)> = db
        .all(&Sql::with("SELECT unit_id FROM inspection_targets WHERE round_id = $1 ORDER BY seq", vec![id.into()]))
        .await?;
    let stored: Vec<i64> = stored.into_iter().map(|r| r.0).collect();
    let redrawn: Vec<i64> = inspections::draw(&input)?.into_iter().map(|d| d.unit_id).collect();
    Ok(DrawCheck {
        matches: stored == redrawn,
        random: input.is_random(),
        min_pool_per_place: inspections::MIN_POOL_PER_PLACE,
        input,
        stored,
        redrawn,
    })
}

/// A person holding a post in a unit on a day (who the team expects to find on post).
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct HolderView {
    pub person_id: i64,
    pub person_name: String,
    pub post_id: i64,
    pub post_title: String,
}

/// The post holders of a unit (its own posts and those of its party organisation) on a day, each
/// person once with the titles of all their posts there.
async fn holders(tx: &mut Tx, unit: i64, day: NaiveDate) -> Result<Vec<HolderView>, DbError> {
    let mut sql = Sql::new(
        "SELECT t.person_id, pe.name AS person_name, p.id AS post_id, p.title AS post_title FROM posts p \
         JOIN units pu ON pu.id = p.unit_id JOIN tenures t ON t.post_id = p.id JOIN people pe ON pe.id = t.person_id \
         WHERE (p.unit_id = ",
    );
    sql.bind(unit).push(" OR (pu.parent_id = ").bind(unit);
    sql.push(" AND pu.kind IN ('party_branch', 'party_committee', 'party_general_branch'))) AND ");
    crate::responsibility::push_active_on(&mut sql, "t.start_date", "t.end_date", day);
    sql.push(" ORDER BY p.seq, p.id");
    // One line per person: a secretary who is also the director (一肩挑) is found once.
    let rows: Vec<HolderView> = tx.all(&sql).await?;
    let mut out: Vec<HolderView> = Vec::with_capacity(rows.len());
    for h in rows {
        match out.iter_mut().find(|o| o.person_id == h.person_id) {
            Some(o) => {
                o.post_title.push('、');
                o.post_title.push_str(&h.post_title);
            }
            None => out.push(h),
        }
    }
    Ok(out)
}

/// The post holders a team expects to find at one of its targets today.
pub async fn target_holders(db: &Db, actor: &Actor, target: i64) -> Result<(TargetView, Vec<HolderView>), DbError> {
    let t = team_target(db, actor, target).await?;
    let mut tx = db.begin().await?;
    let h = holders(&mut tx, t.unit_id, today_in_china(Utc::now())).await?;
    tx.commit().await?;
    Ok((t, h))
}

/// A target of one of the caller's teams.
async fn team_target(db: &Db, actor: &Actor, target: i64) -> Result<TargetView, DbError> {
    actor.require("inspect:visit:log")?;
    let me = actor.scope.person_id.ok_or(DomainError::NotFound)?;
    let mut sql = Sql::new(TARGET_QUERY);
    sql.push("g.id = ")
        .bind(target)
        .push(" AND g.team_id IN (SELECT team_id FROM inspection_team_members WHERE person_id = ")
        .bind(me)
        .push(")");
    Ok(db.opt(&sql).await?.ok_or(DomainError::NotFound)?)
}

/// Whether one expected cadre was found on post.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
pub struct PresenceInput {
    pub person_id: i64,
    pub present: bool,
}

/// A problem found, as typed.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct FindingInput {
    pub category: String,
    pub severity: String,
    pub description: String,
    /// The day by which it must be fixed.
    pub deadline: NaiveDate,
}

/// A visit as logged on the phone.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct VisitInput {
    /// The drawn target visited.
    pub target_id: i64,
    /// The cadres expected on post, each found or not.
    #[serde(default)]
    pub on_post: Vec<PresenceInput>,
    /// What the team saw of the village's task progress.
    pub task_progress: String,
    /// What the team saw of grid management.
    pub grid_management: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub findings: Vec<FindingInput>,
    /// A photo of the visit, uploaded first (`POST /attachments`) by the same account.
    #[serde(default)]
    pub attachment_id: Option<i64>,
}

struct ValidFinding {
    category: FindingCategory,
    severity: Severity,
    description: String,
    deadline: NaiveDate,
}

fn validate_findings(p: &mut Problems, input: &[FindingInput], today: NaiveDate) -> Vec<ValidFinding> {
    let mut out = Vec::new();
    for f in input {
        let category = FindingCategory::parse(&f.category);
        if category.is_none() {
            p.add("category", "error.inspect.category");
        }
        let severity = Severity::parse(&f.severity);
        if severity.is_none() {
            p.add("severity", "error.inspect.severity");
        }
        let description = p.check(text("description", &f.description, 1000));
        if f.deadline < today || f.deadline > today + Duration::days(180) {
            p.add("deadline", "error.inspect.deadline");
        }
        if let (Some(category), Some(severity), Some(description)) = (category, severity, description) {
            out.push(ValidFinding { category, severity, description, deadline: f.deadline });
        }
    }
    out
}

/// Logs a visit to a drawn target with its findings, in one transaction: the target counts as
/// visited, each finding names the post holder who answered for the unit that day, goes into the
/// ledger and reaches that holder. Returns the visit's id.
pub async fn log_visit(
    db: &Db,
    actor: &Actor,
    input: &VisitInput,
    photo: Option<&crate::evidence::PhotoEvidence>,
    when: Timing,
) -> Result<i64, DbError> {
    let target = team_target(db, actor, input.target_id).await?;
    let uploaded = input.attachment_id.map(crate::evidence::PhotoEvidence::Uploaded);
    let photo = photo.or(uploaded.as_ref());
    let cleaned = crate::evidence::clean_evidence(photo)?;
    let now = when.trusted();
    let today = today_in_china(now);
    let mut p = Problems::new();
    let task_progress = p.check(text("task_progress", &input.task_progress, 1000));
    let grid_management = p.check(text("grid_management", &input.grid_management, 1000));
    let summary = p.check(optional_text("summary", &input.summary, 2000)).flatten();
    let findings = validate_findings(&mut p, &input.findings, today);
    p.into_result()?;
    let mut tx = db.begin().await?;
    let claimed = tx
        .execute(&Sql::with(
            "UPDATE inspection_targets SET visited_at = $1 WHERE id = $2 AND visited_at IS NULL",
            vec![now.into(), target.id.into()],
        ))
        .await?;
    if claimed == 0 {
        return Err(DomainError::Conflict("error.inspect.already_visited".into()).into());
    }
    let expected = holders(&mut tx, target.unit_id, today).await?;
    for presence in &input.on_post {
        if !expected.iter().any(|h| h.person_id == presence.person_id) {
            return Err(DomainError::invalid("on_post", "error.inspect.not_a_holder").into());
        }
    }
    let found = input.on_post.iter().filter(|x| x.present).count() as i64;
    let (unit_path,): (String,) =
        tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![target.unit_id.into()])).await?;
    let attachment = crate::evidence::keep_evidence(&mut tx, actor.scope.person_id, photo, cleaned, when).await?;
    let visit = tx
        .insert(&Sql::with(
            "INSERT INTO inspection_visits (round_id, target_id, team_id, unit_id, visited_at, logged_by_id, logged_by, \
             on_post_expected, on_post_found, task_progress, grid_management, summary, attachment_id, created_at, device_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id",
            vec![
                target.round_id.into(),
                target.id.into(),
                target.team_id.into(),
                target.unit_id.into(),
                now.into(),
                actor.scope.person_id.into(),
                actor.name.clone().into(),
                (expected.len() as i64).into(),
                found.into(),
                task_progress.clone().into(),
                grid_management.into(),
                summary.into(),
                attachment.into(),
                when.received.into(),
                when.device.into(),
            ],
        ))
        .await?;
    for h in &expected {
        let present = input.on_post.iter().find(|x| x.person_id == h.person_id).map(|x| x.present);
        if let Some(present) = present {
            tx.execute(&Sql::with(
                "INSERT INTO inspection_visit_people (visit_id, person_id, post_id, present) VALUES ($1, $2, $3, $4)",
                vec![visit.into(), h.person_id.into(), h.post_id.into(), present.into()],
            ))
            .await?;
        }
    }
    let mut finding_ids = Vec::new();
    for f in &findings {
        finding_ids.push(insert_finding(&mut tx, actor, Some(visit), target.unit_id, f, now).await?);
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "inspection.visit",
            object_kind: "inspection_visit",
            object_id: Some(visit),
            unit_path: Some(&unit_path),
            before: serde_json::Value::Null,
            after: json!({"target_id": target.id, "unit_id": target.unit_id, "on_post_expected": expected.len(),
                "on_post_found": found, "findings": finding_ids, "visited_at": now, "device_at": when.device,
                "arrived_at": when.received}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(visit)
}

async fn insert_finding(
    tx: &mut Tx,
    actor: &Actor,
    visit: Option<i64>,
    unit: i64,
    f: &ValidFinding,
    now: DateTime<Utc>,
) -> Result<i64, DbError> {
    let holder = responsible_holder(tx, unit, today_in_china(now)).await?;
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO findings (visit_id, unit_id, category, severity, description, post_id, person_id, deadline, status, \
             escalated, raised_at, raised_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, FALSE, $10, $11) RETURNING id",
            vec![
                visit.into(),
                unit.into(),
                f.category.as_str().into(),
                f.severity.as_str().into(),
                f.description.clone().into(),
                holder.map(|h| h.1).into(),
                holder.map(|h| h.0).into(),
                f.deadline.into(),
                FindingStatus::Open.as_str().into(),
                now.into(),
                actor.name.clone().into(),
            ],
        ))
        .await?;
    records::append(
        tx,
        NewRecord {
            kind: RecordKind::FindingRaised,
            unit_id: unit,
            person_id: holder.map(|h| h.0),
            occurred_at: now,
            value: f.severity.weight(),
            source_kind: "finding",
            source_id: id,
            note: None,
        },
    )
    .await?;
    // A finding of a veto case (隔离脱管, 失管失控, 卡点形同虚设) is also that case's own record.
    if let Some(kind) = f.category.veto_case() {
        records::append(
            tx,
            NewRecord {
                kind,
                unit_id: unit,
                person_id: holder.map(|h| h.0),
                occurred_at: now,
                value: 1,
                source_kind: "finding",
                source_id: id,
                note: None,
            },
        )
        .await?;
    }
    if let Some((person, _)) = holder {
        notify(tx, person, "finding_raised", json!({"description": f.description, "deadline": f.deadline})).await?;
    }
    Ok(id)
}

/// A finding as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct FindingView {
    pub id: i64,
    pub visit_id: Option<i64>,
    pub round_id: Option<i64>,
    pub unit_id: i64,
    pub unit_name: String,
    pub category: String,
    pub severity: String,
    pub description: String,
    pub person_id: Option<i64>,
    pub person_name: Option<String>,
    pub post_title: Option<String>,
    pub deadline: NaiveDate,
    pub status: String,
    pub escalated: bool,
    pub raised_at: DateTime<Utc>,
    pub fixed_at: Option<DateTime<Utc>>,
    pub raised_by: String,
    /// The China day the latest rectification was handed in.
    pub handed_in_on: Option<NaiveDate>,
}

impl FindingView {
    /// Overdue (逾期未改) by the one rule: [`FindingStatus::overdue`].
    pub fn overdue(&self, today: NaiveDate) -> bool {
        FindingStatus::parse(&self.status).is_some_and(|s| s.overdue(self.deadline, self.handed_in_on, today))
    }
}

/// [`FindingStatus::overdue`] as a condition on `findings f`, for lists, counts and escalation.
fn push_overdue(sql: &mut Sql, today: NaiveDate) {
    sql.push(" ((f.status IN ('open', 'returned') AND f.deadline < ")
        .bind(today)
        .push(") OR (f.status = 'submitted' AND f.handed_in_on > f.deadline))");
}

const FINDING_COLUMNS: &str = "f.id, f.visit_id, v.round_id, f.unit_id, u.name AS unit_name, f.category, f.severity, \
     f.description, f.person_id, pe.name AS person_name, po.title AS post_title, f.deadline, f.status, f.escalated, \
     f.raised_at, f.fixed_at, f.raised_by, f.handed_in_on";

const FINDING_FROM: &str = " FROM findings f JOIN units u ON u.id = f.unit_id LEFT JOIN inspection_visits v ON v.id = f.visit_id \
     LEFT JOIN people pe ON pe.id = f.person_id LEFT JOIN posts po ON po.id = f.post_id WHERE ";

/// Filters for the findings list.
#[derive(Debug, Default, Clone, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FindingQuery {
    /// Findings in this unit's subtree.
    pub unit: Option<i64>,
    pub status: Option<String>,
    /// Only findings past their deadline and not fixed.
    pub overdue: Option<bool>,
    pub round: Option<i64>,
    pub page: Option<i64>,
    pub per_page: Option<i64>,
}

/// Findings in the caller's units, open ones first, earliest deadline first.
pub async fn findings(db: &Db, scope: &Scope, q: &FindingQuery) -> Result<Page<FindingView>, DbError> {
    let mut f = Sql::new(FINDING_FROM);
    push_scope(&mut f, "u.path", scope);
    if let Some(unit) = q.unit {
        units::push_subtree_of(db, scope, &mut f, "u.path", unit).await?;
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        f.push(" AND f.status = ").bind(s);
    }
    if q.overdue == Some(true) {
        f.push(" AND");
        push_overdue(&mut f, today_in_china(Utc::now()));
    }
    if let Some(r) = q.round {
        f.push(" AND v.round_id = ").bind(r);
    }
    let (page, per_page) = crate::sql::page_bounds(q.page, q.per_page);
    db.page_of(FINDING_COLUMNS, f, "CASE WHEN f.status = 'fixed' THEN 1 ELSE 0 END, f.deadline, f.id", page, per_page)
        .await
}

/// One rectification handed in, with the team's decision.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct RectificationView {
    pub id: i64,
    pub text: String,
    pub evidence: String,
    /// A photo of what was done (shown at `/work/attachments/{id}`).
    pub attachment_id: Option<i64>,
    pub submitted_by: String,
    /// When it counts as handed in: the phone's time where believed, else its arrival.
    pub submitted_at: DateTime<Utc>,
    /// Handed in from a phone without signal: the time the phone says (else none).
    pub device_at: Option<DateTime<Utc>>,
    /// When it reached the server (none for those handed in before this was kept).
    pub arrived_at: Option<DateTime<Utc>>,
    pub decision: Option<String>,
    pub decision_note: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
}

/// A finding with its rectifications.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FindingDetail {
    pub finding: FindingView,
    pub rectifications: Vec<RectificationView>,
    /// Whether the caller may accept or return it ([`FindingJudges`]): on the raising team or the
    /// round's organiser, and not the person it names.
    pub may_decide: bool,
}

/// The query behind [`FindingJudges`]: the raising team's leader and members (`team`) and the
/// round's organiser (`organiser`) of one visit.
fn judges_sql(visit: i64) -> Sql {
    let mut sql = Sql::new(
        "SELECT t.leader_id AS person_id, 'team' AS side FROM inspection_visits v \
         JOIN inspection_teams t ON t.id = v.team_id WHERE v.id = ",
    );
    sql.bind(visit).push(
        " UNION SELECT m.person_id, 'team' FROM inspection_visits v \
         JOIN inspection_team_members m ON m.team_id = v.team_id WHERE v.id = ",
    );
    sql.bind(visit).push(
        " UNION SELECT r.organiser_id, 'organiser' FROM inspection_visits v \
         JOIN inspection_rounds r ON r.id = v.round_id WHERE r.organiser_id IS NOT NULL AND v.id = ",
    );
    sql.bind(visit);
    sql
}

fn judges_of(view: &FindingView, rows: Vec<(i64, String)>) -> FindingJudges {
    FindingJudges {
        team: view.visit_id.map(|_| rows.iter().filter(|r| r.1 == "team").map(|r| r.0).collect()),
        organiser: rows.iter().find(|r| r.1 == "organiser").map(|r| r.0),
        answerable: view.person_id,
    }
}

/// One finding in the caller's units.
pub async fn finding(db: &Db, scope: &Scope, id: i64) -> Result<FindingDetail, DbError> {
    let mut f = Sql::new(&format!("SELECT {FINDING_COLUMNS}{FINDING_FROM}f.id = "));
    f.bind(id).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    let finding: FindingView = db.opt(&f).await?.ok_or(DomainError::NotFound)?;
    let judges = match finding.visit_id {
        Some(visit) => judges_of(&finding, db.all(&judges_sql(visit)).await?),
        None => judges_of(&finding, Vec::new()),
    };
    let rectifications = db
        .all(&Sql::with(
            "SELECT id, text, evidence, attachment_id, submitted_by, submitted_at, device_at, arrived_at, decision, \
             decision_note, decided_by, decided_at FROM rectifications WHERE finding_id = $1 ORDER BY id",
            vec![id.into()],
        ))
        .await?;
    let may_decide = judges.may_decide(scope.person_id).is_ok();
    Ok(FindingDetail { finding, rectifications, may_decide })
}

async fn finding_for_change(
    tx: &mut Tx,
    scope: &Scope,
    id: i64,
) -> Result<(FindingStatus, String, FindingView), DbError> {
    let mut f = Sql::new(&format!("SELECT {FINDING_COLUMNS}{FINDING_FROM}f.id = "));
    f.bind(id).push(" AND ");
    push_scope(&mut f, "u.path", scope);
    let view: FindingView = tx.opt(&f).await?.ok_or(DomainError::NotFound)?;
    let (path,): (String,) =
        tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![view.unit_id.into()])).await?;
    let status = FindingStatus::parse(&view.status).unwrap_or(FindingStatus::Open);
    Ok((status, path, view))
}

/// The unit hands in what it did about a finding (整改), with its evidence. Handed in from a phone
/// without signal, it counts at the phone's time where believed; both times are kept.
pub async fn submit_rectification(
    db: &Db,
    actor: &Actor,
    id: i64,
    what: &str,
    evidence: &str,
    photo: Option<&crate::evidence::PhotoEvidence>,
    when: Timing,
) -> Result<FindingDetail, DbError> {
    actor.require("inspect:finding:rectify")?;
    let mut p = Problems::new();
    let what = p.check(text("text", what, 2000));
    let evidence = p.check(text("evidence", evidence, 1000));
    p.into_result()?;
    let now = when.trusted();
    let cleaned = crate::evidence::clean_evidence(photo)?;
    let mut tx = db.begin().await?;
    let (status, path, view) = finding_for_change(&mut tx, &actor.scope, id).await?;
    let next = status.submit()?;
    let attachment = crate::evidence::keep_evidence(&mut tx, actor.scope.person_id, photo, cleaned, when).await?;
    tx.execute(&Sql::with(
        "UPDATE findings SET status = $1, handed_in_on = $2 WHERE id = $3",
        vec![next.as_str().into(), today_in_china(now).into(), id.into()],
    ))
    .await?;
    tx.insert(&Sql::with(
        "INSERT INTO rectifications (finding_id, text, evidence, attachment_id, submitted_by, submitted_at, device_at, \
         arrived_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        vec![
            id.into(),
            what.clone().into(),
            evidence.clone().into(),
            attachment.into(),
            actor.name.clone().into(),
            now.into(),
            when.device.into(),
            when.received.into(),
        ],
    ))
    .await?;
    // The team that found it is told; a finding without a visit goes to nobody in particular.
    if let Some(visit) = view.visit_id {
        let leader: Option<(i64,)> = tx
            .opt(&Sql::with(
                "SELECT t.leader_id FROM inspection_visits v JOIN inspection_teams t ON t.id = v.team_id WHERE v.id = $1",
                vec![visit.into()],
            ))
            .await?;
        if let Some((leader,)) = leader {
            notify(
                &mut tx,
                leader,
                "rectification_submitted",
                json!({"unit": view.unit_name, "description": view.description}),
            )
            .await?;
        }
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "finding.rectify",
            object_kind: "finding",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": status.as_str()}),
            after: json!({"status": next.as_str(), "text": what, "evidence": evidence, "attachment_id": attachment,
                "submitted_at": now, "device_at": when.device, "arrived_at": when.received}),
        },
    )
    .await?;
    tx.commit().await?;
    finding(db, &Scope::everything(), id).await
}

/// The team accepts (销号) or returns the rectification handed in last.
pub async fn decide_rectification(
    db: &Db,
    actor: &Actor,
    id: i64,
    accept: bool,
    note: &str,
) -> Result<FindingDetail, DbError> {
    actor.require("inspect:finding:decide")?;
    let note = if accept {
        optional_text("note", note, 500).map_err(|e| DbError::from(vec![e]))?
    } else {
        // A return says why.
        Some(text("note", note, 500).map_err(|e| DbError::from(vec![e]))?)
    };
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let (status, path, view) = finding_for_change(&mut tx, &actor.scope, id).await?;
    let rows = match view.visit_id {
        Some(visit) => tx.all(&judges_sql(visit)).await?,
        None => Vec::new(),
    };
    judges_of(&view, rows).may_decide(actor.scope.person_id)?;
    let next = status.decide(accept)?;
    let decision = if accept { "accepted" } else { "returned" };
    tx.execute(&Sql::with(
        "UPDATE rectifications SET decision = $1, decision_note = $2, decided_by = $3, decided_at = $4 \
         WHERE id = (SELECT MAX(id) FROM rectifications WHERE finding_id = $5)",
        vec![decision.into(), note.clone().into(), actor.name.clone().into(), now.into(), id.into()],
    ))
    .await?;
    if accept {
        tx.execute(&Sql::with(
            "UPDATE findings SET status = $1, fixed_at = $2 WHERE id = $3",
            vec![next.as_str().into(), now.into(), id.into()],
        ))
        .await?;
        records::append(
            &mut tx,
            NewRecord {
                kind: RecordKind::FindingFixed,
                unit_id: view.unit_id,
                person_id: view.person_id,
                occurred_at: now,
                // On time when handed in by the deadline, however long the acceptance took.
                value: i64::from(FindingStatus::fixed_on_time(
                    view.deadline,
                    view.handed_in_on.unwrap_or_else(|| today_in_china(now)),
                )),
                source_kind: "finding",
                source_id: id,
                note: None,
            },
        )
        .await?;
    } else {
        tx.execute(&Sql::with("UPDATE findings SET status = $1 WHERE id = $2", vec![next.as_str().into(), id.into()]))
            .await?;
    }
    if let Some(person) = view.person_id {
        let kind = if accept { "finding_accepted" } else { "finding_returned" };
        notify(&mut tx, person, kind, json!({"description": view.description})).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "finding.decide",
            object_kind: "finding",
            object_id: Some(id),
            unit_path: Some(&path),
            before: json!({"status": status.as_str()}),
            after: json!({"status": next.as_str(), "decision": decision, "note": note}),
        },
    )
    .await?;
    tx.commit().await?;
    finding(db, &Scope::everything(), id).await
}

/// Escalates every finding not fixed by its deadline, once: the responsible holder and the
/// secretary of the township above are told. Run by the jobs loop; a second run changes nothing.
/// Returns how many findings it escalated.
pub async fn escalate_overdue(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let today = today_in_china(now);
    // Owed past the deadline, or handed in late and left undecided: the one overdue rule.
    let mut due = Sql::new(
        "SELECT f.id, f.unit_id, f.person_id, f.description, u.path FROM findings f JOIN units u ON u.id = f.unit_id \
         WHERE f.escalated = FALSE AND",
    );
    push_overdue(&mut due, today);
    due.push(" ORDER BY f.id LIMIT 5000");
    let due: Vec<(i64, i64, Option<i64>, String, String)> = db.all(&due).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut tx = db.begin().await?;
    let mut n = 0;
    for (id, _unit, person, description, path) in due {
        let changed = tx
            .execute(&Sql::with(
                "UPDATE findings SET escalated = TRUE WHERE id = $1 AND escalated = FALSE",
                vec![id.into()],
            ))
            .await?;
        if changed == 0 {
            continue;
        }
        let params = json!({"description": description});
        if let Some(person) = person {
            notify(&mut tx, person, "finding_overdue", params.clone()).await?;
        }
        let mut town = Sql::new("SELECT id FROM units WHERE kind = 'township' AND id IN ");
        town.bind_list(path_ids(&path));
        if let Some((township,)) = tx.opt::<(i64,)>(&town).await?
            && let Some((secretary, _)) = responsible_holder(&mut tx, township, today).await?
            && Some(secretary) != person
        {
            notify(&mut tx, secretary, "finding_overdue", params).await?;
        }
        n += 1;
    }
    tx.commit().await?;
    Ok(n)
}

/// A notice as typed: praise or criticism of a unit and, by name, of cadres and party members.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct NoticeInput {
    pub unit_id: i64,
    #[schema(value_type = frontline_core::inspections::NoticeKind)]
    pub kind: String,
    #[schema(min_length = 1, max_length = 80)]
    pub title: String,
    #[schema(min_length = 1, max_length = 4000)]
    pub body: String,
    #[serde(default)]
    pub finding_id: Option<i64>,
    #[serde(default)]
    pub visit_id: Option<i64>,
    /// People named; only cadres and party members may be.
    #[serde(default)]
    pub person_ids: Vec<i64>,
}

/// A notice.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct NoticeView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub finding_id: Option<i64>,
    pub visit_id: Option<i64>,
    pub issued_at: DateTime<Utc>,
    pub issued_by: String,
    /// The people named, comma separated.
    pub people: String,
}

/// The path of a unit.
pub(crate) async fn unit_path(tx: &mut Tx, unit: i64) -> Result<String, DbError> {
    let (path,): (String,) = tx.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![unit.into()])).await?;
    Ok(path)
}

/// What a note, commendation or deed is about, with its path: a person's home unit (a cadre or
/// member the actor reaches), or else a unit the actor reaches; one of the two is required.
pub(crate) async fn subject_or_unit(
    tx: &mut Tx,
    scope: &Scope,
    person: Option<i64>,
    unit: Option<i64>,
) -> Result<(i64, String), DbError> {
    let unit_id = match (person, unit) {
        (Some(person), _) => subject_in_tx(tx, scope, person, "person_id").await?,
        (None, Some(unit)) => {
            unit_path_in_scope(tx, scope, unit, "unit_id").await?;
            unit
        }
        (None, None) => return Err(DomainError::invalid("person_id", "error.required").into()),
    };
    Ok((unit_id, unit_path(tx, unit_id).await?))
}

/// Whether a person may be named in a notice or an accountability action: a cadre or a party
/// member the actor reaches.
pub(crate) async fn subject_in_tx(tx: &mut Tx, scope: &Scope, person: i64, field: &str) -> Result<i64, DbError> {
    let p = crate::people::person_in_tx(tx, scope, person)
        .await
        .map_err(|_| DomainError::invalid(field, "error.inspect.unknown_person"))?;
    let category = PersonCategory::parse(&p.category).unwrap_or(PersonCategory::Resident);
    let party = PartyStatus::parse(&p.party_status).unwrap_or(PartyStatus::None);
    if !category.may_be_assessed(party) {
        return Err(DomainError::invalid(field, "error.account.not_a_subject").into());
    }
    Ok(p.home_unit_id)
}

/// Issues a notice (通报); each person named, or the unit if nobody is, gets a `praised` or
/// `criticised` record.
pub async fn issue_notice(db: &Db, actor: &Actor, input: &NoticeInput) -> Result<i64, DbError> {
    actor.require("inspect:notice:edit")?;
    let mut p = Problems::new();
    let kind = NoticeKind::parse(&input.kind);
    if kind.is_none() {
        p.add("kind", "error.inspect.notice_kind");
    }
    let title = p.check(text("title", &input.title, 80));
    let body = p.check(text("body", &input.body, 4000));
    p.into_result()?;
    let (Some(kind), Some(title), Some(body)) = (kind, title, body) else {
        return Err(DomainError::invalid("kind", "error.inspect.notice_kind").into());
    };
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let path = unit_path_in_scope(&mut tx, &actor.scope, input.unit_id, "unit_id").await?;
    if let Some(f) = input.finding_id {
        let mut sql = Sql::new("SELECT COUNT(*) FROM findings f JOIN units u ON u.id = f.unit_id WHERE f.id = ");
        sql.bind(f).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("finding_id", "error.inspect.unknown_finding").into());
        }
    }
    if let Some(v) = input.visit_id {
        let mut sql =
            Sql::new("SELECT COUNT(*) FROM inspection_visits v JOIN units u ON u.id = v.unit_id WHERE v.id = ");
        sql.bind(v).push(" AND ");
        push_scope(&mut sql, "u.path", &actor.scope);
        if tx.count(&sql).await? == 0 {
            return Err(DomainError::invalid("visit_id", "error.inspect.unknown_visit").into());
        }
    }
    let mut people = input.person_ids.clone();
    people.sort_unstable();
    people.dedup();
    for person in &people {
        subject_in_tx(&mut tx, &actor.scope, *person, "person_ids").await?;
    }
    let id = tx
        .insert(&Sql::with(
            "INSERT INTO notices (unit_id, kind, title, body, finding_id, visit_id, issued_at, issued_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            vec![
                input.unit_id.into(),
                kind.as_str().into(),
                title.clone().into(),
                body.into(),
                input.finding_id.into(),
                input.visit_id.into(),
                now.into(),
                actor.name.clone().into(),
            ],
        ))
        .await?;
    let record_kind = if kind == NoticeKind::Praise { RecordKind::Praised } else { RecordKind::Criticised };
    let named: Vec<Option<i64>> =
        if people.is_empty() { vec![None] } else { people.iter().map(|p| Some(*p)).collect() };
    for person in named {
        if let Some(person) = person {
            tx.execute(&Sql::with(
                "INSERT INTO notice_people (notice_id, person_id) VALUES ($1, $2)",
                vec![id.into(), person.into()],
            ))
            .await?;
            notify(&mut tx, person, "notice_issued", json!({"title": title, "kind": kind.as_str()})).await?;
        }
        records::append(
            &mut tx,
            NewRecord {
                kind: record_kind,
                unit_id: input.unit_id,
                person_id: person,
                occurred_at: now,
                value: 1,
                source_kind: "notice",
                source_id: id,
                note: None,
            },
        )
        .await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "notice.issue",
            object_kind: "notice",
            object_id: Some(id),
            unit_path: Some(&path),
            before: serde_json::Value::Null,
            after: json!({"kind": kind.as_str(), "title": title, "people": people, "finding_id": input.finding_id}),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(id)
}

/// Notices about the caller's units, newest first.
pub async fn notices(
    db: &Db,
    scope: &Scope,
    unit: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<NoticeView>, DbError> {
    let agg = if db.is_postgres() { "STRING_AGG" } else { "GROUP_CONCAT" };
    let columns = format!(
        "n.id, n.unit_id, u.name AS unit_name, n.kind, n.title, n.body, n.finding_id, n.visit_id, n.issued_at, n.issued_by, \
         COALESCE((SELECT {agg}(p.name, ',') FROM notice_people np JOIN people p ON p.id = np.person_id \
         WHERE np.notice_id = n.id), '') AS people"
    );
    let mut f = Sql::new(" FROM notices n JOIN units u ON u.id = n.unit_id WHERE ");
    push_scope(&mut f, "u.path", scope);
    if let Some(unit) = unit {
        units::push_subtree_of(db, scope, &mut f, "u.path", unit).await?;
    }
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(&columns, f, "n.issued_at DESC, n.id DESC", page, per_page).await
}

/// The figures the articles print, for one unit's subtree over a period.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct SupervisionCounts {
    pub unit_id: i64,
    pub unit_name: String,
    /// Rounds that visited the subtree in the period.
    pub rounds: i64,
    pub visits: i64,
    /// Problems found in the period.
    pub findings: i64,
    /// Of those, fixed (accepted).
    pub fixed: i64,
    /// Of those, not fixed and past their deadline.
    pub overdue: i64,
    /// Cadres and party members named in a notice or held accountable in the period.
    pub people_notified_or_handled: i64,
}

/// The period the 督查统计 of a unit covers by default: from the first day of the earliest
/// round that concerns the unit (held by it, above it or below it) and is running or ended in the
/// last 30 days, to today — so a round's findings are counted whole, not from the first of the
/// month; the last 30 days when no round is that recent.
pub async fn figures_period(db: &Db, unit: i64, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), DbError> {
    let root = units::get(db, &Scope::everything(), unit).await?;
    let recent = today - Duration::days(29);
    let rounds: Vec<(String, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT u.path, r.starts_on FROM inspection_rounds r JOIN units u ON u.id = r.unit_id \
             WHERE r.ends_on >= $1 AND r.starts_on <= $2",
            vec![recent.into(), today.into()],
        ))
        .await?;
    let from = rounds
        .into_iter()
        .filter(|(path, _)| path.starts_with(&root.path) || root.path.starts_with(path.as_str()))
        .map(|(_, starts)| starts)
        .min()
        .map_or(recent, |starts| starts.min(recent));
    Ok((from, today))
}

/// The counts for a unit and each of its children; the first row is the unit itself.
pub async fn counts(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<SupervisionCounts>, DbError> {
    let rows_of = units::with_children(db, scope, unit).await?;
    let (lo, hi) = subtree_range(&rows_of[0].path);
    let start = start_of_china_day(from);
    let end = start_of_china_day(to + Duration::days(1));
    let today = today_in_china(Utc::now());
    let in_subtree = |sql: &mut Sql, col: &str| {
        sql.push(&format!(" AND {col} >= ")).bind(lo.clone()).push(&format!(" AND {col} < ")).bind(hi.clone());
        sql.push(" AND ");
        push_scope(sql, col, scope);
    };
    let mut visits = Sql::new(
        "SELECT u.path, v.round_id FROM inspection_visits v JOIN units u ON u.id = v.unit_id WHERE v.visited_at >= ",
    );
    visits.bind(start).push(" AND v.visited_at < ").bind(end);
    in_subtree(&mut visits, "u.path");
    let visits: Vec<(String, Option<i64>)> = db.all(&visits).await?;
    let mut found = Sql::new(
        "SELECT u.path, f.status, f.deadline, f.handed_in_on FROM findings f JOIN units u ON u.id = f.unit_id \
         WHERE f.raised_at >= ",
    );
    found.bind(start).push(" AND f.raised_at < ").bind(end);
    in_subtree(&mut found, "u.path");
    let found: Vec<(String, String, NaiveDate, Option<NaiveDate>)> = db.all(&found).await?;
    let mut named = Sql::new(
        "SELECT u.path, np.person_id FROM notice_people np JOIN notices n ON n.id = np.notice_id \
         JOIN units u ON u.id = n.unit_id WHERE n.issued_at >= ",
    );
    named.bind(start).push(" AND n.issued_at < ").bind(end);
    in_subtree(&mut named, "u.path");
    named.push(" UNION SELECT u.path, a.person_id FROM accountability_actions a JOIN units u ON u.id = a.unit_id WHERE a.status = 'effective' AND a.decided_on >= ");
    named.bind(from).push(" AND a.decided_on <= ").bind(to);
    in_subtree(&mut named, "u.path");
    let named: Vec<(String, i64)> = db.all(&named).await?;
    Ok(rows_of
        .into_iter()
        .map(|u| {
            let (unit_id, unit_name, path) = (u.id, u.name, u.path);
            let mut rounds: Vec<i64> =
                visits.iter().filter(|(p, _)| is_within(p, &path)).filter_map(|(_, r)| *r).collect();
            rounds.sort_unstable();
            rounds.dedup();
            let mine: Vec<&(String, String, NaiveDate, Option<NaiveDate>)> =
                found.iter().filter(|(p, _, _, _)| is_within(p, &path)).collect();
            let mut people: Vec<i64> = named.iter().filter(|(p, _)| is_within(p, &path)).map(|(_, id)| *id).collect();
            people.sort_unstable();
            people.dedup();
            SupervisionCounts {
                unit_id,
                unit_name,
                rounds: rounds.len() as i64,
                visits: visits.iter().filter(|(p, _)| is_within(p, &path)).count() as i64,
                findings: mine.len() as i64,
                fixed: mine.iter().filter(|(_, s, _, _)| s == "fixed").count() as i64,
                overdue: mine
                    .iter()
                    .filter(|(_, s, deadline, handed_in)| {
                        FindingStatus::parse(s).is_some_and(|s| s.overdue(*deadline, *handed_in, today))
                    })
                    .count() as i64,
                people_notified_or_handled: people.len() as i64,
            }
        })
        .collect())
}

/// One visit as lists show it.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct VisitView {
    pub id: i64,
    pub round_id: Option<i64>,
    pub team_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    /// When the visit counts as made: the phone's time where believed, else its arrival.
    pub visited_at: DateTime<Utc>,
    /// Logged on a phone without signal: the time the phone says (else none).
    pub device_at: Option<DateTime<Utc>>,
    /// When it reached the server.
    pub arrived_at: DateTime<Utc>,
    pub logged_by: String,
    pub on_post_expected: i64,
    pub on_post_found: i64,
    pub task_progress: String,
    pub grid_management: String,
    pub summary: Option<String>,
    /// A photo of the visit (shown at `/work/attachments/{id}`).
    pub attachment_id: Option<i64>,
}

/// Visits logged in the caller's units, newest first.
pub async fn visits(
    db: &Db,
    scope: &Scope,
    unit: Option<i64>,
    page: Option<i64>,
    per_page: Option<i64>,
) -> Result<Page<VisitView>, DbError> {
    let mut f = Sql::new(
        " FROM inspection_visits v JOIN units u ON u.id = v.unit_id JOIN inspection_teams t ON t.id = v.team_id WHERE ",
    );
    push_scope(&mut f, "u.path", scope);
    if let Some(unit) = unit {
        units::push_subtree_of(db, scope, &mut f, "u.path", unit).await?;
    }
    let (page, per_page) = crate::sql::page_bounds(page, per_page);
    db.page_of(
        "v.id, v.round_id, t.name AS team_name, v.unit_id, u.name AS unit_name, v.visited_at, v.device_at, \
         v.created_at AS arrived_at, v.logged_by, \
         v.on_post_expected, v.on_post_found, v.task_progress, v.grid_management, v.summary, v.attachment_id",
        f,
        "v.visited_at DESC, v.id DESC",
        page,
        per_page,
    )
    .await
}
