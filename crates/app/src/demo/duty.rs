//! The demo's "who answers for what" in 乐清: the "1+1+1" of every township and the 包村 leader
//! of every village (a few gaps left for the gap report), 包组 links to grids, functional grids and
//! household groups with 党员中心户, the eight role posts of every village with members' claims and
//! errands, deployments of department staff with arrivals, the departments paired with villages by
//! the engine, mentoring triples, and three villages whose secretary has just left.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{Duration, NaiveDate, Utc};
use frontline_core::access::Actor;
use frontline_core::demo::Rng;
use frontline_core::deployment::{Mentee, YOUNG_CADRE_MAX_AGE, check_triple};
use frontline_core::pairing::{PairingRules, Party, propose};
use frontline_core::people::Rank;
use frontline_core::roles::{RED_EIGHT, matches_specialty};
use frontline_core::succession::RemovalReason;
use frontline_core::units::child_path;
use frontline_db::audit::{self, Change};
use frontline_db::{Db, Sql, Value};
use serde_json::json;

/// Which kind of organ each department is, for the pairing rules (四联四促).
const ORGAN_KINDS: &[(&str, &str)] = &[
    ("市委组织部", "party_mass"),
    ("市委宣传部", "party_mass"),
    ("市民政局", "party_mass"),
    ("市委政法委", "legal"),
    ("市公安局", "legal"),
    ("市司法局", "legal"),
    ("市信访局", "legal"),
    ("市发展和改革局", "economic"),
    ("市商务局", "economic"),
    ("市财政局", "economic"),
    ("市市场监督管理局", "economic"),
    ("市农业农村局", "agricultural"),
    ("市自然资源和规划局", "agricultural"),
];

/// What the duty part of the demo made.
#[derive(Debug, Default, Clone)]
pub struct DutyStats {
    /// Functional grids, household groups and households added.
    pub units: usize,
    pub links: usize,
    pub role_posts: usize,
    pub claims: usize,
    pub deployments: usize,
    pub pairs: usize,
    pub successions: usize,
}

fn day(d: NaiveDate) -> Value {
    d.into()
}

/// Adds the duty data to a seeded county. `member_login` receives a 岐元村 member without a claim.
pub async fn seed(
    db: &Db,
    county_id: i64,
    county_path: &str,
    rng: &mut Rng,
    protected_village: i64,
) -> anyhow::Result<(DutyStats, Option<i64>)> {
    let today = Utc::now().date_naive();
    let now = Utc::now();
    let mut stats = DutyStats::default();
    let (lo, hi) = frontline_core::units::subtree_range(county_path);
    let mut links: Vec<Vec<Value>> = Vec::new();
    let link = |kind: &str, person: i64, unit: i64, start: NaiveDate| -> Vec<Value> {
        vec![kind.into(), person.into(), unit.into(), day(start), Option::<NaiveDate>::None.into(), now.into()]
    };

    // "1+1+1" for each township: a county leader responsible, another supervising, the township
    // secretary first responsible. Two townships are left with a gap.
    let leaders: Vec<(i64,)> = db
        .all(&Sql::new(
            "SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             WHERE po.kind = 'county_leader' ORDER BY po.seq, po.id",
        ))
        .await?;
    let townships: Vec<(i64, String)> = db
        .all(&Sql::with(
            "SELECT id, path FROM units WHERE parent_id = $1 AND kind = 'township' ORDER BY code",
            vec![county_id.into()],
        ))
        .await?;
    let secretaries: Vec<(i64, i64)> = db
        .all(&Sql::new(
            "SELECT pu.parent_id, t.person_id FROM posts po JOIN units pu ON pu.id = po.unit_id \
             JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL WHERE po.kind = 'township_secretary'",
        ))
        .await?;
    let secretary_of: HashMap<i64, i64> = secretaries.into_iter().collect();
    let start = today - Duration::days(300);
    for (k, (township, _)) in townships.iter().enumerate() {
        if !leaders.is_empty() {
            links.push(link("county_responsible", leaders[k % leaders.len()].0, *township, start));
            if k != 7 {
                links.push(link("supervisor", leaders[(k + 3) % leaders.len()].0, *township, start));
            }
        }
        if let Some(s) = secretary_of.get(township)
            && k != 13
        {
            links.push(link("first_responsible", *s, *township, start));
        }
    }
    // 包村: the township cadre posted to each village answers for it; a few villages lack one.
    let contacts: Vec<(i64, i64, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT ps.person_id, ps.unit_id, ps.start_date FROM postings ps JOIN units u ON u.id = ps.unit_id \
             WHERE ps.kind = 'village_contact' AND u.kind = 'village' AND u.path >= $1 AND u.path < $2 ORDER BY u.path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    for (k, (person, village, start)) in contacts.iter().enumerate() {
        if k % 60 != 17 || *village == protected_village {
            links.push(link("village_contact", *person, *village, *start));
        }
    }
    // 包组: village committee members answer for the grids; a few grids are left to their worker.
    let committee: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT pu.parent_id, t.person_id FROM posts po JOIN units pu ON pu.id = po.unit_id \
             JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL WHERE po.kind IN ('deputy_secretary', 'committee_member') \
             AND pu.path >= $1 AND pu.path < $2 ORDER BY pu.parent_id, po.seq",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let mut committee_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (village, person) in committee {
        committee_of.entry(village).or_default().push(person);
    }
    let grids: Vec<(i64, i64, String)> = db
        .all(&Sql::with(
            "SELECT id, parent_id, path FROM units WHERE kind = 'grid' AND path >= $1 AND path < $2 ORDER BY path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let mut grid_no: HashMap<i64, usize> = HashMap::new();
    let mut grid_lead: HashMap<i64, i64> = HashMap::new();
    for (k, (grid, village, _)) in grids.iter().enumerate() {
        let n = grid_no.entry(*village).or_default();
        if let Some(members) = committee_of.get(village).filter(|m| !m.is_empty())
            && (k % 70 != 9 || *village == protected_village)
        {
            let lead = members[*n % members.len()];
            links.push(link("group_contact", lead, *grid, start));
            grid_lead.insert(*grid, lead);
        }
        *n += 1;
    }

    // Functional grids (条线) under each township, and household groups with households (五户联防)
    // under each village's first grid, linked to a 党员中心户 member.
    let mut tx = db.begin().await?;
    let mut next_unit = tx.max_id("units").await?;
    let mut units: Vec<Vec<Value>> = Vec::new();
    let mut new_unit = |parent: i64, parent_path: &str, depth: i64, kind: &str, name: String, tags: &str| {
        next_unit += 1;
        let path = child_path(Some(parent_path), next_unit);
        units.push(vec![
            next_unit.into(),
            Some(parent).into(),
            path.clone().into(),
            depth.into(),
            kind.into(),
            name.into(),
            Option::<String>::None.into(),
            tags.into(),
            false.into(),
            now.into(),
            now.into(),
        ]);
        (next_unit, path)
    };
    let township_cadres: Vec<(i64, i64)> = db
        .all(&Sql::new(
            "SELECT p.home_unit_id, p.id FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE u.kind = 'township' AND p.category = 'cadre' ORDER BY p.id",
        ))
        .await?;
    let mut cadres_of: HashMap<i64, Vec<i64>> = HashMap::new();
    for (t, p) in township_cadres {
        cadres_of.entry(t).or_default().push(p);
    }
    for (k, (township, path)) in townships.iter().enumerate() {
        let depth = path.matches('/').count() as i64 - 1;
        for (j, name) in ["复工复产服务网格", "春耕生产网格"].iter().enumerate() {
            let (id, _) = new_unit(*township, path, depth + 1, "grid", (*name).to_string(), ",functional,");
            if let Some(c) = cadres_of.get(township).filter(|c| c.len() > 2)
                && (k + j) % 17 != 5
            {
                links.push(link("group_contact", c[2 + (j % (c.len() - 2))], id, start));
            }
        }
    }
    let village_members: Vec<(i64, i64, Option<String>)> = db
        .all(&Sql::with(
            "SELECT b.parent_id, p.id, p.specialties FROM people p JOIN units b ON b.id = p.home_unit_id \
             WHERE b.kind = 'party_branch' AND p.category = 'member' AND b.path >= $1 AND b.path < $2 ORDER BY p.id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let mut members_of: HashMap<i64, Vec<(i64, Option<String>)>> = HashMap::new();
    for (village, person, specialties) in village_members {
        members_of.entry(village).or_default().push((person, specialties));
    }
    // A party group (党小组) in every territorial grid, led by the grid's 包组 cadre.
    for (grid, _, grid_path) in &grids {
        let depth = grid_path.matches('/').count() as i64 - 1;
        let (group, _) = new_unit(*grid, grid_path, depth + 1, "party_group", "网格党小组".to_string(), "");
        if let Some(lead) = grid_lead.get(grid) {
            links.push(link("group_contact", *lead, group, start));
        }
    }
    let mut first_grid_done: HashMap<i64, bool> = HashMap::new();
    for (k, (grid, village, grid_path)) in grids.iter().enumerate() {
        if first_grid_done.insert(*village, true).is_some() {
            continue;
        }
        let depth = grid_path.matches('/').count() as i64 - 1;
        let members = members_of.get(village).cloned().unwrap_or_default();
        for g in 1..=2 {
            let (group, group_path) =
                new_unit(*grid, grid_path, depth + 1, "household_group", format!("五户联防第{g}组"), "");
            if let Some((m, _)) = members.get(g)
                && (k + g) % 23 != 4
            {
                links.push(link("group_contact", *m, group, start));
            }
            for h in 1..=5 {
                let (household, _) =
                    new_unit(group, &group_path, depth + 2, "household", format!("第{g}组{h}号户"), "");
                if let Some((m, _)) = members.get(g + 2)
                    && h != 5
                {
                    links.push(link("household_contact", *m, household, start));
                }
            }
        }
    }
    stats.units = units.len();
    tx.insert_rows(
        "units",
        &["id", "parent_id", "path", "depth", "kind", "name", "code", "tags", "closed", "created_at", "updated_at"],
        units,
    )
    .await?;
    tx.sync_id_sequence("units").await?;
    stats.links = links.len();
    tx.insert_rows("links", &["kind", "person_id", "unit_id", "start_date", "end_date", "created_at"], links).await?;

    // Role posts: the eight roles in every village, claimed by members whose specialty suits.
    let villages: Vec<(i64,)> = db
        .all(&Sql::with(
            "SELECT id FROM units WHERE kind = 'village' AND path >= $1 AND path < $2 ORDER BY path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let mut next_role = tx.max_id("role_posts").await?;
    let mut roles: Vec<Vec<Value>> = Vec::new();
    let mut claims: Vec<Vec<Value>> = Vec::new();
    let mut errands: Vec<Vec<Value>> = Vec::new();
    let mut member_login = None;
    for (v_index, (village,)) in villages.iter().enumerate() {
        let members = members_of.get(village).cloned().unwrap_or_default();
        let mut claimed: Vec<i64> = Vec::new();
        for (seq, (name, keywords)) in RED_EIGHT.iter().enumerate() {
            next_role += 1;
            roles.push(vec![
                next_role.into(),
                (*village).into(),
                (*name).into(),
                (*keywords).into(),
                1i64.into(),
                6i64.into(),
                (seq as i64 + 1).into(),
                now.into(),
            ]);
            // One role in a few villages stays empty, for the balance view.
            if (v_index + seq) % 41 == 3 {
                continue;
            }
            let mut taken = 0;
            for (person, specialties) in &members {
                if taken >= 4 || claimed.contains(person) || !matches_specialty(keywords, specialties.as_deref()) {
                    continue;
                }
                claimed.push(*person);
                taken += 1;
                let pending = rng.chance(12);
                let at = now - Duration::days(rng.range(5, 60));
                claims.push(vec![
                    next_role.into(),
                    (*person).into(),
                    if pending { "pending" } else { "approved" }.into(),
                    at.into(),
                    if pending { None } else { Some(at + Duration::days(1)) }.into(),
                    if pending { None } else { Some("demo".to_string()) }.into(),
                ]);
                if !pending && *name == "民生服务代办员" {
                    for e in 0..rng.range(1, 3) {
                        let what = ["代购药品", "代办医保缴费", "代取快递", "代办证件"][(e as usize + v_index) % 4];
                        errands.push(vec![
                            next_role.into(),
                            (*person).into(),
                            what.into(),
                            day(today - Duration::days(rng.range(0, 25))),
                            now.into(),
                        ]);
                    }
                }
            }
        }
        if *village == protected_village {
            member_login = members.iter().map(|(p, _)| *p).find(|p| !claimed.contains(p));
        }
    }
    stats.role_posts = roles.len();
    stats.claims = claims.len();
    tx.insert_rows(
        "role_posts",
        &["id", "unit_id", "name", "specialties", "min_holders", "max_holders", "seq", "created_at"],
        roles,
    )
    .await?;
    tx.sync_id_sequence("role_posts").await?;
    tx.insert_rows(
        "role_claims",
        &["role_post_id", "person_id", "status", "claimed_at", "decided_at", "decided_by"],
        claims,
    )
    .await?;
    tx.insert_rows("errands", &["role_post_id", "person_id", "what", "done_on", "created_at"], errands).await?;

    // Deployments: department staff sent down (选派 30%) arrive within three days, most of them.
    let sent: Vec<(i64, i64, i64, NaiveDate)> = db
        .all(&Sql::with(
            "SELECT ps.person_id, p.home_unit_id, ps.unit_id, ps.start_date FROM postings ps JOIN people p ON p.id = ps.person_id \
             JOIN units hu ON hu.id = p.home_unit_id WHERE ps.kind IN ('sent', 'stationed') AND hu.kind = 'department' \
             AND hu.path >= $1 AND hu.path < $2 ORDER BY ps.id",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let mut deployments: Vec<Vec<Value>> = Vec::new();
    for (person, home, target, start) in &sent {
        let arrived = rng.chance(92).then(|| {
            start.and_hms_opt(8, 0, 0).map(|t| t.and_utc()).unwrap_or(now) + Duration::hours(rng.range(1, 70))
        });
        deployments.push(vec![
            (*person).into(),
            (*home).into(),
            (*target).into(),
            "village".into(),
            day(*start),
            arrived.into(),
            now.into(),
        ]);
    }
    stats.deployments = deployments.len();
    tx.insert_rows(
        "deployments",
        &["person_id", "home_unit_id", "target_unit_id", "purpose", "start_date", "arrived_at", "created_at"],
        deployments,
    )
    .await?;

    // Departments get their organ kind, then the engine pairs them with the villages (结对共建).
    for (name, kind) in ORGAN_KINDS {
        tx.execute(&Sql::with(
            "UPDATE units SET tags = $1 WHERE parent_id = $2 AND kind = 'department' AND name = $3",
            vec![format!(",{kind},").into(), county_id.into(), (*name).into()],
        ))
        .await?;
    }
    tx.commit().await?;
    let departments: Vec<(i64, String, String, String)> = db
        .all(&Sql::with(
            "SELECT id, name, tags, path FROM units WHERE parent_id = $1 AND kind = 'department' ORDER BY id",
            vec![county_id.into()],
        ))
        .await?;
    let village_rows: Vec<(i64, String, String, String)> = db
        .all(&Sql::with(
            "SELECT id, name, tags, path FROM units WHERE kind = 'village' AND path >= $1 AND path < $2 ORDER BY path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    let party = |(id, name, tags, path): &(i64, String, String, String), capacity: u32| Party {
        id: *id,
        name: name.clone(),
        kinds: tags.split(',').filter(|t| !t.is_empty()).map(String::from).collect(),
        position: None,
        path: Some(path.clone()),
        capacity,
        load: 0,
    };
    let capacity = (village_rows.len() as u32).div_ceil(departments.len().max(1) as u32);
    let left: Vec<Party> = departments.iter().map(|d| party(d, capacity)).collect();
    let right: Vec<Party> = village_rows.iter().map(|v| party(v, 1)).collect();
    let proposal = propose(&left, &right, &PairingRules::default(), &[]).context("pairing the demo")?;
    let pair_start = today - Duration::days(200);
    let pairs: Vec<Vec<Value>> = proposal
        .pairs
        .iter()
        .map(|p| {
            vec![
                "pairing".into(),
                p.left_id.into(),
                p.right_id.into(),
                day(pair_start),
                Option::<NaiveDate>::None.into(),
                now.into(),
            ]
        })
        .collect();
    stats.pairs = pairs.len();
    // Mentoring triples (青蓝结对) by the rule `check_triple` states: a leading cadre of each
    // department, a young cadre (35 or under) and a middle cadre between them in age.
    let staff: Vec<(i64, i64, Option<NaiveDate>, String, String)> = db
        .all(&Sql::with(
            "SELECT p.home_unit_id, p.id, p.birthday, p.rank, p.category FROM people p JOIN units u ON u.id = p.home_unit_id \
             WHERE u.parent_id = $1 AND u.kind = 'department' ORDER BY p.id",
            vec![county_id.into()],
        ))
        .await?;
    let start = today - Duration::days(120);
    let mut staff_of: HashMap<i64, Vec<(i64, Mentee)>> = HashMap::new();
    for (dept, id, birthday, rank, category) in staff {
        let mentee = Mentee {
            age: birthday.and_then(|b| start.years_since(b)).map(i64::from),
            rank: Rank::parse(&rank).unwrap_or(Rank::None),
            cadre: matches!(category.as_str(), "cadre" | "village_cadre"),
        };
        staff_of.entry(dept).or_default().push((id, mentee));
    }
    let mut mentorships: Vec<Vec<Value>> = Vec::new();
    let mut depts: Vec<&i64> = staff_of.keys().collect();
    depts.sort();
    for dept in depts {
        let people = &staff_of[dept];
        let leader = people.iter().find(|(_, m)| matches!(m.rank, Rank::CountyLevel | Rank::SectionLevel));
        let young = people
            .iter()
            .filter(|(_, m)| m.cadre && m.age.is_some_and(|a| a <= YOUNG_CADRE_MAX_AGE))
            .min_by_key(|(_, m)| m.age);
        let (Some(leader), Some(young)) = (leader, young) else { continue };
        let middle = people
            .iter()
            .filter(|(id, _)| *id != leader.0 && *id != young.0)
            .filter(|(_, m)| check_triple(&leader.1, m, &young.1).is_empty())
            .max_by_key(|(_, m)| m.age);
        if let Some(middle) = middle {
            mentorships.push(vec![
                (*dept).into(),
                leader.0.into(),
                middle.0.into(),
                young.0.into(),
                day(start),
                now.into(),
            ]);
        }
    }
    let mut tx = db.begin().await?;
    tx.insert_rows(
        "unit_pairs",
        &["kind", "left_unit_id", "right_unit_id", "start_date", "end_date", "created_at"],
        pairs,
    )
    .await?;
    tx.insert_rows(
        "mentorships",
        &["unit_id", "leader_id", "middle_id", "young_id", "start_date", "created_at"],
        mentorships,
    )
    .await?;
    audit::append(
        &mut tx,
        &Actor::system("demo"),
        Change {
            action: "demo.duty",
            object_kind: "demo",
            object_id: None,
            unit_path: Some(county_path),
            before: serde_json::Value::Null,
            after: json!({"units": stats.units, "links": stats.links, "role_posts": stats.role_posts, "claims": stats.claims,
                          "deployments": stats.deployments, "pairs": stats.pairs}),
        },
    )
    .await?;
    tx.commit().await?;

    // Three villages whose secretary has just left: the deputy acts (in one, the deputy is
    // suspended and the first committee member acts instead).
    let branch_secretaries: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT po.id, pu.parent_id FROM posts po JOIN units pu ON pu.id = po.unit_id \
             WHERE po.kind = 'secretary' AND pu.kind = 'party_branch' AND pu.path >= $1 AND pu.path < $2 ORDER BY pu.path",
            vec![lo.into(), hi.into()],
        ))
        .await?;
    let system = Actor::system("demo");
    let picks: Vec<(i64, i64)> =
        branch_secretaries.iter().filter(|(_, v)| *v != protected_village).step_by(97).take(3).copied().collect();
    for (k, (post, _)) in picks.iter().enumerate() {
        if k == 2 {
            db_suspend_deputy(db, *post).await?;
        }
        let reason = [RemovalReason::Transferred, RemovalReason::Ill, RemovalReason::Resigned][k];
        frontline_db::succession::remove_holder(db, &system, *post, reason, today - Duration::days(3 + k as i64), None)
            .await
            .map_err(|e| anyhow::anyhow!("succession in the demo: {e}"))?;
        stats.successions += 1;
    }
    Ok((stats, member_login))
}

/// Marks the deputy secretary of the post's unit suspended (歇职), so the demo shows a succession
/// that passes over someone.
async fn db_suspend_deputy(db: &Db, secretary_post: i64) -> anyhow::Result<()> {
    let mut tx = db.begin().await?;
    tx.execute(&Sql::with(
        "UPDATE people SET suspended = TRUE WHERE id IN (SELECT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id \
         AND t.end_date IS NULL WHERE po.kind = 'deputy_secretary' AND po.unit_id = (SELECT unit_id FROM posts WHERE id = $1))",
        vec![secretary_post.into()],
    ))
    .await?;
    tx.commit().await?;
    Ok(())
}
