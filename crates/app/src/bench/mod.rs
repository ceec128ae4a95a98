//! Benchmarks that the foundation's figures come from (`frontline bench tree`). Not tests: they
//! print numbers, each beside an anchor measured in the same run.

pub mod all;
pub mod dashboard;
pub mod duckdb;
pub mod http;
pub mod import;
pub mod ledger;
pub mod memory;
pub mod pair;
pub mod process;
pub mod roster;
pub mod signoff;
pub mod soak;
pub mod sync;

use std::time::{Duration, Instant};

use frontline_core::access::Scope;
use frontline_core::units::subtree_range;
use frontline_db::{Db, Sql};

/// An empty store for one benchmark: the database named by `database` (which must be empty), or
/// a new SQLite file in a temporary folder named after the benchmark, given back to be removed.
pub async fn empty_store(database: Option<&str>, name: &str) -> anyhow::Result<(Db, std::path::PathBuf)> {
    let tmp = std::env::temp_dir().join(format!("frontline-bench-{}-{name}", std::process::id()));
    let url = match database {
        Some(u) => u.to_string(),
        None => {
            let _ = std::fs::remove_dir_all(&tmp);
            crate::setup::database_url(None, &tmp)?
        }
    };
    let db = crate::setup::open(&url).await?;
    anyhow::ensure!(frontline_db::units::count_subtree(&db, "/").await? == 0, "the benchmark needs an empty database");
    Ok((db, tmp))
}

/// One measured figure.
pub struct Figure {
    pub name: String,
    pub value: Duration,
    pub anchor_name: String,
    pub anchor: Option<Duration>,
}

fn median_of<F: FnMut()>(runs: usize, mut f: F) -> Duration {
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    times.sort();
    times[times.len() / 2]
}

async fn median_async<'a, Fut, F>(runs: usize, mut f: F) -> anyhow::Result<Duration>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>> + 'a,
{
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f().await?;
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times[times.len() / 2])
}

/// Imports the whole national table into `db` (which must be empty) and measures subtree
/// queries at county, prefecture and province level against a recursive-CTE anchor.
pub async fn tree(db: &Db) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    let parse = median_of(1, || {
        let _ = crate::divisions::parse_shipped();
    });
    out.push(Figure {
        name: "parse shipped table (665,276 divisions)".into(),
        value: parse,
        anchor_name: String::new(),
        anchor: None,
    });
    let provinces: Vec<String> =
        crate::divisions::all()?.iter().filter(|d| d.code.len() == 2).map(|d| d.code.clone()).collect();
    let t = Instant::now();
    let stats = crate::divisions::import(db, &provinces).await?;
    out.push(Figure {
        name: format!("import the national table ({} units)", stats.created),
        value: t.elapsed(),
        anchor_name: String::new(),
        anchor: None,
    });
    // Four grids under every village, as the tree holds them in use: about 2.5 million more units.
    let t = Instant::now();
    let grids = add_grids(db, 4).await?;
    out.push(Figure {
        name: format!("add 4 grids under every village ({grids} units)"),
        value: t.elapsed(),
        anchor_name: String::new(),
        anchor: None,
    });
    let t = Instant::now();
    let total = frontline_db::units::count_subtree(db, "/").await?;
    out.push(Figure {
        name: format!("count the whole tree ({total} units)"),
        value: t.elapsed(),
        anchor_name: String::new(),
        anchor: None,
    });
    for (label, code) in [
        ("county 乐清市", "330382"),
        ("prefecture 温州市", "3303"),
        ("province 浙江省", "33"),
        ("province 四川省", "51"),
    ] {
        let (path,): (String,) =
            db.one(&Sql::with("SELECT path FROM units WHERE code = $1", vec![code.into()])).await?;
        let (lo, hi) = subtree_range(&path);
        let count_sql = Sql::with(
            "SELECT COUNT(*) FROM units WHERE path >= $1 AND path < $2",
            vec![lo.clone().into(), hi.clone().into()],
        );
        let n = db.count(&count_sql).await?;
        let value = median_async(9, || async { db.count(&count_sql).await.map(|_| ()).map_err(Into::into) }).await?;
        let cte = Sql::with(
            "WITH RECURSIVE sub(id) AS (SELECT id FROM units WHERE code = $1 UNION ALL SELECT u.id FROM units u JOIN sub ON u.parent_id = sub.id) \
             SELECT COUNT(*) FROM sub",
            vec![code.into()],
        );
        assert_eq_count(db.count(&cte).await?, n)?;
        let anchor = median_async(3, || async { db.count(&cte).await.map(|_| ()).map_err(Into::into) }).await?;
        out.push(Figure {
            name: format!("subtree count, {label} ({n} units)"),
            value,
            anchor_name: "recursive CTE on parent_id".into(),
            anchor: Some(anchor),
        });
        // The scoped first page a user of that level sees, and the check that one unit is in scope.
        let scope = Scope { subtrees: vec![path.clone()], ..Scope::default() };
        let q = frontline_db::units::UnitQuery { kind: Some("village".into()), ..Default::default() };
        let value = median_async(9, || async {
            frontline_db::units::list(db, &scope, &q).await.map(|_| ()).map_err(Into::into)
        })
        .await?;
        out.push(Figure {
            name: format!("scoped list page of villages, {label}"),
            value,
            anchor_name: String::new(),
            anchor: None,
        });
        let (deep_id,): (i64,) = db
            .one(&Sql::with(
                "SELECT id FROM units WHERE path >= $1 AND path < $2 ORDER BY path DESC LIMIT 1",
                vec![lo.into(), hi.into()],
            ))
            .await?;
        let value = median_async(9, || async {
            frontline_db::units::get(db, &scope, deep_id).await.map(|_| ()).map_err(Into::into)
        })
        .await?;
        out.push(Figure {
            name: format!("scope check of one unit, {label}"),
            value,
            anchor_name: String::new(),
            anchor: None,
        });
    }
    Ok(out)
}

/// Adds `per_village` grids under every village in one statement per grid number, ids and paths
/// computed in SQL so that millions of rows load quickly.
async fn add_grids(db: &Db, per_village: i64) -> anyhow::Result<i64> {
    let mut tx = db.begin().await?;
    let base = tx.max_id("units").await?;
    let mut added = 0;
    for g in 1..=per_village {
        added += tx
            .execute(&Sql::with(
                "INSERT INTO units (id, parent_id, path, depth, kind, name, code, tags, closed, created_at, updated_at) \
                 SELECT $1 + (ROW_NUMBER() OVER (ORDER BY id) - 1) * $2 + $3, id, \
                        path || CAST(LENGTH(CAST($1 + (ROW_NUMBER() OVER (ORDER BY id) - 1) * $2 + $3 AS TEXT)) AS TEXT) \
                             || CAST($1 + (ROW_NUMBER() OVER (ORDER BY id) - 1) * $2 + $3 AS TEXT) || '/', depth + 1, 'grid', \
                        name || '第' || CAST($3 AS TEXT) || '网格', NULL, '', FALSE, created_at, updated_at \
                 FROM units WHERE kind = 'village'",
                vec![base.into(), per_village.into(), g.into()],
            ))
            .await?;
    }
    tx.sync_id_sequence("units").await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    tx.execute(&Sql::new("ANALYZE units")).await?;
    tx.commit().await?;
    Ok(added as i64)
}

fn assert_eq_count(a: i64, b: i64) -> anyhow::Result<()> {
    anyhow::ensure!(a == b, "the anchor counted {a} units where the path range counted {b}");
    Ok(())
}

/// Prints figures as a table.
pub fn print(store: &str, figures: &[Figure]) {
    println!("{:<62} {:>12} {:>14} {:>8}   anchor", format!("figure ({store})"), "frontline", "anchor", "ratio");
    for f in figures {
        let anchor = f.anchor.map(|a| format!("{:.3} ms", a.as_secs_f64() * 1e3)).unwrap_or_default();
        let ratio =
            f.anchor.map(|a| format!("{:.1}x", a.as_secs_f64() / f.value.as_secs_f64().max(1e-9))).unwrap_or_default();
        let value = if f.value.as_secs_f64() >= 1.0 {
            format!("{:.2} s", f.value.as_secs_f64())
        } else {
            format!("{:.3} ms", f.value.as_secs_f64() * 1e3)
        };
        println!("{:<62} {:>12} {:>14} {:>8}   {}", f.name, value, anchor, ratio, f.anchor_name);
    }
}

/// A Python interpreter in a local virtual environment (`FRONTLINE_BENCH_VENV`, default
/// `./target/bench-venv`) with `packages` installed; created on first use.
pub fn python_venv(packages: &[&str]) -> anyhow::Result<std::path::PathBuf> {
    use anyhow::Context;
    let venv = std::env::var_os("FRONTLINE_BENCH_VENV")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| std::path::PathBuf::from("target/bench-venv"));
    let python = venv.join("bin/python");
    if !python.exists() {
        println!("Creating the anchors' virtual environment in {} …", venv.display());
        let ok = std::process::Command::new("python3").arg("-m").arg("venv").arg(&venv).status()?.success();
        anyhow::ensure!(ok, "python3 -m venv {} failed", venv.display());
    }
    let check = format!("import {}", packages.join(", "));
    let present =
        packages.is_empty() || std::process::Command::new(&python).arg("-c").arg(&check).output()?.status.success();
    if !present {
        println!("Installing {} into {} …", packages.join(" "), venv.display());
        let ok = std::process::Command::new(&python)
            .args(["-m", "pip", "install", "--quiet"])
            .args(packages)
            .status()
            .with_context(|| "running pip")?
            .success();
        anyhow::ensure!(ok, "pip install {} failed", packages.join(" "));
    }
    Ok(python)
}

/// Builds 德宏州 (5331) with the article's 19,000 grids and 28,000 grid workers in a fresh
/// database and times the coverage check and the gap report over the whole prefecture, beside a
/// bare count of its grids (the least any coverage check must read).
pub async fn coverage(db: &Db) -> anyhow::Result<Vec<Figure>> {
    use frontline_core::demo::Rng;
    use frontline_db::Value;
    crate::divisions::import(db, &["5331".to_string()]).await?;
    let (pref_id, pref_path): (i64, String) =
        db.one(&Sql::new("SELECT id, path FROM units WHERE code = '5331'")).await?;
    let (lo, hi) = subtree_range(&pref_path);
    let villages: Vec<(i64, String, i64)> = db
        .all(&Sql::with(
            "SELECT id, path, depth FROM units WHERE kind = 'village' AND path >= $1 AND path < $2 ORDER BY path",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
    anyhow::ensure!(!villages.is_empty(), "德宏州 has no villages in the shipped table");
    let now = chrono::Utc::now();
    let today = now.date_naive();
    let mut rng = Rng::new(19_000);
    let mut tx = db.begin().await?;
    let mut next_unit = tx.max_id("units").await?;
    let mut next_person = tx.max_id("people").await?;
    let (mut units, mut people, mut links) = (Vec::new(), Vec::new(), Vec::new());
    let grids = 19_000;
    for g in 0..grids {
        let (village, path, depth) = &villages[g % villages.len()];
        next_unit += 1;
        let grid = next_unit;
        units.push(vec![
            grid.into(),
            Some(*village).into(),
            frontline_core::units::child_path(Some(path), grid).into(),
            (depth + 1).into(),
            "grid".into(),
            format!("第{}网格", g / villages.len() + 1).into(),
            Option::<String>::None.into(),
            "".into(),
            false.into(),
            now.into(),
            now.into(),
        ]);
        // 28,000 grid workers: one per grid, a second in 9,000 of them; 60 % party members.
        let workers = if g < 9_000 { 2 } else { 1 };
        for _ in 0..workers {
            next_person += 1;
            let party = if rng.chance(60) { "member" } else { "none" };
            let person: Vec<Value> = vec![
                next_person.into(),
                frontline_core::demo::person_name(&mut rng).into(),
                "grid_worker".into(),
                party.into(),
                "none".into(),
                Option::<String>::None.into(),
                Option::<chrono::NaiveDate>::None.into(),
                Option::<String>::None.into(),
                grid.into(),
                now.into(),
                now.into(),
            ];
            people.push(person);
        }
        if rng.chance(10) {
            links.push(vec![
                "group_contact".into(),
                next_person.into(),
                grid.into(),
                today.into(),
                Option::<chrono::NaiveDate>::None.into(),
                now.into(),
            ]);
        }
    }
    tx.insert_rows(
        "units",
        &["id", "parent_id", "path", "depth", "kind", "name", "code", "tags", "closed", "created_at", "updated_at"],
        units,
    )
    .await?;
    let worker_count = people.len();
    tx.insert_rows(
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
        people,
    )
    .await?;
    tx.insert_rows("links", &["kind", "person_id", "unit_id", "start_date", "end_date", "created_at"], links).await?;
    tx.sync_id_sequence("units").await?;
    tx.sync_id_sequence("people").await?;
    tx.commit().await?;
    let mut tx = db.begin().await?;
    tx.execute(&Sql::new("ANALYZE")).await?;
    tx.commit().await?;
    let scope = Scope { subtrees: vec![pref_path.clone()], ..Default::default() };
    let mut out = Vec::new();
    let anchor = median_async(5, || async {
        db.count(&Sql::with(
            "SELECT COUNT(*) FROM units WHERE kind = 'grid' AND path >= $1 AND path < $2",
            vec![lo.clone().into(), hi.clone().into()],
        ))
        .await?;
        Ok(())
    })
    .await?;
    let cov = frontline_db::responsibility::coverage(db, &scope, pref_id, today, 500).await?;
    let listed = cov.counts.iter().map(|c| c.total).sum::<i64>();
    let check = median_async(5, || async {
        frontline_db::responsibility::coverage(db, &scope, pref_id, today, 500).await?;
        Ok(())
    })
    .await?;
    out.push(Figure {
        name: format!(
            "coverage check, 德宏州: {} grids, {worker_count} workers, {} uncovered",
            listed, cov.uncovered_total
        ),
        value: check,
        anchor_name: "COUNT(*) of the prefecture's grids".into(),
        anchor: Some(anchor),
    });
    let gaps = median_async(5, || async {
        frontline_db::responsibility::gaps(db, &scope, pref_id, today).await?;
        Ok(())
    })
    .await?;
    out.push(Figure {
        name: format!("gap report, 德宏州 ({} villages)", villages.len()),
        value: gaps,
        anchor_name: String::new(),
        anchor: None,
    });
    Ok(out)
}
