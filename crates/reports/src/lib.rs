//! Excel in and out: import templates with drop-down lists, reading uploaded sheets (and CSV
//! files) into plain text cells, and exporting tables.
//!
//! This crate knows spreadsheets, not the domain: callers give it columns (with their header text
//! already translated) and rows of strings, and get rows of strings back.

pub mod pdf;

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use rust_xlsxwriter::{DataValidation, Format, Formula, Workbook, XlsxError};

/// What can go wrong reading or writing a workbook.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("the file is not a readable Excel workbook")]
    Unreadable,
    #[error("the workbook has no sheet")]
    NoSheet,
    #[error("the file is not readable UTF-8 CSV: {0}")]
    UnreadableCsv(String),
    #[error("writing the workbook failed: {0}")]
    Write(#[from] XlsxError),
}

/// One column of an import template.
#[derive(Debug, Clone)]
pub struct TemplateColumn {
    /// Header text as the user reads it (already translated); a `*` marks required columns.
    pub header: String,
    /// Allowed values offered as a drop-down (labels the user reads); empty means free text.
    pub choices: Vec<String>,
    /// Width in characters.
    pub width: f64,
    /// Help shown when the cell is selected.
    pub hint: String,
}

/// Rows of the template that carry drop-downs (the first data row is row 2).
const TEMPLATE_ROWS: u32 = 5000;

/// Builds an import template: one data sheet with headers and drop-downs, and one sheet per long
/// list (units) that the drop-downs refer to, since Excel limits inline lists to 255 characters.
pub fn template(sheet_name: &str, columns: &[TemplateColumn], example: &[String]) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let header = Format::new().set_bold().set_background_color("#DDEBF7");
    let mut lists: Vec<(usize, Vec<String>)> = Vec::new();
    {
        let ws = wb.add_worksheet();
        ws.set_name(sheet_name)?;
        for (i, col) in columns.iter().enumerate() {
            let c = i as u16;
            ws.write_string_with_format(0, c, &col.header, &header)?;
            ws.set_column_width(c, col.width)?;
            if let Some(v) = example.get(i) {
                ws.write_string(1, c, v)?;
            }
            let mut dv = DataValidation::new();
            let inline_len: usize = col.choices.iter().map(|s| s.chars().count() + 1).sum();
            if !col.choices.is_empty() && inline_len < 250 {
                dv = dv.allow_list_strings(&col.choices)?;
            } else if !col.choices.is_empty() {
                lists.push((i, col.choices.clone()));
                let list_sheet = format!("list{}", lists.len());
                dv = dv.allow_list_formula(Formula::new(format!("={list_sheet}!$A$1:$A${}", col.choices.len())));
            }
            if !col.hint.is_empty() {
                dv = dv.set_input_message(&col.hint)?;
            }
            ws.add_data_validation(1, c, TEMPLATE_ROWS, c, &dv)?;
        }
        ws.set_freeze_panes(1, 0)?;
    }
    for (n, (_, choices)) in lists.iter().enumerate() {
        let ws = wb.add_worksheet();
        ws.set_name(format!("list{}", n + 1))?;
        for (r, v) in choices.iter().enumerate() {
            ws.write_string(r as u32, 0, v)?;
        }
        ws.set_hidden(true);
    }
    Ok(wb.save_to_buffer()?)
}

/// Reads the first sheet of an `.xlsx` (or `.xls`, `.ods`) into rows of trimmed text cells.
/// Dates become `YYYY-MM-DD`; whole numbers lose their `.0` (phone numbers typed as numbers).
///
/// The file comes from outside and the parser is someone else's: a panic inside it (fuzzing found
/// calamine 0.38 overflowing on a cell reference with a long run of column letters) is a file we
/// cannot read, not a dropped connection.
pub fn read_first_sheet(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReportError> {
    let read = || {
        let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| ReportError::Unreadable)?;
        let range = wb.worksheet_range_at(0).ok_or(ReportError::NoSheet)?.map_err(|_| ReportError::Unreadable)?;
        Ok(range.rows().map(|row| row.iter().map(cell_text).collect()).collect())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or(Err(ReportError::Unreadable))
}

/// The cells of the first sheet that hold numbers (not text that reads as one), by row.
pub fn first_sheet_numbers(bytes: &[u8]) -> Result<Vec<Vec<Option<f64>>>, ReportError> {
    let read = || {
        let mut wb = open_workbook_auto_from_rs(Cursor::new(bytes.to_vec())).map_err(|_| ReportError::Unreadable)?;
        let range = wb.worksheet_range_at(0).ok_or(ReportError::NoSheet)?.map_err(|_| ReportError::Unreadable)?;
        Ok(range
            .rows()
            .map(|row| {
                row.iter()
                    .map(|d| match d {
                        Data::Int(i) => Some(*i as f64),
                        Data::Float(f) => Some(*f),
                        _ => None,
                    })
                    .collect()
            })
            .collect())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(read)).unwrap_or(Err(ReportError::Unreadable))
}

/// Reads UTF-8 CSV (with or without the byte-order mark Excel writes) into rows of text cells;
/// rows may differ in length.
pub fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, ReportError> {
    let text = std::str::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF".as_slice()).unwrap_or(bytes))
        .map_err(|e| ReportError::UnreadableCsv(e.to_string()))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| ReportError::UnreadableCsv(e.to_string()))?;
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(rows)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => serial_to_date(dt.as_f64()).unwrap_or_else(|| dt.as_f64().to_string()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

/// Excel's day serial (1900 system) to `YYYY-MM-DD`.
fn serial_to_date(serial: f64) -> Option<String> {
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    let d = base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))?;
    Some(d.format("%Y-%m-%d").to_string())
}

/// Writes a table to a one-sheet workbook.
pub fn export_table(sheet_name: &str, headers: &[String], rows: &[Vec<String>]) -> Result<Vec<u8>, ReportError> {
    export_sheets(&[Sheet {
        name: sheet_name.to_string(),
        headers: headers.to_vec(),
        rows: rows.to_vec(),
        numbers: Vec::new(),
    }])
}

/// One sheet of a workbook: its name, header row and rows.
pub struct Sheet {
    pub name: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    /// The columns that hold numbers: a cell there that reads as a number is written as one (so
    /// that it sums and sorts in Excel); any other cell (`—`, empty) stays text. Every other column
    /// is text whatever it holds (an ID number is never turned into a number).
    pub numbers: Vec<usize>,
}

/// A workbook of several sheets, each with a bold header row frozen at the top.
pub fn export_sheets(sheets: &[Sheet]) -> Result<Vec<u8>, ReportError> {
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold().set_background_color("#DDEBF7");
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, h) in sheet.headers.iter().enumerate() {
            ws.write_string_with_format(0, c as u16, h, &bold)?;
            ws.set_column_width(c as u16, 16)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                match v.parse::<f64>().ok().filter(|n| n.is_finite() && sheet.numbers.contains(&c)) {
                    Some(n) => ws.write_number(r as u32 + 1, c as u16, n)?,
                    None => ws.write_string(r as u32 + 1, c as u16, v)?,
                };
            }
        }
        ws.set_freeze_panes(1, 0)?;
    }
    Ok(wb.save_to_buffer()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_round_trips_through_the_reader() {
        let cols = vec![
            TemplateColumn { header: "姓名*".into(), choices: vec![], width: 10.0, hint: "".into() },
            TemplateColumn {
                header: "政治面貌".into(),
                choices: vec!["中共党员".into(), "群众".into()],
                width: 10.0,
                hint: "选择".into(),
            },
            TemplateColumn {
                header: "单位编码*".into(),
                choices: (0..200).map(|i| format!("330382006{i:03} 某村{i}")).collect(),
                width: 30.0,
                hint: "".into(),
            },
        ];
        let bytes = template("人员", &cols, &["陈建国".into(), "中共党员".into(), "330382006205".into()]).unwrap();
        let rows = read_first_sheet(&bytes).unwrap();
        assert_eq!(rows[0], vec!["姓名*", "政治面貌", "单位编码*"]);
        assert_eq!(rows[1], vec!["陈建国", "中共党员", "330382006205"]);
    }

    #[test]
    fn export_reads_back() {
        let bytes = export_table("units", &["a".into(), "b".into()], &[vec!["1".into(), "岐元村".into()]]).unwrap();
        let rows = read_first_sheet(&bytes).unwrap();
        assert_eq!(rows, vec![vec!["a", "b"], vec!["1", "岐元村"]]);
    }

    #[test]
    fn garbage_is_unreadable() {
        assert!(matches!(read_first_sheet(b"not a workbook"), Err(ReportError::Unreadable)));
    }

    #[test]
    fn serials_become_dates() {
        assert_eq!(serial_to_date(45_000.0).as_deref(), Some("2023-03-15"));
    }
}
