//! Indicators and scoring (考核评价): schemes as data — the 堡垒指数 of 004.4, a 先锋指数 for
//! members, the 五星 rating — evaluated over the records ledger. Formulas ([`formula`]) name record
//! kinds; a scheme ([`scheme`]) weighs them and adds vetoes, stars, quotas; [`score`] tallies a
//! subject's records and explains the result line by line.

pub mod formula;
pub mod laggards;
pub mod scheme;
pub mod score;

pub use scheme::{NotApplicable, Scheme, SchemeDef, StarMode, Subject, compile, from_json};
pub use score::{Line, Score, Standing, Tallier, Tally, rank, round2};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::records::RecordKind;

    /// A small scheme whose every number can be worked out by hand.
    fn scheme() -> Scheme {
        from_json(
            r#"{
            "subject": "unit", "unit_kind": "village",
            "indicators": [
              {"code": "duty", "name": "值守", "weight": 60, "domain": "平安",
               "formula": "rate(count(shift_attended), count(shift_attended) + count(shift_missed))"},
              {"code": "learning", "name": "学习", "weight": 40, "target": 2, "domain": "组织",
               "formula": "sum(training_attended) / members"}
            ],
            "bonuses": [{"code": "praised", "name": "表扬", "formula": "count(praised)", "points": 3, "cap": 5}],
            "deductions": [{"code": "findings", "name": "问题", "formula": "sum(finding_raised)", "points": 2, "cap": 7}],
            "vetoes": [
              {"code": "lost", "name": "脱管", "formula": "count(isolation_lost)", "reset": true},
              {"code": "lapse", "name": "形同虚设", "formula": "count(checkpoint_lapse)", "at_least": 2}
            ],
            "stars": {"mode": "bands", "bands": [50, 70, 90]},
            "laggard_below": 50,
            "quota": {"stars": 3, "percent": 50}
        }"#,
        )
        .unwrap()
    }

    fn tally(s: &Scheme, records: &[(RecordKind, i64)], members: f64) -> Tally {
        let tallier = Tallier::new(&s.measures);
        let mut t = s.tally(14.0);
        t.members = members;
        for &(kind, value) in records {
            tallier.add(&mut t.measures, kind, value, "test", 1);
        }
        t
    }

    #[test]
    fn a_score_is_worked_out_line_by_line() {
        let s = scheme();
        use RecordKind::*;
        // 3 shifts stood of 4 → 0.75 × 60 = 45; 6 hours over 4 members = 1.5 of target 2 → 0.75 × 40 = 30;
        // 1 praise × 3 = 3; findings of severity 1 + 2 = 3 × 2 = 6; 45 + 30 + 3 − 6 = 72 → 2 stars.
        let t = tally(
            &s,
            &[
                (ShiftAttended, 0),
                (ShiftAttended, 5),
                (ShiftAttended, 0),
                (ShiftMissed, 1),
                (TrainingAttended, 4),
                (TrainingAttended, 2),
                (Praised, 1),
                (FindingRaised, 1),
                (FindingRaised, 2),
                (TaskSubmitted, 1),
            ],
            4.0,
        );
        let score = s.score(&t);
        let points: Vec<(&str, f64, f64)> =
            score.indicators.iter().map(|l| (l.code.as_str(), l.value, l.points)).collect();
        assert_eq!(points, vec![("duty", 0.75, 45.0), ("learning", 1.5, 30.0)]);
        assert_eq!((score.bonuses[0].value, score.bonuses[0].points), (1.0, 3.0));
        assert_eq!((score.deductions[0].value, score.deductions[0].points), (3.0, 6.0));
        assert_eq!(score.total, 72.0);
        assert_eq!(score.stars, 2);
        assert!(!score.laggard && score.vetoes.is_empty());
    }

    #[test]
    fn caps_bound_items_and_targets_bound_indicators() {
        let s = scheme();
        use RecordKind::*;
        // 12 hours / 2 members = 6, far over the target: the whole weight. Three praises: 9 capped
        // at 5. Findings 3 + 3 + 3 = 9 × 2 = 18 capped at 7. No shifts at all: duty is not
        // applicable, left out, and learning's 40 scaled up to the whole 100.
        let t = tally(
            &s,
            &[
                (TrainingAttended, 12),
                (Praised, 1),
                (Praised, 1),
                (Praised, 1),
                (FindingRaised, 3),
                (FindingRaised, 3),
                (FindingRaised, 3),
            ],
            2.0,
        );
        let score = s.score(&t);
        assert!(!score.indicators[0].applicable);
        assert_eq!(score.indicators[0].points, 0.0);
        assert_eq!(score.indicators[1].points, 100.0);
        assert_eq!(score.weight_scale, 2.5);
        assert_eq!(score.bonuses[0].points, 5.0);
        assert_eq!(score.deductions[0].points, 7.0);
        assert_eq!(score.total, 98.0);
        assert_eq!(score.stars, 3);
    }

    #[test]
    fn a_veto_makes_a_laggard_whatever_the_score_and_a_reset_zeroes_it() {
        let s = scheme();
        use RecordKind::*;
        // One lapse is below the rule's at_least of 2: nothing happens (one shift stood: 60).
        let one_lapse = s.score(&tally(&s, &[(CheckpointLapse, 1), (ShiftAttended, 0)], 1.0));
        assert!(!one_lapse.laggard);
        assert_eq!(one_lapse.total, 60.0);
        // Two lapses: laggard, no stars, the score kept (no shifts: duty left out; 2 hours for 1
        // member → learning, scaled to the whole 100).
        let two = s.score(&tally(&s, &[(CheckpointLapse, 1), (CheckpointLapse, 1), (TrainingAttended, 2)], 1.0));
        assert!(two.laggard && !two.reset);
        assert_eq!((two.total, two.stars), (100.0, 0));
        assert_eq!(two.vetoes.iter().map(|v| v.code.as_str()).collect::<Vec<_>>(), vec!["lapse"]);
        // A person lost from isolation resets the score to zero; the points are kept to explain it.
        let lost = s.score(&tally(&s, &[(IsolationLost, 1), (TrainingAttended, 2)], 1.0));
        assert!(lost.laggard && lost.reset);
        assert_eq!((lost.points, lost.total, lost.stars), (100.0, 0.0, 0));
    }

    #[test]
    fn a_low_score_is_a_laggard_and_ranks_below_the_rest() {
        let s = scheme();
        use RecordKind::*;
        // Duty 1 of 4: 15; no training: 0 → 15 < 50.
        let low = s.score(&tally(&s, &[(ShiftAttended, 0), (ShiftMissed, 1), (ShiftMissed, 1), (ShiftMissed, 1)], 3.0));
        assert!(low.laggard);
        let good = s.score(&tally(&s, &[(TrainingAttended, 4)], 2.0));
        let vetoed = s.score(&tally(&s, &[(CheckpointLapse, 1), (CheckpointLapse, 1), (TrainingAttended, 9)], 1.0));
        let also_good = good.clone();
        let ranking = rank(&[low.clone(), good, vetoed, also_good]);
        // good and also_good tie at 100 and share rank 1; the vetoed one (100 points) ranks after
        // every non-laggard, above the low one (15).
        assert_eq!(ranking, vec![(1, 1), (3, 1), (2, 3), (0, 4)]);
    }

    #[test]
    fn rollups_add_tallies_so_a_parent_scores_its_whole_subtree() {
        let s = scheme();
        use RecordKind::*;
        let a = tally(&s, &[(ShiftAttended, 0), (ShiftAttended, 0)], 2.0);
        let b = tally(&s, &[(ShiftMissed, 1), (ShiftMissed, 1), (TrainingAttended, 8)], 2.0);
        let mut parent = s.tally(14.0);
        parent.absorb(&a);
        parent.absorb(&b);
        let both = tally(
            &s,
            &[(ShiftAttended, 0), (ShiftAttended, 0), (ShiftMissed, 1), (ShiftMissed, 1), (TrainingAttended, 8)],
            4.0,
        );
        assert_eq!(parent, both);
        // 2 of 4 shifts → 30; 8 hours / 4 members = 2 → 40.
        assert_eq!(s.score(&parent).total, 70.0);
        // A village's veto makes that village a laggard and resets it; its township's roll-up
        // keeps its score.
        let lost = tally(&s, &[(IsolationLost, 1), (ShiftAttended, 0)], 1.0);
        assert!(s.score(&lost).reset);
        parent.absorb(&lost);
        let rolled = s.score_rollup(&parent);
        assert!(!rolled.reset && !rolled.laggard && rolled.vetoes.is_empty());
        assert_eq!(rolled.total, s.score(&parent).points);
    }

    #[test]
    fn the_quota_takes_a_star_from_the_lower_ranked_beyond_it() {
        let s = scheme();
        use RecordKind::*;
        let top =
            |hours: i64, members: f64| s.score(&tally(&s, &[(ShiftAttended, 0), (TrainingAttended, hours)], members));
        // Township 1: three 3-star villages (100, 100, 95) — 50 % of 3 is 1: only the first keeps 3 stars.
        // Township 2: two villages at 100 and 95 — 50 % of 2 is 1.
        let mut scores = vec![top(4, 2.0), top(7, 4.0), top(4, 2.0), top(4, 2.0), top(7, 4.0)];
        assert_eq!(scores[1].total, 95.0);
        assert!(scores.iter().all(|x| x.stars == 3));
        s.apply_quota(&mut scores, &[1, 1, 1, 2, 2]);
        let stars: Vec<u8> = scores.iter().map(|x| x.stars).collect();
        assert_eq!(stars, vec![3, 2, 2, 3, 2]);
        assert!(scores[1].capped_by_quota && !scores[0].capped_by_quota);
    }

    #[test]
    fn nothing_to_measure_is_excluded_by_default_or_scored_as_the_scheme_says() {
        use RecordKind::*;
        // No shifts asked: duty (60) has nothing to measure. 1 hour of 2 for 1 member: 0.5.
        let records = [(TrainingAttended, 1)];
        let excluded = scheme();
        let t = tally(&excluded, &records, 1.0);
        let score = excluded.score(&t);
        // Left out, the remaining 40 scaled to 100: 0.5 × 100 = 50.
        assert!(!score.indicators[0].applicable && score.indicators[1].applicable);
        assert_eq!((score.indicators[0].points, score.indicators[1].points, score.total), (0.0, 50.0, 50.0));
        for (rule, duty, total) in [(NotApplicable::Full, 60.0, 80.0), (NotApplicable::Zero, 0.0, 20.0)] {
            let mut def = scheme().def;
            def.not_applicable = rule;
            let s = compile(def).unwrap();
            let score = s.score(&tally(&s, &records, 1.0));
            assert!(!score.indicators[0].applicable);
            assert_eq!((score.indicators[0].points, score.total, score.weight_scale), (duty, total, 1.0), "{rule:?}");
        }
        // The rule is part of the scheme as written, and left out of it when it is the default.
        let mut def = scheme().def;
        assert!(!serde_json::to_string(&def).unwrap().contains("not_applicable"));
        def.not_applicable = NotApplicable::Zero;
        assert!(serde_json::to_string(&def).unwrap().contains(r#""not_applicable":"zero""#));
        // Nothing recorded at all is no data (无数据): neither a perfect score nor a laggard, no
        // stars, and ranked after every subject with data, even a laggard.
        let nothing = excluded.score(&tally(&excluded, &[], 0.0));
        assert_eq!((nothing.measured, nothing.total, nothing.stars, nothing.laggard), (false, 0.0, 0, false));
        let laggard = excluded.score(&tally(&excluded, &[(ShiftMissed, 1)], 1.0));
        assert!(laggard.measured && laggard.laggard);
        let ranking = rank(&[nothing.clone(), laggard, nothing.clone(), score.clone()]);
        assert_eq!(ranking, vec![(3, 1), (1, 2), (0, 3), (2, 3)]);
    }

    #[test]
    fn stars_by_domain_count_the_domains_that_reach_their_share() {
        let mut def = scheme().def;
        def.stars = scheme::StarRule { mode: StarMode::Domains, bands: vec![], domain_share: 0.8 };
        def.quota = None;
        let s = compile(def).unwrap();
        use RecordKind::*;
        // 平安: 4 of 5 shifts = 0.8 → 48 of 60 reaches 80 %; 组织: 1 hour / 1 member = 0.5 → 20 of 40 does not.
        let t = tally(
            &s,
            &[
                (ShiftAttended, 0),
                (ShiftAttended, 0),
                (ShiftAttended, 0),
                (ShiftAttended, 0),
                (ShiftMissed, 1),
                (TrainingAttended, 1),
            ],
            1.0,
        );
        let score = s.score(&t);
        assert_eq!(score.domain_stars, vec![true, false]);
        assert_eq!(score.stars, 1);
    }

    #[test]
    fn a_bad_scheme_lists_every_problem() {
        let err = from_json(
            r#"{"subject": "unit", "unit_kind": "planet",
                "indicators": [{"code": "a b", "name": "", "formula": "count(nothing)", "weight": -1},
                               {"code": "x", "name": "x", "formula": "1", "weight": 1, "target": 0}],
                "vetoes": [{"code": "x", "name": "否决", "formula": "count(shift_missed"}],
                "stars": {"mode": "bands", "bands": [80, 60]},
                "quota": {"stars": 9, "percent": 150}}"#,
        )
        .unwrap_err();
        let crate::DomainError::Invalid(fields) = err else { panic!("{err:?}") };
        let got: Vec<(String, String)> = fields.into_iter().map(|f| (f.field, f.code)).collect();
        let want = [
            ("unit_kind", "error.unit.bad_kind"),
            ("indicators[0].code", "error.scheme.bad_code"),
            ("indicators[0].name", "error.required"),
            ("indicators[0].weight", "error.scheme.out_of_range"),
            ("indicators[0].formula", "error.formula.unknown_kind"),
            ("indicators[1].target", "error.scheme.out_of_range"),
            ("vetoes[0].code", "error.scheme.duplicate_code"),
            ("vetoes[0].formula", "error.formula.syntax"),
            ("stars.bands", "error.scheme.bad_bands"),
            ("quota.stars", "error.scheme.out_of_range"),
            ("quota.percent", "error.scheme.out_of_range"),
        ];
        assert_eq!(got, want.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect::<Vec<_>>());
        assert_eq!(
            from_json("[1, 2]").unwrap_err(),
            crate::DomainError::invalid("definition", "error.scheme.not_json")
        );
    }

    #[test]
    fn the_default_schemes_compile() {
        for (code, _, json) in scheme::defaults::ALL {
            let s = from_json(json).unwrap_or_else(|e| panic!("{code}: {e:?}"));
            assert!(!s.indicators.is_empty());
        }
        let five = from_json(scheme::defaults::FIVE_STARS).unwrap();
        assert_eq!(five.domains.len(), 5);
        let none = from_json(scheme::defaults::FIVE_NONE).unwrap();
        assert_eq!(none.domains.len(), 5);
    }
}
