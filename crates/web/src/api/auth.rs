//! Sign-in and sign-out over the API.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{AppendHeaders, IntoResponse};
use serde::{Deserialize, Serialize};
use ticorr_kernel::Timestamp;
use ticorr_platform::identity::login;

use crate::auth::{ApiCaller, session_cookie_name, set_cookie};
use crate::error::{ApiError, Problem};
use crate::extract::Json;
use crate::state::AppState;

#[derive(Debug, Deserialize, utoipa::ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoginResponse {
    /// Use as `Authorization: Bearer <token>`; the same session is also set as a cookie.
    pub token: String,
    /// The absolute end of the session; it also ends after a period without requests.
    pub expires_at: Timestamp,
    /// For browser clients using the cookie: send as `X-CSRF-Token` on state-changing requests.
    pub csrf_token: String,
}

/// Signs in with e-mail and password.
#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    operation_id = "login",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginResponse),
        (status = 401, description = "The e-mail address or password is not correct", body = Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts; see Retry-After", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn login(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
    headers: HeaderMap,
    Json(req): Json<LoginRequest>,
) -> Result<impl IntoResponse, ApiError> {
    let ua = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok());
    let outcome = login::login(
        &state.db,
        &state.gate,
        &state.config.identity,
        &req.email,
        &req.password,
        caller.ip.as_deref(),
        ua,
    )
    .await;
    let done = match outcome {
        Ok(done) => {
            state.metrics.login("success");
            done
        }
        Err(e) => {
            state.metrics.login(match e {
                login::LoginError::Throttled { .. } => "throttled",
                _ => "failure",
            });
            return Err(e.into());
        }
    };
    let secure = state.config.identity.cookie_secure;
    let cookie = set_cookie(
        session_cookie_name(secure),
        &done.session.secret,
        secure,
        None,
        "Lax",
    );
    Ok((
        AppendHeaders([(header::SET_COOKIE, cookie)]),
        Json(LoginResponse {
            token: done.session.secret,
            expires_at: done.session.expires_at,
            csrf_token: done.session.csrf_token,
        }),
    ))
}

/// Signs out: ends the session server-side (the token and the cookie stop working).
#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    operation_id = "logout",
    responses((status = 204, description = "Signed out")),
    security(("bearer" = []), ("session_cookie" = []))
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiCaller(caller, _): ApiCaller,
) -> Result<impl IntoResponse, ApiError> {
    login::logout(&state.db, &state.gate, &caller)
        .await
        .map_err(ApiError::from)?;
    let secure = state.config.identity.cookie_secure;
    let clear = set_cookie(session_cookie_name(secure), "", secure, Some(0), "Lax");
    Ok((
        StatusCode::NO_CONTENT,
        AppendHeaders([(header::SET_COOKIE, clear)]),
    ))
}
