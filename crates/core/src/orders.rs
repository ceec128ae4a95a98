//! Work orders (工单): residents' requests (群众诉求), enterprise problems (企业难题, 一企一策),
//! hazards found on patrol (隐患), and the 我为群众办实事 projects and service items — one engine
//! with the lifecycle hotline practice uses (003.8, 001.4):
//!
//! 受理 `received` → 派单 `dispatched` → 签收 `signed` → 回复 `replied` → 回访 and 办结 `closed`,
//! with 回退 (the owner hands a wrongly dispatched order back within a limit), 延期 (an extension
//! the dispatcher approves, once, up to the category's own time limit), 催办 (chasing), 黄牌/红牌
//! 督办 (escalated supervision), 重办 (the caller is not satisfied: the order goes back to the
//! owner with a new time limit) and duplicate linking.
//!
//! The time limit counts working days on the county's calendar (weekends and holidays off,
//! 调休 working weekends on), from the moment the order is received; an order is due at the end of
//! its last working day, China time. This module is the rules only: no storage, no HTTP.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::DomainError;
use crate::codes::code_enum;
use crate::time::{china, today_in_china};

code_enum!(
    /// What sort of work an order is.
    OrderKind {
        Request = "request",
        Enterprise = "enterprise",
        Hazard = "hazard",
        Project = "project",
        Service = "service",
    }
);

code_enum!(
    /// How an order came in.
    Channel {
        CollectionPoint = "collection_point",
        Hotline = "hotline",
        Letter = "letter",
        Visit = "visit",
        Online = "online",
        Patrol = "patrol",
        EnterpriseLink = "enterprise_link",
    }
);

code_enum!(
    /// Where an order stands.
    OrderStatus {
        Received = "received",
        Dispatched = "dispatched",
        Signed = "signed",
        Replied = "replied",
        Closed = "closed",
    }
);

impl OrderStatus {
    /// Still somebody's work (Open311 `open`).
    pub fn is_open(self) -> bool {
        self != OrderStatus::Closed
    }
}

code_enum!(
    /// Escalated supervision (督办) on an order: none, 黄牌, 红牌.
    Supervision {
        None = "none",
        Yellow = "yellow",
        Red = "red",
    }
);

/// How long after dispatch the owner may still hand an order back (回退), in working days.
pub const RETURN_LIMIT_DAYS: i64 = 1;
/// How many extensions one order may have.
pub const MAX_EXTENSIONS: i64 = 1;

/// A county's working calendar: weekends are off unless listed as working (调休), listed holidays
/// are off.
#[derive(Debug, Clone, Default)]
pub struct WorkCalendar {
    /// Day → whether it is a working day, for the days that differ from the weekday rule.
    pub exceptions: BTreeMap<NaiveDate, bool>,
}

impl WorkCalendar {
    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        match self.exceptions.get(&day) {
            Some(working) => *working,
            None => !matches!(day.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    /// The `n`-th working day after `day` (n ≥ 1); `day` itself never counts, so an order
    /// received on Friday evening with one day is due on Monday.
    pub fn add_working_days(&self, day: NaiveDate, n: i64) -> NaiveDate {
        let mut d = day;
        let mut left = n.max(0);
        // A calendar with years of holidays still ends: at most n + 366 steps per year off.
        while left > 0 {
            d += Duration::days(1);
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        d
    }

    /// When an order received at `received` with `days` working days is due: the end of the
    /// last working day, China time.
    pub fn due_at(&self, received: DateTime<Utc>, days: i64) -> DateTime<Utc> {
        end_of_day(self.add_working_days(today_in_china(received), days))
    }

    /// Working days from `from` (exclusive) to `to` (inclusive); 0 when `to` is not after `from`.
    pub fn working_days_between(&self, from: NaiveDate, to: NaiveDate) -> i64 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            d += Duration::days(1);
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

/// 23:59:59 of a day in China, as UTC.
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let t = NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default();
    china().from_local_datetime(&day.and_time(t)).single().map(|d| d.with_timezone(&Utc)).unwrap_or_default()
}

/// What a step does to an order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// 派单 to the owning unit.
    Dispatch,
    /// 签收 by the owner.
    Sign,
    /// 回退 by the owner, with a reason, within [`RETURN_LIMIT_DAYS`] of dispatch.
    Return,
    /// 回复: what was done.
    Reply,
    /// 延期申请 for some working days.
    RequestExtension { days: i64 },
    /// 延期审批.
    DecideExtension { approve: bool },
    /// 催办.
    Chase,
    /// 督办 with a card; cards only go up.
    Supervise(Supervision),
    /// 回访: the caller's satisfaction; `reopen` sends a not-satisfied order back (重办).
    CallBack { satisfied: bool, reopen: bool },
    /// Linked to an earlier order about the same thing and closed with it.
    LinkDuplicate,
}

impl Step {
    /// The code stored in the timeline and used as a catalogue key (`order.step.*`).
    pub fn code(&self) -> &'static str {
        match self {
            Step::Dispatch => "dispatch",
            Step::Sign => "sign",
            Step::Return => "return",
            Step::Reply => "reply",
            Step::RequestExtension { .. } => "request_extension",
            Step::DecideExtension { approve: true } => "approve_extension",
            Step::DecideExtension { approve: false } => "refuse_extension",
            Step::Chase => "chase",
            Step::Supervise(_) => "supervise",
            Step::CallBack { .. } => "call_back",
            Step::LinkDuplicate => "link_duplicate",
        }
    }
}

/// The parts of an order the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    pub status: OrderStatus,
    pub supervision: Supervision,
    pub dispatched_at: Option<DateTime<Utc>>,
    /// Days of a pending extension request, if one waits.
    pub extension_pending: Option<i64>,
    /// Extensions granted so far.
    pub extensions: i64,
    /// The category's time limit, in working days.
    pub sla_days: i64,
}

/// What a step changes besides the status.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Effect {
    /// The new due date, when the step moves it (approved extension, 重办).
    pub new_due: Option<DateTime<Utc>>,
    /// The order leaves the owner and waits for a new dispatch.
    pub returned: bool,
    /// The order went back for 重办.
    pub reopened: bool,
}

/// Applies a step to an order: the new state and what else changed, or why the step is refused
/// (`error.order.*` codes). `due` is the current due date.
pub fn apply(
    state: &OrderState,
    step: &Step,
    now: DateTime<Utc>,
    due: DateTime<Utc>,
    calendar: &WorkCalendar,
) -> Result<(OrderState, Effect), DomainError> {
    use OrderStatus::*;
    let wrong = || DomainError::Conflict("error.order.wrong_status".into());
    let mut next = state.clone();
    let mut effect = Effect::default();
    match step {
        Step::Dispatch => {
            if state.status != Received {
                return Err(wrong());
            }
            next.status = Dispatched;
            next.dispatched_at = Some(now);
        }
        Step::Sign => {
            if state.status != Dispatched {
                return Err(wrong());
            }
            next.status = Signed;
        }
        Step::Return => {
            if state.status != Dispatched {
                return Err(wrong());
            }
            let since = state.dispatched_at.ok_or_else(wrong)?;
            let limit = end_of_day(calendar.add_working_days(today_in_china(since), RETURN_LIMIT_DAYS));
            if now > limit {
                return Err(DomainError::Conflict("error.order.return_too_late".into()));
            }
            next.status = Received;
            next.dispatched_at = None;
            effect.returned = true;
        }
        Step::Reply => {
            if state.status != Signed {
                return Err(wrong());
            }
            next.status = Replied;
            next.extension_pending = None;
        }
        Step::RequestExtension { days } => {
            if !matches!(state.status, Dispatched | Signed) {
                return Err(wrong());
            }
            if state.extension_pending.is_some() {
                return Err(DomainError::Conflict("error.order.extension_pending".into()));
            }
            if state.extensions >= MAX_EXTENSIONS {
                return Err(DomainError::Conflict("error.order.extension_limit".into()));
            }
            if *days < 1 || *days > state.sla_days {
                return Err(DomainError::invalid("days", "error.order.extension_days"));
            }
            next.extension_pending = Some(*days);
        }
        Step::DecideExtension { approve } => {
            let days =
                state.extension_pending.ok_or_else(|| DomainError::Conflict("error.order.no_extension".into()))?;
            if !state.status.is_open() {
                return Err(wrong());
            }
            next.extension_pending = None;
            if *approve {
                next.extensions += 1;
                effect.new_due = Some(end_of_day(calendar.add_working_days(today_in_china(due), days)));
            }
        }
        Step::Chase => {
            if !state.status.is_open() {
                return Err(wrong());
            }
        }
        Step::Supervise(card) => {
            if !state.status.is_open() {
                return Err(wrong());
            }
            if card_rank(*card) <= card_rank(state.supervision) {
                return Err(DomainError::Conflict("error.order.card_not_higher".into()));
            }
            next.supervision = *card;
        }
        Step::CallBack { satisfied, reopen } => {
            if state.status != Replied {
                return Err(wrong());
            }
            if *reopen && *satisfied {
                return Err(DomainError::invalid("reopen", "error.order.reopen_satisfied"));
            }
            if *reopen {
                next.status = Dispatched;
                next.dispatched_at = Some(now);
                effect.reopened = true;
                effect.new_due = Some(calendar.due_at(now, state.sla_days));
            } else {
                next.status = Closed;
            }
        }
        Step::LinkDuplicate => {
            if !matches!(state.status, Received | Dispatched) {
                return Err(wrong());
            }
            next.status = Closed;
        }
    }
    Ok((next, effect))
}

fn card_rank(s: Supervision) -> u8 {
    match s {
        Supervision::None => 0,
        Supervision::Yellow => 1,
        Supervision::Red => 2,
    }
}

/// Which unit owns an order: the nearest unit on the place's path (the place itself or an
/// ancestor) whose kind is the level the category is handled at; `None` when the place sits above
/// that level (the order then waits in 受理 for a dispatcher to choose).
pub fn owning_unit<'a>(path_kinds: &'a [(i64, &'a str)], handled_at: &str) -> Option<i64> {
    path_kinds.iter().rev().find(|(_, kind)| *kind == handled_at).map(|(id, _)| *id)
}

/// The three rates of the hotline and the "collected / solved / in progress" figures.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct OrderCounts {
    pub collected: i64,
    pub closed: i64,
    pub closed_on_time: i64,
    pub solved: i64,
    pub in_progress: i64,
    pub overdue: i64,
    /// Call-backs made (回访), each one: a failed call-back before a successful one counts too, as
    /// each is an `order_rated` record in the ledger.
    pub visited: i64,
    /// Of those call-backs, the ones where the caller was satisfied.
    pub satisfied: i64,
}

/// Who may make the call-back (回访) that rates an order: the verdict feeds 满意率, so the handling
/// side must not give it. Allowed: whoever took the request in, or someone who reaches a unit above
/// the owner (the handling unit); never the handler, and never only the owner unit's own people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallBackRule<'a> {
    /// The person who signed for the order and handles it.
    pub handler: Option<i64>,
    /// The person who took the request in, when that was a person on the system.
    pub taken_in_by: Option<i64>,
    /// The path of the owner unit (the handling unit).
    pub owner_path: &'a str,
}

impl CallBackRule<'_> {
    pub fn check(&self, caller: Option<i64>, scope: &crate::access::Scope) -> Result<(), DomainError> {
        if caller.is_some() && caller == self.handler {
            return Err(DomainError::Forbidden("error.order.own_call_back".into()));
        }
        let took_it_in = caller.is_some() && caller == self.taken_in_by;
        // An order owned by a root unit has nothing above it: only the operator's reach counts.
        let above = crate::units::parent_path(self.owner_path).map_or(scope.all, |parent| scope.reaches(parent));
        if took_it_in || above { Ok(()) } else { Err(DomainError::Forbidden("error.order.call_back_above".into())) }
    }
}

impl OrderCounts {
    /// 按时办结率: closed by the due date, of those closed.
    pub fn on_time_rate(&self) -> Option<f64> {
        crate::tasks::percent(self.closed_on_time, self.closed)
    }
    /// 解决率: solved, of those closed.
    pub fn solved_rate(&self) -> Option<f64> {
        crate::tasks::percent(self.solved, self.closed)
    }
    /// 满意率: satisfied, of those called back.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        crate::tasks::percent(self.satisfied, self.visited)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_handling_side_never_makes_its_own_call_back() {
        use crate::access::Scope;
        let village = Scope { subtrees: vec!["/1/2/3/".into()], ..Default::default() };
        let township = Scope { subtrees: vec!["/1/2/".into()], ..Default::default() };
        let rule = CallBackRule { handler: Some(7), taken_in_by: Some(9), owner_path: "/1/2/3/" };
        let above = DomainError::Forbidden("error.order.call_back_above".into());
        assert_eq!(rule.check(Some(7), &township), Err(DomainError::Forbidden("error.order.own_call_back".into())));
        assert_eq!(rule.check(Some(8), &village), Err(above.clone()), "the owner unit's own people");
        assert_eq!(rule.check(Some(8), &township), Ok(()), "a unit above the handler");
        assert_eq!(rule.check(Some(9), &village), Ok(()), "whoever took it in");
        assert_eq!(rule.check(None, &Scope::everything()), Ok(()), "the operator, above all");
        let root = CallBackRule { handler: None, taken_in_by: None, owner_path: "/1/" };
        assert_eq!(root.check(Some(8), &Scope { subtrees: vec!["/1/".into()], ..Default::default() }), Err(above));
        assert_eq!(root.check(None, &Scope::everything()), Ok(()));
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn at(y: i32, m: u32, day: u32, h: u32) -> DateTime<Utc> {
        china().with_ymd_and_hms(y, m, day, h, 0, 0).unwrap().with_timezone(&Utc)
    }

    /// National Day 2026: 1–7 October off, Sunday 11 October worked (调休), after the State
    /// Council's notice.
    fn national_day() -> WorkCalendar {
        let mut c = WorkCalendar::default();
        for day in 1..=7 {
            c.exceptions.insert(d(2026, 10, day), false);
        }
        c.exceptions.insert(d(2026, 10, 10), true);
        c
    }

    #[test]
    fn working_days_skip_weekends_and_holidays_and_count_swapped_weekends() {
        let plain = WorkCalendar::default();
        // Friday 20 Nov 2026 + 1 working day = Monday 23 Nov.
        assert_eq!(plain.add_working_days(d(2026, 11, 20), 1), d(2026, 11, 23));
        assert_eq!(plain.add_working_days(d(2026, 11, 20), 5), d(2026, 11, 27));
        let c = national_day();
        // Received on Wednesday 30 Sep with 3 days: Thursday 8, Friday 9, Saturday 10 (worked).
        assert_eq!(c.add_working_days(d(2026, 9, 30), 3), d(2026, 10, 10));
        assert_eq!(c.working_days_between(d(2026, 9, 30), d(2026, 10, 10)), 3);
        assert!(!c.is_working_day(d(2026, 10, 5)));
        assert!(c.is_working_day(d(2026, 10, 10)));
    }

    #[test]
    fn an_order_is_due_at_the_end_of_its_last_working_day_in_china() {
        let c = WorkCalendar::default();
        // Received Friday 20 Nov at 22:00 China time with 2 days: due Tuesday 24 Nov 23:59:59.
        let due = c.due_at(at(2026, 11, 20, 22), 2);
        assert_eq!(due.with_timezone(&china()).date_naive(), d(2026, 11, 24));
        assert_eq!(due, china().with_ymd_and_hms(2026, 11, 24, 23, 59, 59).unwrap().with_timezone(&Utc));
    }

    fn state(status: OrderStatus) -> OrderState {
        OrderState {
            status,
            supervision: Supervision::None,
            dispatched_at: None,
            extension_pending: None,
            extensions: 0,
            sla_days: 5,
        }
    }

    #[test]
    fn the_happy_path_runs_from_intake_to_closure() {
        let c = WorkCalendar::default();
        let now = at(2026, 11, 23, 9);
        let due = c.due_at(now, 5);
        let mut s = state(OrderStatus::Received);
        for step in [Step::Dispatch, Step::Sign, Step::Reply, Step::CallBack { satisfied: true, reopen: false }] {
            s = apply(&s, &step, now, due, &c).unwrap().0;
        }
        assert_eq!(s.status, OrderStatus::Closed);
    }

    #[test]
    fn a_closed_order_takes_no_reply_and_steps_out_of_order_are_refused() {
        let c = WorkCalendar::default();
        let now = at(2026, 11, 23, 9);
        let err = apply(&state(OrderStatus::Closed), &Step::Reply, now, now, &c).unwrap_err();
        assert_eq!(err.code(), "error.order.wrong_status");
        assert!(apply(&state(OrderStatus::Received), &Step::Sign, now, now, &c).is_err());
        assert!(
            apply(&state(OrderStatus::Signed), &Step::CallBack { satisfied: true, reopen: false }, now, now, &c)
                .is_err()
        );
        assert!(apply(&state(OrderStatus::Closed), &Step::Chase, now, now, &c).is_err());
    }

    #[test]
    fn a_return_is_allowed_only_within_a_working_day_of_dispatch() {
        let c = WorkCalendar::default();
        let mut s = state(OrderStatus::Dispatched);
        s.dispatched_at = Some(at(2026, 11, 20, 10)); // Friday
        let (back, effect) = apply(&s, &Step::Return, at(2026, 11, 23, 20), at(2026, 11, 27, 0), &c).unwrap();
        assert_eq!(back.status, OrderStatus::Received);
        assert!(effect.returned);
        let err = apply(&s, &Step::Return, at(2026, 11, 24, 8), at(2026, 11, 27, 0), &c).unwrap_err();
        assert_eq!(err.code(), "error.order.return_too_late");
    }

    #[test]
    fn one_extension_up_to_the_category_limit_moves_the_due_date_by_working_days() {
        let c = WorkCalendar::default();
        let now = at(2026, 11, 23, 9);
        let due = end_of_day(d(2026, 11, 27)); // Friday
        let s = state(OrderStatus::Signed);
        let err = apply(&s, &Step::RequestExtension { days: 6 }, now, due, &c).unwrap_err();
        assert_eq!(err, DomainError::invalid("days", "error.order.extension_days"));
        let (asked, _) = apply(&s, &Step::RequestExtension { days: 2 }, now, due, &c).unwrap();
        assert_eq!(asked.extension_pending, Some(2));
        let (granted, effect) = apply(&asked, &Step::DecideExtension { approve: true }, now, due, &c).unwrap();
        assert_eq!(effect.new_due, Some(end_of_day(d(2026, 12, 1))));
        assert_eq!(granted.extensions, 1);
        let err = apply(&granted, &Step::RequestExtension { days: 1 }, now, due, &c).unwrap_err();
        assert_eq!(err.code(), "error.order.extension_limit");
        let (refused, effect) = apply(&asked, &Step::DecideExtension { approve: false }, now, due, &c).unwrap();
        assert_eq!((refused.extensions, effect.new_due), (0, None));
    }

    #[test]
    fn a_not_satisfied_caller_sends_the_order_back_with_a_new_limit() {
        let c = WorkCalendar::default();
        let now = at(2026, 11, 23, 9);
        let s = state(OrderStatus::Replied);
        let (again, effect) = apply(&s, &Step::CallBack { satisfied: false, reopen: true }, now, now, &c).unwrap();
        assert_eq!(again.status, OrderStatus::Dispatched);
        assert!(effect.reopened);
        assert_eq!(effect.new_due, Some(end_of_day(d(2026, 11, 30))));
        assert!(apply(&s, &Step::CallBack { satisfied: true, reopen: true }, now, now, &c).is_err());
    }

    #[test]
    fn cards_only_go_up() {
        let c = WorkCalendar::default();
        let now = at(2026, 11, 23, 9);
        let (yellow, _) =
            apply(&state(OrderStatus::Signed), &Step::Supervise(Supervision::Yellow), now, now, &c).unwrap();
        assert!(apply(&yellow, &Step::Supervise(Supervision::Yellow), now, now, &c).is_err());
        assert_eq!(
            apply(&yellow, &Step::Supervise(Supervision::Red), now, now, &c).unwrap().0.supervision,
            Supervision::Red
        );
    }

    #[test]
    fn the_owner_is_the_nearest_unit_of_the_handling_level() {
        let path = [(1, "county"), (2, "township"), (3, "village"), (4, "grid")];
        assert_eq!(owning_unit(&path, "village"), Some(3));
        assert_eq!(owning_unit(&path, "township"), Some(2));
        assert_eq!(owning_unit(&path[..2], "village"), None);
    }

    #[test]
    fn rates_are_shares_of_the_right_whole() {
        let c = OrderCounts {
            collected: 10,
            closed: 8,
            closed_on_time: 6,
            solved: 7,
            visited: 4,
            satisfied: 3,
            ..Default::default()
        };
        assert_eq!(c.on_time_rate(), Some(75.0));
        assert_eq!(c.solved_rate(), Some(87.5));
        assert_eq!(c.satisfaction_rate(), Some(75.0));
        assert_eq!(OrderCounts::default().solved_rate(), None, "nothing closed: not applicable");
    }
}
