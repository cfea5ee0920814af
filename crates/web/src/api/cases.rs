//! Failure cases over the API: published cases for everyone (summaries without an account,
//! details for registered users), upload and the contributor's review, curation, and
//! applications for the full record with their decisions.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use ticorr_cases::{
    Access, AccessInput, AccessRequest, CaseCard, CaseInput, CaseView, ConfirmInput, CurationInput,
    DecisionInput, FullView, ListFilter, OwnCase, Preview, QueueItem, SimilarCase, Stage,
};
use ticorr_kernel::EquipmentId;

use super::page_schema;
use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::state::AppState;

page_schema!(CasePage, CaseCard);

/// Published cases, newest first: the public summary of each (no account needed).
#[utoipa::path(
    get,
    path = "/api/v1/cases",
    tag = "cases",
    operation_id = "list_cases",
    params(ListFilter, PageParams),
    responses((status = 200, body = CasePage)),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Query(filter): Query<ListFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<CasePage>, ApiError> {
    let page = state
        .cases()
        .list(&caller, &filter, &page.request()?)
        .await?;
    Ok(Json(page.into()))
}

/// Uploads a case of the caller's organisation. It stays private (L1, its original sealed)
/// until the organisation confirms its desensitized version and a curator publishes it.
#[utoipa::path(
    post,
    path = "/api/v1/cases",
    tag = "cases",
    operation_id = "upload_case",
    request_body = CaseInput,
    responses((status = 201, body = OwnCase), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn upload(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(input): Json<CaseInput>,
) -> Result<(StatusCode, Json<OwnCase>), ApiError> {
    let case = state.cases().upload(&caller, input).await?;
    Ok((StatusCode::CREATED, Json(case)))
}

/// A list of one's own cases.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OwnCases {
    pub items: Vec<OwnCase>,
}

/// The cases of the caller's organisation, every stage.
#[utoipa::path(
    get,
    path = "/api/v1/cases/mine",
    tag = "cases",
    operation_id = "list_own_cases",
    responses((status = 200, body = OwnCases)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn mine(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<OwnCases>, ApiError> {
    Ok(Json(OwnCases {
        items: state.cases().mine(&caller).await?,
    }))
}

/// The contributor's review: the version that would be published, each redaction beside the
/// original value, the receipt, the k-anonymity outcome and the suggested classification.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/preview",
    tag = "cases",
    operation_id = "preview_case",
    params(("id" = String, Path)),
    responses((status = 200, body = Preview), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn preview(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<Preview>, ApiError> {
    Ok(Json(state.cases().preview(&caller, &id).await?))
}

/// Attaches a photo or report to the caller's case while it is a draft or was sent back
/// (409 otherwise). It stays with the original (L1); at publication a JPEG, PNG or WebP image
/// is published without its metadata (EXIF, XMP, IPTC, comments) and any other file is
/// withheld, as the preview's `files` and the receipt say. Types and size are checked as for
/// any attachment; the file is downloaded and deleted through `/api/v1/attachments/{id}`.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/files",
    tag = "cases",
    operation_id = "attach_case_file",
    params(("id" = String, Path)),
    request_body(content = crate::api::attachments::UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ticorr_platform::attachments::Attachment),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn attach(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    upload: crate::api::attachments::Upload,
) -> Result<(StatusCode, Json<ticorr_platform::attachments::Attachment>), ApiError> {
    let a = state
        .cases()
        .attach(&caller, &id, &upload.name, upload.bytes)
        .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

/// A published file of a case (its metadata stripped), by its position in the receipt:
/// read with the full record, under the same permission, and logged for the contributor
/// and anchored the same way.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/files/{position}",
    tag = "cases",
    operation_id = "published_case_file",
    params(("id" = String, Path), ("position" = u32, Path)),
    responses(
        (status = 200, description = "The published copy, with `Content-Disposition: attachment` and `ETag` (its SHA-256 as in the receipt)", content_type = "application/octet-stream"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn published_file(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, position)): Path<(String, u32)>,
) -> Result<axum::response::Response, ApiError> {
    let (line, bytes) = state.cases().published_file(&caller, &id, position).await?;
    Ok(crate::api::attachments::file_response(
        bytes,
        line.content_type().unwrap_or("application/octet-stream"),
        &crate::api::attachments::content_disposition("attachment", &line.file_name(&id)),
        line.sha256.as_deref(),
    ))
}

/// Starts an import of cases from CSV or Excel (one column per upload field, headed by its
/// name or Chinese label; `root_causes` separated by `;`). The file is read at once (its
/// columns known, at most 5,000 rows) and stored with a `cases.import` job: `202 Accepted`
/// with `Location: /api/v1/jobs/{id}`. When the job is `done`, its `result` says `imported`
/// (`rows`, the drafts' `ids`) or `rejected` (every bad row by number and field; nothing was
/// stored). Every row becomes a draft, to review and confirm like an upload.
#[utoipa::path(
    post,
    path = "/api/v1/cases/import",
    tag = "cases",
    operation_id = "import_cases",
    request_body(content = String, description = "The CSV text (UTF-8), an .xlsx file, or a multipart form with `file`", content_type = "text/csv"),
    responses(
        (status = 202, description = "The import job was started; follow the `Location` header", body = crate::api::jobs::JobView,
            headers(("Location" = String, description = "The job's status resource"))),
        (status = 400, description = "The file cannot be read, has unknown columns or too many rows; nothing was started", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn import(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    file: crate::api::equipment::ImportFile,
) -> Result<axum::response::Response, ApiError> {
    let id = state
        .cases()
        .start_import(&caller, file.bytes.to_vec(), file.name)
        .await?;
    crate::api::jobs::accepted(&state, &caller, &id).await
}

/// A case's stage after a step.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StageReply {
    pub stage: Stage,
}

/// The contributor confirms the desensitized version, with rewritten texts if any (each
/// checked again), and submits it for curation.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/confirmation",
    tag = "cases",
    operation_id = "confirm_case",
    params(("id" = String, Path)),
    request_body = ConfirmInput,
    responses((status = 200, body = StageReply), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn confirm(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(input): Json<ConfirmInput>,
) -> Result<Json<StageReply>, ApiError> {
    let stage = state.cases().confirm(&caller, &id, &input).await?;
    Ok(Json(StageReply { stage }))
}

/// The curation queue.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queue {
    pub items: Vec<QueueItem>,
}

/// Cases waiting for curation (submitted, or held until k published cases share their
/// class), desensitized: curators never see originals.
#[utoipa::path(
    get,
    path = "/api/v1/cases/curation",
    tag = "cases",
    operation_id = "curation_queue",
    responses((status = 200, body = Queue)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn queue(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Queue>, ApiError> {
    Ok(Json(Queue {
        items: state.cases().queue(&caller).await?,
    }))
}

/// A curator publishes (after classification), sends back with reasons, or withdraws.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/curation",
    tag = "cases",
    operation_id = "curate_case",
    params(("id" = String, Path)),
    request_body = CurationInput,
    responses((status = 200, body = StageReply), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn curate(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(input): Json<CurationInput>,
) -> Result<Json<StageReply>, ApiError> {
    let stage = state.cases().curate(&caller, &id, &input).await?;
    Ok(Json(StageReply { stage }))
}

/// A published case: its summary for everyone, its details for registered users, and what
/// the caller may do (read the full record, apply for it).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}",
    tag = "cases",
    operation_id = "get_case",
    params(("id" = String, Path)),
    responses((status = 200, body = CaseView), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<CaseView>, ApiError> {
    Ok(Json(state.cases().get(&caller, &id).await?))
}

/// How many similar cases to return.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct SimilarParams {
    /// 1 to 20; 10 when not given.
    pub limit: Option<usize>,
}

/// Similar cases, best first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SimilarCases {
    pub items: Vec<SimilarCase>,
}

/// The published cases most like this one: a hybrid of text relevance, operating
/// conditions, mechanism and root causes, each match with its signals and the reasons
/// (parameters only for callers who may read the details).
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/similar",
    tag = "cases",
    operation_id = "similar_cases",
    params(("id" = String, Path), SimilarParams),
    responses((status = 200, body = SimilarCases), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn similar(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
    Query(params): Query<SimilarParams>,
) -> Result<Json<SimilarCases>, ApiError> {
    let items = state
        .cases()
        .similar(&caller, &id, params.limit.unwrap_or(10))
        .await?;
    Ok(Json(SimilarCases { items }))
}

/// The published cases most like an equipment item the caller may read: by its operating
/// conditions and the damage mechanisms its current risk assessment rates.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}/similar-cases",
    tag = "cases",
    operation_id = "cases_like_equipment",
    params(("id" = EquipmentId, Path), SimilarParams),
    responses((status = 200, body = SimilarCases), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn like_equipment(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
    Query(params): Query<SimilarParams>,
) -> Result<Json<SimilarCases>, ApiError> {
    let (item, risk) = ticorr_equipment::item_risk(&state.db, &state.gate, &caller, id).await?;
    let profile = ticorr_cases::similar::Profile::of_item(
        &item.item,
        &risk.assessment.probability.mechanisms,
    );
    let items = state
        .cases()
        .like_item(&caller, &profile, params.limit.unwrap_or(10))
        .await?;
    Ok(Json(SimilarCases { items }))
}

/// The full desensitized record (test data, consequences as bands): for the contributor,
/// the curators and holders of an unexpired grant. Every read by another organisation is
/// logged for the contributor and anchored in the ledger.
#[utoipa::path(
    get,
    path = "/api/v1/cases/{id}/full",
    tag = "cases",
    operation_id = "read_full_case",
    params(("id" = String, Path)),
    responses((status = 200, body = FullView), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn full(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<FullView>, ApiError> {
    Ok(Json(state.cases().full(&caller, &id).await?))
}

/// Applies for a published case's full record, saying what it is for.
#[utoipa::path(
    post,
    path = "/api/v1/cases/{id}/access-requests",
    tag = "cases",
    operation_id = "request_case_access",
    params(("id" = String, Path)),
    request_body = AccessInput,
    responses((status = 201, body = AccessRequest), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn request_access(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(input): Json<AccessInput>,
) -> Result<(StatusCode, Json<AccessRequest>), ApiError> {
    let request = state.cases().request_access(&caller, &id, &input).await?;
    Ok((StatusCode::CREATED, Json(request)))
}

/// Which applications to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RequestScope {
    /// `mine` (default): the caller's own applications; `incoming`: those to decide for the
    /// caller's organisation's cases.
    pub scope: Option<String>,
}

/// A list of applications.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Requests {
    pub items: Vec<AccessRequest>,
}

/// Applications for full records: one's own, or those to decide.
#[utoipa::path(
    get,
    path = "/api/v1/cases/access-requests",
    tag = "cases",
    operation_id = "list_case_access_requests",
    params(RequestScope),
    responses((status = 200, body = Requests), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn requests(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(scope): Query<RequestScope>,
) -> Result<Json<Requests>, ApiError> {
    let incoming = match scope.scope.as_deref() {
        None | Some("mine") => false,
        Some("incoming") => true,
        Some(other) => {
            let mut f = ticorr_kernel::FieldErrors::new();
            f.add(
                "scope",
                "unknown",
                format!("`{other}` is not a scope; use mine or incoming"),
            );
            return Err(ApiError::Invalid(f));
        }
    };
    Ok(Json(Requests {
        items: state.cases().requests(&caller, incoming).await?,
    }))
}

/// The contributing organisation's admin (or the operator) grants an application for a
/// number of days, or refuses it with a reason. The decision is anchored in the ledger.
#[utoipa::path(
    post,
    path = "/api/v1/cases/access-requests/{id}/decision",
    tag = "cases",
    operation_id = "decide_case_access",
    params(("id" = String, Path)),
    request_body = DecisionInput,
    responses((status = 200, body = AccessRequest), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn decide(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(input): Json<DecisionInput>,
) -> Result<Json<AccessRequest>, ApiError> {
    Ok(Json(state.cases().decide(&caller, &id, &input).await?))
}

/// Which reads to list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct AccessFilter {
    /// Only the reads of this case.
    pub case_id: Option<String>,
}

/// A list of reads.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Accesses {
    pub items: Vec<Access>,
}

/// Who read the full records of the caller's organisation's cases, when and why.
#[utoipa::path(
    get,
    path = "/api/v1/cases/accesses",
    tag = "cases",
    operation_id = "list_case_accesses",
    params(AccessFilter),
    responses((status = 200, body = Accesses)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn accesses(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(filter): Query<AccessFilter>,
) -> Result<Json<Accesses>, ApiError> {
    Ok(Json(Accesses {
        items: state
            .cases()
            .accesses(&caller, filter.case_id.as_deref())
            .await?,
    }))
}
