//! The unit tree: county → township → village → village group → grid → household, plus
//! departments, party organisations, enterprises and checkpoints hanging off it.
//!
//! The tree is stored as a materialised path: each unit's `path` is the ids of its ancestors and
//! itself, each id written after its number of digits so that text order is numeric order:
//! `/11/17/242/` for ids 1, 7 and 42. A subtree is then one index range
//! `path >= '/11/17/' AND path < '/11/170'` (the `/` that ends the prefix is replaced by the next
//! byte, `0`), which a B-tree answers in O(log n + k) on either store, and `ORDER BY path` lists a
//! subtree in tree order with siblings in id order. Moving a unit rewrites the paths of its subtree
//! in one statement.

use serde::{Deserialize, Serialize};

use crate::error::{FieldError, Problems, text};

/// What a unit is. The string forms are stored and are also message-catalogue keys (`unit.kind.*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum UnitKind {
    Province,
    Prefecture,
    County,
    Township,
    Village,
    VillageGroup,
    Grid,
    HouseholdGroup,
    Household,
    Department,
    PartyCommittee,
    PartyGeneralBranch,
    PartyBranch,
    PartyGroup,
    TemporaryPartyBranch,
    Enterprise,
    Checkpoint,
}

impl UnitKind {
    pub const ALL: [UnitKind; 17] = [
        UnitKind::Province,
        UnitKind::Prefecture,
        UnitKind::County,
        UnitKind::Township,
        UnitKind::Village,
        UnitKind::VillageGroup,
        UnitKind::Grid,
        UnitKind::HouseholdGroup,
        UnitKind::Household,
        UnitKind::Department,
        UnitKind::PartyCommittee,
        UnitKind::PartyGeneralBranch,
        UnitKind::PartyBranch,
        UnitKind::PartyGroup,
        UnitKind::TemporaryPartyBranch,
        UnitKind::Enterprise,
        UnitKind::Checkpoint,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitKind::Province => "province",
            UnitKind::Prefecture => "prefecture",
            UnitKind::County => "county",
            UnitKind::Township => "township",
            UnitKind::Village => "village",
            UnitKind::VillageGroup => "village_group",
            UnitKind::Grid => "grid",
            UnitKind::HouseholdGroup => "household_group",
            UnitKind::Household => "household",
            UnitKind::Department => "department",
            UnitKind::PartyCommittee => "party_committee",
            UnitKind::PartyGeneralBranch => "party_general_branch",
            UnitKind::PartyBranch => "party_branch",
            UnitKind::PartyGroup => "party_group",
            UnitKind::TemporaryPartyBranch => "temporary_party_branch",
            UnitKind::Enterprise => "enterprise",
            UnitKind::Checkpoint => "checkpoint",
        }
    }

    pub fn parse(s: &str) -> Option<UnitKind> {
        UnitKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Depth in the territorial hierarchy, or `None` for units that hang off it.
    pub fn territorial_rank(self) -> Option<u8> {
        match self {
            UnitKind::Province => Some(0),
            UnitKind::Prefecture => Some(1),
            UnitKind::County => Some(2),
            UnitKind::Township => Some(3),
            UnitKind::Village => Some(4),
            UnitKind::VillageGroup => Some(5),
            UnitKind::Grid => Some(6),
            UnitKind::HouseholdGroup => Some(7),
            UnitKind::Household => Some(8),
            _ => None,
        }
    }

    /// Whether units of this kind group the subjects of a scheme that scores `subject` units in
    /// rankings: only the territorial levels above the subjects (a county's townships and
    /// streets group its villages), never departments, party committees, checkpoints or grids.
    pub fn groups_subjects_of(self, subject: UnitKind) -> bool {
        match (self.territorial_rank(), subject.territorial_rank()) {
            (Some(level), Some(subject)) => level < subject,
            _ => false,
        }
    }

    pub fn is_party_organisation(self) -> bool {
        matches!(
            self,
            UnitKind::PartyCommittee
                | UnitKind::PartyGeneralBranch
                | UnitKind::PartyBranch
                | UnitKind::PartyGroup
                | UnitKind::TemporaryPartyBranch
        )
    }

    /// Whether a unit of this kind may sit directly under a unit of `parent` kind.
    ///
    /// Territorial units go strictly downwards (a village never under a grid); grids may also sit
    /// under a township (functional grids cut across villages). Departments, party organisations,
    /// enterprises and checkpoints hang off any territorial unit above a household; party
    /// organisations nest (党委 → 党总支 → 党支部 → 党小组), and a party group may sit under a grid.
    pub fn may_sit_under(self, parent: UnitKind) -> bool {
        if parent == UnitKind::Household {
            return false;
        }
        match (self.territorial_rank(), parent.territorial_rank()) {
            (Some(child), Some(par)) => child > par,
            (Some(_), None) => false,
            (None, Some(_)) => true,
            (None, None) => {
                (self.is_party_organisation() && parent.is_party_organisation())
                    || (self == UnitKind::Checkpoint && parent == UnitKind::Department)
                    || (self.is_party_organisation() && matches!(parent, UnitKind::Department | UnitKind::Enterprise))
            }
        }
    }
}

/// The tags the seeds use to sort villages for pairing and attention (四联四促, 边境). Stored as
/// their keys; shown through the catalogue (`unit.tag.*`).
pub const UNIT_TAGS: [&str; 11] = [
    "weak",
    "disorderly",
    "poor",
    "industry",
    "border",
    "key",
    // Kinds of organs for the pairing rules (党群机关, 政法部门, 经济部门, 涉农部门).
    "party_mass",
    "legal",
    "economic",
    "agricultural",
    // A grid that is a functional line (复工复产服务, 春耕生产 …) rather than a territory.
    "functional",
];

/// A unit as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unit {
    pub id: i64,
    pub parent_id: Option<i64>,
    pub path: String,
    pub kind: UnitKind,
    pub name: String,
    /// National statistical division code, where the unit has one (12 digits for villages).
    pub code: Option<String>,
    pub tags: Vec<String>,
    pub closed: bool,
}

/// One path segment: the id's digit count (`1`–`9`, then `A`… for longer ids, all sorting after
/// `/` and in length order) followed by the id.
pub fn path_segment(id: i64) -> String {
    let digits = id.to_string();
    let len = digits.len() as u8;
    let mark = if len <= 9 { (b'0' + len) as char } else { (b'A' + len - 10) as char };
    format!("{mark}{digits}")
}

/// The path of a unit given its parent's path.
pub fn child_path(parent_path: Option<&str>, id: i64) -> String {
    format!("{}{}/", parent_path.unwrap_or("/"), path_segment(id))
}

/// The half-open range `[low, high)` of paths that lie in the subtree rooted at `path`
/// (the root included).
pub fn subtree_range(path: &str) -> (String, String) {
    let mut high = path.trim_end_matches('/').to_string();
    high.push('0');
    (path.to_string(), high)
}

/// Whether `path` lies in the subtree rooted at `root_path`.
pub fn is_within(path: &str, root_path: &str) -> bool {
    path.starts_with(root_path)
}

/// The path of the unit above the one at `path` (`None` for a root).
pub fn parent_path(path: &str) -> Option<&str> {
    let trimmed = path.strip_suffix('/')?;
    let cut = trimmed.rfind('/')?;
    (cut > 0).then(|| &path[..=cut])
}

/// Ids on a path, root first.
pub fn path_ids(path: &str) -> Vec<i64> {
    path.split('/').filter(|s| s.len() > 1).filter_map(|s| s[1..].parse().ok()).collect()
}

/// Input for creating or editing a unit, as a user typed it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UnitInput {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub code: String,
    #[serde(default)]
    pub tags: Vec<String>,
}

/// A validated unit input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidUnit {
    pub name: String,
    pub kind: UnitKind,
    pub code: Option<String>,
    pub tags: Vec<String>,
}

pub fn validate_code(code: &str) -> Result<Option<String>, FieldError> {
    let c = code.trim();
    if c.is_empty() {
        return Ok(None);
    }
    if c.len() > 20 || !c.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '-') {
        return Err(FieldError::new("code", "error.unit.bad_code"));
    }
    Ok(Some(c.to_string()))
}

impl UnitInput {
    /// Validates every field and reports all problems at once. `parent_kind` is `None` for a root.
    pub fn validate(&self, parent_kind: Option<UnitKind>) -> Result<ValidUnit, crate::DomainError> {
        let mut p = Problems::new();
        let name = p.check(text("name", &self.name, 64));
        let kind = UnitKind::parse(self.kind.trim());
        if kind.is_none() {
            p.add("kind", "error.unit.bad_kind");
        }
        if let (Some(k), Some(pk)) = (kind, parent_kind)
            && !k.may_sit_under(pk)
        {
            p.add("kind", "error.unit.kind_not_allowed_here");
        }
        let code = p.check(validate_code(&self.code));
        let mut tags: Vec<String> = Vec::new();
        for t in &self.tags {
            let t = t.trim();
            if t.is_empty() {
                continue;
            }
            if !UNIT_TAGS.contains(&t) {
                p.add("tags", "error.unit.bad_tag");
            } else if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
        p.into_result()?;
        match (name, kind, code) {
            (Some(name), Some(kind), Some(code)) => Ok(ValidUnit { name, kind, code, tags }),
            _ => Err(crate::DomainError::invalid("name", "error.invalid")),
        }
    }
}

/// Why a move is refused, if it is: a unit cannot move under itself or its own descendants.
pub fn check_move(unit_path: &str, new_parent_path: &str) -> Result<(), crate::DomainError> {
    if is_within(new_parent_path, unit_path) {
        return Err(crate::DomainError::Conflict("error.unit.move_into_own_subtree".into()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_knows_its_parent() {
        let county = child_path(None, 1);
        let village = child_path(Some(&child_path(Some(&county), 22)), 333);
        assert_eq!(parent_path(&county), None);
        assert_eq!(parent_path(&village), Some(child_path(Some(&county), 22).as_str()));
        assert_eq!(parent_path(&child_path(Some(&county), 22)), Some(county.as_str()));
    }

    #[test]
    fn subtree_range_covers_descendants_only() {
        let (lo, hi) = subtree_range("/1/7/");
        for inside in ["/1/7/", "/1/7/42/", "/1/7/9999/1/"] {
            assert!(inside >= lo.as_str() && inside < hi.as_str(), "{inside}");
        }
        for outside in ["/1/70/", "/1/8/", "/1/", "/1/6/", "/1/79/"] {
            assert!(!(outside >= lo.as_str() && outside < hi.as_str()), "{outside}");
        }
    }

    #[test]
    fn paths_compose() {
        assert_eq!(child_path(None, 1), "/11/");
        assert_eq!(child_path(Some("/11/"), 7), "/11/17/");
        assert_eq!(child_path(Some("/11/"), 42), "/11/242/");
        assert_eq!(path_ids("/11/17/242/"), vec![1, 7, 42]);
        assert_eq!(path_ids(&child_path(Some("/11/"), 12_345_678_901)), vec![1, 12_345_678_901]);
        assert!(is_within("/11/17/242/", "/11/17/"));
        assert!(!is_within("/11/270/", "/11/17/"));
    }

    #[test]
    fn text_order_of_paths_is_tree_order() {
        // Siblings sort by id however many digits they have, and every unit sorts after its
        // parent and before its parent's next sibling.
        let ids = [9_i64, 10, 99, 100, 1_000, 999_999_999, 1_000_000_000, 12_345_678_901];
        let paths: Vec<String> = ids.iter().map(|id| child_path(Some("/11/"), *id)).collect();
        let mut sorted = paths.clone();
        sorted.sort();
        assert_eq!(sorted, paths);
        let parent = child_path(Some("/11/"), 9);
        let child = child_path(Some(&parent), 500);
        let next = child_path(Some("/11/"), 10);
        assert!(parent < child && child < next);
        let (lo, hi) = subtree_range(&parent);
        assert!(child.as_str() >= lo.as_str() && child.as_str() < hi.as_str());
        assert!(!(next.as_str() >= lo.as_str() && next.as_str() < hi.as_str()));
    }

    #[test]
    fn kinds_nest_sensibly() {
        assert!(UnitKind::Village.may_sit_under(UnitKind::Township));
        assert!(!UnitKind::Township.may_sit_under(UnitKind::Village));
        assert!(UnitKind::PartyBranch.may_sit_under(UnitKind::Village));
        assert!(UnitKind::PartyGroup.may_sit_under(UnitKind::PartyBranch));
        assert!(!UnitKind::Grid.may_sit_under(UnitKind::PartyBranch));
        assert!(!UnitKind::Checkpoint.may_sit_under(UnitKind::Household));
        for k in UnitKind::ALL {
            assert_eq!(UnitKind::parse(k.as_str()), Some(k));
        }
    }

    #[test]
    fn unit_input_reports_all_problems() {
        let input = UnitInput { name: "".into(), kind: "castle".into(), code: "x y".into(), tags: vec!["rich".into()] };
        let Err(crate::DomainError::Invalid(errs)) = input.validate(None) else { panic!("expected invalid") };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "kind", "code", "tags"]);
        let ok = UnitInput {
            name: "东山村".into(),
            kind: "village".into(),
            code: "".into(),
            tags: vec!["poor".into(), "poor".into()],
        }
        .validate(Some(UnitKind::Township))
        .unwrap();
        assert_eq!(ok.tags, vec!["poor"]);
        assert!(
            UnitInput { name: "东山村".into(), kind: "village".into(), ..Default::default() }
                .validate(Some(UnitKind::Grid))
                .is_err()
        );
    }

    #[test]
    fn no_move_into_own_subtree() {
        assert!(check_move("/1/7/", "/1/7/42/").is_err());
        assert!(check_move("/1/7/", "/1/7/").is_err());
        assert!(check_move("/1/7/", "/1/8/").is_ok());
    }
}
