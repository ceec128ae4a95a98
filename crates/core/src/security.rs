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

/// What the self-check reads of an install: its settings as they stand.
#[derive(Debug, Clone)]
pub struct InstallFacts {
    pub password_policy: PasswordPolicy,
    pub idle_minutes: i64,
    pub session_hours: i64,
    pub secure_cookies: bool,
    pub separation_of_duties: bool,
    /// Administrator roles (the superuser and the three) that do not require a second factor.
    pub administrators_without_factor: usize,
    pub audit_sm3: bool,
    pub audit_keep_days: u32,
    pub seal_key_loaded: bool,
}

/// How an item of the self-check stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckState {
    /// The product meets it as set.
    Met,
    /// The product could meet it, and is not set to.
    NotSet,
    /// Outside the product: the operator must see to it.
    Operator,
}

/// One item of the self-check: the GB/T 22239 level-3 (or GB/T 39786) item, how it stands, and
/// the message keys naming the item and saying what to do; `value` is the setting now, if any.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Check {
    /// The standard's clause (e.g. `GB/T 22239 8.1.4.1 a`).
    pub clause: &'static str,
    /// `self_check.<id>`: the item's name; `self_check.<id>.met` / `.not_set` / `.operator`: what it means now.
    pub id: &'static str,
    pub state: CheckState,
    pub value: String,
}

/// The level-3 items this product covers, judged from the install's settings, and the ones its
/// operator must see to outside it.
pub fn self_check(f: &InstallFacts) -> Vec<Check> {
    let judge = |clause, id, met: bool, value: String| Check {
        clause,
        id,
        state: if met { CheckState::Met } else { CheckState::NotSet },
        value,
    };
    let operator = |clause, id| Check { clause, id, state: CheckState::Operator, value: String::new() };
    let p = f.password_policy;
    vec![
        judge(
            "GB/T 22239 8.1.4.1 a",
            "password_policy",
            p.max_age_days > 0 && p.max_age_days <= 180 && p.history >= 5,
            format!("{} / {}", p.max_age_days, p.history),
        ),
        judge(
            "GB/T 22239 8.1.4.1 b",
            "idle_timeout",
            f.idle_minutes <= 30,
            format!("{} / {}", f.idle_minutes, f.session_hours),
        ),
        judge(
            "GB/T 22239 8.1.4.1 d",
            "second_factor",
            f.administrators_without_factor == 0,
            f.administrators_without_factor.to_string(),
        ),
        judge("GB/T 22239 8.1.4.1 c", "secure_transport", f.secure_cookies, f.secure_cookies.to_string()),
        judge(
            "GB/T 22239 8.1.4.2 d",
            "separation_of_duties",
            f.separation_of_duties,
            f.separation_of_duties.to_string(),
        ),
        judge(
            "网络安全法 第二十一条",
            "audit_retention",
            f.audit_keep_days == 0 || f.audit_keep_days >= crate::audit::MIN_RETENTION_DAYS,
            f.audit_keep_days.to_string(),
        ),
        judge(
            "GB/T 39786 应用和数据安全",
            "audit_sm3",
            f.audit_sm3,
            (if f.audit_sm3 { "SM3" } else { "SHA-256" }).to_string(),
        ),
        judge("GB/T 39786 应用和数据安全", "sealed_columns", f.seal_key_loaded, f.seal_key_loaded.to_string()),
        operator("GB/T 22239 8.1.4.1 c", "tls"),
        operator("GB/T 22239 8.1.4.4", "host_hardening"),
        operator("GB/T 22239 8.1.5.4", "central_log"),
        operator("GB/T 22239 8.1.4.9", "offsite_backup"),
        operator("GB/T 39786 密钥管理", "key_custody"),
    ]
}

#[cfg(test)]
mod self_check_tests {
    use super::*;

    fn facts() -> InstallFacts {
        InstallFacts {
            password_policy: PasswordPolicy::default(),
            idle_minutes: 30,
            session_hours: 12,
            secure_cookies: true,
            separation_of_duties: true,
            administrators_without_factor: 0,
            audit_sm3: true,
            audit_keep_days: 0,
            seal_key_loaded: true,
        }
    }

    #[test]
    fn an_install_set_as_level_3_asks_meets_every_product_item_and_leaves_the_operator_s() {
        let checks = self_check(&facts());
        assert!(checks.iter().all(|c| c.state != CheckState::NotSet), "{checks:?}");
        assert!(checks.iter().filter(|c| c.state == CheckState::Operator).count() >= 4);
    }

    #[test]
    fn each_setting_short_of_level_3_is_named() {
        let state = |f: InstallFacts, id: &str| {
            self_check(&f).into_iter().find(|c| c.id == id).map(|c| c.state).expect("an item of that id")
        };
        let mut f = facts();
        f.password_policy.max_age_days = 0;
        assert_eq!(state(f, "password_policy"), CheckState::NotSet);
        let mut f = facts();
        f.idle_minutes = 60;
        assert_eq!(state(f, "idle_timeout"), CheckState::NotSet);
        let mut f = facts();
        f.administrators_without_factor = 1;
        assert_eq!(state(f, "second_factor"), CheckState::NotSet);
        let mut f = facts();
        f.separation_of_duties = false;
        assert_eq!(state(f, "separation_of_duties"), CheckState::NotSet);
        let mut f = facts();
        f.audit_sm3 = false;
        assert_eq!(state(f, "audit_sm3"), CheckState::NotSet);
        let mut f = facts();
        f.seal_key_loaded = false;
        assert_eq!(state(f, "sealed_columns"), CheckState::NotSet);
        let mut f = facts();
        f.secure_cookies = false;
        assert_eq!(state(f, "secure_transport"), CheckState::NotSet);
    }
}
