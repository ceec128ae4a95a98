//! Printable documents as PDF in Chinese with a real CJK font (the 鉴定书 of an appraisal, later
//! the bulletins): a document is a title and a list of blocks; this module lays them out on A4
//! pages (wrapping by measured glyph widths, breaking pages), embeds the subset of the font the
//! text uses, and returns the bytes.
//!
//! The font comes from the machine (Debian `fonts-noto-cjk`), or from the file named by
//! `FRONTLINE_CJK_FONT`; without one the caller gets [`PdfError::NoFont`], never a PDF of boxes.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use krilla::Document;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::page::PageSettings;
use krilla::paint::Stroke;
use krilla::text::{Font, TextDirection};

/// What can go wrong making a PDF.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PdfError {
    #[error("no Chinese font was found (install fonts-noto-cjk or set FRONTLINE_CJK_FONT)")]
    NoFont,
    #[error("writing the PDF failed: {0}")]
    Write(String),
}

/// One block of a document, laid out top to bottom.
#[derive(Debug, Clone)]
pub enum Block {
    /// A section heading.
    Heading(String),
    /// Running text, wrapped to the page width.
    Paragraph(String),
    /// Label and value pairs, two columns.
    Fields(Vec<(String, String)>),
    /// A line of text set to the right (a signature, a date).
    Right(String),
    /// Vertical space, in points.
    Space(f32),
}

/// A document to print.
#[derive(Debug, Clone)]
pub struct PdfDocument {
    pub title: String,
    pub blocks: Vec<Block>,
}

const PAGE_W: f32 = 595.0;
const PAGE_H: f32 = 842.0;
const MARGIN: f32 = 64.0;
const BODY: f32 = 12.0;
const LINE: f32 = 1.6;

/// A face of the CJK font with what is needed to measure text.
struct CjkFont {
    data: Arc<Vec<u8>>,
    index: u32,
    font: Font,
    units_per_em: f32,
}

impl CjkFont {
    /// The width of `text` at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let Ok(face) = ttf_parser::Face::parse(&self.data, self.index) else {
            return 0.0;
        };
        let units: f32 = text
            .chars()
            .map(|c| face.glyph_index(c).and_then(|g| face.glyph_hor_advance(g)).map_or(self.units_per_em, f32::from))
            .sum();
        units * size / self.units_per_em
    }

    /// Breaks `text` into lines no wider than `max` (CJK text breaks between any two characters;
    /// Latin words are kept whole when they fit).
    fn wrap(&self, text: &str, size: f32, max: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for paragraph in text.split('\n') {
            let mut line = String::new();
            for token in tokens(paragraph) {
                let candidate = format!("{line}{token}");
                if self.width(&candidate, size) <= max || line.is_empty() {
                    line = candidate;
                    continue;
                }
                lines.push(std::mem::take(&mut line));
                line = token.trim_start().to_string();
            }
            // A token wider than the line (a long number) is cut by characters.
            while self.width(&line, size) > max && line.chars().count() > 1 {
                let mut cut = String::new();
                for c in line.chars() {
                    if self.width(&format!("{cut}{c}"), size) > max && !cut.is_empty() {
                        break;
                    }
                    cut.push(c);
                }
                line = line[cut.len()..].to_string();
                lines.push(cut);
            }
            lines.push(line);
        }
        lines
    }
}

/// Words of Latin text with their leading space, single CJK characters otherwise.
fn tokens(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if c.is_ascii_alphanumeric() || (c.is_ascii_punctuation() && !word.is_empty()) {
            word.push(c);
            continue;
        }
        if !word.is_empty() {
            out.push(std::mem::take(&mut word));
        }
        if c == ' ' {
            word.push(c);
        } else {
            out.push(c.to_string());
        }
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

/// Where a CJK font may be on a Debian or Ubuntu machine, Simplified Chinese serif first.
const FONT_PLACES: &[&str] = &[
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
];

fn font_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("FRONTLINE_CJK_FONT").map(PathBuf::from).filter(|p| p.is_file()) {
        return Some(p);
    }
    FONT_PLACES.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// Loads the face of a font collection that names itself Simplified Chinese (`SC`), else the
/// first face that has the glyph for 中.
fn load(path: &Path) -> Option<CjkFont> {
    let data = Arc::new(std::fs::read(path).ok()?);
    let faces = ttf_parser::fonts_in_collection(&data).unwrap_or(1);
    let mut chosen = None;
    for index in 0..faces {
        let Ok(face) = ttf_parser::Face::parse(&data, index) else { continue };
        if face.glyph_index('中').is_none() {
            continue;
        }
        let simplified = face
            .names()
            .into_iter()
            .filter_map(|n| n.to_string())
            .any(|n| n.ends_with(" SC") || n.contains("CJK SC") || n.contains("WenQuanYi"));
        if simplified || chosen.is_none() {
            chosen = Some((index, f32::from(face.units_per_em())));
        }
        if simplified {
            break;
        }
    }
    let (index, units_per_em) = chosen?;
    let font = Font::new(krilla::Data::from(Arc::clone(&data)), index)?;
    Some(CjkFont { data, index, font, units_per_em })
}

/// The machine's CJK font, loaded once.
fn cjk_font() -> Result<&'static CjkFont, PdfError> {
    static FONT: OnceLock<Option<CjkFont>> = OnceLock::new();
    FONT.get_or_init(|| font_path().and_then(|p| load(&p))).as_ref().ok_or(PdfError::NoFont)
}

/// Whether PDFs can be made on this machine.
pub fn available() -> bool {
    cjk_font().is_ok()
}

/// Lays out the document on A4 pages and returns the PDF's bytes.
pub fn render(doc: &PdfDocument) -> Result<Vec<u8>, PdfError> {
    let font = cjk_font()?;
    let width = PAGE_W - 2.0 * MARGIN;
    // Every line to draw, with its x, size and the vertical space it takes, then paginated.
    let mut lines: Vec<(f32, f32, String, f32)> = Vec::new();
    let title_size = 18.0;
    let title_lines = font.wrap(&doc.title, title_size, width);
    let rule_y = MARGIN + title_size * 1.8 * title_lines.len() as f32 + 2.0;
    for l in title_lines {
        let x = MARGIN + (width - font.width(&l, title_size)) / 2.0;
        lines.push((x, title_size, l, title_size * 1.8));
    }
    lines.push((MARGIN, 0.0, String::new(), 10.0));
    for block in &doc.blocks {
        match block {
            Block::Heading(h) => {
                lines.push((MARGIN, 0.0, String::new(), 6.0));
                for l in font.wrap(h, 14.0, width) {
                    lines.push((MARGIN, 14.0, l, 14.0 * LINE));
                }
            }
            Block::Paragraph(p) => {
                for l in font.wrap(p, BODY, width) {
                    lines.push((MARGIN, BODY, l, BODY * LINE));
                }
            }
            Block::Fields(fields) => {
                let label_w =
                    fields.iter().map(|(k, _)| font.width(k, BODY)).fold(0.0_f32, f32::max).min(width / 3.0) + BODY;
                for (k, v) in fields {
                    lines.push((MARGIN, BODY, k.clone(), 0.0));
                    for l in font.wrap(v, BODY, width - label_w) {
                        lines.push((MARGIN + label_w, BODY, l, BODY * LINE));
                    }
                }
            }
            Block::Right(r) => {
                let x = PAGE_W - MARGIN - font.width(r, BODY);
                lines.push((x.max(MARGIN), BODY, r.clone(), BODY * LINE));
            }
            Block::Space(s) => lines.push((MARGIN, 0.0, String::new(), *s)),
        }
    }

    let mut document = Document::new();
    document
        .set_metadata(Metadata::new().title(doc.title.clone()).language("zh-CN".into()).creator("Frontline".into()));
    let pages = paginate(&lines);
    let total = pages.len();
    for (n, page_lines) in pages.into_iter().enumerate() {
        let settings = PageSettings::from_wh(PAGE_W, PAGE_H).ok_or_else(|| PdfError::Write("page size".into()))?;
        let mut page = document.start_page_with(settings);
        let mut surface = page.surface();
        for (x, y, size, text) in page_lines {
            surface.draw_text(Point::from_xy(x, y), font.font.clone(), size, &text, false, TextDirection::Auto);
        }
        // A rule under the title on the first page, the page number at the foot of each.
        if n == 0 {
            let mut rule = PathBuilder::new();
            rule.move_to(MARGIN, rule_y);
            rule.line_to(PAGE_W - MARGIN, rule_y);
            if let Some(path) = rule.finish() {
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke { width: 0.8, ..Default::default() }));
                surface.draw_path(&path);
                surface.set_stroke(None);
            }
        }
        let foot = format!("{} / {}", n + 1, total);
        let x = (PAGE_W - font.width(&foot, 9.0)) / 2.0;
        surface.draw_text(
            Point::from_xy(x, PAGE_H - MARGIN / 2.0),
            font.font.clone(),
            9.0,
            &foot,
            false,
            TextDirection::Auto,
        );
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|e| PdfError::Write(format!("{e:?}")))
}

/// Places lines on pages: (x, baseline y, size, text) per page.
fn paginate(lines: &[(f32, f32, String, f32)]) -> Vec<Vec<(f32, f32, f32, String)>> {
    let mut pages = vec![Vec::new()];
    let mut y = MARGIN;
    for (i, (x, size, text, advance)) in lines.iter().enumerate() {
        // A label (no advance of its own) stays on the page of the value that follows it.
        let need = if *advance == 0.0 { lines.get(i + 1).map_or(0.0, |l| l.3) } else { *advance };
        if y + need > PAGE_H - MARGIN && !pages.last().is_none_or(Vec::is_empty) {
            pages.push(Vec::new());
            y = MARGIN;
        }
        if let Some(page) = pages.last_mut().filter(|_| !text.is_empty()) {
            page.push((*x, y + size, *size, text.clone()));
        }
        y += advance;
    }
    pages
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin_words_stay_whole_and_cjk_breaks_anywhere() {
        assert_eq!(tokens("中文 ab12 c"), vec!["中", "文", " ab12", " c"]);
    }

    #[test]
    fn long_text_wraps_within_the_width_and_breaks_pages() {
        let Ok(font) = cjk_font() else {
            // The machine has no CJK font: `render` must say so rather than draw boxes.
            assert!(matches!(render(&PdfDocument { title: "x".into(), blocks: vec![] }), Err(PdfError::NoFont)));
            return;
        };
        let text = "同志在卡点值守期间认真履职，".repeat(40);
        let lines = font.wrap(&text, BODY, 300.0);
        assert!(lines.len() > 5);
        assert!(lines.iter().all(|l| font.width(l, BODY) <= 300.0 + 0.01));
        assert_eq!(lines.concat(), text);
        let doc = PdfDocument { title: "鉴定书".into(), blocks: vec![Block::Paragraph(text.repeat(6))] };
        let bytes = render(&doc).expect("pdf");
        assert!(bytes.starts_with(b"%PDF-"));
        let laid: Vec<_> = font
            .wrap(&text.repeat(6), BODY, PAGE_W - 2.0 * MARGIN)
            .into_iter()
            .map(|l| (MARGIN, BODY, l, BODY * LINE))
            .collect();
        let pages = paginate(&laid);
        assert!(pages.len() >= 2, "a long text takes more than one page");
        assert!(pages.iter().flatten().all(|(_, y, _, _)| *y <= PAGE_H - MARGIN + BODY));
    }
}
