//! A bulletin as its readers get it: the title in their language, and the kept content drawn as a
//! PDF (Chinese set in the server's CJK font) or as an Excel workbook, one sheet per section.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use frontline_core::indicators::Standing;
use frontline_db::bulletins::{Bulletin, BulletinView, Figure, NoticeRow, RankRow};
use frontline_reports::Sheet;
use frontline_reports::pdf::{Block, PdfDocument, render};

use crate::AppError;
use crate::i18n::Lang;
use crate::ui::indicators::standing_text;

/// `乐清市一线工作周通报（2026-11-16 至 2026-11-22）`.
pub fn title(v: &BulletinView, lang: Lang) -> String {
    format!(
        "{}{}{}{}{}{}",
        v.unit_name,
        if lang == Lang::En { " " } else { "" },
        lang.code_label("bulletin.cadence", &v.cadence),
        lang.t("bulletin.open"),
        format_args!("{} {} {}", v.period_from, lang.t("bulletin.to"), v.period_to),
        lang.t("bulletin.close"),
    )
}

/// The elements of a party-committee 通报 around the text (GB/T 9704): the issuing body (发文机关
/// and 落款), the document number (发文字号, numbered per year by the issuing unit) and the date
/// it was written (成文日期, the day it was made, China time).
pub struct Masthead {
    pub issuer: String,
    /// Empty on bulletins made before bulletins were numbered.
    pub number: String,
    pub date: String,
}

pub fn masthead(b: &Bulletin, lang: Lang) -> Masthead {
    let unit = &b.bulletin.unit_name;
    let abbr: String = unit.chars().take(1).collect();
    let day = frontline_core::time::today_in_china(b.bulletin.created_at);
    Masthead {
        issuer: lang.t("bulletin.issuer").replace("{unit}", unit),
        number: b.content.issue.map_or_else(String::new, |i| {
            lang.t("bulletin.doc_number")
                .replace("{abbr}", &abbr)
                .replace("{year}", &i.year.to_string())
                .replace("{n}", &i.number.to_string())
        }),
        date: lang
            .t("bulletin.issued_on")
            .replace("{y}", &day.year().to_string())
            .replace("{m}", &day.month().to_string())
            .replace("{d}", &day.day().to_string()),
    }
}

/// A figure as read: the value, the period before, the change; "—" where there is nothing to
/// show (a rate of nothing, a period before without data, a change against it).
pub fn figure_text(f: &Figure) -> (String, String, String) {
    let delta = match (f.value, f.previous) {
        (Some(now), Some(before)) => {
            let delta = now - before;
            format!("{}{}", if delta > 0.0 { "+" } else { "" }, trim(delta))
        }
        _ => NOTHING.to_string(),
    };
    (f.value.map_or_else(|| NOTHING.to_string(), trim), f.previous.map_or_else(|| NOTHING.to_string(), trim), delta)
}

/// What a cell shows when there is no number to show.
const NOTHING: &str = "—";

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

fn rank_line(lang: Lang, r: &RankRow) -> (String, String) {
    let parent = r.parent_name.as_deref().map(|p| format!("（{p}）")).unwrap_or_default();
    let standing = r.standing();
    if !standing.ranked() {
        return (format!("{NOTHING} {}{parent}", r.unit_name), standing_text(standing, lang));
    }
    (format!("{}. {}{parent}", r.rank, r.unit_name), format!("{:.2} {}", r.total, standing_text(standing, lang)))
}

fn notice_lines(rows: &[NoticeRow]) -> Vec<Block> {
    rows.iter().map(|n| Block::Paragraph(format!("{} {} · {}", n.on, n.title, n.unit_name))).collect()
}

/// The bulletin as a PDF download.
pub fn pdf_response(b: &Bulletin, lang: Lang) -> Result<Response, AppError> {
    let c = &b.content;
    let m = masthead(b, lang);
    // The issuing body heads the page (发文机关标志), over the number and the title.
    let mut blocks = Vec::new();
    if !m.number.is_empty() {
        blocks.push(Block::Paragraph(m.number.clone()));
    }
    blocks.push(Block::Heading(title(&b.bulletin, lang)));
    blocks.push(Block::Heading(lang.t("bulletin.figures").to_string()));
    blocks.push(Block::Fields(
        c.figures
            .iter()
            .map(|f| {
                let (now, before, delta) = figure_text(f);
                (lang.t(&f.key).to_string(), format!("{now}（{} {before}，{delta}）", lang.t("bulletin.previous")))
            })
            .collect(),
    ));
    if let Some(scheme) = &c.scheme_name {
        blocks.push(Block::Heading(format!("{} · {}", scheme, lang.t("bulletin.groups"))));
        blocks.push(Block::Fields(c.groups.iter().map(|r| rank_line(lang, r)).collect()));
        blocks.push(Block::Heading(lang.t("bulletin.red").to_string()));
        blocks.push(Block::Fields(c.red.iter().map(|r| rank_line(lang, r)).collect()));
        blocks.push(Block::Heading(lang.t("bulletin.black").to_string()));
        blocks.push(Block::Fields(c.black.iter().map(|r| rank_line(lang, r)).collect()));
    }
    for (key, rows) in
        [("bulletin.praised", &c.praised), ("bulletin.criticised", &c.criticised), ("bulletin.commended", &c.commended)]
    {
        blocks.push(Block::Heading(lang.t(key).to_string()));
        if rows.is_empty() {
            blocks.push(Block::Paragraph(lang.t("bulletin.none").to_string()));
        }
        blocks.extend(notice_lines(rows));
    }
    // 落款 and 成文日期 close the document.
    blocks.push(Block::Paragraph(String::new()));
    blocks.push(Block::Paragraph(m.issuer.clone()));
    blocks.push(Block::Paragraph(m.date.clone()));
    let bytes = render(&PdfDocument { title: m.issuer.clone(), blocks })?;
    let name = format!("attachment; filename=\"bulletin-{}.pdf\"", b.bulletin.id);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, name)], bytes)
        .into_response())
}

/// The columns of a ranking sheet that hold numbers: rank, points, stars.
const RANK_NUMBERS: [usize; 3] = [0, 3, 4];

/// The bulletin as an Excel workbook: figures, the groups' ranking, the red and black lists.
pub fn xlsx_response(b: &Bulletin, lang: Lang) -> Result<Response, AppError> {
    let c = &b.content;
    let masthead = masthead(b, lang);
    let rank_headers = vec![
        lang.t("judge.rank").to_string(),
        lang.t("field.unit").to_string(),
        lang.t("judge.parent").to_string(),
        lang.t("judge.points").to_string(),
        lang.t("judge.stars").to_string(),
        lang.t("judge.laggard").to_string(),
    ];
    let rank_rows = |rows: &[RankRow]| -> Vec<Vec<String>> {
        rows.iter()
            .map(|r| {
                let standing = r.standing();
                if !standing.ranked() {
                    return vec![
                        NOTHING.to_string(),
                        r.unit_name.clone(),
                        r.parent_name.clone().unwrap_or_default(),
                        NOTHING.to_string(),
                        NOTHING.to_string(),
                        standing_text(standing, lang),
                    ];
                }
                vec![
                    r.rank.to_string(),
                    r.unit_name.clone(),
                    r.parent_name.clone().unwrap_or_default(),
                    format!("{:.2}", r.total),
                    r.stars.to_string(),
                    if standing == Standing::Laggard { standing_text(standing, lang) } else { String::new() },
                ]
            })
            .collect()
    };
    let sheets = [
        Sheet {
            name: lang.t("bulletin.figures").to_string(),
            headers: vec![
                lang.t("bulletin.figure").to_string(),
                lang.t("bulletin.this_period").to_string(),
                lang.t("bulletin.previous").to_string(),
                lang.t("bulletin.change").to_string(),
            ],
            rows: c
                .figures
                .iter()
                .map(|f| {
                    let (now, before, delta) = figure_text(f);
                    vec![lang.t(&f.key).to_string(), now, before, delta]
                })
                .collect(),
            numbers: vec![1, 2, 3],
        },
        Sheet {
            name: lang.t("bulletin.groups").to_string(),
            headers: rank_headers.clone(),
            rows: rank_rows(&c.groups),
            numbers: RANK_NUMBERS.to_vec(),
        },
        Sheet {
            name: lang.t("bulletin.red").to_string(),
            headers: rank_headers.clone(),
            rows: rank_rows(&c.red),
            numbers: RANK_NUMBERS.to_vec(),
        },
        Sheet {
            name: lang.t("bulletin.black").to_string(),
            headers: rank_headers,
            rows: rank_rows(&c.black),
            numbers: RANK_NUMBERS.to_vec(),
        },
        Sheet {
            name: lang.t("bulletin.masthead").to_string(),
            headers: vec![
                lang.t("bulletin.issuer_label").to_string(),
                lang.t("bulletin.number_label").to_string(),
                lang.t("bulletin.date_label").to_string(),
            ],
            rows: vec![vec![masthead.issuer, masthead.number, masthead.date]],
            numbers: Vec::new(),
        },
    ];
    let bytes = frontline_reports::export_sheets(&sheets)?;
    Ok(crate::ui::people::xlsx_response(bytes, &format!("bulletin-{}.xlsx", b.bulletin.id)))
}
