//! Cross-cutting request handling: security headers, the anti-forgery cookie for forms
//! shown before sign-in, request ids, structured logs and metrics.

use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::auth::{cookie, csrf_cookie_name, set_cookie};
use crate::metrics::RequestLabels;
use crate::state::AppState;

/// The Content-Security-Policy of every page: nothing from other origins, no inline
/// scripts, no framing. The bundled API reference needs inline styles and its own scripts.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";
const CSP_API_DOCS: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

pub async fn security_headers(req: Request, next: Next) -> Response {
    let docs = req.uri().path().starts_with("/api/docs");
    let mut res = next.run(req).await;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(if docs { CSP_API_DOCS } else { CSP }),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    h.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    res
}

/// The value of the pre-sign-in anti-forgery token for this request, as set by
/// [`csrf_cookie`] (the cookie's value, or a fresh one when the visitor had none).
#[derive(Clone, Debug)]
pub struct AnonCsrf(pub String);

/// Gives every visitor an anti-forgery cookie, so forms shown before sign-in (sign-in,
/// registration) can carry the matching token (double-submit).
pub async fn csrf_cookie(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let secure = state.config.identity.cookie_secure;
    let name = csrf_cookie_name(secure);
    let existing = cookie(req.headers(), name).map(str::to_owned);
    let token = existing
        .clone()
        .unwrap_or_else(ticorr_platform::identity::secret::random_token);
    req.extensions_mut().insert(AnonCsrf(token.clone()));
    let mut res = next.run(req).await;
    if existing.is_none()
        && let Ok(v) = HeaderValue::from_str(&set_cookie(name, &token, secure, None, "Lax"))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

/// Request id, a structured log line per request, and the request metrics.
pub async fn observe(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let request_id = uuid::Uuid::now_v7().to_string();
    let span = tracing::info_span!("request", request.id = %request_id, http.method = %method, http.route = %route);
    let mut res = tracing::Instrument::instrument(next.run(req), span.clone()).await;
    let status = res.status().as_u16();
    let elapsed = start.elapsed().as_secs_f64();
    let labels = RequestLabels {
        method,
        route,
        status,
    };
    state.metrics.requests.get_or_create(&labels).inc();
    state
        .metrics
        .durations
        .get_or_create(&labels)
        .observe(elapsed);
    span.in_scope(|| {
        tracing::info!(
            http.status = status,
            http.duration_ms = (elapsed * 1000.0).round() as u64,
            "request"
        );
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert("x-request-id", v);
    }
    res
}
