//! The full-text index of Ticorr, with no database: Chinese and English in one index
//! (jieba segmentation, English stemming), concepts that join the two languages, facets,
//! misspelling tolerance for English words, and access scopes applied inside the query so
//! that totals and facet counts only ever count what the caller may see.
//!
//! The platform feeds it from the database's change feed and decides the [`Access`] of a
//! caller through the policies; this crate only executes.

pub mod analyzer;
pub mod index;
pub mod vocabulary;

pub use index::{
    Access, Change, Doc, Hit, Only, Request, Response, Scope, SearchError, SearchIndex,
};
pub use vocabulary::{Concept, Recognised, Vocabulary, VocabularyError};
