//! People, their postings and the posts they hold.
//!
//! A person has one home unit (编制) and any number of current postings (下沉, 驻村, 包村): one
//! person in several units is the normal case. We keep only what a mechanism needs: name, party
//! status, rank, specialties (role-post claims), birthday (care reminders) and a phone (contact,
//! masked in lists). No ID-card number is held at all.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::codes::code_enum;
use crate::error::{FieldError, Problems, optional_text, text};
use crate::time::parse_date;

code_enum!(
    /// What role a person plays in frontline work. Only cadres and party members can be subjects
    /// of assessment or accountability; residents are contacts, never subjects.
    PersonCategory {
        Cadre = "cadre",
        VillageCadre = "village_cadre",
        Member = "member",
        GridWorker = "grid_worker",
        Volunteer = "volunteer",
        Resident = "resident",
    }
);

code_enum!(
    /// 政治面貌, as far as the mechanisms need it.
    PartyStatus {
        Member = "member",
        Probationary = "probationary",
        None = "none",
    }
);

code_enum!(
    /// 职级: enough to tell county leaders, township cadres and village cadres apart.
    Rank {
        CountyLevel = "county_level",
        SectionLevel = "section_level",
        Staff = "staff",
        Village = "village",
        None = "none",
    }
);

code_enum!(
    /// A posting of a person to a unit other than (or besides) their home unit.
    PostingKind {
        Sent = "sent",
        Stationed = "stationed",
        VillageContact = "village_contact",
        Secondment = "secondment",
    }
);

code_enum!(
    /// A post in a unit. Several posts of one kind may exist in a unit (committee members); their
    /// `seq` orders them for succession (004.2).
    PostKind {
        Secretary = "secretary",
        DeputySecretary = "deputy_secretary",
        CommitteeMember = "committee_member",
        Director = "director",
        GridWorker = "grid_worker",
        FirstSecretary = "first_secretary",
        TownshipSecretary = "township_secretary",
        TownshipHead = "township_head",
        CountyLeader = "county_leader",
        DepartmentHead = "department_head",
        Staff = "staff",
    }
);

impl PersonCategory {
    /// Whether assessment and accountability may name this person.
    pub fn may_be_assessed(self, party: PartyStatus) -> bool {
        match self {
            PersonCategory::Cadre | PersonCategory::VillageCadre | PersonCategory::Member => true,
            PersonCategory::GridWorker | PersonCategory::Volunteer => party != PartyStatus::None,
            PersonCategory::Resident => false,
        }
    }

    /// Whether a commendation or a typical deed may name this person: everyone who serves — a grid
    /// worker or volunteer outside the party included — but not a resident (residents are served).
    /// Praise is not accountability: the party rule of `may_be_assessed` does not apply.
    pub fn may_be_honoured(self) -> bool {
        self != PersonCategory::Resident
    }
}

/// Masks a phone number for lists: `13812345678` → `138****5678`.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() < 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..3].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}****{tail}")
}

/// What [`validate_phone`] accepts, for the API document: blank, or 11 digits starting with 1 with
/// spaces or hyphens anywhere, in blanks.
pub const PHONE_PATTERN: &str = r"^[ \t\n\r]*[ -]*(1([ -]*[0-9]){10})?[ -]*[ \t\n\r]*$";

/// A mainland mobile number: 11 digits starting with 1.
pub fn validate_phone(field: &str, s: &str) -> Result<Option<String>, FieldError> {
    let v: String = s.trim().chars().filter(|c| *c != ' ' && *c != '-').collect();
    if v.is_empty() {
        return Ok(None);
    }
    if v.len() == 11 && v.starts_with('1') && v.chars().all(|c| c.is_ascii_digit()) {
        Ok(Some(v))
    } else {
        Err(FieldError::new(field, "error.person.bad_phone"))
    }
}

/// A person as typed into a form, an API call or a roster row.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct PersonInput {
    pub name: String,
    pub category: String,
    #[serde(default)]
    pub party_status: String,
    #[serde(default)]
    pub rank: String,
    #[serde(default)]
    pub specialties: String,
    #[serde(default)]
    pub birthday: String,
    #[serde(default)]
    pub phone: String,
}

/// A validated person, ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidPerson {
    pub name: String,
    pub category: PersonCategory,
    pub party_status: PartyStatus,
    pub rank: Rank,
    pub specialties: Option<String>,
    pub birthday: Option<NaiveDate>,
    pub phone: Option<String>,
}

impl PersonInput {
    /// Validates every field; returns all problems. `today` bounds the birthday.
    pub fn validate(&self, today: NaiveDate) -> Result<ValidPerson, Vec<FieldError>> {
        let mut p = Problems::new();
        let name = p.check(text("name", &self.name, 32));
        let category = PersonCategory::parse(self.category.trim());
        if category.is_none() {
            p.add("category", "error.person.bad_category");
        }
        let party_status = match self.party_status.trim() {
            "" => Some(PartyStatus::None),
            s => PartyStatus::parse(s),
        };
        if party_status.is_none() {
            p.add("party_status", "error.person.bad_party_status");
        }
        let rank = match self.rank.trim() {
            "" => Some(Rank::None),
            s => Rank::parse(s),
        };
        if rank.is_none() {
            p.add("rank", "error.person.bad_rank");
        }
        if category == Some(PersonCategory::Resident) && rank.is_some_and(|r| r != Rank::None) {
            p.add("rank", "error.person.resident_has_no_rank");
        }
        let specialties = p.check(optional_text("specialties", &self.specialties, 100));
        let birthday = p.check(parse_date("birthday", &self.birthday));
        if let Some(Some(b)) = birthday {
            let age_years = today.years_since(b);
            if b > today || age_years.is_none_or(|a| a > 120) {
                p.add("birthday", "error.person.birthday_out_of_range");
            }
        }
        let phone = p.check(validate_phone("phone", &self.phone));
        let problems = p.into_vec();
        match (name, category, party_status, rank, specialties, birthday, phone) {
            (
                Some(name),
                Some(category),
                Some(party_status),
                Some(rank),
                Some(specialties),
                Some(birthday),
                Some(phone),
            ) if problems.is_empty() => {
                Ok(ValidPerson { name, category, party_status, rank, specialties, birthday, phone })
            }
            _ => Err(problems),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap()
    }

    #[test]
    fn masks_phones() {
        assert_eq!(mask_phone("13812345678"), "138****5678");
        assert_eq!(mask_phone("123"), "***");
    }

    #[test]
    fn validates_a_person() {
        let input = PersonInput {
            name: "陈建国".into(),
            category: "member".into(),
            party_status: "member".into(),
            birthday: "1975/3/8".into(),
            phone: "138 1234 5678".into(),
            ..Default::default()
        };
        let v = input.validate(today()).unwrap();
        assert_eq!(v.phone.as_deref(), Some("13812345678"));
        assert_eq!(v.birthday, NaiveDate::from_ymd_opt(1975, 3, 8));
        assert_eq!(v.rank, Rank::None);
    }

    #[test]
    fn reports_every_bad_field() {
        let input = PersonInput {
            name: "".into(),
            category: "king".into(),
            party_status: "x".into(),
            rank: "y".into(),
            birthday: "2030-01-01".into(),
            phone: "12345".into(),
            ..Default::default()
        };
        let errs = input.validate(today()).unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["name", "category", "party_status", "rank", "birthday", "phone"]);
    }

    #[test]
    fn residents_are_never_assessed() {
        assert!(!PersonCategory::Resident.may_be_assessed(PartyStatus::Member));
        assert!(PersonCategory::Member.may_be_assessed(PartyStatus::Member));
        assert!(!PersonCategory::Volunteer.may_be_assessed(PartyStatus::None));
        let resident_with_rank = PersonInput {
            name: "王芳".into(),
            category: "resident".into(),
            rank: "staff".into(),
            ..Default::default()
        };
        assert_eq!(resident_with_rank.validate(today()).unwrap_err()[0].code, "error.person.resident_has_no_rank");
    }
}
