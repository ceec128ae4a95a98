//! `frontline`: the one binary. `frontline demo` starts a demo on an embedded database;
//! `frontline serve` runs a real install; the other subcommands administer one.

use std::io::Read;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Parser, Subcommand};
use frontline_app::{demo, divisions, setup};
use frontline_core::access::Actor;
use frontline_core::audit::ChainCheck;
use frontline_web::{AppState, Config};

#[derive(Parser)]
#[command(
    name = "frontline",
    version,
    about = "一线 Frontline: the frontline work of county, township and village party organisations"
)]
struct Cli {
    /// Folder for the embedded database (SQLite) and other data.
    #[arg(long, global = true, env = "FRONTLINE_DATA", default_value_os_t = setup::default_data_dir())]
    data: PathBuf,
    /// A `postgres://…` URL to use PostgreSQL instead of the embedded database.
    #[arg(long, global = true, env = "FRONTLINE_DATABASE_URL")]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a demo: 乐清市's real structure, 60,000+ synthetic people, one login per role.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: String,
        /// Delete the data folder first and build the demo anew.
        #[arg(long)]
        fresh: bool,
        /// Build the demo data and exit without serving.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve the application.
    Serve {
        #[arg(long, default_value = "127.0.0.1:8080", env = "FRONTLINE_ADDR")]
        addr: String,
        /// Mark cookies Secure (when served behind HTTPS).
        #[arg(long, env = "FRONTLINE_SECURE_COOKIES")]
        secure_cookies: bool,
        /// Minutes a session may go unused before it ends (等保 level 3 asks for a timeout).
        #[arg(long, default_value_t = 30, env = "FRONTLINE_IDLE_MINUTES")]
        idle_minutes: i64,
    },
    /// Apply database migrations.
    Migrate,
    /// Manage accounts.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Import data.
    Import {
        #[command(subcommand)]
        command: ImportCommand,
    },
    /// Run a benchmark and print its figures (never part of the test suite).
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Propose an optimal pairing from CSV files, offline (see docs/pairing.md for the columns):
    /// left parties (organs, cadres, teams), right parties (villages, enterprises, chambers).
    Pair {
        /// CSV: id,name,kinds,lat,lon,capacity,load (kinds separated by `|`).
        #[arg(long)]
        left: PathBuf,
        /// CSV: id,name,kinds,lat,lon.
        #[arg(long)]
        right: PathBuf,
        /// Where the proposal goes, CSV: left_id,left_name,right_id,right_name,cost,suits,distance_km,fixed
        /// (unpaired right parties follow with an empty left and their reason).
        #[arg(long)]
        out: PathBuf,
        /// CSV of weights and suitability: `suits,LEFT_KIND,RIGHT_KIND` lines and `mismatch_cost,N`,
        /// `per_km,N`, `per_load,N` lines. Without it, the four pairings of 四联四促 apply.
        #[arg(long)]
        rules: Option<PathBuf>,
        /// CSV of pairs fixed by hand: left_id,right_id.
        #[arg(long)]
        fixed: Option<PathBuf>,
    },
    /// Plan checkpoint duty rosters offline from a JSON request (checkpoints, shift patterns,
    /// people; see docs/roster.md) and write the roster as JSON, with the shifts it could not fill
    /// and why.
    Roster {
        #[arg(long)]
        input: PathBuf,
        #[arg(long)]
        out: PathBuf,
        /// How long the search may improve the roster, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        budget_ms: u64,
    },
    /// Write a consistent copy of the store to FILE while it serves (SQLite: VACUUM INTO, and the
    /// photos of the data folder to FILE.evidence/; PostgreSQL: pg_dump --format=custom).
    Backup { file: PathBuf },
    /// Restore a backup into an empty store (a fresh --data folder, or an empty --database), then
    /// migrate it forward and check the audit chain.
    Restore { file: PathBuf },
    /// Work with the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Work with the ledger's kept figures (一线台账).
    Ledger {
        #[command(subcommand)]
        command: LedgerCommand,
    },
    /// The key that seals sensitive columns with SM4 (国密), kept outside the store.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// The install's administrators.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Re-seal every sealed column under a new key, which then replaces the old one in the data
    /// folder (the old one is kept as seal.key.retired-<id> for backups made before).
    Rotate,
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Split the all-powerful administrator into three (三员分立, 等保 level 3; a new install starts
    /// split): its accounts become system administrators (accounts and roles), and the security
    /// and audit administrators are made with `frontline user add --role security_admin|audit_admin`.
    Split,
}

#[derive(Subcommand)]
enum LedgerCommand {
    /// Recount the figures from the records and name every difference (exit status 1 if any).
    Verify {
        /// Name at most this many differences.
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// Rebuild the figures from the records, in one transaction.
    Rebuild,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create an account. The password is read from standard input with --password-stdin,
    /// otherwise generated and printed once.
    Add {
        username: String,
        #[arg(long, default_value = "")]
        display_name: String,
        /// Role key (system_admin, security_admin, audit_admin, county_org, township_secretary,
        /// village_secretary, grid_worker, …; admin, the all-powerful one, only on an install that
        /// has not split it).
        #[arg(long, default_value = "system_admin")]
        role: String,
        /// The person the account belongs to (its scope follows their units).
        #[arg(long)]
        person_id: Option<i64>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an account a new generated password (printed once, to be changed at its first login),
    /// lift its lockout, and with --second-factor reset its second factor: for an administrator
    /// no other account may manage (三员分立).
    Reset {
        username: String,
        #[arg(long)]
        second_factor: bool,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Build the unit tree for provinces, prefectures or counties by their division codes, offline,
    /// from the shipped national table. Importing a place twice changes nothing.
    Divisions {
        #[arg(required = true)]
        codes: Vec<String>,
    },
    /// Import a people roster (the Excel template of the people page, or its columns as a .csv
    /// file) all-or-nothing, as an account (its scope and permissions apply), showing progress;
    /// a rejected roster prints every problem by row and writes nothing.
    People {
        file: PathBuf,
        /// The account the import is made as.
        #[arg(long = "as", value_name = "USERNAME")]
        user: String,
        /// Language of the report: zh or en.
        #[arg(long, default_value = "zh")]
        lang: String,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// Load the whole national division table into a fresh database (a temporary SQLite file, or
    /// the empty database named by --database) and time subtree queries at every level.
    Tree,
    /// Build 德宏州 with 19,000 grids and 28,000 grid workers in a fresh database and time the
    /// coverage check and the gap report.
    Coverage,
    /// Solve the 1,695 × 1,635 pairing instance with three cost families, and the same matrices
    /// with scipy and lap (installed into ./target/bench-venv), and print times and total costs.
    Pair {
        #[arg(long, default_value_t = 1695)]
        rows: usize,
        #[arg(long, default_value_t = 1635)]
        cols: usize,
        #[arg(long, default_value_t = 5)]
        runs: usize,
    },
    /// A county's year of records (the demo county, its week repeated over 52 weeks up to
    /// --records): the ledger, dashboards, scores and a bulletin read through the HTTP API the first
    /// time after a write, beside a bare COUNT(*) of the year in the same store.
    Ledger {
        #[arg(long, default_value_t = 25_000_000)]
        records: i64,
        /// Times each read is taken (each after a write).
        #[arg(long, default_value_t = 20)]
        runs: usize,
        /// Skip the DuckDB anchor.
        #[arg(long)]
        no_anchor: bool,
        /// Keep the store afterwards (its path is printed) to look into it.
        #[arg(long)]
        keep: bool,
    },
    /// Seed the demo county (乐清市 at the articles' scale) into a fresh database, serve it, and load
    /// the county and township dashboards through the HTTP API beside a bare axum hello world.
    Dashboard {
        /// Requests per figure (the ceiling gets ten times as many).
        #[arg(long, default_value_t = 2_000)]
        requests: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Import a roster of a million people (乐清市's villages) from CSV and from Excel into fresh
    /// SQLite stores, checked and written as an upload is, beside Python's sqlite3.executemany of
    /// the same rows in one transaction.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Rows of the Excel roster (0 skips it).
        #[arg(long, default_value_t = 1_000_000)]
        excel_rows: usize,
        /// Skip the Python anchor.
        #[arg(long)]
        no_anchor: bool,
    },
    /// Fill a fresh SQLite store with a prefecture (德宏州: 19,000 grids, 70,000 people, a year's
    /// ledger of 25 million records), serve it, read it, and print the server's resident memory.
    Memory {
        #[arg(long, default_value_t = 25_000_000)]
        records: i64,
        #[arg(long, default_value_t = 500)]
        requests: usize,
    },
    /// Seed the demo county into a fresh database, serve it, and sign daily lists through the HTTP
    /// API as fast as members can, each with their own token (the morning peak of 003.1).
    Signoff {
        /// Sign-offs to send (one list each; lists are handed out for as many days as needed).
        #[arg(long, default_value_t = 60_000)]
        signoffs: usize,
        #[arg(long, default_value_t = 64)]
        concurrency: usize,
    },
    /// Seed the demo county, serve it, and sync a phone's queue of changes made offline: sign-offs
    /// sent one after another with idempotency keys, then sent again (all replays), beside as many
    /// plain sign-offs (issue 27).
    Sync {
        #[arg(long, default_value_t = 50)]
        actions: usize,
    },
    /// Soak: the demo county served by a separate `frontline serve` process under mixed load
    /// (reads, sign-offs, work orders, one roster import half-way) for some minutes; prints the
    /// minutes and the verdicts (no failed answer, memory bounded, no slowdown) and fails if one fails.
    Soak {
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// Operations a second in all (a work order is three requests).
        #[arg(long, default_value_t = 200)]
        rate: usize,
        #[arg(long, default_value_t = 32)]
        workers: usize,
    },
    /// Every benchmark in one run: one table of figure, value, anchor (same run), ratio and target,
    /// also written as JSON to --out (anchors in Python are installed into ./target/bench-venv).
    All {
        /// Small inputs everywhere (a smoke run of the benchmarks, not figures).
        #[arg(long)]
        quick: bool,
        /// Skip the anchors that need Python packages.
        #[arg(long)]
        no_anchors: bool,
        /// Run only these groups: signoff, dashboard, memory, import, tree, coverage, pair, ledger, roster.
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
        /// Folder for the machine-readable results.
        #[arg(long, default_value = "target/bench-results")]
        out: PathBuf,
    },
    /// Roster two checkpoint instances (20 × 150 people, 200 × 1,500; 3 shifts a day, 7 days) and
    /// solve the same model with OR-Tools CP-SAT (installed into ./target/bench-venv).
    Roster {
        /// The engine's search budget per instance, in milliseconds.
        #[arg(long, default_value_t = 1000)]
        budget_ms: u64,
        /// CP-SAT's time limit per instance in seconds (0 skips the anchor).
        #[arg(long, default_value_t = 60.0)]
        anchor_seconds: f64,
        #[arg(long, default_value_t = 2)]
        workers: u32,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Check the hash chain of the whole audit log, and that it still reaches the latest signed
    /// checkpoint of the data folder (the newest entries were not deleted).
    Verify,
    /// Sign the chain's current head now and append it to the data folder's checkpoints (the
    /// server does this every five minutes while it serves).
    Checkpoint,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=error".into()),
        )
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Demo { addr, fresh, no_serve } => {
            let started = Instant::now();
            if fresh && cli.database.is_none() && cli.data.exists() {
                std::fs::remove_dir_all(&cli.data).with_context(|| format!("removing {}", cli.data.display()))?;
            }
            if fresh {
                // A fresh store starts a fresh chain: the old chain's checkpoints no longer apply.
                let _ = std::fs::remove_file(frontline_app::anchor::checkpoints_file(&cli.data));
            }
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            if demo::already_seeded(&db).await? {
                println!("Demo data already present in {} (use --fresh to rebuild).", cli.data.display());
                print_logins();
            } else {
                println!(
                    "Building the demo: 乐清市 (330382), its 25 townships and streets and 514 villages, with people…"
                );
                let s = demo::seed(&db, demo::Scale::ARTICLE, 20_200_202).await?;
                println!(
                    "Demo ready in {:.1} s: {} townships, {} villages, {} units in all, {} people ({} party members).",
                    started.elapsed().as_secs_f64(),
                    s.townships,
                    s.villages,
                    s.units,
                    s.people,
                    s.party_members
                );
                println!(
                    "Who answers for what: {} responsibility links, {} role posts with {} claims, {} deployments, {} organ–village pairs, {} secretaries just succeeded.",
                    s.duty.links,
                    s.duty.role_posts,
                    s.duty.claims,
                    s.duty.deployments,
                    s.duty.pairs,
                    s.duty.successions
                );
                println!(
                    "A week of daily work: {} task lists handed out ({} overdue), {} checkpoint shifts with {} check-ins, {} households checked, {} records in the ledger.",
                    s.work.task_instances,
                    s.work.overdue,
                    s.work.shifts,
                    s.work.check_ins,
                    s.work.surveys,
                    s.work.records
                );
                println!(
                    "A month of work orders: {} received ({} closed, {} in progress).",
                    s.orders.orders, s.orders.closed, s.orders.open
                );
                println!(
                    "A month of supervision: {} inspection rounds, {} visits, {} problems found ({} fixed), {} notices, {} accountability actions.",
                    s.supervision.rounds,
                    s.supervision.visits,
                    s.supervision.findings,
                    s.supervision.fixed,
                    s.supervision.notices,
                    s.supervision.actions
                );
                println!(
                    "Judgement: {} default schemes; the 堡垒指数 published for {} weeks; the latest scores {} villages, {} laggards, {} rectification plans; this year's 五无 ranking on 公示 with {} model villages.",
                    s.judgement.schemes,
                    s.judgement.runs,
                    s.judgement.scored,
                    s.judgement.laggards,
                    s.judgement.plans,
                    s.judgement.model_villages
                );
                let a = &s.appraisals;
                println!(
                    "Appraisals: {} leaders' notes and mass evaluations; {} appraisals, {} with a 鉴定书; {} promoted; {} commendations; {} typical deeds; {} nominations in the selection; {} 五述五评 reviews; {} care records.",
                    a.notes,
                    a.appraisals,
                    a.certificates,
                    a.promoted,
                    a.commendations,
                    a.deeds,
                    a.nominations,
                    a.reviews,
                    a.care
                );
                println!(
                    "Organisational life since the first of January: {} meetings of 三会一课 and 主题党日, {} attendances taken, {} branches kept behind on purpose; a temporary branch at a checkpoint, {} members' areas and posts, a 红色抗疫联盟.",
                    s.life.meetings, s.life.attendances, s.life.lax_branches, s.life.member_links
                );
                println!(
                    "Weak organisations (软弱涣散) screened this year: {} candidates; {} confirmed with a plan ({} paired for 1+1), {} dismissed.",
                    s.weak.candidates, s.weak.confirmed, s.weak.paired, s.weak.dismissed
                );
                for l in &s.logins {
                    println!("  {:<20} {:<20} password {:<22} reaches {}", l.role, l.username, l.password, l.reaches);
                }
            }
            if no_serve {
                return Ok(());
            }
            serve(db, &addr, Config::default(), started, cli.data.clone()).await
        }
        Command::Serve { addr, secure_cookies, idle_minutes } => {
            let started = Instant::now();
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            if frontline_db::access::user_count(&db).await? == 0 {
                println!(
                    "No account exists yet. Create the three administrators (三员分立), each for another person:\n  \
                     frontline user add <name> --role system_admin\n  frontline user add <name> --role security_admin\n  \
                     frontline user add <name> --role audit_admin"
                );
            }
            let config = Config { secure_cookies, idle_minutes, ..Config::default() };
            serve(db, &addr, config, started, cli.data.clone()).await
        }
        Command::Migrate => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = frontline_db::Db::connect(&url).await?;
            let n = frontline_db::migrate::migrate(&db).await?;
            println!("{n} migration(s) applied.");
            Ok(())
        }
        Command::User { command: UserCommand::Add { username, display_name, role, person_id, password_stdin } } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let (password, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_string(), false)
            } else {
                (frontline_web::auth::generated_password(&username), true)
            };
            let role_id = frontline_db::access::role_id_by_key(&db, &role)
                .await?
                .with_context(|| format!("no role with key {role}"))?;
            let input = frontline_web::services::UserInput {
                display_name: if display_name.is_empty() { username.clone() } else { display_name },
                username: username.clone(),
                password: password.clone(),
                person_id,
                role_ids: vec![role_id],
            };
            let actor = Actor::system("frontline user add");
            match frontline_web::services::create_user(&db, &actor, &input).await {
                Ok(id) => {
                    println!("Account {username} created (id {id}) with role {role}.");
                    if generated {
                        println!("Its password, shown this once: {password}");
                        println!("It must be changed at the first login.");
                    }
                    Ok(())
                }
                Err(e) => {
                    let body = e.body(frontline_web::i18n::Lang::En);
                    let fields: Vec<String> = body.fields.iter().map(|f| f.message.clone()).collect();
                    anyhow::bail!("{} {}", body.message, fields.join("; "))
                }
            }
        }
        Command::User { command: UserCommand::Reset { username, second_factor } } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let account = frontline_db::access::credentials(&db, &username)
                .await?
                .with_context(|| format!("no account is named {username}"))?;
            let actor = Actor::system("frontline user reset");
            let password = frontline_web::auth::generated_password(&username);
            let hash = frontline_web::auth::hash_password(&password).map_err(|e| anyhow::anyhow!("{e:?}"))?;
            frontline_db::access::set_password(&db, &actor, account.id, &hash).await?;
            if second_factor && frontline_db::second_factor::enabled(&db, account.id).await? {
                frontline_db::second_factor::reset(&db, &actor, account.id).await?;
                println!("Its second factor is reset: it sets one up again at the next login if its role asks.");
            }
            println!("Account {username} has a new password, shown this once: {password}");
            println!("It must be changed at the first login.");
            Ok(())
        }
        Command::Import { command: ImportCommand::Divisions { codes } } => {
            let started = Instant::now();
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let stats = divisions::import(&db, &codes).await?;
            println!(
                "Divisions imported in {:.1} s: {} created, {} already present.",
                started.elapsed().as_secs_f64(),
                stats.created,
                stats.existing
            );
            Ok(())
        }
        Command::Import { command: ImportCommand::People { file, user, lang } } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let lang = frontline_web::i18n::Lang::parse(&lang).unwrap_or_default();
            let bytes = std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let format = frontline_web::services::RosterFormat::of(file.to_str(), None);
            frontline_app::people_file::import_people(&db, &user, lang, &bytes, format).await
        }
        Command::Bench { command: BenchCommand::Tree } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let figures = frontline_app::bench::tree(&db).await?;
            finish_bench(db, tmp, &figures).await
        }
        Command::Bench { command: BenchCommand::Coverage } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let figures = frontline_app::bench::coverage(&db).await?;
            finish_bench(db, tmp, &figures).await
        }
        Command::Bench { command: BenchCommand::Pair { rows, cols, runs } } => {
            let figures = frontline_app::bench::pair::run(rows, cols, runs.max(1))?;
            frontline_app::bench::pair::print(&figures);
            Ok(())
        }
        Command::Bench { command: BenchCommand::Ledger { records, runs, no_anchor, keep } } => {
            let python =
                if no_anchor { None } else { Some(frontline_app::bench::python_venv(&["duckdb", "numpy", "pandas"])?) };
            let (db, tmp) = frontline_app::bench::empty_store(cli.database.as_deref(), "ledger").await?;
            let bench = frontline_app::bench::ledger::run(&db, records, runs.max(1), python.as_deref()).await?;
            frontline_app::bench::ledger::print(&bench);
            db.close().await;
            if keep {
                println!("Store kept in {}", tmp.display());
            } else {
                let _ = std::fs::remove_dir_all(&tmp);
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::Dashboard { requests, concurrency } } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let served = frontline_app::bench::dashboard::serve_demo(&db).await?;
            let loads = frontline_app::bench::dashboard::run(&db, &served, requests.max(1), concurrency.max(1)).await?;
            frontline_app::bench::dashboard::print(store_name(&db), served.seed_time, concurrency, &loads);
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Command::Bench { command: BenchCommand::Import { rows, excel_rows, no_anchor } } => {
            let (db, tmp) = bench_db(None).await?;
            let (second, tmp2) = bench_db_named("excel").await?;
            let imports = frontline_app::bench::import::run(&db, &second, rows, excel_rows, !no_anchor).await?;
            frontline_app::bench::import::print(&imports);
            for (db, tmp) in [(db, tmp), (second, tmp2)] {
                db.close().await;
                let _ = std::fs::remove_dir_all(&tmp);
            }
            Ok(())
        }
        Command::Bench { command: BenchCommand::All { quick, no_anchors, only, out } } => {
            let plan = frontline_app::bench::all::Plan { quick, anchors: !no_anchors, only };
            let rows = frontline_app::bench::all::run(&plan).await?;
            frontline_app::bench::all::print(&rows);
            let path = frontline_app::bench::all::save(&rows, &plan, &out)?;
            println!("Results written to {}", path.display());
            Ok(())
        }
        Command::Bench { command: BenchCommand::Memory { records, requests } } => {
            let (db, tmp) = bench_db_named("memory").await?;
            let footprint = frontline_app::bench::memory::run(&db, records, requests).await?;
            frontline_app::bench::memory::print(&footprint);
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Command::Bench { command: BenchCommand::Soak { minutes, rate, workers } } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let url = match cli.database.as_deref() {
                Some(url) => url.to_string(),
                None => setup::database_url(None, &tmp)?,
            };
            let exe = std::env::current_exe()?;
            let soak =
                frontline_app::bench::soak::run(&db, &url, &exe, minutes.max(1), rate.max(1), workers.max(1)).await?;
            let passed = frontline_app::bench::soak::print(store_name(&db), &soak);
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
            anyhow::ensure!(passed, "the soak failed a verdict");
            Ok(())
        }
        Command::Bench { command: BenchCommand::Signoff { signoffs, concurrency } } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let served = frontline_app::bench::dashboard::serve_demo(&db).await?;
            let burst =
                frontline_app::bench::signoff::run(&db, &served.base, signoffs.max(1), concurrency.max(1)).await?;
            frontline_app::bench::signoff::print(store_name(&db), &burst);
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
            Ok(())
        }
        Command::Bench { command: BenchCommand::Sync { actions } } => {
            let (db, tmp) = bench_db(cli.database.as_deref()).await?;
            let served = frontline_app::bench::dashboard::serve_demo(&db).await?;
            let run = frontline_app::bench::sync::run(&db, &served.base, actions.max(1)).await?;
            frontline_app::bench::sync::print(store_name(&db), &run);
            db.close().await;
            let _ = std::fs::remove_dir_all(&tmp);
            anyhow::ensure!(run.written_twice == 0 && run.not_replayed == 0, "a replay wrote or was not a replay");
            Ok(())
        }
        Command::Bench { command: BenchCommand::Roster { budget_ms, anchor_seconds, workers } } => {
            let budget = Duration::from_millis(budget_ms);
            let figures = frontline_app::bench::roster::run(budget, anchor_seconds, workers)?;
            frontline_app::bench::roster::print(&figures, budget);
            Ok(())
        }
        Command::Roster { input, out, budget_ms } => {
            let summary = frontline_app::roster_file::run(&input, &out, Duration::from_millis(budget_ms))?;
            println!("{summary}");
            Ok(())
        }
        Command::Pair { left, right, out, rules, fixed } => {
            let summary = frontline_app::pair_csv::run(&left, &right, rules.as_deref(), fixed.as_deref(), &out)?;
            println!("{summary}");
            Ok(())
        }
        Command::Backup { file } => {
            let started = Instant::now();
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = frontline_db::Db::connect(&url).await?;
            frontline_app::backup::backup(&db, &url, &file).await?;
            let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
            println!(
                "Backup written to {} ({:.1} MB) in {:.1} s.",
                file.display(),
                size as f64 / 1e6,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { file } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let entries = frontline_app::backup::restore(&file, &url).await?;
            println!(
                "Restored {} into {}; the audit log checks out ({entries} entries).",
                file.display(),
                setup::redact(&url)
            );
            Ok(())
        }
        Command::Audit { command: AuditCommand::Verify } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = frontline_db::Db::connect(&url).await?;
            match frontline_app::anchor::verify(&db, &cli.data).await? {
                ChainCheck::Intact { entries } => {
                    let anchored = match frontline_app::anchor::latest(&cli.data)? {
                        Some(c) => format!("; it reaches the checkpoint signed at {} (entry {})", c.at, c.seq),
                        None => "; no checkpoint yet".to_string(),
                    };
                    println!("Audit log intact: {entries} entries, every hash and link checks out{anchored}.");
                    Ok(())
                }
                ChainCheck::Broken { seq, reason } => {
                    anyhow::bail!("Audit log BROKEN at entry {seq}: {reason}")
                }
            }
        }
        Command::Audit { command: AuditCommand::Checkpoint } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = frontline_db::Db::connect(&url).await?;
            match frontline_app::anchor::write(&db, &cli.data).await? {
                Some(c) => println!("Checkpoint signed: entry {} ({}…) at {}.", c.seq, &c.hash[..12], c.at),
                None => println!("Nothing new to sign: the latest checkpoint names the chain's head."),
            }
            Ok(())
        }
        Command::Keys { command: KeysCommand::Rotate } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let r = frontline_app::keys::rotate(&db, &cli.data).await?;
            println!(
                "Sealed columns re-sealed under key {} ({} values); key {} is kept as seal.key.retired-{} for backups made before.",
                r.new_id, r.resealed, r.old_id, r.old_id
            );
            Ok(())
        }
        Command::Admin { command: AdminCommand::Split } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = setup::open(&url).await?;
            let moved =
                frontline_db::security::split_administrators(&db, &Actor::system("frontline admin split")).await?;
            println!(
                "The administrator is split into three (三员分立): no account may be given the all-powerful role."
            );
            if moved.is_empty() {
                println!("No account held it.");
            } else {
                println!("Now system administrators (accounts and roles only): {}.", moved.join(", "));
            }
            println!(
                "Make the other two, each for another person:\n  frontline user add <name> --role security_admin\n  frontline user add <name> --role audit_admin"
            );
            println!("Restart a running server so that no session or token keeps the powers taken away.");
            Ok(())
        }
        Command::Ledger { command } => {
            let url = setup::database_url(cli.database.as_deref(), &cli.data)?;
            let db = frontline_db::Db::connect(&url).await?;
            frontline_db::migrate::migrate(&db).await?;
            let started = std::time::Instant::now();
            match command {
                LedgerCommand::Verify { limit } => {
                    let differences = frontline_db::records::figures::verify(&db, limit).await?;
                    if differences.is_empty() {
                        println!(
                            "Ledger figures agree with a recount of the records ({:.1} s).",
                            started.elapsed().as_secs_f64()
                        );
                        return Ok(());
                    }
                    for d in &differences {
                        println!("{d}");
                    }
                    anyhow::bail!(
                        "{} difference(s) between the kept figures and the records; `frontline ledger rebuild` refills them",
                        differences.len()
                    )
                }
                LedgerCommand::Rebuild => {
                    let r = frontline_db::records::figures::rebuild(&db).await?;
                    println!(
                        "Ledger figures rebuilt from {} records: {} unit rows, {} person rows ({:.1} s).",
                        r.records,
                        r.unit_rows,
                        r.person_rows,
                        started.elapsed().as_secs_f64()
                    );
                    Ok(())
                }
            }
        }
    }
}

fn store_name(db: &frontline_db::Db) -> &'static str {
    if db.is_postgres() { "PostgreSQL" } else { "SQLite" }
}

/// The empty store a benchmark fills: the database named by --database, or a temporary SQLite
/// file (removed afterwards).
async fn bench_db(database: Option<&str>) -> anyhow::Result<(frontline_db::Db, PathBuf)> {
    frontline_app::bench::empty_store(database, "main").await
}

async fn bench_db_named(name: &str) -> anyhow::Result<(frontline_db::Db, PathBuf)> {
    frontline_app::bench::empty_store(None, name).await
}

async fn finish_bench(
    db: frontline_db::Db,
    tmp: PathBuf,
    figures: &[frontline_app::bench::Figure],
) -> anyhow::Result<()> {
    frontline_app::bench::print(store_name(&db), figures);
    db.close().await;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

fn print_logins() {
    for (role, user) in [
        ("admin", "admin"),
        ("county_org", "county_org"),
        ("township_secretary", "township_secretary"),
        ("village_secretary", "village_secretary"),
        ("grid_worker", "grid_worker"),
        ("member", "member"),
    ] {
        println!("  {role:<20} {user:<20} password {}", demo::DEMO_PASSWORD);
    }
}

async fn serve(
    db: frontline_db::Db,
    addr: &str,
    config: Config,
    started: Instant,
    data: PathBuf,
) -> anyhow::Result<()> {
    // Sensitive columns are sealed with SM4 under the install's key, kept outside the store.
    let (key_id, sealed) = frontline_app::keys::start(&db, &data).await.context("loading the seal key")?;
    if sealed > 0 {
        println!("{sealed} sensitive values sealed under key {key_id}.");
    }
    let listener = tokio::net::TcpListener::bind(addr).await.with_context(|| format!("binding {addr}"))?;
    let local = listener.local_addr()?;
    println!(
        "Frontline is serving on http://{local}/ (started in {:.1} s). Ctrl-C stops it.",
        started.elapsed().as_secs_f64()
    );
    // The jobs loop: task instances of the new period, overdue and missed-shift records, weekly
    // reminders, the monthly dispatch and the periodic bulletins come out by themselves.
    let jobs_db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            match frontline_db::jobs::run(&jobs_db, chrono::Utc::now()).await {
                Ok(report) => tracing::debug!(?report, "jobs ran"),
                Err(e) => tracing::warn!(error = %e, "jobs failed"),
            }
        }
    });
    // The audit chain's head is signed into the data folder every five minutes (and at start).
    let anchor_db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(300));
        loop {
            tick.tick().await;
            if let Err(e) = frontline_app::anchor::write(&anchor_db, &data).await {
                tracing::warn!(error = %e, "audit checkpoint failed");
            }
        }
    });
    // The write-ahead log is emptied every half minute (readers never leave SQLite a moment to).
    let log_db = db.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            match log_db.checkpoint().await {
                Ok(true) => {}
                Ok(false) => tracing::debug!("checkpoint waited out by readers; trying again later"),
                Err(e) => tracing::warn!(error = %e, "checkpoint failed"),
            }
        }
    });
    let state = AppState::new(db, config);
    frontline_web::serve(state, listener).await?;
    Ok(())
}
