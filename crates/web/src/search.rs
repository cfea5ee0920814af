//! The search service as the API and the pages use it: request parsing, the call into the
//! platform's index, labels for facet values, the cursor.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use ticorr_platform::Caller;
use ticorr_platform::search::{Request, SearchServiceError};

use crate::error::ApiError;
use crate::i18n::{Lang, Tr};
use crate::state::AppState;

/// Hits per page unless `limit` says otherwise, and the most a page may hold.
pub const DEFAULT_LIMIT: usize = 20;
pub const MAX_LIMIT: usize = 100;
/// The longest query accepted, in characters.
pub const MAX_QUERY_CHARS: usize = 200;

/// A search as asked for: `q`, `type`, `facet.<dimension>=<value>` (repeatable), `cursor`,
/// `limit`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SearchQuery {
    pub q: String,
    pub types: Vec<String>,
    pub filters: Vec<(String, String)>,
    pub offset: usize,
    pub limit: usize,
}

impl SearchQuery {
    /// Parses the query string's pairs; unknown parameters are refused so a typo in a
    /// facet name does not silently widen a search.
    pub fn parse(pairs: &[(String, String)]) -> Result<SearchQuery, String> {
        let mut out = SearchQuery {
            limit: DEFAULT_LIMIT,
            ..SearchQuery::default()
        };
        for (k, v) in pairs {
            match k.as_str() {
                "q" => out.q = v.trim().to_owned(),
                "type" => {
                    for t in v.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                        out.types.push(t.to_owned());
                    }
                }
                "cursor" if !v.is_empty() => out.offset = decode_cursor(v)?,
                "cursor" => {}
                "limit" => {
                    out.limit = v
                        .parse::<usize>()
                        .ok()
                        .filter(|l| (1..=MAX_LIMIT).contains(l))
                        .ok_or_else(|| {
                            format!("limit must be a whole number from 1 to {MAX_LIMIT}")
                        })?;
                }
                k => match k.strip_prefix("facet.") {
                    Some(dim) if !dim.is_empty() && !v.is_empty() => {
                        out.filters.push((dim.to_owned(), v.clone()));
                    }
                    Some(_) => {}
                    None => return Err(format!("unknown search parameter {k:?}")),
                },
            }
        }
        if out.q.chars().count() > MAX_QUERY_CHARS {
            return Err(format!(
                "the query is longer than {MAX_QUERY_CHARS} characters"
            ));
        }
        Ok(out)
    }

    /// The query string of this search with `change` applied, for links.
    pub fn href(&self, change: impl FnOnce(&mut SearchQuery)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !next.q.is_empty() {
            pairs.push(("q".into(), next.q.clone()));
        }
        if !next.types.is_empty() {
            pairs.push(("type".into(), next.types.join(",")));
        }
        for (d, v) in &next.filters {
            pairs.push((format!("facet.{d}"), v.clone()));
        }
        if next.offset > 0 {
            pairs.push(("cursor".into(), encode_cursor(next.offset)));
        }
        if next.limit != DEFAULT_LIMIT {
            pairs.push(("limit".into(), next.limit.to_string()));
        }
        let qs = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if qs.is_empty() {
            "/search".to_owned()
        } else {
            format!("/search?{qs}")
        }
    }

    pub fn has_filter(&self, dim: &str, value: &str) -> bool {
        self.filters.iter().any(|(d, v)| d == dim && v == value)
    }
}

fn encode_cursor(offset: usize) -> String {
    URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

fn decode_cursor(cursor: &str) -> Result<usize, String> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix("o:").and_then(|n| n.parse().ok()))
        .ok_or_else(|| "the cursor is not one this server handed out".to_owned())
}

/// One hit.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    /// The document type, e.g. `equipment`.
    #[serde(rename = "type")]
    pub doc_type: String,
    pub id: String,
    pub title: String,
    /// The page that shows the record.
    pub url: String,
    /// An extract of the text as HTML: escaped, with the matched words in `<mark>`.
    pub snippet: String,
    /// The data level of the record.
    pub level: String,
}

/// One value of a facet and how many visible hits have it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetValue {
    pub value: String,
    pub label: String,
    pub count: u64,
    /// Whether the search is filtered on this value.
    pub selected: bool,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FacetCounts {
    /// The dimension, as used in `facet.<dimension>=`.
    pub name: String,
    pub values: Vec<FacetValue>,
}

/// A concept of the vocabulary the query named: every one of its terms was searched.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct UnderstoodConcept {
    pub id: String,
    /// The words of the query that named it.
    pub matched: String,
    pub terms: Vec<String>,
    /// The equivalence of its terms is not confirmed by the references.
    pub unverified: bool,
    pub note: Option<String>,
}

/// A page of search results.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SearchResults {
    /// Every visible match, not just this page.
    pub total: usize,
    pub hits: Vec<SearchHit>,
    /// Per dimension of the searched types: counts over every visible match.
    pub facets: Vec<FacetCounts>,
    pub understood: Vec<UnderstoodConcept>,
    /// The other words searched (lower case, English words stemmed).
    pub terms: Vec<String>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// Brings this node's index up to the committed changes, then searches what the caller may
/// see.
pub async fn run(
    state: &AppState,
    caller: &Caller,
    query: &SearchQuery,
    lang: Lang,
) -> Result<SearchResults, ApiError> {
    let search = &state.search;
    search.catch_up(&state.db).await.map_err(service_error)?;
    let known = search.types();
    if let Some(t) = query.types.iter().find(|t| !known.contains(&t.as_str())) {
        return Err(ApiError::BadRequest(format!(
            "unknown type {t:?}; the searchable types are {}",
            known.join(", ")
        )));
    }
    let dims = search.facets(&query.types);
    if let Some((d, _)) = query.filters.iter().find(|(d, _)| !dims.contains(d)) {
        return Err(ApiError::BadRequest(format!(
            "unknown facet {d:?}; the facets here are {}",
            dims.join(", ")
        )));
    }
    let request = Request {
        text: query.q.clone(),
        types: query.types.clone(),
        filters: query.filters.clone(),
        facets: dims.clone(),
        offset: query.offset,
        limit: query.limit,
    };
    let response = search
        .search(&state.db, &state.gate, caller, request)
        .await
        .map_err(service_error)?;
    let tr = Tr {
        i18n: &state.i18n,
        lang,
    };
    let facets = dims
        .iter()
        .map(|d| FacetCounts {
            name: d.clone(),
            values: response
                .facets
                .get(d)
                .map(|values| {
                    values
                        .iter()
                        .map(|(v, n)| FacetValue {
                            label: facet_label(state, tr, d, v),
                            selected: query.has_filter(d, v),
                            value: v.to_string(),
                            count: *n,
                        })
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect();
    let vocabulary = search.vocabulary();
    let understood = response
        .concepts
        .iter()
        .filter_map(|r| {
            vocabulary.concept(&r.concept).map(|c| UnderstoodConcept {
                id: c.id.clone(),
                matched: r.matched.clone(),
                terms: c.terms.clone(),
                unverified: c.unverified(),
                note: c.note.clone(),
            })
        })
        .collect();
    let shown = query.offset + response.hits.len();
    Ok(SearchResults {
        total: response.total,
        next_cursor: (shown < response.total).then(|| encode_cursor(shown)),
        hits: response
            .hits
            .into_iter()
            .map(|h| SearchHit {
                doc_type: h.doc_type,
                id: h.id,
                title: h.title,
                url: h.url,
                snippet: h.snippet,
                level: h.level,
            })
            .collect(),
        facets,
        understood,
        terms: response.terms,
    })
}

fn service_error(e: SearchServiceError) -> ApiError {
    match e {
        SearchServiceError::Denied(ticorr_platform::Denied::Storage(e))
        | SearchServiceError::Storage(e) => ApiError::internal(e),
        other => ApiError::internal(other),
    }
}

/// The label of a facet value in the reader's language.
pub fn facet_label(state: &AppState, tr: Tr<'_>, dim: &str, value: &str) -> String {
    let zh = tr.lang == Lang::Zh;
    let refdata = ticorr_platform::refdata::get();
    match dim {
        "equipment_type" => tr.label("equipment-type", value),
        "level" => tr.label("level", value),
        "region" => refdata
            .region(value)
            .map(|r| r.name(tr.lang.tag()).to_owned())
            .unwrap_or_else(|| value.to_owned()),
        "industry" => refdata
            .industry(value)
            .map(|i| {
                let name = if zh { &i.name_zh } else { &i.name_en };
                format!("{value} {name}")
            })
            .unwrap_or_else(|| value.to_owned()),
        "mechanism" => state
            .search
            .vocabulary()
            .concept(&format!("mechanism.{value}"))
            .and_then(|c| c.terms.get(if zh { 0 } else { 1 }).cloned())
            .unwrap_or_else(|| value.to_owned()),
        "origin" => tr.label("standard-origin", value),
        "topic" => tr.label("standard-topic", value),
        "clause_kind" => tr.label("clause-kind", value),
        "risk_grade" => match ticorr_risk::RiskGrade::parse(value) {
            Some(g) => format!("{value} · {}", tr.label("risk-level", g.level())),
            None => tr.t("risk-ungraded-short"),
        },
        _ => value.to_owned(),
    }
}
