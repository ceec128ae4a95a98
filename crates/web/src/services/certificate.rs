//! The 鉴定书 of a final appraisal: the same content for the printable page and the PDF, in the
//! reader's language, from what the appraisal fixed when it was made final.

use axum::http::header;
use axum::response::{IntoResponse, Response};
use frontline_core::DomainError;
use frontline_core::time::china;
use frontline_db::appraisals::AppraisalDetail;
use frontline_reports::pdf::{Block, PdfDocument, PdfError, render};

use crate::AppError;
use crate::i18n::Lang;

impl From<PdfError> for AppError {
    fn from(e: PdfError) -> Self {
        match e {
            PdfError::NoFont => AppError::Domain(DomainError::Conflict("error.pdf.no_font".into())),
            PdfError::Write(w) => AppError::Internal(w),
        }
    }
}

/// One section of the certificate: a heading and label–value lines (or, for notes, lines of
/// running text in the label with no value).
pub struct Section {
    pub heading: String,
    pub lines: Vec<(String, String)>,
}

/// The certificate as text: title, sections, the conclusion and the signature line.
pub struct Certificate {
    pub title: String,
    pub sections: Vec<Section>,
    pub grade: String,
    pub conclusion: String,
    /// The reason the grade stands against the record, if it was given against it.
    pub override_line: Option<String>,
    pub signature: String,
    /// The issuing body's seal line (考核单位（盖章）).
    pub seal: String,
}

/// How a leader's note reads: good, neutral or poor impression; mass evaluation out of 5.
fn note_value(lang: Lang, kind: &str, value: i64) -> String {
    if kind == "mass_evaluation" {
        return format!("{value}/5");
    }
    lang.code_label("cert.impression", &value.clamp(-1, 1).to_string()).to_string()
}

/// The certificate of a final appraisal; a draft has none yet.
pub fn certificate(d: &AppraisalDetail, lang: Lang) -> Result<Certificate, AppError> {
    let a = &d.appraisal;
    let (Some(grade), Some(conclusion)) = (a.grade.as_deref(), a.conclusion.as_deref()) else {
        return Err(AppError::Domain(DomainError::Conflict("error.appraisal.draft".into())));
    };
    let mut sections = vec![Section {
        heading: lang.t("cert.person").to_string(),
        lines: vec![
            (lang.t("cert.name").to_string(), a.person_name.clone()),
            (lang.t("field.rank").to_string(), lang.code_label("person.rank", &a.person_rank).to_string()),
            (lang.t("field.unit").to_string(), a.unit_name.clone()),
            (lang.t("appraisal.campaign").to_string(), a.campaign.clone()),
            (lang.t("appraisal.period").to_string(), format!("{} — {}", a.period_from, a.period_to)),
        ],
    }];
    let f = &d.figures;
    let mut record_lines: Vec<(String, String)> = f
        .counts
        .iter()
        .map(|c| {
            (lang.code_label("record.kind", &c.kind).to_string(), format!("{} {}", c.records, lang.t("cert.records")))
        })
        .collect();
    if record_lines.is_empty() {
        record_lines.push((lang.t("cert.records_none").to_string(), String::new()));
    }
    sections.push(Section { heading: lang.t("cert.ledger").to_string(), lines: record_lines });
    if let Some(s) = &f.score {
        sections.push(Section {
            heading: lang.t("cert.score").to_string(),
            lines: vec![
                (s.scheme_name.clone(), format!("{:.2} · {}", s.total, crate::ui::indicators::stars(s.stars, 5usize))),
                (lang.t("judge.rank").to_string(), format!("{} / {}", s.rank, s.of)),
            ],
        });
    }
    let mut notes: Vec<(String, String)> = f
        .notes
        .iter()
        .map(|n| {
            let (colon, stop) = if lang == Lang::En { (": ", ". ") } else { ("：", "。") };
            let line = format!(
                "{} {}{colon}{}{stop}{}",
                n.occurred_at.with_timezone(&china()).format("%Y-%m-%d"),
                lang.code_label("record.kind", &n.kind),
                note_value(lang, &n.kind, n.value),
                n.note.as_deref().unwrap_or("")
            );
            (line, String::new())
        })
        .collect();
    if let Some(mean) = f.mass_mean {
        notes.push((lang.t("cert.mass_mean").to_string(), format!("{mean:.1}/5")));
    }
    if !notes.is_empty() {
        sections.push(Section { heading: lang.t("cert.notes").to_string(), lines: notes });
    }
    let date = a.finalized_at.map(|t| t.with_timezone(&china()).format("%Y-%m-%d").to_string()).unwrap_or_default();
    Ok(Certificate {
        title: format!("{} · {}", a.campaign, lang.t("cert.title")),
        sections,
        grade: lang.code_label("appraisal.grade", grade).to_string(),
        conclusion: conclusion.to_string(),
        override_line: f.grade_override.as_ref().map(|o| {
            let said: Vec<&str> = o.warnings.iter().map(|w| lang.code_label("appraisal.warning", w)).collect();
            let (colon, stop, comma) = if lang == Lang::En { (": ", ". ", ", ") } else { ("：", "。", "、") };
            format!(
                "{}{}{stop}{}{colon}{}",
                lang.t("appraisal.override"),
                said.join(comma),
                lang.t("appraisal.reason"),
                o.reason
            )
        }),
        signature: format!("{}{}    {}", lang.t("cert.assessor"), a.assessor.as_deref().unwrap_or(""), date),
        seal: lang.t("cert.seal").to_string(),
    })
}

/// The certificate as a PDF download.
pub fn pdf_response(d: &AppraisalDetail, lang: Lang) -> Result<Response, AppError> {
    let c = certificate(d, lang)?;
    let mut blocks = Vec::new();
    for s in c.sections {
        blocks.push(Block::Heading(s.heading));
        // Lines without a value (the notes) are running text; the others are label and value.
        let (text, fields): (Vec<_>, Vec<_>) = s.lines.into_iter().partition(|(_, v)| v.is_empty());
        blocks.push(Block::Fields(fields));
        blocks.extend(text.into_iter().map(|(line, _)| Block::Paragraph(line)));
    }
    blocks.push(Block::Heading(lang.t("cert.conclusion").to_string()));
    blocks.push(Block::Fields(vec![(lang.t("appraisal.grade").to_string(), c.grade)]));
    blocks.push(Block::Paragraph(c.conclusion));
    if let Some(line) = c.override_line {
        blocks.push(Block::Paragraph(line));
    }
    blocks.push(Block::Space(36.0));
    blocks.push(Block::Right(c.signature));
    blocks.push(Block::Space(24.0));
    blocks.push(Block::Right(c.seal));
    let bytes = render(&PdfDocument { title: c.title, blocks })?;
    let name = format!("attachment; filename=\"appraisal-{}.pdf\"", d.appraisal.id);
    Ok(([(header::CONTENT_TYPE, "application/pdf".to_string()), (header::CONTENT_DISPOSITION, name)], bytes)
        .into_response())
}
