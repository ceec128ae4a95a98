//! The message catalogues. Every user-visible string is a key looked up here; Simplified Chinese
//! is the default, English on request. `i18n/zh-CN.json` and `i18n/en.json` must hold the same
//! keys (a test checks, and another checks that every key the code and templates use exists).

use std::collections::HashMap;
use std::sync::LazyLock;

/// A language the UI speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

static ZH: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(include_str!("../i18n/zh-CN.json")));
static EN: LazyLock<HashMap<String, String>> = LazyLock::new(|| load(include_str!("../i18n/en.json")));

fn load(text: &str) -> HashMap<String, String> {
    // A broken catalogue is caught by the catalogue tests; at run time it degrades to showing keys.
    serde_json::from_str(text).unwrap_or_default()
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The message for `key`, or the key itself if the catalogue lacks it.
    pub fn t<'a>(self, key: &'a str) -> &'a str {
        let cat = match self {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        cat.get(key).map(String::as_str).unwrap_or(key)
    }

    /// The message for `prefix.value` (`unit.kind.village`), or the value itself.
    pub fn code_label<'a>(self, prefix: &str, value: &'a str) -> &'a str {
        let key = format!("{prefix}.{value}");
        let cat = match self {
            Lang::Zh => &*ZH,
            Lang::En => &*EN,
        };
        cat.get(&key).map(String::as_str).unwrap_or(value)
    }
}

/// The keys of a catalogue, for the tests that keep catalogues in step.
pub fn catalogue_keys(lang: Lang) -> Vec<String> {
    let cat = match lang {
        Lang::Zh => &*ZH,
        Lang::En => &*EN,
    };
    let mut keys: Vec<String> = cat.keys().cloned().collect();
    keys.sort();
    keys
}

/// Templates' view of the catalogue: `{{ t.get("nav.units") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr(pub Lang);

impl Tr {
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        self.0.t(key)
    }

    pub fn label<'a>(&self, prefix: &str, value: &'a str) -> &'a str {
        self.0.code_label(prefix, value)
    }

    pub fn lang(&self) -> &'static str {
        self.0.code()
    }

    pub fn is_en(&self) -> bool {
        self.0 == Lang::En
    }
}
