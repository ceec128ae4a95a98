//! The dashboard of one unit's subtree over a period (Section E): the figures the articles print,
//! gathered from what the other parts record, each with the units directly below it so every
//! figure can be followed down the tree and into the list behind it. A grid worker's "today" is
//! their own day: task lists, shifts, orders and unread notices.
//!
//! Everything is read in the caller's scope; the 堡垒指数 ranking is scored with the scheme that
//! covers the unit (its own or the nearest above it).

use chrono::{DateTime, NaiveDate, Utc};
use frontline_core::access::Scope;
use frontline_core::bulletins::Span;
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::subtree_range;
use serde::Serialize;

use crate::accountability::ActionCounts;
use crate::bulletins::{RankRow, ranking};
use crate::deployment::ArrivalCount;
use crate::inspections::SupervisionCounts;
use crate::meetings::CoverageRow;
use crate::orders::UnitOrderCounts;
use crate::responsibility::CoverageCount;
use crate::tasks::UnitRates;
use crate::units::{self, UnitView, push_scope};
use crate::{Db, DbError, Sql};

/// Role posts of a subtree and how many are filled (approved holders at least the minimum).
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct PostFill {
    pub posts: i64,
    pub filled: i64,
    pub holders: i64,
}

/// Checkpoint shifts that start in the period: all, fully staffed, and people who checked in of
/// those assigned.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct ShiftFill {
    pub shifts: i64,
    pub staffed: i64,
    pub assigned: i64,
    pub checked_in: i64,
}

/// Orders received and closed on one day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DayCount {
    pub day: NaiveDate,
    pub received: i64,
    pub closed: i64,
}

/// The 堡垒指数 of the subtree over the period.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RankingSummary {
    pub scheme_id: i64,
    pub scheme_name: String,
    /// How many scored units have 0, 1, … 5 stars.
    pub stars: [i64; 6],
    /// The best ten scored units.
    #[schema(value_type = Vec<Object>)]
    pub top: Vec<RankRow>,
    /// The scored units that are laggards (后进).
    #[schema(value_type = Vec<Object>)]
    pub laggards: Vec<RankRow>,
    /// Score of each unit that was scored or rolled up (the unit itself, the units below).
    #[schema(value_type = Vec<Object>)]
    pub by_unit: Vec<RankRow>,
    /// The unit itself over its whole subtree, as the ranking page's 整体得分 shows it.
    #[schema(value_type = Option<Object>)]
    pub whole: Option<RankRow>,
    /// For a scored unit (a village): its place among the units of the one above it, as that
    /// unit's ranking page and the breakdown show it.
    pub place: Option<Place>,
}

/// A scored unit's place in the ranking of the unit above it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Place {
    #[schema(value_type = Object)]
    pub row: RankRow,
    /// How many units that ranking holds.
    pub among: usize,
    pub within_id: i64,
    pub within_name: String,
}

/// What the dashboard of a unit shows. Lists that hold "the units below" start with the unit
/// itself (its whole subtree), then each child.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Dashboard {
    #[schema(value_type = Object)]
    pub unit: UnitView,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub arrivals: ArrivalCount,
    pub coverage: Vec<CoverageCount>,
    pub role_posts: PostFill,
    pub signoff: Vec<UnitRates>,
    pub shifts: ShiftFill,
    pub supervision: Vec<SupervisionCounts>,
    pub orders: Vec<UnitOrderCounts>,
    pub orders_by_day: Vec<DayCount>,
    pub ranking: Option<RankingSummary>,
    pub commendations: i64,
    pub accountability: Vec<ActionCounts>,
    pub training: Vec<CoverageRow>,
    /// Organisational life over the last full quarter (whatever the dashboard's period: shorter
    /// periods hold no whole quarter to judge): the part of the tree as a whole.
    pub life: crate::life::ComplianceRow,
    pub life_from: NaiveDate,
    pub life_to: NaiveDate,
}

/// The longest period a dashboard covers: a year and a day.
pub const MAX_DAYS: i64 = 366;

/// Gathers the dashboard of `unit` (in the caller's scope) for `[from, to]`.
pub async fn dashboard(
    db: &Db,
    scope: &Scope,
    unit: i64,
    from: NaiveDate,
    to: NaiveDate,
    now: DateTime<Utc>,
) -> Result<Dashboard, DbError> {
    let root = units::get(db, scope, unit).await?;
    let arrivals = crate::deployment::arrivals(db, scope, unit, to).await?;
    let coverage = crate::responsibility::coverage(db, scope, unit, to, 0).await?.counts;
    let role_posts = post_fill(db, scope, &root.path).await?;
    let signoff = crate::tasks::rates(db, scope, unit, from, to, now).await?;
    let shifts = shift_fill(db, scope, &root.path, from, to).await?;
    let supervision = crate::inspections::counts(db, scope, unit, from, to).await?;
    let orders = crate::orders::counts(db, scope, unit, from, to).await?;
    let orders_by_day = orders_by_day(db, scope, &root.path, from, to).await?;
    // The ranking names the units below: only for a caller who reaches all of them.
    let ranking =
        if scope.reaches_subtree(&root.path) { ranking_summary(db, &root, Span { from, to }).await? } else { None };
    let commendations = commendations(db, scope, &root.path, from, to).await?;
    let accountability = crate::accountability::counts(db, scope, unit, from, to).await?;
    let training = crate::meetings::coverage(db, scope, unit, from, to).await?;
    let today = frontline_core::time::today_in_china(now);
    let (life_from, life_to) = frontline_core::life::last_quarter(today);
    let life = crate::life::compliance(db, scope, unit, life_from, life_to, today, Some(1), Some(1)).await?.whole;
    Ok(Dashboard {
        unit: root,
        from,
        to,
        arrivals,
        coverage,
        role_posts,
        signoff,
        shifts,
        supervision,
        orders,
        orders_by_day,
        ranking,
        commendations,
        accountability,
        training,
        life,
        life_from,
        life_to,
    })
}

async fn post_fill(db: &Db, scope: &Scope, path: &str) -> Result<PostFill, DbError> {
    let (lo, hi) = subtree_range(path);
    let mut sql = Sql::new(
        "SELECT r.min_holders, CAST((SELECT COUNT(*) FROM role_claims c WHERE c.role_post_id = r.id AND c.status = 'approved') AS BIGINT) \
         FROM role_posts r JOIN units u ON u.id = r.unit_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    let rows: Vec<(i64, i64)> = db.all(&sql).await?;
    Ok(PostFill {
        posts: rows.len() as i64,
        filled: rows.iter().filter(|(min, held)| *held >= (*min).max(1)).count() as i64,
        holders: rows.iter().map(|(_, held)| held).sum(),
    })
}

async fn shift_fill(db: &Db, scope: &Scope, path: &str, from: NaiveDate, to: NaiveDate) -> Result<ShiftFill, DbError> {
    let (lo, hi) = subtree_range(path);
    let mut sql = Sql::new(
        "SELECT s.headcount, \
         CAST((SELECT COUNT(*) FROM shift_assignments a WHERE a.shift_id = s.id) AS BIGINT), \
         CAST((SELECT COUNT(*) FROM shift_assignments a WHERE a.shift_id = s.id AND a.checked_in_at IS NOT NULL) AS BIGINT) \
         FROM shifts s JOIN units u ON u.id = s.checkpoint_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND s.starts_at >= ").bind(start_of_china_day(from));
    sql.push(" AND s.starts_at < ").bind(start_of_china_day(to + chrono::Duration::days(1)));
    let rows: Vec<(i64, i64, i64)> = db.all(&sql).await?;
    Ok(ShiftFill {
        shifts: rows.len() as i64,
        staffed: rows.iter().filter(|(need, got, _)| got >= need).count() as i64,
        assigned: rows.iter().map(|r| r.1).sum(),
        checked_in: rows.iter().map(|r| r.2).sum(),
    })
}

/// Orders owned in the subtree, received and closed per day of the period (China days).
async fn orders_by_day(
    db: &Db,
    scope: &Scope,
    path: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<DayCount>, DbError> {
    let (lo, hi) = subtree_range(path);
    let (start, end) = (start_of_china_day(from), start_of_china_day(to + chrono::Duration::days(1)));
    let mut sql = Sql::new(
        "SELECT o.received_at, o.closed_at FROM work_orders o JOIN units u ON u.id = o.owner_unit_id WHERE u.path >= ",
    );
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND o.duplicate_of IS NULL AND ((o.received_at >= ").bind(start).push(" AND o.received_at < ").bind(end);
    sql.push(") OR (o.closed_at >= ").bind(start).push(" AND o.closed_at < ").bind(end).push("))");
    let rows: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)> = db.all(&sql).await?;
    let days = (to - from).num_days().clamp(0, MAX_DAYS) + 1;
    let mut out: Vec<DayCount> =
        (0..days).map(|i| DayCount { day: from + chrono::Duration::days(i), received: 0, closed: 0 }).collect();
    let slot = |t: DateTime<Utc>| {
        let i = (today_in_china(t) - from).num_days();
        (0..days).contains(&i).then_some(i as usize)
    };
    for (received, closed) in rows {
        if let Some(i) = slot(received) {
            out[i].received += 1;
        }
        if let Some(i) = closed.and_then(slot) {
            out[i].closed += 1;
        }
    }
    Ok(out)
}

async fn commendations(db: &Db, scope: &Scope, path: &str, from: NaiveDate, to: NaiveDate) -> Result<i64, DbError> {
    let (lo, hi) = subtree_range(path);
    let mut sql = Sql::new("SELECT COUNT(*) FROM commendations c JOIN units u ON u.id = c.unit_id WHERE u.path >= ");
    sql.bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    push_scope(&mut sql, "u.path", scope);
    sql.push(" AND c.issued_on >= ").bind(from).push(" AND c.issued_on <= ").bind(to);
    db.count(&sql).await
}

async fn ranking_summary(db: &Db, root: &UnitView, span: Span) -> Result<Option<RankingSummary>, DbError> {
    let unit = root.id;
    let Some(r) = ranking(db, unit, span).await? else { return Ok(None) };
    // A scored unit ranked alone would always come first: its place is in the ranking above it.
    let mut place = None;
    if let (true, Some(parent)) = (r.subjects.iter().any(|s| s.unit_id == unit), root.parent_id)
        && let Some(above) = ranking(db, parent, span).await?
        && let Some(row) = above.subjects.iter().find(|s| s.unit_id == unit)
    {
        let within_name = crate::units::get(db, &Scope::everything(), parent).await?.name;
        place = Some(Place { row: row.clone(), among: above.subjects.len(), within_id: parent, within_name });
    }
    let mut stars = [0i64; 6];
    for s in r.subjects.iter().filter(|s| s.measured) {
        stars[usize::from(s.stars.min(5))] += 1;
    }
    let laggards = r.subjects.iter().filter(|s| s.laggard).cloned().collect();
    let top = r.subjects.iter().take(10).cloned().collect();
    let mut by_unit = r.groups;
    by_unit.extend(r.subjects);
    Ok(Some(RankingSummary {
        scheme_id: r.scheme_id,
        scheme_name: r.scheme_name,
        stars,
        top,
        laggards,
        by_unit,
        whole: r.whole,
        place,
    }))
}

/// A grid worker's own day.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct Today {
    pub day: NaiveDate,
    /// Task lists due today, and how many are submitted.
    pub tasks: i64,
    pub tasks_done: i64,
    /// Shifts today, and how many are checked in.
    pub shifts: i64,
    pub shifts_checked_in: i64,
    /// Open work orders the person handles.
    pub orders_open: i64,
    /// Of those, past their due time.
    pub orders_overdue: i64,
    /// Unread notices.
    pub unread: i64,
}

/// The day of the person an account belongs to.
pub async fn today(db: &Db, person_id: i64, now: DateTime<Utc>) -> Result<Today, DbError> {
    let day = today_in_china(now);
    let tasks = crate::tasks::mine(db, person_id, day).await?;
    let done = tasks.iter().filter(|t| t.status != "open" && t.status != "returned").count() as i64;
    let (start, end) = (start_of_china_day(day), start_of_china_day(day + chrono::Duration::days(1)));
    let (shifts, checked_in): (i64, i64) = db
        .one(&Sql::with(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN a.checked_in_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
             WHERE a.person_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3",
            vec![person_id.into(), start.into(), end.into()],
        ))
        .await?;
    let (orders_open, orders_overdue): (i64, i64) = db
        .one(&Sql::with(
            "SELECT CAST(COUNT(*) AS BIGINT), CAST(COALESCE(SUM(CASE WHEN o.due_at < $2 THEN 1 ELSE 0 END), 0) AS BIGINT) \
             FROM work_orders o WHERE o.handler_id = $1 AND o.status <> 'closed' AND o.duplicate_of IS NULL",
            vec![person_id.into(), now.into()],
        ))
        .await?;
    let unread = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM notifications n WHERE n.person_id = $1 AND n.read_at IS NULL",
            vec![person_id.into()],
        ))
        .await?;
    Ok(Today {
        day,
        tasks: tasks.len() as i64,
        tasks_done: done,
        shifts,
        shifts_checked_in: checked_in,
        orders_open,
        orders_overdue,
        unread,
    })
}
