//! 待办 (the to-do centre): what waits on the caller, counted, each count beside the page that
//! lists exactly those items (the count is the total of that page's list, read the same way).
//! Only what the caller may act on is counted: a grid worker sees their lists still to hand in,
//! a village secretary the lists to verify, findings to rectify and orders to sign for, a county
//! the findings waiting for acceptance. The page `/todo` and `GET /api/v1/todo` both answer from
//! [`todo`].

use chrono::{DateTime, Utc};
use frontline_core::access::Actor;
use frontline_core::time::today_in_china;
use frontline_db::Db;
use frontline_db::inspections::{self, FindingQuery};
use frontline_db::orders::{self, OrderQuery};
use frontline_db::roles::{self, ClaimFilter};
use frontline_db::tasks::{self, InstanceQuery};
use frontline_db::{succession, units};
use serde::Serialize;
use utoipa::ToSchema;

use crate::AppError;

/// One kind of waiting work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TodoKind {
    /// The caller's own lists of today (or earlier, still open or returned) not yet handed in.
    MyLists,
    /// Lists handed in, waiting for the caller's check (待核验).
    ToVerify,
    /// Lists past their deadline and not handed in, in the caller's units (超期未交).
    ListsOverdue,
    /// Findings of inspections in the caller's units still to be rectified (整改中).
    FindingsToRectify,
    /// Rectifications sent back to be done again (退回重改).
    FindingsReturned,
    /// Rectifications handed in, waiting for the caller's acceptance (待验收).
    FindingsToAccept,
    /// Work orders dispatched to the caller's units and not yet signed for (待签收).
    OrdersToSign,
    /// Open work orders past their due time (超期工单).
    OrdersOverdue,
    /// The caller's drawn inspection targets not yet visited.
    MyVisits,
    /// Claims of role posts waiting for the caller's approval.
    ClaimsToApprove,
    /// The caller's unread notifications.
    Unread,
}

impl TodoKind {
    /// Its code, as the API writes it; its label in the catalogue is `todo.<code>`.
    pub fn code(self) -> &'static str {
        match self {
            TodoKind::MyLists => "my_lists",
            TodoKind::ToVerify => "to_verify",
            TodoKind::ListsOverdue => "lists_overdue",
            TodoKind::FindingsToRectify => "findings_to_rectify",
            TodoKind::FindingsReturned => "findings_returned",
            TodoKind::FindingsToAccept => "findings_to_accept",
            TodoKind::OrdersToSign => "orders_to_sign",
            TodoKind::OrdersOverdue => "orders_overdue",
            TodoKind::MyVisits => "my_visits",
            TodoKind::ClaimsToApprove => "claims_to_approve",
            TodoKind::Unread => "unread",
        }
    }
}

/// A count of waiting work and the page that lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TodoItem {
    pub kind: TodoKind,
    pub count: i64,
    /// The page (of the web UI) that lists these items.
    pub href: String,
}

/// Everything waiting on the caller, in the order of the day's work: their own lists first,
/// then what they check, rectify and sign for, then notifications. Kinds the caller may not act
/// on are left out; kinds with nothing waiting are kept with 0 (nothing waiting is news too).
pub async fn todo(db: &Db, actor: &Actor, now: DateTime<Utc>) -> Result<Vec<TodoItem>, AppError> {
    let scope = &actor.scope;
    let today = today_in_china(now);
    // The lists behind each count open on the top of the caller's units, as the pages do.
    let root = units::roots(db, scope).await?.into_iter().next().map(|u| u.id);
    let mut out = Vec::new();
    let mut push = |kind, count, href: String| out.push(TodoItem { kind, count, href });

    if actor.can("work:task:list")
        && let Some(me) = scope.person_id
    {
        let mine = tasks::mine(db, me, today).await?;
        let waiting = mine.iter().filter(|i| i.status == "open" || i.status == "returned").count();
        push(TodoKind::MyLists, waiting as i64, "/today".into());
    }
    if let Some(unit) = root {
        if actor.can("work:task:verify") {
            for (kind, status) in [(TodoKind::ToVerify, "submitted"), (TodoKind::ListsOverdue, "overdue")] {
                let q = InstanceQuery {
                    unit: Some(unit),
                    status: Some(status.into()),
                    per_page: Some(1),
                    ..Default::default()
                };
                let n = tasks::instances(db, scope, &q, now).await?.total;
                push(kind, n, format!("/work/verify?status={status}"));
            }
        }
        let findings = [
            (TodoKind::FindingsToRectify, "open", "inspect:finding:rectify"),
            (TodoKind::FindingsReturned, "returned", "inspect:finding:rectify"),
            (TodoKind::FindingsToAccept, "submitted", "inspect:finding:decide"),
        ];
        for (kind, status, permission) in findings {
            if actor.can("inspect:finding:list") && actor.can(permission) {
                let q = FindingQuery {
                    unit: Some(unit),
                    status: Some(status.into()),
                    per_page: Some(1),
                    ..Default::default()
                };
                let n = inspections::findings(db, scope, &q).await?.total;
                push(kind, n, format!("/findings?status={status}"));
            }
        }
        if actor.can("order:request:list") {
            if actor.can("order:request:handle") {
                let q = OrderQuery {
                    unit: Some(unit),
                    status: Some("dispatched".into()),
                    per_page: Some(1),
                    ..Default::default()
                };
                push(
                    TodoKind::OrdersToSign,
                    orders::list(db, scope, &q).await?.total,
                    "/orders?status=dispatched".into(),
                );
            }
            let q = OrderQuery { unit: Some(unit), overdue: Some(true), per_page: Some(1), ..Default::default() };
            push(TodoKind::OrdersOverdue, orders::list(db, scope, &q).await?.total, "/orders?overdue=true".into());
        }
        if actor.can("duty:role:approve") {
            let q = ClaimFilter { unit: Some(unit), status: Some("pending"), per_page: Some(1), ..Default::default() };
            push(TodoKind::ClaimsToApprove, roles::claims(db, scope, &q).await?.total, "/duty/roles#claims".into());
        }
    }
    if actor.can("inspect:visit:log") {
        let n = inspections::my_targets(db, actor).await?.len();
        push(TodoKind::MyVisits, n as i64, "/inspections/mine".into());
    }
    if let Some(me) = scope.person_id {
        push(TodoKind::Unread, succession::unread_count(db, me).await?, "/me".into());
    }
    Ok(out)
}
