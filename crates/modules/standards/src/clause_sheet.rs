//! Clauses as spreadsheet rows: how an organisation brings its own document (an internal
//! specification, a park guideline, a chain agreement) in without writing JSON. The rows
//! are pasted from a spreadsheet (tab-separated, as a copy from Excel gives them) or given
//! as CSV, with a header row naming the columns of [`COLUMNS`].

use crate::applies::{Applies, Range};
use crate::model::{ClauseInput, ClauseKind, Limit};

/// The columns, in the template's order, with what each holds.
pub const COLUMNS: &[(&str, &str)] = &[
    ("number", "the clause number, e.g. 4.1 (required)"),
    ("kind", "mandatory or recommended (required)"),
    ("text_zh", "the clause in Chinese"),
    ("text_en", "the clause in English"),
    ("rationale_zh", "why, in Chinese"),
    ("rationale_en", "why, in English"),
    (
        "risk_grades",
        "the risk grades it applies to: I, II, III, IV (empty: all)",
    ),
    ("grades", "titanium grade numbers, e.g. 1, 2"),
    ("media", "words of the process medium, e.g. brine"),
    ("equipment_types", "equipment types of the registry"),
    ("industries", "GB/T 4754 codes"),
    ("provinces", "GB/T 2260 province codes"),
    ("temperature_min_c", "°C"),
    ("temperature_max_c", "°C"),
    ("chloride_min_mg_l", "mg/L"),
    ("chloride_max_mg_l", "mg/L"),
    ("ph_min", ""),
    ("ph_max", ""),
    (
        "limit_parameter",
        "a machine-checkable limit: the risk-model input, e.g. temperature_c",
    ),
    ("limit_op", "<, <=, > or >="),
    ("limit_value", "the bound"),
    ("limit_unit", "its unit, e.g. °C"),
    (
        "references",
        "external standards it rests on, separated by ;",
    ),
];

/// A problem in one row (row 1 is the header).
#[derive(Debug, Clone, PartialEq)]
pub struct SheetError {
    pub row: usize,
    pub column: String,
    pub message: String,
}

fn err(row: usize, column: &str, message: impl Into<String>) -> SheetError {
    SheetError {
        row,
        column: column.to_owned(),
        message: message.into(),
    }
}

/// The template as CSV: the header and one example row.
pub fn template_csv() -> String {
    let header: Vec<&str> = COLUMNS.iter().map(|(c, _)| *c).collect();
    let example = [
        "4.1",
        "mandatory",
        "与氯化物盐水接触的 Gr1、Gr2 钛材温度应不高于 70 °C。",
        "Gr1 and Gr2 wetted by chloride brine shall be kept at or below 70 °C.",
        "",
        "",
        "",
        "1, 2",
        "brine",
        "",
        "",
        "",
        "",
        "",
        "1",
        "",
        "",
        "",
        "temperature_c",
        "<=",
        "70",
        "°C",
        "",
    ];
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(&header).expect("writing to memory");
    w.write_record(example).expect("writing to memory");
    String::from_utf8(w.into_inner().expect("writing to memory")).expect("UTF-8 in, UTF-8 out")
}

/// Splits a list cell at commas, semicolons (either width) and line breaks.
fn list(cell: &str) -> Vec<String> {
    cell.split([',', '，', ';', '；', '、', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Reads the rows of `text` (tab-separated if its first line has a tab, else CSV) into
/// clauses; every problem of every row is reported, and then nothing is read.
pub fn read(text: &str) -> Result<Vec<ClauseInput>, Vec<SheetError>> {
    let text = text.trim_start_matches('\u{feff}');
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.contains('\t') { b'\t' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut grid: Vec<Vec<String>> = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| vec![err(grid.len() + 1, "", e.to_string())])?;
        grid.push(record.iter().map(|c| c.trim().to_owned()).collect());
    }
    let mut rows = grid.into_iter();
    let header = rows
        .next()
        .ok_or_else(|| vec![err(1, "", "no rows: paste the header row and the clauses")])?;
    let mut columns = Vec::new();
    let mut errors = Vec::new();
    for h in &header {
        let h = h.to_lowercase();
        match COLUMNS.iter().position(|(c, _)| *c == h) {
            Some(i) => columns.push(Some(COLUMNS[i].0)),
            None if h.is_empty() => columns.push(None),
            None => errors.push(err(
                1,
                &h,
                "unknown column; use the template's column names",
            )),
        }
    }
    for required in ["number", "kind"] {
        if !columns.contains(&Some(required)) {
            errors.push(err(1, required, "the header has no such column"));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut out = Vec::new();
    for (i, cells) in rows.enumerate() {
        if cells.iter().all(String::is_empty) {
            continue;
        }
        let number = i + 2;
        let get = |name: &str| -> String {
            columns
                .iter()
                .zip(&cells)
                .find(|(c, _)| **c == Some(name))
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        match clause(number, &get) {
            Ok(c) => out.push(c),
            Err(mut e) => errors.append(&mut e),
        }
    }
    if out.is_empty() && errors.is_empty() {
        errors.push(err(2, "", "no clause rows under the header"));
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

fn clause(row: usize, get: &dyn Fn(&str) -> String) -> Result<ClauseInput, Vec<SheetError>> {
    let mut errors = Vec::new();
    let number = get("number");
    if number.is_empty() {
        errors.push(err(row, "number", "required"));
    }
    let kind = match get("kind").to_lowercase().parse::<ClauseKind>() {
        Ok(k) => k,
        Err(_) => {
            errors.push(err(row, "kind", "write mandatory or recommended"));
            ClauseKind::Mandatory
        }
    };
    let mut number_of = |column: &str| -> Option<f64> {
        let text = get(column);
        if text.is_empty() {
            return None;
        }
        match text.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                errors.push(err(row, column, format!("`{text}` is not a number")));
                None
            }
        }
    };
    let mut range = |min: &str, max: &str| -> Option<Range> {
        let r = Range {
            min: number_of(min),
            max: number_of(max),
        };
        (r.min.is_some() || r.max.is_some()).then_some(r)
    };
    let temperature_c = range("temperature_min_c", "temperature_max_c");
    let chloride_mg_l = range("chloride_min_mg_l", "chloride_max_mg_l");
    let ph = range("ph_min", "ph_max");
    let limit_value = number_of("limit_value");
    let (parameter, op, unit) = (get("limit_parameter"), get("limit_op"), get("limit_unit"));
    let limit = match (parameter.is_empty(), op.is_empty(), limit_value) {
        (true, true, None) => None,
        (false, false, Some(value)) => Some(Limit {
            parameter,
            op,
            value,
            unit,
        }),
        _ => {
            errors.push(err(
                row,
                "limit_parameter",
                "a limit needs its parameter, operator and value together",
            ));
            None
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(ClauseInput {
        number,
        kind,
        text_en: get("text_en"),
        text_zh: get("text_zh"),
        rationale_en: get("rationale_en"),
        rationale_zh: get("rationale_zh"),
        risk_grades: {
            let grades = list(&get("risk_grades"));
            if grades.is_empty() {
                ["I", "II", "III", "IV"].map(str::to_owned).to_vec()
            } else {
                grades
            }
        },
        applies: Applies {
            industries: list(&get("industries")),
            equipment_types: list(&get("equipment_types")),
            grades: list(&get("grades")),
            media: list(&get("media")),
            temperature_c,
            chloride_mg_l,
            ph,
            provinces: list(&get("provinces")),
            ..Applies::default()
        },
        references: list(&get("references")),
        source: Vec::new(),
        convention: false,
        unverified: false,
        limit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_template_reads_back_as_its_example_clause() {
        let clauses = read(&template_csv()).unwrap();
        assert_eq!(clauses.len(), 1);
        let c = &clauses[0];
        assert_eq!((c.number.as_str(), c.kind), ("4.1", ClauseKind::Mandatory));
        assert_eq!(c.applies.grades, ["1", "2"]);
        assert_eq!(c.applies.chloride_mg_l.as_ref().unwrap().min, Some(1.0));
        let l = c.limit.as_ref().unwrap();
        assert_eq!(
            (l.parameter.as_str(), l.op.as_str(), l.value),
            ("temperature_c", "<=", 70.0)
        );
        assert_eq!(
            c.risk_grades,
            ["I", "II", "III", "IV"],
            "empty means every grade"
        );
    }

    #[test]
    fn csv_with_chinese_separators_and_a_byte_order_mark_reads() {
        let text = "\u{feff}number,kind,text_zh,grades,references\n\
                    5.1,recommended,清洗后宜检查,\"1，2、7\",GB/T 3620.1；ASTM B338\n";
        let c = &read(text).unwrap()[0];
        assert_eq!(c.kind, ClauseKind::Recommended);
        assert_eq!(c.applies.grades, ["1", "2", "7"]);
        assert_eq!(c.references, ["GB/T 3620.1", "ASTM B338"]);
    }

    #[test]
    fn every_problem_is_named_by_row_and_column_and_nothing_is_read() {
        let text = "number\tkind\ttemperature_max_c\tlimit_parameter\n\
                    4.1\tshall\t70\t\n\
                    \tmandatory\thot\ttemperature_c\n";
        let errors = read(text).unwrap_err();
        let named: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(
            named,
            [
                (2, "kind"),
                (3, "number"),
                (3, "temperature_max_c"),
                (3, "limit_parameter")
            ]
        );
        let errors = read("number\tcolour\n4.1\tred\n").unwrap_err();
        assert_eq!((errors[0].row, errors[0].column.as_str()), (1, "colour"));
        assert!(
            read("number\tkind\n").is_err(),
            "a header alone is not a document"
        );
    }
}
