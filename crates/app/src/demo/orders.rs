//! A month of work orders in 乐清 (003.8, 001.4): residents' requests from the collection points,
//! the hotline, letters, visits and online, hazards found on patrol, enterprise problems raised by
//! the linked cadres and a few practical projects — with realistic timing: received in office
//! hours, dispatched within minutes, signed within hours, most replied within their limit and
//! called back, some late, returned, extended, chased, reopened or linked as duplicates, and the
//! newest still in progress. The county's holiday calendar is set first.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use frontline_core::demo::{Rng, person_name, phone};
use frontline_core::orders::{OrderStatus, WorkCalendar, end_of_day};
use frontline_core::records::RecordKind;
use frontline_core::time::{china, today_in_china};
use frontline_db::orders::CategoryView;
use frontline_db::records::NewRecord;
use frontline_db::{Db, Sql, Value};

/// What the month produced.
#[derive(Debug, Clone, Default)]
pub struct OrderStats {
    pub orders: i64,
    pub closed: i64,
    pub open: i64,
}

/// 乐清's calendar around the demo month: the National Day week off, a Saturday worked in
/// exchange, New Year's Day off.
const CALENDAR: &[(i32, u32, u32, bool, &str)] = &[
    (2026, 10, 1, false, "国庆节"),
    (2026, 10, 2, false, "国庆节"),
    (2026, 10, 3, false, "国庆节"),
    (2026, 10, 4, false, "国庆节"),
    (2026, 10, 5, false, "国庆节"),
    (2026, 10, 6, false, "国庆节"),
    (2026, 10, 7, false, "国庆节"),
    (2026, 10, 10, true, "国庆调休上班"),
    (2027, 1, 1, false, "元旦"),
];

/// What residents ask about, per category: a title and the words of the request.
fn request_text(code: &str, rng: &mut Rng) -> (String, String) {
    let pick = |rng: &mut Rng, items: &[(&str, &str)]| {
        let (t, d) = rng.pick(items);
        (t.to_string(), d.to_string())
    };
    match code {
        "road_light" => pick(
            rng,
            &[
                ("村口路灯不亮", "村口至文化礼堂一段路灯已坏一周，晚上老人出行不便。"),
                ("村道坑洼积水", "村道下雨后坑洼积水，电动车经过容易滑倒，希望修补。"),
            ],
        ),
        "sanitation" => pick(
            rng,
            &[
                ("垃圾未及时清运", "垃圾分类亭两天没有清运，气味较大。"),
                ("河道漂浮物", "村前小河有较多漂浮垃圾，请安排保洁。"),
            ],
        ),
        "water_power" => pick(
            rng,
            &[
                ("自来水水压低", "高处几户早晚用水高峰水压不足，热水器无法启动。"),
                ("频繁停电", "本周已停电三次，影响生产生活。"),
            ],
        ),
        "dispute" => pick(
            rng,
            &[
                ("宅基地边界纠纷", "与邻居因院墙位置发生争执，请求村里调解。"),
                ("噪音扰邻", "邻居夜间加工作坊噪音大，影响休息。"),
            ],
        ),
        "social_security" => pick(
            rng,
            &[
                ("医保报销咨询", "住院费用异地报销手续不清楚，请帮助办理。"),
                ("低保申请", "家中有重病人，收入困难，想申请低保。"),
            ],
        ),
        "elderly_care" => pick(
            rng,
            &[("独居老人照料", "隔壁独居老人腿脚不便，希望安排助餐上门。"), ("适老化改造", "家中卫生间需要加装扶手。")],
        ),
        "policy" => pick(rng, &[("种粮补贴咨询", "今年的种粮补贴什么时候发放，需要准备什么材料？")]),
        "enterprise_materials" => pick(rng, &[("原材料供应紧张", "电器配件原料到货周期延长，影响订单交付。")]),
        "enterprise_sales" => pick(rng, &[("产品销路受阻", "外贸订单减少，希望对接国内采购商。")]),
        "enterprise_workers" => pick(rng, &[("节后用工缺口", "生产线缺普工30人，请协助招工。")]),
        "hazard_fire" => pick(rng, &[("楼道堆放杂物", "出租房楼道堆放电动车和杂物，存在消防隐患。")]),
        "hazard_flood" => pick(rng, &[("山塘渗漏", "巡查发现山塘坝体下游有渗水点。")]),
        "hazard_traffic" => pick(rng, &[("临崖路段缺护栏", "盘山公路临崖一段护栏缺失约20米。")]),
        "practical_project" => pick(rng, &[("村级养老服务站建设", "列入年度民生实事项目，建设村级居家养老服务站。")]),
        _ => pick(rng, &[("代办社保卡", "行动不便的老人需要代办社保卡补领。")]),
    }
}

/// A moment in office hours (08:00–20:00 China time) of a day.
fn office_time(day: NaiveDate, rng: &mut Rng) -> DateTime<Utc> {
    let minutes = rng.range(8 * 60, 20 * 60 - 1);
    let local = day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::minutes(minutes);
    china().from_local_datetime(&local).single().map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

/// One step row for the timeline.
fn step(order: i64, step: &str, from: OrderStatus, to: OrderStatus, actor: &str, at: DateTime<Utc>) -> Vec<Value> {
    vec![
        order.into(),
        step.into(),
        from.as_str().into(),
        to.as_str().into(),
        actor.into(),
        Value::OptI64(None),
        Value::OptI64(None),
        Value::OptText(None),
        at.into(),
    ]
}

/// Seeds `count` orders received over the last 30 days.
pub async fn seed(db: &Db, county_id: i64, count: i64, rng: &mut Rng) -> anyhow::Result<OrderStats> {
    let now = Utc::now();
    let today = today_in_china(now);
    let (county_path,): (String,) =
        db.one(&Sql::with("SELECT path FROM units WHERE id = $1", vec![county_id.into()])).await?;
    let villages: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT id, parent_id FROM units WHERE kind = 'village' AND path LIKE $1 ORDER BY id",
            vec![format!("{county_path}%").into()],
        ))
        .await?;
    let categories = frontline_db::orders::categories(db).await?;
    let secretaries: std::collections::HashMap<i64, i64> = db
        .all::<(i64, i64)>(&Sql::new(
            "SELECT p.unit_id, MIN(t.person_id) FROM posts p JOIN tenures t ON t.post_id = p.id \
             WHERE p.kind IN ('secretary', 'township_secretary') AND t.end_date IS NULL GROUP BY p.unit_id",
        ))
        .await?
        .into_iter()
        .collect();
    if villages.is_empty() || categories.is_empty() {
        return Ok(OrderStats::default());
    }
    let mut calendar = WorkCalendar::default();
    let mut tx = db.begin().await?;
    for (y, m, d, working, name) in CALENDAR {
        let Some(day) = NaiveDate::from_ymd_opt(*y, *m, *d) else { continue };
        calendar.exceptions.insert(day, *working);
        tx.execute(&Sql::with(
            "INSERT INTO calendar_days (county_id, day, working, name) VALUES ($1, $2, $3, $4)",
            vec![county_id.into(), day.into(), (*working).into(), (*name).into()],
        ))
        .await?;
    }
    // Requests are most of the traffic; hazards, enterprise problems and projects are rarer.
    let weighted: Vec<&CategoryView> = categories
        .iter()
        .flat_map(|c| {
            let w = match c.kind.as_str() {
                "request" => 10,
                "hazard" => 4,
                "service" => 4,
                "enterprise" => 2,
                _ => 1,
            };
            std::iter::repeat_n(c, w)
        })
        .collect();
    let mut steps: Vec<Vec<Value>> = Vec::new();
    let mut records: Vec<NewRecord> = Vec::new();
    let mut stats = OrderStats::default();
    let mut earlier: Vec<(i64, i64, String)> = Vec::new();
    for _ in 0..count {
        let c = *rng.pick(&weighted);
        let (village, township) = *rng.pick(&villages);
        let owner = match c.handled_at.as_str() {
            "township" => township,
            "county" => county_id,
            _ => village,
        };
        let day = today - Duration::days(rng.range(0, 29));
        let received = office_time(day, rng).min(now - Duration::minutes(5));
        let due = calendar.due_at(received, c.sla_days);
        let channel = match c.kind.as_str() {
            "hazard" => "patrol",
            "enterprise" => "enterprise_link",
            "project" => "collection_point",
            _ => *rng.pick(&[
                "collection_point",
                "collection_point",
                "hotline",
                "hotline",
                "hotline",
                "letter",
                "visit",
                "online",
            ]),
        };
        let (title, description) = request_text(&c.code, rng);
        let (reporter_name, reporter_phone) = if c.kind == "request" && channel != "online" && rng.chance(70) {
            (Some(person_name(rng)), Some(phone(rng)))
        } else {
            (None, None)
        };
        // The clock of this order: minutes to dispatch, hours to sign, a share of the limit to reply.
        let dispatched = received + Duration::minutes(rng.range(2, 40));
        let signed = dispatched + Duration::minutes(rng.range(20, 600));
        let limit_hours = end_of_day(calendar.add_working_days(today_in_china(received), c.sla_days))
            .signed_duration_since(received)
            .num_hours()
            .max(4);
        let share = if rng.chance(8) { rng.range(105, 160) } else { rng.range(15, 95) };
        let replied = signed + Duration::hours(limit_hours * share / 100);
        let called = replied + Duration::hours(rng.range(4, 30));
        let duplicate =
            earlier.iter().rev().take(40).find(|(_, v, code)| *v == village && *code == c.code).map(|e| e.0);
        let duplicate = duplicate.filter(|_| rng.chance(60));
        let satisfied = rng.chance(93);
        let status = if duplicate.is_some() || called <= now {
            OrderStatus::Closed
        } else if replied <= now {
            OrderStatus::Replied
        } else if signed <= now {
            OrderStatus::Signed
        } else {
            OrderStatus::Dispatched
        };
        let handler = secretaries.get(&owner).copied();
        let closed_at = match (status, duplicate) {
            (OrderStatus::Closed, Some(_)) => Some(dispatched + Duration::minutes(30)),
            (OrderStatus::Closed, None) => Some(called),
            _ => None,
        };
        let id = tx
            .insert(&Sql::with(
                "INSERT INTO work_orders (category_id, kind, channel, place_unit_id, owner_unit_id, status, title, description, \
                 reporter_name, reporter_phone, handler_id, received_at, due_at, dispatched_at, replied_at, closed_at, reply, \
                 solved, satisfied, duplicate_of, updated_at, call_backs, call_backs_satisfied) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23) \
                 RETURNING id",
                vec![
                    c.id.into(),
                    c.kind.clone().into(),
                    channel.into(),
                    village.into(),
                    owner.into(),
                    status.as_str().into(),
                    title.into(),
                    description.into(),
                    reporter_name.into(),
                    reporter_phone.into(),
                    handler.filter(|_| status != OrderStatus::Dispatched && duplicate.is_none()).into(),
                    received.into(),
                    due.into(),
                    Some(dispatched).into(),
                    (replied <= now && duplicate.is_none()).then_some(replied).into(),
                    closed_at.into(),
                    (replied <= now && duplicate.is_none()).then(|| "已现场核实并处理完毕，已电话告知诉求人。".to_string()).into(),
                    (status == OrderStatus::Closed && duplicate.is_none()).then(|| i64::from(satisfied || rng.chance(50))).into(),
                    (status == OrderStatus::Closed && duplicate.is_none()).then(|| i64::from(satisfied)).into(),
                    duplicate.into(),
                    closed_at.unwrap_or(now.min(replied.max(signed))).into(),
                    i64::from(status == OrderStatus::Closed && duplicate.is_none()).into(),
                    i64::from(status == OrderStatus::Closed && duplicate.is_none() && satisfied).into(),
                ],
            ))
            .await?;
        earlier.push((id, village, c.code.clone()));
        stats.orders += 1;
        use OrderStatus::*;
        steps.push(step(id, "receive", Received, Received, "热线受理员", received));
        steps.push(step(id, "dispatch", Received, Dispatched, "系统派单", dispatched));
        if duplicate.is_some() {
            steps.push(step(
                id,
                "link_duplicate",
                Dispatched,
                Closed,
                "热线受理员",
                dispatched + Duration::minutes(30),
            ));
            stats.closed += 1;
            continue;
        }
        if signed <= now {
            steps.push(step(id, "sign", Dispatched, Signed, "承办人", signed));
        }
        if replied <= now {
            steps.push(step(id, "reply", Signed, Replied, "承办人", replied));
        }
        if status == Closed {
            steps.push(step(id, "call_back", Replied, Closed, "回访员", called));
            stats.closed += 1;
            records.push(NewRecord {
                kind: RecordKind::OrderClosed,
                unit_id: owner,
                person_id: handler,
                occurred_at: called,
                value: i64::from(called <= due),
                source_kind: "work_order",
                source_id: id,
                note: None,
            });
            records.push(NewRecord {
                kind: RecordKind::OrderRated,
                unit_id: owner,
                person_id: handler,
                occurred_at: called,
                value: i64::from(satisfied),
                source_kind: "work_order",
                source_id: id,
                note: None,
            });
        } else {
            stats.open += 1;
        }
    }
    tx.insert_rows(
        "order_steps",
        &["order_id", "step", "from_status", "to_status", "actor", "person_id", "unit_id", "note", "at"],
        steps,
    )
    .await?;
    frontline_db::records::append_many(&mut tx, records).await?;
    tx.commit().await?;
    // Orders past their limit get their yellow card the way the server's jobs loop gives it.
    frontline_db::orders::escalate_overdue(db, now).await?;
    Ok(stats)
}
