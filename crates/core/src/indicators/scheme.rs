//! Indicator schemes as data (考核指标体系): indicators with weights, bonus and deduction items,
//! veto rules, star rules, laggard threshold, quotas and a publication period. A county writes
//! one as JSON (or edits one in the UI) and it takes effect without a release; [`compile`] checks
//! every field and turns the formulas into [`Expr`]s over one shared list of [`Measure`]s.

use serde::{Deserialize, Serialize};

use super::formula::{self, Expr, Measure};
use crate::codes::code_enum;
use crate::error::{Problems, text};
use crate::{DomainError, FieldError};

code_enum!(
    /// What a scheme scores: organisations (a unit and everything under it) or people.
    Subject {
        Unit = "unit",
        Person = "person",
    }
);

code_enum!(
    /// How stars are earned: by bands of the total score, or one star per domain whose share of
    /// points is reached (五星争创 by domain: 组织、服务、平安、发展、作风).
    StarMode {
        Bands = "bands",
        Domains = "domains",
    }
);

code_enum!(
    /// What an indicator with nothing to measure (不适用: a rate of nothing asked) earns:
    /// `exclude` leaves it out and scales the other indicators' weights up to the whole (the
    /// default), `full` gives it its whole weight, `zero` nothing.
    NotApplicable {
        Exclude = "exclude",
        Full = "full",
        Zero = "zero",
    }
);

// The variants come from `code_enum!`, which takes no attributes: the default is written out.
#[allow(clippy::derivable_impls)]
impl Default for NotApplicable {
    fn default() -> Self {
        NotApplicable::Exclude
    }
}

/// An indicator: `weight × min(1, max(0, formula ÷ target))` points.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IndicatorDef {
    pub code: String,
    pub name: String,
    pub formula: String,
    pub weight: f64,
    /// The formula's value that earns the whole weight (1 for a rate).
    #[serde(default = "one")]
    pub target: f64,
    /// The domain the indicator belongs to, for stars by domain.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub domain: Option<String>,
    /// A key indicator (重要指标), shown first.
    #[serde(default)]
    pub key: bool,
}

/// A bonus or deduction item: `min(cap, points × formula)` points added or taken away.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ItemDef {
    pub code: String,
    pub name: String,
    pub formula: String,
    /// Points for each unit of the formula's value (each record counted, each hour…).
    pub points: f64,
    pub cap: f64,
}

/// A veto rule (一票否决): when the formula reaches `at_least`, the subject is a laggard (后进)
/// whatever its score, and with `reset` its score is set to zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VetoDef {
    pub code: String,
    pub name: String,
    pub formula: String,
    #[serde(default = "one")]
    pub at_least: f64,
    #[serde(default)]
    pub reset: bool,
}

/// How stars are given.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StarRule {
    pub mode: StarMode,
    /// For `bands`: the least total for 1, 2, 3… stars, rising.
    #[serde(default)]
    pub bands: Vec<f64>,
    /// For `domains`: the share (0–1) of a domain's weight its indicators must earn for its star.
    #[serde(default)]
    pub domain_share: f64,
}

/// At most `percent` % of the subjects sharing a parent may hold `stars` stars (rounded down); the
/// lower-ranked ones beyond that get one star less.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Quota {
    pub stars: u8,
    pub percent: f64,
}

/// A scheme as written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SchemeDef {
    pub subject: Subject,
    /// The kind of unit scored (`village`, `township`…) for a unit scheme.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_kind: Option<String>,
    pub indicators: Vec<IndicatorDef>,
    #[serde(default)]
    pub bonuses: Vec<ItemDef>,
    #[serde(default)]
    pub deductions: Vec<ItemDef>,
    #[serde(default)]
    pub vetoes: Vec<VetoDef>,
    pub stars: StarRule,
    /// A score below this makes the subject a laggard too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub laggard_below: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quota: Option<Quota>,
    /// Days results are published (公示) before they are final.
    #[serde(default = "seven")]
    pub publication_days: u32,
    /// What an indicator with nothing to measure earns (excluded unless the scheme says otherwise).
    #[serde(default, skip_serializing_if = "is_exclude")]
    pub not_applicable: NotApplicable,
}

fn is_exclude(n: &NotApplicable) -> bool {
    *n == NotApplicable::Exclude
}

fn one() -> f64 {
    1.0
}

fn seven() -> u32 {
    7
}

/// The most stars, indicators and items a scheme may have.
pub const MAX_STARS: usize = 5;
const MAX_ITEMS: usize = 50;

/// A formula ready to evaluate.
#[derive(Debug, Clone, PartialEq)]
pub struct Compiled<D> {
    pub def: D,
    pub expr: Expr,
}

/// A scheme checked and compiled.
#[derive(Debug, Clone, PartialEq)]
pub struct Scheme {
    pub def: SchemeDef,
    pub measures: Vec<Measure>,
    pub indicators: Vec<Compiled<IndicatorDef>>,
    pub bonuses: Vec<Compiled<ItemDef>>,
    pub deductions: Vec<Compiled<ItemDef>>,
    pub vetoes: Vec<Compiled<VetoDef>>,
    /// The domains, in the order their first indicator appears.
    pub domains: Vec<String>,
    /// Each indicator's domain, as a position in `domains`.
    pub indicator_domain: Vec<Option<usize>>,
}

impl Scheme {
    /// The most stars a subject can hold under this scheme.
    pub fn top_stars(&self) -> usize {
        match self.def.stars.mode {
            StarMode::Bands => self.def.stars.bands.len(),
            StarMode::Domains => self.domains.len(),
        }
    }
}

/// A code (of a scheme, an indicator, an item): 1–40 letters, digits and `_`.
pub fn check_code(field: &str, code: &str) -> Result<String, FieldError> {
    let c = code.trim();
    if c.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    if c.len() > 40 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_') {
        return Err(FieldError::new(field, "error.scheme.bad_code"));
    }
    Ok(c.to_string())
}

fn code_ok(field: &str, code: &str, seen: &mut Vec<String>) -> Result<(), FieldError> {
    let c = check_code(field, code)?;
    if seen.contains(&c) {
        return Err(FieldError::new(field, "error.scheme.duplicate_code"));
    }
    seen.push(c);
    Ok(())
}

fn number_ok(field: &str, n: f64, least: f64, most: f64) -> Result<(), FieldError> {
    if n.is_finite() && n >= least && n <= most {
        Ok(())
    } else {
        Err(FieldError::new(field, "error.scheme.out_of_range"))
    }
}

/// Checks a scheme as written and compiles its formulas; every problem is listed with its field
/// (`indicators[2].formula`, `stars.bands`…).
pub fn compile(def: SchemeDef) -> Result<Scheme, DomainError> {
    let mut p = Problems::new();
    let mut measures = Vec::new();
    let mut codes = Vec::new();
    if def.indicators.is_empty() {
        p.add("indicators", "error.required");
    }
    if def.indicators.len() > MAX_ITEMS
        || def.bonuses.len() > MAX_ITEMS
        || def.deductions.len() > MAX_ITEMS
        || def.vetoes.len() > MAX_ITEMS
    {
        p.add("indicators", "error.too_long");
    }
    if def.subject == Subject::Unit
        && def.unit_kind.as_deref().is_none_or(|k| crate::units::UnitKind::parse(k).is_none())
    {
        p.add("unit_kind", "error.unit.bad_kind");
    }
    let mut indicators = Vec::new();
    for (i, ind) in def.indicators.iter().enumerate() {
        let f = |name: &str| format!("indicators[{i}].{name}");
        p.check(code_ok(&f("code"), &ind.code, &mut codes));
        p.check(text(&f("name"), &ind.name, 60));
        p.check(number_ok(&f("weight"), ind.weight, 0.0, 1000.0));
        if !(ind.target.is_finite() && ind.target > 0.0 && ind.target <= 1e9) {
            p.add(&f("target"), "error.scheme.out_of_range");
        }
        if let Some(d) = &ind.domain {
            p.check(text(&f("domain"), d, 20));
        }
        if let Some(expr) = p.check(formula::parse(&f("formula"), &ind.formula, &mut measures)) {
            indicators.push(Compiled { def: ind.clone(), expr });
        }
    }
    let mut items = |list: &[ItemDef], name: &str, p: &mut Problems, measures: &mut Vec<Measure>| {
        let mut out = Vec::new();
        for (i, item) in list.iter().enumerate() {
            let f = |field: &str| format!("{name}[{i}].{field}");
            p.check(code_ok(&f("code"), &item.code, &mut codes));
            p.check(text(&f("name"), &item.name, 60));
            p.check(number_ok(&f("points"), item.points, 0.0, 1000.0));
            p.check(number_ok(&f("cap"), item.cap, 0.0, 1000.0));
            if let Some(expr) = p.check(formula::parse(&f("formula"), &item.formula, measures)) {
                out.push(Compiled { def: item.clone(), expr });
            }
        }
        out
    };
    let bonuses = items(&def.bonuses, "bonuses", &mut p, &mut measures);
    let deductions = items(&def.deductions, "deductions", &mut p, &mut measures);
    let mut vetoes = Vec::new();
    for (i, veto) in def.vetoes.iter().enumerate() {
        let f = |name: &str| format!("vetoes[{i}].{name}");
        p.check(code_ok(&f("code"), &veto.code, &mut codes));
        p.check(text(&f("name"), &veto.name, 60));
        if !(veto.at_least.is_finite() && veto.at_least > 0.0 && veto.at_least <= 1e9) {
            p.add(&f("at_least"), "error.scheme.out_of_range");
        }
        if let Some(expr) = p.check(formula::parse(&f("formula"), &veto.formula, &mut measures)) {
            vetoes.push(Compiled { def: veto.clone(), expr });
        }
    }
    let mut domains: Vec<String> = Vec::new();
    for ind in &def.indicators {
        if let Some(d) = ind.domain.as_ref().map(|d| d.trim().to_string())
            && !domains.contains(&d)
        {
            domains.push(d);
        }
    }
    let top = match def.stars.mode {
        StarMode::Bands => {
            let b = &def.stars.bands;
            let rising = b.windows(2).all(|w| w[0] < w[1]);
            if b.is_empty() || b.len() > MAX_STARS || !rising || b.iter().any(|x| !x.is_finite() || *x < 0.0) {
                p.add("stars.bands", "error.scheme.bad_bands");
            }
            b.len()
        }
        StarMode::Domains => {
            if domains.is_empty() || domains.len() > MAX_STARS || def.indicators.iter().any(|i| i.domain.is_none()) {
                p.add("indicators", "error.scheme.bad_domains");
            }
            p.check(number_ok("stars.domain_share", def.stars.domain_share, 0.01, 1.0));
            domains.len()
        }
    };
    if let Some(l) = def.laggard_below {
        p.check(number_ok("laggard_below", l, 0.0, 1000.0));
    }
    if let Some(q) = &def.quota {
        if q.stars == 0 || usize::from(q.stars) > top {
            p.add("quota.stars", "error.scheme.out_of_range");
        }
        p.check(number_ok("quota.percent", q.percent, 0.0, 100.0));
    }
    if def.publication_days > 60 {
        p.add("publication_days", "error.scheme.out_of_range");
    }
    p.into_result()?;
    let indicator_domain = indicators
        .iter()
        .map(|c| c.def.domain.as_deref().and_then(|d| domains.iter().position(|x| x == d.trim())))
        .collect();
    Ok(Scheme { def, measures, indicators, bonuses, deductions, vetoes, domains, indicator_domain })
}

/// Parses a scheme written as JSON; a document that is not a scheme is one problem on `definition`.
pub fn from_json(json: &str) -> Result<Scheme, DomainError> {
    let def: SchemeDef =
        serde_json::from_str(json).map_err(|_| DomainError::invalid("definition", "error.scheme.not_json"))?;
    compile(def)
}

/// The schemes every county starts with (documented in `docs/indicators.md`).
pub mod defaults {
    /// 堡垒指数 (004.4): village party organisations' fighting strength.
    pub const BASTION: &str = include_str!("schemes/bastion.json");
    /// 先锋指数: party members' vanguard role.
    pub const PIONEER: &str = include_str!("schemes/pioneer.json");
    /// 五星争创: one star per domain.
    pub const FIVE_STARS: &str = include_str!("schemes/five_stars.json");

    /// "五无" 创建 (003.7): a star for each of no epidemic, no illegal crossing, no smuggling, no
    /// drugs and no criminal case, judged only where households were checked in the period (a
    /// village nobody looked at has nothing to measure, not five stars); five stars make a model
    /// village (示范村).
    pub const FIVE_NONE: &str = include_str!("schemes/five_none.json");

    /// (code, name, definition) of each default scheme.
    pub const ALL: &[(&str, &str, &str)] = &[
        ("bastion", "堡垒指数", BASTION),
        ("pioneer", "先锋指数", PIONEER),
        ("five_stars", "五星争创", FIVE_STARS),
        ("five_none", "“五无”创建", FIVE_NONE),
    ];
}
