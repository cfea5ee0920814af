//! Forms that post one file (multipart): the anti-forgery token is one of the fields, and
//! the refusals an uploader can act on (too large, no file chosen, a type not accepted)
//! read in the page's language.

use axum::extract::{FromRequest, FromRequestParts, Multipart, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use ticorr_platform::attachments::{self, AttachmentError, Refused};

use super::{PageCtx, PageErrorKind};
use crate::state::AppState;

/// What a file form brought.
pub(super) enum FileForm {
    /// A file with its name; the sender is signed in and the token matched.
    File(PageCtx, String, axum::body::Bytes),
    /// Refused with a message for the form (too large, no file chosen).
    Refused(PageCtx, StatusCode, String),
    /// A response to send as it is (not signed in, a bad token, a broken body).
    Done(Response),
}

/// Reads a file form posted by a signed-in person.
pub(super) async fn read(state: &AppState, req: Request) -> FileForm {
    let (mut parts, body) = req.into_parts();
    let ctx = match PageCtx::from_request_parts(&mut parts, state).await {
        Ok(c) => c,
        Err(r) => return FileForm::Done(r),
    };
    if let Err(e) = ctx.require_actor() {
        return FileForm::Done(e.into_response());
    }
    if !crate::auth::origin_matches(&parts.headers) {
        return FileForm::Done(ctx.error(PageErrorKind::Csrf).into_response());
    }
    let too_large = |ctx: &PageCtx| {
        ctx.t1(
            "attachment-error-too-large",
            "limit",
            attachments::human_size(state.attachments.max_bytes()),
        )
    };
    let mut mp = match Multipart::from_request(Request::from_parts(parts, body), state).await {
        Ok(m) => m,
        Err(e) => {
            return FileForm::Done(
                ctx.error(PageErrorKind::BadRequest(e.body_text()))
                    .into_response(),
            );
        }
    };
    let mut csrf = String::new();
    let mut file: Option<(String, axum::body::Bytes)> = None;
    loop {
        match mp.next_field().await {
            Ok(Some(field)) => match field.name() {
                Some("_csrf") => csrf = field.text().await.unwrap_or_default(),
                Some("file") => {
                    let name = field.file_name().unwrap_or_default().to_owned();
                    match field.bytes().await {
                        Ok(b) => file = Some((name, b)),
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                            let m = too_large(&ctx);
                            return FileForm::Refused(ctx, e.status(), m);
                        }
                        Err(e) => {
                            return FileForm::Done(
                                ctx.error(PageErrorKind::BadRequest(e.body_text()))
                                    .into_response(),
                            );
                        }
                    }
                }
                _ => {}
            },
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                let m = too_large(&ctx);
                return FileForm::Refused(ctx, e.status(), m);
            }
            Err(e) => {
                return FileForm::Done(
                    ctx.error(PageErrorKind::BadRequest(e.body_text()))
                        .into_response(),
                );
            }
        }
    }
    if ctx.csrf.is_empty() || !ticorr_platform::identity::secret::constant_time_eq(&ctx.csrf, &csrf)
    {
        return FileForm::Done(ctx.error(PageErrorKind::Csrf).into_response());
    }
    // A form sent with no file chosen carries an empty, unnamed part.
    match file.filter(|(n, b)| !(n.is_empty() && b.is_empty())) {
        Some((name, bytes)) => FileForm::File(ctx, name, bytes),
        None => {
            let m = ctx.t("attachment-error-no-file");
            FileForm::Refused(ctx, StatusCode::UNPROCESSABLE_ENTITY, m)
        }
    }
}

/// Why a file was not stored.
pub(super) enum NotStored {
    /// A refusal the uploader can act on, for the form: the status and the message.
    Refused(StatusCode, String),
    /// Any other fault: the error page.
    Failed(Response),
}

/// Stores an uploaded file for `owner` through the attachment service (which asks the
/// policies).
pub(super) async fn store(
    state: &AppState,
    ctx: &PageCtx,
    owner: &attachments::Owner,
    name: &str,
    bytes: axum::body::Bytes,
) -> Result<(), NotStored> {
    attachments::upload(
        &state.db,
        &state.gate,
        &state.attachments,
        ctx.caller(),
        owner,
        name,
        bytes,
    )
    .await
    .map(|_| ())
    .map_err(|e| match refusal(ctx, &e) {
        Some((status, message)) => NotStored::Refused(status, message),
        None => NotStored::Failed(ctx.attachment_error(e).into_response()),
    })
}

/// Why an upload was refused, in the page's language, with the status to answer; `None`
/// for faults that are not the uploader's (those get the error page).
pub(super) fn refusal(ctx: &PageCtx, e: &AttachmentError) -> Option<(StatusCode, String)> {
    use fluent_bundle::FluentValue;
    let message = match e {
        AttachmentError::Refused(Refused::Mismatch {
            extension,
            detected,
        }) => ctx.state.i18n.get(
            ctx.lang,
            "attachment-error-type_mismatch",
            &[
                ("extension", FluentValue::from(extension.clone())),
                (
                    "detected",
                    FluentValue::from(ctx.label("attachment-kind", detected.as_str())),
                ),
            ],
        ),
        AttachmentError::Refused(r) => ctx.label("attachment-error", r.code()),
        AttachmentError::BrokenImage(_) => ctx.t("attachment-error-broken_image"),
        AttachmentError::TooLarge { limit } => ctx.t1(
            "attachment-error-too-large",
            "limit",
            attachments::human_size(*limit),
        ),
        _ => return None,
    };
    let status = if matches!(e, AttachmentError::TooLarge { .. }) {
        StatusCode::PAYLOAD_TOO_LARGE
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    Some((status, message))
}

/// Deletes file `file` of `owner` through the attachment service (which asks the policies),
/// then sends the browser to `back`.
pub(super) async fn delete(
    state: &AppState,
    ctx: &PageCtx,
    owner: &attachments::Owner,
    file: ticorr_kernel::AttachmentId,
    back: &str,
) -> Response {
    match attachments::delete(
        &state.db,
        &state.gate,
        &state.attachments,
        ctx.caller(),
        owner,
        file,
    )
    .await
    {
        Ok(()) => super::see_other(back),
        Err(e) => ctx.attachment_error(e).into_response(),
    }
}
