//! The burden view (基层减负, 002.8): what reached a village from above — inspections, visits,
//! task lists, forms — and which of those asked for the same thing twice.
//!
//! An "ask" is one thing a village was asked to do or report: a task-list item, a form field, a
//! visit. Two asks from different sources repeat each other when their wording is the same once
//! spaces, punctuation and case are set aside. This module is the rules only.

use std::collections::BTreeMap;

use serde::Serialize;

/// One thing asked of a village.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// Where it came from: `task_list`, `form`, `inspection`.
    pub source_kind: String,
    pub source_id: i64,
    /// The source's own title (the list's, the form's, the round's).
    pub source_title: String,
    /// What it asks (an item's text, a field's label).
    pub text: String,
}

/// The same thing asked by more than one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Repeat {
    /// The wording, as the first source put it.
    pub text: String,
    /// Each source that asked it: kind, id and title.
    pub sources: Vec<(String, i64, String)>,
}

/// The wording with spaces, punctuation and case set aside.
pub fn normalise(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// The asks that more than one source made, in the order first asked.
pub fn repeats(asks: &[Ask]) -> Vec<Repeat> {
    let mut groups: BTreeMap<String, (usize, Repeat)> = BTreeMap::new();
    for (i, a) in asks.iter().enumerate() {
        let key = normalise(&a.text);
        if key.is_empty() {
            continue;
        }
        let entry = groups.entry(key).or_insert_with(|| (i, Repeat { text: a.text.clone(), sources: Vec::new() }));
        let source = (a.source_kind.clone(), a.source_id, a.source_title.clone());
        if !entry.1.sources.iter().any(|s| s.0 == source.0 && s.1 == source.1) {
            entry.1.sources.push(source);
        }
    }
    let mut out: Vec<(usize, Repeat)> = groups.into_values().filter(|(_, r)| r.sources.len() > 1).collect();
    out.sort_by_key(|(i, _)| *i);
    out.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ask(kind: &str, id: i64, text: &str) -> Ask {
        Ask { source_kind: kind.into(), source_id: id, source_title: format!("{kind} {id}"), text: text.into() }
    }

    #[test]
    fn the_same_question_from_two_sources_is_a_repeat() {
        let asks = vec![
            ask("task_list", 1, "走访独居老人"),
            ask("form", 2, "走访 独居老人。"),
            ask("task_list", 1, "走访独居老人"),
            ask("task_list", 3, "巡查河道"),
            ask("form", 2, "家中常住人口"),
        ];
        let r = repeats(&asks);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].text, "走访独居老人");
        assert_eq!(r[0].sources.len(), 2, "one source asking twice in itself is not a repeat from above");
    }

    #[test]
    fn nothing_repeats_when_every_ask_differs() {
        assert!(repeats(&[ask("form", 1, "A"), ask("form", 2, "B"), ask("form", 3, "…")]).is_empty());
    }
}
