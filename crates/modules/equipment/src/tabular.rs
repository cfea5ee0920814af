//! Spreadsheets: equipment lists in and out as CSV and Excel.
//!
//! Exports carry one column per input field (the API field names, which imports read back)
//! plus read-only columns that imports ignore. CSV is written as UTF-8 with a byte-order
//! mark so that Excel opens Chinese text correctly. Text cells that a spreadsheet would
//! evaluate as a formula (starting with `=`, `+`, `-`, `@`, tab or carriage return) are
//! prefixed with `'`, and imports remove that prefix again, so a round trip is lossless.

use std::io::Cursor;

use calamine::{Data, Reader};
use serde::Serialize;

use crate::EquipmentView;
use crate::model::{EquipmentInput, FIELDS, Field, FieldKind};

/// Spreadsheet formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl ExportFormat {
    pub fn content_type(self) -> &'static str {
        match self {
            ExportFormat::Csv => "text/csv; charset=utf-8",
            ExportFormat::Xlsx => {
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            }
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Xlsx => "xlsx",
        }
    }

    /// Guesses the format of an uploaded file from its name, then from its first bytes
    /// (an .xlsx file is a ZIP archive).
    pub fn detect(file_name: Option<&str>, bytes: &[u8]) -> ExportFormat {
        let lower = file_name.unwrap_or_default().to_ascii_lowercase();
        if lower.ends_with(".xlsx") || bytes.starts_with(b"PK\x03\x04") {
            ExportFormat::Xlsx
        } else {
            ExportFormat::Csv
        }
    }
}

/// Columns written for reading only; imports accept and ignore them.
const READ_ONLY_COLUMNS: &[&str] = &["id", "owner", "park", "version", "updated_at"];

/// A problem in one row of an import file. Row 1 is the header.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct RowError {
    pub row: usize,
    pub field: String,
    pub message: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct ImportReport {
    /// Data rows read.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
}

/// One data row of an import file, by field name.
#[derive(Debug, Clone)]
pub struct RawRow {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub number: usize,
    pub cells: Vec<(&'static Field, String)>,
}

const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Neutralises a text cell a spreadsheet would evaluate.
pub fn escape_cell(s: &str) -> String {
    if s.starts_with(FORMULA_STARTS) {
        format!("'{s}")
    } else {
        s.to_owned()
    }
}

/// Reverses [`escape_cell`].
pub fn unescape_cell(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => s,
    }
}

fn header_field(header: &str) -> Result<Option<&'static Field>, String> {
    let h = header.trim().trim_start_matches('\u{feff}').to_lowercase();
    if h.is_empty() || READ_ONLY_COLUMNS.contains(&h.as_str()) {
        return Ok(None);
    }
    FIELDS
        .iter()
        .find(|f| f.name == h || f.header_zh.to_lowercase() == h)
        .map(Some)
        .ok_or_else(|| format!("unknown column `{}`", header.trim()))
}

/// The columns a header row names, each found by `lookup` (`Ok(None)` for a column to
/// ignore); every unknown column is named in one error.
pub fn header_columns<T>(
    header: &[String],
    lookup: impl Fn(&str) -> Result<Option<T>, String>,
) -> Result<Vec<Option<T>>, String> {
    let mut columns = Vec::with_capacity(header.len());
    let mut problems = Vec::new();
    for h in header {
        match lookup(h) {
            Ok(c) => columns.push(c),
            Err(e) => {
                problems.push(e);
                columns.push(None);
            }
        }
    }
    if problems.is_empty() {
        Ok(columns)
    } else {
        Err(format!(
            "{}; the header row must use the column names of the template",
            problems.join(", ")
        ))
    }
}

fn rows_from_grid(grid: Vec<Vec<String>>) -> Result<Vec<RawRow>, String> {
    let mut iter = grid.into_iter();
    let header = iter.next().ok_or("the file is empty")?;
    let columns = header_columns(&header, header_field)?;
    for required in FIELDS.iter().filter(|f| f.required) {
        if !columns.iter().flatten().any(|f| f.name == required.name) {
            return Err(format!("the header row has no `{}` column", required.name));
        }
    }
    let mut out = Vec::new();
    for (i, row) in iter.enumerate() {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cells = columns
            .iter()
            .zip(row)
            .filter_map(|(f, v)| f.map(|f| (f, unescape_cell(v.trim()).to_owned())))
            .collect();
        out.push(RawRow {
            number: i + 2,
            cells,
        });
    }
    Ok(out)
}

/// Reads an import file into rows.
pub fn read(bytes: &[u8], format: ExportFormat) -> Result<Vec<RawRow>, String> {
    rows_from_grid(read_grid(bytes, format)?)
}

/// The cells of a CSV file (UTF-8, with or without a byte-order mark) or of an Excel
/// workbook's first sheet, as text a person would have typed, row by row. Other modules'
/// imports read their files with this too.
pub fn read_grid(bytes: &[u8], format: ExportFormat) -> Result<Vec<Vec<String>>, String> {
    match format {
        ExportFormat::Csv => read_csv(bytes),
        ExportFormat::Xlsx => read_xlsx(bytes),
    }
}

fn read_csv(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = std::str::from_utf8(bytes)
        .map_err(|_| "the CSV file is not UTF-8; save it as \"CSV UTF-8\"".to_owned())?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut grid = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| format!("the CSV file cannot be read: {e}"))?;
        grid.push(record.iter().map(str::to_owned).collect());
    }
    Ok(grid)
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Vec<String>>, String> {
    let mut book = calamine::open_workbook_auto_from_rs(Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("the Excel file cannot be read: {e}"))?;
    let range = book
        .worksheet_range_at(0)
        .ok_or("the Excel file has no worksheet")?
        .map_err(|e| format!("the first worksheet cannot be read: {e}"))?;
    Ok(range
        .rows()
        .map(|r| r.iter().map(cell_text).collect())
        .collect())
}

/// The text of a cell as a person would have typed it.
fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) => number_text(*f),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => excel_serial_to_date(d.as_f64()),
        Data::DateTimeIso(s) => s.chars().take(10).collect(),
        Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn number_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 1e15 {
        format!("{}", f as i64)
    } else {
        format!("{f}")
    }
}

/// Excel's 1900 date system counts days from 1899-12-30 (so that its historical 1900
/// leap-year bug cancels out for dates after February 1900).
fn excel_serial_to_date(serial: f64) -> String {
    let base = time::macros::date!(1899 - 12 - 30);
    match base.checked_add(time::Duration::days(serial.floor() as i64)) {
        Some(d) => format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day()),
        None => String::new(),
    }
}

/// A yes/no cell (`true`/`false`, `yes`/`no`, `1`/`0`, 是/否, 有/无); `None` when empty.
pub fn parse_flag(s: &str) -> Option<Result<bool, ()>> {
    let t = s.trim().to_lowercase();
    if t.is_empty() {
        return None;
    }
    Some(match t.as_str() {
        "true" | "yes" | "y" | "1" | "是" | "有" => Ok(true),
        "false" | "no" | "n" | "0" | "否" | "无" => Ok(false),
        _ => Err(()),
    })
}

/// Turns a row into an input, reporting cells that are not numbers, flags or dates.
pub fn to_input(row: &RawRow) -> Result<EquipmentInput, Vec<RowError>> {
    let mut obj = serde_json::Map::new();
    let mut errors = Vec::new();
    for (field, value) in &row.cells {
        let v = value.trim();
        if v.is_empty() {
            continue;
        }
        let json = match field.kind {
            FieldKind::Text | FieldKind::Date => serde_json::Value::String(v.to_owned()),
            FieldKind::Number => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => serde_json::json!(n),
                _ => {
                    errors.push(RowError {
                        row: row.number,
                        field: field.name.into(),
                        message: format!("`{v}` is not a number"),
                    });
                    continue;
                }
            },
            FieldKind::Flag => match parse_flag(v) {
                Some(Ok(b)) => serde_json::Value::Bool(b),
                _ => {
                    errors.push(RowError {
                        row: row.number,
                        field: field.name.into(),
                        message: format!("`{v}` is not yes/no (write true or false)"),
                    });
                    continue;
                }
            },
        };
        if field.condition {
            obj.entry("service_conditions")
                .or_insert_with(|| serde_json::Value::Object(serde_json::Map::new()))
                .as_object_mut()
                .expect("made an object")
                .insert(field.name.into(), json);
        } else {
            obj.insert(field.name.into(), json);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    serde_json::from_value(serde_json::Value::Object(obj)).map_err(|e| {
        vec![RowError {
            row: row.number,
            field: String::new(),
            message: e.to_string(),
        }]
    })
}

enum Cell {
    Text(String),
    Number(f64),
    Empty,
}

fn cells_of(v: &EquipmentView) -> Vec<Cell> {
    let input = v.item.to_input();
    let value = serde_json::to_value(&input).expect("input serializes");
    let mut out = vec![Cell::Text(v.item.id.to_string())];
    for f in FIELDS {
        let found = if f.condition {
            v.item.service_conditions.get(f.name)
        } else {
            value.get(f.name)
        };
        let cell = match found {
            None | Some(serde_json::Value::Null) => Cell::Empty,
            Some(serde_json::Value::Number(n)) => Cell::Number(n.as_f64().unwrap_or_default()),
            Some(serde_json::Value::Bool(b)) => Cell::Text(b.to_string()),
            Some(serde_json::Value::String(s)) => Cell::Text(s.clone()),
            Some(other) => Cell::Text(other.to_string()),
        };
        out.push(cell);
    }
    out.push(Cell::Text(v.owner_name.clone()));
    out.push(v.park_name.clone().map(Cell::Text).unwrap_or(Cell::Empty));
    out.push(Cell::Number(v.item.version as f64));
    out.push(Cell::Text(v.item.updated_at.to_rfc3339()));
    out
}

fn header() -> Vec<&'static str> {
    let mut h = vec!["id"];
    h.extend(FIELDS.iter().map(|f| f.name));
    h.extend(["owner", "park", "version", "updated_at"]);
    h
}

/// Writes items as a spreadsheet.
pub fn export(items: &[EquipmentView], format: ExportFormat) -> Result<Vec<u8>, String> {
    match format {
        ExportFormat::Csv => {
            let mut out = b"\xEF\xBB\xBF".to_vec();
            {
                let mut w = csv::Writer::from_writer(&mut out);
                w.write_record(header()).map_err(|e| e.to_string())?;
                for v in items {
                    let record: Vec<String> = cells_of(v)
                        .into_iter()
                        .map(|c| match c {
                            Cell::Text(s) => escape_cell(&s),
                            Cell::Number(n) => number_text(n),
                            Cell::Empty => String::new(),
                        })
                        .collect();
                    w.write_record(&record).map_err(|e| e.to_string())?;
                }
                w.flush().map_err(|e| e.to_string())?;
            }
            Ok(out)
        }
        ExportFormat::Xlsx => {
            let mut book = rust_xlsxwriter::Workbook::new();
            let bold = rust_xlsxwriter::Format::new().set_bold();
            let sheet = book.add_worksheet();
            sheet.set_name("equipment").map_err(|e| e.to_string())?;
            for (c, h) in header().iter().enumerate() {
                sheet
                    .write_string_with_format(0, c as u16, *h, &bold)
                    .map_err(|e| e.to_string())?;
            }
            sheet.set_freeze_panes(1, 0).map_err(|e| e.to_string())?;
            for (r, v) in items.iter().enumerate() {
                let row = (r + 1) as u32;
                for (c, cell) in cells_of(v).into_iter().enumerate() {
                    let col = c as u16;
                    match cell {
                        Cell::Text(s) => {
                            sheet
                                .write_string(row, col, escape_cell(&s))
                                .map_err(|e| e.to_string())?;
                        }
                        Cell::Number(n) => {
                            sheet.write_number(row, col, n).map_err(|e| e.to_string())?;
                        }
                        Cell::Empty => {}
                    }
                }
            }
            book.save_to_buffer().map_err(|e| e.to_string())
        }
    }
}

/// The import template: the header and one example row, as CSV.
pub fn template_csv() -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    {
        let mut w = csv::Writer::from_writer(&mut out);
        let names: Vec<&str> = FIELDS.iter().map(|f| f.name).collect();
        let _ = w.write_record(&names);
        let example: Vec<&str> = FIELDS
            .iter()
            .map(|f| match f.name {
                "tag" => "E-101",
                "name" => "1# 盐水加热器",
                "equipment_type" => "plate_heat_exchanger",
                "grade" => "2",
                "level" => "private",
                "commissioned_on" => "2019-06-30",
                "process_medium" => "NaCl brine",
                "temperature_c" => "85",
                "chloride_mg_l" => "150000",
                "ph" => "9.5",
                "galvanic_partner" => "none",
                "crevice_present" => "true",
                "chlorine_gas" => "false",
                "medium_hazard" => "hazardous",
                "people_nearby" => "occasionally",
                _ => "",
            })
            .collect();
        let _ = w.write_record(&example);
        let _ = w.flush();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_neutralised_and_restored() {
        for s in ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\tx"] {
            let e = escape_cell(s);
            assert!(e.starts_with('\''), "{s}");
            assert_eq!(unescape_cell(&e), s);
        }
        assert_eq!(escape_cell("E-101"), "E-101");
        assert_eq!(unescape_cell("'quoted"), "'quoted");
    }

    #[test]
    fn csv_rows_map_headers_in_english_or_chinese() {
        let csv = "\u{feff}位号,name,equipment_type,grade,温度_c,crevice_present,id\nE-1,Heater,coil,Gr2,85,是,ignored\n\n";
        let rows = read(csv.as_bytes(), ExportFormat::Csv).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number, 2);
        let input = to_input(&rows[0]).unwrap();
        assert_eq!(input.tag, "E-1");
        assert_eq!(input.temperature_c, Some(85.0));
        assert_eq!(input.crevice_present, Some(true));
    }

    #[test]
    fn unknown_columns_and_missing_required_columns_are_refused() {
        let err = read(
            b"tag,name,equipment_type,grade,temprature_c\n",
            ExportFormat::Csv,
        )
        .err()
        .unwrap();
        assert!(err.contains("temprature_c"), "{err}");
        let err = read(b"tag,name\n", ExportFormat::Csv).err().unwrap();
        assert!(err.contains("equipment_type"), "{err}");
    }

    #[test]
    fn bad_numbers_name_the_row_and_field() {
        let rows = read(
            b"tag,name,equipment_type,grade,ph\nA,B,coil,2,seven\n",
            ExportFormat::Csv,
        )
        .unwrap();
        let errs = to_input(&rows[0]).unwrap_err();
        assert_eq!(errs[0].row, 2);
        assert_eq!(errs[0].field, "ph");
    }

    #[test]
    fn excel_serial_dates() {
        assert_eq!(excel_serial_to_date(43646.0), "2019-06-30");
    }

    #[test]
    fn detects_xlsx_by_name_or_magic() {
        assert_eq!(
            ExportFormat::detect(Some("a.XLSX"), b""),
            ExportFormat::Xlsx
        );
        assert_eq!(
            ExportFormat::detect(None, b"PK\x03\x04rest"),
            ExportFormat::Xlsx
        );
        assert_eq!(
            ExportFormat::detect(Some("a.csv"), b"tag"),
            ExportFormat::Csv
        );
    }
}
