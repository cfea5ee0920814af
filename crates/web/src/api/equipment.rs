//! The equipment registry over the API.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use ticorr_equipment::notes::{Notes, NotesInput};
use ticorr_equipment::{
    self as equipment, EquipmentInput, EquipmentView, ExportFormat, ListFilter,
};
use ticorr_kernel::EquipmentId;

use super::jobs::JobView;
use super::page_schema;
use crate::auth::ApiPerson;
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;

page_schema!(EquipmentPage, EquipmentView);

/// Items the caller may read: their organisation's own and items their park shares (L2).
#[utoipa::path(
    get,
    path = "/api/v1/equipment",
    tag = "equipment",
    operation_id = "list_equipment",
    params(ListFilter, PageParams),
    responses((status = 200, body = EquipmentPage), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(filter): Query<ListFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<EquipmentPage>, ApiError> {
    let page = equipment::list(&state.db, &state.gate, &caller, &filter, &page.request()?).await?;
    Ok(Json(page.into()))
}

/// Registers an item for the caller's organisation (level `private` unless `park` is asked for).
#[utoipa::path(
    post,
    path = "/api/v1/equipment",
    tag = "equipment",
    operation_id = "create_equipment",
    request_body = EquipmentInput,
    responses(
        (status = 201, body = EquipmentView),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(input): Json<EquipmentInput>,
) -> Result<(StatusCode, Json<EquipmentView>), ApiError> {
    let view = equipment::create(&state.db, &state.gate, &caller, &input).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// One item. Items the caller may not read answer 404, exactly as missing ones.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}",
    tag = "equipment",
    operation_id = "get_equipment",
    params(("id" = EquipmentId, Path)),
    responses((status = 200, body = EquipmentView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<Json<EquipmentView>, ApiError> {
    Ok(Json(
        equipment::get(&state.db, &state.gate, &caller, id).await?,
    ))
}

/// The item's private maintenance notes (costs, incidents, contacts): readable by its
/// owner organisation only, whatever the item's level, and sealed at rest with the owner's
/// data key. 410 when the organisation's key was destroyed.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}/notes",
    tag = "equipment",
    operation_id = "get_equipment_notes",
    params(("id" = EquipmentId, Path)),
    responses(
        (status = 200, body = Notes),
        (status = 403, description = "The caller sees the item but is not its owner", body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, description = "The owner's data key was destroyed", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get_notes(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<Json<Notes>, ApiError> {
    Ok(Json(
        equipment::notes::get(&state.db, &state.gate, &state.vault, &caller, id).await?,
    ))
}

/// Replaces the item's private notes; an empty text removes them.
#[utoipa::path(
    put,
    path = "/api/v1/equipment/{id}/notes",
    tag = "equipment",
    operation_id = "put_equipment_notes",
    params(("id" = EquipmentId, Path)),
    request_body = NotesInput,
    responses(
        (status = 200, body = Notes),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 410, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn put_notes(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
    Json(input): Json<NotesInput>,
) -> Result<Json<Notes>, ApiError> {
    Ok(Json(
        equipment::notes::set(&state.db, &state.gate, &state.vault, &caller, id, &input).await?,
    ))
}

/// Changes an item with a JSON merge patch (RFC 7396): present fields replace, `null`
/// clears. Send `If-Match: "<version>"` to refuse the change if the item changed meanwhile.
#[utoipa::path(
    patch,
    path = "/api/v1/equipment/{id}",
    tag = "equipment",
    operation_id = "update_equipment",
    params(("id" = EquipmentId, Path), ("If-Match" = Option<String>, Header, description = "The version the change is based on, e.g. \"3\"")),
    request_body(content = EquipmentInput, description = "Any subset of the fields", content_type = "application/merge-patch+json"),
    responses(
        (status = 200, body = EquipmentView),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<EquipmentView>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if !(content_type.starts_with("application/json")
        || content_type.starts_with("application/merge-patch+json"))
    {
        return Err(ApiError::UnsupportedMediaType(
            "send application/merge-patch+json or application/json".into(),
        ));
    }
    let patch: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let expected = match headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok()) {
        Some(v) => Some(
            v.trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse::<i64>()
                .map_err(|_| {
                    ApiError::BadRequest("If-Match must hold the item's version, e.g. \"3\"".into())
                })?,
        ),
        None => None,
    };
    Ok(Json(
        equipment::update(&state.db, &state.gate, &caller, id, &patch, expected).await?,
    ))
}

/// Deletes an item.
#[utoipa::path(
    delete,
    path = "/api/v1/equipment/{id}",
    tag = "equipment",
    operation_id = "delete_equipment",
    params(("id" = EquipmentId, Path)),
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<StatusCode, ApiError> {
    equipment::delete(&state.db, &state.gate, &state.attachments, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The body of an import: a CSV or Excel file sent as the body itself, or as the `file`
/// field of a multipart form.
pub struct ImportFile {
    pub bytes: Bytes,
    pub name: Option<String>,
}

impl FromRequest<AppState> for ImportFile {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        if content_type.starts_with("multipart/form-data") {
            let mut mp = Multipart::from_request(req, state)
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?;
            while let Some(field) = mp
                .next_field()
                .await
                .map_err(|e| ApiError::BadRequest(e.body_text()))?
            {
                if field.name() == Some("file") {
                    let name = field.file_name().map(str::to_owned);
                    let bytes = field
                        .bytes()
                        .await
                        .map_err(|e| ApiError::BadRequest(e.body_text()))?;
                    return Ok(ImportFile { bytes, name });
                }
            }
            return Err(ApiError::BadRequest("the form has no `file` field".into()));
        }
        let name = if content_type.contains("spreadsheetml") {
            Some("upload.xlsx".to_owned())
        } else if content_type.starts_with("text/csv") || content_type.starts_with("text/plain") {
            Some("upload.csv".to_owned())
        } else {
            return Err(ApiError::UnsupportedMediaType(
                "send text/csv, an .xlsx file, or multipart/form-data with a `file` field".into(),
            ));
        };
        let bytes = Bytes::from_request(req, state).await.map_err(|e| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::PayloadTooLarge
            } else {
                ApiError::BadRequest(e.body_text())
            }
        })?;
        Ok(ImportFile { bytes, name })
    }
}

/// Starts an import of items from CSV or Excel (columns as in the template). The file is
/// checked at once for what needs no database (it opens, its columns are known, at most
/// 10 000 rows) and then stored with an import job: the answer is `202 Accepted` with
/// `Location: /api/v1/jobs/{id}`. Follow that resource: when the job is `done`, its
/// `result` says `imported` (with the report) or `rejected` (with every bad row by number
/// and field; nothing was stored). Rows are matched to existing items by tag.
#[utoipa::path(
    post,
    path = "/api/v1/equipment/import",
    tag = "equipment",
    operation_id = "import_equipment",
    request_body(content = String, description = "The CSV text (UTF-8), an .xlsx file, or a multipart form with `file`", content_type = "text/csv"),
    responses(
        (status = 202, description = "The import job was started; follow the `Location` header", body = JobView,
            headers(("Location" = String, description = "The job's status resource"))),
        (status = 400, description = "The file cannot be read or has unknown columns; nothing was started", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    file: ImportFile,
) -> Result<Response, ApiError> {
    let id = equipment::jobs::start_import(
        &state.db,
        &state.gate,
        &caller,
        file.bytes.to_vec(),
        file.name,
    )
    .await?;
    crate::api::jobs::accepted(&state, &caller, &id).await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// `csv` (UTF-8 with BOM) or `xlsx`.
    pub format: Option<ExportFormat>,
}

/// Exports every item the caller may read that matches the filters.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/export",
    tag = "equipment",
    operation_id = "export_equipment",
    params(ExportParams, ListFilter),
    responses((status = 200, description = "The spreadsheet", content_type = "text/csv")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn export(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(params): Query<ExportParams>,
    Query(filter): Query<ListFilter>,
) -> Result<Response, ApiError> {
    let format = params.format.unwrap_or(ExportFormat::Csv);
    let bytes = equipment::export(&state.db, &state.gate, &caller, &filter, format).await?;
    Ok(spreadsheet_response(bytes, format, "equipment"))
}

/// The import template: the columns and one example row.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/template.csv",
    tag = "equipment",
    operation_id = "equipment_import_template",
    responses((status = 200, description = "CSV template", content_type = "text/csv"))
)]
pub async fn template() -> Response {
    spreadsheet_response(
        equipment::tabular::template_csv(),
        ExportFormat::Csv,
        "equipment-template",
    )
}

/// A downloadable spreadsheet.
pub fn spreadsheet_response(bytes: Vec<u8>, format: ExportFormat, stem: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if let Ok(v) = HeaderValue::from_str(&format!(
        "attachment; filename=\"{stem}.{}\"",
        format.extension()
    )) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

/// An item's corrosion risk: the assessment of its conditions now (grade, mechanisms with
/// the rules that fired, mitigations and inspection methods) and every assessment recorded,
/// newest first, with why each was made.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}/risk",
    tag = "equipment",
    operation_id = "get_equipment_risk",
    params(("id" = EquipmentId, Path)),
    responses((status = 200, body = equipment::ItemRisk), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn risk(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<Json<equipment::ItemRisk>, ApiError> {
    let (_, risk) = equipment::item_risk(&state.db, &state.gate, &caller, id).await?;
    Ok(Json(risk))
}

/// The items the caller may read, counted by current risk grade and by damage mechanism;
/// filter as the list does (e.g. `park_id` for a park's shared items, `org_id` for one
/// owner's).
#[utoipa::path(
    get,
    path = "/api/v1/equipment/risk-overview",
    tag = "equipment",
    operation_id = "equipment_risk_overview",
    params(ListFilter),
    responses((status = 200, body = equipment::risk::Overview), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn risk_overview(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(filter): Query<ListFilter>,
) -> Result<Json<equipment::risk::Overview>, ApiError> {
    Ok(Json(
        equipment::risk_overview(&state.db, &state.gate, &caller, &filter).await?,
    ))
}
