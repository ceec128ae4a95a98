//! A week of daily work in 乐清: the task lists of 004.1/003.10 with a week of instances (most
//! handed in and verified, some waiting, a few returned or overdue), commitment letters,
//! checkpoints with a generated roster and check-ins on post (some late, some missed), household
//! surveys, meetings with topics, and training with attendance.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use frontline_core::access::{Actor, Scope};
use frontline_core::demo::Rng;
use frontline_core::records::RecordKind;
use frontline_core::tasks::{TaskListInput, items_from_lines};
use frontline_core::time::{Timing, china, today_in_china};
use frontline_core::units::UnitInput;
use frontline_db::records::NewRecord;
use frontline_db::roster::{CheckpointInput, DutyPersonInput, PlanInput};
use frontline_db::{Db, Sql, Value};

/// What the week produced.
#[derive(Debug, Clone, Default)]
pub struct WorkStats {
    pub task_instances: i64,
    pub overdue: i64,
    pub shifts: i64,
    pub check_ins: i64,
    pub surveys: i64,
    pub records: i64,
}

const EIGHT_TASKS: &str = "卡点值守按时到岗\n外来人员登记核查\n重点人员居家健康监测\n村内公共场所消杀\n防疫政策宣传到户\n困难群众生活物资保障\n异常情况第一时间报告\n当日工作日志填报";
const ONE_POST_THREE_DUTIES: &str =
    "疫情防控责任：本村防控措施落实情况 [备注]\n本职工作：村级事务推进情况\n安全生产：隐患排查与整改 [照片]";
const TOWNSHIP_KEY_TASKS: &str =
    "召开月度党建工作例会\n走访包联村不少于3个 [备注]\n督导卡点值守\n研究解决群众急难愁盼问题";

/// id, person, unit, period start, due, list, unit path.
type InstanceRow = (i64, i64, i64, NaiveDate, DateTime<Utc>, i64, String);

fn person_actor(person: i64, permission: &str) -> Actor {
    Actor {
        user_id: None,
        name: format!("demo:{person}"),
        ip: "demo".into(),
        scope: Scope { person_id: Some(person), ..Scope::default() },
        permissions: vec![permission.to_string()],
    }
}

/// Seeds the week. `grid_worker` (the demo login) gets a place on a checkpoint and today's list
/// left open for them to sign.
pub async fn seed(
    db: &Db,
    county_id: i64,
    rng: &mut Rng,
    grid_worker: Option<i64>,
    every_tick: bool,
) -> anyhow::Result<WorkStats> {
    let system = Actor::system("demo");
    let now = Utc::now();
    let today = today_in_china(now);
    let demo_township: Option<i64> = match grid_worker {
        Some(p) => db
            .opt::<(i64,)>(&Sql::with(
                "SELECT t.id FROM people p JOIN units h ON h.id = p.home_unit_id JOIN units t ON t.kind = 'township' \
                 AND h.path LIKE t.path || '%' WHERE p.id = $1",
                vec![p.into()],
            ))
            .await?
            .map(|r| r.0),
        None => None,
    };
    let demo_township_path: String = match demo_township {
        Some(t) => db.one::<(String,)>(&Sql::with("SELECT path FROM units WHERE id = $1", vec![t.into()])).await?.0,
        None => String::new(),
    };
    // Task lists of the county, with their items.
    let lists = [
        (
            "疫情防控八项硬性任务",
            vec!["committee_member", "grid_worker"],
            "daily",
            "20:00",
            "冬春防疫专项行动",
            EIGHT_TASKS,
        ),
        ("一岗三责周清单", vec!["secretary", "deputy_secretary"], "weekly", "20:00", "", ONE_POST_THREE_DUTIES),
        ("乡镇党委书记月度重点任务", vec!["township_secretary"], "monthly", "18:00", "", TOWNSHIP_KEY_TASKS),
    ];
    for (title, kinds, period, due, campaign, items) in lists {
        let input = TaskListInput {
            title: title.into(),
            post_kinds: kinds.iter().map(|k| k.to_string()).collect(),
            period: period.into(),
            due_time: due.into(),
            campaign: campaign.into(),
            commitment: if campaign.is_empty() {
                String::new()
            } else {
                "本人郑重承诺：坚守岗位、履职尽责，严格落实各项防控措施，不漏一户、不落一人。".into()
            },
            items: items_from_lines(items),
        };
        let list = input.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
        frontline_db::tasks::create_list(db, &system, county_id, &list).await?;
    }
    for back in (0..7).rev() {
        frontline_db::tasks::generate_day(db, today - Duration::days(back)).await?;
    }
    let stats_instances = db.count(&Sql::new("SELECT COUNT(*) FROM task_instances")).await?;
    // Commitment letters: nine in ten doers of the daily list signed in the first days.
    let doers: Vec<(i64, i64)> = db
        .all(&Sql::new(
            "SELECT DISTINCT i.person_id, MIN(i.unit_id) FROM task_instances i JOIN task_lists l ON l.id = i.list_id \
             WHERE l.commitment IS NOT NULL GROUP BY i.person_id ORDER BY i.person_id",
        ))
        .await?;
    let first_day = day_start(today - Duration::days(6));
    let mut commitments = Vec::new();
    for (person, unit) in &doers {
        if Some(*person) != grid_worker && rng.chance(90) {
            commitments.push(vec![
                Value::from("冬春防疫专项行动"),
                (*person).into(),
                (*unit).into(),
                Value::from("本人郑重承诺：坚守岗位、履职尽责，严格落实各项防控措施，不漏一户、不落一人。"),
                (first_day + Duration::minutes(rng.range(480, 1200))).into(),
            ]);
        }
    }
    let mut tx = db.begin().await?;
    tx.insert_rows("commitments", &["campaign", "person_id", "unit_id", "text", "signed_at"], commitments).await?;
    // The week's outcomes: past periods mostly handed in and verified; today's partly done.
    let instances: Vec<InstanceRow> = tx
        .all(&Sql::new(
            "SELECT i.id, i.person_id, i.unit_id, i.period_start, i.due_at, i.list_id, u.path FROM task_instances i \
             JOIN units u ON u.id = i.unit_id ORDER BY i.id",
        ))
        .await?;
    let items: Vec<(i64, i64)> = tx.all(&Sql::new("SELECT id, list_id FROM task_items ORDER BY id")).await?;
    let mut checks = Vec::new();
    let mut records = Vec::new();
    let mut outcomes = Vec::new();
    let verifier = "demo".to_string();
    for (id, person, unit, start, due, list, path) in instances {
        let past = due < now;
        let roll = rng.below(100);
        let keep_open = Some(person) == grid_worker && start == today;
        let (status, submitted) = if keep_open {
            ("open", None)
        } else if past {
            match roll {
                0..=79 => ("verified", Some(due - Duration::minutes(rng.range(20, 600)))),
                80..=86 => ("submitted", Some(due - Duration::minutes(rng.range(20, 600)))),
                87..=89 => ("returned", Some(due - Duration::minutes(rng.range(20, 600)))),
                90..=93 => ("verified", Some(due + Duration::minutes(rng.range(30, 300)))),
                _ => ("open", None),
            }
        } else {
            match roll {
                0..=24 => ("submitted", Some(now - Duration::minutes(rng.range(5, 200)))),
                _ => ("open", None),
            }
        };
        let Some(at) = submitted else { continue };
        let at = at.min(now);
        let decided = (status != "submitted").then(|| (at + Duration::minutes(rng.range(30, 600))).min(now));
        let reason = (status == "returned").then(|| "卡点值守记录不完整，请补充".to_string());
        outcomes.push(vec![
            id.into(),
            status.into(),
            at.into(),
            decided.into(),
            decided.map(|_| verifier.clone()).into(),
            reason.clone().into(),
        ]);
        let ticks_kept = every_tick || (!demo_township_path.is_empty() && path.starts_with(&demo_township_path));
        for (item, _) in items.iter().filter(|(_, l)| *l == list && ticks_kept) {
            checks.push(vec![id.into(), (*item).into(), Option::<String>::None.into(), at.into()]);
        }
        let record = |kind: RecordKind, when: DateTime<Utc>, value: i64, note: Option<String>| NewRecord {
            kind,
            unit_id: unit,
            person_id: Some(person),
            occurred_at: when,
            value,
            source_kind: "task_instance",
            source_id: id,
            note,
        };
        records.push(record(RecordKind::TaskSubmitted, at, (at <= due) as i64, None));
        if let Some(d) = decided {
            let kind = if status == "returned" { RecordKind::TaskReturned } else { RecordKind::TaskVerified };
            records.push(record(kind, d, 1, reason));
        }
    }
    // One statement for all outcomes, through a scratch table (row-by-row updates took seconds).
    let scratch = if tx.is_postgres() {
        "CREATE TEMP TABLE demo_outcomes (id BIGINT PRIMARY KEY, status TEXT, submitted_at TIMESTAMPTZ, \
         decided_at TIMESTAMPTZ, decided_by TEXT, reason TEXT) ON COMMIT DROP"
    } else {
        "CREATE TEMP TABLE demo_outcomes (id INTEGER PRIMARY KEY, status TEXT, submitted_at TEXT, decided_at TEXT, \
         decided_by TEXT, reason TEXT)"
    };
    tx.execute(&Sql::new(scratch)).await?;
    tx.insert_rows("demo_outcomes", &["id", "status", "submitted_at", "decided_at", "decided_by", "reason"], outcomes)
        .await?;
    tx.execute(&Sql::new(
        "UPDATE task_instances SET status = o.status, submitted_at = o.submitted_at, decided_at = o.decided_at, \
         decided_by = o.decided_by, reason = o.reason FROM demo_outcomes o WHERE o.id = task_instances.id",
    ))
    .await?;
    if !tx.is_postgres() {
        tx.execute(&Sql::new("DROP TABLE demo_outcomes")).await?;
    }
    // Items that need a note get one.
    tx.insert_rows("task_checks", &["instance_id", "item_id", "note", "done_at"], checks).await?;
    tx.execute(&Sql::new(
        "UPDATE task_checks SET note = '已落实，无异常' WHERE item_id IN (SELECT id FROM task_items WHERE needs_note = TRUE)",
    ))
    .await?;
    frontline_db::records::append_many(&mut tx, records).await?;
    tx.commit().await?;

    // Checkpoints: three on the roads into the township of the demo village, one each in two more.
    let townships: Vec<(i64, String)> = db
        .all(&Sql::with(
            "SELECT id, name FROM units WHERE parent_id = $1 AND kind = 'township' ORDER BY code",
            vec![county_id.into()],
        ))
        .await?;
    let mut sites: Vec<(i64, String)> = Vec::new();
    if let Some(t) = demo_township.and_then(|id| townships.iter().find(|(tid, _)| *tid == id)) {
        for road in ["高速出口", "国道检查站", "客运站"] {
            sites.push((t.0, format!("{}{road}卡点", t.1)));
        }
    }
    for t in townships.iter().filter(|t| Some(t.0) != demo_township).take(2) {
        sites.push((t.0, format!("{}高速出口卡点", t.1)));
    }
    let mut checkpoint_ids = Vec::new();
    for (township, name) in &sites {
        let unit = frontline_db::units::create(
            db,
            &system,
            Some(*township),
            &UnitInput { name: name.clone(), kind: "checkpoint".into(), code: String::new(), tags: Vec::new() },
        )
        .await?;
        let config =
            CheckpointInput { pattern: "3x8".into(), headcount: 2, night_headcount: 1, min_party: 1, min_cadre: 0 };
        frontline_db::roster::configure(db, &system, unit.id, &config).await?;
        checkpoint_ids.push((unit.id, *township));
    }
    // Duty lists: the township's cadres, village cadres answering for nearby villages, and party
    // members of the township's villages, about eleven per checkpoint.
    for (k, (checkpoint, township)) in checkpoint_ids.iter().enumerate() {
        let (tpath,): (String,) =
            db.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![(*township).into()])).await?;
        let (lo, hi) = frontline_core::units::subtree_range(&tpath);
        let people: Vec<(i64, String, String)> = db
            .all(&Sql::with(
                "SELECT p.id, p.category, p.party_status FROM people p JOIN units u ON u.id = p.home_unit_id \
                 WHERE u.path >= $1 AND u.path < $2 AND p.category IN ('cadre', 'village_cadre', 'member') \
                 AND p.suspended = FALSE ORDER BY p.id",
                vec![lo.into(), hi.into()],
            ))
            .await?;
        let step = (people.len() / 12).max(1);
        for (person, category, party) in people.iter().skip(k).step_by(step).take(11) {
            let category = match category.as_str() {
                "cadre" => "township_cadre",
                "village_cadre" => "cadre_in_charge",
                _ if party != "none" => "member",
                _ => "resident",
            };
            let input = DutyPersonInput {
                person_id: *person,
                category: category.into(),
                home: true,
                avoid_nights: rng.chance(10),
            };
            frontline_db::roster::add_person(db, &system, *checkpoint, &input).await?;
        }
        if k == 0
            && let Some(p) = grid_worker
        {
            let input = DutyPersonInput { person_id: p, category: "resident".into(), home: true, avoid_nights: false };
            frontline_db::roster::add_person(db, &system, *checkpoint, &input).await?;
        }
    }
    let mut shifts = 0;
    let mut check_ins = 0;
    if let Some(first) = demo_township {
        let (county_unit,): (i64,) =
            db.one(&Sql::with("SELECT parent_id FROM units WHERE id = $1", vec![first.into()])).await?;
        let plan = PlanInput { start: today - Duration::days(6), days: 8, min_rest_hours: 12, max_shifts: 6 };
        let outcome = frontline_db::roster::plan(db, &system, county_unit, &plan).await?;
        shifts = outcome.shifts as i64;
        // Past shifts: most people checked in (some late) and handed over; a few never came.
        let past: Vec<(i64, i64, DateTime<Utc>, DateTime<Utc>)> = db
            .all(&Sql::with(
                "SELECT a.id, a.person_id, s.starts_at, s.ends_at FROM shift_assignments a JOIN shifts s ON s.id = a.shift_id \
                 WHERE s.starts_at < $1 ORDER BY s.starts_at, a.id",
                vec![now.into()],
            ))
            .await?;
        for (assignment, person, starts, ends) in past {
            if rng.chance(4) && ends < now {
                continue;
            }
            let late = if rng.chance(12) { rng.range(12, 50) } else { -rng.range(0, 15) };
            let at = (starts + Duration::minutes(late)).min(now);
            let actor = person_actor(person, "work:roster:check");
            frontline_db::roster::check_in(db, &actor, assignment, Timing::at(at)).await?;
            check_ins += 1;
            if ends < now {
                let note = if rng.chance(30) { "外来车辆3辆已登记，无异常" } else { "" };
                frontline_db::roster::check_out(db, &actor, assignment, note, Timing::at(ends)).await?;
            }
        }
    }
    // At the county's scale the month behind a 30-day dashboard is filled too: households are
    // checked every week and every township held its party lesson; tests keep the one week.
    let weeks = if every_tick { 5 } else { 1 };
    let surveys = seed_surveys(db, county_id, rng, grid_worker, weeks).await?;
    seed_meetings(db, demo_township, today).await?;
    if every_tick {
        seed_lessons(db, county_id, demo_township, today).await?;
    }
    // The jobs of the week: overdue records, missed shifts, the weekly reminder, the dispatch.
    frontline_db::jobs::run(db, now).await?;
    let overdue = db.count(&Sql::new("SELECT COUNT(*) FROM records WHERE kind = 'task_overdue'")).await?;
    let records = db.count(&Sql::new("SELECT COUNT(*) FROM records")).await?;
    Ok(WorkStats { task_instances: stats_instances, overdue, shifts, check_ins, surveys, records })
}

/// The county's household check form, and `weeks` weeks of checks by each household's grid
/// worker in every village (the 堡垒指数 weighs them: a village without checks would be a
/// laggard): most households checked once a week, the answers random but plausible, the risk
/// worked out by the form itself. Three of the demo login's own households are left for them.
async fn seed_surveys(
    db: &Db,
    county_id: i64,
    rng: &mut Rng,
    grid_worker: Option<i64>,
    weeks: i64,
) -> anyhow::Result<i64> {
    use frontline_core::surveys::{FormSpec, POVERTY_CHECK};
    let system = Actor::system("demo");
    let form_id =
        frontline_db::surveys::create_form(db, &system, county_id, "一达标两不愁三保障逐户摸排表", POVERTY_CHECK)
            .await?;
    let spec = FormSpec::parse(POVERTY_CHECK).map_err(|e| anyhow::anyhow!("{e}"))?;
    // Households with the grid worker of their grid (the household's grandparent).
    let households: Vec<(i64, String, i64)> = db
        .all(&Sql::new(
            "SELECT h.id, h.path, t.person_id FROM units h JOIN units g ON g.id = h.parent_id JOIN posts po ON po.unit_id = g.parent_id \
             AND po.kind = 'grid_worker' JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL WHERE h.kind = 'household' ORDER BY h.id",
        ))
        .await?;
    let today = today_in_china(Utc::now());
    let now = Utc::now();
    let mut responses = Vec::new();
    let mut facts = Vec::new();
    let mut left_for_the_demo_login = 3;
    let checks = households.iter().flat_map(|h| (0..weeks).map(move |week| (h, week)));
    for ((household, _path, person), week) in checks {
        let (household, person) = (*household, *person);
        if Some(person) == grid_worker && week == 0 && left_for_the_demo_login > 0 {
            left_for_the_demo_login -= 1;
            continue;
        }
        if !rng.chance(85) {
            continue;
        }
        let poor = rng.chance(12);
        let yes_no = |rng: &mut Rng, risky: bool| if risky && rng.chance(40) { "no" } else { "yes" };
        let relapse = if poor { *rng.pick(&["因病", "因灾", "因学", "失业"]) } else { "无" };
        let needs: Vec<&str> = ["就业", "培训", "产业", "医疗救助"]
            .into_iter()
            .filter(|_| rng.chance(if poor { 45 } else { 12 }))
            .collect();
        let answers = serde_json::json!({
            "members": rng.range(1, 6),
            "income": if poor { rng.range(4800, 9000) } else { rng.range(12000, 46000) },
            "food_clothing": "yes",
            "schooling": yes_no(rng, poor),
            "medical": yes_no(rng, poor),
            "housing": yes_no(rng, poor),
            "water": "yes",
            "relapse": relapse,
            "needs": if needs.is_empty() { vec!["无"] } else { needs },
        });
        let answers: std::collections::BTreeMap<String, serde_json::Value> = serde_json::from_value(answers)?;
        let checked = spec.check(&answers).map_err(|e| anyhow::anyhow!("{e}"))?;
        let day = today - Duration::days(week * 7 + rng.range(0, 6));
        let id = responses.len() as i64 + 1;
        responses.push(vec![
            id.into(),
            form_id.into(),
            household.into(),
            person.into(),
            day.into(),
            serde_json::to_string(&checked.answers)?.into(),
            checked.at_risk().into(),
            checked.risk_reasons.join("|").into(),
            now.into(),
        ]);
        facts.push(NewRecord {
            kind: RecordKind::SurveyFiled,
            unit_id: household,
            person_id: Some(person),
            occurred_at: day_start(day) + Duration::hours(rng.range(9, 18)),
            value: checked.at_risk() as i64,
            source_kind: "survey_response",
            source_id: id,
            note: None,
        });
    }
    let n = responses.len() as i64;
    let mut tx = db.begin().await?;
    tx.insert_rows(
        "survey_responses",
        &["id", "form_id", "household_id", "person_id", "filled_on", "answers", "risk", "risk_reasons", "created_at"],
        responses,
    )
    .await?;
    tx.sync_id_sequence("survey_responses").await?;
    frontline_db::records::append_many(&mut tx, facts).await?;
    tx.commit().await?;
    Ok(n)
}

fn day_start(day: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    china()
        .from_local_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
        .single()
        .map(|d| d.with_timezone(&Utc))
        .unwrap_or_default()
}

/// This month's party lesson (党课) in every other township, each attended by all its members.
async fn seed_lessons(db: &Db, county_id: i64, demo_township: Option<i64>, today: NaiveDate) -> anyhow::Result<()> {
    use frontline_db::meetings::TrainingInput;
    let system = Actor::system("demo");
    let townships: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM units WHERE parent_id = $1 AND kind = 'township' AND NOT closed ORDER BY id",
            vec![county_id.into()],
        ))
        .await?;
    for (i, (township,)) in townships.into_iter().enumerate() {
        if Some(township) == demo_township {
            continue;
        }
        let lesson = TrainingInput {
            kind: "party_lesson".into(),
            title: "学习贯彻基层党建工作要求专题党课".into(),
            held_on: today - Duration::days(8 + (i as i64 % 14)),
            hours: 2,
            attendees: Vec::new(),
            members_of: Some(township),
        };
        frontline_db::meetings::create_training(db, &system, township, &lesson).await?;
    }
    Ok(())
}

/// The demo township's bi-monthly secretaries' meeting with topics set for three village
/// secretaries (one answered), and this year's training: a party lesson for every member of the
/// township and a county-wide training for the village secretaries' branches.
async fn seed_meetings(db: &Db, township: Option<i64>, today: NaiveDate) -> anyhow::Result<()> {
    use frontline_db::meetings::{MeetingInput, TopicInput, TrainingInput};
    let Some(township) = township else { return Ok(()) };
    let system = Actor::system("demo");
    let (tpath,): (String,) = db.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![township.into()])).await?;
    let (lo, hi) = frontline_core::units::subtree_range(&tpath);
    let secretaries: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL JOIN units u ON u.id = po.unit_id \
             WHERE po.kind = 'secretary' AND u.path >= $1 AND u.path < $2 ORDER BY u.path LIMIT 3",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    let questions = ["如何破解村集体经济增收难题", "卡点值守人员轮换如何更合理", "如何做好困难群众冬季帮扶"];
    let topics = secretaries
        .iter()
        .zip(questions)
        .map(|((owner,), title)| TopicInput {
            title: title.into(),
            owner_id: *owner,
            due_date: today + Duration::days(10),
        })
        .collect();
    let meeting = MeetingInput {
        kind: "secretary_meeting".into(),
        title: "第六期村书记例会（党委点题、书记答题）".into(),
        held_on: today - Duration::days(4),
        note: "镇党委书记主持，各村书记参会".into(),
        topics,
    };
    frontline_db::meetings::create_meeting(db, &system, township, &meeting).await?;
    if let Some((owner,)) = secretaries.get(1) {
        let (topic,): (i64,) =
            db.one(&Sql::with("SELECT MIN(id) FROM meeting_topics WHERE owner_id = $1", vec![(*owner).into()])).await?;
        let actor = person_actor(*owner, "work:meeting:answer");
        frontline_db::meetings::answer(
            db,
            &actor,
            topic,
            "实行卡点“四班三运转”，党员、包保干部、群众志愿者混合编组，每周轮换一次。",
        )
        .await?;
    }
    let lesson = TrainingInput {
        kind: "party_lesson".into(),
        title: "冬季防疫专题党课".into(),
        held_on: today - Duration::days(3),
        hours: 2,
        attendees: Vec::new(),
        members_of: Some(township),
    };
    frontline_db::meetings::create_training(db, &system, township, &lesson).await?;
    Ok(())
}
