//! The demo's organisational life (003.3): every village branch of the county holding its
//! 三会一课 and 主题党日 from the first of January of the last full quarter's year until today — most on time, some
//! patchy, the branches of villages tagged weak or disorderly mostly behind — with attendance at
//! each branch's latest meeting, and a theme day today in the demo member's branch that the
//! member can still check in at.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use frontline_core::demo::Rng;
use frontline_core::life::{DEFAULT_RULES, LifeKind, last_quarter};
use frontline_core::records::RecordKind;
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::subtree_range;
use frontline_db::{Db, Sql, Value};

/// What the demo's organisational life holds.
#[derive(Debug, Clone, Default)]
pub struct LifeStats {
    pub meetings: i64,
    pub attendances: i64,
    /// Branches that hold fewer meetings than required, on purpose.
    pub lax_branches: i64,
    /// Members answering for a responsibility area (党员责任区) or on a vanguard post (党员先锋岗).
    pub member_links: i64,
}

/// 003.6 in the demo member's township: a temporary party branch beside the township's first
/// checkpoint for the last full quarter and on, the village's members each answering for a grid
/// (党员责任区) and one on a vanguard post at the checkpoint, and the township's 红色抗疫联盟 of its
/// first branches.
pub async fn seed_organisation(db: &Db, member: Option<i64>) -> anyhow::Result<i64> {
    use frontline_core::access::Actor;
    use frontline_core::responsibility::{LinkKind, ValidLink};
    let Some(member) = member else { return Ok(0) };
    let boss = Actor::system("demo");
    let today = today_in_china(Utc::now());
    let (branch, village, township): (i64, i64, i64) = db
        .one(&Sql::with(
            "SELECT b.id, v.id, v.parent_id FROM people p JOIN units b ON b.id = p.home_unit_id JOIN units v ON v.id = b.parent_id \
             WHERE p.id = $1",
            vec![member.into()],
        ))
        .await?;
    let (township_path, township_name): (String, String) =
        db.one(&Sql::with("SELECT path, name FROM units WHERE id = $1", vec![township.into()])).await?;
    let (lo, hi) = subtree_range(&township_path);
    let checkpoint: Option<(i64, String, i64)> = db
        .opt(&Sql::with(
            "SELECT id, name, parent_id FROM units WHERE kind = 'checkpoint' AND path >= $1 AND path < $2 ORDER BY path LIMIT 1",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    if let Some((checkpoint, name, above)) = &checkpoint {
        // Beside the checkpoint, under the township (or whatever holds the checkpoint).
        let unit = frontline_db::units::create(
            db,
            &boss,
            Some(*above),
            &frontline_core::units::UnitInput {
                name: format!("{name}临时党支部"),
                kind: "party_branch".into(),
                code: String::new(),
                tags: Vec::new(),
            },
        )
        .await?;
        let (from, _) = last_quarter(today);
        frontline_db::life::make_temporary(
            db,
            &boss,
            unit.id,
            &frontline_db::life::TemporaryInput {
                serves_unit_id: Some(*checkpoint),
                purpose: "疫情防控卡点值守期间党员教育管理".into(),
                starts_on: from,
                ends_on: today + Duration::days(60),
            },
        )
        .await?;
    }
    let members: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM people WHERE home_unit_id = $1 AND party_status <> 'none' ORDER BY id LIMIT 4",
            vec![branch.into()],
        ))
        .await?;
    let grids: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM units WHERE parent_id = $1 AND kind = 'grid' ORDER BY id",
            vec![village.into()],
        ))
        .await?;
    let mut links = 0;
    for ((person,), (grid,)) in members.iter().zip(&grids) {
        let link = ValidLink {
            kind: LinkKind::ResponsibilityArea,
            person_id: *person,
            unit_id: *grid,
            start: today - Duration::days(30),
            end: None,
            note: Some("联系网格内农户，宣传防疫政策，排查外来人员".into()),
        };
        frontline_db::responsibility::create_link(db, &boss, &link).await?;
        links += 1;
    }
    if let (Some((checkpoint, ..)), Some((person,))) = (&checkpoint, members.first()) {
        let link = ValidLink {
            kind: LinkKind::VanguardPost,
            person_id: *person,
            unit_id: *checkpoint,
            start: today - Duration::days(30),
            end: None,
            note: Some("卡点党员先锋岗".into()),
        };
        frontline_db::responsibility::create_link(db, &boss, &link).await?;
        links += 1;
    }
    let firsts: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM units WHERE kind = 'party_branch' AND path >= $1 AND path < $2 ORDER BY path LIMIT 6",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    frontline_db::life::create_alliance(
        db,
        &boss,
        township,
        &frontline_db::life::AllianceInput {
            name: format!("{township_name}红色抗疫联盟"),
            purpose: "村企联防联控、物资互助、党员志愿服务".into(),
            members: firsts.into_iter().map(|f| f.0).collect(),
        },
    )
    .await?;
    Ok(links)
}

const PLACES: &[&str] = &["村党群服务中心", "村委会会议室", "新时代文明实践站", "村文化礼堂"];

fn topics(kind: LifeKind) -> &'static [&'static str] {
    match kind {
        LifeKind::MembersMeeting => {
            &["通报疫情防控工作，部署党员责任区", "民主评议党员", "讨论接收预备党员", "学习传达上级会议精神"]
        }
        LifeKind::CommitteeMeeting => {
            &["研究卡点值守轮班安排", "研究困难群众帮扶措施", "讨论发展党员工作", "研究村级重点事项"]
        }
        LifeKind::GroupMeeting => {
            &["学习《中国共产党章程》", "交流一线值守体会", "学习防疫政策要点", "分片走访情况交流"]
        }
        LifeKind::PartyLesson => {
            &["书记讲党课：在疫情防控一线践行初心", "学习贯彻党的二十大精神", "党史学习：红船精神"]
        }
        LifeKind::ThemeDay => &["党员志愿服务进卡点", "走访慰问困难党员和群众", "清洁家园 党员先行", "重温入党誓词"],
    }
}

const LEAVE_REASONS: &[&str] = &["卡点值守", "外出务工", "身体不适", "照顾家人"];

fn day(d: NaiveDate) -> Value {
    d.into()
}

/// Seeds organisational life for the county's village branches; `member` is the demo member.
pub async fn seed(db: &Db, county_path: &str, seed: u64, member: Option<i64>) -> anyhow::Result<LifeStats> {
    let mut rng = Rng::new(seed ^ 0x11fe);
    let now = Utc::now();
    let today = today_in_china(now);
    // From the first of January of the last full quarter's year: a year's screening (排查) reads
    // the whole year.
    let (quarter, _) = last_quarter(today);
    let from = NaiveDate::from_ymd_opt(quarter.year(), 1, 1).unwrap_or(quarter);
    let (lo, hi) = subtree_range(county_path);
    let branches: Vec<(i64, String)> = db
        .all(&Sql::with(
            "SELECT b.id, COALESCE(v.tags, '') FROM units b JOIN units v ON v.id = b.parent_id \
             WHERE b.kind = 'party_branch' AND NOT b.closed AND b.path >= $1 AND b.path < $2 ORDER BY b.path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    // Members of each branch: party members living in it, and those holding a post in it.
    let mut members: std::collections::HashMap<i64, Vec<(i64, i64)>> = Default::default();
    let rows: Vec<(i64, i64, i64)> = db
        .all(&Sql::with(
            "SELECT b.id, p.id, p.home_unit_id FROM units b JOIN people p ON p.home_unit_id = b.id \
             WHERE b.kind = 'party_branch' AND b.path >= $1 AND b.path < $2 AND p.party_status <> 'none' \
             UNION SELECT po.unit_id, t.person_id, p.home_unit_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             JOIN units b ON b.id = po.unit_id JOIN people p ON p.id = t.person_id \
             WHERE b.kind = 'party_branch' AND b.path >= $1 AND b.path < $2 AND p.party_status <> 'none' ORDER BY 1, 2",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    for (b, p, home) in rows {
        members.entry(b).or_default().push((p, home));
    }
    let member_branch: Option<i64> = match member {
        Some(m) => db
            .opt::<(i64,)>(&Sql::with("SELECT home_unit_id FROM people WHERE id = $1", vec![m.into()]))
            .await?
            .map(|r| r.0),
        None => None,
    };

    let mut tx = db.begin().await?;
    let mut next_id = tx.max_id("life_meetings").await? + 1;
    let mut next_attendance = tx.max_id("life_attendance").await? + 1;
    let mut meetings: Vec<Vec<Value>> = Vec::new();
    let mut attendance: Vec<Vec<Value>> = Vec::new();
    let mut records: Vec<Vec<Value>> = Vec::new();
    let mut stats = LifeStats::default();
    let record = |kind: RecordKind, unit: i64, person: Option<i64>, on: NaiveDate, source: i64| -> Vec<Value> {
        vec![
            kind.as_str().into(),
            unit.into(),
            person.into(),
            (start_of_china_day(on) + Duration::hours(9)).into(),
            1i64.into(),
            "life_meeting".into(),
            source.into(),
            Option::<String>::None.into(),
            now.into(),
        ]
    };
    for (branch, tags) in &branches {
        // Villages tagged weak, and a few others, mostly do not meet; some are patchy; most keep
        // to the norm all but a rare month.
        let lax = tags.contains("weak") || rng.chance(2);
        let hold_percent = if lax {
            stats.lax_branches += 1;
            35
        } else if rng.chance(8) {
            88
        } else {
            99
        };
        let people = members.get(branch).cloned().unwrap_or_default();
        let chair = people.first().map(|p| p.0);
        let mut latest: Option<(i64, NaiveDate)> = None;
        for rule in DEFAULT_RULES {
            let (mut start, mut end) = rule.cadence.period_of(from);
            while start <= today {
                if rng.chance(hold_percent) {
                    let span = (end - start).num_days();
                    let on = start + Duration::days(rng.range(0, span));
                    if on <= today {
                        let id = next_id;
                        next_id += 1;
                        meetings.push(vec![
                            id.into(),
                            (*branch).into(),
                            rule.kind.as_str().into(),
                            day(on),
                            (*rng.pick(PLACES)).into(),
                            (*rng.pick(topics(rule.kind))).into(),
                            chair.into(),
                            Some("会议由支部书记主持，围绕议题逐项讨论，形成一致意见。".to_string()).into(),
                            Option::<String>::None.into(),
                            format!("demo{id:08x}{:08x}", rng.next_u64() as u32).into(),
                            now.into(),
                        ]);
                        records.push(record(RecordKind::MeetingHeld, *branch, chair, on, id));
                        stats.meetings += 1;
                        if latest.is_none_or(|(_, d)| on > d) {
                            latest = Some((id, on));
                        }
                    }
                }
                let Some(next) = end.succ_opt() else { break };
                (start, end) = rule.cadence.period_of(next);
            }
        }
        // Today's theme day in the member's branch, open for the member's check-in.
        if Some(*branch) == member_branch {
            let id = next_id;
            next_id += 1;
            meetings.push(vec![
                id.into(),
                (*branch).into(),
                LifeKind::ThemeDay.as_str().into(),
                day(today),
                PLACES[0].into(),
                "党员志愿服务进卡点".into(),
                chair.into(),
                Option::<String>::None.into(),
                Option::<String>::None.into(),
                format!("demo{id:08x}{:08x}today", rng.next_u64() as u32).into(),
                now.into(),
            ]);
            records.push(record(RecordKind::MeetingHeld, *branch, chair, today, id));
            stats.meetings += 1;
        }
        // Attendance at the branch's latest meeting (before today's).
        if let Some((meeting, on)) = latest {
            for (person, home) in &people {
                let (status, reason) = match rng.below(100) {
                    0..=84 => ("present", None),
                    85..=92 => ("leave", Some(rng.pick(LEAVE_REASONS).to_string())),
                    _ => ("absent", None),
                };
                attendance.push(vec![
                    next_attendance.into(),
                    meeting.into(),
                    (*person).into(),
                    status.into(),
                    reason.into(),
                    "recorder".into(),
                    now.into(),
                ]);
                next_attendance += 1;
                if status == "present" {
                    records.push(record(RecordKind::MeetingAttended, *home, Some(*person), on, meeting));
                }
                stats.attendances += 1;
            }
        }
    }
    tx.insert_rows(
        "life_meetings",
        &[
            "id",
            "unit_id",
            "kind",
            "held_on",
            "place",
            "topic",
            "presided_by",
            "minutes",
            "resolutions",
            "check_in_code",
            "created_at",
        ],
        meetings,
    )
    .await?;
    tx.insert_rows(
        "life_attendance",
        &["id", "meeting_id", "person_id", "status", "reason", "taken_by", "at"],
        attendance,
    )
    .await?;
    tx.insert_rows(
        "records",
        &["kind", "unit_id", "person_id", "occurred_at", "value", "source_kind", "source_id", "note", "created_at"],
        records,
    )
    .await?;
    tx.sync_id_sequence("life_meetings").await?;
    tx.sync_id_sequence("life_attendance").await?;
    tx.commit().await?;
    Ok(stats)
}
