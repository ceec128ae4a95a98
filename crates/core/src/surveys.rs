//! Household checks (逐户摸排, 000.6): survey forms defined as data — fields with a type, whether
//! they are required, their options, and which answers put a household at risk — so a county adds
//! its own form without a new release. Answers are checked against the form; the risk list and the
//! village's daily compilation come out of the answers, never retyped.
//!
//! Residents are served, not watched: a form holds only what its mechanism needs, and answers are
//! shown only to those responsible for the household.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::DomainError;
use crate::codes::code_enum;
use crate::error::Problems;

code_enum!(
    /// What kind of answer a field takes.
    FieldType {
        Text = "text",
        Number = "number",
        Choice = "choice",
        Multi = "multi",
        YesNo = "yes_no",
    }
);

/// One question of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FormField {
    /// A short key (`income`, `jobs`), unique in the form.
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: String,
    #[serde(default)]
    pub required: bool,
    /// The choices of `choice` and `multi` fields.
    #[serde(default)]
    pub options: Vec<String>,
    /// Answers (options, or `yes`/`no`) that put the household at risk.
    #[serde(default)]
    pub risk_values: Vec<String>,
    /// A number below this puts the household at risk (e.g. yearly income per head).
    #[serde(default)]
    pub risk_below: Option<f64>,
}

/// A checked form definition.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FormSpec {
    pub fields: Vec<FormField>,
}

impl FormSpec {
    /// Parses and checks a form's fields (JSON array), every problem at once.
    pub fn parse(json: &str) -> Result<FormSpec, DomainError> {
        let fields: Vec<FormField> =
            serde_json::from_str(json).map_err(|_| DomainError::invalid("fields", "error.survey.bad_fields"))?;
        let mut p = Problems::new();
        if fields.is_empty() || fields.len() > 60 {
            p.add("fields", "error.survey.field_count");
        }
        let mut keys: Vec<&str> = Vec::new();
        for f in &fields {
            let key_ok = !f.key.is_empty()
                && f.key.len() <= 30
                && f.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            if !key_ok || keys.contains(&f.key.as_str()) {
                p.add("fields", "error.survey.bad_key");
            }
            keys.push(&f.key);
            if f.label.trim().is_empty() || f.label.chars().count() > 60 {
                p.add("fields", "error.survey.bad_label");
            }
            match FieldType::parse(&f.field_type) {
                None => p.add("fields", "error.survey.bad_type"),
                Some(FieldType::Choice | FieldType::Multi) => {
                    if f.options.is_empty() || f.risk_values.iter().any(|r| !f.options.contains(r)) {
                        p.add("fields", "error.survey.bad_options");
                    }
                }
                Some(FieldType::YesNo) => {
                    if f.risk_values.iter().any(|r| r != "yes" && r != "no") {
                        p.add("fields", "error.survey.bad_options");
                    }
                }
                Some(FieldType::Number | FieldType::Text) => {}
            }
        }
        p.into_result()?;
        Ok(FormSpec { fields })
    }

    /// Checks answers against the form: required fields present, numbers numeric, choices among
    /// the options. Keeps only the form's own keys (nothing else about a household is stored).
    pub fn check(&self, answers: &BTreeMap<String, serde_json::Value>) -> Result<Checked, DomainError> {
        let mut p = Problems::new();
        let mut kept = BTreeMap::new();
        let mut reasons = Vec::new();
        for f in &self.fields {
            let v = answers.get(&f.key).filter(|v| !is_blank(v));
            let Some(v) = v else {
                if f.required {
                    p.add(&f.key, "error.required");
                }
                continue;
            };
            let kind = FieldType::parse(&f.field_type).unwrap_or(FieldType::Text);
            let value = match kind {
                FieldType::Text => match v.as_str() {
                    Some(s) if s.chars().count() <= 500 => serde_json::Value::String(s.trim().to_string()),
                    _ => {
                        p.add(&f.key, "error.too_long");
                        continue;
                    }
                },
                FieldType::Number => {
                    let n = v.as_f64().or_else(|| v.as_str().and_then(|s| s.trim().parse::<f64>().ok()));
                    match n.filter(|n| n.is_finite()) {
                        Some(n) => {
                            if let Some(limit) = f.risk_below.filter(|limit| n < *limit) {
                                reasons.push(format!("{}：{} < {}", f.label, plain(n), plain(limit)));
                            }
                            serde_json::json!(n)
                        }
                        None => {
                            p.add(&f.key, "error.not_a_number");
                            continue;
                        }
                    }
                }
                FieldType::Choice | FieldType::YesNo => {
                    let s = v.as_str().unwrap_or("").to_string();
                    let allowed =
                        if kind == FieldType::YesNo { s == "yes" || s == "no" } else { f.options.contains(&s) };
                    if !allowed {
                        p.add(&f.key, "error.survey.not_an_option");
                        continue;
                    }
                    if f.risk_values.contains(&s) {
                        let shown = match s.as_str() {
                            "yes" if kind == FieldType::YesNo => "是",
                            "no" if kind == FieldType::YesNo => "否",
                            other => other,
                        };
                        reasons.push(format!("{}：{shown}", f.label));
                    }
                    serde_json::Value::String(s)
                }
                FieldType::Multi => {
                    let picked: Vec<String> = match v {
                        serde_json::Value::Array(a) => {
                            a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()
                        }
                        serde_json::Value::String(s) => vec![s.clone()],
                        _ => Vec::new(),
                    };
                    if picked.is_empty() || picked.iter().any(|x| !f.options.contains(x)) {
                        p.add(&f.key, "error.survey.not_an_option");
                        continue;
                    }
                    let risky: Vec<&str> =
                        picked.iter().filter(|x| f.risk_values.contains(x)).map(String::as_str).collect();
                    if !risky.is_empty() {
                        reasons.push(format!("{}：{}", f.label, risky.join("、")));
                    }
                    serde_json::json!(picked)
                }
            };
            kept.insert(f.key.clone(), value);
        }
        p.into_result()?;
        Ok(Checked { answers: kept, risk_reasons: reasons })
    }
}

fn is_blank(v: &serde_json::Value) -> bool {
    match v {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => s.trim().is_empty(),
        serde_json::Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// A number as a person writes it: `6800`, `7.5`.
fn plain(n: f64) -> String {
    if n.fract() == 0.0 { format!("{n:.0}") } else { n.to_string() }
}

/// Answers as kept, with what put the household at risk: each field's label with the answer given
/// (`住房安全有保障：否`, `人均年纯收入（元）：6800 < 7500`).
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    pub answers: BTreeMap<String, serde_json::Value>,
    pub risk_reasons: Vec<String>,
}

impl Checked {
    pub fn at_risk(&self) -> bool {
        !self.risk_reasons.is_empty()
    }
}

/// The "一达标两不愁三保障" household check as the seeds describe it: relapse risk, jobs, training
/// and industry needs, and the gaps in food, clothing, schooling, medical care and housing.
pub const POVERTY_CHECK: &str = r#"[
 {"key": "members", "label": "家庭人口", "type": "number", "required": true},
 {"key": "income", "label": "人均年纯收入（元）", "type": "number", "required": true, "risk_below": 7500},
 {"key": "food_clothing", "label": "吃穿不愁", "type": "yes_no", "required": true, "risk_values": ["no"]},
 {"key": "schooling", "label": "义务教育有保障", "type": "yes_no", "required": true, "risk_values": ["no"]},
 {"key": "medical", "label": "基本医疗有保障", "type": "yes_no", "required": true, "risk_values": ["no"]},
 {"key": "housing", "label": "住房安全有保障", "type": "yes_no", "required": true, "risk_values": ["no"]},
 {"key": "water", "label": "饮水安全", "type": "yes_no", "required": true, "risk_values": ["no"]},
 {"key": "relapse", "label": "返贫风险", "type": "choice", "required": true, "options": ["无", "因病", "因灾", "因学", "失业"], "risk_values": ["因病", "因灾", "因学", "失业"]},
 {"key": "needs", "label": "需求", "type": "multi", "options": ["就业", "培训", "产业", "医疗救助", "无"]},
 {"key": "note", "label": "情况说明", "type": "text"}
]"#;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn answers(v: serde_json::Value) -> BTreeMap<String, serde_json::Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_shipped_form_parses() {
        let spec = FormSpec::parse(POVERTY_CHECK).unwrap();
        assert_eq!(spec.fields.len(), 10);
    }

    #[test]
    fn bad_forms_are_refused() {
        assert!(FormSpec::parse("not json").is_err());
        let DomainError::Invalid(errs) = FormSpec::parse(
            r#"[{"key": "A", "label": "x", "type": "text"}, {"key": "b", "label": "", "type": "date"},
                {"key": "c", "label": "c", "type": "choice", "options": ["x"], "risk_values": ["y"]}]"#,
        )
        .unwrap_err() else {
            panic!()
        };
        let codes: Vec<&str> = errs.iter().map(|e| e.code.as_str()).collect();
        assert_eq!(
            codes,
            ["error.survey.bad_key", "error.survey.bad_label", "error.survey.bad_type", "error.survey.bad_options"]
        );
    }

    #[test]
    fn answers_are_checked_and_risk_comes_out_of_them() {
        let spec = FormSpec::parse(POVERTY_CHECK).unwrap();
        let ok = spec
            .check(&answers(json!({"members": "4", "income": 6800, "food_clothing": "yes", "schooling": "yes",
                "medical": "no", "housing": "yes", "water": "yes", "relapse": "因病", "needs": ["就业", "培训"],
                "name_of_neighbour": "不该保存"})))
            .unwrap();
        assert!(ok.at_risk());
        assert_eq!(ok.risk_reasons, ["人均年纯收入（元）：6800 < 7500", "基本医疗有保障：否", "返贫风险：因病"]);
        assert!(!ok.answers.contains_key("name_of_neighbour"), "only the form's own fields are kept");
        assert_eq!(ok.answers["members"], json!(4.0));
        let safe = spec
            .check(&answers(json!({"members": 3, "income": 21000, "food_clothing": "yes", "schooling": "yes",
                "medical": "yes", "housing": "yes", "water": "yes", "relapse": "无"})))
            .unwrap();
        assert!(!safe.at_risk());
        let DomainError::Invalid(errs) =
            spec.check(&answers(json!({"members": "四", "relapse": "破产", "needs": ["发财"]}))).unwrap_err()
        else {
            panic!()
        };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            ["members", "income", "food_clothing", "schooling", "medical", "housing", "water", "relapse", "needs"]
        );
    }
}
