//! The fuzzing harness: one function per parser of outside input, each handing arbitrary bytes to
//! the real parser and what it accepts on to the checks that follow it in the application. Any
//! input may be refused; none may panic, hang or exhaust memory.
//!
//! Used by the `cargo fuzz` targets in `fuzz_targets/` and, through `#[path]`, by the test
//! `fuzz_corpus` that replays the kept corpora (`fuzz/corpus/<target>/`) on every CI run.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use frontline_core::indicators::formula;
use frontline_core::people::{PersonInput, validate_phone};
use frontline_core::surveys::FormSpec;
use frontline_web::open311::RequestForm;

/// A harness: takes any bytes, returns only if the parser behind it coped.
pub type Target = fn(&[u8]);

/// Every target by name, as `cargo fuzz` and the corpus folders name them.
pub const TARGETS: &[(&str, Target)] = &[
    ("roster_csv", roster_csv),
    ("roster_workbook", roster_workbook),
    ("open311_form", open311_form),
    ("scheme", scheme),
    ("survey_form", survey_form),
];

/// An uploaded roster as CSV: read, then every row checked as a person.
pub fn roster_csv(data: &[u8]) {
    if let Ok(rows) = frontline_reports::read_csv(data) {
        check_roster(&rows);
    }
}

/// An uploaded roster as an Excel (or ODS) workbook: its first sheet read, then checked.
pub fn roster_workbook(data: &[u8]) {
    if let Ok(rows) = frontline_reports::read_first_sheet(data) {
        check_roster(&rows);
    }
}

/// Rows of cells checked as people, the columns in the template's order.
fn check_roster(rows: &[Vec<String>]) {
    let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap_or_default();
    for row in rows.iter().take(2_000) {
        let cell = |i: usize| row.get(i).cloned().unwrap_or_default();
        let person = PersonInput {
            name: cell(0),
            category: cell(1),
            party_status: cell(2),
            rank: cell(3),
            specialties: cell(4),
            birthday: cell(5),
            phone: cell(6),
        };
        let _ = person.validate(today);
    }
}

/// An Open311 (GeoReport v2) service request form post.
pub fn open311_form(data: &[u8]) {
    let form = RequestForm::parse(data);
    let _ = form.location();
    if let Some(description) = &form.description {
        assert!(RequestForm::title(description).chars().count() <= 40);
    }
    if let Some(phone) = &form.phone {
        let _ = validate_phone("phone", phone);
    }
}

/// An indicator scheme written as JSON, or a formula alone; what compiles is scored on a tally.
pub fn scheme(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(scheme) = frontline_core::indicators::from_json(text) {
        let mut tally = scheme.tally(30.0);
        for (k, m) in tally.measures.iter_mut().enumerate() {
            *m = k as f64 * 1.5;
        }
        tally.members = 12.0;
        let _ = scheme.score(&tally);
    }
    let mut measures = Vec::new();
    if let Ok(expr) = formula::parse("formula", text, &mut measures) {
        let mut tally = frontline_core::indicators::Tally::new(measures.len());
        tally.members = 3.0;
        let _ = expr.eval(&tally);
        let mut read = Vec::new();
        expr.measures(&mut read);
        assert!(read.iter().all(|i| *i < measures.len()));
    }
}

/// A survey form definition, then answers to it: the bytes before the first NUL are the
/// definition, the rest the answers (a JSON object).
pub fn survey_form(data: &[u8]) {
    let (spec, answers) = match data.iter().position(|b| *b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &b"{}"[..]),
    };
    let Ok(spec) = std::str::from_utf8(spec) else { return };
    let Ok(form) = FormSpec::parse(spec) else { return };
    if let Ok(answers) = serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(answers)
        && let Ok(checked) = form.check(&answers)
    {
        let _ = checked.at_risk();
    }
}
