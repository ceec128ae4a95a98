//! Responsibility lists and daily sign-off (责任清单, 004.1; 任务清单, 003.10): task lists attached
//! to the holders of posts (the "8 rigid epidemic tasks" of every on-duty village member, 一岗三责,
//! the key tasks of county, township and village secretaries), each with a period and a due time.
//! An instance is one person's copy of a list for one period; the doer signs its items off, the
//! secretary verifies it or returns it with a reason.
//!
//! Times: China keeps one clock (UTC+8). Due times are typed in local time and stored in UTC.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};

use crate::codes::code_enum;
use crate::error::{FieldError, Problems, optional_text, text};
use crate::time::china;

code_enum!(
    /// How often a list comes back.
    Period {
        Daily = "daily",
        Weekly = "weekly",
        Monthly = "monthly",
        Once = "once",
    }
);

code_enum!(
    /// Where one person's copy of a list stands.
    TaskStatus {
        Open = "open",
        Submitted = "submitted",
        Verified = "verified",
        Returned = "returned",
    }
);

impl TaskStatus {
    /// Whether the doer may still sign items off (not yet handed in, or handed back).
    pub fn editable(self) -> bool {
        matches!(self, TaskStatus::Open | TaskStatus::Returned)
    }
}

/// The first day of the period that contains `day` (a list made "once" has one period, starting
/// on the day it began).
pub fn period_start(period: Period, day: NaiveDate, once_start: NaiveDate) -> NaiveDate {
    match period {
        Period::Daily => day,
        Period::Weekly => day - Duration::days(day.weekday().num_days_from_monday() as i64),
        Period::Monthly => day.with_day(1).unwrap_or(day),
        Period::Once => once_start,
    }
}

/// The last day of a period.
pub fn period_end(period: Period, start: NaiveDate) -> NaiveDate {
    match period {
        Period::Daily => start,
        Period::Weekly => start + Duration::days(6),
        Period::Monthly => {
            let next = if start.month() == 12 {
                NaiveDate::from_ymd_opt(start.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(start.year(), start.month() + 1, 1)
            };
            next.map(|n| n - Duration::days(1)).unwrap_or(start)
        }
        Period::Once => start + Duration::days(13),
    }
}

/// When an instance is due: the due time on the last day of its period, in China.
pub fn due_at(period: Period, start: NaiveDate, due_time: NaiveTime) -> DateTime<Utc> {
    let local = period_end(period, start).and_time(due_time);
    china().from_local_datetime(&local).single().map(|d| d.with_timezone(&Utc)).unwrap_or_else(|| local.and_utc())
}

/// Parses `HH:MM`.
pub fn parse_due_time(field: &str, s: &str) -> Result<NaiveTime, FieldError> {
    NaiveTime::parse_from_str(s.trim(), "%H:%M").map_err(|_| FieldError::new(field, "error.task.due_time"))
}

/// A task list as typed: title, who does it, how often, by when, and its items.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TaskListInput {
    pub title: String,
    /// Post kinds whose holders do the list (`committee_member`, `grid_worker`, `secretary`…).
    pub post_kinds: Vec<String>,
    pub period: String,
    /// `HH:MM`, China time.
    pub due_time: String,
    /// A campaign (专项行动) whose commitment letter each doer signs once.
    #[serde(default)]
    pub campaign: String,
    /// The commitment letter's text (履职承诺书); empty for none.
    #[serde(default)]
    pub commitment: String,
    pub items: Vec<TaskItemInput>,
}

/// One item of a list.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct TaskItemInput {
    pub text: String,
    #[serde(default)]
    pub needs_note: bool,
    #[serde(default)]
    pub needs_photo: bool,
}

/// A checked list.
#[derive(Debug, Clone, PartialEq)]
pub struct ValidTaskList {
    pub title: String,
    pub post_kinds: Vec<String>,
    pub period: Period,
    pub due_time: NaiveTime,
    pub campaign: Option<String>,
    pub commitment: Option<String>,
    pub items: Vec<TaskItemInput>,
}

impl TaskListInput {
    pub fn validate(&self) -> Result<ValidTaskList, crate::DomainError> {
        let mut p = Problems::new();
        let title = p.check(text("title", &self.title, 60));
        let kinds: Vec<String> =
            self.post_kinds.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect();
        if kinds.is_empty() {
            p.add("post_kinds", "error.required");
        } else if kinds.iter().any(|k| k.len() > 40 || !k.chars().all(|c| c.is_ascii_lowercase() || c == '_')) {
            p.add("post_kinds", "error.task.post_kind");
        }
        let period = Period::parse(self.period.trim());
        if period.is_none() {
            p.add("period", "error.task.period");
        }
        let due = p.check(parse_due_time("due_time", &self.due_time));
        let campaign = p.check(optional_text("campaign", &self.campaign, 60)).flatten();
        let commitment = p.check(optional_text("commitment", &self.commitment, 2000)).flatten();
        if commitment.is_some() && campaign.is_none() {
            p.add("campaign", "error.task.campaign_needed");
        }
        if self.items.is_empty() || self.items.len() > 30 {
            p.add("items", "error.task.items");
        }
        let mut items = Vec::new();
        for item in &self.items {
            if let Some(t) = p.check(text("items", &item.text, 200)) {
                items.push(TaskItemInput { text: t, ..item.clone() });
            }
        }
        p.into_result()?;
        Ok(ValidTaskList {
            title: title.unwrap_or_default(),
            post_kinds: kinds,
            period: period.unwrap_or(Period::Daily),
            due_time: due.unwrap_or_default(),
            campaign,
            commitment,
            items,
        })
    }
}

/// Parses items typed one per line; a line ending in `[备注]`/`[note]` asks for a note, `[照片]`/
/// `[photo]` for a photo.
pub fn items_from_lines(text: &str) -> Vec<TaskItemInput> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|line| {
            let mut t = line.to_string();
            let mut needs_note = false;
            let mut needs_photo = false;
            for (tags, flag) in [(["[备注]", "[note]"], &mut needs_note), (["[照片]", "[photo]"], &mut needs_photo)]
            {
                for tag in tags {
                    if t.contains(tag) {
                        t = t.replace(tag, "");
                        *flag = true;
                    }
                }
            }
            TaskItemInput { text: t.trim().to_string(), needs_note, needs_photo }
        })
        .collect()
}

/// Rates over a set of instances, in per cent of the instances due.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct Rates {
    pub total: i64,
    pub submitted: i64,
    pub on_time: i64,
    pub verified: i64,
    pub returned: i64,
    pub overdue: i64,
}

impl Rates {
    pub fn completion(&self) -> Option<f64> {
        percent(self.submitted, self.total)
    }
    pub fn on_time_rate(&self) -> Option<f64> {
        percent(self.on_time, self.total)
    }
    pub fn verification(&self) -> Option<f64> {
        percent(self.verified, self.total)
    }
}

/// `part / whole` in per cent, one decimal; `None` (not applicable, shown "—") when the whole is
/// nothing: 0 of 0 is neither 0 % nor 100 %.
pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 * 1000.0 / whole as f64).round() / 10.0)
}

/// A percentage as shown: `87.5%`, or `—` when not applicable (taken by value or by reference,
/// as templates hand fields over).
pub fn percent_text(p: impl std::borrow::Borrow<Option<f64>>) -> String {
    p.borrow().map_or_else(|| "—".to_string(), |p| format!("{p}%"))
}

/// The Monday of the ISO week containing a day, and the week's label (`2026-W48`).
pub fn week_of(day: NaiveDate) -> (NaiveDate, String) {
    let monday = day - Duration::days(day.weekday().num_days_from_monday() as i64);
    let w = day.iso_week();
    (monday, format!("{}-W{:02}", w.year(), w.week()))
}

/// Whether a day is the first working day of its week (周督促 goes out then).
pub fn is_monday(day: NaiveDate) -> bool {
    day.weekday() == Weekday::Mon
}

/// The image type of a photo from its first bytes (JPEG, PNG, GIF, WebP, HEIC), or `None` when
/// the bytes are not an image, whatever `Content-Type` came with them.
pub fn image_type(data: &[u8]) -> Option<&'static str> {
    match data {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        [_, _, _, _, b'f', b't', b'y', b'p', b'h', b'e', b'i', b'c' | b'x', ..] => Some("image/heic"),
        _ => None,
    }
}

/// A photo with what its file says beyond the picture removed: EXIF (where and when it was taken,
/// the phone's serial), XMP and IPTC blocks of a JPEG, the `eXIf` and text chunks of a PNG, the
/// `EXIF` and `XMP ` chunks of a WebP. Where a photo was taken is kept only where its sender chose
/// to send the place, beside the photo, never inside it. `None` for a file that is not a
/// well-formed JPEG, PNG, GIF or WebP (HEIC cannot be cleaned here: the phone page sends JPEG).
pub fn strip_image_metadata(data: &[u8]) -> Option<Vec<u8>> {
    match image_type(data)? {
        "image/jpeg" => strip_jpeg(data),
        "image/png" => strip_png(data),
        "image/webp" => strip_webp(data),
        "image/gif" => Some(data.to_vec()),
        _ => None,
    }
}

fn strip_jpeg(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = vec![0xFF, 0xD8];
    let mut at = 2;
    loop {
        let marker = *data.get(at + 1)?;
        if *data.get(at)? != 0xFF {
            return None;
        }
        if marker == 0xFF {
            at += 1;
            continue;
        }
        // Start of scan: the picture itself, to the end.
        if marker == 0xDA || marker == 0xD9 {
            out.extend_from_slice(&data[at..]);
            return Some(out);
        }
        let len = u16::from_be_bytes([*data.get(at + 2)?, *data.get(at + 3)?]) as usize;
        let end = at + 2 + len;
        if len < 2 || end > data.len() {
            return None;
        }
        // APP1 (EXIF, XMP), APP13 (IPTC) and comments go; the rest is the picture's.
        if !matches!(marker, 0xE1 | 0xED | 0xFE) {
            out.extend_from_slice(&data[at..end]);
        }
        at = end;
    }
}

fn strip_png(data: &[u8]) -> Option<Vec<u8>> {
    let mut out = data.get(..8)?.to_vec();
    let mut at = 8;
    while at < data.len() {
        let len = u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?) as usize;
        let end = at.checked_add(12)?.checked_add(len)?;
        let kind = data.get(at + 4..at + 8)?;
        if end > data.len() {
            return None;
        }
        if !matches!(kind, b"eXIf" | b"tEXt" | b"zTXt" | b"iTXt") {
            out.extend_from_slice(&data[at..end]);
        }
        at = end;
    }
    Some(out)
}

fn strip_webp(data: &[u8]) -> Option<Vec<u8>> {
    let mut body = b"WEBP".to_vec();
    let mut at = 12;
    while at < data.len() {
        let kind = data.get(at..at + 4)?;
        let len = u32::from_le_bytes(data.get(at + 4..at + 8)?.try_into().ok()?) as usize;
        let end = at.checked_add(8)?.checked_add(len + (len & 1))?.min(data.len());
        if at + 8 + len > data.len() {
            return None;
        }
        if kind == b"VP8X" {
            let mut chunk = data[at..end].to_vec();
            // The flags say no EXIF (bit 3) and no XMP (bit 2) any more.
            *chunk.get_mut(8)? &= !0x0C;
            body.extend_from_slice(&chunk);
        } else if kind != b"EXIF" && kind != b"XMP " {
            body.extend_from_slice(&data[at..end]);
        }
        at = end;
    }
    let mut out = b"RIFF".to_vec();
    out.extend_from_slice(&u32::try_from(body.len()).ok()?.to_le_bytes());
    out.extend_from_slice(&body);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::today_in_china;

    #[test]
    fn a_photo_keeps_its_picture_and_loses_where_it_was_taken() {
        // SOI, APP0 (JFIF), APP1 (EXIF with a GPS block), DQT, SOS and the scan, EOI.
        let mut jpeg = vec![0xFF, 0xD8];
        jpeg.extend_from_slice(&[0xFF, 0xE0, 0x00, 0x06, b'J', b'F', b'I', b'F']);
        jpeg.extend_from_slice(&[0xFF, 0xE1, 0x00, 0x0A, b'E', b'x', b'i', b'f', 0, 0, b'G', b'P']);
        jpeg.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x03, 0x07]);
        jpeg.extend_from_slice(&[0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22, 0xFF, 0xD9]);
        let clean = strip_image_metadata(&jpeg).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"Exif"), "{clean:?}");
        assert_eq!(clean.len(), jpeg.len() - 12);
        assert!(clean.windows(4).any(|w| w == b"JFIF"));
        assert!(clean.ends_with(&[0xFF, 0xDA, 0x00, 0x02, 0x11, 0x22, 0xFF, 0xD9]));
        // A PNG's eXIf chunk goes, its picture chunks stay.
        let chunk = |kind: &[u8], body: &[u8]| {
            let mut c = (body.len() as u32).to_be_bytes().to_vec();
            c.extend_from_slice(kind);
            c.extend_from_slice(body);
            c.extend_from_slice(&[0, 0, 0, 0]);
            c
        };
        let mut png = vec![0x89, b'P', b'N', b'G', 13, 10, 26, 10];
        png.extend(chunk(b"IHDR", &[0; 13]));
        png.extend(chunk(b"eXIf", b"GPS here"));
        png.extend(chunk(b"IDAT", &[1, 2, 3]));
        png.extend(chunk(b"IEND", &[]));
        let clean = strip_image_metadata(&png).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"eXIf"));
        assert_eq!(clean.len(), png.len() - 20);
        // A WebP's EXIF chunk goes and its header no longer announces one.
        let riff = |kind: &[u8], body: &[u8]| {
            let mut c = kind.to_vec();
            c.extend_from_slice(&(body.len() as u32).to_le_bytes());
            c.extend_from_slice(body);
            c
        };
        let mut chunks = riff(b"VP8X", &[0x08, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        chunks.extend(riff(b"VP8 ", &[9, 9]));
        chunks.extend(riff(b"EXIF", b"GPS!"));
        let mut webp = b"RIFF".to_vec();
        webp.extend_from_slice(&((chunks.len() + 4) as u32).to_le_bytes());
        webp.extend_from_slice(b"WEBP");
        webp.extend(chunks);
        let clean = strip_image_metadata(&webp).unwrap();
        assert!(!clean.windows(4).any(|w| w == b"EXIF"));
        assert_eq!(clean[20] & 0x08, 0);
        assert_eq!(u32::from_le_bytes(clean[4..8].try_into().unwrap()) as usize, clean.len() - 8);
        // Not a picture, a broken one, or one that cannot be cleaned: refused.
        assert_eq!(strip_image_metadata(b"%PDF-1.7"), None);
        assert_eq!(strip_image_metadata(&jpeg[..9]), None);
        assert_eq!(strip_image_metadata(b"\0\0\0\x18ftypheic\0\0\0\0"), None);
    }

    #[test]
    fn a_photo_is_known_by_its_bytes_not_its_label() {
        assert_eq!(image_type(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some("image/jpeg"));
        assert_eq!(image_type(&[0x89, b'P', b'N', b'G', 13, 10, 26, 10]), Some("image/png"));
        assert_eq!(image_type(b"RIFF\x10\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"\0\0\0\x18ftypheic"), Some("image/heic"));
        assert_eq!(image_type(b"[2147483648]"), None);
        assert_eq!(image_type(b""), None);
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn periods_start_and_end_where_a_calendar_says() {
        let wed = d(2026, 11, 25);
        assert_eq!(period_start(Period::Daily, wed, wed), wed);
        assert_eq!(period_start(Period::Weekly, wed, wed), d(2026, 11, 23));
        assert_eq!(period_end(Period::Weekly, d(2026, 11, 23)), d(2026, 11, 29));
        assert_eq!(period_start(Period::Monthly, wed, wed), d(2026, 11, 1));
        assert_eq!(period_end(Period::Monthly, d(2026, 12, 1)), d(2026, 12, 31));
        assert_eq!(period_end(Period::Monthly, d(2028, 2, 1)), d(2028, 2, 29));
        assert_eq!(period_start(Period::Once, wed, d(2026, 11, 2)), d(2026, 11, 2));
    }

    #[test]
    fn due_times_are_china_time() {
        let due = due_at(Period::Daily, d(2026, 11, 25), NaiveTime::from_hms_opt(18, 0, 0).unwrap());
        assert_eq!(due.to_rfc3339(), "2026-11-25T10:00:00+00:00");
        assert_eq!(today_in_china("2026-11-25T17:00:00Z".parse().unwrap()), d(2026, 11, 26));
    }

    #[test]
    fn lists_are_checked_field_by_field() {
        let bad = TaskListInput {
            title: " ".into(),
            post_kinds: vec!["网格员".into()],
            period: "hourly".into(),
            due_time: "25:00".into(),
            campaign: String::new(),
            commitment: "我承诺".into(),
            items: vec![],
        };
        let crate::DomainError::Invalid(errs) = bad.validate().unwrap_err() else { panic!() };
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["title", "post_kinds", "period", "due_time", "campaign", "items"]);
        let good = TaskListInput {
            title: "八项硬性任务".into(),
            post_kinds: vec!["committee_member".into(), " grid_worker ".into()],
            period: "daily".into(),
            due_time: "18:00".into(),
            campaign: "冬季防疫".into(),
            commitment: "我承诺履职尽责".into(),
            items: items_from_lines("卡点值守\n入户排查 [备注]\n\n环境消杀 [照片]"),
        };
        let v = good.validate().unwrap();
        assert_eq!(v.post_kinds, ["committee_member", "grid_worker"]);
        assert_eq!(v.items.len(), 3);
        assert!(v.items[1].needs_note && !v.items[1].needs_photo);
        assert_eq!(v.items[2].text, "环境消杀");
        assert!(v.items[2].needs_photo);
    }

    #[test]
    fn rates_are_per_cent_of_what_was_due() {
        let r = Rates { total: 8, submitted: 6, on_time: 5, verified: 3, returned: 1, overdue: 2 };
        assert_eq!(r.completion(), Some(75.0));
        assert_eq!(r.on_time_rate(), Some(62.5));
        assert_eq!(r.verification(), Some(37.5));
        assert_eq!(Rates::default().completion(), None, "nothing due: not applicable, not 0 %");
        assert_eq!(percent_text(Rates::default().completion()), "—");
        assert_eq!(percent_text(r.completion()), "75%");
        assert_eq!(week_of(d(2026, 11, 25)), (d(2026, 11, 23), "2026-W48".to_string()));
    }
}
