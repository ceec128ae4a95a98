//! One error type for every handler. Its code is a message-catalogue key, so the answer is in
//! the user's language: JSON `{code, message, fields}` for the API, a readable fragment for the UI.
//! Internal details are logged, never shown.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use frontline_core::{DomainError, FieldError};
use frontline_db::DbError;
use serde::Serialize;

use crate::i18n::Lang;

#[derive(Debug)]
pub enum AppError {
    Domain(DomainError),
    /// Not logged in, or the token is unknown.
    Unauthorized,
    /// A request the server cannot read (bad JSON, bad id in the path), with its catalogue code.
    BadRequest(&'static str, String),
    /// The CSRF token is missing or stale.
    Csrf,
    /// Too many login attempts from one address; try again in a minute.
    TooManyAttempts,
    /// Something broke inside; the detail goes to the log only.
    Internal(String),
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Domain(d) => AppError::Domain(d),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        AppError::Domain(DomainError::Invalid(vec![e]))
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        AppError::Domain(e)
    }
}

impl From<frontline_reports::ReportError> for AppError {
    fn from(e: frontline_reports::ReportError) -> Self {
        match e {
            frontline_reports::ReportError::Write(w) => AppError::Internal(w.to_string()),
            _ => AppError::BadRequest("error.import.unreadable", e.to_string()),
        }
    }
}

/// The JSON body of an error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldMessage>,
    /// The id of the request (also in the `X-Request-Id` header), to quote when reporting it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

/// One field's problem, translated.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FieldMessage {
    pub field: String,
    pub code: String,
    pub message: String,
}

/// Field problems that say the input names an object that does not exist or lies outside the
/// caller's units (a person, a unit, a post, a category…), as opposed to a value that is wrong in
/// itself.
const MISSING_OBJECT_CODES: &[&str] = &[
    "error.not_found",
    "error.account.unknown_source",
    "error.honour.unknown_nomination",
    "error.inspect.unknown_finding",
    "error.inspect.unknown_person",
    "error.inspect.unknown_team",
    "error.inspect.unknown_unit",
    "error.inspect.unknown_visit",
    "error.link.unknown_unit",
    "error.meeting.unknown_owner",
    "error.order.unknown_category",
    "error.order.unknown_enterprise",
    "error.order.unknown_original",
    "error.order.unknown_place",
    "error.pairing.unknown_fixed",
    "error.person.unknown_unit",
    "error.post.unknown_person",
    "error.role.unit_not_yours",
    "error.survey.unknown_form",
    "error.task.unknown_item",
    "error.user.unknown_role",
];

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Domain(DomainError::Invalid(_)) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Domain(DomainError::NotFound) => StatusCode::NOT_FOUND,
            AppError::Domain(DomainError::Forbidden(_)) => StatusCode::FORBIDDEN,
            AppError::Domain(DomainError::Conflict(_)) => StatusCode::CONFLICT,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::BadRequest(..) => StatusCode::BAD_REQUEST,
            AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::TooManyAttempts => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &str {
        match self {
            AppError::Domain(d) => d.code(),
            AppError::Unauthorized => "error.unauthorized",
            AppError::BadRequest(code, _) => code,
            AppError::Csrf => "error.csrf",
            AppError::TooManyAttempts => "error.login.too_many",
            AppError::Internal(_) => "error.internal",
        }
    }

    /// The fields the error is about: a domain validation's, or the one field a malformed body or
    /// query names (a missing field, a wrong type, a body that is not an object).
    pub fn fields(&self) -> Vec<FieldError> {
        match self {
            AppError::Domain(DomainError::Invalid(f)) => f.clone(),
            AppError::BadRequest("error.bad_json" | "error.bad_query", detail) => {
                field_of_rejection(detail).into_iter().collect()
            }
            _ => Vec::new(),
        }
    }

    /// The error as JSON in the given language.
    pub fn body(&self, lang: Lang) -> ErrorBody {
        if let AppError::Internal(detail) = self {
            tracing::error!(%detail, "internal error");
        }
        ErrorBody {
            code: self.code().to_string(),
            message: lang.t(self.code()).to_string(),
            fields: self
                .fields()
                .into_iter()
                .map(|f| FieldMessage {
                    message: format!("{}: {}", field_label(lang, &f.field), lang.t(&f.code)),
                    field: f.field,
                    code: f.code,
                })
                .collect(),
            request_id: crate::request_id::current(),
        }
    }

    /// The error as JSON, for API routes. Input whose only problem is that it names objects that
    /// do not exist, or lie outside the caller's units, answers 404 as a missing id in the path
    /// does (JSON:API's rule for a request that references a related resource that does not
    /// exist); `fields` still says which.
    pub fn into_json(self, lang: Lang) -> Response {
        let names_only_missing_objects = matches!(&self, AppError::Domain(DomainError::Invalid(fields))
            if !fields.is_empty() && fields.iter().all(|f| MISSING_OBJECT_CODES.contains(&f.code.as_str())));
        let status = if names_only_missing_objects { StatusCode::NOT_FOUND } else { self.status() };
        (status, Json(self.body(lang))).into_response()
    }

    /// The error as an HTML fragment, for UI routes (htmx swaps it into the page or dialog).
    pub fn into_html(self, lang: Lang) -> Response {
        let status = self.status();
        let body = self.body(lang);
        let mut html =
            format!("<div class=\"alert alert-error\" role=\"alert\"><strong>{}</strong>", esc(&body.message));
        if !body.fields.is_empty() {
            html.push_str("<ul>");
            for f in &body.fields {
                html.push_str(&format!("<li data-field=\"{}\">{}</li>", esc(&f.field), esc(&f.message)));
            }
            html.push_str("</ul>");
        }
        // A server error names its request, for the user to quote and the administrator to find.
        if status.is_server_error()
            && let Some(id) = &body.request_id
        {
            html.push_str(&format!(
                "<p class=\"request-id\">{} <code>{}</code></p>",
                esc(lang.t("error.request_id")),
                esc(id)
            ));
        }
        html.push_str("</div>");
        let mut resp = (status, Html(html)).into_response();
        if status == StatusCode::UNAUTHORIZED
            && let Ok(v) = axum::http::HeaderValue::from_str("/login")
        {
            resp.headers_mut().insert("HX-Redirect", v);
        }
        resp
    }
}

/// Without a known language (extractor rejections) errors answer in Chinese, the default.
impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        self.into_json(Lang::Zh)
    }
}

/// Escapes text for HTML.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// A field's label; a path into a document (`definition.indicators[2].formula`) keeps its path
/// after the label of the document (`方案定义 indicators[2].formula`).
/// The field a deserializer's complaint names, from its text (axum's JSON rejection carries the
/// path serde_path_to_error found, e.g. `hours: invalid type: string "x", expected i64`).
fn field_of_rejection(detail: &str) -> Option<FieldError> {
    let rest = detail.split_once("target type: ").or_else(|| detail.split_once("query string: "))?.1;
    if let Some(after) = rest.split("missing field `").nth(1) {
        let field = after.split('`').next()?;
        return Some(FieldError::new(field, "error.required"));
    }
    if rest.starts_with("invalid type: sequence")
        || rest.starts_with("invalid type: ") && rest.contains("expected struct")
    {
        return Some(FieldError::new("request", "error.bad_body_shape"));
    }
    let (path, complaint) = rest.split_once(": ")?;
    if path.starts_with('[') {
        // An array where the object belongs (serde reads a struct's fields from a sequence too).
        return Some(FieldError::new("request", "error.bad_body_shape"));
    }
    let is_path = !path.is_empty() && path.chars().all(|c| c.is_alphanumeric() || "_.[]".contains(c));
    (is_path && (complaint.starts_with("invalid") || complaint.starts_with("unknown variant")))
        .then(|| FieldError::new(path, "error.bad_type"))
}

fn field_label(lang: Lang, field: &str) -> String {
    let key = format!("field.{field}");
    let label = lang.t(&key);
    if label != key {
        return label.to_string();
    }
    if let Some((head, rest)) = field.split_once('.') {
        let key = format!("field.{head}");
        let label = lang.t(&key);
        if label != key {
            return format!("{label} {rest}");
        }
    }
    field.to_string()
}
