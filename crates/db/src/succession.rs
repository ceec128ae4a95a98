//! Automatic succession (004.2): the preview of who would act and what would move to them, the
//! removal that makes them act at once, the notifications it sends, and "who held this post on
//! day D".

use chrono::{NaiveDate, Utc};
use frontline_core::DomainError;
use frontline_core::access::{Actor, Scope};
use frontline_core::succession::{Candidate, RemovalReason, Warning, choose};
use frontline_core::units::subtree_range;
use serde::Serialize;
use serde_json::json;

use crate::audit::{self, Change};
use crate::people::{PostView, TenureView, get_post, open_tenure, post_in_tx};
use crate::responsibility::push_active_on;
use crate::{Db, DbError, Sql, Tx};

/// A candidate with what speaks against them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = SuccessionCandidate)]
pub struct CandidateView {
    pub post_id: i64,
    pub post_title: String,
    pub person_id: i64,
    pub person_name: String,
    /// `suspended`, `deployed_away`, `acting_elsewhere`, `same_person`.
    pub warnings: Vec<String>,
}

/// A duty of the leaving holder that moves to the successor.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Duty {
    pub link_id: i64,
    pub kind: String,
    pub unit_id: i64,
    pub unit_name: String,
}

/// What removing the holder of a post would do.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuccessionPreview {
    pub post: PostView,
    /// Candidates in succession order.
    pub candidates: Vec<CandidateView>,
    /// The person who would act, if anyone can.
    pub successor: Option<CandidateView>,
    /// Responsibility links of the leaving holder in the post's area, moved to the successor.
    pub duties: Vec<Duty>,
}

async fn candidates(tx: &mut Tx, post: &PostView, on: NaiveDate) -> Result<Vec<Candidate>, DbError> {
    let mut sql = Sql::new(
        "SELECT po.id, po.title, t.person_id, p.name, p.suspended, \
         CAST(CASE WHEN EXISTS (SELECT 1 FROM deployments d WHERE d.person_id = p.id AND d.start_date <= ",
    );
    sql.bind(on).push(" AND (d.end_date IS NULL OR d.end_date > ").bind(on).push(")) THEN 1 ELSE 0 END AS BIGINT), ");
    sql.push(
        "CAST(CASE WHEN EXISTS (SELECT 1 FROM tenures a WHERE a.person_id = p.id AND a.acting AND a.end_date IS NULL \
         AND a.post_id <> ",
    );
    sql.bind(post.id).push(
        ") THEN 1 ELSE 0 END AS BIGINT) FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL ",
    );
    sql.push("JOIN people p ON p.id = t.person_id WHERE po.unit_id = ").bind(post.unit_id);
    sql.push(" AND po.id <> ").bind(post.id).push(" AND (po.seq > ").bind(post.seq);
    sql.push(" OR (po.seq = ").bind(post.seq).push(" AND po.id > ").bind(post.id).push(")) ORDER BY po.seq, po.id");
    let rows: Vec<(i64, String, i64, String, bool, i64, i64)> = tx.all(&sql).await?;
    Ok(rows
        .into_iter()
        .map(|(post_id, post_title, person_id, person_name, suspended, deployed, acting)| Candidate {
            post_id,
            post_title,
            person_id,
            person_name,
            suspended,
            deployed_away: deployed > 0,
            acting_elsewhere: acting > 0,
        })
        .collect())
}

fn view(c: &Candidate, leaving: i64, warnings: Option<&[Warning]>) -> CandidateView {
    let w = warnings.map(<[Warning]>::to_vec).unwrap_or_else(|| c.warnings(leaving));
    CandidateView {
        post_id: c.post_id,
        post_title: c.post_title.clone(),
        person_id: c.person_id,
        person_name: c.person_name.clone(),
        warnings: w.iter().map(|w| w.as_str().to_string()).collect(),
    }
}

/// The area a post answers for: the unit a party organisation sits in, or the post's own unit.
async fn area_path(tx: &mut Tx, post: &PostView) -> Result<String, DbError> {
    let (kind, parent_path): (String, Option<String>) = tx
        .one(&Sql::with(
            "SELECT u.kind, pu.path FROM units u LEFT JOIN units pu ON pu.id = u.parent_id WHERE u.id = $1",
            vec![post.unit_id.into()],
        ))
        .await?;
    let party = frontline_core::units::UnitKind::parse(&kind).is_some_and(|k| k.is_party_organisation());
    Ok(match (party, parent_path) {
        (true, Some(p)) => p,
        _ => post.unit_path.clone(),
    })
}

/// The leaving holder's duties in the post's area. An acting holder (主持工作) keeps the links of
/// their own post: only those that began with or after the acting move on.
async fn duties(tx: &mut Tx, post: &PostView, person_id: i64, on: NaiveDate) -> Result<Vec<Duty>, DbError> {
    let area = area_path(tx, post).await?;
    let (lo, hi) = subtree_range(&area);
    let mut sql = Sql::new(
        "SELECT l.id AS link_id, l.kind, l.unit_id, u.name AS unit_name FROM links l JOIN units u ON u.id = l.unit_id \
         WHERE l.person_id = ",
    );
    sql.bind(person_id).push(" AND u.path >= ").bind(lo).push(" AND u.path < ").bind(hi).push(" AND ");
    if let (true, Some(since)) = (post.acting, post.since) {
        sql.push("l.start_date >= ").bind(since).push(" AND ");
    }
    push_active_on(&mut sql, "l.start_date", "l.end_date", on);
    sql.push(" ORDER BY u.path, l.id");
    tx.all(&sql).await
}

/// What removing the current holder on `on` would do.
pub async fn preview(db: &Db, scope: &Scope, post_id: i64, on: NaiveDate) -> Result<SuccessionPreview, DbError> {
    let post = get_post(db, scope, post_id).await?;
    let leaving = post.holder_id.ok_or_else(|| DomainError::Conflict("error.post.already_vacant".into()))?;
    let mut tx = db.begin().await?;
    let cands = candidates(&mut tx, &post, on).await?;
    let duties = duties(&mut tx, &post, leaving, on).await?;
    tx.commit().await?;
    let successor = choose(&cands, leaving).map(|(k, w)| view(&cands[k], leaving, Some(&w)));
    Ok(SuccessionPreview {
        candidates: cands.iter().map(|c| view(c, leaving, None)).collect(),
        successor,
        duties,
        post,
    })
}

/// What a removal did.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SuccessionOutcome {
    pub post: PostView,
    /// The acting holder, if anyone could act.
    pub acting: Option<CandidateView>,
    /// Nobody could act: the post is vacant from the day of the removal and its duties did not
    /// move (a grid with a single 网格员, a unit with no later post). Someone must be appointed.
    pub left_vacant: bool,
    pub moved_duties: usize,
    pub notified: usize,
}

/// Removes the holder of a post on `on` for `reason`, makes the successor (the engine's choice,
/// or `successor_id` when the user picked another candidate) act from the same day, moves the
/// leaving holder's duties in the post's area to them, and notifies the people concerned.
pub async fn remove_holder(
    db: &Db,
    actor: &Actor,
    post_id: i64,
    reason: RemovalReason,
    on: NaiveDate,
    successor_id: Option<i64>,
) -> Result<SuccessionOutcome, DbError> {
    actor.require("people:post:edit")?;
    let mut tx = db.begin().await?;
    let post = post_in_tx(&mut tx, &actor.scope, post_id).await?;
    // The tenure a removal ends is the open one (a holder appointed from a later day included).
    let (leaving, since) = open_tenure(&mut tx, post_id)
        .await?
        .ok_or_else(|| DomainError::Conflict("error.post.already_vacant".into()))?;
    if on < since {
        return Err(DomainError::invalid("date", "error.post.end_before_start").into());
    }
    let cands = candidates(&mut tx, &post, on).await?;
    let chosen = match successor_id {
        Some(pid) => {
            let k = cands
                .iter()
                .position(|c| c.person_id == pid && pid != leaving)
                .ok_or_else(|| DomainError::invalid("successor_id", "error.succession.not_a_candidate"))?;
            Some((k, cands[k].warnings(leaving)))
        }
        None => choose(&cands, leaving),
    };
    tx.execute(&Sql::with(
        "UPDATE tenures SET end_date = $1, end_reason = $2 WHERE post_id = $3 AND end_date IS NULL",
        vec![on.into(), reason.as_str().into(), post_id.into()],
    ))
    .await?;
    let mut moved = 0;
    let mut acting = None;
    if let Some((k, warnings)) = chosen {
        let c = &cands[k];
        tx.execute(&Sql::with(
            "INSERT INTO tenures (post_id, person_id, start_date, acting) VALUES ($1, $2, $3, TRUE)",
            vec![post_id.into(), c.person_id.into(), on.into()],
        ))
        .await?;
        for d in duties(&mut tx, &post, leaving, on).await? {
            tx.execute(&Sql::with("UPDATE links SET end_date = $1 WHERE id = $2", vec![on.into(), d.link_id.into()]))
                .await?;
            tx.execute(&Sql::with(
                "INSERT INTO links (kind, person_id, unit_id, start_date, end_date, note, created_at) \
                 SELECT kind, $1, unit_id, $2, NULL, note, $3 FROM links WHERE id = $4",
                vec![c.person_id.into(), on.into(), Utc::now().into(), d.link_id.into()],
            ))
            .await?;
            moved += 1;
        }
        acting = Some(view(c, leaving, Some(&warnings)));
    }
    crate::access::follow_post(&mut tx, actor, &post, Some(leaving), acting.as_ref().map(|a| a.person_id), on).await?;
    // The people concerned: the leaving holder, the one who acts, and the other post holders of the unit.
    let mut concerned: Vec<i64> = vec![leaving];
    let others: Vec<(i64,)> = tx
        .all(&Sql::with(
            "SELECT DISTINCT t.person_id FROM posts po JOIN tenures t ON t.post_id = po.id AND t.end_date IS NULL \
             WHERE po.unit_id = $1",
            vec![post.unit_id.into()],
        ))
        .await?;
    concerned.extend(others.into_iter().map(|(p,)| p));
    concerned.sort();
    concerned.dedup();
    let params = json!({"post": post.title, "unit": post.unit_name, "date": on, "reason": reason.as_str(),
                        "acting": acting.as_ref().map(|a| a.person_name.clone())});
    let kind = if acting.is_some() { "succession.acting" } else { "succession.vacant" };
    for person in &concerned {
        notify(&mut tx, *person, kind, params.clone()).await?;
    }
    audit::append(
        &mut tx,
        actor,
        Change {
            action: "post.succession",
            object_kind: "post",
            object_id: Some(post_id),
            unit_path: Some(&post.unit_path),
            before: json!({"holder_id": leaving, "since": post.since}),
            after: json!({"reason": reason.as_str(), "date": on, "acting_id": acting.as_ref().map(|a| a.person_id),
                          "warnings": acting.as_ref().map(|a| a.warnings.clone()), "moved_links": moved}),
        },
    )
    .await?;
    let after = post_in_tx(&mut tx, &Scope::everything(), post_id).await?;
    tx.commit().await?;
    let left_vacant = acting.is_none();
    Ok(SuccessionOutcome { post: after, acting, left_vacant, moved_duties: moved, notified: concerned.len() })
}

/// Who held (or acted in) a post on a day.
pub async fn holder_on(db: &Db, scope: &Scope, post_id: i64, on: NaiveDate) -> Result<Option<TenureView>, DbError> {
    get_post(db, scope, post_id).await?;
    let mut sql = Sql::new(
        "SELECT t.id, t.person_id, p.name AS person_name, t.start_date, t.end_date, t.end_reason, t.acting \
         FROM tenures t JOIN people p ON p.id = t.person_id WHERE t.post_id = ",
    );
    sql.bind(post_id).push(" AND ");
    push_active_on(&mut sql, "t.start_date", "t.end_date", on);
    sql.push(" ORDER BY t.start_date DESC, t.id DESC");
    Ok(db.all::<TenureView>(&sql).await?.into_iter().next())
}

/// A notification for a person.
#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: String,
    /// JSON parameters of the message (`post`, `unit`, `date`, `reason`, `acting`).
    pub params: String,
    pub created_at: chrono::DateTime<Utc>,
    pub read_at: Option<chrono::DateTime<Utc>>,
}

/// Tells a person something, in the caller's transaction; the page renders `notice.{kind}` with
/// the parameters.
pub(crate) async fn notify(tx: &mut Tx, person: i64, kind: &str, params: serde_json::Value) -> Result<(), DbError> {
    tx.execute(&Sql::with(
        "INSERT INTO notifications (person_id, kind, params, created_at) VALUES ($1, $2, $3, $4)",
        vec![person.into(), kind.into(), params.to_string().into(), Utc::now().into()],
    ))
    .await?;
    Ok(())
}

/// The latest notifications of a person (the caller's own).
pub async fn notifications_of(db: &Db, person_id: i64, limit: i64) -> Result<Vec<Notification>, DbError> {
    db.all(&Sql::with(
        "SELECT id, kind, params, created_at, read_at FROM notifications WHERE person_id = $1 ORDER BY id DESC LIMIT $2",
        vec![person_id.into(), limit.into()],
    ))
    .await
}

/// How many notifications a person has not read.
pub async fn unread_count(db: &Db, person_id: i64) -> Result<i64, DbError> {
    db.count(&Sql::with(
        "SELECT COUNT(*) FROM notifications WHERE person_id = $1 AND read_at IS NULL",
        vec![person_id.into()],
    ))
    .await
}

/// Marks all of a person's notifications read.
pub async fn mark_read(db: &Db, person_id: i64) -> Result<u64, DbError> {
    let mut tx = db.begin().await?;
    let n = tx
        .execute(&Sql::with(
            "UPDATE notifications SET read_at = $1 WHERE person_id = $2 AND read_at IS NULL",
            vec![Utc::now().into(), person_id.into()],
        ))
        .await?;
    tx.commit().await?;
    Ok(n)
}
