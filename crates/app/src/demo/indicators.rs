//! The demo's judgement: the default schemes installed for the county, two weeks of the
//! 堡垒指数 published (so stars have a history), the newest one on public notice (公示), and the
//! laggards it found given rectification plans (后进整转) at different stages.

use chrono::{Duration, Utc};
use frontline_core::demo::Rng;
use frontline_core::time::today_in_china;
use frontline_db::indicators::{self, Period};
use frontline_db::laggards::{self, PlanInput};
use frontline_db::{Db, Sql};

use super::supervision::{actor, person_name};

/// What the demo's judgement made.
#[derive(Debug, Default, Clone)]
pub struct JudgementStats {
    pub schemes: usize,
    pub runs: i64,
    pub scored: i64,
    pub laggards: i64,
    pub plans: i64,
}

/// Installs the default schemes for the county and publishes the 堡垒指数 for the two weeks
/// before today; the laggards of the newer one get plans.
pub async fn seed(db: &Db, county_id: i64, org_head: i64, rng: &mut Rng) -> anyhow::Result<JudgementStats> {
    let boss = actor(&person_name(db, org_head).await?, org_head);
    let mut stats =
        JudgementStats { schemes: indicators::install_defaults(db, &boss, county_id).await?, ..Default::default() };
    let (bastion,): (i64,) = db
        .one(&Sql::with("SELECT id FROM schemes WHERE unit_id = $1 AND code = 'bastion'", vec![county_id.into()]))
        .await?;
    let today = today_in_china(Utc::now());
    let mut latest = 0;
    for (weeks_back, published_days_ago) in [(2, 6), (1, 0)] {
        let from = today - Duration::days(weeks_back * 7);
        let to = from + Duration::days(6);
        let run = indicators::publish(db, &boss, bastion, county_id, Period { from, to }).await?;
        if published_days_ago > 0 {
            // The older run was published when its period ended and has been final for a while.
            let published = to + Duration::days(1);
            let mut tx = db.begin().await?;
            tx.execute(&Sql::with(
                "UPDATE score_runs SET published_on = $1, final_on = $2 WHERE id = $3",
                vec![published.into(), (published + Duration::days(7)).into(), run.into()],
            ))
            .await?;
            tx.commit().await?;
        }
        latest = run;
        stats.runs += 1;
    }
    let (scored, lagging): (i64, i64) =
        db.one(&Sql::with("SELECT subjects, laggards FROM score_runs WHERE id = $1", vec![latest.into()])).await?;
    stats.scored = scored;
    stats.laggards = lagging;
    // Each laggard village's secretary answers for its plan.
    let laggards: Vec<(i64, String, i64)> = db
        .all(&Sql::with(
            "SELECT sc.unit_id, u.name, t.person_id FROM scores sc JOIN units u ON u.id = sc.unit_id \
             JOIN units pu ON pu.id = sc.unit_id OR pu.parent_id = sc.unit_id \
             JOIN posts po ON po.unit_id = pu.id AND po.kind = 'secretary' \
             JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             WHERE sc.run_id = $1 AND sc.laggard = $2 ORDER BY sc.position",
            vec![latest.into(), true.into()],
        ))
        .await?;
    for (i, (unit, name, secretary)) in laggards.into_iter().enumerate() {
        let plan = laggards::create(
            db,
            &boss,
            &PlanInput {
                unit_id: unit,
                run_id: Some(latest),
                reason: format!("{name}在本期堡垒指数评估中被确定为后进党组织"),
                plan: "一、镇党委班子成员包村指导，第一书记驻村；二、逐户排查隔离和居家管控对象，建立台账；\
                       三、卡点实行双人值守、每日督查；四、每周向镇党委报告整改进展。"
                    .into(),
                deadline: today + Duration::days(30 + rng.range(0, 30)),
                responsible_id: secretary,
            },
        )
        .await?;
        stats.plans += 1;
        if i % 3 != 2 {
            laggards::add_step(db, &boss, plan, "已召开支部委员会专题研究整改方案，明确责任分工").await?;
        }
        if i % 3 == 0 {
            laggards::add_step(db, &boss, plan, "隔离和管控对象台账已逐户核实，卡点恢复双人值守").await?;
        }
    }
    Ok(stats)
}
