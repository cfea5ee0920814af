//! The standards module over the API: released standards for everyone (standard retrieval
//! is a free public service), the external catalogue, and which clauses apply to an item.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use ticorr_kernel::{EquipmentId, FieldErrors};
use ticorr_standards::catalogue::Catalogue;
use ticorr_standards::inspection::{self, InspectionView};
use ticorr_standards::{
    self as standards, Clause, ListFilter, MatchResult, Standard, StandardView, Version,
};

use super::page_schema;
use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, PageParams, Path, Query};
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

page_schema!(StandardPage, Standard);

/// Standards the caller may read, by code: released platform standards for everyone
/// (no account needed), and the caller's own organisation's and parks' documents.
#[utoipa::path(
    get,
    path = "/api/v1/standards",
    tag = "standards",
    operation_id = "list_standards",
    params(ListFilter, PageParams),
    responses((status = 200, body = StandardPage)),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Query(filter): Query<ListFilter>,
    Query(page): Query<PageParams>,
) -> Result<Json<StandardPage>, ApiError> {
    let page = standards::list(&state.db, &state.gate, &caller, &filter, &page.request()?).await?;
    Ok(Json(page.into()))
}

/// One standard with its versions, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/standards/{id}",
    tag = "standards",
    operation_id = "get_standard",
    params(("id" = String, Path)),
    responses((status = 200, body = StandardView), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<StandardView>, ApiError> {
    Ok(Json(
        standards::get(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// One clause of a released version and the published failure cases under it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClauseCasesItem {
    pub number: String,
    #[serde(flatten)]
    pub cases: ticorr_cases::feedback::ClauseCases,
}

/// The failure cases behind a standard: per clause, the published cases under its
/// conditions and the mechanisms it prevents, and the revision proposals cases opened.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StandardCases {
    pub version: String,
    pub clauses: Vec<ClauseCasesItem>,
    pub proposals: Vec<ticorr_standards::revision::CaseProposal>,
}

/// For each clause of the released version, the published failure cases (not withdrawn)
/// that fall under it: a case counts when its mechanism is one the clause prevents (read
/// from the risk rules its sources cite) and every condition the clause states holds for
/// the conditions the case records. Up to `limit` of the newest (1–50, default 10) with the
/// count; and every revision proposal cases opened for the standard, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/standards/{id}/cases",
    tag = "standards",
    operation_id = "standard_cases",
    params(("id" = String, Path), ("limit" = Option<usize>, Query)),
    responses((status = 200, body = StandardCases), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn cases(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<CasesQuery>,
) -> Result<Json<StandardCases>, ApiError> {
    let limit = q.limit.unwrap_or(10);
    if !(1..=50).contains(&limit) {
        let mut e = FieldErrors::new();
        e.add("limit", "out_of_range", "between 1 and 50");
        return Err(ApiError::Invalid(e));
    }
    let (_, version, clauses) =
        standards::clauses(&state.db, &state.gate, &caller, &id, "current").await?;
    let found = state.cases().under_clauses(&clauses, limit).await?;
    let proposals =
        standards::revision::case_proposals(&state.db, &state.gate, &caller, &id, None).await?;
    Ok(Json(StandardCases {
        version: version.version,
        clauses: clauses
            .into_iter()
            .zip(found)
            .map(|(c, cases)| ClauseCasesItem {
                number: c.number,
                cases,
            })
            .collect(),
        proposals,
    }))
}

#[derive(Debug, Deserialize)]
pub struct CasesQuery {
    pub limit: Option<usize>,
}

/// A version with its clauses.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VersionClauses {
    pub standard_id: String,
    pub code: String,
    #[serde(flatten)]
    pub version: Version,
    pub clauses: Vec<Clause>,
}

/// The numbered clauses of one version (`current` names the released one).
#[utoipa::path(
    get,
    path = "/api/v1/standards/{id}/versions/{version}/clauses",
    tag = "standards",
    operation_id = "list_clauses",
    params(("id" = String, Path), ("version" = String, Path, description = "a version such as `1.0`, or `current`")),
    responses((status = 200, body = VersionClauses), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn clauses(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<VersionClauses>, ApiError> {
    let (view, version, clauses) =
        standards::clauses(&state.db, &state.gate, &caller, &id, &version).await?;
    Ok(Json(VersionClauses {
        standard_id: view.standard.id,
        code: view.standard.code,
        version,
        clauses,
    }))
}

/// One clause with the standard and version it belongs to.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ClauseLookup {
    pub standard_id: String,
    pub code: String,
    /// The version the clause belongs to (`1.0`, `2.0` …), released or not.
    pub version: String,
    pub clause: Clause,
}

/// One clause by its id (as a checklist row or a supplementary clause names it), if the
/// caller may read its standard: released platform standards without an account, an
/// organisation's own documents for their holder.
#[utoipa::path(
    get,
    path = "/api/v1/clauses/{id}",
    tag = "standards",
    operation_id = "get_clause",
    params(("id" = String, Path)),
    responses((status = 200, body = ClauseLookup), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn clause(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<ClauseLookup>, ApiError> {
    let (standard, version, clause) =
        standards::clause(&state.db, &state.gate, &caller, &id).await?;
    Ok(Json(ClauseLookup {
        standard_id: standard.id,
        code: standard.code,
        version,
        clause,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MatchQuery {
    /// The equipment item to match.
    pub equipment_id: EquipmentId,
}

/// The released clauses that apply to an equipment item the caller may read, mandatory
/// first, each with every condition checked against the item (and, where the clause
/// carries a limit, whether the item keeps it); then the clauses that would apply if facts
/// the item does not record fitted.
#[utoipa::path(
    get,
    path = "/api/v1/standards/match",
    tag = "standards",
    operation_id = "match_standards",
    params(MatchQuery),
    responses((status = 200, body = MatchResult), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn matches(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Query(q): Query<MatchQuery>,
) -> Result<Json<MatchResult>, ApiError> {
    Ok(Json(
        standards::match_item(&state.db, &state.gate, &caller, q.equipment_id).await?,
    ))
}

/// The external standards that clauses refer to: metadata and our own one-line scope,
/// never their text.
#[utoipa::path(
    get,
    path = "/api/v1/standards/catalogue",
    tag = "standards",
    operation_id = "standards_catalogue",
    responses((status = 200, body = Catalogue)),
)]
pub async fn catalogue() -> Json<Catalogue> {
    Json(standards::catalogue::get().clone())
}

/// The released clauses that apply to the items of the caller's own organisation, each
/// with the items it applies to and those whose values exceed its limit: mandatory first.
#[utoipa::path(
    get,
    path = "/api/v1/standards/applicable",
    tag = "standards",
    operation_id = "standards_applicable_to_my_equipment",
    responses((status = 200, body = standards::OrgMatch), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn applicable(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<standards::OrgMatch>, ApiError> {
    Ok(Json(
        standards::match_org(&state.db, &state.gate, &caller).await?,
    ))
}

/// What a self-inspection covers.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartInspection {
    /// One of the organisation's items; omit for all of them.
    #[serde(default)]
    pub equipment_id: Option<EquipmentId>,
}

/// Starts a compliance self-inspection (L1, the organisation's own): a checklist of the
/// released clauses that apply now to one item or to all of the organisation's items.
#[utoipa::path(
    post,
    path = "/api/v1/standards/self-inspections",
    tag = "standards",
    operation_id = "start_self_inspection",
    request_body = StartInspection,
    responses((status = 201, body = InspectionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn start_inspection(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(body): Json<StartInspection>,
) -> Result<(axum::http::StatusCode, Json<InspectionView>), ApiError> {
    let view = inspection::start(&state.db, &state.gate, &caller, body.equipment_id).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}

/// The organisation's self-inspections, newest first, with their scores.
#[utoipa::path(
    get,
    path = "/api/v1/standards/self-inspections",
    tag = "standards",
    operation_id = "list_self_inspections",
    responses((status = 200, body = Vec<InspectionView>)),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list_inspections(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Vec<InspectionView>>, ApiError> {
    Ok(Json(
        inspection::list(&state.db, &state.gate, &caller).await?,
    ))
}

/// One self-inspection with its rows and score (any mandatory non-conformity is critical).
#[utoipa::path(
    get,
    path = "/api/v1/standards/self-inspections/{id}",
    tag = "standards",
    operation_id = "get_self_inspection",
    params(("id" = String, Path)),
    responses((status = 200, body = InspectionView), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn get_inspection(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<InspectionView>, ApiError> {
    Ok(Json(
        inspection::get(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// The language of a printable report.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct ReportQuery {
    /// `zh-CN` (the default) or `en`.
    pub lang: Option<String>,
}

/// The self-inspection report as a PDF: the outcome, the gaps (mandatory first) with their
/// clauses, notes and evidence hashes, the other rows, and lines to sign. A4, Chinese or
/// English.
#[utoipa::path(
    get,
    path = "/api/v1/standards/self-inspections/{id}/report.pdf",
    tag = "standards",
    operation_id = "self_inspection_report_pdf",
    params(("id" = String, Path), ReportQuery),
    responses(
        (status = 200, description = "The report, as an attachment", content_type = "application/pdf"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn inspection_report_pdf(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Query(q): Query<ReportQuery>,
) -> Result<axum::response::Response, ApiError> {
    use crate::pages::inspection_report as report;
    let lang = match q.lang.as_deref() {
        None => Lang::Zh,
        Some(l) => Lang::parse(l).ok_or_else(|| {
            let mut e = FieldErrors::new();
            e.add("lang", "unknown", "use zh-CN or en");
            ApiError::Invalid(e)
        })?,
    };
    let tr = Tr {
        i18n: &state.i18n,
        lang,
    };
    let v = inspection::get(&state.db, &state.gate, &caller, &id).await?;
    let sections = report::sections(tr, &state, &caller, &v).await?;
    let doc = report::document(tr, &caller, &v, &sections, state.gate.clock().now());
    let bytes = ticorr_pdf::render(&doc).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(report::pdf_response(
        &format!("self-inspection-{id}.pdf"),
        bytes,
    ))
}

/// Answers to record.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    pub answers: Vec<inspection::Answer>,
}

/// Records answers (`conform`, `not_conform` with a note saying what, `not_applicable`, or
/// null to clear), all or none: a bad one is a 422 naming `answers.<position>`.
#[utoipa::path(
    patch,
    path = "/api/v1/standards/self-inspections/{id}",
    tag = "standards",
    operation_id = "answer_self_inspection",
    params(("id" = String, Path)),
    request_body = Answers,
    responses((status = 200, body = InspectionView), (status = 422, body = Problem, content_type = "application/problem+json"), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn answer_inspection(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<Answers>,
) -> Result<Json<InspectionView>, ApiError> {
    Ok(Json(
        inspection::answer(&state.db, &state.gate, &caller, &id, &body.answers).await?,
    ))
}

/// Records the caller's organisation's own document (an enterprise specification, a park
/// guideline, an industrial-chain agreement) in force from now, anchored in the ledger:
/// its clauses apply to the organisation's equipment, and at level `park` to the park's
/// members'. Platform standards are refused here (422 on `origin`). Problems are a 422
/// naming the field (`clauses` with the clause number in the message).
#[utoipa::path(
    post,
    path = "/api/v1/standards",
    tag = "standards",
    operation_id = "record_own_standard",
    request_body = standards::OwnDocument,
    responses((status = 201, body = StandardView), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn record_own(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(doc): Json<standards::OwnDocument>,
) -> Result<(axum::http::StatusCode, Json<StandardView>), ApiError> {
    let view = standards::record_own(&state.db, &state.gate, &caller, &doc).await?;
    Ok((axum::http::StatusCode::CREATED, Json(view)))
}
