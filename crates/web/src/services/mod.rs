//! Operations the UI and the API share: validating typed input against the domain rules before
//! the repositories store it, roster import and export, accounts and tokens.

pub mod bulletin;
pub mod certificate;
pub mod duty;
pub mod figures;
pub mod list_export;
pub mod security;
pub mod todo;

use std::collections::HashMap;

use frontline_core::access::Actor;
use frontline_core::people::{PartyStatus, PersonCategory, PersonInput, Rank};
use frontline_core::progress::{Progress, Stage};
use frontline_core::{DomainError, FieldError};
use frontline_db::people::{PersonQuery, PersonView};
use frontline_db::{Db, access, people, units};
use frontline_reports::TemplateColumn;
use serde::Serialize;

use crate::AppError;
use crate::auth::{hash_password, random_token, secret_hash};
use crate::i18n::Lang;

pub async fn create_person(
    db: &Db,
    actor: &Actor,
    home_unit_id: i64,
    input: &PersonInput,
) -> Result<PersonView, AppError> {
    actor.require("people:person:add")?;
    let valid = input.validate(crate::today()).map_err(DomainError::Invalid)?;
    Ok(people::create(db, actor, home_unit_id, &valid).await?)
}

pub async fn update_person(
    db: &Db,
    actor: &Actor,
    id: i64,
    home_unit_id: i64,
    input: &PersonInput,
) -> Result<PersonView, AppError> {
    actor.require("people:person:edit")?;
    let valid = input.validate(crate::today()).map_err(DomainError::Invalid)?;
    Ok(people::update(db, actor, id, home_unit_id, &valid).await?)
}

/// A roster column: its field, whether it must be filled, and the coded values it takes.
struct RosterColumn {
    field: &'static str,
    required: bool,
    codes: Option<(&'static str, Vec<&'static str>)>,
}

fn roster_columns() -> Vec<RosterColumn> {
    vec![
        RosterColumn { field: "name", required: true, codes: None },
        RosterColumn {
            field: "category",
            required: true,
            codes: Some(("person.category", PersonCategory::ALL.iter().map(|c| c.as_str()).collect())),
        },
        RosterColumn {
            field: "party_status",
            required: false,
            codes: Some(("person.party_status", PartyStatus::ALL.iter().map(|c| c.as_str()).collect())),
        },
        RosterColumn {
            field: "rank",
            required: false,
            codes: Some(("person.rank", Rank::ALL.iter().map(|c| c.as_str()).collect())),
        },
        RosterColumn { field: "specialties", required: false, codes: None },
        RosterColumn { field: "birthday", required: false, codes: None },
        RosterColumn { field: "phone", required: false, codes: None },
        RosterColumn { field: "home_unit", required: true, codes: None },
    ]
}

/// The catalogue key of a roster column's header ("姓名" rather than the generic "名称/姓名",
/// "人员类别" rather than the generic "类别").
fn header_key(field: &str) -> String {
    match field {
        "name" => "field.person_name".to_string(),
        "category" => "field.person_category".to_string(),
        _ => format!("field.{field}"),
    }
}

fn header_text(lang: Lang, col: &RosterColumn) -> String {
    format!("{}{}", lang.t(&header_key(col.field)), if col.required { "*" } else { "" })
}

/// The code a unit is referred to by in a roster: its division code, or `#id` if it has none.
fn unit_ref(u: &units::UnitView) -> String {
    u.code.clone().unwrap_or_else(|| format!("#{}", u.id))
}

/// The roster template: headers in the user's language, drop-downs for coded columns and for
/// the units the user may import into (up to 5,000 of them).
pub async fn roster_template(db: &Db, actor: &Actor, lang: Lang) -> Result<Vec<u8>, AppError> {
    actor.require("people:person:import")?;
    let units = units::list_all(db, &actor.scope, &units::UnitQuery::default(), 5_000).await?;
    let unit_choices: Vec<String> = units.iter().map(|u| format!("{} {}", unit_ref(u), u.name)).collect();
    let columns: Vec<TemplateColumn> = roster_columns()
        .iter()
        .map(|c| TemplateColumn {
            header: header_text(lang, c),
            choices: match (&c.codes, c.field) {
                (Some((prefix, codes)), _) => {
                    codes.iter().map(|code| lang.code_label(prefix, code).to_string()).collect()
                }
                (None, "home_unit") => unit_choices.clone(),
                _ => vec![],
            },
            width: if c.field == "home_unit" { 36.0 } else { 14.0 },
            hint: lang.t(&format!("hint.{}", c.field)).to_string(),
        })
        .collect();
    Ok(frontline_reports::template(lang.t("sheet.people"), &columns, &[])?)
}

/// One problem in one cell of an uploaded roster, in the user's words.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// The row as Excel numbers it (the header is row 1).
    pub row: usize,
    pub column: String,
    pub message: String,
}

/// Why an upload was rejected: every problem found, row by row. Nothing was written.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ImportReport {
    pub code: String,
    pub message: String,
    pub problems: Vec<RowProblem>,
}

/// What a roster import ended in.
pub enum ImportOutcome {
    Imported(usize),
    Rejected(ImportReport),
}

/// The most rows one roster may hold.
pub const MOST_ROSTER_ROWS: usize = 1_000_000;

/// The kind of file a roster came in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RosterFormat {
    /// An Excel workbook (.xlsx): its first sheet.
    Workbook,
    /// UTF-8 CSV, with or without the byte-order mark Excel writes.
    Csv,
}

impl RosterFormat {
    /// CSV when the file's name ends in `.csv` or its type is `text/csv`; a workbook otherwise.
    pub fn of(file_name: Option<&str>, content_type: Option<&str>) -> RosterFormat {
        let csv_name = file_name.is_some_and(|n| n.to_ascii_lowercase().ends_with(".csv"));
        let csv_type = content_type.is_some_and(|t| t.trim().to_ascii_lowercase().starts_with("text/csv"));
        if csv_name || csv_type { RosterFormat::Csv } else { RosterFormat::Workbook }
    }
}

/// The rows of an uploaded roster, the header first.
pub fn read_roster_file(bytes: &[u8], format: RosterFormat) -> Result<Vec<Vec<String>>, AppError> {
    Ok(match format {
        RosterFormat::Workbook => frontline_reports::read_first_sheet(bytes)?,
        RosterFormat::Csv => frontline_reports::read_csv(bytes)?,
    })
}

/// Checks a whole roster (a workbook or CSV file) and writes it only if every row is good:
/// all-or-nothing.
pub async fn import_roster(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    bytes: &[u8],
    format: RosterFormat,
    progress: &Progress,
) -> Result<ImportOutcome, AppError> {
    actor.require("people:person:import")?;
    progress.begin(Stage::Reading, 1);
    let rows = read_roster_file(bytes, format)?;
    progress.advance(1);
    let source = match format {
        RosterFormat::Workbook => "xlsx",
        RosterFormat::Csv => "csv",
    };
    import_roster_rows(db, actor, lang, &rows, source, progress).await
}

/// Checks the rows of a roster (the header first) and writes them only if every row is good;
/// `source` (`xlsx`, `csv`) is what the audit entry says the roster came as.
pub async fn import_roster_rows(
    db: &Db,
    actor: &Actor,
    lang: Lang,
    rows: &[Vec<String>],
    source: &str,
    progress: &Progress,
) -> Result<ImportOutcome, AppError> {
    actor.require("people:person:import")?;
    let reject = |problems: Vec<RowProblem>| {
        Ok(ImportOutcome::Rejected(ImportReport {
            code: "error.import.rejected".into(),
            message: lang.t("error.import.rejected").to_string(),
            problems,
        }))
    };
    let cols = roster_columns();
    let Some(header) = rows.first() else {
        return reject(vec![RowProblem {
            row: 1,
            column: String::new(),
            message: lang.t("error.import.empty").into(),
        }]);
    };
    // Headers are matched in either language, with or without the required mark.
    let mut position: HashMap<&str, usize> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_end_matches('*').trim();
        for c in &cols {
            let key = header_key(c.field);
            if h == c.field || h == Lang::Zh.t(&key) || h.eq_ignore_ascii_case(Lang::En.t(&key)) {
                position.insert(c.field, i);
            }
        }
    }
    let missing: Vec<RowProblem> = cols
        .iter()
        .filter(|c| c.required && !position.contains_key(c.field))
        .map(|c| RowProblem {
            row: 1,
            column: header_text(lang, c),
            message: lang.t("error.import.missing_column").into(),
        })
        .collect();
    if !missing.is_empty() {
        return reject(missing);
    }
    let data: Vec<(usize, &Vec<String>)> = rows
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| (i + 1, r))
        .collect();
    if data.is_empty() {
        return reject(vec![RowProblem {
            row: 2,
            column: String::new(),
            message: lang.t("error.import.empty").into(),
        }]);
    }
    if data.len() > MOST_ROSTER_ROWS {
        return reject(vec![RowProblem {
            row: 1,
            column: String::new(),
            message: lang.t("error.import.too_many_rows").into(),
        }]);
    }
    let cell = |r: &Vec<String>, field: &str| position.get(field).and_then(|i| r.get(*i)).cloned().unwrap_or_default();
    // Resolve every unit reference once, within the caller's scope.
    let mut refs: Vec<String> = data
        .iter()
        .map(|(_, r)| cell(r, "home_unit").split_whitespace().next().unwrap_or("").to_string())
        .filter(|s| !s.is_empty())
        .collect();
    refs.sort();
    refs.dedup();
    let codes: Vec<String> = refs.iter().filter(|r| !r.starts_with('#')).cloned().collect();
    let mut unit_ids: HashMap<String, i64> = HashMap::new();
    for u in units::by_codes(db, &actor.scope, &codes).await? {
        if !u.closed {
            unit_ids.insert(unit_ref(&u), u.id);
        }
    }
    for r in refs.iter().filter(|r| r.starts_with('#')) {
        if let Ok(id) = r[1..].parse::<i64>()
            && let Ok(u) = units::get(db, &actor.scope, id).await
            && !u.closed
        {
            unit_ids.insert(r.clone(), u.id);
        }
    }
    let today = crate::today();
    let mut problems = Vec::new();
    let mut good = Vec::new();
    let mut seen: std::collections::HashSet<(String, String)> = std::collections::HashSet::new();
    let label_of =
        |field: &str| cols.iter().find(|c| c.field == field).map(|c| header_text(lang, c)).unwrap_or_default();
    // A coded cell may hold the code or its label in either language (English in any case).
    let mut codes_by_text: HashMap<&str, HashMap<String, &str>> = HashMap::new();
    for col in &cols {
        if let Some((prefix, codes)) = &col.codes {
            let map = codes_by_text.entry(col.field).or_default();
            for code in codes {
                map.insert(code.to_string(), code);
                map.insert(Lang::Zh.code_label(prefix, code).to_string(), code);
                map.insert(Lang::En.code_label(prefix, code).to_lowercase(), code);
            }
        }
    }
    progress.begin(Stage::Checking, data.len() as u64);
    for (row_no, r) in &data {
        progress.advance(1);
        let coded = |field: &str| -> Result<String, ()> {
            let v = cell(r, field);
            let v = v.trim();
            if v.is_empty() {
                return Ok(String::new());
            }
            let Some(map) = codes_by_text.get(field) else { return Ok(v.to_string()) };
            map.get(v).or_else(|| map.get(&v.to_lowercase())).map(|c| c.to_string()).ok_or(())
        };
        let mut row_problems: Vec<FieldError> = Vec::new();
        let coded_value = |field: &str, problems: &mut Vec<FieldError>| match coded(field) {
            Ok(v) => v,
            Err(()) => {
                problems.push(FieldError::new(field, "error.import.not_in_list"));
                String::new()
            }
        };
        let category = coded_value("category", &mut row_problems);
        let party_status = coded_value("party_status", &mut row_problems);
        let rank = coded_value("rank", &mut row_problems);
        let input = PersonInput {
            name: cell(r, "name"),
            category: if row_problems.iter().any(|p| p.field == "category") { "?".into() } else { category },
            party_status,
            rank,
            specialties: cell(r, "specialties"),
            birthday: cell(r, "birthday"),
            phone: cell(r, "phone"),
        };
        let unit_text = cell(r, "home_unit");
        let unit_token = unit_text.split_whitespace().next().unwrap_or("").to_string();
        let unit_id = unit_ids.get(&unit_token).copied();
        if unit_token.is_empty() {
            row_problems.push(FieldError::new("home_unit", "error.required"));
        } else if unit_id.is_none() {
            row_problems.push(FieldError::new("home_unit", "error.import.unknown_unit"));
        }
        match input.validate(today) {
            Ok(valid) => {
                let key = (valid.name.clone(), valid.phone.clone().unwrap_or_default());
                if !seen.insert(key) {
                    row_problems.push(FieldError::new("name", "error.import.duplicate_row"));
                }
                if let Some(uid) = unit_id {
                    good.push((*row_no, uid, valid));
                }
            }
            Err(errs) => {
                // A category already reported as not in the list is not reported twice.
                let category_reported = row_problems.iter().any(|p| p.field == "category");
                row_problems.extend(errs.into_iter().filter(|e| !(e.field == "category" && category_reported)));
            }
        }
        for p in row_problems {
            problems.push(RowProblem {
                row: *row_no,
                column: label_of(&p.field),
                message: lang.t(&p.code).to_string(),
            });
        }
    }
    // A row that is already in the database (same name and phone in the same home unit) would be
    // a duplicate import.
    if problems.is_empty() {
        let mut units: Vec<i64> = good.iter().map(|(_, uid, _)| *uid).collect();
        units.sort_unstable();
        units.dedup();
        let existing = people::names_and_phones_in(db, &units).await?;
        for (row_no, uid, p) in &good {
            if existing.contains(&(*uid, p.name.clone(), p.phone.clone())) {
                problems.push(RowProblem {
                    row: *row_no,
                    column: label_of("name"),
                    message: lang.t("error.import.already_exists").into(),
                });
            }
        }
    }
    if !problems.is_empty() {
        problems.sort_by_key(|p| p.row);
        return reject(problems);
    }
    let rows: Vec<(i64, frontline_core::people::ValidPerson)> = good.into_iter().map(|(_, u, p)| (u, p)).collect();
    let n = people::import(db, actor, &rows, source, progress).await?;
    Ok(ImportOutcome::Imported(n))
}

/// The people list as the user sees it (filters and scope applied, phones masked), as a workbook.
pub async fn export_people(db: &Db, actor: &Actor, lang: Lang, q: &PersonQuery) -> Result<Vec<u8>, AppError> {
    actor.require("people:person:export")?;
    let headers: Vec<String> =
        ["name", "category", "party_status", "rank", "specialties", "birthday", "phone", "home_unit"]
            .iter()
            .map(|f| lang.t(&header_key(f)).to_string())
            .collect();
    let rows: Vec<Vec<String>> = people::list_all(db, &actor.scope, q, 200_000)
        .await?
        .into_iter()
        .map(|v| {
            vec![
                v.name,
                lang.code_label("person.category", &v.category).to_string(),
                lang.code_label("person.party_status", &v.party_status).to_string(),
                lang.code_label("person.rank", &v.rank).to_string(),
                v.specialties.unwrap_or_default(),
                v.birthday.map(|b| b.to_string()).unwrap_or_default(),
                v.phone.unwrap_or_default(),
                v.home_unit_name,
            ]
        })
        .collect();
    Ok(frontline_reports::export_table(lang.t("sheet.people"), &headers, &rows)?)
}

/// A new account as typed in a form or an API call.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
pub struct UserInput {
    #[schema(pattern = r"^[A-Za-z0-9_.-]{3,32}$")]
    pub username: String,
    #[schema(min_length = 1, max_length = 32)]
    pub display_name: String,
    #[schema(min_length = 10)]
    pub password: String,
    pub person_id: Option<i64>,
    #[serde(default)]
    pub role_ids: Vec<i64>,
}

pub async fn create_user(db: &Db, actor: &Actor, input: &UserInput) -> Result<i64, AppError> {
    actor.require("system:user:add")?;
    let mut errs = Vec::new();
    if let Err(e) = frontline_core::access::validate_username(&input.username) {
        errs.push(e);
    }
    if let Err(e) = frontline_core::access::validate_password(&input.password, input.username.trim()) {
        errs.push(e);
    }
    if !errs.is_empty() {
        return Err(DomainError::Invalid(errs).into());
    }
    let u = access::NewUser {
        username: input.username.trim().to_string(),
        display_name: input.display_name.clone(),
        password_hash: hash_password(&input.password)?,
        person_id: input.person_id,
        role_ids: input.role_ids.clone(),
        // The holder chooses their own password at the first login.
        must_change_password: true,
    };
    Ok(access::create_user(db, actor, &u).await?)
}

pub async fn change_password(
    db: &Db,
    actor: &Actor,
    user_id: i64,
    username: &str,
    password: &str,
) -> Result<(), AppError> {
    frontline_core::access::validate_password(password, username).map_err(|e| DomainError::Invalid(vec![e]))?;
    Ok(access::set_password(db, actor, user_id, &hash_password(password)?).await?)
}

/// Issues an API token for a user; the secret is shown once and only its hash is kept.
pub async fn issue_token(db: &Db, actor: &Actor, user_id: i64, name: &str) -> Result<String, AppError> {
    let token = format!("ft_{}", random_token());
    access::create_token(db, actor, user_id, name, &secret_hash(&token)).await?;
    Ok(token)
}

/// A user changes their own password: the current one must be right, the new one must follow the
/// rules (see [`choose_own_password`]). Every session of the account ends, this one included.
pub async fn change_own_password(
    db: &Db,
    actor: &Actor,
    current: &str,
    new: &str,
    repeat: &str,
) -> Result<(), AppError> {
    let user_id = actor.user_id.ok_or(AppError::Unauthorized)?;
    let c = access::credentials_by_id(db, user_id).await?;
    if !crate::auth::verify_password(current, &c.password_hash) {
        return Err(DomainError::invalid("current_password", "error.user.wrong_password").into());
    }
    choose_own_password(db, actor, new, repeat).await
}

/// A user sets a password of their own choosing (after the current one was checked, or at a login
/// whose password must be changed): typed twice the same, following the password rule, and none
/// of the account's last few (the policy says how many, the one in use counted). Every session
/// of the account ends.
pub async fn choose_own_password(db: &Db, actor: &Actor, new: &str, repeat: &str) -> Result<(), AppError> {
    let user_id = actor.user_id.ok_or(AppError::Unauthorized)?;
    if new != repeat {
        return Err(DomainError::invalid("repeat_password", "error.user.passwords_differ").into());
    }
    let c = access::credentials_by_id(db, user_id).await?;
    frontline_core::access::validate_password(new, &c.username)
        .map_err(|_| DomainError::invalid("new_password", "error.user.weak_password"))?;
    let recent = frontline_db::security::recent_password_hashes(db, user_id).await?;
    if recent.iter().any(|hash| crate::auth::verify_password(new, hash)) {
        return Err(DomainError::invalid("new_password", "error.user.password_reused").into());
    }
    Ok(access::set_password(db, actor, user_id, &hash_password(new)?).await?)
}
