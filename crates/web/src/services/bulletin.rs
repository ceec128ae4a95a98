//! A bulletin as its readers get it: the title in their language, and the kept content drawn as a
//! PDF (Chinese set in the server's CJK font) or as an Excel workbook, one sheet per section.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use frontline_db::bulletins::{Bulletin, BulletinView, Figure, NoticeRow, RankRow};
use frontline_reports::Sheet;
use frontline_reports::pdf::{Block, PdfDocument, render};

use crate::AppError;
use crate::i18n::Lang;

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
    let laggard = if r.laggard { format!(" · {}", lang.t("judge.laggard")) } else { String::new() };
    (
        format!("{}. {}{parent}", r.rank, r.unit_name),
        format!("{:.2} {}{laggard}", r.total, "★".repeat(usize::from(r.stars))),
    )
}

fn notice_lines(rows: &[NoticeRow]) -> Vec<Block> {
    rows.iter().map(|n| Block::Paragraph(format!("{} {} · {}", n.on, n.title, n.unit_name))).collect()
}

/// The bulletin as a PDF download.
pub fn pdf_response(b: &Bulletin, lang: Lang) -> Result<Response, AppError> {
    let c = &b.content;
    let mut blocks = vec![Block::Heading(lang.t("bulletin.figures").to_string())];
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
    let bytes = render(&PdfDocument { title: title(&b.bulletin, lang), blocks })?;
    let name = format!("attachment; filename=\"bulletin-{}.pdf\"", b.bulletin.id);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, name)], bytes)
        .into_response())
}

/// The columns of a ranking sheet that hold numbers: rank, points, stars.
const RANK_NUMBERS: [usize; 3] = [0, 3, 4];

/// The bulletin as an Excel workbook: figures, the groups' ranking, the red and black lists.
pub fn xlsx_response(b: &Bulletin, lang: Lang) -> Result<Response, AppError> {
    let c = &b.content;
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
                vec![
                    r.rank.to_string(),
                    r.unit_name.clone(),
                    r.parent_name.clone().unwrap_or_default(),
                    format!("{:.2}", r.total),
                    r.stars.to_string(),
                    if r.laggard { lang.t("judge.laggard").to_string() } else { String::new() },
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
    ];
    let bytes = frontline_reports::export_sheets(&sheets)?;
    Ok(crate::ui::people::xlsx_response(bytes, &format!("bulletin-{}.xlsx", b.bulletin.id)))
}
