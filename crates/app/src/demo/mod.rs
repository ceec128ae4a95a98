//! The demo: the real structure of 乐清市 (division code 330382: 25 townships and streets, 514
//! villages and communities) filled with realistic synthetic people at the scale seed 004
//! describes — 60,000+ party members across the 514 villages, a secretary, a deputy secretary
//! and committee members in every village branch, township and county leaders, county
//! departments and their staff, some of them posted to villages — and one login per role.
//!
//! Demo passwords exist only here; a real install starts with no account at all.

use anyhow::Context;
use chrono::{NaiveDate, Utc};
use frontline_core::access::Actor;
use frontline_core::demo::{Rng, SPECIALTIES, birthday, person_name, phone};
use frontline_core::units::{UnitKind, child_path};
use frontline_db::audit::{self, Change};
use frontline_db::{Db, Sql, Tx, Value};
use serde_json::json;

pub mod appraisals;
pub mod duty;
pub mod indicators;
pub mod life;
pub mod orders;
pub mod supervision;
pub mod weak;
pub mod work;

/// 乐清市, the place of seed 004.
pub const COUNTY_CODE: &str = "330382";
/// The one password of every demo login (demo mode only).
pub const DEMO_PASSWORD: &str = "Frontline-demo-2026";

/// How many people to make: the article's scale for the demo, fewer for tests.
#[derive(Debug, Clone, Copy)]
pub struct Scale {
    pub members_per_village: (i64, i64),
    pub staff_per_department: (i64, i64),
    pub cadres_per_township: (i64, i64),
    /// Whether every handed-in list of the demo week keeps its per-item ticks (the tests keep
    /// them only in the township of the demo logins, which saves seconds per test).
    pub every_tick: bool,
    /// Work orders received over the last month.
    pub orders_per_month: i64,
    /// Weekly inspection rounds over the last month, and the visits each draws per township.
    pub inspection_rounds: i64,
    pub visits_per_township: i64,
}

impl Scale {
    /// 110–125 members per village: about 60,000 across the 514 villages.
    pub const ARTICLE: Scale = Scale {
        members_per_village: (110, 125),
        staff_per_department: (18, 32),
        cadres_per_township: (25, 40),
        every_tick: true,
        orders_per_month: 3_000,
        inspection_rounds: 4,
        visits_per_township: 2,
    };
    /// A few people per unit, for tests.
    pub const SMALL: Scale = Scale {
        members_per_village: (2, 4),
        staff_per_department: (2, 3),
        cadres_per_township: (3, 4),
        every_tick: false,
        orders_per_month: 40,
        inspection_rounds: 1,
        visits_per_township: 1,
    };
}

/// One login the demo prints.
#[derive(Debug, Clone)]
pub struct DemoLogin {
    pub role: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub reaches: String,
}

/// What the demo made.
#[derive(Debug, Clone)]
pub struct DemoSummary {
    pub townships: usize,
    pub villages: usize,
    pub units: i64,
    pub people: i64,
    pub party_members: i64,
    pub duty: duty::DutyStats,
    pub work: work::WorkStats,
    pub orders: orders::OrderStats,
    pub supervision: supervision::SupervisionStats,
    pub judgement: indicators::JudgementStats,
    pub appraisals: appraisals::AppraisalStats,
    pub life: life::LifeStats,
    pub weak: weak::WeakStats,
    pub logins: Vec<DemoLogin>,
}

const DEPARTMENTS: &[&str] = &[
    "市委组织部",
    "市委宣传部",
    "市委政法委",
    "市农业农村局",
    "市卫生健康局",
    "市公安局",
    "市应急管理局",
    "市民政局",
    "市市场监督管理局",
    "市交通运输局",
    "市发展和改革局",
    "市教育局",
    "市人力资源和社会保障局",
    "市自然资源和规划局",
    "市住房和城乡建设局",
    "市司法局",
    "市商务局",
    "市文化和广电旅游体育局",
    "市财政局",
    "市信访局",
];
const COUNTY_LEADERS: &[&str] = &[
    "市委书记",
    "市委副书记、市长",
    "市委副书记",
    "常务副市长",
    "市委常委、组织部部长",
    "市委常委、宣传部部长",
    "市委常委、政法委书记",
    "市委常委、纪委书记",
    "副市长",
    "副市长",
    "副市长",
];

struct Unit {
    id: i64,
    path: String,
    depth: i64,
}

/// Rows to insert, collected in memory and written in one transaction.
struct Batch {
    units: Vec<Vec<Value>>,
    people: Vec<Vec<Value>>,
    posts: Vec<Vec<Value>>,
    tenures: Vec<Vec<Value>>,
    postings: Vec<Vec<Value>>,
    next_unit: i64,
    next_person: i64,
    next_post: i64,
    members: i64,
    now: chrono::DateTime<Utc>,
}

struct NewPerson<'a> {
    category: &'a str,
    party: &'a str,
    rank: &'a str,
    min_age: i64,
    max_age: i64,
}

impl Batch {
    fn unit(&mut self, parent: &Unit, kind: UnitKind, name: String, tags: &str, now: chrono::DateTime<Utc>) -> Unit {
        self.next_unit += 1;
        let id = self.next_unit;
        let path = child_path(Some(&parent.path), id);
        self.units.push(vec![
            id.into(),
            Some(parent.id).into(),
            path.clone().into(),
            (parent.depth + 1).into(),
            kind.as_str().into(),
            name.into(),
            Option::<String>::None.into(),
            tags.into(),
            false.into(),
            now.into(),
            now.into(),
        ]);
        Unit { id, path, depth: parent.depth + 1 }
    }

    fn person(
        &mut self,
        rng: &mut Rng,
        home: i64,
        p: NewPerson<'_>,
        today: NaiveDate,
        now: chrono::DateTime<Utc>,
    ) -> i64 {
        self.next_person += 1;
        let id = self.next_person;
        if p.party != "none" {
            self.members += 1;
        }
        let specialties = if rng.chance(60) { Some(rng.pick(SPECIALTIES).to_string()) } else { None };
        self.people.push(vec![
            id.into(),
            person_name(rng).into(),
            p.category.into(),
            p.party.into(),
            p.rank.into(),
            specialties.into(),
            Some(birthday(rng, today, p.min_age, p.max_age)).into(),
            Some(phone(rng)).into(),
            home.into(),
            now.into(),
            now.into(),
        ]);
        id
    }

    fn post(&mut self, unit: i64, kind: &str, title: &str, seq: i64, holder: i64, since: NaiveDate) {
        self.next_post += 1;
        self.posts.push(vec![
            self.next_post.into(),
            unit.into(),
            kind.into(),
            title.into(),
            seq.into(),
            self.now.into(),
        ]);
        self.tenures.push(vec![self.next_post.into(), holder.into(), since.into()]);
    }

    fn posting(&mut self, person: i64, unit: i64, kind: &str, start: NaiveDate) {
        self.postings.push(vec![person.into(), unit.into(), kind.into(), start.into()]);
    }
}

async fn units_of(db: &Db, parent_id: i64, kind: &str) -> anyhow::Result<Vec<(i64, String, i64, String)>> {
    Ok(db
        .all(&Sql::with(
            "SELECT id, path, depth, name FROM units WHERE parent_id = $1 AND kind = $2 ORDER BY code",
            vec![parent_id.into(), kind.into()],
        ))
        .await?)
}

/// Whether the store already holds demo data (any account at all).
pub async fn already_seeded(db: &Db) -> anyhow::Result<bool> {
    Ok(frontline_db::access::user_count(db).await? > 0)
}

/// Loads 乐清's structure and fills it with people, posts, postings and the demo logins.
pub async fn seed(db: &Db, scale: Scale, seed: u64) -> anyhow::Result<DemoSummary> {
    crate::divisions::import(db, &[COUNTY_CODE.to_string()]).await?;
    let (county_id, county_path, county_depth): (i64, String, i64) = db
        .one(&Sql::with("SELECT id, path, depth FROM units WHERE code = $1", vec![COUNTY_CODE.into()]))
        .await
        .context("the county is missing after the import")?;
    let county = Unit { id: county_id, path: county_path, depth: county_depth };
    let (county_name,): (String,) =
        db.one(&Sql::with("SELECT name FROM units WHERE id = $1", vec![county.id.into()])).await?;
    let townships = units_of(db, county.id, "township").await?;
    let today = Utc::now().date_naive();
    let now = Utc::now();
    let since = |years_ago: i64, rng: &mut Rng| today - chrono::Duration::days(years_ago * 365 + rng.range(0, 364));
    let mut rng = Rng::new(seed);

    let mut tx = db.begin().await?;
    let mut b = Batch {
        units: Vec::new(),
        people: Vec::new(),
        posts: Vec::new(),
        tenures: Vec::new(),
        postings: Vec::new(),
        next_unit: tx.max_id("units").await?,
        next_person: tx.max_id("people").await?,
        next_post: tx.max_id("posts").await?,
        members: 0,
        now,
    };
    // County: the party committee with its leaders, and the departments with their staff.
    let committee = b.unit(&county, UnitKind::PartyCommittee, "中共乐清市委员会".into(), "", now);
    for (i, title) in COUNTY_LEADERS.iter().enumerate() {
        let p = b.person(
            &mut rng,
            committee.id,
            NewPerson { category: "cadre", party: "member", rank: "county_level", min_age: 42, max_age: 58 },
            today,
            now,
        );
        b.post(committee.id, "county_leader", title, i as i64 + 1, p, since(2, &mut rng));
    }
    let mut department_staff: Vec<i64> = Vec::new();
    let mut org_department_head = 0;
    for name in DEPARTMENTS {
        let dept = b.unit(&county, UnitKind::Department, (*name).into(), "", now);
        let n = rng.range(scale.staff_per_department.0, scale.staff_per_department.1);
        for i in 0..n {
            let rank = if i == 0 { "section_level" } else { "staff" };
            let party = if rng.chance(85) { "member" } else { "none" };
            let p = b.person(
                &mut rng,
                dept.id,
                NewPerson { category: "cadre", party, rank, min_age: 24, max_age: 58 },
                today,
                now,
            );
            if i == 0 {
                b.post(dept.id, "department_head", "主要负责人", 1, p, since(3, &mut rng));
                if *name == "市委组织部" {
                    org_department_head = p;
                }
            } else {
                department_staff.push(p);
            }
        }
    }
    let mut all_villages: Vec<(i64, String)> = Vec::new();
    let mut first_township_secretary = None;
    let mut first_village_secretary = None;
    let mut first_grid_worker = None;
    let mut first_township_name = String::new();
    let mut first_village_name = String::new();
    let mut protected_village = 0;
    let mut village_count = 0usize;
    for (t_index, (t_id, t_path, t_depth, t_name)) in townships.iter().enumerate() {
        let township = Unit { id: *t_id, path: t_path.clone(), depth: *t_depth };
        let short = t_name.trim_end_matches("街道").trim_end_matches('镇').trim_end_matches('乡');
        let kind_word = if t_name.ends_with("街道") {
            "街道工作委员会"
        } else if t_name.ends_with('镇') {
            "镇委员会"
        } else {
            "乡委员会"
        };
        let t_committee = b.unit(&township, UnitKind::PartyCommittee, format!("中共{short}{kind_word}"), "", now);
        let n = rng.range(scale.cadres_per_township.0, scale.cadres_per_township.1);
        let mut cadres = Vec::new();
        for i in 0..n {
            let rank = if i < 2 { "section_level" } else { "staff" };
            let p = b.person(
                &mut rng,
                township.id,
                NewPerson { category: "cadre", party: "member", rank, min_age: 25, max_age: 56 },
                today,
                now,
            );
            match i {
                0 => b.post(t_committee.id, "township_secretary", "党（工）委书记", 1, p, since(2, &mut rng)),
                1 => b.post(
                    township.id,
                    "township_head",
                    if t_name.ends_with("街道") { "办事处主任" } else { "乡镇长" },
                    2,
                    p,
                    since(2, &mut rng),
                ),
                _ => {}
            }
            if i == 0 && t_index == 5 {
                first_township_secretary = Some(p);
                first_township_name = t_name.clone();
            }
            cadres.push(p);
        }
        let villages = units_of(db, township.id, "village").await?;
        for (v_index, (v_id, v_path, v_depth, v_name)) in villages.iter().enumerate() {
            village_count += 1;
            all_villages.push((*v_id, v_name.clone()));
            let village = Unit { id: *v_id, path: v_path.clone(), depth: *v_depth };
            let tags = match rng.below(100) {
                0..=9 => ",weak,",
                10..=14 => ",disorderly,",
                15..=22 => ",poor,",
                23..=37 => ",industry,",
                _ => "",
            };
            if !tags.is_empty() {
                tx.execute(&Sql::with(
                    "UPDATE units SET tags = $1 WHERE id = $2",
                    vec![tags.into(), village.id.into()],
                ))
                .await?;
            }
            let branch_kind = if v_name.ends_with("社区") { "党委" } else { "党支部" };
            let branch = b.unit(&village, UnitKind::PartyBranch, format!("{v_name}{branch_kind}"), "", now);
            // Village cadres: home unit is the village, posts sit in the branch (004.2's succession order).
            let roles: [(&str, &str); 5] = [
                ("secretary", "书记"),
                ("deputy_secretary", "副书记"),
                ("committee_member", "委员"),
                ("committee_member", "委员"),
                ("committee_member", "委员"),
            ];
            for (seq, (kind, title)) in roles.iter().enumerate() {
                let p = b.person(
                    &mut rng,
                    village.id,
                    NewPerson { category: "village_cadre", party: "member", rank: "village", min_age: 28, max_age: 62 },
                    today,
                    now,
                );
                b.post(branch.id, kind, title, seq as i64 + 1, p, since(rng.range(1, 5), &mut rng));
                if seq == 0 && v_name == "岐元村" {
                    first_village_secretary = Some(p);
                    first_village_name = v_name.clone();
                    protected_village = village.id;
                }
            }
            let members = rng.range(scale.members_per_village.0, scale.members_per_village.1);
            for _ in 0..members {
                let party = if rng.chance(96) { "member" } else { "probationary" };
                b.person(
                    &mut rng,
                    branch.id,
                    NewPerson { category: "member", party, rank: "none", min_age: 19, max_age: 86 },
                    today,
                    now,
                );
            }
            for g in 1..=4 {
                let grid = b.unit(
                    &village,
                    UnitKind::Grid,
                    format!("{v_name}第{}网格", ["一", "二", "三", "四"][g - 1]),
                    "",
                    now,
                );
                let party = if rng.chance(60) { "member" } else { "none" };
                let p = b.person(
                    &mut rng,
                    grid.id,
                    NewPerson { category: "grid_worker", party, rank: "none", min_age: 24, max_age: 60 },
                    today,
                    now,
                );
                b.post(grid.id, "grid_worker", "专职网格员", 1, p, since(1, &mut rng));
                if g == 1 && v_name == "岐元村" {
                    first_grid_worker = Some(p);
                }
            }
            // 包村: each village has a township cadre answering for it (000.2).
            if !cadres.is_empty() {
                let c = cadres[(v_index + 2) % cadres.len()];
                b.posting(c, village.id, "village_contact", since(1, &mut rng));
            }
        }
    }
    // 选派 30%: about a third of county department staff are sent down to villages (000.5).
    for p in department_staff.iter().copied() {
        if rng.chance(30) && !all_villages.is_empty() {
            let (v, _) = all_villages[rng.below(all_villages.len() as u64) as usize];
            let kind = if rng.chance(50) { "sent" } else { "stationed" };
            b.posting(p, v, kind, today - chrono::Duration::days(rng.range(10, 300)));
        }
    }
    let (units, people) = write(&mut tx, &mut b).await?;
    audit::append(
        &mut tx,
        &Actor::system("demo"),
        Change {
            action: "demo.seed",
            object_kind: "demo",
            object_id: None,
            unit_path: Some(&county.path),
            before: serde_json::Value::Null,
            after: json!({"county": COUNTY_CODE, "units": units, "people": people, "party_members": b.members}),
        },
    )
    .await?;
    tx.commit().await?;

    let (duty, member) = duty::seed(db, county.id, &county.path, &mut rng, protected_village).await?;
    let work = work::seed(db, county.id, &mut rng, first_grid_worker, scale.every_tick).await?;
    let orders = orders::seed(db, county.id, scale.orders_per_month, &mut rng).await?;
    let supervision = supervision::seed(
        db,
        county.id,
        org_department_head,
        scale.inspection_rounds,
        scale.visits_per_township,
        &mut rng,
    )
    .await?;
    let judgement = indicators::seed(db, county.id, org_department_head, &mut rng).await?;
    let appraisals = appraisals::seed(db, county.id, org_department_head, &mut rng).await?;
    let mut life = life::seed(db, &county.path, seed, member).await?;
    life.member_links = life::seed_organisation(db, member).await?;
    // The screening reads the ledger's figures (laggards of published runs) and the meetings above.
    let weak = weak::seed(db, county.id, &county.path, org_department_head).await?;
    let logins = create_logins(
        db,
        county.id,
        LoginPeople {
            org_head: org_department_head,
            township_secretary: first_township_secretary.unwrap_or_default(),
            village_secretary: first_village_secretary.unwrap_or_default(),
            grid_worker: first_grid_worker.unwrap_or_default(),
            member: member.unwrap_or_default(),
            inspector: supervision.inspector.unwrap_or_default(),
        },
    )
    .await?;
    let mut logins = logins;
    for l in &mut logins {
        l.reaches = match l.username {
            "admin" => "全部单位 (all units)".into(),
            "sysadmin" => "账号与角色，不含业务数据 (accounts and roles, no business data)".into(),
            "secadmin" => "安全设置 (security settings)".into(),
            "auditor" => "审计日志，只读 (the audit log, read only)".into(),
            "county_org" => county_name.clone(),
            "township_secretary" => first_township_name.clone(),
            "village_secretary" => first_village_name.clone(),
            "member" => format!("{first_village_name}（本人）"),
            "inspector" => format!("{county_name}（督导组）"),
            _ => format!("{first_village_name}第一网格"),
        };
    }
    // The demo back-dates some records after writing them (a week of history made in a minute);
    // real work only appends, which the store's triggers tally as it goes.
    frontline_db::records::figures::rebuild(db).await?;
    let total_units = frontline_db::units::count_subtree(db, &county.path).await?;
    Ok(DemoSummary {
        townships: townships.len(),
        villages: village_count,
        units: total_units,
        people,
        party_members: b.members,
        duty,
        work,
        orders,
        supervision,
        judgement,
        appraisals,
        life,
        weak,
        logins,
    })
}

/// Writes the collected rows; gives how many units and people were written.
async fn write(tx: &mut Tx, b: &mut Batch) -> anyhow::Result<(i64, i64)> {
    let units = tx
        .insert_rows(
            "units",
            &["id", "parent_id", "path", "depth", "kind", "name", "code", "tags", "closed", "created_at", "updated_at"],
            std::mem::take(&mut b.units),
        )
        .await?;
    let people = tx
        .insert_rows(
            "people",
            &[
                "id",
                "name",
                "category",
                "party_status",
                "rank",
                "specialties",
                "birthday",
                "phone",
                "home_unit_id",
                "created_at",
                "updated_at",
            ],
            std::mem::take(&mut b.people),
        )
        .await?;
    tx.insert_rows("posts", &["id", "unit_id", "kind", "title", "seq", "created_at"], std::mem::take(&mut b.posts))
        .await?;
    tx.insert_rows("tenures", &["post_id", "person_id", "start_date"], std::mem::take(&mut b.tenures)).await?;
    tx.insert_rows("postings", &["person_id", "unit_id", "kind", "start_date"], std::mem::take(&mut b.postings))
        .await?;
    for table in ["units", "people", "posts"] {
        tx.sync_id_sequence(table).await?;
    }
    Ok((units as i64, people as i64))
}

/// The people the demo's logins act as (0: none).
struct LoginPeople {
    org_head: i64,
    township_secretary: i64,
    village_secretary: i64,
    grid_worker: i64,
    member: i64,
    inspector: i64,
}

async fn create_logins(db: &Db, county_id: i64, who: LoginPeople) -> anyhow::Result<Vec<DemoLogin>> {
    let LoginPeople { org_head, township_secretary, village_secretary, grid_worker, member, inspector } = who;
    let system = Actor::system("demo");
    let role = |key: &'static str| async move {
        frontline_db::access::role_id_by_key(db, key).await?.with_context(|| format!("built-in role {key} is missing"))
    };
    // The county organisation department's role, and the inspection teams', reach the whole county.
    let mut tx = db.begin().await?;
    for key in ["county_org", "inspection_team"] {
        let listed_role = role(key).await?;
        let listed = tx
            .count(&Sql::with(
                "SELECT COUNT(*) FROM role_units WHERE role_id = $1 AND unit_id = $2",
                vec![listed_role.into(), county_id.into()],
            ))
            .await?;
        if listed == 0 {
            tx.execute(&Sql::with(
                "INSERT INTO role_units (role_id, unit_id) VALUES ($1, $2)",
                vec![listed_role.into(), county_id.into()],
            ))
            .await?;
        }
    }
    tx.commit().await?;
    let hash = frontline_web::auth::hash_password(DEMO_PASSWORD).map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let accounts: [(&'static str, &'static str, &'static str, Option<i64>, &str); 10] = [
        ("admin", "超级管理员", "admin", None, "admin"),
        ("sysadmin", "系统管理员", "system_admin", None, "system_admin"),
        ("secadmin", "安全管理员", "security_admin", None, "security_admin"),
        ("auditor", "安全审计员", "audit_admin", None, "audit_admin"),
        ("county_org", "组织部管理员", "county_org", Some(org_head), "county_org"),
        ("township_secretary", "街道党工委书记", "township_secretary", Some(township_secretary), "township_secretary"),
        ("village_secretary", "村党支部书记", "village_secretary", Some(village_secretary), "village_secretary"),
        ("grid_worker", "网格员", "grid_worker", Some(grid_worker), "grid_worker"),
        ("member", "党员", "member", Some(member), "member"),
        ("inspector", "督导组成员", "inspection_team", Some(inspector), "inspector"),
    ];
    // The demo's accounts share a published password so that anyone may try every role: its
    // administrators log in without the second factor a real install asks of administrators, and
    // it keeps the all-powerful administrator beside the three (三员) to show both.
    let mut tx = db.begin().await?;
    let mut off = Sql::new("UPDATE roles SET requires_second_factor = FALSE WHERE role_key IN ");
    off.bind_list(frontline_db::access::ADMINISTRATORS);
    tx.execute(&off).await?;
    tx.commit().await?;
    if frontline_db::security::separation_of_duties(db).await? {
        frontline_db::security::set_separation_of_duties(db, &system, false).await?;
    }
    let mut out = Vec::new();
    for (username, display, role_key, person, label) in accounts {
        let rid = role(role_key).await?;
        let u = frontline_db::access::NewUser {
            username: username.into(),
            display_name: display.into(),
            password_hash: hash.clone(),
            person_id: person.filter(|p| *p > 0),
            role_ids: vec![rid],
            // The demo's shared logins keep their published password.
            must_change_password: false,
        };
        frontline_db::access::create_user(db, &system, &u).await?;
        out.push(DemoLogin { role: label, username, password: DEMO_PASSWORD, reaches: String::new() });
    }
    Ok(out)
}
