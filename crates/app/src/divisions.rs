//! The national division table shipped with the binary (`data/divisions.tsv.gz`, see
//! `tools/build-divisions.py`), so `frontline import divisions` works offline.

use std::io::Read;

use anyhow::Context;
use frontline_core::divisions::{self, Division};

static SHIPPED: &[u8] = include_bytes!("../../../data/divisions.tsv.gz");

/// Every division in the shipped table (665,276 of them), parents before children. Parsed once
/// per process.
pub fn all() -> anyhow::Result<&'static [Division]> {
    static ALL: std::sync::OnceLock<Vec<Division>> = std::sync::OnceLock::new();
    if let Some(all) = ALL.get() {
        return Ok(all);
    }
    let parsed = parse_shipped()?;
    Ok(ALL.get_or_init(|| parsed))
}

/// Parses the shipped table afresh (what [`all`] does once per process).
pub fn parse_shipped() -> anyhow::Result<Vec<Division>> {
    let mut text = String::with_capacity(24 * 1024 * 1024);
    flate2::read::GzDecoder::new(SHIPPED).read_to_string(&mut text).context("reading the shipped division table")?;
    Ok(divisions::parse(&text)?)
}

/// Imports the places named by their codes (with their ancestors) into the store.
pub async fn import(db: &frontline_db::Db, codes: &[String]) -> anyhow::Result<frontline_db::units::ImportStats> {
    let all = all()?;
    let mut selected: Vec<&Division> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for code in codes {
        let code = code.trim();
        let picked = divisions::select(all, code);
        if picked.iter().all(|d| d.code != code) {
            anyhow::bail!("no division has the code {code}");
        }
        for d in picked {
            if seen.insert(d.code.clone()) {
                selected.push(d);
            }
        }
    }
    // Parents must come before children across several places too.
    selected.sort_by(|a, b| a.code.len().cmp(&b.code.len()).then(a.code.cmp(&b.code)));
    let actor = frontline_core::access::Actor::system("import divisions");
    Ok(frontline_db::units::import_divisions(db, &actor, &selected).await?)
}
