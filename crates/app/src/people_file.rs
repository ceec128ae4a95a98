//! `frontline import people`: a people roster (the people page's Excel template) taken in from
//! the command line, as an account — the same all-or-nothing check and the same audit as the
//! page — with its progress shown on standard error while it runs.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use frontline_core::progress::Progress;
use frontline_db::Db;
use frontline_web::i18n::Lang;
use frontline_web::services::{self, ImportOutcome};

/// Imports `bytes` as `username`; a rejected roster is an error listing every problem.
pub async fn import_people(
    db: &Db,
    username: &str,
    lang: Lang,
    bytes: &[u8],
    format: services::RosterFormat,
) -> anyhow::Result<()> {
    let Some(user) = frontline_db::access::credentials(db, username).await? else {
        anyhow::bail!("no account named {username}");
    };
    anyhow::ensure!(!user.disabled, "the account {username} is disabled");
    let actor = frontline_db::access::load_actor(db, user.id, "cli").await?;
    let progress = Arc::new(Progress::default());
    let work = {
        let (db, progress, bytes) = (db.clone(), progress.clone(), bytes.to_vec());
        tokio::spawn(async move { services::import_roster(&db, &actor, lang, &bytes, format, &progress).await })
    };
    let mut shown = String::new();
    while !work.is_finished() {
        let line = progress_line(&progress, lang);
        if line != shown {
            eprint!("\r{line:<40}");
            let _ = std::io::stderr().flush();
            shown = line;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eprintln!("\r{:<40}", progress_line(&progress, lang));
    match work.await? {
        Ok(ImportOutcome::Imported(n)) => {
            println!("{} {n}", lang.t("import.done"));
            Ok(())
        }
        Ok(ImportOutcome::Rejected(report)) => {
            for p in &report.problems {
                eprintln!("{} {}  {}  {}", lang.t("import.row"), p.row, p.column, p.message);
            }
            anyhow::bail!("{} ({} {})", report.message, report.problems.len(), lang.t("import.problem"))
        }
        Err(e) => anyhow::bail!("{}", e.body(lang).message),
    }
}

/// `校验中 1200 / 5000 (24%)`.
fn progress_line(p: &Progress, lang: Lang) -> String {
    let (stage, done, total) = p.snapshot();
    format!("{} {done} / {total} ({}%)", lang.t(&format!("job.{}", stage.as_str())), p.percent())
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontline_core::progress::Stage;

    #[test]
    fn the_progress_line_names_the_stage_in_the_users_language() {
        let p = Progress::default();
        p.begin(Stage::Checking, 5000);
        p.advance(1200);
        assert_eq!(progress_line(&p, Lang::Zh), "校验中 1200 / 5000 (24%)");
        assert_eq!(progress_line(&p, Lang::En), "Checking 1200 / 5000 (24%)");
    }
}
