//! Periodic bulletins in the store (周督促、月调度、季度通报): what a bulletin says is gathered once,
//! when its period is over, and kept (the archive); the jobs loop makes the ones due for every unit
//! that has a 堡垒指数 scheme, catching up after downtime, and a unique key makes sure no bulletin is
//! ever made twice. The page, the PDF and the workbook are all drawn from the kept content.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::Scope;
use frontline_core::bulletins::{Cadence, Span, red_and_black};
use frontline_core::indicators::{Score, rank};
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::subtree_range;
use serde::{Deserialize, Serialize};

use crate::indicators::{self, Period};
use crate::{Db, DbError, Sql};

/// How many bulletins of one cadence a catch-up makes at most.
const CATCH_UP: usize = 8;
/// How many units the red and black lists name.
const LIST_LENGTH: usize = 10;

/// One figure with its value in the period before.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Figure {
    /// Catalogue key of the figure's name (`bulletin.figure.orders_collected`…).
    pub key: String,
    /// Null when not applicable (a rate of nothing: nothing closed, nobody called back).
    pub value: Option<f64>,
    /// Null when not applicable, or when the period before holds no data at all (the product was
    /// not yet in use): a change against it is not a change.
    pub previous: Option<f64>,
}

/// A unit in a ranking.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RankRow {
    pub rank: usize,
    pub unit_id: i64,
    pub unit_name: String,
    pub parent_name: Option<String>,
    pub total: f64,
    pub stars: u8,
    pub laggard: bool,
    /// False when the period held no record for the unit (无数据): not scored, ranked last.
    #[serde(default = "measured")]
    pub measured: bool,
}

impl RankRow {
    /// Where the unit stands: 无数据, 后进 or its stars (the one rule of every page).
    pub fn standing(&self) -> frontline_core::indicators::Standing {
        frontline_core::indicators::Standing::of(self.measured, self.laggard, self.stars)
    }
}

/// Bulletins stored before units without data were told apart ranked every unit as measured.
fn measured() -> bool {
    true
}

/// A notice or commendation of the period.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct NoticeRow {
    pub title: String,
    pub unit_name: String,
    pub on: NaiveDate,
}

/// What a bulletin says, fixed when it is made.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Content {
    pub unit_name: String,
    pub period: Span,
    pub previous: Span,
    pub figures: Vec<Figure>,
    /// The scheme the rankings use (the unit's 堡垒指数), if it has one.
    pub scheme_name: Option<String>,
    /// The units directly below that hold scored units (townships), rolled up, best first.
    pub groups: Vec<RankRow>,
    /// 红榜 and 黑榜 of the scored units (villages).
    pub red: Vec<RankRow>,
    pub black: Vec<RankRow>,
    /// 通报表扬 and 通报批评 issued in the period, and commendations.
    pub praised: Vec<NoticeRow>,
    pub criticised: Vec<NoticeRow>,
    pub commended: Vec<NoticeRow>,
    /// Its place among the documents its unit issued that year (发文字号), fixed when it is made;
    /// absent on bulletins made before bulletins were numbered.
    #[serde(default)]
    pub issue: Option<IssueMark>,
}

/// A bulletin's 发文字号: the year it was issued (China time) and its number in that year
/// among the bulletins of the same unit, from 1. How it reads (乐组通〔2026〕12号) is the
/// catalogue's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct IssueMark {
    pub year: i32,
    pub number: i64,
}

/// A bulletin as listed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BulletinView {
    pub id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    #[serde(skip)]
    pub unit_path: String,
    /// `weekly`, `monthly` or `quarterly`.
    pub cadence: String,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub created_at: DateTime<Utc>,
}

/// A bulletin with what it says.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Bulletin {
    pub bulletin: BulletinView,
    pub content: Content,
}

/// The active 堡垒指数 that covers a unit: its own, or the nearest one above it.
pub async fn bastion_scheme(db: &Db, unit_path: &str) -> Result<Option<i64>, DbError> {
    let schemes: Vec<(i64, String)> = db
        .all(&Sql::with(
            "SELECT s.id, u.path FROM schemes s JOIN units u ON u.id = s.unit_id WHERE s.code = 'bastion' AND s.active = $1",
            vec![true.into()],
        ))
        .await?;
    Ok(schemes
        .into_iter()
        .filter(|(_, path)| unit_path.starts_with(path.as_str()))
        .max_by_key(|(_, p)| p.len())
        .map(|s| s.0))
}

/// A subtree scored under its 堡垒指数 over a span.
pub struct Ranked {
    pub scheme_id: i64,
    pub scheme_name: String,
    /// The units directly below that hold scored units, rolled up and ranked among themselves.
    pub groups: Vec<RankRow>,
    /// The scored units (villages), best first.
    pub subjects: Vec<RankRow>,
    /// The unit itself over its whole subtree: the scheme's own roll-up (整体得分).
    pub whole: Option<RankRow>,
}

/// Scores the unit's subtree under the 堡垒指数 that covers it over a span.
pub async fn ranking(db: &Db, unit: i64, span: Span) -> Result<Option<Ranked>, DbError> {
    let all = Scope::everything();
    let root = crate::units::get(db, &all, unit).await?;
    let Some(scheme) = bastion_scheme(db, &root.path).await? else { return Ok(None) };
    let meta = indicators::scheme(db, &all, scheme).await?;
    let compiled = meta.compiled()?;
    let r = indicators::score(db, &all, &meta, &compiled, unit, Period { from: span.from, to: span.to }).await?;
    let row = |s: &indicators::Scored| RankRow {
        rank: s.rank,
        unit_id: s.unit_id,
        unit_name: s.unit_name.clone(),
        parent_name: s.parent_name.clone(),
        total: s.score.total,
        stars: s.score.stars,
        laggard: s.score.laggard,
        measured: s.score.measured,
    };
    // The groups that hold scored units (the townships), ranked among themselves by the same
    // rule as every ranking (`frontline_core::indicators::rank`).
    let kept: Vec<&indicators::Scored> =
        r.groups.iter().filter(|g| r.subjects.iter().any(|s| s.parent_id == Some(g.unit_id))).collect();
    let scores: Vec<Score> = kept.iter().map(|g| g.score.clone()).collect();
    let groups = rank(&scores)
        .into_iter()
        .map(|(i, position)| RankRow { rank: position, parent_name: None, ..row(kept[i]) })
        .collect();
    let whole = r.whole.as_ref().map(|score| RankRow {
        rank: 1,
        unit_id: r.unit_id,
        unit_name: r.unit_name.clone(),
        parent_name: None,
        total: score.total,
        stars: score.stars,
        laggard: score.laggard,
        measured: score.measured,
    });
    Ok(Some(Ranked {
        scheme_id: scheme,
        scheme_name: meta.name,
        groups,
        subjects: r.subjects.iter().map(row).collect(),
        whole,
    }))
}

async fn notices(db: &Db, path: &str, span: Span) -> Result<(Vec<NoticeRow>, Vec<NoticeRow>, Vec<NoticeRow>), DbError> {
    let (lo, hi) = subtree_range(path);
    let (start, end) = (start_of_china_day(span.from), start_of_china_day(span.to.succ_opt().unwrap_or(span.to)));
    let rows: Vec<(String, String, String, DateTime<Utc>)> = db
        .all(&Sql::with(
            "SELECT n.kind, n.title, u.name, n.issued_at FROM notices n JOIN units u ON u.id = n.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND n.issued_at >= $3 AND n.issued_at < $4 ORDER BY n.issued_at, n.id",
            vec![lo.clone().into(), hi.clone().into(), start.into(), end.into()],
        ))
        .await?;
    let (mut praised, mut criticised) = (Vec::new(), Vec::new());
    for (kind, title, unit_name, at) in rows {
        let row = NoticeRow { title, unit_name, on: today_in_china(at) };
        if kind == "praise" { praised.push(row) } else { criticised.push(row) }
    }
    let commended: Vec<(String, String, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT c.title, u.name, c.issued_on FROM commendations c JOIN units u ON u.id = c.unit_id \
             WHERE u.path >= $1 AND u.path < $2 AND c.issued_on >= $3 AND c.issued_on <= $4 ORDER BY c.issued_on, c.id",
            vec![lo.into(), hi.into(), span.from.into(), span.to.into()],
        ))
        .await?;
    let commended = commended.into_iter().map(|(title, unit_name, on)| NoticeRow { title, unit_name, on }).collect();
    Ok((praised, criticised, commended))
}

/// The headline figures of a unit's subtree over a span, in a fixed order.
async fn figures_of(db: &Db, unit: i64, span: Span, laggards: usize) -> Result<Vec<(String, Option<f64>)>, DbError> {
    let all = Scope::everything();
    let orders = crate::orders::counts(db, &all, unit, span.from, span.to).await?;
    let supervision = crate::inspections::counts(db, &all, unit, span.from, span.to).await?;
    let actions = crate::accountability::counts(db, &all, unit, span.from, span.to).await?;
    let mut out = Vec::new();
    if let Some(o) = orders.first() {
        out.push(("orders_collected".to_string(), Some(o.counts.collected as f64)));
        out.push(("orders_closed".to_string(), Some(o.counts.closed as f64)));
        out.push(("on_time_rate".to_string(), o.on_time_rate));
        out.push(("satisfaction_rate".to_string(), o.satisfaction_rate));
    }
    if let Some(s) = supervision.first() {
        out.push(("findings".to_string(), Some(s.findings as f64)));
        out.push(("findings_fixed".to_string(), Some(s.fixed as f64)));
    }
    if let Some(a) = actions.first() {
        out.push(("accountability".to_string(), Some(a.total as f64)));
    }
    out.push(("laggards".to_string(), Some(laggards as f64)));
    Ok(out)
}

/// Gathers what a bulletin of `unit` for `span` says.
pub async fn compose(db: &Db, unit: i64, cadence: Cadence, span: Span) -> Result<Content, DbError> {
    let all = Scope::everything();
    let root = crate::units::get(db, &all, unit).await?;
    let previous = cadence.previous(span);
    let now = ranking(db, unit, span).await?;
    let before = ranking(db, unit, previous).await?;
    let laggards = |r: &Option<Ranked>| r.as_ref().map_or(0, |r| r.subjects.iter().filter(|s| s.laggard).count());
    let current = figures_of(db, unit, span, laggards(&now)).await?;
    let mut earlier = figures_of(db, unit, previous, laggards(&before)).await?;
    // A period before with nothing in it at all (no scored unit with data, every count zero) is
    // no data, not a period of zeros: the changes against it are not shown.
    let before_has_data = before.as_ref().is_some_and(|r| r.subjects.iter().any(|s| s.measured))
        || earlier.iter().any(|(_, v)| v.is_some_and(|v| v != 0.0));
    if !before_has_data {
        for (_, v) in &mut earlier {
            *v = None;
        }
    }
    let figures = current
        .into_iter()
        .zip(earlier)
        .map(|((key, value), (_, previous))| Figure { key: format!("bulletin.figure.{key}"), value, previous })
        .collect();
    let (scheme_name, groups, red, black) = match now {
        Some(Ranked { scheme_name: name, groups, subjects, .. }) => {
            // Units without data in the period are on neither list: no data is not the bottom.
            let ranked: Vec<(i64, f64, bool)> =
                subjects.iter().filter(|s| s.measured).map(|s| (s.unit_id, s.total, s.laggard)).collect();
            let (red_ids, black_ids) = red_and_black(&ranked, LIST_LENGTH);
            let pick = |ids: &[i64]| -> Vec<RankRow> {
                ids.iter().filter_map(|id| subjects.iter().find(|s| s.unit_id == *id).cloned()).collect()
            };
            (Some(name), groups, pick(&red_ids), pick(&black_ids))
        }
        None => (None, Vec::new(), Vec::new(), Vec::new()),
    };
    let (praised, criticised, commended) = notices(db, &root.path, span).await?;
    Ok(Content {
        unit_name: root.name,
        period: span,
        previous,
        figures,
        scheme_name,
        groups,
        red,
        black,
        praised,
        criticised,
        commended,
        issue: None,
    })
}

/// Makes the bulletin of `unit` for `span` unless it exists; whether it was made now.
pub async fn generate(db: &Db, unit: i64, cadence: Cadence, span: Span) -> Result<bool, DbError> {
    let exists = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM bulletins WHERE unit_id = $1 AND cadence = $2 AND period_from = $3",
            vec![unit.into(), cadence.as_str().into(), span.from.into()],
        ))
        .await?;
    if exists > 0 {
        return Ok(false);
    }
    let mut content = compose(db, unit, cadence, span).await?;
    let now = Utc::now();
    let mut tx = db.begin().await?;
    // Numbered in the same transaction as it is made: the unit's row is locked on PostgreSQL (on
    // SQLite the one writer already serialises), so two bulletins never share a number.
    if tx.is_postgres() {
        tx.execute(&Sql::with("SELECT id FROM units WHERE id = $1 FOR UPDATE", vec![unit.into()])).await?;
    }
    let year = today_in_china(now).year();
    let (first, next) = (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or_default(),
        NaiveDate::from_ymd_opt(year + 1, 1, 1).unwrap_or_default(),
    );
    let issued = tx
        .count(&Sql::with(
            "SELECT COUNT(*) FROM bulletins WHERE unit_id = $1 AND created_at >= $2 AND created_at < $3",
            vec![unit.into(), start_of_china_day(first).into(), start_of_china_day(next).into()],
        ))
        .await?;
    content.issue = Some(IssueMark { year, number: issued + 1 });
    let text = serde_json::to_string(&content).map_err(|e| DbError::Config(e.to_string()))?;
    // The unique key settles a race between two runs: the second inserts nothing.
    let made = tx
        .execute(&Sql::with(
            "INSERT INTO bulletins (unit_id, cadence, period_from, period_to, content, created_at) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (unit_id, cadence, period_from) DO NOTHING",
            vec![unit.into(), cadence.as_str().into(), span.from.into(), span.to.into(), text.into(), now.into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(made > 0)
}

/// Makes every bulletin due at `now` for every unit with an active 堡垒指数: for each cadence, the
/// complete periods since the last one made (only the last complete one the first time); returns
/// how many were made.
pub async fn generate_due(db: &Db, now: DateTime<Utc>) -> Result<u64, DbError> {
    let today = today_in_china(now);
    let units: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT DISTINCT unit_id FROM schemes WHERE code = 'bastion' AND active = $1 ORDER BY unit_id",
            vec![true.into()],
        ))
        .await?;
    let mut made = 0;
    for (unit,) in units {
        for cadence in Cadence::ALL {
            let (last,): (Option<NaiveDate>,) = db
                .one(&Sql::with(
                    "SELECT MAX(period_from) FROM bulletins WHERE unit_id = $1 AND cadence = $2",
                    vec![unit.into(), cadence.as_str().into()],
                ))
                .await?;
            for span in cadence.due(last, today, CATCH_UP) {
                if generate(db, unit, *cadence, span).await? {
                    made += 1;
                }
            }
        }
    }
    Ok(made)
}

const COLUMNS: &str =
    "b.id, b.unit_id, u.name AS unit_name, u.path AS unit_path, b.cadence, b.period_from, b.period_to, b.created_at";

/// Bulletins the caller receives: those of units they reach and of the units above them, newest
/// first (at most 200).
pub async fn list(db: &Db, scope: &Scope, cadence: Option<&str>) -> Result<Vec<BulletinView>, DbError> {
    let mut sql = Sql::new(&format!("SELECT {COLUMNS} FROM bulletins b JOIN units u ON u.id = b.unit_id WHERE TRUE"));
    if let Some(c) = cadence.filter(|c| !c.is_empty()) {
        sql.push(" AND b.cadence = ").bind(c);
    }
    sql.push(" ORDER BY b.period_to DESC, b.id DESC");
    let all: Vec<BulletinView> = db.all(&sql).await?;
    Ok(all.into_iter().filter(|b| scope.reaches_or_is_above(&b.unit_path)).take(200).collect())
}

/// One bulletin the caller receives.
pub async fn get(db: &Db, scope: &Scope, id: i64) -> Result<Bulletin, DbError> {
    let row: Option<(i64, String)> =
        db.opt(&Sql::with("SELECT b.id, b.content FROM bulletins b WHERE b.id = $1", vec![id.into()])).await?;
    let (_, text) = row.ok_or(DomainError::NotFound)?;
    let bulletin: BulletinView = db
        .one(&Sql::with(
            &format!("SELECT {COLUMNS} FROM bulletins b JOIN units u ON u.id = b.unit_id WHERE b.id = $1"),
            vec![id.into()],
        ))
        .await?;
    if !scope.reaches_or_is_above(&bulletin.unit_path) {
        return Err(DomainError::NotFound.into());
    }
    let content = serde_json::from_str(&text).map_err(|e| DbError::Config(e.to_string()))?;
    Ok(Bulletin { bulletin, content })
}
