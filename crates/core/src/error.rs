//! Domain errors. Every error carries a code that doubles as a message-catalogue key, so the web
//! layer can answer in the user's language without the domain knowing any language.

use serde::Serialize;

/// One problem with one field of an input, e.g. `{field: "name", code: "error.required"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    pub field: String,
    pub code: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: impl Into<String>) -> Self {
        Self { field: field.into(), code: code.into() }
    }
}

/// What can go wrong in a domain operation, independent of how it is stored or served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input is invalid; each field problem is listed.
    #[error("invalid input: {0:?}")]
    Invalid(Vec<FieldError>),
    /// The object does not exist, or exists outside the caller's scope (the two are not told apart).
    #[error("not found")]
    NotFound,
    /// The caller lacks the permission named.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The request conflicts with the current state (a duplicate, a closed unit, a cycle).
    #[error("conflict: {0}")]
    Conflict(String),
}

impl DomainError {
    pub fn invalid(field: &str, code: &str) -> Self {
        Self::Invalid(vec![FieldError::new(field, code)])
    }

    /// The catalogue key that names this error.
    pub fn code(&self) -> &str {
        match self {
            Self::Invalid(_) => "error.invalid",
            Self::NotFound => "error.not_found",
            // A rule that names its reason (`error.…`) says it; a missing permission stays generic.
            Self::Forbidden(reason) if reason.starts_with("error.") => reason,
            Self::Forbidden(_) => "error.forbidden",
            Self::Conflict(code) => code,
        }
    }
}

/// Collects field errors while validating a whole input, so the user sees every problem at once.
#[derive(Debug, Default)]
pub struct Problems(Vec<FieldError>);

impl Problems {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &str) {
        self.0.push(FieldError::new(field, code));
    }

    /// Records the error of a validation result and returns its value if there was none.
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_result(self) -> Result<(), DomainError> {
        if self.0.is_empty() { Ok(()) } else { Err(DomainError::Invalid(self.0)) }
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// Checks a trimmed text field for presence and length (in characters, not bytes).
pub fn text(field: &str, value: &str, max_chars: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::new(field, "error.required"));
    }
    if v.chars().count() > max_chars {
        return Err(FieldError::new(field, "error.too_long"));
    }
    if v.chars().any(|c| c.is_control()) {
        return Err(FieldError::new(field, "error.bad_characters"));
    }
    Ok(v.to_string())
}

/// Like [`text`], but an empty value is allowed and gives `None`.
pub fn optional_text(field: &str, value: &str, max_chars: usize) -> Result<Option<String>, FieldError> {
    if value.trim().is_empty() { Ok(None) } else { text(field, value, max_chars).map(Some) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_counts_characters_not_bytes() {
        assert_eq!(text("n", " 岐元村 ", 3), Ok("岐元村".to_string()));
        assert_eq!(text("n", "岐元村委", 3).unwrap_err().code, "error.too_long");
        assert_eq!(text("n", "  ", 3).unwrap_err().code, "error.required");
        assert_eq!(text("n", "a\u{0}b", 3).unwrap_err().code, "error.bad_characters");
    }

    #[test]
    fn problems_collect_all() {
        let mut p = Problems::new();
        assert_eq!(p.check(text("a", "", 5)), None);
        assert_eq!(p.check(text("b", "ok", 5)), Some("ok".to_string()));
        p.add("c", "error.x");
        let errs = p.into_vec();
        assert_eq!(errs.len(), 2);
        assert_eq!(errs[0].field, "a");
        assert_eq!(errs[1].code, "error.x");
    }
}
