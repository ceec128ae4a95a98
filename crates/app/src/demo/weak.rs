//! The demo's weak organisations (003.5): this year's screening (排查) of the county run from
//! the records, a few candidates confirmed with a plan and a strong partner paired for "1+1"
//! 帮带 and progress reported, two dismissed with a note, the rest left to decide — and one case
//! of last year cleared (销号) in the history.

use chrono::{Datelike, Duration, Utc};
use frontline_core::time::today_in_china;
use frontline_db::weak::{self, CasePlanInput};
use frontline_db::{Db, Sql};

/// What the demo's screening left.
#[derive(Debug, Clone, Default)]
pub struct WeakStats {
    pub candidates: i64,
    pub confirmed: i64,
    pub paired: i64,
    pub dismissed: i64,
}

/// Screens the county for this year and moves a handful of cases along; `org_head` leads the plans.
pub async fn seed(db: &Db, county_id: i64, county_path: &str, org_head: i64) -> anyhow::Result<WeakStats> {
    let boss = super::supervision::actor(&super::supervision::person_name(db, org_head).await?, org_head);
    let today = today_in_china(Utc::now());
    let year = today.year();
    let screening = weak::screen(db, &boss, county_id, year, today).await?;
    let (lo, hi) = frontline_core::units::subtree_range(county_path);
    let cases: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT c.id, c.unit_id FROM weak_cases c JOIN units u ON u.id = c.unit_id WHERE c.year = $1 \
             AND u.path >= $2 AND u.path < $3 ORDER BY u.path",
            vec![i64::from(year).into(), lo.into(), hi.into()],
        ))
        .await?;
    let mut stats = WeakStats { candidates: screening.candidates, ..WeakStats::default() };
    for (n, (case, _)) in cases.iter().enumerate() {
        match n {
            0..=5 => {
                weak::decide(db, &boss, *case, true, "经排查认定为软弱涣散党组织，列入整顿").await?;
                let input = CasePlanInput {
                    measures: "七个一：一名县领导包联、一个强村党组织结对、一名第一书记驻村、一套整顿方案、一次专题组织生活会、一批实事、一次验收评估".into(),
                    leader_id: org_head,
                    deadline: today + Duration::days(90 + 15 * n as i64),
                    partner_id: None,
                };
                weak::plan(db, &boss, *case, &input, today).await?;
                if n < 3 {
                    weak::report(db, &boss, *case, "结对党组织已开展联合主题党日，整顿方案按月推进", today).await?;
                }
                stats.confirmed += 1;
            }
            6..=7 => {
                weak::decide(db, &boss, *case, false, "经核实，组织生活记录补录后符合要求，不列入整顿").await?;
                stats.dismissed += 1;
            }
            _ => {}
        }
    }
    stats.paired = weak::pair(db, &boss, county_id, year, today).await?.len() as i64;
    // Last year's case, rectified and cleared, in the history.
    if let Some((_, unit)) = cases.get(8).or(cases.last()) {
        let now = Utc::now();
        db.execute_outside_transaction(&Sql::with(
            "INSERT INTO weak_cases (unit_id, year, status, reasons, measures, leader_id, deadline, note, cleared_on, \
             created_at, updated_at) VALUES ($1, $2, 'cleared', $3, $4, $5, $6, $7, $8, $9, $9)",
            vec![
                (*unit).into(),
                i64::from(year - 1).into(),
                r#"[{"criterion":"life_missed","value":5.0,"threshold":3}]"#.into(),
                "七个一整顿".into(),
                org_head.into(),
                (today - Duration::days(200)).into(),
                "整顿到位，组织生活按期召开".into(),
                (today - Duration::days(190)).into(),
                now.into(),
            ],
        ))
        .await?;
    }
    Ok(stats)
}
