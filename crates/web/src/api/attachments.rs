//! Attachments over the API: upload to and list an owner record's files, download a file
//! or its thumbnail, delete a file.
//!
//! Downloads are always `Content-Disposition: attachment` with the type detected at upload
//! and `X-Content-Type-Options: nosniff`, so a browser saves a file rather than rendering
//! it in the platform's origin.

use axum::body::Bytes;
use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use ticorr_equipment as equipment;
use ticorr_kernel::{AttachmentId, EquipmentId};
use ticorr_platform::attachments::{self, Attachment, Content, Owner};

use crate::auth::{ApiCaller, ApiPerson};
use crate::error::{ApiError, Problem};
use crate::extract::{Json, Path};
use crate::state::AppState;

/// Room for the multipart framing and small fields around the file itself.
pub const MULTIPART_SLACK: usize = 64 * 1024;

/// The body limit of upload routes: the file limit plus the form's framing.
pub fn body_limit(state_config: &crate::Config) -> usize {
    usize::try_from(state_config.attachments.max_bytes)
        .unwrap_or(usize::MAX)
        .saturating_add(MULTIPART_SLACK)
}

/// An owner record's files.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentList {
    pub items: Vec<Attachment>,
    /// The largest file accepted, in bytes.
    pub max_bytes: u64,
}

/// The upload form (documentation of the multipart body).
#[derive(Debug, utoipa::ToSchema)]
pub struct UploadForm {
    /// The file. Its type is detected from its content; the name's extension must agree.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
}

/// A file from the `file` field of a multipart form.
pub struct Upload {
    pub name: String,
    pub bytes: Bytes,
}

/// The message of a file over the limit, with the limit in it.
pub fn too_large(state: &AppState) -> ApiError {
    attachments::AttachmentError::TooLarge {
        limit: state.attachments.max_bytes(),
    }
    .into()
}

impl FromRequest<AppState> for Upload {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let is_multipart = req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !is_multipart {
            return Err(ApiError::UnsupportedMediaType(
                "send multipart/form-data with the file in a `file` field".into(),
            ));
        }
        let mut mp = Multipart::from_request(req, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        loop {
            let field = match mp.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    return Err(too_large(state));
                }
                Err(e) => return Err(ApiError::BadRequest(e.body_text())),
            };
            if field.name() != Some("file") {
                continue;
            }
            let name = field.file_name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| {
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    too_large(state)
                } else {
                    ApiError::BadRequest(e.body_text())
                }
            })?;
            return Ok(Upload { name, bytes });
        }
        Err(ApiError::BadRequest("the form has no `file` field".into()))
    }
}

/// The owner of an attachment, resolved by the owner's module. Every kind of record that
/// can hold files is listed here.
pub async fn owner_of(state: &AppState, a: &Attachment) -> Result<Owner, ApiError> {
    match a.owner_kind.as_str() {
        equipment::RECORD_KIND => {
            let id = a
                .owner_id
                .parse::<EquipmentId>()
                .map_err(|_| ApiError::NotFound)?;
            equipment_owner(state, id).await
        }
        ticorr_standards::inspection::EVIDENCE_KIND => evidence_owner(state, &a.owner_id).await,
        ticorr_cases::RECORD_KIND => state
            .cases()
            .owner_of(&a.owner_id)
            .await?
            .ok_or(ApiError::NotFound),
        _ => Err(ApiError::NotFound),
    }
}

async fn evidence_owner(state: &AppState, owner_id: &str) -> Result<Owner, ApiError> {
    ticorr_standards::inspection::evidence_owner(&state.db, owner_id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The evidence files of one row of a self-inspection checklist, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/standards/self-inspections/{id}/rows/{position}/evidence",
    tag = "attachments",
    operation_id = "list_self_inspection_evidence",
    params(("id" = String, Path), ("position" = i64, Path)),
    responses(
        (status = 200, body = AttachmentList),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list_evidence(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, position)): Path<(String, i64)>,
) -> Result<Json<AttachmentList>, ApiError> {
    let owner = evidence_owner(&state, &format!("{id}:{position}")).await?;
    let items = attachments::list(&state.db, &state.gate, &caller, &owner).await?;
    Ok(Json(AttachmentList {
        items,
        max_bytes: state.attachments.max_bytes(),
    }))
}

/// Attaches evidence (a photo, a test report, a record) to one row of a self-inspection
/// checklist; the checklist's organisation alone reads it. Types are checked as for any
/// attachment.
#[utoipa::path(
    post,
    path = "/api/v1/standards/self-inspections/{id}/rows/{position}/evidence",
    tag = "attachments",
    operation_id = "upload_self_inspection_evidence",
    params(("id" = String, Path), ("position" = i64, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Attachment),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn upload_evidence(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path((id, position)): Path<(String, i64)>,
    upload: Upload,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let owner = evidence_owner(&state, &format!("{id}:{position}")).await?;
    let a = attachments::upload(
        &state.db,
        &state.gate,
        &state.attachments,
        &caller,
        &owner,
        &upload.name,
        upload.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

async fn equipment_owner(state: &AppState, id: EquipmentId) -> Result<Owner, ApiError> {
    equipment::attachments::owner_of(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)
}

/// The files attached to an equipment item, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{id}/attachments",
    tag = "attachments",
    operation_id = "list_equipment_attachments",
    params(("id" = EquipmentId, Path)),
    responses(
        (status = 200, body = AttachmentList),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn list_for_equipment(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
) -> Result<Json<AttachmentList>, ApiError> {
    let owner = equipment_owner(&state, id).await?;
    let items = attachments::list(&state.db, &state.gate, &caller, &owner).await?;
    Ok(Json(AttachmentList {
        items,
        max_bytes: state.attachments.max_bytes(),
    }))
}

/// Attaches a file to an equipment item (people of the owner organisation). The type is
/// detected from the content (PDF, PNG, JPEG, WebP, GIF, TIFF, .docx/.xlsx/.pptx, UTF-8
/// text or CSV); a file of another type, or whose name's extension contradicts its content,
/// is refused with 422 and nothing is stored. PNG, JPEG and WebP images get a thumbnail.
#[utoipa::path(
    post,
    path = "/api/v1/equipment/{id}/attachments",
    tag = "attachments",
    operation_id = "upload_equipment_attachment",
    params(("id" = EquipmentId, Path)),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = Attachment),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "The file exceeds `attachments.max_bytes`; the detail names the limit", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, of a type not accepted, named against its content, or a damaged image", body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn upload_to_equipment(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<EquipmentId>,
    upload: Upload,
) -> Result<(StatusCode, Json<Attachment>), ApiError> {
    let owner = equipment_owner(&state, id).await?;
    let a = attachments::upload(
        &state.db,
        &state.gate,
        &state.attachments,
        &caller,
        &owner,
        &upload.name,
        upload.bytes,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(a)))
}

async fn read(
    state: &AppState,
    caller: &ticorr_platform::Caller,
    id: AttachmentId,
    content: Content,
) -> Result<(Attachment, Bytes), ApiError> {
    let a = attachments::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner = owner_of(state, &a).await?;
    let bytes = attachments::read(
        &state.db,
        &state.gate,
        &state.attachments,
        caller,
        &owner,
        &a,
        content,
    )
    .await?;
    Ok((a, bytes))
}

/// Downloads a file, if the caller may read its owner record.
#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}",
    tag = "attachments",
    operation_id = "download_attachment",
    params(("id" = AttachmentId, Path)),
    responses(
        (status = 200, description = "The file, with its detected type, `Content-Disposition: attachment` and `ETag` (its SHA-256)", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn download(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<AttachmentId>,
) -> Result<Response, ApiError> {
    let (a, bytes) = read(&state, &caller, id, Content::File).await?;
    Ok(file_response(
        bytes,
        &a.content_type,
        &content_disposition("attachment", &a.file_name),
        Some(&a.sha256),
    ))
}

/// The thumbnail of an image (PNG, at most 256 pixels on each side); 404 for files
/// without one (documents, GIF and TIFF images).
#[utoipa::path(
    get,
    path = "/api/v1/attachments/{id}/thumbnail",
    tag = "attachments",
    operation_id = "attachment_thumbnail",
    params(("id" = AttachmentId, Path)),
    responses(
        (status = 200, description = "A PNG thumbnail", content_type = "image/png"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn thumbnail(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    Path(id): Path<AttachmentId>,
) -> Result<Response, ApiError> {
    let (a, bytes) = read(&state, &caller, id, Content::Thumbnail).await?;
    let stem = a
        .file_name
        .rsplit_once('.')
        .map(|(s, _)| s)
        .unwrap_or(&a.file_name);
    Ok(file_response(
        bytes,
        "image/png",
        &content_disposition("inline", &format!("{stem}.thumbnail.png")),
        None,
    ))
}

/// Deletes a file (people of the owner organisation). Audited; the bytes are removed. A
/// file anchored in the ledger keeps its row as a tombstone so the log still verifies.
#[utoipa::path(
    delete,
    path = "/api/v1/attachments/{id}",
    tag = "attachments",
    operation_id = "delete_attachment",
    params(("id" = AttachmentId, Path)),
    responses(
        (status = 204),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    ),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn delete(
    State(state): State<AppState>,
    ApiPerson(caller, _): ApiPerson,
    Path(id): Path<AttachmentId>,
) -> Result<StatusCode, ApiError> {
    let a = attachments::find(&state.db, id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let owner = owner_of(&state, &a).await?;
    attachments::delete(
        &state.db,
        &state.gate,
        &state.attachments,
        &caller,
        &owner,
        id,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A file body with its headers.
pub fn file_response(
    bytes: Bytes,
    content_type: &str,
    disposition: &str,
    sha256: Option<&str>,
) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(content_type) {
        h.insert(header::CONTENT_TYPE, v);
    }
    if let Ok(v) = HeaderValue::from_str(disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Files of L1 and L2 records must not sit in shared caches.
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-cache"),
    );
    if let Some(sha) = sha256
        && let Ok(v) = HeaderValue::from_str(&format!("\"{sha}\""))
    {
        h.insert(header::ETAG, v);
    }
    res
}

/// `Content-Disposition` with an ASCII fallback `filename` and the exact UTF-8 name in
/// `filename*` (RFC 6266 §4.3, RFC 8187), so Chinese names survive every browser.
pub fn content_disposition(kind: &str, name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() && !matches!(c, '"' | '\\' | '%' | ';')) || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        match b {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'!'
            | b'#'
            | b'$'
            | b'&'
            | b'+'
            | b'-'
            | b'.'
            | b'^'
            | b'_'
            | b'`'
            | b'|'
            | b'~' => encoded.push(b as char),
            _ => encoded.push_str(&format!("%{b:02X}")),
        }
    }
    format!("{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::content_disposition;

    #[test]
    fn chinese_names_are_encoded_for_every_browser() {
        assert_eq!(
            content_disposition("attachment", "检测报告 2026.pdf"),
            "attachment; filename=\"____ 2026.pdf\"; filename*=UTF-8''%E6%A3%80%E6%B5%8B%E6%8A%A5%E5%91%8A%202026.pdf"
        );
        assert_eq!(
            content_disposition("attachment", "a\"b;c%.txt"),
            "attachment; filename=\"a_b_c_.txt\"; filename*=UTF-8''a%22b%3Bc%25.txt"
        );
    }
}
