//! Laggard organisations (后进党组织) and their rectification plans (后进整转): a plan names the
//! reason, what will be done, who answers for it and by when; progress is noted along the way; the
//! plan ends converted (整转完成) or not.

use crate::DomainError;
use crate::codes::code_enum;

code_enum!(
    /// Where a rectification plan stands.
    PlanStatus {
        Open = "open",
        Converted = "converted",
        NotConverted = "not_converted",
    }
);

impl PlanStatus {
    /// Progress may be noted while the plan is open.
    pub fn note(self) -> Result<(), DomainError> {
        if self == PlanStatus::Open { Ok(()) } else { Err(DomainError::Conflict("error.judge.plan_closed".into())) }
    }

    /// The plan is judged once: converted or not.
    pub fn close(self, converted: bool) -> Result<PlanStatus, DomainError> {
        self.note()?;
        Ok(if converted { PlanStatus::Converted } else { PlanStatus::NotConverted })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_is_noted_while_open_and_closed_once() {
        assert!(PlanStatus::Open.note().is_ok());
        assert_eq!(PlanStatus::Open.close(true), Ok(PlanStatus::Converted));
        assert_eq!(PlanStatus::Open.close(false), Ok(PlanStatus::NotConverted));
        assert!(PlanStatus::Converted.note().is_err());
        assert_eq!(PlanStatus::NotConverted.close(true), Err(DomainError::Conflict("error.judge.plan_closed".into())));
    }
}
