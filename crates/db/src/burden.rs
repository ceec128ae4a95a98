//! The burden view in the store (基层减负, 002.8): for each village of a subtree, how many
//! inspection rounds and visits, task lists, forms and assigned topics reached it this week and
//! this month, and which task items and form questions asked it the same thing twice.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Datelike, Duration, NaiveDate, Utc};
use frontline_core::access::Scope;
use frontline_core::burden::{self, Ask, Repeat};
use frontline_core::surveys::FormSpec;
use frontline_core::time::{start_of_china_day, today_in_china};
use frontline_core::units::{path_ids, subtree_range};
use serde::Serialize;

use crate::units::{self, push_scope};
use crate::{Db, DbError, Sql};

/// What reached a village in one period.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BurdenCounts {
    /// Inspection rounds that visited it.
    pub rounds: i64,
    /// Inspection visits logged there.
    pub visits: i64,
    /// Task lists its people were given.
    pub task_lists: i64,
    /// Forms filled in for its households.
    pub forms: i64,
    /// Topics a committee assigned to it.
    pub topics: i64,
}

impl BurdenCounts {
    pub fn total(&self) -> i64 {
        self.rounds + self.visits + self.task_lists + self.forms + self.topics
    }
}

/// The same thing asked by more than one source.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RepeatView {
    pub text: String,
    /// Each source: kind (`task_list`, `form`), id and title.
    #[schema(value_type = Vec<Object>)]
    pub sources: Vec<(String, i64, String)>,
}

impl From<Repeat> for RepeatView {
    fn from(r: Repeat) -> Self {
        RepeatView { text: r.text, sources: r.sources }
    }
}

/// One village's burden.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct VillageBurden {
    pub unit_id: i64,
    pub unit_name: String,
    pub township_name: Option<String>,
    pub week: BurdenCounts,
    pub month: BurdenCounts,
    /// What was asked twice this month.
    pub repeats: Vec<RepeatView>,
}

/// The burden of every village in a subtree, heaviest month first, with the week starting on
/// `week_from` and the month on `month_from` (both up to `to`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BurdenReport {
    pub week_from: NaiveDate,
    pub month_from: NaiveDate,
    pub to: NaiveDate,
    pub villages: Vec<VillageBurden>,
}

/// The burden view for the villages under `unit` as of `to` (today if absent): this week is
/// Monday to `to`, this month the 1st to `to`.
pub async fn report(db: &Db, scope: &Scope, unit: i64, to: Option<NaiveDate>) -> Result<BurdenReport, DbError> {
    let root = units::get(db, scope, unit).await?;
    let to = to.unwrap_or_else(|| today_in_china(Utc::now()));
    let week_from = to - Duration::days(i64::from(to.weekday().num_days_from_monday()));
    let month_from = to.with_day(1).unwrap_or(to);
    let from = week_from.min(month_from);
    let start = start_of_china_day(from);
    let end = start_of_china_day(to + Duration::days(1));
    let (lo, hi) = subtree_range(&root.path);
    let in_subtree = |sql: &mut Sql| {
        sql.push(" AND u.path >= ").bind(lo.clone()).push(" AND u.path < ").bind(hi.clone()).push(" AND ");
        push_scope(sql, "u.path", scope);
    };
    let mut sql = Sql::new(
        "SELECT u.id, u.name, u.path, t.name AS township FROM units u LEFT JOIN units t ON t.id = u.parent_id AND t.kind = 'township' \
         WHERE u.kind = 'village' AND NOT u.closed",
    );
    in_subtree(&mut sql);
    sql.push(" ORDER BY u.path LIMIT 5000");
    let villages: Vec<(i64, String, String, Option<String>)> = db.all(&sql).await?;
    let index: HashMap<i64, usize> = villages.iter().enumerate().map(|(i, v)| (v.0, i)).collect();
    let village_of = |path: &str| path_ids(path).into_iter().find_map(|id| index.get(&id).copied());
    let mut week = vec![BurdenCounts::default(); villages.len()];
    let mut month = vec![BurdenCounts::default(); villages.len()];
    let mut asks: Vec<Vec<Ask>> = vec![Vec::new(); villages.len()];
    let in_week = |day: NaiveDate| day >= week_from && day <= to;
    let in_month = |day: NaiveDate| day >= month_from && day <= to;

    // Inspection visits, and the distinct rounds behind them.
    let mut sql = Sql::new(
        "SELECT u.path, v.round_id, v.visited_at FROM inspection_visits v JOIN units u ON u.id = v.unit_id WHERE v.visited_at >= ",
    );
    sql.bind(start).push(" AND v.visited_at < ").bind(end);
    in_subtree(&mut sql);
    let visits: Vec<(String, Option<i64>, chrono::DateTime<Utc>)> = db.all(&sql).await?;
    let mut rounds_seen: HashSet<(usize, bool, i64)> = HashSet::new();
    for (path, round, at) in &visits {
        let Some(v) = village_of(path) else { continue };
        let day = today_in_china(*at);
        for (counts, inside, is_week) in [(&mut week, in_week(day), true), (&mut month, in_month(day), false)] {
            if inside {
                counts[v].visits += 1;
                if let Some(r) = round
                    && rounds_seen.insert((v, is_week, *r))
                {
                    counts[v].rounds += 1;
                }
            }
        }
    }

    // Task lists given to people of the village, by the period they ran in.
    let mut sql = Sql::new(
        "SELECT u.path, ti.list_id, MIN(ti.period_start) AS first_day, MAX(ti.period_start) AS last_day FROM task_instances ti \
         JOIN units u ON u.id = ti.unit_id WHERE ti.period_start >= ",
    );
    sql.bind(from).push(" AND ti.period_start <= ").bind(to);
    in_subtree(&mut sql);
    sql.push(" GROUP BY u.path, ti.list_id");
    let lists: Vec<(String, i64, NaiveDate, NaiveDate)> = db.all(&sql).await?;
    let village_lists = spans(lists, &village_of);
    let mut list_ids: Vec<i64> = village_lists.keys().map(|k| k.1).collect();
    list_ids.sort_unstable();
    list_ids.dedup();
    let mut items: HashMap<i64, (String, Vec<String>)> = HashMap::new();
    if !list_ids.is_empty() {
        let mut sql = Sql::new(
            "SELECT l.id, l.title, i.text FROM task_lists l JOIN task_items i ON i.list_id = l.id WHERE l.id IN ",
        );
        sql.bind_list(list_ids.iter().copied()).push(" ORDER BY l.id, i.seq");
        for (id, title, text) in db.all::<(i64, String, String)>(&sql).await? {
            items.entry(id).or_insert_with(|| (title, Vec::new())).1.push(text);
        }
    }
    for ((v, list), (first, last)) in &village_lists {
        if *last >= week_from && *first <= to {
            week[*v].task_lists += 1;
        }
        if *last >= month_from {
            month[*v].task_lists += 1;
            if let Some((title, texts)) = items.get(list) {
                asks[*v].extend(texts.iter().map(|t| Ask {
                    source_kind: "task_list".into(),
                    source_id: *list,
                    source_title: title.clone(),
                    text: t.clone(),
                }));
            }
        }
    }

    // Forms filled in for the village's households.
    let mut sql = Sql::new(
        "SELECT u.path, r.form_id, MIN(r.filled_on) AS first_day, MAX(r.filled_on) AS last_day FROM survey_responses r \
         JOIN units u ON u.id = r.household_id WHERE r.filled_on >= ",
    );
    sql.bind(from).push(" AND r.filled_on <= ").bind(to);
    in_subtree(&mut sql);
    sql.push(" GROUP BY u.path, r.form_id");
    let filled: Vec<(String, i64, NaiveDate, NaiveDate)> = db.all(&sql).await?;
    let village_forms = spans(filled, &village_of);
    let mut form_ids: Vec<i64> = village_forms.keys().map(|k| k.1).collect();
    form_ids.sort_unstable();
    form_ids.dedup();
    let mut questions: HashMap<i64, (String, Vec<String>)> = HashMap::new();
    if !form_ids.is_empty() {
        let mut sql = Sql::new("SELECT id, title, fields FROM forms WHERE id IN ");
        sql.bind_list(form_ids.iter().copied());
        for (id, title, fields) in db.all::<(i64, String, String)>(&sql).await? {
            let labels =
                FormSpec::parse(&fields).map(|s| s.fields.into_iter().map(|f| f.label).collect()).unwrap_or_default();
            questions.insert(id, (title, labels));
        }
    }
    for ((v, form), (first, last)) in &village_forms {
        if *last >= week_from && *first <= to {
            week[*v].forms += 1;
        }
        if *last >= month_from {
            month[*v].forms += 1;
            if let Some((title, labels)) = questions.get(form) {
                asks[*v].extend(labels.iter().map(|l| Ask {
                    source_kind: "form".into(),
                    source_id: *form,
                    source_title: title.clone(),
                    text: l.clone(),
                }));
            }
        }
    }

    // Topics a committee meeting assigned to the village.
    let mut sql = Sql::new(
        "SELECT u.path, t.created_at FROM meeting_topics t JOIN units u ON u.id = t.unit_id WHERE t.created_at >= ",
    );
    sql.bind(start).push(" AND t.created_at < ").bind(end);
    in_subtree(&mut sql);
    let topics: Vec<(String, chrono::DateTime<Utc>)> = db.all(&sql).await?;
    for (path, at) in topics {
        let Some(v) = village_of(&path) else { continue };
        let day = today_in_china(at);
        if in_week(day) {
            week[v].topics += 1;
        }
        if in_month(day) {
            month[v].topics += 1;
        }
    }

    let mut out: Vec<VillageBurden> = villages
        .into_iter()
        .enumerate()
        .map(|(i, (unit_id, unit_name, _, township_name))| VillageBurden {
            unit_id,
            unit_name,
            township_name,
            week: week[i].clone(),
            month: month[i].clone(),
            repeats: burden::repeats(&asks[i]).into_iter().map(RepeatView::from).collect(),
        })
        .collect();
    out.sort_by(|a, b| {
        (b.month.total(), b.repeats.len(), b.week.total())
            .cmp(&(a.month.total(), a.repeats.len(), a.week.total()))
            .then(a.unit_id.cmp(&b.unit_id))
    });
    Ok(BurdenReport { week_from, month_from, to, villages: out })
}

/// Folds `(unit path, source id, first day, last day)` rows into one span per village and source,
/// in village and source order.
fn spans(
    rows: Vec<(String, i64, NaiveDate, NaiveDate)>,
    village_of: &impl Fn(&str) -> Option<usize>,
) -> BTreeMap<(usize, i64), (NaiveDate, NaiveDate)> {
    let mut out: BTreeMap<(usize, i64), (NaiveDate, NaiveDate)> = BTreeMap::new();
    for (path, source, first, last) in rows {
        let Some(v) = village_of(&path) else { continue };
        let e = out.entry((v, source)).or_insert((first, last));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
    }
    out
}
