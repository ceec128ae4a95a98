//! `frontline pair`: the pairing engine from CSV files, so a county can plan in batch offline.
//! The columns are documented in `docs/pairing.md`; a file with bad rows is refused whole, with
//! every bad row named.

use std::path::Path;

use anyhow::Context;
use frontline_core::pairing::{PairingRules, Party, Proposal, propose};

/// Reads the inputs, proposes, writes the proposal and returns a one-paragraph summary.
pub fn run(
    left: &Path,
    right: &Path,
    rules: Option<&Path>,
    fixed: Option<&Path>,
    out: &Path,
) -> anyhow::Result<String> {
    let left_parties = read_parties(left, true)?;
    let right_parties = read_parties(right, false)?;
    let rules = match rules {
        Some(p) => read_rules(p)?,
        None => PairingRules::default(),
    };
    let fixed = match fixed {
        Some(p) => read_fixed(p)?,
        None => Vec::new(),
    };
    let proposal = propose(&left_parties, &right_parties, &rules, &fixed)
        .map_err(|e| refused(&e, fixed_file_line(&left_parties, &right_parties, &fixed)))?;
    write_proposal(out, &left_parties, &right_parties, &proposal)?;
    Ok(format!(
        "{} pairs proposed ({} by the rules' kinds, {} fixed by hand), {} right parties unpaired, total cost {:.3}; written to {}.",
        proposal.pairs.len(),
        proposal.suited,
        proposal.pairs.iter().filter(|p| p.fixed).count(),
        proposal.unpaired.len(),
        proposal.total_cost,
        out.display()
    ))
}

/// The refusal in words (the English catalogue), naming the fixed pairs' line when it is about them.
fn refused(e: &frontline_core::DomainError, fixed_line: Option<usize>) -> anyhow::Error {
    let lang = frontline_web::i18n::Lang::En;
    let problems: Vec<String> = match e {
        frontline_core::DomainError::Invalid(fields) => fields
            .iter()
            .map(|f| match (f.field.as_str(), fixed_line) {
                ("fixed", Some(line)) => format!("fixed pairs, line {line}: {}", lang.t(&f.code)),
                (field, _) => format!("{field}: {}", lang.t(&f.code)),
            })
            .collect(),
        other => vec![lang.t(other.code()).to_string()],
    };
    anyhow::anyhow!("the pairing was refused, nothing was written:\n  {}", problems.join("\n  "))
}

/// The line of the fixed-pairs file (header = line 1) of the first pair the pairing refuses: an
/// unknown party, a right party fixed twice, or a left party over its capacity — the checks
/// [`propose`] makes, in its order.
fn fixed_file_line(left: &[Party], right: &[Party], fixed: &[(i64, i64)]) -> Option<usize> {
    let mut used: std::collections::HashMap<i64, u32> = std::collections::HashMap::new();
    let mut taken = std::collections::HashSet::new();
    for (k, (l, r)) in fixed.iter().enumerate() {
        let Some(lp) = left.iter().find(|p| p.id == *l) else { return Some(k + 2) };
        if !right.iter().any(|p| p.id == *r) || !taken.insert(*r) {
            return Some(k + 2);
        }
        let n = used.entry(*l).or_default();
        *n += 1;
        if *n > lp.capacity.max(1) {
            return Some(k + 2);
        }
    }
    None
}

fn reader(path: &Path) -> anyhow::Result<csv::Reader<std::fs::File>> {
    csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))
}

fn column(headers: &csv::StringRecord, name: &str, path: &Path) -> anyhow::Result<usize> {
    headers.iter().position(|h| h == name).with_context(|| format!("{}: no column `{name}`", path.display()))
}

fn optional_column(headers: &csv::StringRecord, name: &str) -> Option<usize> {
    headers.iter().position(|h| h == name)
}

/// Parties from `id,name,kinds,lat,lon[,capacity,load]`.
pub fn read_parties(path: &Path, left: bool) -> anyhow::Result<Vec<Party>> {
    let mut rdr = reader(path)?;
    let headers = rdr.headers()?.clone();
    let id_col = column(&headers, "id", path)?;
    let name_col = column(&headers, "name", path)?;
    let kinds_col = optional_column(&headers, "kinds");
    let lat_col = optional_column(&headers, "lat");
    let lon_col = optional_column(&headers, "lon");
    let cap_col = if left { optional_column(&headers, "capacity") } else { None };
    let load_col = if left { optional_column(&headers, "load") } else { None };
    let mut parties = Vec::new();
    let mut problems = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let line = k + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let get = |c: Option<usize>| c.and_then(|c| rec.get(c)).unwrap_or("");
        let mut bad = |what: &str| problems.push(format!("line {line}: {what}"));
        let Ok(id) = get(Some(id_col)).parse::<i64>() else {
            bad("`id` must be a whole number");
            continue;
        };
        let number = |c: Option<usize>| -> Result<Option<f64>, ()> {
            let s = get(c);
            if s.is_empty() { Ok(None) } else { s.parse::<f64>().map(Some).map_err(|_| ()) }
        };
        let position = match (number(lat_col), number(lon_col)) {
            (Ok(Some(lat)), Ok(Some(lon))) if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {
                Some((lat, lon))
            }
            (Ok(None), Ok(None)) => None,
            _ => {
                bad("`lat` and `lon` must both be given, as degrees, or both be empty");
                continue;
            }
        };
        let count = |c: Option<usize>, default: u32| -> Result<u32, ()> {
            let s = get(c);
            if s.is_empty() { Ok(default) } else { s.parse::<u32>().map_err(|_| ()) }
        };
        let (Ok(capacity), Ok(load)) = (count(cap_col, 1), count(load_col, 0)) else {
            bad("`capacity` and `load` must be whole numbers");
            continue;
        };
        if capacity == 0 || capacity > 1000 {
            bad("`capacity` must be between 1 and 1000");
            continue;
        }
        let name = get(Some(name_col)).to_string();
        if name.is_empty() {
            bad("`name` is empty");
            continue;
        }
        let kinds = get(kinds_col).split('|').map(str::trim).filter(|s| !s.is_empty()).map(String::from).collect();
        parties.push(Party { id, name, kinds, position, path: None, capacity, load });
    }
    let mut seen = std::collections::HashSet::new();
    for p in &parties {
        if !seen.insert(p.id) {
            problems.push(format!("id {} appears twice", p.id));
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{} was refused, nothing was paired:\n  {}", path.display(), problems.join("\n  "));
    }
    Ok(parties)
}

/// Rules from `suits,LEFT,RIGHT` and `mismatch_cost|per_km|per_load,N` lines (no header).
pub fn read_rules(path: &Path) -> anyhow::Result<PairingRules> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .trim(csv::Trim::All)
        .from_path(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut rules = PairingRules { suits: Vec::new(), ..PairingRules::default() };
    let mut problems = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec?;
        let f: Vec<&str> = rec.iter().collect();
        let weight = |s: &str| s.parse::<f64>().ok().filter(|w| w.is_finite() && *w >= 0.0);
        match f.as_slice() {
            ["suits", l, r] if !l.is_empty() && !r.is_empty() => rules.suits.push((l.to_string(), r.to_string())),
            ["mismatch_cost", w] if weight(w).is_some() => rules.mismatch_cost = weight(w).unwrap_or_default(),
            ["per_km", w] if weight(w).is_some() => rules.per_km = weight(w).unwrap_or_default(),
            ["per_load", w] if weight(w).is_some() => rules.per_load = weight(w).unwrap_or_default(),
            [] | [""] => {}
            _ => problems.push(format!("line {}: expected `suits,LEFT,RIGHT` or `NAME,NUMBER`", k + 1)),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{} was refused:\n  {}", path.display(), problems.join("\n  "));
    }
    Ok(rules)
}

/// Fixed pairs from `left_id,right_id`.
pub fn read_fixed(path: &Path) -> anyhow::Result<Vec<(i64, i64)>> {
    let mut rdr = reader(path)?;
    let mut pairs = Vec::new();
    let mut problems = Vec::new();
    for (k, rec) in rdr.records().enumerate() {
        let rec = rec?;
        match (rec.get(0).map(str::parse::<i64>), rec.get(1).map(str::parse::<i64>)) {
            (Some(Ok(l)), Some(Ok(r))) => pairs.push((l, r)),
            _ => problems.push(format!("line {}: expected left_id,right_id", k + 2)),
        }
    }
    if !problems.is_empty() {
        anyhow::bail!("{} was refused:\n  {}", path.display(), problems.join("\n  "));
    }
    Ok(pairs)
}

fn write_proposal(out: &Path, left: &[Party], right: &[Party], p: &Proposal) -> anyhow::Result<()> {
    let name =
        |parties: &[Party], id: i64| parties.iter().find(|x| x.id == id).map(|x| x.name.clone()).unwrap_or_default();
    let mut w = csv::Writer::from_path(out).with_context(|| format!("creating {}", out.display()))?;
    w.write_record([
        "left_id",
        "left_name",
        "right_id",
        "right_name",
        "cost",
        "suits",
        "distance_km",
        "fixed",
        "reason",
    ])?;
    for pair in &p.pairs {
        w.write_record([
            pair.left_id.to_string(),
            name(left, pair.left_id),
            pair.right_id.to_string(),
            name(right, pair.right_id),
            format!("{:.3}", pair.cost),
            pair.suits.to_string(),
            format!("{:.2}", pair.distance_km),
            pair.fixed.to_string(),
            String::new(),
        ])?;
    }
    for u in &p.unpaired {
        let why = match (u.best_left_id, u.best_left_took) {
            (Some(b), Some(t)) => format!(
                "every left party is at capacity; the best fit, {} ({b}), went to {} ({t})",
                name(left, b),
                name(right, t)
            ),
            _ => "every left party is at capacity".to_string(),
        };
        w.write_record([
            String::new(),
            String::new(),
            u.right_id.to_string(),
            name(right, u.right_id),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            why,
        ])?;
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_fixed_pair_is_named_by_its_line_in_words() {
        let dir = std::env::temp_dir().join(format!("ft-pair-{}-{}", std::process::id(), rand::random::<u64>()));
        std::fs::create_dir_all(&dir).unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let left = write(
            "left.csv",
            "id,name,kinds,lat,lon,capacity\n1,王强,industry,28.1,120.9,1\n2,李娜,industry,28.2,120.8,1\n",
        );
        let right =
            write("right.csv", "id,name,kinds,lat,lon\n10,甲企业,industry,28.1,120.9\n11,乙企业,industry,28.2,120.8\n");
        // Line 3 fixes enterprise 10 a second time.
        let fixed = write("fixed.csv", "left_id,right_id\n1,10\n2,10\n");
        let out = dir.join("out.csv");
        let err = run(&left, &right, None, Some(&fixed), &out).unwrap_err().to_string();
        assert!(err.contains("fixed pairs, line 3"), "{err}");
        assert!(!err.contains("FieldError"), "{err}");
        assert!(!out.exists(), "nothing written");
        let fine = write("fixed_ok.csv", "left_id,right_id\n1,10\n");
        assert!(run(&left, &right, None, Some(&fine), &out).is_ok());
        let _ = std::fs::remove_dir_all(dir);
    }

    fn file(dir: &Path, name: &str, body: &str) -> std::path::PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, body).unwrap();
        p
    }

    #[test]
    fn pairs_from_csv_and_explains_the_unpaired() {
        let dir = std::env::temp_dir().join(format!("pair-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let left = file(
            &dir,
            "l.csv",
            "id,name,kinds,lat,lon,capacity,load\n1,政法委,legal,28.1,120.9,1,0\n2,组织部,party_mass,28.2,121.0,1,0\n",
        );
        let right = file(
            &dir,
            "r.csv",
            "id,name,kinds,lat,lon\n10,岐头村,disorderly,28.2,121.0\n11,东山村,weak,28.1,120.9\n12,西山村,poor,28.3,121.1\n",
        );
        let out = dir.join("out.csv");
        let summary = run(&left, &right, None, None, &out).unwrap();
        assert!(summary.starts_with("2 pairs proposed (2 by the rules' kinds"), "{summary}");
        let text = std::fs::read_to_string(&out).unwrap();
        assert!(text.contains("1,政法委,10,岐头村"), "{text}");
        assert!(text.contains("2,组织部,11,东山村"), "{text}");
        assert!(text.contains(",,12,西山村,"), "{text}");
        assert!(text.contains("every left party is at capacity"), "{text}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_bad_file_is_refused_with_every_bad_line() {
        let dir = std::env::temp_dir().join(format!("pair-csv-bad-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let left = file(&dir, "l.csv", "id,name,kinds,lat,lon,capacity\nx,A,,,,1\n2,B,,28.1,,1\n3,C,,,,0\n3,D,,,,1\n");
        let err = read_parties(&left, true).unwrap_err().to_string();
        assert!(err.contains("line 2: `id`"), "{err}");
        assert!(err.contains("line 3: `lat`"), "{err}");
        assert!(err.contains("line 4: `capacity`"), "{err}");
        let rules = file(&dir, "rules.csv", "suits,legal,disorderly\nper_km,-2\n");
        assert!(read_rules(&rules).unwrap_err().to_string().contains("line 2"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
