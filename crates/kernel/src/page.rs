//! Cursor pagination, used by every list in the API and the UI.
//!
//! A cursor is an opaque, URL-safe token naming the last row of the previous page by its
//! sort key and id. Keyset pagination stays correct while rows are inserted and costs the
//! same on page 1 and page 1,000, unlike OFFSET.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// Default and maximum page sizes.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;

/// The position after which the next page starts.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// The sort key of the last row seen (e.g. a name or a timestamp).
    pub key: String,
    /// The id of the last row seen, to break ties in the sort key.
    pub id: String,
}

#[derive(Debug, thiserror::Error)]
#[error("the cursor is not one this server issued")]
pub struct BadCursor;

impl Cursor {
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).expect("cursor serializes");
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(s: &str) -> Result<Self, BadCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(s).map_err(|_| BadCursor)?;
        serde_json::from_slice(&bytes).map_err(|_| BadCursor)
    }
}

/// What a caller asks for: at most `limit` rows after `after`.
#[derive(Clone, Debug, Default)]
pub struct PageRequest {
    pub after: Option<Cursor>,
    pub limit: u32,
}

impl PageRequest {
    /// Builds a request from the raw query parameters, clamping the limit to 1..=MAX_LIMIT.
    pub fn from_query(cursor: Option<&str>, limit: Option<u32>) -> Result<Self, BadCursor> {
        let after = match cursor {
            Some(c) if !c.is_empty() => Some(Cursor::decode(c)?),
            _ => None,
        };
        Ok(PageRequest {
            after,
            limit: limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT),
        })
    }

    pub fn first(limit: u32) -> Self {
        PageRequest {
            after: None,
            limit: limit.clamp(1, MAX_LIMIT),
        }
    }

    /// Rows to fetch from storage: one more than the page, to know whether a next page exists.
    pub fn fetch_limit(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

/// One page of results and the cursor for the next one, if any.
#[derive(Clone, Debug, Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Cuts `rows` (fetched with [`PageRequest::fetch_limit`]) to the page size and derives
    /// the next cursor from the last row kept.
    pub fn from_rows(
        mut rows: Vec<T>,
        req: &PageRequest,
        cursor_of: impl Fn(&T) -> Cursor,
    ) -> Self {
        let has_more = rows.len() > req.limit as usize;
        rows.truncate(req.limit as usize);
        let next_cursor = if has_more {
            rows.last().map(|r| cursor_of(r).encode())
        } else {
            None
        };
        Page {
            items: rows,
            next_cursor,
        }
    }

    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            items: self.items.into_iter().map(f).collect(),
            next_cursor: self.next_cursor,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_round_trips_and_rejects_garbage() {
        let c = Cursor {
            key: "换热器 A".into(),
            id: "x".into(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        assert!(Cursor::decode("not-a-cursor!").is_err());
    }

    #[test]
    fn page_keeps_limit_rows_and_points_after_the_last() {
        let req = PageRequest::first(2);
        let page = Page::from_rows(vec![1, 2, 3], &req, |n| Cursor {
            key: n.to_string(),
            id: n.to_string(),
        });
        assert_eq!(page.items, vec![1, 2]);
        let next = Cursor::decode(page.next_cursor.as_deref().unwrap()).unwrap();
        assert_eq!(next.key, "2");
        let last = Page::from_rows(vec![1], &req, |n| Cursor {
            key: n.to_string(),
            id: n.to_string(),
        });
        assert!(last.next_cursor.is_none());
    }

    #[test]
    fn limit_is_clamped() {
        assert_eq!(
            PageRequest::from_query(None, Some(100_000)).unwrap().limit,
            MAX_LIMIT
        );
        assert_eq!(PageRequest::from_query(None, Some(0)).unwrap().limit, 1);
    }
}
