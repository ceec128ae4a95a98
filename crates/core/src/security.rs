//! The install's security settings as the security administrator sets them (issue 29, 等保 2.0
//! level 3, 身份鉴别): how long a password lasts and how many earlier ones may not come back; and
//! the rule that says when a login must change its password first. Plain rules, no storage.

use chrono::{DateTime, Duration, Utc};

use crate::error::FieldError;

/// The password policy: a password older than `max_age_days` must be changed at the next login
/// (0: passwords do not age), and a new one may not be any of the last `history` (the one in use
/// counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct PasswordPolicy {
    #[schema(minimum = 0, maximum = 365)]
    pub max_age_days: u32,
    #[schema(minimum = 1, maximum = 24)]
    pub history: u32,
}

impl Default for PasswordPolicy {
    /// 90 days and the last five, the values 等保 assessors usually ask for.
    fn default() -> Self {
        PasswordPolicy { max_age_days: 90, history: 5 }
    }
}

/// The longest a password may be set to last, and the most earlier passwords remembered.
pub const MAX_AGE_DAYS_LIMIT: u32 = 365;
pub const HISTORY_LIMIT: u32 = 24;

impl PasswordPolicy {
    /// Checks the values an administrator typed.
    pub fn validate(self) -> Result<PasswordPolicy, Vec<FieldError>> {
        let mut errs = Vec::new();
        if self.max_age_days > MAX_AGE_DAYS_LIMIT {
            errs.push(FieldError::new("max_age_days", "error.security.max_age_range"));
        }
        if self.history == 0 || self.history > HISTORY_LIMIT {
            errs.push(FieldError::new("history", "error.security.history_range"));
        }
        if errs.is_empty() { Ok(self) } else { Err(errs) }
    }

    /// When a password set at `changed_at` must be changed; `None` when passwords do not age.
    pub fn expires_at(self, changed_at: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (self.max_age_days > 0).then(|| changed_at + Duration::days(i64::from(self.max_age_days)))
    }
}

/// Why a login must change its password before anything else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeReason {
    /// Someone else set it (a new account, or an administrator's reset): only its holder should
    /// know the password they use.
    SetByAnother,
    /// Older than the policy allows.
    Expired,
}

impl ChangeReason {
    /// The message key that tells the user why.
    pub fn message_key(self) -> &'static str {
        match self {
            ChangeReason::SetByAnother => "password_change.reason.set_by_another",
            ChangeReason::Expired => "password_change.reason.expired",
        }
    }
}

/// Whether a password must be changed now: set by another, or past its age. A password with no
/// known date (none is written without one since migration 24) does not age.
pub fn change_due(
    policy: PasswordPolicy,
    changed_at: Option<DateTime<Utc>>,
    set_by_another: bool,
    now: DateTime<Utc>,
) -> Option<ChangeReason> {
    if set_by_another {
        return Some(ChangeReason::SetByAnother);
    }
    match changed_at.and_then(|at| policy.expires_at(at)) {
        Some(expiry) if expiry <= now => Some(ChangeReason::Expired),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(day: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, day, 8, 0, 0).single().expect("a real date")
    }

    #[test]
    fn a_password_ages_on_its_last_day_and_not_before() {
        let policy = PasswordPolicy { max_age_days: 10, history: 5 };
        assert_eq!(change_due(policy, Some(at(1)), false, at(10)), None);
        assert_eq!(change_due(policy, Some(at(1)), false, at(11)), Some(ChangeReason::Expired));
        assert_eq!(change_due(policy, Some(at(1)), true, at(2)), Some(ChangeReason::SetByAnother));
        let never = PasswordPolicy { max_age_days: 0, history: 5 };
        assert_eq!(change_due(never, Some(at(1)), false, at(31)), None);
        assert_eq!(change_due(policy, None, false, at(31)), None);
    }

    #[test]
    fn out_of_range_values_are_refused_by_name() {
        let errs = PasswordPolicy { max_age_days: 400, history: 0 }.validate().expect_err("both wrong");
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["max_age_days", "history"]);
        assert!(PasswordPolicy::default().validate().is_ok());
    }
}
