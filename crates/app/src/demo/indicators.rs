//! The demo's judgement: the default schemes installed for the county, two weeks of the
//! 堡垒指数 published (so stars have a history), the newest one on public notice (公示), and the
//! laggards it found given rectification plans (后进整转) at different stages; the cases the
//! "五无" creation counts (a theft, a drug case, an illegal crossing…) entered in most villages over
//! the year, and the year's "五无" ranking so far published, its five-star villages the model
//! villages on 公示.

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
    /// Villages with all five stars of the "五无" creation last week (示范村, on 公示).
    pub model_villages: i64,
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
    stats.model_villages = five_none(db, &boss, county_id, today).await?;
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

/// Enters the cases the villages had this year (most had one) and publishes this year's "五无"
/// ranking so far; returns how many villages earned all five stars (the model villages).
async fn five_none(
    db: &Db,
    boss: &frontline_core::access::Actor,
    county_id: i64,
    today: chrono::NaiveDate,
) -> anyhow::Result<i64> {
    use frontline_core::records::RecordKind;
    let mut rng = Rng::new(0x5_4e0e);
    let (county_path,): (String,) =
        db.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![county_id.into()])).await?;
    let (lo, hi) = frontline_core::units::subtree_range(&county_path);
    let villages: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM units WHERE kind = 'village' AND path >= $1 AND path < $2 ORDER BY path",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    let kinds = [
        (RecordKind::CriminalCase, "发生盗窃案件1起，已立案侦查"),
        (RecordKind::CriminalCase, "发生诈骗案件1起，已立案侦查"),
        (RecordKind::DrugCase, "查获涉毒人员1名"),
        (RecordKind::SmugglingCase, "查获走私冻品一批"),
        (RecordKind::EpidemicCase, "发现境外输入阳性病例1例，已闭环转运"),
        (RecordKind::IllegalCrossing, "抓获非法越境人员1名，移交边境派出所"),
    ];
    // Over the year most villages had some case; about one in eight had none.
    let year_from = chrono::NaiveDate::from_ymd_opt(chrono::Datelike::year(&today), 1, 1).unwrap_or(today);
    let days = (today - year_from).num_days().max(1);
    for (village,) in &villages {
        if rng.chance(12) {
            continue;
        }
        let (kind, note) = *rng.pick(&kinds);
        frontline_db::appraisals::add_note(
            db,
            boss,
            &frontline_db::appraisals::NoteInput {
                kind: kind.as_str().into(),
                person_id: None,
                unit_id: Some(*village),
                occurred_on: (year_from + Duration::days(rng.range(0, days - 1))).min(today - Duration::days(1)),
                value: 1,
                note: note.into(),
            },
        )
        .await?;
    }
    let (scheme,): (i64,) = db
        .one(&Sql::with("SELECT id FROM schemes WHERE unit_id = $1 AND code = 'five_none'", vec![county_id.into()]))
        .await?;
    let run = indicators::publish(
        db,
        boss,
        scheme,
        county_id,
        Period { from: year_from.min(today - Duration::days(1)), to: today - Duration::days(1) },
    )
    .await?;
    Ok(db.count(&Sql::with("SELECT COUNT(*) FROM scores WHERE run_id = $1 AND stars = 5", vec![run.into()])).await?)
}
