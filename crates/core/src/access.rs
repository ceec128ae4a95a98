//! Who may do what, and over which units.
//!
//! Permissions are strings `area:object:action` (RuoYi style), `*` matching any part. Data scopes
//! say which units a role reaches. The rule for a user with several roles and several postings:
//!
//! * every role contributes its scope, and the user sees the **union** of all of them;
//! * `own_unit` and `own_unit_and_below` are taken relative to **each** unit the user's person is
//!   attached to: the home unit (编制) and every current posting (下沉/驻村/包村);
//! * `listed` means the role's listed units and everything below them;
//! * `self_only` reaches the user's own person record and (read-only) their own units.
//!
//! A scope is resolved once per request into a [`Scope`] of subtree roots and single units; the
//! data layer turns it into an SQL condition on every query.

use serde::{Deserialize, Serialize};

use crate::error::FieldError;
use crate::units::is_within;

/// A data scope as configured on a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataScope {
    All,
    Listed,
    OwnUnit,
    OwnUnitAndBelow,
    SelfOnly,
}

impl DataScope {
    pub const ALL: [DataScope; 5] =
        [DataScope::All, DataScope::Listed, DataScope::OwnUnit, DataScope::OwnUnitAndBelow, DataScope::SelfOnly];

    pub fn as_str(self) -> &'static str {
        match self {
            DataScope::All => "all",
            DataScope::Listed => "listed",
            DataScope::OwnUnit => "own_unit",
            DataScope::OwnUnitAndBelow => "own_unit_and_below",
            DataScope::SelfOnly => "self_only",
        }
    }

    pub fn parse(s: &str) -> Option<DataScope> {
        DataScope::ALL.into_iter().find(|d| d.as_str() == s)
    }
}

/// Every permission the product checks. A role holds any subset; `*:*:*` is all of them.
pub const PERMISSIONS: &[&str] = &[
    "units:unit:list",
    "units:unit:add",
    "units:unit:edit",
    "units:unit:remove",
    "people:person:list",
    "people:person:add",
    "people:person:edit",
    "people:person:import",
    "people:person:export",
    "people:post:list",
    "people:post:add",
    "people:post:edit",
    "duty:link:list",
    "duty:link:add",
    "duty:link:edit",
    "duty:pairing:run",
    "duty:role:list",
    "duty:role:edit",
    "duty:role:claim",
    "duty:role:approve",
    "duty:deploy:list",
    "duty:deploy:add",
    "duty:deploy:edit",
    "work:task:list",
    "work:task:sign",
    "work:task:verify",
    "work:task:edit",
    "work:roster:list",
    "work:roster:edit",
    "work:roster:check",
    "work:survey:list",
    "work:survey:fill",
    "work:survey:edit",
    "work:meeting:list",
    "work:meeting:edit",
    "work:meeting:answer",
    "work:life:list",
    "work:life:record",
    "work:life:checkin",
    "order:request:list",
    "order:request:intake",
    "order:request:dispatch",
    "order:request:handle",
    "order:setting:edit",
    "inspect:round:list",
    "inspect:round:edit",
    "inspect:visit:log",
    "inspect:finding:list",
    "inspect:finding:rectify",
    "inspect:finding:decide",
    "inspect:notice:edit",
    "inspect:burden:list",
    "account:action:list",
    "account:action:edit",
    "account:review:decide",
    "judge:scheme:list",
    "judge:scheme:edit",
    "judge:score:list",
    "judge:score:publish",
    "judge:laggard:list",
    "judge:laggard:edit",
    "judge:laggard:report",
    "judge:weak:list",
    "judge:weak:decide",
    "judge:weak:report",
    "judge:note:edit",
    "judge:record:correct",
    "judge:appraisal:list",
    "judge:appraisal:edit",
    "judge:review:list",
    "judge:review:edit",
    "judge:review:rate",
    "honour:commend:list",
    "honour:commend:edit",
    "honour:deed:list",
    "honour:deed:edit",
    "honour:deed:publish",
    "honour:selection:list",
    "honour:selection:edit",
    "honour:selection:nominate",
    "honour:selection:vote",
    "honour:care:list",
    "honour:care:edit",
    "report:bulletin:list",
    "report:dashboard:view",
    "system:user:list",
    "system:user:add",
    "system:user:edit",
    "system:role:list",
    "system:role:add",
    "system:role:edit",
    "system:audit:list",
    "system:setting:edit",
    "system:security:list",
    "system:security:edit",
];

/// Whether a granted pattern (`people:*:list`, `*:*:*`) covers a required permission.
pub fn permission_matches(granted: &str, required: &str) -> bool {
    let g: Vec<&str> = granted.split(':').collect();
    let r: Vec<&str> = required.split(':').collect();
    g.len() == r.len() && g.iter().zip(&r).all(|(a, b)| *a == "*" || a == b)
}

pub fn validate_permission(p: &str) -> Result<String, FieldError> {
    let p = p.trim();
    if p == "*:*:*" || PERMISSIONS.contains(&p) {
        return Ok(p.to_string());
    }
    if PERMISSIONS.iter().any(|known| permission_matches(p, known)) && p.split(':').count() == 3 {
        return Ok(p.to_string());
    }
    Err(FieldError::new("permissions", "error.role.bad_permission"))
}

/// The units a request may reach, resolved from the caller's roles and postings.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Scope {
    /// Everything, everywhere.
    pub all: bool,
    /// Paths of subtree roots (each includes its root).
    pub subtrees: Vec<String>,
    /// Paths of single units reached without their descendants.
    pub units: Vec<String>,
    /// The caller's own person, reachable under `self_only`.
    pub person_id: Option<i64>,
}

impl Scope {
    pub fn everything() -> Self {
        Scope { all: true, ..Default::default() }
    }

    pub fn nothing() -> Self {
        Scope::default()
    }

    /// Whether the unit at `path` is in scope.
    pub fn reaches(&self, path: &str) -> bool {
        self.all || self.subtrees.iter().any(|root| is_within(path, root)) || self.units.iter().any(|u| u == path)
    }

    /// Whether the whole subtree under the unit at `path` is in scope (not only the unit itself).
    pub fn reaches_subtree(&self, path: &str) -> bool {
        self.all || self.subtrees.iter().any(|root| is_within(path, root))
    }

    /// Whether the unit at `path` is in scope or above something in scope: notices from above (a
    /// county's selection) are seen by the levels below.
    pub fn reaches_or_is_above(&self, path: &str) -> bool {
        self.reaches(path) || self.subtrees.iter().chain(&self.units).any(|mine| is_within(mine, path))
    }

    /// Drops subtree roots contained in other roots and single units already covered, so the SQL
    /// condition stays short.
    pub fn normalise(mut self) -> Self {
        if self.all {
            return Scope { all: true, subtrees: vec![], units: vec![], person_id: self.person_id };
        }
        self.subtrees.sort();
        self.subtrees.dedup();
        let roots: Vec<String> = self
            .subtrees
            .iter()
            .filter(|p| !self.subtrees.iter().any(|q| q != *p && is_within(p, q)))
            .cloned()
            .collect();
        let mut units: Vec<String> =
            self.units.into_iter().filter(|u| !roots.iter().any(|r| is_within(u, r))).collect();
        units.sort();
        units.dedup();
        Scope { all: false, subtrees: roots, units, person_id: self.person_id }
    }
}

/// One role of a user, as far as scope resolution needs it.
#[derive(Debug, Clone)]
pub struct RoleScope {
    pub data_scope: DataScope,
    /// Paths of the role's listed units (used by `listed`).
    pub listed_paths: Vec<String>,
}

/// Resolves the union scope of a user from their roles and the paths of the units their person
/// is attached to (home unit and current postings).
pub fn resolve_scope(roles: &[RoleScope], attached_paths: &[String], person_id: Option<i64>) -> Scope {
    let mut s = Scope { person_id, ..Default::default() };
    for role in roles {
        match role.data_scope {
            DataScope::All => s.all = true,
            DataScope::Listed => s.subtrees.extend(role.listed_paths.iter().cloned()),
            DataScope::OwnUnit => s.units.extend(attached_paths.iter().cloned()),
            DataScope::SelfOnly => {}
            DataScope::OwnUnitAndBelow => s.subtrees.extend(attached_paths.iter().cloned()),
        }
    }
    s.normalise()
}

/// Login names: 3–32 characters of letters, digits, `_`, `.`, `-`.
pub fn validate_username(s: &str) -> Result<String, FieldError> {
    let v = s.trim();
    let ok_chars = v.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !(3..=32).contains(&v.len()) || !ok_chars {
        return Err(FieldError::new("username", "error.user.bad_username"));
    }
    Ok(v.to_string())
}

/// Password rule: at least 10 characters, with a letter and a digit, not containing the username.
pub fn validate_password(password: &str, username: &str) -> Result<(), FieldError> {
    let long_enough = password.chars().count() >= 10 && password.chars().count() <= 128;
    let has_letter = password.chars().any(|c| c.is_alphabetic());
    let has_digit = password.chars().any(|c| c.is_ascii_digit());
    let mentions_name = !username.is_empty() && password.to_lowercase().contains(&username.to_lowercase());
    if !long_enough || !has_letter || !has_digit || mentions_name {
        return Err(FieldError::new("password", "error.user.weak_password"));
    }
    Ok(())
}

/// Lockout: after this many consecutive failures an account is locked for [`LOCKOUT_MINUTES`].
pub const MAX_FAILED_LOGINS: i64 = 5;
pub const LOCKOUT_MINUTES: i64 = 15;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_match_with_wildcards() {
        assert!(permission_matches("*:*:*", "units:unit:list"));
        assert!(permission_matches("people:*:list", "people:post:list"));
        assert!(!permission_matches("people:*:list", "people:post:add"));
        assert!(!permission_matches("units:unit", "units:unit:list"));
        assert!(validate_permission("people:*:list").is_ok());
        assert!(validate_permission("money:bag:take").is_err());
    }

    #[test]
    fn scope_is_the_union_of_roles_and_postings() {
        let roles = vec![
            RoleScope { data_scope: DataScope::OwnUnitAndBelow, listed_paths: vec![] },
            RoleScope { data_scope: DataScope::Listed, listed_paths: vec!["/1/9/".into()] },
        ];
        let attached = vec!["/1/2/".into(), "/1/2/5/".into(), "/1/3/".into()];
        let s = resolve_scope(&roles, &attached, Some(7));
        assert_eq!(s.subtrees, vec!["/1/2/", "/1/3/", "/1/9/"]);
        assert!(s.reaches("/1/2/5/8/"));
        assert!(s.reaches("/1/9/"));
        assert!(!s.reaches("/1/"));
        assert!(!s.reaches("/1/4/"));
    }

    #[test]
    fn own_unit_does_not_reach_below() {
        let roles = vec![RoleScope { data_scope: DataScope::OwnUnit, listed_paths: vec![] }];
        let s = resolve_scope(&roles, &["/1/2/".into()], None);
        assert!(s.reaches("/1/2/"));
        assert!(!s.reaches("/1/2/5/"));
        let all = resolve_scope(&[RoleScope { data_scope: DataScope::All, listed_paths: vec![] }], &[], None);
        assert!(all.reaches("/anything/"));
        assert!(!resolve_scope(&[], &["/1/".into()], None).reaches("/1/"));
        assert!(!s.reaches_subtree("/1/2/"), "the unit, not the units below it");
        assert!(Scope::everything().reaches_subtree("/1/2/"));
        assert!(Scope { subtrees: vec!["/1/".into()], ..Default::default() }.reaches_subtree("/1/2/"));
    }

    #[test]
    fn password_rules() {
        assert!(validate_password("short1", "x").is_err());
        assert!(validate_password("onlyletterslong", "x").is_err());
        assert!(validate_password("zhangsan2026!", "zhangsan").is_err());
        assert!(validate_password("Qiyuan-2026-spring", "zhangsan").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username("qy_secretary").is_ok());
    }
}

/// Who is acting: the identity written to the audit log, the permissions checked by services and
/// the scope applied by the data layer.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub name: String,
    pub ip: String,
    pub scope: Scope,
    pub permissions: Vec<String>,
}

impl Actor {
    /// The system itself (CLI commands run by the operator on the server): everything, everywhere.
    pub fn system(name: &str) -> Actor {
        Actor {
            user_id: None,
            name: name.to_string(),
            ip: "local".to_string(),
            scope: Scope::everything(),
            permissions: vec!["*:*:*".to_string()],
        }
    }

    pub fn can(&self, permission: &str) -> bool {
        self.permissions.iter().any(|g| permission_matches(g, permission))
    }

    pub fn require(&self, permission: &str) -> Result<(), crate::DomainError> {
        if self.can(permission) { Ok(()) } else { Err(crate::DomainError::Forbidden(permission.to_string())) }
    }
}
