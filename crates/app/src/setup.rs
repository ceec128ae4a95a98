//! Where the data lives and how the store is opened.

use std::path::{Path, PathBuf};

use anyhow::Context;
use frontline_db::Db;

/// The store URL: an explicit `postgres://…` or `sqlite://…` URL, else `frontline.db` in the
/// data folder (created if missing).
pub fn database_url(database: Option<&str>, data_dir: &Path) -> anyhow::Result<String> {
    if let Some(url) = database.filter(|s| !s.is_empty()) {
        return Ok(url.to_string());
    }
    std::fs::create_dir_all(data_dir).with_context(|| format!("creating the data folder {}", data_dir.display()))?;
    Ok(format!("sqlite://{}", data_dir.join("frontline.db").display()))
}

/// Opens the store, applies migrations and makes sure the built-in roles exist.
pub async fn open(url: &str) -> anyhow::Result<Db> {
    let db = Db::connect(url).await.with_context(|| format!("opening the database {}", redact(url)))?;
    frontline_db::migrate::migrate(&db).await.context("applying migrations")?;
    frontline_db::access::ensure_builtin_roles(&db).await.context("creating the built-in roles")?;
    // A new install splits its administrator into three (三员分立) from the start.
    frontline_db::security::settle_new_install(&db).await.context("settling the security settings")?;
    Ok(db)
}

/// A URL with its password hidden, for messages.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.find('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{}:***{}", &url[..s + 3], user, &url[at..]),
                None => url.to_string(),
            }
        }
        _ => url.to_string(),
    }
}

pub fn default_data_dir() -> PathBuf {
    PathBuf::from("frontline-data")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_hidden() {
        assert_eq!(redact("postgres://u:secret@h/db"), "postgres://u:***@h/db");
        assert_eq!(redact("sqlite://x.db"), "sqlite://x.db");
    }
}
