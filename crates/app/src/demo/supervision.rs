//! A month of supervision in 乐清 (000.8, 001.7, 004.6): inspection teams from the county
//! departments, a round of "四不两直" visits each week drawn by the same code a user runs, visits
//! with the cadres found on post, findings in every state (open, handed in, returned, fixed on
//! time and late, overdue and escalated), notices of praise and criticism, and accountability
//! actions with a review and a tolerance request. The newest round is still under way, so some of
//! its targets are sealed.
//!
//! Each round is made, visited and rectified through the store's own functions, then its times are
//! moved back to the days it ran: the draw, the records and the audit trail are the real ones.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use frontline_core::access::{Actor, Scope};
use frontline_core::demo::Rng;
use frontline_core::inspections::{FindingCategory, Severity};
use frontline_core::time::{Timing, china, today_in_china};
use frontline_db::accountability::{self, ActionInput};
use frontline_db::inspections::{self, FindingInput, NoticeInput, PresenceInput, RoundInput, TeamInput, VisitInput};
use frontline_db::{Db, Sql};

/// What the month produced.
#[derive(Debug, Clone, Default)]
pub struct SupervisionStats {
    pub rounds: i64,
    pub visits: i64,
    pub findings: i64,
    pub fixed: i64,
    pub notices: i64,
    pub actions: i64,
    /// The member of the first team who gets the demo's `inspector` login.
    pub inspector: Option<i64>,
}

/// What a team writes down, per category: the problem and how serious it usually is.
const PROBLEMS: &[(FindingCategory, &str)] = &[
    (FindingCategory::OnPost, "值班表上的村干部不在岗，电话联系半小时后才到"),
    (FindingCategory::OnPost, "便民服务中心工作日上午无人值守"),
    (FindingCategory::TaskProgress, "清单任务“走访独居老人”本周未见记录"),
    (FindingCategory::TaskProgress, "人居环境整治任务进度滞后，村道两侧仍有堆积物"),
    (FindingCategory::GridManagement, "网格员对网格内常住人口底数不清"),
    (FindingCategory::GridManagement, "网格台账与实际户数不符"),
    (FindingCategory::WorkStyle, "村务公开栏内容未按月更新"),
    (FindingCategory::Service, "群众反映的路灯问题两周未答复"),
    (FindingCategory::Safety, "出租房消防通道堵塞，灭火器过期"),
    (FindingCategory::Safety, "河道护栏破损未设警示"),
];

/// The veto cases of 004.4, found rarely: each makes its village a laggard (后进) under the 堡垒指数.
const VETO_CASES: &[(FindingCategory, &str)] = &[
    (FindingCategory::IsolationLapse, "一名居家隔离观察人员擅自外出两天，村里未掌握去向"),
    (FindingCategory::ControlLapse, "重点管控人员健康码异常未及时上报，管控措施未落实"),
    (FindingCategory::CheckpointLapse, "卡点值守人员脱岗，车辆出入未登记、未测温，形同虚设"),
];

pub(crate) fn actor(name: &str, person: i64) -> Actor {
    Actor {
        user_id: None,
        name: name.to_string(),
        ip: "demo".into(),
        scope: Scope { all: true, person_id: Some(person), ..Default::default() },
        permissions: vec!["*:*:*".into()],
    }
}

fn at(day: NaiveDate, rng: &mut Rng) -> DateTime<Utc> {
    let t = day.and_hms_opt(rng.range(8, 16) as u32, rng.range(0, 59) as u32, 0).unwrap_or_default();
    china().from_local_datetime(&t).single().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| t.and_utc())
}

pub(crate) async fn person_name(db: &Db, id: i64) -> anyhow::Result<String> {
    let (name,): (String,) = db.one(&Sql::with("SELECT name FROM people WHERE id = $1", vec![id.into()])).await?;
    Ok(name)
}

/// Seeds `rounds` weekly rounds of `per_township` visits per township, ending this week.
pub async fn seed(
    db: &Db,
    county_id: i64,
    organiser: i64,
    rounds: i64,
    per_township: i64,
    rng: &mut Rng,
) -> anyhow::Result<SupervisionStats> {
    let mut stats = SupervisionStats::default();
    if rounds == 0 || organiser == 0 {
        return Ok(stats);
    }
    let now = Utc::now();
    let today = today_in_china(now);
    // Team members: cadres of the county departments who are party members, never the organiser.
    let staff: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT p.id FROM people p JOIN units u ON u.id = p.home_unit_id WHERE u.parent_id = $1 AND u.kind = 'department' \
             AND p.category = 'cadre' AND p.party_status = 'member' AND p.id <> $2 ORDER BY p.id LIMIT 12",
            vec![county_id.into(), organiser.into()],
        ))
        .await?;
    let staff: Vec<i64> = staff.into_iter().map(|s| s.0).collect();
    if staff.len() < 2 {
        return Ok(stats);
    }
    let boss = actor(&person_name(db, organiser).await?, organiser);
    let names = ["第一督导组", "第二督导组", "第三督导组", "第四督导组"];
    let team_count = (staff.len() / 3).clamp(1, names.len());
    let mut teams = Vec::new();
    for (i, name) in names.iter().enumerate().take(team_count) {
        let members: Vec<i64> = staff.iter().skip(i * 3).take(3).copied().collect();
        let id = inspections::create_team(
            db,
            &boss,
            &TeamInput {
                unit_id: county_id,
                name: (*name).into(),
                leader_id: members[0],
                member_ids: members[1..].to_vec(),
            },
        )
        .await?;
        teams.push((id, members[0]));
    }
    stats.inspector = teams.first().map(|t| t.1);
    let leader_of = |team: i64| teams.iter().find(|t| t.0 == team).map(|t| t.1).unwrap_or(teams[0].1);

    let monday = today - Duration::days(i64::from(chrono::Datelike::weekday(&today).num_days_from_monday()));
    let mut all_findings: Vec<(i64, NaiveDate, Severity, i64)> = Vec::new();
    for r in 0..rounds {
        let starts = monday - Duration::days(7 * (rounds - 1 - r));
        let ends = starts + Duration::days(4);
        let last = r == rounds - 1;
        let round = inspections::create_round(
            db,
            &boss,
            &RoundInput {
                unit_id: county_id,
                title: format!("{}“四不两直”督查（第{}轮）", starts.format("%-m月%-d日"), r + 1),
                starts_on: starts,
                ends_on: ends,
                per_township,
                team_ids: teams.iter().map(|t| t.0).collect(),
                targeted: false,
            },
            rng.next_u64(),
        )
        .await?;
        stats.rounds += 1;
        let detail = inspections::round(db, &boss, round).await?;
        let latest = if last { today } else { ends };
        for target in &detail.targets {
            let day = starts + Duration::days(rng.range(0, (latest - starts).num_days().max(0)));
            // The running round has visited about half its places so far.
            if day > today || (last && rng.chance(50)) {
                continue;
            }
            let member = leader_of(target.team_id);
            let who = actor(&person_name(db, member).await?, member);
            let (_, holders) = inspections::target_holders(db, &who, target.id).await?;
            let on_post: Vec<PresenceInput> =
                holders.iter().map(|h| PresenceInput { person_id: h.person_id, present: rng.chance(85) }).collect();
            let absent = on_post.iter().any(|p| !p.present);
            let mut findings = Vec::new();
            let n = if absent { 1 + rng.range(0, 1) } else { rng.range(0, 1) };
            for _ in 0..n {
                let veto = rng.chance(5);
                let (category, text) = if veto { *rng.pick(VETO_CASES) } else { *rng.pick(PROBLEMS) };
                let severity = match rng.below(10) {
                    _ if veto => Severity::Serious,
                    0 => Severity::Serious,
                    1..=3 => Severity::Major,
                    _ => Severity::Minor,
                };
                findings.push(FindingInput {
                    category: category.as_str().into(),
                    severity: severity.as_str().into(),
                    description: text.into(),
                    deadline: today,
                });
            }
            let visit = inspections::log_visit(
                db,
                &who,
                &VisitInput {
                    target_id: target.id,
                    on_post,
                    task_progress: if rng.chance(80) {
                        "清单任务按期推进".into()
                    } else {
                        "部分任务滞后".into()
                    },
                    grid_management: if rng.chance(80) {
                        "网格台账清楚，网格员在岗".into()
                    } else {
                        "网格底数需更新".into()
                    },
                    summary: String::new(),
                    findings: findings.clone(),
                    attachment_id: None,
                },
                None,
                Timing::at(Utc::now()),
            )
            .await?;
            stats.visits += 1;
            // Back to the day it happened: the visit, its target, its findings and their records.
            let when = at(day, rng);
            let mut tx = db.begin().await?;
            tx.execute(&Sql::with(
                "UPDATE inspection_visits SET visited_at = $1, created_at = $1 WHERE id = $2",
                vec![when.into(), visit.into()],
            ))
            .await?;
            tx.execute(&Sql::with(
                "UPDATE inspection_targets SET visited_at = $1 WHERE id = $2",
                vec![when.into(), target.id.into()],
            ))
            .await?;
            let ids: Vec<(i64, String)> = tx
                .all(&Sql::with(
                    "SELECT id, severity FROM findings WHERE visit_id = $1 ORDER BY id",
                    vec![visit.into()],
                ))
                .await?;
            for (id, severity) in ids {
                let severity = Severity::parse(&severity).unwrap_or(Severity::Minor);
                let days = match severity {
                    Severity::Serious => 3,
                    Severity::Major => 7,
                    Severity::Minor => 10,
                };
                let deadline = day + Duration::days(days);
                tx.execute(&Sql::with(
                    "UPDATE findings SET raised_at = $1, deadline = $2 WHERE id = $3",
                    vec![when.into(), deadline.into(), id.into()],
                ))
                .await?;
                tx.execute(&Sql::with(
                    "UPDATE records SET occurred_at = $1 WHERE source_kind = 'finding' AND source_id = $2",
                    vec![when.into(), id.into()],
                ))
                .await?;
                all_findings.push((id, deadline, severity, member));
                stats.findings += 1;
            }
            tx.execute(&Sql::with(
                "UPDATE inspection_rounds SET created_at = $1 WHERE id = $2",
                vec![at(starts - Duration::days(1), rng).into(), round.into()],
            ))
            .await?;
            tx.commit().await?;
        }
    }

    // Rectification: most are fixed, some late; some wait for the team, a few were sent back,
    // and the rest are still open — those past their deadline are escalated below.
    let unit_actor = actor("村党组织书记", organiser);
    for (id, deadline, severity, member) in &all_findings {
        let deadline = *deadline;
        let raised = deadline
            - Duration::days(match severity {
                Severity::Serious => 3,
                Severity::Major => 7,
                Severity::Minor => 10,
            });
        let age = (today - raised).num_days();
        let roll = rng.below(100);
        if age < 2 || roll >= 92 {
            continue;
        }
        let handed_in = raised + Duration::days(rng.range(1, (deadline - raised).num_days() + 3).min(age));
        inspections::submit_rectification(
            db,
            &unit_actor,
            *id,
            "已召开支委会专题研究，逐项整改到位，并建立长效机制。",
            "整改前后照片及会议记录已存档",
            None,
            Timing::at(Utc::now()),
        )
        .await?;
        let team = actor(&person_name(db, *member).await?, *member);
        let mut decided = None;
        if roll < 70 && handed_in < today {
            inspections::decide_rectification(db, &team, *id, true, "").await?;
            decided = Some((handed_in + Duration::days(1)).min(today));
            stats.fixed += 1;
        } else if roll < 78 && handed_in < today {
            inspections::decide_rectification(db, &team, *id, false, "整改材料不完整，请补充现场照片").await?;
            decided = Some((handed_in + Duration::days(1)).min(today));
        }
        let submitted_at = at(handed_in, rng);
        let mut tx = db.begin().await?;
        tx.execute(&Sql::with(
            "UPDATE rectifications SET submitted_at = $1 WHERE finding_id = $2",
            vec![submitted_at.into(), (*id).into()],
        ))
        .await?;
        tx.execute(&Sql::with(
            "UPDATE findings SET handed_in_on = $1 WHERE id = $2",
            vec![handed_in.into(), (*id).into()],
        ))
        .await?;
        if let Some(day) = decided {
            let when = at(day, rng).max(submitted_at);
            tx.execute(&Sql::with(
                "UPDATE rectifications SET decided_at = $1 WHERE finding_id = $2 AND decided_at IS NOT NULL",
                vec![when.into(), (*id).into()],
            ))
            .await?;
            tx.execute(&Sql::with(
                "UPDATE findings SET fixed_at = $1 WHERE id = $2 AND fixed_at IS NOT NULL",
                vec![when.into(), (*id).into()],
            ))
            .await?;
            tx.execute(&Sql::with(
                "UPDATE records SET occurred_at = $1, value = $2 WHERE kind = 'finding_fixed' AND source_id = $3",
                vec![
                    when.into(),
                    i64::from(frontline_core::inspections::FindingStatus::fixed_on_time(deadline, handed_in)).into(),
                    (*id).into(),
                ],
            ))
            .await?;
        }
        tx.commit().await?;
    }

    // Notices: criticism of the serious ones, praise for villages found in good order.
    let serious: Vec<(i64, i64, Option<i64>, String)> = db
        .all(&Sql::new(
            "SELECT f.id, f.unit_id, f.person_id, u.name FROM findings f JOIN units u ON u.id = f.unit_id \
             WHERE f.severity = 'serious' ORDER BY f.id LIMIT 8",
        ))
        .await?;
    for (finding, unit, person, unit_name) in &serious {
        inspections::issue_notice(
            db,
            &boss,
            &NoticeInput {
                unit_id: *unit,
                kind: "criticism".into(),
                title: format!("关于{unit_name}督查发现问题的通报"),
                body: "督导组在“四不两直”督查中发现该村存在较严重问题，现予通报批评，限期整改到位。".into(),
                finding_id: Some(*finding),
                visit_id: None,
                person_ids: person.iter().copied().collect(),
            },
        )
        .await?;
        stats.notices += 1;
    }
    let good: Vec<(i64, i64, String)> = db
        .all(&Sql::new(
            "SELECT v.id, v.unit_id, u.name FROM inspection_visits v JOIN units u ON u.id = v.unit_id \
             WHERE v.on_post_found = v.on_post_expected AND v.on_post_expected > 0 \
             AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.visit_id = v.id) ORDER BY v.id LIMIT 4",
        ))
        .await?;
    for (visit, unit, unit_name) in &good {
        inspections::issue_notice(
            db,
            &boss,
            &NoticeInput {
                unit_id: *unit,
                kind: "praise".into(),
                title: format!("关于{unit_name}干部在岗履职情况良好的通报"),
                body: "督导组暗访时该村干部全员在岗，网格台账清楚，群众评价较好，予以通报表扬。".into(),
                finding_id: None,
                visit_id: Some(*visit),
                person_ids: Vec::new(),
            },
        )
        .await?;
        stats.notices += 1;
    }

    // Accountability: interviews for rectifications left overdue, one action through a review,
    // one exempted after a tolerance request, one review still pending.
    let overdue: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT f.id, f.person_id FROM findings f WHERE f.status IN ('open', 'returned') AND f.deadline < $1 \
             AND f.person_id IS NOT NULL ORDER BY f.id LIMIT 6",
            vec![today.into()],
        ))
        .await?;
    let kinds = ["interview", "interview", "admonition", "criticism", "interview", "suspension"];
    for (i, (finding, person)) in overdue.iter().enumerate() {
        let review = i == 4 || i == 5;
        let id = accountability::create_action(
            db,
            &boss,
            &ActionInput {
                person_id: *person,
                kind: kinds[i % kinds.len()].into(),
                reason: "督查发现问题逾期未整改，履职不力".into(),
                decision: if review { String::new() } else { format!("乐组问〔2026〕{}号", 11 + i) },
                decided_on: today - Duration::days(rng.range(0, 3)),
                source_kind: Some("finding".into()),
                source_id: Some(*finding),
                review,
            },
        )
        .await?;
        stats.actions += 1;
        if i == 4 {
            let detail = accountability::action(db, &Scope::everything(), id).await?;
            if let Some(r) = detail.reviews.first() {
                accountability::decide_review(db, &boss, r.id, true, "会审认为问责事实清楚，同意给予组织处理").await?;
            }
        }
        if i == 1 {
            let r = accountability::open_review(
                db,
                &boss,
                id,
                "tolerance",
                "逾期系台风“桦加沙”过境抢险所致，属于容错情形，申请免责",
            )
            .await?;
            accountability::decide_review(db, &boss, r, true, "经核实符合容错情形，予以免责").await?;
        }
    }
    inspections::escalate_overdue(db, now).await?;
    Ok(stats)
}
