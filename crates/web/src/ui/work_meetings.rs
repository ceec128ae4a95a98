//! Pages of meetings and training: meetings of a unit with the topics the committee set and the
//! secretaries' answers (党委点题、书记答题), training sessions and party lessons with attendance,
//! and training coverage per unit; the secretary answers their topics on 今日任务.

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use chrono::{NaiveDate, Utc};
use frontline_core::meetings::{MeetingKind, TrainingKind};
use frontline_core::time::today_in_china;
use frontline_db::meetings::{
    self, CoverageRow, MeetingInput, MeetingView, TopicInput, TopicView, TrainingInput, TrainingView,
};
use frontline_db::units::{self, UnitView};

use super::units::TreePanel;
use super::work::UnitOnly;
use super::{Chrome, FormData, UiResult, change, focus, refresh, render};
use crate::auth::Ctx;
use crate::i18n::Tr;
use crate::{AppError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/work/meetings", get(meetings_page).post(create_meeting))
        .route("/work/trainings", post(create_training))
        .route("/work/topics/{id}/answer", post(answer))
}

#[derive(Template)]
#[template(path = "work_meetings.html")]
struct MeetingsPage {
    t: Tr,
    c: Chrome,
    tree: TreePanel,
    unit: Option<UnitView>,
    meetings: Vec<MeetingView>,
    topics: Vec<TopicView>,
    trainings: Vec<TrainingView>,
    coverage: Vec<CoverageRow>,
    owners: Vec<frontline_db::responsibility::PersonChoice>,
    children: Vec<UnitView>,
    meeting_kinds: Vec<(String, String)>,
    training_kinds: Vec<(String, String)>,
    today: NaiveDate,
    year_from: NaiveDate,
    can_edit: bool,
}

async fn meetings_page(State(state): State<AppState>, ctx: Ctx, Query(q): Query<UnitOnly>) -> UiResult {
    let lang = ctx.lang;
    let fail = |e: AppError| e.into_html(lang);
    ctx.actor.require("work:meeting:list").map_err(|e| fail(e.into()))?;
    let scope = &ctx.actor.scope;
    let unit = focus(&state, &ctx, q.unit).await.map_err(fail)?;
    let today = today_in_china(Utc::now());
    let year_from = today - chrono::Duration::days(364);
    let db = &state.db;
    let (meetings, topics, trainings, coverage, owners, children) = match &unit {
        Some(u) => {
            let can_edit = ctx.actor.can("work:meeting:edit");
            (
                meetings::meetings(db, scope, u.id).await.map_err(|e| fail(e.into()))?,
                meetings::topics(db, scope, Some(u.id), None).await.map_err(|e| fail(e.into()))?,
                meetings::trainings(db, scope, u.id).await.map_err(|e| fail(e.into()))?,
                meetings::coverage(db, scope, u.id, year_from, today).await.map_err(|e| fail(e.into()))?,
                if can_edit {
                    frontline_db::responsibility::cadres_under(db, scope, &u.path, 800)
                        .await
                        .map_err(|e| fail(e.into()))?
                } else {
                    Vec::new()
                },
                units::children(db, scope, u.id).await.map_err(|e| fail(e.into()))?,
            )
        }
        None => Default::default(),
    };
    let tree = TreePanel::load(db, scope, "meetings", unit.as_ref().map(|u| u.id)).await.map_err(fail)?;
    let label = |prefix: &str, code: &str| (code.to_string(), lang.code_label(prefix, code).to_string());
    let tpl = MeetingsPage {
        t: Tr(lang),
        c: Chrome::new(&ctx, "/work/meetings"),
        tree,
        unit,
        meetings,
        topics,
        trainings,
        coverage,
        owners,
        children,
        meeting_kinds: MeetingKind::ALL.iter().map(|k| label("meeting.kind", k.as_str())).collect(),
        training_kinds: TrainingKind::ALL.iter().map(|k| label("training.kind", k.as_str())).collect(),
        today,
        year_from,
        can_edit: ctx.actor.can("work:meeting:edit"),
    };
    render(&tpl, lang)
}

async fn create_meeting(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let held_on = form.date("held_on")?;
        let mut topics = Vec::new();
        for i in 1..=3 {
            let title = form.get(&format!("topic_{i}"));
            if title.trim().is_empty() {
                continue;
            }
            topics.push(TopicInput {
                title,
                owner_id: form.id(&format!("owner_{i}"))?,
                due_date: form.date(&format!("due_{i}"))?,
            });
        }
        let input =
            MeetingInput { kind: form.get("kind"), title: form.get("title"), held_on, note: form.get("note"), topics };
        meetings::create_meeting(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}

async fn create_training(State(state): State<AppState>, ctx: Ctx, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    change(lang, async {
        let hours = form
            .get("hours")
            .trim()
            .parse()
            .map_err(|_| AppError::from(frontline_core::DomainError::invalid("hours", "error.not_a_number")))?;
        let input = TrainingInput {
            kind: form.get("kind"),
            title: form.get("title"),
            held_on: form.date("held_on")?,
            hours,
            attendees: Vec::new(),
            members_of: Some(form.id("members_of")?),
        };
        meetings::create_training(&state.db, &ctx.actor, form.id("unit_id")?, &input).await?;
        Ok(())
    })
    .await
}

async fn answer(State(state): State<AppState>, ctx: Ctx, Path(id): Path<i64>, body: Bytes) -> UiResult {
    let form = FormData::parse(&body);
    let lang = ctx.lang;
    meetings::answer(&state.db, &ctx.actor, id, &form.get("answer"))
        .await
        .map_err(|e| AppError::from(e).into_html(lang))?;
    Ok(refresh())
}
