//! Weak or lax party organisations (003.5, 软弱涣散): the criteria as data, which of them an
//! organisation's records meet over a year (each a reason in words a meeting can check), the
//! life of a case from candidate to 销号, and the choice of strong branches for "1+1" 帮带.

use serde::Serialize;

use crate::codes::code_enum;

code_enum!(
    /// A criterion of a weak organisation, read from the records.
    Criterion {
        LifeMissed = "life_missed",
        SecretaryVacant = "secretary_vacant",
        SeriousFindings = "serious_findings",
        LowAttendance = "low_attendance",
        Laggard = "laggard",
    }
);

code_enum!(
    /// Where a case stands.
    CaseStatus {
        Candidate = "candidate",
        Confirmed = "confirmed",
        Dismissed = "dismissed",
        Cleared = "cleared",
    }
);

/// One criterion as an install sets it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct CriterionRule {
    pub criterion: Criterion,
    /// `life_missed`: periods of organisational life missed, at least; `secretary_vacant`: days
    /// the secretary post has stood vacant, at least; `serious_findings`: serious findings, at
    /// least; `low_attendance`: members' attendance below this per cent; `laggard`: unused (a
    /// laggard in the latest published ranking).
    pub threshold: i64,
    pub enabled: bool,
}

/// The criteria a new install starts with (the standard 软弱涣散 list, made countable).
pub const DEFAULT_CRITERIA: [CriterionRule; 5] = [
    CriterionRule { criterion: Criterion::LifeMissed, threshold: 3, enabled: true },
    CriterionRule { criterion: Criterion::SecretaryVacant, threshold: 30, enabled: true },
    CriterionRule { criterion: Criterion::SeriousFindings, threshold: 1, enabled: true },
    CriterionRule { criterion: Criterion::LowAttendance, threshold: 60, enabled: true },
    CriterionRule { criterion: Criterion::Laggard, threshold: 1, enabled: true },
];

/// What the records say about one organisation over the period screened.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Evidence {
    /// Periods of organisational life missed, and judged.
    pub life_missed: i64,
    pub life_due: i64,
    /// Days the secretary post has stood vacant on the day screened (`None`: filled).
    pub secretary_vacant_days: Option<i64>,
    /// Serious findings raised in the organisation or its village in the period.
    pub serious_findings: i64,
    /// Members present over members expected, at the meetings whose attendance was taken
    /// (`None`: no attendance taken, nothing to measure).
    pub attendance_percent: Option<f64>,
    /// A laggard in the latest published ranking that scored its village.
    pub laggard: bool,
}

/// A criterion met, with the figure that meets it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct Reason {
    #[schema(value_type = Criterion)]
    pub criterion: Criterion,
    /// The figure found (periods, days, findings, per cent; 1 for a laggard).
    pub value: f64,
    /// The threshold it was held against.
    pub threshold: i64,
}

/// The criteria the evidence meets, in the order of the rules.
pub fn reasons(rules: &[CriterionRule], e: &Evidence) -> Vec<Reason> {
    rules
        .iter()
        .filter(|r| r.enabled)
        .filter_map(|r| {
            let t = r.threshold;
            let value = match r.criterion {
                Criterion::LifeMissed => (e.life_missed >= t).then_some(e.life_missed as f64),
                Criterion::SecretaryVacant => e.secretary_vacant_days.filter(|d| *d >= t).map(|d| d as f64),
                Criterion::SeriousFindings => (e.serious_findings >= t).then_some(e.serious_findings as f64),
                Criterion::LowAttendance => e.attendance_percent.filter(|p| *p < t as f64),
                Criterion::Laggard => e.laggard.then_some(1.0),
            }?;
            Some(Reason { criterion: r.criterion, value, threshold: t })
        })
        .collect()
}

/// Whether a case may move from `from` to `to`: a candidate is confirmed or dismissed by the
/// organisation department; a confirmed case is cleared (销号) — and only when its criteria have
/// cleared in the records, which the caller checks.
pub fn may_move(from: CaseStatus, to: CaseStatus) -> bool {
    matches!(
        (from, to),
        (CaseStatus::Candidate, CaseStatus::Confirmed)
            | (CaseStatus::Candidate, CaseStatus::Dismissed)
            | (CaseStatus::Confirmed, CaseStatus::Cleared)
    )
}

/// The cost of pairing a weak organisation with a strong one: the same township first, then the
/// stronger (a higher rate of organisational life met).
pub fn pairing_cost(same_township: bool, strong_percent: Option<f64>) -> f64 {
    (if same_township { 0.0 } else { 100.0 }) + (100.0 - strong_percent.unwrap_or(0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_reason_names_its_figure_and_nothing_to_measure_is_no_reason() {
        let e = Evidence {
            life_missed: 4,
            life_due: 12,
            secretary_vacant_days: Some(45),
            serious_findings: 0,
            attendance_percent: None,
            laggard: false,
        };
        let r = reasons(&DEFAULT_CRITERIA, &e);
        assert_eq!(
            r,
            vec![
                Reason { criterion: Criterion::LifeMissed, value: 4.0, threshold: 3 },
                Reason { criterion: Criterion::SecretaryVacant, value: 45.0, threshold: 30 },
            ]
        );
        // No attendance taken is not low attendance; 59.9% is.
        let low = Evidence { attendance_percent: Some(59.9), ..Evidence::default() };
        assert_eq!(reasons(&DEFAULT_CRITERIA, &low)[0].criterion, Criterion::LowAttendance);
        assert!(
            reasons(&DEFAULT_CRITERIA, &Evidence { attendance_percent: Some(60.0), ..Evidence::default() }).is_empty()
        );
        // A criterion switched off is not applied.
        let off: Vec<CriterionRule> = DEFAULT_CRITERIA
            .iter()
            .map(|r| CriterionRule { enabled: r.criterion != Criterion::LifeMissed, ..*r })
            .collect();
        assert_eq!(reasons(&off, &e).len(), 1);
    }

    #[test]
    fn cases_move_one_way() {
        assert!(may_move(CaseStatus::Candidate, CaseStatus::Confirmed));
        assert!(may_move(CaseStatus::Confirmed, CaseStatus::Cleared));
        assert!(!may_move(CaseStatus::Candidate, CaseStatus::Cleared));
        assert!(!may_move(CaseStatus::Dismissed, CaseStatus::Confirmed));
        assert!(pairing_cost(true, Some(90.0)) < pairing_cost(false, Some(100.0)));
    }
}
