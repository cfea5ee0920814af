//! The search page: one box for every record type, facets to narrow, snippets with the
//! matched words marked, and what the query was understood to mean.

use askama::Template;
use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::{PageCtx, render};
use crate::search::{SearchQuery, SearchResults};

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    ctx: &'a PageCtx,
    query: SearchQuery,
    types: Vec<(String, String, bool)>,
    results: Option<SearchResults>,
    error: Option<String>,
}

impl SearchPage<'_> {
    fn facet_title(&self, dim: &str) -> String {
        self.ctx.t(&format!("search-facet-{dim}"))
    }

    fn toggle_href(&self, dim: &str, value: &str) -> String {
        self.query.href(|q| {
            q.offset = 0;
            if q.has_filter(dim, value) {
                q.filters.retain(|(d, v)| !(d == dim && v == value));
            } else {
                q.filters.push((dim.to_owned(), value.to_owned()));
            }
        })
    }

    fn next_href(&self, cursor: &str) -> String {
        let mut href = self.query.href(|q| q.offset = 0);
        href.push(if href.contains('?') { '&' } else { '?' });
        href.push_str("cursor=");
        href.push_str(cursor);
        href
    }

    fn first_href(&self) -> String {
        self.query.href(|q| q.offset = 0)
    }

    fn level_label(&self, level: &str) -> String {
        self.ctx.label("level", level)
    }

    fn type_label(&self, t: &str) -> String {
        self.ctx.t(&format!("search-type-{t}"))
    }
}

pub async fn search(ctx: PageCtx, RawQuery(raw): RawQuery) -> Response {
    let state = ctx.state.clone();
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(raw.as_deref().unwrap_or("")).unwrap_or_default();
    let parsed = SearchQuery::parse(&pairs);
    let query = parsed.clone().unwrap_or_default();
    let types = state
        .search
        .types()
        .into_iter()
        .map(|t| {
            let selected = query.types.iter().any(|q| q == t);
            (t.to_owned(), ctx.t(&format!("search-type-{t}")), selected)
        })
        .collect();
    let (results, error, status) = match parsed {
        Err(e) => (None, Some(e), StatusCode::BAD_REQUEST),
        Ok(q) => match crate::search::run(&state, ctx.caller(), &q, ctx.lang).await {
            Ok(r) => (Some(r), None, StatusCode::OK),
            Err(crate::error::ApiError::BadRequest(m)) => (None, Some(m), StatusCode::BAD_REQUEST),
            Err(_) => (
                None,
                Some(ctx.t("search-failed")),
                StatusCode::SERVICE_UNAVAILABLE,
            ),
        },
    };
    let page = render(&SearchPage {
        ctx: &ctx,
        query,
        types,
        results,
        error,
    });
    (status, page).into_response()
}
