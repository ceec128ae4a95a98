//! How far a long piece of work has got (an import, an export): a stage, steps done of steps in
//! all. Shared between the task doing the work and whoever shows it (a progress bar in the UI, a
//! line on the command line), so it is made of atomics and never blocks either side.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

/// The stages a long piece of work passes through, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the input (pages of a list, rows of a sheet).
    Reading = 0,
    /// Checking every row.
    Checking = 1,
    /// Writing the result (rows to the store, a workbook).
    Writing = 2,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Reading => "reading",
            Stage::Checking => "checking",
            Stage::Writing => "writing",
        }
    }
}

/// Steps done of the steps in the current stage.
#[derive(Debug, Default)]
pub struct Progress {
    stage: AtomicU8,
    done: AtomicU64,
    total: AtomicU64,
}

impl Progress {
    /// Starts a stage of `total` steps.
    pub fn begin(&self, stage: Stage, total: u64) {
        self.stage.store(stage as u8, Ordering::Relaxed);
        self.done.store(0, Ordering::Relaxed);
        self.total.store(total, Ordering::Relaxed);
    }

    /// Counts `steps` more steps done (never past the total).
    pub fn advance(&self, steps: u64) {
        let total = self.total.load(Ordering::Relaxed);
        let _ = self.done.fetch_update(Ordering::Relaxed, Ordering::Relaxed, |d| Some((d + steps).min(total)));
    }

    /// The stage, steps done and steps in all.
    pub fn snapshot(&self) -> (Stage, u64, u64) {
        let stage = match self.stage.load(Ordering::Relaxed) {
            1 => Stage::Checking,
            2 => Stage::Writing,
            _ => Stage::Reading,
        };
        (stage, self.done.load(Ordering::Relaxed), self.total.load(Ordering::Relaxed))
    }

    /// Per cent done of the current stage (100 for a stage with nothing to do).
    pub fn percent(&self) -> u64 {
        let (_, done, total) = self.snapshot();
        (done * 100).checked_div(total).unwrap_or(100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_counts_steps_of_a_stage_and_never_passes_the_total() {
        let p = Progress::default();
        assert_eq!(p.percent(), 100, "nothing to do is done");
        p.begin(Stage::Checking, 8);
        p.advance(2);
        assert_eq!(p.snapshot(), (Stage::Checking, 2, 8));
        assert_eq!(p.percent(), 25);
        p.advance(100);
        assert_eq!(p.snapshot(), (Stage::Checking, 8, 8));
        p.begin(Stage::Writing, 3);
        assert_eq!(p.snapshot(), (Stage::Writing, 0, 3));
        assert_eq!(Stage::Writing.as_str(), "writing");
    }
}
