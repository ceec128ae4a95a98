//! The message catalogues. Every user-visible string is a key looked up here; Simplified Chinese
//! is the default, English on request. `i18n/zh-CN.json` and `i18n/en.json` must hold the same
//! keys (a test checks, and another checks that every key the code and templates use exists).

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

static ZH: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(include_str!("../i18n/zh-CN.json")));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(include_str!("../i18n/en.json")));

fn load(text: &str) -> HashMap<String, String> {
    // A broken catalogue is caught by the catalogue tests; at run time it degrades to showing keys.
    serde_json::from_str(text).unwrap_or_default()
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The message for `key`, or the key itself if the catalogue lacks it.
    pub fn t(self, key: &str) -> &str {
        let cat = match self {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        cat.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The message for `prefix.value` (`unit.kind.village`), or the value itself.
    pub fn code_label<'a>(self, prefix: &str, value: &'a str) -> &'a str {
        let key = format!("{prefix}.{value}");
        let cat = match self {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        cat.get(&key).map(String::as_str).unwrap_or(value)
    }
}

/// The keys of a catalogue, for the tests that keep catalogues in step.
pub fn catalogue_keys(lang: Lang) -> Vec<String> {
    let cat = match lang {
        Lang::Zh => &*ZH,
        Lang::En => &*EN,
    };
    let mut keys: Vec<String> = cat.keys().cloned().collect();
    keys.sort();
    keys
}

/// Templates' view of the catalogue: `{{ t.get("nav.units") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    /// A standing in words (无数据, 后进, ★★★), for templates.
    pub fn standing(&self, standing: frontline_core::indicators::Standing) -> String {
        crate::ui::indicators::standing_text(standing, self.0)
    }

    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.0.t(key)
    }

    pub fn label<'a>(&self, prefix: &str, value: &'a str) -> &'a str {
        self.0.code_label(prefix, value)
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    /// Role names joined by commas (an account's roles), each read as [`Tr::role_name`] reads a
    /// built-in role still under its original name.
    pub fn role_names(&self, joined: &str) -> String {
        joined
            .split(',')
            .map(|name| {
                // The built-in role (if any) whose original name this is, from the catalogue.
                ZH.iter()
                    .find(|(key, value)| key.starts_with("role.builtin.") && value.as_str() == name)
                    .map(|(key, _)| self.0.t(key).to_string())
                    .unwrap_or_else(|| name.to_string())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A role's name: a built-in role still under the name it was created with reads in the
    /// user's language (`role.builtin.<key>`); a role an install named or renamed keeps its name.
    pub fn role_name<'a>(&self, role_key: &str, name: &'a str) -> std::borrow::Cow<'a, str> {
        let key = format!("role.builtin.{role_key}");
        let original = Lang::Zh.t(&key);
        if original != key && original == name {
            std::borrow::Cow::Owned(self.0.t(&key).to_string())
        } else {
            std::borrow::Cow::Borrowed(name)
        }
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }

    /// A moment as China's wall clock shows it (`2026-12-04 21:51`): stored times are UTC, users
    /// live at UTC+8.
    pub fn when(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&frontline_core::time::china()).format("%Y-%m-%d %H:%M").to_string()
    }

    /// The day of a moment in China (`2026-12-04`).
    pub fn day_of(&self, at: &chrono::DateTime<chrono::Utc>) -> String {
        at.with_timezone(&frontline_core::time::china()).format("%Y-%m-%d").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn files(dir: &Path, ext: &str, out: &mut Vec<std::path::PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                files(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push(p);
            }
        }
    }

    /// Quoted strings in `text` that start with `prefix` and look like keys.
    fn quoted_keys(text: &str, prefix: &str) -> Vec<String> {
        let mut keys = Vec::new();
        let needle = format!("\"{prefix}");
        let mut rest = text;
        while let Some(i) = rest.find(&needle) {
            let after = &rest[i + 1..];
            let end = after.find('"').unwrap_or(0);
            let key = &after[..end];
            if key.chars().all(|c| c.is_ascii_lowercase() || c == '.' || c == '_')
                && key.contains('.')
                && !key.ends_with('.')
            {
                keys.push(key.to_string());
            }
            rest = &after[end.max(1)..];
        }
        keys
    }

    #[test]
    fn catalogues_hold_the_same_keys() {
        let zh = catalogue_keys(Lang::Zh);
        let en = catalogue_keys(Lang::En);
        assert!(zh.len() > 200, "the Chinese catalogue loaded");
        assert_eq!(zh, en);
        for k in &zh {
            assert!(!Lang::Zh.t(k).is_empty() && !Lang::En.t(k).is_empty(), "{k} is empty");
        }
    }

    #[test]
    fn every_key_the_code_uses_is_in_the_catalogue() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut templates = Vec::new();
        files(&root.join("templates"), "html", &mut templates);
        let mut missing = Vec::new();
        let mut checked = 0;
        for f in &templates {
            let text = std::fs::read_to_string(f).unwrap();
            for k in quoted_keys(&text, "") {
                if text.contains(&format!("t.get(\"{k}\")")) {
                    checked += 1;
                    if Lang::Zh.t(&k) == k {
                        missing.push(format!("{}: {k}", f.display()));
                    }
                }
            }
        }
        assert!(checked > 150, "the scan found only {checked} template keys");
        // Error codes anywhere in the domain, the data layer and the web layer.
        let mut sources = Vec::new();
        for dir in ["../core/src", "../db/src", "src"] {
            files(&root.join(dir), "rs", &mut sources);
        }
        for f in &sources {
            let text = std::fs::read_to_string(f).unwrap();
            for prefix in [
                "error.",
                "nav.",
                "field.",
                "hint.",
                "import.",
                "sheet.",
                "unit.add",
                "person.add",
                "person.edit",
                "unit.edit",
                "plan.reason.",
                "pairing.",
            ] {
                for k in quoted_keys(&text, prefix) {
                    checked += 1;
                    let is_test_only = k == "error.x";
                    if !is_test_only && Lang::Zh.t(&k) == k {
                        missing.push(format!("{}: {k}", f.display()));
                    }
                }
            }
        }
        assert!(checked > 300, "the scan found only {checked} keys in all");
        assert!(missing.is_empty(), "keys missing from the catalogue: {missing:#?}");
    }

    #[test]
    fn every_coded_value_has_a_label() {
        use frontline_core::access::{DataScope, PERMISSIONS};
        use frontline_core::people::{PartyStatus, PersonCategory, PostKind, PostingKind, Rank};
        use frontline_core::units::{UNIT_TAGS, UnitKind};
        let mut keys: Vec<String> = Vec::new();
        keys.extend(UnitKind::ALL.iter().map(|k| format!("unit.kind.{}", k.as_str())));
        keys.extend(UNIT_TAGS.iter().map(|k| format!("unit.tag.{k}")));
        keys.extend(PersonCategory::ALL.iter().map(|k| format!("person.category.{}", k.as_str())));
        keys.extend(PartyStatus::ALL.iter().map(|k| format!("person.party_status.{}", k.as_str())));
        keys.extend(Rank::ALL.iter().map(|k| format!("person.rank.{}", k.as_str())));
        keys.extend(PostKind::ALL.iter().map(|k| format!("post.kind.{}", k.as_str())));
        keys.extend(PostingKind::ALL.iter().map(|k| format!("posting.kind.{}", k.as_str())));
        keys.extend(DataScope::ALL.iter().map(|k| format!("scope.{}", k.as_str())));
        keys.extend(PERMISSIONS.iter().map(|k| format!("perm.{k}")));
        keys.extend(frontline_core::audit::SECURITY_ACTIONS.iter().map(|k| format!("audit.event.{k}")));
        // Every item of the self-check, in each state it can be in.
        for met in [true, false] {
            let facts = frontline_core::security::InstallFacts {
                password_policy: frontline_core::security::PasswordPolicy {
                    max_age_days: if met { 90 } else { 0 },
                    history: 5,
                },
                idle_minutes: if met { 30 } else { 60 },
                session_hours: 12,
                secure_cookies: met,
                separation_of_duties: met,
                administrators_without_factor: usize::from(!met),
                audit_sm3: met,
                audit_keep_days: if met { 0 } else { 30 },
                seal_key_loaded: met,
            };
            for c in frontline_core::security::self_check(&facts) {
                let state = match c.state {
                    frontline_core::security::CheckState::Met => "met",
                    frontline_core::security::CheckState::NotSet => "not_set",
                    frontline_core::security::CheckState::Operator => "operator",
                };
                keys.push(format!("self_check.{}", c.id));
                keys.push(format!("self_check.{}.{state}", c.id));
            }
        }
        use frontline_core::{deployment, responsibility, roles, succession};
        keys.extend(responsibility::LinkKind::ALL.iter().map(|k| format!("link.kind.{}", k.as_str())));
        keys.extend(roles::ClaimStatus::ALL.iter().map(|k| format!("claim.status.{}", k.as_str())));
        keys.extend(succession::RemovalReason::ALL.iter().map(|k| format!("removal.reason.{}", k.as_str())));
        keys.extend(succession::Warning::ALL.iter().map(|k| format!("succession.warning.{}", k.as_str())));
        keys.extend(deployment::Purpose::ALL.iter().map(|k| format!("deploy.purpose.{}", k.as_str())));
        keys.extend(deployment::Third::ALL.iter().map(|k| format!("plan.choice.{}", k.as_str())));
        keys.extend(["succession.acting", "succession.vacant"].iter().map(|k| format!("notice.{k}")));
        use frontline_core::orders::{Channel, OrderKind, OrderStatus, Supervision};
        keys.extend(OrderKind::ALL.iter().map(|k| format!("order.kind.{}", k.as_str())));
        keys.extend(Channel::ALL.iter().map(|k| format!("order.channel.{}", k.as_str())));
        keys.extend(OrderStatus::ALL.iter().map(|k| format!("order.status.{}", k.as_str())));
        keys.extend(Supervision::ALL.iter().map(|k| format!("order.card.{}", k.as_str())));
        keys.extend(frontline_core::records::RecordKind::ALL.iter().map(|k| format!("record.kind.{}", k.as_str())));
        use frontline_core::life::{Attendance, Cadence, LifeKind, TakenBy};
        keys.extend(LifeKind::ALL.iter().map(|k| format!("life.kind.{}", k.as_str())));
        keys.extend(Cadence::ALL.iter().map(|k| format!("life.cadence.{}", k.as_str())));
        keys.extend(Attendance::ALL.iter().map(|k| format!("life.attendance.{}", k.as_str())));
        keys.extend(TakenBy::ALL.iter().map(|k| format!("life.taken.{}", k.as_str())));
        use frontline_core::weak::{CaseStatus, Criterion};
        keys.extend(Criterion::ALL.iter().map(|k| format!("weak.criterion.{}", k.as_str())));
        keys.extend(Criterion::ALL.iter().map(|k| format!("weak.reason.{}", k.as_str())));
        keys.extend(CaseStatus::ALL.iter().map(|k| format!("weak.status.{}", k.as_str())));
        keys.extend(
            [
                "receive",
                "dispatch",
                "sign",
                "return",
                "reply",
                "request_extension",
                "approve_extension",
                "refuse_extension",
                "chase",
                "supervise",
                "call_back",
                "link_duplicate",
                "overdue_card",
            ]
            .iter()
            .map(|k| format!("order.step.{k}")),
        );
        keys.extend(["order_dispatched", "order_chased", "order_reopened"].iter().map(|k| format!("notice.{k}")));
        use frontline_core::accountability::{ActionKind, ActionStatus, ReviewKind, ReviewStatus, SourceKind};
        use frontline_core::inspections::{FindingCategory, FindingStatus, NoticeKind, Severity};
        keys.extend(FindingCategory::ALL.iter().map(|k| format!("inspect.category.{}", k.as_str())));
        keys.extend(Severity::ALL.iter().map(|k| format!("inspect.severity.{}", k.as_str())));
        keys.extend(FindingStatus::ALL.iter().map(|k| format!("inspect.status.{}", k.as_str())));
        keys.extend(NoticeKind::ALL.iter().map(|k| format!("inspect.notice.{}", k.as_str())));
        keys.extend(["accepted", "returned"].iter().map(|k| format!("inspect.decision.{k}")));
        keys.extend(ActionKind::ALL.iter().map(|k| format!("account.kind.{}", k.as_str())));
        keys.extend(ActionStatus::ALL.iter().map(|k| format!("account.status.{}", k.as_str())));
        keys.extend(ReviewKind::ALL.iter().map(|k| format!("account.review.{}", k.as_str())));
        keys.extend(ReviewStatus::ALL.iter().map(|k| format!("account.review_status.{}", k.as_str())));
        keys.extend(SourceKind::ALL.iter().map(|k| format!("account.source.{}", k.as_str())));
        keys.extend(["task_list", "form"].iter().map(|k| format!("burden.source.{k}")));
        {
            use frontline_core::appraisals::{AppraisalStatus, CandidacyBar, Grade, Rating, ReviewTrack, TalentTier};
            use frontline_core::honours::{CareKind, CommendationKind, DeedStatus, ReminderKind, SelectionStatus};
            keys.extend(Grade::ALL.iter().map(|k| format!("appraisal.grade.{}", k.as_str())));
            keys.extend(AppraisalStatus::ALL.iter().map(|k| format!("appraisal.status.{}", k.as_str())));
            keys.extend(TalentTier::ALL.iter().map(|k| format!("talent.tier.{}", k.as_str())));
            keys.extend(CandidacyBar::ALL.iter().map(|k| format!("candidacy.bar.{}", k.as_str())));
            keys.extend(ReviewTrack::ALL.iter().map(|k| format!("review.track.{}", k.as_str())));
            keys.extend(ReviewTrack::ALL.iter().map(|k| format!("review.criterion.{}", k.as_str())));
            keys.extend(Rating::ALL.iter().map(|k| format!("review.rating.{}", k.as_str())));
            keys.extend(["open", "closed"].iter().map(|k| format!("review.status.{k}")));
            keys.extend(CommendationKind::ALL.iter().map(|k| format!("commend.kind.{}", k.as_str())));
            keys.extend(DeedStatus::ALL.iter().map(|k| format!("deed.status.{}", k.as_str())));
            keys.extend(SelectionStatus::ALL.iter().map(|k| format!("selection.status.{}", k.as_str())));
            keys.extend(CareKind::ALL.iter().map(|k| format!("care.kind.{}", k.as_str())));
            keys.extend(ReminderKind::ALL.iter().map(|k| format!("care.reminder.{}", k.as_str())));
            keys.extend(["1", "0", "-1"].iter().map(|k| format!("cert.impression.{k}")));
            keys.extend(
                frontline_core::bulletins::Cadence::ALL.iter().map(|k| format!("bulletin.cadence.{}", k.as_str())),
            );
        }
        {
            // The figures a bulletin carries (crates/db/src/bulletins.rs).
            let figures = ["orders_collected", "orders_closed", "on_time_rate", "satisfaction_rate", "findings"];
            keys.extend(
                figures
                    .iter()
                    .chain(&["findings_fixed", "accountability", "laggards"])
                    .map(|k| format!("bulletin.figure.{k}")),
            );
        }
        keys.extend(
            [
                "inspection_assigned",
                "finding_raised",
                "finding_overdue",
                "topic_overdue",
                "finding_accepted",
                "finding_returned",
                "rectification_submitted",
                "notice_issued",
                "accountability_action",
                "accountability_decided",
            ]
            .iter()
            .map(|k| format!("notice.{k}")),
        );
        for k in keys {
            assert_ne!(Lang::Zh.t(&k), k, "{k} has no Chinese label");
            assert_ne!(Lang::En.t(&k), k, "{k} has no English label");
        }
    }

    #[test]
    fn languages_parse() {
        assert_eq!(Lang::parse("en-US"), Some(Lang::En));
        assert_eq!(Lang::parse("zh-CN"), Some(Lang::Zh));
        assert_eq!(Lang::parse("fr"), None);
        assert_eq!(Lang::Zh.t("no.such.key"), "no.such.key");
    }
}
