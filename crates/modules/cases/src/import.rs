//! Cases from a contributor's own spreadsheet (CSV or Excel): the accident records a plant
//! already keeps, brought in as drafts.
//!
//! One column per field of [`CaseInput`], headed by the API name or its Chinese label;
//! `root_causes` lists categories separated by `;`, `,` or `、`. The request only reads the
//! file and its header and checks that the caller may upload cases, then stores the file
//! with a `cases.import` job. The worker converts and validates every row exactly as an
//! upload is validated, reporting progress per batch; when any row is bad nothing is written
//! and the result lists every problem by row and column; otherwise every row becomes a draft
//! (sealed, classified, as an upload) and the job completes in the same transaction, so an
//! import happens once or not at all. Each draft is then reviewed and confirmed like any
//! upload: nothing is published without the contributor seeing its desensitized version.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use ticorr_equipment::RowError;
use ticorr_equipment::tabular::{self, ExportFormat};
use ticorr_kernel::{Level, OrgId};
use ticorr_platform::jobs::NewJob;
use ticorr_platform::jobs::worker::{self, JobContext, JobFailure, Settled};
use ticorr_platform::policy::Action;
use ticorr_platform::{Caller, identity::orgs};

use crate::model::{CaseInput, ValidCase};
use crate::{Cases, CasesError, record};

/// The job kind of an import.
pub const IMPORT_KIND: &str = "cases.import";

/// The most rows one file may hold.
pub const MAX_ROWS: usize = 5_000;

/// Rows checked between two progress reports.
const BATCH: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CellKind {
    Text,
    Number,
    Integer,
    Flag,
    List,
}

/// A column of the import file.
#[derive(Debug)]
pub struct Column {
    /// The field's API name.
    pub name: &'static str,
    /// The Chinese label also accepted as a header.
    pub header_zh: &'static str,
    kind: CellKind,
}

const fn col(name: &'static str, header_zh: &'static str, kind: CellKind) -> Column {
    Column {
        name,
        header_zh,
        kind,
    }
}

use CellKind::{Flag, Integer, List, Number, Text};

/// Every column, in the template's order.
pub const COLUMNS: &[Column] = &[
    col("title_zh", "标题", Text),
    col("title_en", "英文标题", Text),
    col("failure_date", "失效日期", Text),
    col("region_code", "行政区划代码", Text),
    col("industry_code", "行业代码", Text),
    col("equipment_id", "设备编号", Text),
    col("equipment_description", "设备描述", Text),
    col("equipment_type", "设备类型", Text),
    col("grade", "钛材牌号", Text),
    col("manufacturer", "制造商", Text),
    col("years_in_service", "服役年限", Number),
    col("mechanism", "失效机理", Text),
    col("location", "失效部位", Text),
    col("morphology", "腐蚀形貌", Text),
    col("max_depth_mm", "最大深度mm", Number),
    col("remaining_thickness_mm", "剩余壁厚mm", Number),
    col("hydrogen_ppm", "氢含量ppm", Number),
    col("metallography", "金相", Text),
    col("composition", "成分", Text),
    col("process_medium", "工艺介质", Text),
    col("temperature_c", "温度", Number),
    col("chloride_mg_l", "氯离子mg/L", Number),
    col("fluoride_mg_l", "氟离子mg/L", Number),
    col("ph", "pH", Number),
    col("velocity_m_s", "流速m/s", Number),
    col("crevice_present", "存在缝隙", Flag),
    col("deposits_present", "存在沉积物", Flag),
    col("direct_cause", "直接原因", Text),
    col("root_causes", "根本原因", List),
    col("downtime_days", "停机天数", Number),
    col("cost_cny", "损失元", Number),
    col("release", "泄漏物", Text),
    col("injuries", "受伤人数", Integer),
    col("rectification", "整改措施", Text),
    col("rectification_outcome", "整改效果", Text),
    col("lessons_zh", "经验教训", Text),
    col("lessons_en", "英文经验教训", Text),
    col("narrative_zh", "经过", Text),
    col("narrative_en", "英文经过", Text),
    col("reporter", "报告人", Text),
    col("reporter_phone", "报告人电话", Text),
    col("site_address", "现场地址", Text),
];

/// Columns a file must have.
const REQUIRED: [&str; 3] = ["failure_date", "equipment_type", "grade"];

/// One data row, by column.
#[derive(Debug, Clone)]
pub struct Row {
    /// The row number as a spreadsheet shows it (the header is row 1).
    pub number: usize,
    cells: Vec<(&'static Column, String)>,
}

/// What an import job produced: its `result`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum ImportOutcome {
    /// Every row became a draft.
    Imported {
        rows: usize,
        /// The drafts' ids, in the file's order.
        ids: Vec<String>,
    },
    /// Nothing was written: the rows with problems, or why the import was refused.
    Rejected {
        message: String,
        row_errors: Vec<RowError>,
    },
}

fn column(header: &str) -> Result<Option<&'static Column>, String> {
    let h = header.trim().trim_start_matches('\u{feff}');
    if h.is_empty() {
        return Ok(None);
    }
    let lower = h.to_lowercase();
    COLUMNS
        .iter()
        .find(|c| c.name == lower || c.header_zh.to_lowercase() == lower)
        .map(Some)
        .ok_or_else(|| format!("unknown column `{h}`"))
}

/// Reads an import file into rows; refuses a file that cannot be read, whose header names
/// unknown columns or lacks a required one, or that holds more than [`MAX_ROWS`] rows.
pub fn parse(bytes: &[u8], format: ExportFormat) -> Result<Vec<Row>, String> {
    let mut grid = tabular::read_grid(bytes, format)?.into_iter();
    let header = grid.next().ok_or("the file is empty")?;
    let columns = tabular::header_columns(&header, column)?;
    for required in REQUIRED {
        if !columns.iter().flatten().any(|c| c.name == required) {
            return Err(format!("the header row has no `{required}` column"));
        }
    }
    let mut rows = Vec::new();
    for (i, cells) in grid.enumerate() {
        if cells.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        rows.push(Row {
            number: i + 2,
            cells: columns
                .iter()
                .zip(cells)
                .filter_map(|(c, v)| c.map(|c| (c, tabular::unescape_cell(v.trim()).to_owned())))
                .collect(),
        });
    }
    if rows.is_empty() {
        return Err("the file has a header but no rows".into());
    }
    if rows.len() > MAX_ROWS {
        return Err(format!(
            "the file has {} rows; import at most {MAX_ROWS} at a time",
            rows.len()
        ));
    }
    Ok(rows)
}

/// Turns a row into an upload, reporting cells that are not numbers or yes/no.
pub fn to_input(row: &Row) -> Result<CaseInput, Vec<RowError>> {
    let mut obj = Map::new();
    let mut errors = Vec::new();
    let mut bad = |field: &str, message: String| {
        errors.push(RowError {
            row: row.number,
            field: field.to_owned(),
            message,
        })
    };
    for (c, v) in &row.cells {
        if v.is_empty() {
            continue;
        }
        let value = match c.kind {
            Text => json!(v),
            Number => match v.parse::<f64>() {
                Ok(n) if n.is_finite() => json!(n),
                _ => {
                    bad(c.name, format!("`{v}` is not a number"));
                    continue;
                }
            },
            Integer => match v.parse::<f64>() {
                Ok(n) if n.fract() == 0.0 && n.abs() < 1e9 => json!(n as i64),
                _ => {
                    bad(c.name, format!("`{v}` is not a whole number"));
                    continue;
                }
            },
            Flag => match tabular::parse_flag(v) {
                Some(Ok(b)) => json!(b),
                _ => {
                    bad(c.name, format!("`{v}` is not yes/no (write true or false)"));
                    continue;
                }
            },
            List => json!(
                v.split([';', ',', '、', '；', '，'])
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect::<Vec<_>>()
            ),
        };
        obj.insert(c.name.to_owned(), value);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    serde_json::from_value(Value::Object(obj)).map_err(|e| {
        vec![RowError {
            row: row.number,
            field: String::new(),
            message: e.to_string(),
        }]
    })
}

/// The template: the header row, UTF-8 with a byte-order mark so that Excel reads Chinese.
pub fn template_csv() -> Vec<u8> {
    let mut out = b"\xEF\xBB\xBF".to_vec();
    let names: Vec<&str> = COLUMNS.iter().map(|c| c.name).collect();
    out.extend_from_slice(names.join(",").as_bytes());
    out.extend_from_slice(b"\r\n");
    out
}

fn rejected(message: impl Into<String>, row_errors: Vec<RowError>) -> Result<Value, JobFailure> {
    serde_json::to_value(ImportOutcome::Rejected {
        message: message.into(),
        row_errors,
    })
    .map_err(JobFailure::permanent)
}

/// May the caller upload cases of their organisation? Decided for a new L1 case.
fn may_upload(org: OrgId) -> ticorr_platform::policy::Resource {
    record(&uuid::Uuid::now_v7().to_string(), org, Level::Private)
}

impl<'a> Cases<'a> {
    /// Starts an import of `bytes`: reads the file and checks the caller's right to upload,
    /// then stores the file with the job in one transaction. Returns the job's id.
    pub async fn start_import(
        &self,
        caller: &Caller,
        bytes: Vec<u8>,
        file_name: Option<String>,
    ) -> Result<String, CasesError> {
        let actor = caller.principal.actor().ok_or(CasesError::NotFound)?;
        let format = ExportFormat::detect(file_name.as_deref(), &bytes);
        let rows = parse(&bytes, format).map_err(CasesError::Unreadable)?;
        let tx = self.db.begin().await?;
        let (mut tx, _) = self
            .gate
            .check_tx(tx, caller, Action::Create, &may_upload(actor.org_id))
            .await?;
        let payload = json!({
            "format": format.extension(),
            "rows": rows.len(),
            // The worker acts as the caller did: with a token's scopes when a token asked.
            "via": worker::started_via(actor),
        });
        let id = NewJob::new(IMPORT_KIND, payload)
            .started_by(actor.person_id, actor.org_id)
            .input(file_name, bytes)
            // A bad file is a result, not a failure; failures are storage trouble.
            .max_attempts(5)
            .enqueue(&mut tx, self.now())
            .await
            .map_err(|e| match e {
                ticorr_platform::jobs::JobError::Storage(s) => CasesError::Storage(s),
                ticorr_platform::jobs::JobError::Db(d) => CasesError::Db(d),
                other => CasesError::Unreadable(other.to_string()),
            })?;
        tx.commit().await?;
        Ok(id)
    }

    /// The handler of [`IMPORT_KIND`]: runs the import as the person who started it, with
    /// the rights they have now.
    pub async fn run_import(&self, ctx: JobContext) -> Result<Settled, JobFailure> {
        let format = match ctx.job.payload.get("format").and_then(Value::as_str) {
            Some("xlsx") => ExportFormat::Xlsx,
            Some("csv") => ExportFormat::Csv,
            _ => return Err(JobFailure::permanent("the import job names no file format")),
        };
        let Some(caller) = ctx.starter().await? else {
            let msg = "the person who started the import can no longer act on the platform";
            return ctx.settle(&rejected(msg, vec![])?).await;
        };
        let actor = caller
            .principal
            .actor()
            .ok_or_else(|| JobFailure::permanent("the import job's starter is not a person"))?;
        let (org_id, person_id) = (actor.org_id, actor.person_id);
        let (_, bytes) = ctx
            .input()
            .await?
            .ok_or_else(|| JobFailure::permanent("the import job's file is missing"))?;
        let rows = match parse(&bytes, format) {
            Ok(rows) => rows,
            Err(e) => return ctx.settle(&rejected(e, vec![])?).await,
        };
        let total = rows.len() as i64;
        ctx.progress(0, Some(total), Some("checking")).await?;
        let org = {
            let mut conn = ctx.db.pool().acquire().await?;
            orgs::load(&mut conn, org_id)
                .await?
                .ok_or_else(|| JobFailure::permanent("the starter's organisation is gone"))?
        };
        // Check every row first, reporting per batch, between transactions: on SQLite the
        // write transaction below would keep progress reports from being written.
        let today = ctx.clock.now().inner().date();
        let mut errors = Vec::new();
        let mut valid: Vec<ValidCase> = Vec::with_capacity(rows.len());
        for (n, batch) in rows.chunks(BATCH).enumerate() {
            let mut conn = ctx.db.pool().acquire().await?;
            for row in batch {
                let input = match to_input(row) {
                    Ok(i) => i,
                    Err(e) => {
                        errors.extend(e);
                        continue;
                    }
                };
                let checked = input
                    .validate(today, &org.region_code, org.industry_code.as_deref())
                    .map_err(|e| e.0);
                let checked = match checked {
                    Ok(v) => match self.check_item(&mut conn, org_id, &v).await {
                        Ok(()) => Ok(v),
                        Err(CasesError::Fields(f)) => Err(f.0),
                        Err(e) => return Err(JobFailure::retry(e)),
                    },
                    Err(e) => Err(e),
                };
                match checked {
                    Ok(v) => valid.push(v),
                    Err(fields) => errors.extend(fields.into_iter().map(|f| RowError {
                        row: row.number,
                        field: f.field,
                        message: f.message,
                    })),
                }
            }
            drop(conn);
            let done = ((n + 1) * BATCH).min(rows.len()) as i64;
            ctx.progress(done, Some(total), Some("checking")).await?;
        }
        if !errors.is_empty() {
            let msg = "the file has errors; nothing was imported";
            return ctx.settle(&rejected(msg, errors)?).await;
        }
        ctx.progress(total, Some(total), Some("writing")).await?;
        let tx = ctx.db.begin().await?;
        let mut tx = match self
            .gate
            .check_tx(tx, &caller, Action::Create, &may_upload(org_id))
            .await
        {
            Ok((tx, _)) => tx,
            Err(ticorr_platform::Denied::Storage(e)) => return Err(e.into()),
            Err(_) => {
                let msg = "you may no longer upload cases for your organisation";
                return ctx.settle(&rejected(msg, vec![])?).await;
            }
        };
        let now = self.now();
        let mut ids = Vec::with_capacity(valid.len());
        for v in &valid {
            let id = uuid::Uuid::now_v7().to_string();
            self.write_original(&mut tx, &id, org_id, person_id, v, now)
                .await
                .map_err(JobFailure::retry)?;
            ids.push(id);
        }
        let result = serde_json::to_value(ImportOutcome::Imported {
            rows: rows.len(),
            ids,
        })
        .map_err(JobFailure::permanent)?;
        // The drafts and the job's completion commit together, or not at all.
        let settled = ctx.complete_in(&mut tx, Some(&result)).await?;
        tx.commit().await?;
        Ok(settled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn csv(text: &str) -> Vec<u8> {
        text.as_bytes().to_vec()
    }

    #[test]
    fn headers_may_be_api_names_or_chinese_labels() {
        let rows = parse(
            &csv("失效日期,equipment_type,钛材牌号,根本原因,存在缝隙,温度\n2025-03-02,condenser,2,fabrication、management,是,85\n"),
            ExportFormat::Csv,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].number, 2);
        let input = to_input(&rows[0]).unwrap();
        assert_eq!(input.failure_date, "2025-03-02");
        assert_eq!(input.root_causes, ["fabrication", "management"]);
        assert_eq!(input.crevice_present, Some(true));
        assert_eq!(input.temperature_c, Some(85.0));
    }

    #[test]
    fn a_bad_header_refuses_the_file_by_name() {
        let e = parse(
            &csv("failure_date,equipment_type,colour\nx,y,z\n"),
            ExportFormat::Csv,
        )
        .unwrap_err();
        assert!(e.contains("unknown column `colour`"), "{e}");
        let e = parse(
            &csv("failure_date,equipment_type\nx,y\n"),
            ExportFormat::Csv,
        )
        .unwrap_err();
        assert!(e.contains("no `grade` column"), "{e}");
        let e = parse(
            &csv("failure_date,equipment_type,grade\n"),
            ExportFormat::Csv,
        )
        .unwrap_err();
        assert!(e.contains("no rows"), "{e}");
    }

    #[test]
    fn cells_that_are_not_numbers_or_flags_are_named_by_row_and_column() {
        let rows = parse(
            &csv(
                "failure_date,equipment_type,grade,temperature_c,crevice_present,injuries\n\
                  2025-01-01,condenser,2,hot,maybe,1.5\n",
            ),
            ExportFormat::Csv,
        )
        .unwrap();
        let errors = to_input(&rows[0]).unwrap_err();
        let fields: Vec<(usize, &str)> = errors.iter().map(|e| (e.row, e.field.as_str())).collect();
        assert_eq!(
            fields,
            [
                (2, "temperature_c"),
                (2, "crevice_present"),
                (2, "injuries")
            ]
        );
    }

    #[test]
    fn the_template_names_every_column_once() {
        let text = String::from_utf8(template_csv()).unwrap();
        let header = text.trim_start_matches('\u{feff}').trim();
        let names: Vec<&str> = header.split(',').collect();
        assert_eq!(names.len(), COLUMNS.len());
        let rows = parse(
            format!("{header}\n,,2025-01-01,,,,,condenser,2\n").as_bytes(),
            ExportFormat::Csv,
        );
        assert!(rows.is_ok(), "{rows:?}");
    }
}
