//! Security events as they happen at the edge (issue 29, 等保 安全审计): a request refused for want
//! of a permission (`access.denied`) and a file carried out of the system (`data.export`: a
//! workbook, CSV or PDF answered) are written to the audit log with who, from where, what was
//! asked. Failed logins and lockouts are written where they are decided (`auth`, `db::access`).
//! The handler's extractor leaves the actor it resolved in an [`ActorSlot`]; this layer reads it
//! once the answer is known. Denials are written at most once a minute per account and route, so
//! that a script knocking on a closed door cannot flood the log.

use std::sync::{Arc, Mutex};

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use frontline_core::access::Actor;

use crate::AppState;

/// Where the extractor of a request leaves the actor it resolved.
#[derive(Clone, Default)]
pub struct ActorSlot(Arc<Mutex<Option<Actor>>>);

impl ActorSlot {
    /// Notes the actor a request was resolved to.
    pub fn fill(&self, actor: &Actor) {
        let mut slot = self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        *slot = Some(actor.clone());
    }

    fn take(&self) -> Option<Actor> {
        self.0.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).take()
    }
}

/// Whether an answer carries data out as a file.
fn is_export(response: &Response) -> bool {
    let Some(kind) = response.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    ["spreadsheetml", "application/pdf", "text/csv", "application/vnd.ms-excel"].iter().any(|k| kind.contains(k))
}

/// The layer: lends each request a slot for its actor, and writes the security event its answer
/// amounts to, if any. A failure to write is logged, never turned into an error for the user.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let slot = ActorSlot::default();
    request.extensions_mut().insert(slot.clone());
    let method = request.method().to_string();
    let target = request.uri().path_and_query().map(|p| p.as_str().to_string()).unwrap_or_default();
    let path = request.uri().path().to_string();
    let response = next.run(request).await;
    let action = if response.status() == StatusCode::FORBIDDEN {
        "access.denied"
    } else if response.status().is_success() && is_export(&response) {
        "data.export"
    } else {
        return response;
    };
    let Some(actor) = slot.take() else { return response };
    if action == "access.denied" {
        let key = format!("{}:{method}:{path}", actor.user_id.unwrap_or_default());
        if !state.denial_throttle.allow(&key) {
            return response;
        }
    }
    let detail = serde_json::json!({"method": method, "target": target.chars().take(500).collect::<String>()});
    if let Err(e) = frontline_db::security::record_event(&state.db, &actor, action, detail).await {
        tracing::warn!(error = %e, action, "a security event could not be written");
    }
    response
}
