//! The one HTTP error type of the API: RFC 9457 `application/problem+json`.
//!
//! Library errors get their HTTP meaning here and nowhere else. A server fault is logged
//! once, here, with its cause, and answered with a generic body; it is never reported as
//! a client's fault.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use ticorr_equipment::{EquipmentError, RowError};
use ticorr_kernel::{FieldError, FieldErrors};
use ticorr_platform::attachments::AttachmentError;
use ticorr_platform::identity::IdentityError;
use ticorr_platform::identity::login::LoginError;

/// An API error.
#[derive(Debug)]
pub enum ApiError {
    /// The request is malformed (unparseable body, bad cursor, bad query).
    BadRequest(String),
    /// The input is well-formed but invalid; every problem is listed.
    Invalid(FieldErrors),
    /// An import file had bad rows; nothing was stored.
    ImportRejected(Vec<RowError>),
    /// No valid credentials.
    Unauthorized,
    /// Credentials are valid but the action is not allowed (on something the caller may see).
    Forbidden,
    /// The cross-site request forgery check failed.
    Csrf,
    NotFound,
    Conflict(String),
    TooManyRequests {
        retry_after_secs: i64,
    },
    /// The caller's privacy budget does not cover the query.
    PrivacyBudget(String),
    /// The data was erased for good (its organisation's key was destroyed).
    Gone(String),
    PayloadTooLarge,
    /// An uploaded file exceeds its limit; the detail names the limit.
    FileTooLarge(String),
    UnsupportedMediaType(String),
    /// A fault of the server; the cause is logged, not sent.
    Internal(String),
}

/// The problem document (RFC 9457).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// For validation problems: every field error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// For rejected imports: every row error.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row_errors: Option<Vec<RowError>>,
}

impl ApiError {
    fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            ApiError::BadRequest(_) => (
                StatusCode::BAD_REQUEST,
                "/problems/bad-request",
                "The request is malformed",
            ),
            ApiError::Invalid(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/validation",
                "The input is not valid",
            ),
            ApiError::ImportRejected(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/import-rejected",
                "The file has errors; nothing was imported",
            ),
            ApiError::Unauthorized => (StatusCode::UNAUTHORIZED, "about:blank", "Sign-in required"),
            ApiError::Forbidden => (StatusCode::FORBIDDEN, "about:blank", "Not allowed"),
            ApiError::Csrf => (
                StatusCode::FORBIDDEN,
                "/problems/csrf",
                "The request did not carry the anti-forgery token of the session",
            ),
            ApiError::NotFound => (StatusCode::NOT_FOUND, "about:blank", "Not found"),
            ApiError::Conflict(_) => (
                StatusCode::CONFLICT,
                "/problems/conflict",
                "The request conflicts with the current state",
            ),
            ApiError::TooManyRequests { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/throttled",
                "Too many attempts",
            ),
            ApiError::PrivacyBudget(_) => (
                StatusCode::CONFLICT,
                "/problems/privacy-budget",
                "The privacy budget does not cover this query",
            ),
            ApiError::Gone(_) => (
                StatusCode::GONE,
                "/problems/erased",
                "The data was erased for good",
            ),
            ApiError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "about:blank",
                "The request body is too large",
            ),
            ApiError::FileTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/file-too-large",
                "The file is too large",
            ),
            ApiError::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "/problems/unsupported-media-type",
                "The body's content type is not supported here",
            ),
            ApiError::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "about:blank",
                "Internal server error",
            ),
        }
    }

    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    pub fn problem(&self) -> Problem {
        let (status, kind, title) = self.parts();
        let mut p = Problem {
            kind: kind.into(),
            title: title.into(),
            status: status.as_u16(),
            detail: None,
            errors: None,
            row_errors: None,
        };
        match self {
            ApiError::BadRequest(d)
            | ApiError::Conflict(d)
            | ApiError::UnsupportedMediaType(d)
            | ApiError::FileTooLarge(d)
            | ApiError::PrivacyBudget(d)
            | ApiError::Gone(d) => p.detail = Some(d.clone()),
            ApiError::Invalid(e) => {
                p.detail = Some(e.to_string());
                p.errors = Some(e.0.clone());
            }
            ApiError::ImportRejected(rows) => {
                p.detail = Some(format!("{} problem(s) in the file", rows.len()));
                p.row_errors = Some(rows.clone());
            }
            ApiError::TooManyRequests { retry_after_secs } => {
                p.detail = Some(format!("try again in {retry_after_secs} seconds"));
            }
            _ => {}
        }
        p
    }

    /// A server fault: log the cause once and keep it out of the response.
    pub fn internal(cause: impl std::fmt::Display) -> ApiError {
        let cause = cause.to_string();
        tracing::error!(error = %cause, "request failed");
        ApiError::Internal(cause)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = self.problem();
        let status = self.status();
        let mut res = (status, axum::Json(problem)).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let ApiError::TooManyRequests { retry_after_secs } = self
            && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(self, ApiError::Unauthorized) {
            res.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        res
    }
}

impl From<IdentityError> for ApiError {
    fn from(e: IdentityError) -> Self {
        match e {
            IdentityError::Invalid(f) => ApiError::Invalid(f),
            IdentityError::NotFound => ApiError::NotFound,
            IdentityError::Forbidden => ApiError::Forbidden,
            IdentityError::Conflict(m) => ApiError::Conflict(m.into()),
            other => ApiError::internal(other),
        }
    }
}

impl From<EquipmentError> for ApiError {
    fn from(e: EquipmentError) -> Self {
        match e {
            EquipmentError::Invalid(f) => ApiError::Invalid(f),
            EquipmentError::Import(rows) => ApiError::ImportRejected(rows),
            EquipmentError::Unreadable(m) => ApiError::BadRequest(m),
            EquipmentError::NotFound => ApiError::NotFound,
            EquipmentError::Forbidden => ApiError::Forbidden,
            c @ EquipmentError::VersionConflict { .. } => ApiError::Conflict(c.to_string()),
            EquipmentError::Vault(e @ ticorr_platform::vault::VaultError::Shredded) => {
                ApiError::Gone(e.to_string())
            }
            EquipmentError::Attachment(e) => e.into(),
            other => ApiError::internal(other),
        }
    }
}

impl From<ticorr_cases::CasesError> for ApiError {
    fn from(e: ticorr_cases::CasesError) -> Self {
        use ticorr_cases::CasesError as E;
        match e {
            E::NotFound => ApiError::NotFound,
            E::Forbidden => ApiError::Forbidden,
            E::Fields(f) => ApiError::Invalid(f),
            E::Conflict(m) => ApiError::Conflict(m),
            E::Attachment(e) => e.into(),
            E::Unreadable(m) => ApiError::BadRequest(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<ticorr_standards::StandardsError> for ApiError {
    fn from(e: ticorr_standards::StandardsError) -> Self {
        use ticorr_standards::StandardsError as E;
        match e {
            E::NotFound => ApiError::NotFound,
            E::Forbidden => ApiError::Forbidden,
            E::Equipment(e) => e.into(),
            E::Invalid(problems) => ApiError::BadRequest(problems.join("; ")),
            E::Fields(f) => ApiError::Invalid(f),
            E::Conflict(m) => ApiError::Conflict(m),
            other => ApiError::internal(other),
        }
    }
}

impl From<AttachmentError> for ApiError {
    fn from(e: AttachmentError) -> Self {
        match e {
            AttachmentError::Refused(r) => {
                let mut f = FieldErrors::new();
                f.add("file", r.code(), r.to_string());
                ApiError::Invalid(f)
            }
            e @ AttachmentError::BrokenImage(_) => {
                let mut f = FieldErrors::new();
                f.add("file", "broken_image", e.to_string());
                ApiError::Invalid(f)
            }
            e @ AttachmentError::TooLarge { .. } => ApiError::FileTooLarge(e.to_string()),
            AttachmentError::NotFound => ApiError::NotFound,
            AttachmentError::Forbidden => ApiError::Forbidden,
            other => ApiError::internal(other),
        }
    }
}

impl From<LoginError> for ApiError {
    fn from(e: LoginError) -> Self {
        match e {
            LoginError::Invalid => ApiError::Unauthorized,
            LoginError::Throttled { retry_after_secs } => {
                ApiError::TooManyRequests { retry_after_secs }
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<ticorr_platform::stats::StatsError> for ApiError {
    fn from(e: ticorr_platform::stats::StatsError) -> Self {
        use ticorr_platform::stats::StatsError;
        match e {
            StatsError::Invalid(f) => ApiError::Invalid(f),
            StatsError::Budget(d) => ApiError::PrivacyBudget(d.to_string()),
            StatsError::NotFound => ApiError::NotFound,
            StatsError::Forbidden => ApiError::Forbidden,
            other => ApiError::internal(other),
        }
    }
}

impl From<ticorr_platform::notify::NotifyError> for ApiError {
    fn from(e: ticorr_platform::notify::NotifyError) -> Self {
        use ticorr_platform::notify::NotifyError;
        match e {
            NotifyError::Invalid(f) => ApiError::Invalid(f),
            NotifyError::NotFound => ApiError::NotFound,
            NotifyError::Forbidden => ApiError::Forbidden,
            NotifyError::Vault(e @ ticorr_platform::vault::VaultError::Shredded) => {
                ApiError::Gone(e.to_string())
            }
            other => ApiError::internal(other),
        }
    }
}

impl From<sqlx::Error> for ApiError {
    fn from(e: sqlx::Error) -> Self {
        ApiError::internal(e)
    }
}

impl From<ticorr_kernel::page::BadCursor> for ApiError {
    fn from(e: ticorr_kernel::page::BadCursor) -> Self {
        ApiError::BadRequest(e.to_string())
    }
}
