//! The demo's appraisals and incentives: leaders' 询/察/听 notes and mass evaluations on village
//! cadres of the first township, their appraisals for this winter's campaign (most made final, so
//! each has its 鉴定书), the reserve that follows, promotions for the frontline share, commendations,
//! typical deeds, the county's 实干担当好干部 selection open for votes, last year's 五述五评 reviews
//! open for ratings, and care records with a birthday on duty today.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use frontline_core::demo::Rng;
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_db::appraisals::{self, AppraisalInput, ConclusionInput, NoteInput, ReviewInput, TierInput};
use frontline_db::honours::{self, CareInput, CommendationInput, DeedInput, NominationInput, SelectionInput};
use frontline_db::{Db, Sql};

use super::supervision::{actor, person_name};

/// What the demo's appraisals made.
#[derive(Debug, Default, Clone)]
pub struct AppraisalStats {
    pub notes: usize,
    pub appraisals: usize,
    pub certificates: usize,
    pub promoted: usize,
    pub commendations: usize,
    pub deeds: usize,
    pub nominations: usize,
    pub reviews: usize,
    pub care: usize,
}

const INQUIRIES: &[&str] = &[
    "电话询问卡点值守安排，回答清楚、人员到位",
    "电话询问隔离观察对象底数，能准确说出人数和去向",
    "电话抽问居家管控措施，个别环节表述不够清楚",
];
const OBSERVATIONS: &[&str] = &[
    "现场察看卡点：双人值守，登记台账完整",
    "现场察看网格：入户排查记录规范，群众知晓率高",
    "现场察看发现卡点测温设备闲置，已当场指出",
];
const LISTENINGS: &[&str] = &["远程听取村支部汇报，思路清晰、措施具体", "远程听取网格员晨会，分工明确"];
const CONCLUSIONS: &[(&str, &str)] = &[
    (
        "excellent",
        "该同志在疫情防控一线冲锋在前，带头坚守卡点，组织网格员逐户排查，隔离观察对象无一脱管，群众评价好。鉴定为优秀，建议列入储备人选。",
    ),
    ("competent", "该同志能够按要求完成卡点值守和入户排查任务，工作认真负责，群众评价较好。鉴定为称职。"),
    ("competent", "该同志服从安排，履职尽责，任务清单按时提交，督查中发现的问题能及时整改。鉴定为称职。"),
    ("basic", "该同志基本完成防控任务，但卡点值守存在迟到现象，督查问题整改不够及时。鉴定为基本称职，需加强教育管理。"),
];

/// Seeds appraisals and incentives for the county; `org_head` acts for the county.
pub async fn seed(db: &Db, county_id: i64, org_head: i64, rng: &mut Rng) -> anyhow::Result<AppraisalStats> {
    let boss = actor(&person_name(db, org_head).await?, org_head);
    let mut stats = AppraisalStats::default();
    let today = today_in_china(Utc::now());
    let from = today - Duration::days(30);
    let campaign = format!("{}年冬季疫情防控一线考察", today.year());
    // Village cadres and members of the first villages (in tree order: the first township's).
    let cadres: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT p.id, p.home_unit_id FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE u.kind = 'village' AND p.category = 'village_cadre' ORDER BY u.path, p.id LIMIT 8",
            vec![],
        ))
        .await?;
    for (i, (person, _)) in cadres.iter().enumerate() {
        let mut notes = vec![
            ("leader_inquiry", *rng.pick(INQUIRIES)),
            ("leader_observation", *rng.pick(OBSERVATIONS)),
            ("leader_listening", *rng.pick(LISTENINGS)),
        ];
        notes.truncate(2 + (i % 2));
        for (n, (kind, text)) in notes.into_iter().enumerate() {
            let value = if text.contains("不够") || text.contains("闲置") { 0 } else { 1 };
            appraisals::add_note(
                db,
                &boss,
                &NoteInput {
                    kind: kind.into(),
                    person_id: Some(*person),
                    unit_id: None,
                    occurred_on: from + Duration::days(5 + 8 * n as i64 + rng.range(0, 5)),
                    value,
                    note: text.into(),
                },
            )
            .await?;
            stats.notes += 1;
        }
        appraisals::add_note(
            db,
            &boss,
            &NoteInput {
                kind: "mass_evaluation".into(),
                person_id: Some(*person),
                unit_id: None,
                occurred_on: today - Duration::days(3),
                value: rng.range(3, 5),
                note: format!("入户走访群众{}人、同事{}人评价", 10 + rng.range(0, 10), 3 + rng.range(0, 4)),
            },
        )
        .await?;
        stats.notes += 1;
        let id = appraisals::create(
            db,
            &boss,
            &AppraisalInput { person_id: *person, campaign: campaign.clone(), period_from: from, period_to: today },
        )
        .await?;
        stats.appraisals += 1;
        // The first six are final (so their certificates can be printed); two stay drafts.
        if i < 6 {
            let (grade, text) = CONCLUSIONS[if i < 2 { 0 } else { 1 + (i % 3) }];
            // Where the record disagrees with the grade, the assessor's reason is kept with it.
            let input = ConclusionInput {
                grade: grade.into(),
                conclusion: text.into(),
                reason: "经镇党委会研究，综合群众评价和领导日常了解确定。".into(),
            };
            appraisals::conclude(db, &boss, id, &input).await?;
            stats.certificates += 1;
        }
    }

    // Promotions: four with frontline deployments, one without: the share is 80 %.
    let deployed: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT DISTINCT d.person_id FROM deployments d JOIN people p ON p.id = d.person_id WHERE p.category = 'cadre' \
             ORDER BY d.person_id LIMIT 4",
            vec![],
        ))
        .await?;
    let desk: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT p.id FROM people p WHERE p.category = 'cadre' AND NOT EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id) \
             AND NOT EXISTS (SELECT 1 FROM records r WHERE r.person_id = p.id) ORDER BY p.id LIMIT 1",
            vec![],
        ))
        .await?;
    for (person,) in deployed.iter().chain(desk.iter()) {
        appraisals::add_tier(
            db,
            &boss,
            &TierInput {
                person_id: *person, tier: "promoted".into(), reason: "提拔为乡镇（部门）副职".into()
            },
        )
        .await?;
        stats.promoted += 1;
    }

    // Commendations of two villages and three cadres; two deeds, one published.
    for (unit,) in db
        .all::<(i64,)>(&Sql::with("SELECT id FROM units WHERE kind = 'village' ORDER BY path LIMIT 2", vec![]))
        .await?
    {
        honours::commend(
            db,
            &boss,
            &CommendationInput {
                kind: "honour".into(),
                title: "疫情防控先进基层党组织".into(),
                reason: "战时机制运转有力，卡点、网格、入户排查全覆盖，未发生疫情扩散".into(),
                person_id: None,
                unit_id: Some(unit),
                issued_on: today - Duration::days(2),
            },
        )
        .await?;
        stats.commendations += 1;
    }
    for (person, _) in cadres.iter().take(3) {
        honours::commend(
            db,
            &boss,
            &CommendationInput {
                kind: "notice".into(),
                title: "疫情防控一线表现突出".into(),
                reason: "连续坚守卡点，带头入户排查".into(),
                person_id: Some(*person),
                unit_id: None,
                issued_on: today - Duration::days(1),
            },
        )
        .await?;
        stats.commendations += 1;
    }
    for (n, (person, _)) in cadres.iter().take(2).enumerate() {
        let name = person_name(db, *person).await?;
        let deed = honours::write_deed(
            db,
            &boss,
            &DeedInput {
                person_id: Some(*person),
                unit_id: None,
                title: format!("卡点上的守边人——记{name}"),
                body: format!(
                    "{name}同志在疫情防控期间主动请缨，带领网格员昼夜坚守卡点，逐户登记往来人员，\
                     组织党员志愿者为居家隔离群众代购生活物资，被群众称为“家门口的守护人”。"
                ),
            },
        )
        .await?;
        if n == 0 {
            honours::publish_deed(db, &boss, deed).await?;
        }
        stats.deeds += 1;
    }

    // The county's selection, nominations in, open for votes.
    let selection = honours::open_selection(
        db,
        &boss,
        &SelectionInput { unit_id: county_id, year: today.year(), title: "实干担当好干部".into(), seats: 3 },
    )
    .await?;
    for (person, _) in cadres.iter().take(5) {
        honours::nominate(
            db,
            &boss,
            selection,
            &NominationInput { person_id: *person, reason: "疫情防控一线担当作为".into() },
        )
        .await?;
        stats.nominations += 1;
    }
    honours::advance(db, &boss, selection).await?;

    // Last year's 五述五评 for the first villages' secretaries, open for ratings.
    let secretaries: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT t.person_id, po.unit_id FROM tenures t JOIN posts po ON po.id = t.post_id JOIN units u ON u.id = po.unit_id \
             LEFT JOIN units v ON v.id = u.parent_id WHERE t.end_date IS NULL AND po.kind = 'secretary' \
             AND (u.kind = 'village' OR v.kind = 'village') ORDER BY u.path LIMIT 3",
            vec![],
        ))
        .await?;
    for (person, unit) in secretaries {
        appraisals::open_review(
            db,
            &boss,
            &ReviewInput {
                unit_id: unit,
                person_id: person,
                year: today.year() - 1,
                report: "一年来，村党支部坚持发动群众守边固防：组建党员先锋队，落实联户包保，开展入户排查，\
                         群众参与卡点值守和巡逻。存在的不足是青年党员作用发挥不够，明年将加强培养。"
                    .into(),
                track: None,
            },
        )
        .await?;
        stats.reviews += 1;
    }

    // Care: visits and a health check, a counselling referral to follow up, and a birthday on
    // duty today (someone with a shift today gets today's birthday).
    for (n, (person, _)) in cadres.iter().enumerate().take(4) {
        let kind = ["visit", "health_check", "visit", "counselling_referral"][n];
        honours::record_care(
            db,
            &boss,
            &CareInput {
                person_id: *person,
                kind: kind.into(),
                given_on: today - Duration::days(n as i64 + 1),
                note: None,
            },
        )
        .await?;
        stats.care += 1;
    }
    let on_duty: Option<(i64,)> = db
        .opt(&Sql::with(
            "SELECT a.person_id FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id WHERE s.starts_at >= $1 AND s.starts_at < $2 \
             ORDER BY a.id LIMIT 1",
            vec![start_of_china_day(today).into(), start_of_china_day(today + Duration::days(1)).into()],
        ))
        .await?;
    if let (Some((person,)), Some(birthday)) = (on_duty, NaiveDate::from_ymd_opt(1988, today.month(), today.day())) {
        let mut tx = db.begin().await?;
        tx.execute(&Sql::with("UPDATE people SET birthday = $1 WHERE id = $2", vec![birthday.into(), person.into()]))
            .await?;
        tx.commit().await?;
    }
    Ok(stats)
}
