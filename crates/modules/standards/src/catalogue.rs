//! The catalogue of external standards (GB, ASTM, ASME, API, ISO, NACE/AMPP …) that
//! clauses refer to: `refdata/standards_catalogue.json`, metadata and a one-line scope of
//! our own, never the standards' text.

use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

const FILE: &[u8] = include_bytes!("../../../../refdata/standards_catalogue.json");

/// One external standard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct External {
    /// E.g. `ASTM B338`.
    pub id: String,
    pub title: String,
    pub issuing_body: String,
    /// Our own one-line summary of the scope.
    pub scope: String,
    #[serde(default)]
    pub topics: Vec<String>,
    /// Where its existence was seen.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Which edition was seen; "not checked" editions must be confirmed before they are
    /// shown as current.
    #[serde(default)]
    pub edition_note: Option<String>,
    /// How far the entry was verified (`existence_confirmed` …).
    pub verification: String,
}

/// The catalogue, with its own note on what it holds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    pub note: String,
    pub standards: Vec<External>,
}

impl Catalogue {
    pub fn find(&self, id: &str) -> Option<&External> {
        self.standards.iter().find(|s| s.id == id)
    }
}

#[derive(Deserialize)]
struct File {
    note: String,
    standards: Vec<External>,
}

static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    let f: File = serde_json::from_slice(FILE).expect("refdata/standards_catalogue.json is valid");
    Catalogue {
        note: f.note,
        standards: f.standards,
    }
});

/// The catalogue (embedded; its validity is held by a test).
pub fn get() -> &'static Catalogue {
    &CATALOGUE
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_catalogue_loads_with_unique_ids_and_sources() {
        let c = super::get();
        assert!(c.standards.len() >= 30);
        let mut ids = std::collections::BTreeSet::new();
        for s in &c.standards {
            assert!(ids.insert(s.id.clone()), "{} twice", s.id);
            assert!(!s.sources.is_empty(), "{} has no source", s.id);
        }
    }
}
