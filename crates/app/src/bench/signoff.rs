//! `frontline bench signoff`: the morning peak of 003.1 (60,000 members signing their daily lists)
//! as sustained sign-off writes through the real HTTP API, each by its own member's token, on the
//! demo county. Afterwards every acknowledged sign-off is checked in the store and the audit chain
//! verified.

use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use frontline_core::access::Actor;
use frontline_core::tasks::{TaskListInput, items_from_lines};
use frontline_core::time::today_in_china;
use frontline_db::{Db, Sql, Value};
use serde_json::json;

use super::http::{Load, load};

/// One member's open list to sign: its id, the items to tick and the member's token.
pub struct Pending {
    pub instance: i64,
    /// The sign-off's body: every item of the list ticked.
    pub items: Arc<serde_json::Value>,
    pub token: Arc<str>,
}

/// Hands out a three-item daily list to every grid worker and committee member of the county for
/// as many days ahead as `wanted` sign-offs need, and gives each doer an account and API token
/// (made directly in the store: logging 5,000 people in would time the password hash, not the
/// sign-off).
pub async fn prepare(db: &Db, wanted: usize) -> anyhow::Result<(i64, Vec<Pending>)> {
    let (county,): (i64,) = db.one(&Sql::new("SELECT id FROM units WHERE code = '330382'")).await?;
    let list = TaskListInput {
        title: "早高峰签收压测清单".into(),
        post_kinds: vec!["grid_worker".into(), "committee_member".into()],
        period: "daily".into(),
        due_time: "23:59".into(),
        campaign: String::new(),
        commitment: String::new(),
        items: items_from_lines("入户走访\n卡点值守\n环境整治"),
    }
    .validate()
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let list_id = frontline_db::tasks::create_list(db, &Actor::system("bench"), county, &list).await?;
    let doers = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM task_instances i JOIN people p ON p.id = i.person_id \
             WHERE i.list_id = $1 AND i.unit_id = p.home_unit_id",
            vec![list_id.into()],
        ))
        .await?
        .max(1) as usize;
    let today = today_in_china(Utc::now());
    for day in 1..=wanted.div_ceil(doers) as i64 {
        frontline_db::tasks::generate_day(db, today + chrono::Duration::days(day)).await?;
    }
    // The instances a doer's own-unit scope reaches (their home unit), oldest day first.
    let rows: Vec<(i64, i64)> = db
        .all(&Sql::with(
            "SELECT i.id, i.person_id FROM task_instances i JOIN people p ON p.id = i.person_id \
             WHERE i.list_id = $1 AND i.status = 'open' AND i.unit_id = p.home_unit_id ORDER BY i.period_start, i.id",
            vec![list_id.into()],
        ))
        .await?;
    let items: Vec<(i64,)> =
        db.all(&Sql::with("SELECT id FROM task_items WHERE list_id = $1 ORDER BY seq", vec![list_id.into()])).await?;
    let items = Arc::new(json!({"items": items.iter().map(|(id,)| json!({"item_id": id})).collect::<Vec<_>>()}));
    let (role,): (i64,) = db.one(&Sql::new("SELECT id FROM roles WHERE role_key = 'grid_worker'")).await?;
    let mut people: Vec<i64> = rows.iter().map(|r| r.1).collect();
    people.sort_unstable();
    people.dedup();
    let now = Utc::now();
    let mut tx = db.begin().await?;
    let first_user = tx.max_id("users").await? + 1;
    let mut tokens = std::collections::HashMap::new();
    let (mut users, mut roles, mut api_tokens) = (Vec::new(), Vec::new(), Vec::new());
    for (k, person) in people.iter().enumerate() {
        let user = first_user + k as i64;
        let token: Arc<str> = format!("bench-{person}-{}", frontline_web::auth::random_token()).into();
        users.push(vec![
            Value::from(user),
            format!("bench{person}").into(),
            format!("压测{person}").into(),
            "!".into(),
            Some(*person).into(),
            now.into(),
        ]);
        roles.push(vec![Value::from(user), role.into()]);
        api_tokens.push(vec![
            Value::from(user),
            "bench".into(),
            frontline_web::auth::secret_hash(&token).into(),
            now.into(),
        ]);
        tokens.insert(*person, token);
    }
    tx.insert_rows("users", &["id", "username", "display_name", "password_hash", "person_id", "created_at"], users)
        .await?;
    tx.insert_rows("user_roles", &["user_id", "role_id"], roles).await?;
    tx.insert_rows("api_tokens", &["user_id", "name", "token_hash", "created_at"], api_tokens).await?;
    tx.sync_id_sequence("users").await?;
    tx.commit().await?;
    let mut out = Vec::with_capacity(rows.len());
    for (instance, person) in rows.into_iter().take(wanted) {
        let token = tokens.get(&person).context("a token for every doer")?.clone();
        out.push(Pending { instance, items: items.clone(), token });
    }
    anyhow::ensure!(!out.is_empty(), "the demo county has no grid workers or committee members to sign");
    Ok((list_id, out))
}

/// What the burst did.
pub struct Burst {
    pub load: Load,
    pub doers: usize,
    /// Acknowledged sign-offs not found submitted in the store afterwards (must be 0).
    pub lost: i64,
}

/// Sends up to `wanted` sign-offs to the server at `base` (serving `db`) from `concurrency`
/// connections, every one a different open list of a member with that member's token.
pub async fn run(db: &Db, base: &str, wanted: usize, concurrency: usize) -> anyhow::Result<Burst> {
    let (list_id, pending) = prepare(db, wanted).await?;
    let pending = Arc::new(pending);
    let doers = {
        let mut tokens: Vec<&str> = pending.iter().map(|p| &*p.token).collect();
        tokens.sort_unstable();
        tokens.dedup();
        tokens.len()
    };
    let total = pending.len();
    let (base, work) = (base.to_string(), pending.clone());
    let load = load("daily sign-off burst (POST /api/v1/tasks/{id}/submit)", total, concurrency, move |client, i| {
        let p = &work[i];
        client.post(format!("{base}/api/v1/tasks/{}/submit", p.instance)).bearer_auth(&*p.token).json(&*p.items)
    })
    .await?;
    let found = db
        .count(&Sql::with(
            "SELECT COUNT(*) FROM task_instances WHERE list_id = $1 AND status = 'submitted'",
            vec![list_id.into()],
        ))
        .await?;
    Ok(Burst { load, doers, lost: total as i64 - found })
}

/// Prints the burst beside the targets.
pub fn print(store: &str, burst: &Burst) {
    let l = &burst.load;
    println!(
        "{} on {store}: {} sign-offs by {} members, {:.0} sign-offs/s, p50 {:.1} ms, p99 {:.1} ms; acknowledged but lost: {}",
        l.name,
        l.requests,
        burst.doers,
        l.per_second,
        l.p50.as_secs_f64() * 1e3,
        l.p99.as_secs_f64() * 1e3,
        burst.lost
    );
    println!("target (issue 8, SQLite): ≥ 5,000 sign-offs/s with p99 < 50 ms");
}
