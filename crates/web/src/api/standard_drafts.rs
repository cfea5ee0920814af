//! The standards lifecycle over the API: proposals (new standards, revisions, errata)
//! through formal check, expert review, public consultation and release; version diffs;
//! a standard's history; periodic reviews.

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use ticorr_kernel::PersonId;
use ticorr_standards::diff::VersionDiff;
use ticorr_standards::lifecycle::{
    self, Candidate, CommentInput, DispositionInput, Draft, DraftEdit, DraftFilter, DraftStage,
    DraftView, Event, NewDraft, Released, Rules, VoteInput,
};
use ticorr_standards::revision::{self, ReviewTask};

use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;

/// A list of proposals.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DraftList {
    pub items: Vec<Draft>,
}

/// The proposals the caller may follow, newest change first: their own organisation's,
/// those they review, every one for the secretariat, and from public consultation on,
/// every one for registered users (released ones for everybody).
#[utoipa::path(
    get,
    path = "/api/v1/standard-drafts",
    tag = "standards",
    operation_id = "list_standard_drafts",
    params(DraftFilter),
    responses((status = 200, body = DraftList), (status = 422, body = Problem, content_type = "application/problem+json")),
)]
pub async fn list(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Query(filter): Query<DraftFilter>,
) -> Result<Json<DraftList>, ApiError> {
    let items = lifecycle::list(&state.db, &state.gate, &caller, &filter).await?;
    Ok(Json(DraftList { items }))
}

/// Applies for a new platform standard, or a revision or erratum of a released one. The
/// proposal starts at stage `draft` for the caller's organisation; submit it for the
/// formal check when it is ready.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts",
    tag = "standards",
    operation_id = "create_standard_draft",
    request_body = NewDraft,
    responses((status = 201, body = Draft), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn create(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Json(new): Json<NewDraft>,
) -> Result<(StatusCode, Json<Draft>), ApiError> {
    let draft = lifecycle::create(&state.db, &state.gate, &caller, &new).await?;
    Ok((StatusCode::CREATED, Json(draft)))
}

/// A proposal with its votes (current round and earlier), clause tally, consultation
/// comments with dispositions, and history.
#[utoipa::path(
    get,
    path = "/api/v1/standard-drafts/{id}",
    tag = "standards",
    operation_id = "get_standard_draft",
    params(("id" = String, Path)),
    responses((status = 200, body = DraftView), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn get(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<DraftView>, ApiError> {
    Ok(Json(
        lifecycle::get(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// Rewrites the proposal (the whole standard with its clauses) while it is a draft. Send the
/// `revision` read with it: if someone saved since, the edit is a 409 and nothing changes.
#[utoipa::path(
    put,
    path = "/api/v1/standard-drafts/{id}",
    tag = "standards",
    operation_id = "update_standard_draft",
    params(("id" = String, Path)),
    request_body = DraftEdit,
    responses((status = 200, body = Draft), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn update(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(edit): Json<DraftEdit>,
) -> Result<Json<Draft>, ApiError> {
    Ok(Json(
        lifecycle::update(&state.db, &state.gate, &caller, &id, &edit).await?,
    ))
}

/// The differences between the proposal and the released version it revises (for a new
/// standard: every clause added).
#[utoipa::path(
    get,
    path = "/api/v1/standard-drafts/{id}/diff",
    tag = "standards",
    operation_id = "diff_standard_draft",
    params(("id" = String, Path)),
    responses((status = 200, body = VersionDiff), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn diff(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<VersionDiff>, ApiError> {
    Ok(Json(
        lifecycle::diff(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// The applicant submits its draft for the formal check (a new review round begins).
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/submit",
    tag = "standards",
    operation_id = "submit_standard_draft",
    params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn submit(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    lifecycle::submit(&state.db, &state.gate, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The applicant withdraws its proposal at any stage before release.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/withdraw",
    tag = "standards",
    operation_id = "withdraw_standard_draft",
    params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn withdraw(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    lifecycle::withdraw(&state.db, &state.gate, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The secretariat's formal check.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FormalCheck {
    /// Complete and well formed: on to expert review (an erratum: to release).
    pub passed: bool,
    /// Required when returning it: what the applicant must put right.
    #[serde(default)]
    pub note: String,
}

/// The secretariat passes the proposal on, or returns it to the applicant with a note.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/formal-check",
    tag = "standards",
    operation_id = "formal_check_standard_draft",
    params(("id" = String, Path)),
    request_body = FormalCheck,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn formal_check(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<FormalCheck>,
) -> Result<StatusCode, ApiError> {
    lifecycle::formal_check(
        &state.db,
        &state.gate,
        &caller,
        &id,
        body.passed,
        &body.note,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The people who may review the proposal: the expert or reviewer capacity, a specialty
/// in its topic, of a verified organisation other than the applicant.
#[utoipa::path(
    get,
    path = "/api/v1/standard-drafts/{id}/eligible-reviewers",
    tag = "standards",
    operation_id = "eligible_reviewers",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Candidate>), (status = 404, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn eligible_reviewers(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<Json<Vec<Candidate>>, ApiError> {
    Ok(Json(
        lifecycle::eligible_reviewers(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// Reviewers to assign.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignReviewers {
    pub person_ids: Vec<PersonId>,
}

/// The secretariat assigns reviewers during expert review; each must be eligible, and the
/// panel must reach the rule's minimum (three).
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/reviewers",
    tag = "standards",
    operation_id = "assign_reviewers",
    params(("id" = String, Path)),
    request_body = AssignReviewers,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn assign_reviewers(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<AssignReviewers>,
) -> Result<StatusCode, ApiError> {
    lifecycle::assign_reviewers(&state.db, &state.gate, &caller, &id, &body.person_ids).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A reviewer's votes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Votes {
    pub votes: Vec<VoteInput>,
}

/// An assigned reviewer votes on clauses (a later vote on the same clause replaces the
/// earlier one in the same round).
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/votes",
    tag = "standards",
    operation_id = "vote_standard_draft",
    params(("id" = String, Path)),
    request_body = Votes,
    responses((status = 204), (status = 403, body = Problem, content_type = "application/problem+json"), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn vote(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<Votes>,
) -> Result<StatusCode, ApiError> {
    lifecycle::vote(&state.db, &state.gate, &caller, &id, &body.votes).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How expert review concludes.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConcludeReview {
    /// The last day of public consultation (`YYYY-MM-DD`), needed when every clause passed.
    #[serde(default)]
    pub consultation_ends_on: Option<String>,
}

/// Where the proposal went.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StageReply {
    pub stage: DraftStage,
}

/// The secretariat concludes expert review once every clause is decided: all passed opens
/// public consultation; any failed returns the proposal to the applicant.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/conclude-review",
    tag = "standards",
    operation_id = "conclude_review",
    params(("id" = String, Path)),
    request_body = ConcludeReview,
    responses((status = 200, body = StageReply), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn conclude_review(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<ConcludeReview>,
) -> Result<Json<StageReply>, ApiError> {
    let stage = lifecycle::conclude_review(
        &state.db,
        &state.gate,
        &caller,
        &id,
        body.consultation_ends_on.as_deref(),
    )
    .await?;
    Ok(Json(StageReply { stage }))
}

/// A created comment.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Created {
    pub id: String,
}

/// Any registered user comments during public consultation, on a clause or the whole
/// proposal, until the last day.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/comments",
    tag = "standards",
    operation_id = "comment_standard_draft",
    params(("id" = String, Path)),
    request_body = CommentInput,
    responses((status = 201, body = Created), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn comment(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<CommentInput>,
) -> Result<(StatusCode, Json<Created>), ApiError> {
    let id = lifecycle::comment(&state.db, &state.gate, &caller, &id, &body).await?;
    Ok((StatusCode::CREATED, Json(Created { id })))
}

/// The secretariat records what became of a comment; its author is told.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/comments/{comment_id}/disposition",
    tag = "standards",
    operation_id = "dispose_comment",
    params(("id" = String, Path), ("comment_id" = String, Path)),
    request_body = DispositionInput,
    responses((status = 204), (status = 404, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn dispose(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, comment_id)): Path<(String, String)>,
    Json(body): Json<DispositionInput>,
) -> Result<StatusCode, ApiError> {
    lifecycle::dispose(&state.db, &state.gate, &caller, &id, &comment_id, &body).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The secretariat closes consultation after its last day, once every comment has a
/// disposition; the proposal is then approved for release.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/close-consultation",
    tag = "standards",
    operation_id = "close_consultation",
    params(("id" = String, Path)),
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn close_consultation(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    lifecycle::close_consultation(&state.db, &state.gate, &caller, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A reason.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reason {
    pub reason: String,
}

/// The secretariat rejects the proposal, with the reason.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/reject",
    tag = "standards",
    operation_id = "reject_standard_draft",
    params(("id" = String, Path)),
    request_body = Reason,
    responses((status = 204), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn reject(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<Reason>,
) -> Result<StatusCode, ApiError> {
    lifecycle::reject(&state.db, &state.gate, &caller, &id, &body.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// When the release takes effect.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Release {
    /// `YYYY-MM-DD`.
    pub effective_on: String,
}

/// The secretariat releases an approved proposal: the new version (1.0, the next major
/// for a revision, the next minor for an erratum) is anchored in the ledger, the previous
/// one is kept and marked superseded, and the organisations whose equipment its new or
/// changed clauses apply to are told by a background job.
#[utoipa::path(
    post,
    path = "/api/v1/standard-drafts/{id}/release",
    tag = "standards",
    operation_id = "release_standard_draft",
    params(("id" = String, Path)),
    request_body = Release,
    responses((status = 200, body = Released), (status = 409, body = Problem, content_type = "application/problem+json"), (status = 422, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn release(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<Release>,
) -> Result<Json<Released>, ApiError> {
    Ok(Json(
        lifecycle::release(&state.db, &state.gate, &caller, &id, &body.effective_on).await?,
    ))
}

/// The rules the lifecycle decides by (review quorum, consultation length, promotion of
/// supplementary clauses), with their sources.
#[utoipa::path(
    get,
    path = "/api/v1/standards/lifecycle-rules",
    tag = "standards",
    operation_id = "standards_lifecycle_rules",
    responses((status = 200, body = Rules)),
)]
pub async fn rules() -> Json<Rules> {
    Json(lifecycle::rules().clone())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DiffQuery {
    /// The older version, e.g. `1.0`.
    pub from: String,
    /// The newer version, e.g. `2.0`.
    pub to: String,
}

/// Two versions of a standard compared clause by clause, and character by character
/// inside each changed field.
#[utoipa::path(
    get,
    path = "/api/v1/standards/{id}/diff",
    tag = "standards",
    operation_id = "diff_standard_versions",
    params(("id" = String, Path), DiffQuery),
    responses((status = 200, body = VersionDiff), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn compare(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
    Query(q): Query<DiffQuery>,
) -> Result<Json<VersionDiff>, ApiError> {
    Ok(Json(
        revision::compare(&state.db, &state.gate, &caller, &id, &q.from, &q.to).await?,
    ))
}

/// A standard's history: releases, periodic reviews and every step of the proposals
/// released into it.
#[utoipa::path(
    get,
    path = "/api/v1/standards/{id}/history",
    tag = "standards",
    operation_id = "standard_history",
    params(("id" = String, Path)),
    responses((status = 200, body = Vec<Event>), (status = 404, body = Problem, content_type = "application/problem+json")),
)]
pub async fn history(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<String>,
) -> Result<Json<Vec<Event>>, ApiError> {
    Ok(Json(
        revision::history(&state.db, &state.gate, &caller, &id).await?,
    ))
}

/// The open periodic reviews of the standards the caller's organisation holds.
#[utoipa::path(
    get,
    path = "/api/v1/standards/review-tasks",
    tag = "standards",
    operation_id = "standard_review_tasks",
    responses((status = 200, body = Vec<ReviewTask>), (status = 401, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn review_tasks(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
) -> Result<Json<Vec<ReviewTask>>, ApiError> {
    Ok(Json(
        revision::review_tasks(&state.db, &state.gate, &caller).await?,
    ))
}

/// A reaffirmation's note.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Reaffirm {
    #[serde(default)]
    pub note: String,
}

/// The next review date after a reaffirmation.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Reaffirmed {
    pub review_due_on: String,
}

/// The holder confirms, at its periodic review or on a revision proposal failure cases
/// opened, that the standard stays valid unchanged; both close.
#[utoipa::path(
    post,
    path = "/api/v1/standards/{id}/reaffirm",
    tag = "standards",
    operation_id = "reaffirm_standard",
    params(("id" = String, Path)),
    request_body = Reaffirm,
    responses((status = 200, body = Reaffirmed), (status = 409, body = Problem, content_type = "application/problem+json")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn reaffirm(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<String>,
    Json(body): Json<Reaffirm>,
) -> Result<Json<Reaffirmed>, ApiError> {
    let review_due_on =
        revision::reaffirm(&state.db, &state.gate, &caller, &id, &body.note).await?;
    Ok(Json(Reaffirmed { review_due_on }))
}
