//! Role posts claimed by specialty (红色八大员, 004.3): a catalogue of roles per village, members
//! claiming one themselves, secretaries approving, and a balance check that finds villages where a
//! role is empty or crowded and suggests who could take it.

use serde::Serialize;

use crate::codes::code_enum;

/// The eight roles of 红色八大员 with the specialties that suit each (keywords matched against a
/// member's specialties). A village starts from this catalogue and may edit it.
pub const RED_EIGHT: [(&str, &str); 8] = [
    ("宣传员", "宣传|文艺|教师"),
    ("信息联络员", "信息联络|信息|电脑"),
    ("隔离监管员", "隔离监管|医疗"),
    ("居家管控劝导员", "劝导|调解"),
    ("民生服务代办员", "代办服务|驾驶"),
    ("突发情况应急员", "应急救援|电工|消防"),
    ("交通卡口管制员", "交通管制|驾驶"),
    ("治安巡查员", "治安巡查|保安"),
];

/// Default number of approved holders a role wants at least and at most.
pub const DEFAULT_MIN: i64 = 1;
pub const DEFAULT_MAX: i64 = 6;

code_enum!(
    /// The state of a claim.
    ClaimStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
        Withdrawn = "withdrawn",
    }
);

/// Whether a person's specialties (free text, `、`/`,`/`|` separated) match a role's keywords.
pub fn matches_specialty(role_keywords: &str, specialties: Option<&str>) -> bool {
    let Some(s) = specialties else { return false };
    role_keywords.split('|').map(str::trim).filter(|k| !k.is_empty()).any(|k| s.contains(k))
}

/// A role post's fill state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Balance {
    Empty,
    Short,
    Balanced,
    Crowded,
}

pub fn balance(approved: i64, min: i64, max: i64) -> Balance {
    if approved == 0 {
        Balance::Empty
    } else if approved < min {
        Balance::Short
    } else if approved > max {
        Balance::Crowded
    } else {
        Balance::Balanced
    }
}

/// Checks a role's holder limits.
pub fn validate_limits(min: i64, max: i64) -> Result<(), crate::DomainError> {
    if !(0..=99).contains(&min) || !(1..=99).contains(&max) || min > max {
        return Err(crate::DomainError::invalid("max_holders", "error.role.bad_limits"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specialties_match_keywords() {
        assert!(matches_specialty("代办服务|驾驶", Some("驾驶、种养殖")));
        assert!(!matches_specialty("代办服务|驾驶", Some("医疗")));
        assert!(!matches_specialty("代办服务", None));
        assert!(!matches_specialty("", Some("驾驶")));
    }

    #[test]
    fn balance_states() {
        assert_eq!(balance(0, 1, 6), Balance::Empty);
        assert_eq!(balance(1, 2, 6), Balance::Short);
        assert_eq!(balance(3, 1, 6), Balance::Balanced);
        assert_eq!(balance(7, 1, 6), Balance::Crowded);
        assert!(validate_limits(3, 2).is_err());
        assert!(validate_limits(1, 6).is_ok());
    }
}
