//! Who answers for what (000.2): typed, dated links from a person to a unit — 包保责任人,
//! 监督督导责任人 and 第一责任人 of a township ("1+1+1"), 包镇, 包村, 包组, 驻企, 联户 (党员中心户),
//! 包卡点 — and the rules the accountability chain and the gap report follow.
//!
//! Periods are half-open: a link or tenure from `start` until `end` covers `start` and every
//! day before `end`, so a successor starting on the day the predecessor ends never overlaps.

use chrono::NaiveDate;

use crate::codes::code_enum;
use crate::error::{Problems, optional_text};
use crate::time::{parse_date, required_date};
use crate::units::UnitKind;

code_enum!(
    /// Kinds of responsibility links.
    LinkKind {
        CountyResponsible = "county_responsible",
        Supervisor = "supervisor",
        FirstResponsible = "first_responsible",
        TownshipContact = "township_contact",
        VillageContact = "village_contact",
        GroupContact = "group_contact",
        EnterpriseContact = "enterprise_contact",
        HouseholdContact = "household_contact",
        CheckpointLead = "checkpoint_lead",
        ResponsibilityArea = "responsibility_area",
        VanguardPost = "vanguard_post",
    }
);

/// The "1+1+1" every township must have (000.2).
pub const TOWNSHIP_TRIPLE: [LinkKind; 3] =
    [LinkKind::CountyResponsible, LinkKind::Supervisor, LinkKind::FirstResponsible];

impl LinkKind {
    /// Whether a link of this kind may point at a unit of `kind`.
    pub fn fits(self, kind: UnitKind) -> bool {
        match self {
            LinkKind::CountyResponsible
            | LinkKind::Supervisor
            | LinkKind::FirstResponsible
            | LinkKind::TownshipContact => kind == UnitKind::Township,
            LinkKind::VillageContact => kind == UnitKind::Village,
            LinkKind::GroupContact => {
                matches!(
                    kind,
                    UnitKind::VillageGroup | UnitKind::Grid | UnitKind::HouseholdGroup | UnitKind::PartyGroup
                )
            }
            LinkKind::EnterpriseContact => kind == UnitKind::Enterprise,
            LinkKind::HouseholdContact => kind == UnitKind::Household,
            LinkKind::CheckpointLead => kind == UnitKind::Checkpoint,
            // 党员责任区 (003.6): households, a group of them, a grid or a stretch of border a
            // member answers for.
            LinkKind::ResponsibilityArea => {
                matches!(kind, UnitKind::Household | UnitKind::HouseholdGroup | UnitKind::Grid | UnitKind::VillageGroup)
            }
            // 党员先锋岗 (003.6): a member's post at a checkpoint, an enterprise or a grid.
            LinkKind::VanguardPost => matches!(kind, UnitKind::Checkpoint | UnitKind::Enterprise | UnitKind::Grid),
        }
    }

    /// Whether only a party member may hold a link of this kind (a member's area or post).
    pub fn for_members(self) -> bool {
        matches!(self, LinkKind::ResponsibilityArea | LinkKind::VanguardPost)
    }
}

/// Whether a period `[start, end)` covers `day`.
pub fn active_on(start: NaiveDate, end: Option<NaiveDate>, day: NaiveDate) -> bool {
    start <= day && end.is_none_or(|e| day < e)
}

/// A link as typed into a form or an API call.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct LinkInput {
    pub kind: String,
    pub person_id: i64,
    pub unit_id: i64,
    /// `YYYY-MM-DD`.
    pub start_date: String,
    /// `YYYY-MM-DD`, or empty for an open link.
    #[serde(default)]
    pub end_date: String,
    #[serde(default)]
    pub note: String,
}

/// A link that passed validation (the unit's kind is checked where the unit is read).
#[derive(Debug, Clone, PartialEq)]
pub struct ValidLink {
    pub kind: LinkKind,
    pub person_id: i64,
    pub unit_id: i64,
    pub start: NaiveDate,
    pub end: Option<NaiveDate>,
    pub note: Option<String>,
}

impl LinkInput {
    pub fn validate(&self) -> Result<ValidLink, crate::DomainError> {
        let mut p = Problems::new();
        let kind = LinkKind::parse(&self.kind);
        if kind.is_none() {
            p.add("kind", "error.link.bad_kind");
        }
        let start = p.check(required_date("start_date", &self.start_date));
        let end = p.check(parse_date("end_date", &self.end_date)).flatten();
        if let (Some(s), Some(e)) = (start, end)
            && e <= s
        {
            p.add("end_date", "error.post.end_before_start");
        }
        let note = p.check(optional_text("note", &self.note, 200)).flatten();
        p.into_result()?;
        match (kind, start) {
            (Some(kind), Some(start)) => {
                Ok(ValidLink { kind, person_id: self.person_id, unit_id: self.unit_id, start, end, note })
            }
            _ => Err(crate::DomainError::invalid("kind", "error.invalid")),
        }
    }
}

/// What a unit lacks, given the kinds of links active on it: a township its "1+1+1", a village
/// its 包村 leader. Other units have no required links.
pub fn missing_links(unit: UnitKind, present: &[LinkKind]) -> Vec<LinkKind> {
    let required: &[LinkKind] = match unit {
        UnitKind::Township => &TOWNSHIP_TRIPLE,
        UnitKind::Village => &[LinkKind::VillageContact],
        _ => &[],
    };
    required.iter().copied().filter(|k| !present.contains(k)).collect()
}

/// How the chain orders the people of one level: those named by links first, in the order the
/// mechanism lists them, then post holders.
pub fn chain_rank(role: &str) -> usize {
    LinkKind::ALL.iter().position(|k| k.as_str() == role).unwrap_or(LinkKind::ALL.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn periods_are_half_open() {
        let (s, e) = (day("2026-02-01"), Some(day("2026-03-01")));
        assert!(!active_on(s, e, day("2026-01-31")));
        assert!(active_on(s, e, day("2026-02-01")));
        assert!(active_on(s, e, day("2026-02-28")));
        assert!(!active_on(s, e, day("2026-03-01")));
        assert!(active_on(s, None, day("2030-01-01")));
    }

    #[test]
    fn links_fit_their_unit_kinds() {
        assert!(LinkKind::VillageContact.fits(UnitKind::Village));
        assert!(!LinkKind::VillageContact.fits(UnitKind::Township));
        assert!(LinkKind::FirstResponsible.fits(UnitKind::Township));
        assert!(LinkKind::GroupContact.fits(UnitKind::Grid));
        assert!(LinkKind::HouseholdContact.fits(UnitKind::Household));
        assert!(!LinkKind::EnterpriseContact.fits(UnitKind::Village));
        assert!(
            LinkKind::ResponsibilityArea.fits(UnitKind::Household) && LinkKind::VanguardPost.fits(UnitKind::Checkpoint)
        );
        assert!(!LinkKind::VanguardPost.fits(UnitKind::Village) && LinkKind::VanguardPost.for_members());
    }

    #[test]
    fn gaps_name_what_is_missing() {
        assert_eq!(
            missing_links(UnitKind::Township, &[LinkKind::FirstResponsible]),
            vec![LinkKind::CountyResponsible, LinkKind::Supervisor]
        );
        assert!(missing_links(UnitKind::Township, &TOWNSHIP_TRIPLE).is_empty());
        assert_eq!(missing_links(UnitKind::Village, &[]), vec![LinkKind::VillageContact]);
        assert!(missing_links(UnitKind::Grid, &[]).is_empty());
    }

    #[test]
    fn link_input_is_validated_whole() {
        let bad = LinkInput {
            kind: "boss".into(),
            start_date: "2026-13-01".into(),
            end_date: "2025-01-01".into(),
            ..Default::default()
        };
        let crate::DomainError::Invalid(errs) = bad.validate().unwrap_err() else { panic!() };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["kind", "start_date"]);
        let bad_end = LinkInput {
            kind: "village_contact".into(),
            start_date: "2026-02-01".into(),
            end_date: "2026-02-01".into(),
            ..Default::default()
        };
        assert!(bad_end.validate().is_err());
        let ok = LinkInput {
            kind: "village_contact".into(),
            person_id: 3,
            unit_id: 4,
            start_date: "2026-02-01".into(),
            ..Default::default()
        };
        let v = ok.validate().unwrap();
        assert_eq!((v.kind, v.end, v.note), (LinkKind::VillageContact, None, None));
        assert!(chain_rank("county_responsible") < chain_rank("secretary"));
    }
}
