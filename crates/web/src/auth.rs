//! Who is calling: session cookies, bearer tokens (sign-in tokens and API tokens), the
//! client address, and the anti-forgery checks that go with cookie authentication.
//!
//! Resolution happens once per request and is cached in the request's extensions.
//! Handlers receive a [`Caller`] and pass it to module services; they never decide
//! permissions themselves.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, header};
use ticorr_platform::Caller;
use ticorr_platform::identity::sessions::LiveSession;
use ticorr_platform::identity::{principal, sessions, tokens};
use ticorr_platform::policy::{Principal, Via};

use crate::error::ApiError;
use crate::state::AppState;

/// The session cookie. The `__Host-` prefix pins it to this host and path `/`; browsers
/// accept it only with `Secure`, so without secure cookies a plain name is used.
pub fn session_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-ticorr_session"
    } else {
        "ticorr_session"
    }
}

/// The anti-forgery cookie for forms shown before sign-in (double-submit).
pub fn csrf_cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-ticorr_csrf"
    } else {
        "ticorr_csrf"
    }
}

pub const LANG_COOKIE: &str = "ticorr_lang";

/// Reads one cookie from the request headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value with the platform's cookie attributes.
pub fn set_cookie(
    name: &str,
    value: &str,
    secure: bool,
    max_age_secs: Option<i64>,
    same_site: &str,
) -> String {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite={same_site}");
    if secure {
        c.push_str("; Secure");
    }
    if let Some(age) = max_age_secs {
        c.push_str(&format!("; Max-Age={age}"));
    }
    c
}

/// The result of authenticating a request.
#[derive(Clone, Debug)]
pub struct Auth {
    pub caller: Caller,
    /// The live session, when authenticated by one (cookie or bearer).
    pub session: Option<LiveSession>,
    /// Authenticated by the session cookie: state-changing requests need the CSRF token.
    pub via_cookie: bool,
    /// A bearer credential was presented but is not valid.
    pub bad_bearer: bool,
}

/// The client address: the socket peer, or the first `X-Forwarded-For` hop when the
/// configuration says a proxy sets it.
pub fn client_ip(parts: &Parts, trust_forwarded: bool) -> Option<String> {
    if trust_forwarded
        && let Some(first) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
    {
        return Some(first.trim().to_owned());
    }
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip().to_string())
}

async fn resolve(state: &AppState, parts: &Parts) -> Result<Auth, ApiError> {
    let ip = client_ip(parts, state.config.http.trust_forwarded_for);
    let now = state.gate.clock().now();
    let config = &state.config.identity;
    let mut conn = state.db.pool().acquire().await?;
    let anonymous = |bad_bearer| Auth {
        caller: Caller {
            principal: Principal::Anonymous,
            ip: ip.clone(),
        },
        session: None,
        via_cookie: false,
        bad_bearer,
    };

    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);

    if let Some(secret) = bearer {
        if secret.starts_with(tokens::TOKEN_PREFIX) {
            let Some(token) = tokens::authenticate(&mut conn, now, secret, ip.as_deref()).await?
            else {
                return Ok(anonymous(true));
            };
            let via = Via::Token {
                id: token.id,
                scopes: token.scopes.clone(),
            };
            return Ok(
                match principal::load_actor(&mut conn, token.person_id, via).await? {
                    Some(actor) if actor.org_id == token.org_id => Auth {
                        caller: Caller {
                            principal: Principal::Person(Box::new(actor)),
                            ip,
                        },
                        session: None,
                        via_cookie: false,
                        bad_bearer: false,
                    },
                    _ => anonymous(true),
                },
            );
        }
        let Some(session) = sessions::authenticate(&mut conn, config, now, secret).await? else {
            return Ok(anonymous(true));
        };
        return Ok(
            match principal::load_actor(&mut conn, session.person_id, Via::Session(session.id))
                .await?
            {
                Some(actor) => Auth {
                    caller: Caller {
                        principal: Principal::Person(Box::new(actor)),
                        ip,
                    },
                    session: Some(session),
                    via_cookie: false,
                    bad_bearer: false,
                },
                None => anonymous(true),
            },
        );
    }

    let name = session_cookie_name(config.cookie_secure);
    if let Some(secret) = cookie(&parts.headers, name)
        && let Some(session) = sessions::authenticate(&mut conn, config, now, secret).await?
        && let Some(actor) =
            principal::load_actor(&mut conn, session.person_id, Via::Session(session.id)).await?
    {
        return Ok(Auth {
            caller: Caller {
                principal: Principal::Person(Box::new(actor)),
                ip,
            },
            session: Some(session),
            via_cookie: true,
            bad_bearer: false,
        });
    }
    Ok(anonymous(false))
}

/// Authenticates the request (once; later calls read the cached result).
pub async fn authenticate(state: &AppState, parts: &mut Parts) -> Result<Auth, ApiError> {
    if let Some(a) = parts.extensions.get::<Auth>() {
        return Ok(a.clone());
    }
    let auth = resolve(state, parts).await?;
    parts.extensions.insert(auth.clone());
    Ok(auth)
}

/// Whether a request changes state (and so needs the anti-forgery check under cookies).
pub fn is_unsafe(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// A browser's `Origin`, when present, must be this site: a second line of defence
/// behind the tokens and SameSite cookies.
pub fn origin_matches(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let origin_host = origin.split("://").nth(1).unwrap_or_default();
    origin_host == host
}

/// The caller of an API request. A presented but invalid bearer credential answers 401;
/// a cookie-authenticated request that changes state must carry the session's anti-forgery
/// token in `X-CSRF-Token`.
#[derive(Debug, Clone)]
pub struct ApiCaller(pub Caller, pub Auth);

impl FromRequestParts<AppState> for ApiCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let auth = authenticate(state, parts).await?;
        if auth.bad_bearer {
            return Err(ApiError::Unauthorized);
        }
        if auth.via_cookie && is_unsafe(&parts.method) {
            let expected = auth
                .session
                .as_ref()
                .map(|s| s.csrf_token.as_str())
                .unwrap_or_default();
            let given = parts
                .headers
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default();
            if !ticorr_platform::identity::secret::constant_time_eq(expected, given)
                || !origin_matches(&parts.headers)
            {
                return Err(ApiError::Csrf);
            }
        }
        Ok(ApiCaller(auth.caller.clone(), auth))
    }
}

/// An API caller that must be signed in.
#[derive(Debug, Clone)]
pub struct ApiPerson(pub Caller, pub Auth);

impl FromRequestParts<AppState> for ApiPerson {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let ApiCaller(caller, auth) = ApiCaller::from_request_parts(parts, state).await?;
        if caller.principal.actor().is_none() {
            return Err(ApiError::Unauthorized);
        }
        Ok(ApiPerson(caller, auth))
    }
}
