//! Field-level validation errors shared by every module.
//!
//! A field error carries a stable `code` that the web layer translates (so the UI shows the
//! message in the visitor's language) and an English `message` for API clients.

use serde::Serialize;

/// A value outside a closed vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid {vocabulary}; expected one of: {}", allowed.join(", "))]
pub struct UnknownValue {
    pub vocabulary: &'static str,
    pub value: String,
    pub allowed: Vec<&'static str>,
}

/// One problem with one field of the input.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// The input field, in the names of the API and of the import columns.
    pub field: String,
    /// Stable machine-readable code, e.g. `required`, `out_of_range`, `unknown_value`.
    pub code: String,
    /// Human-readable explanation in English.
    pub message: String,
}

/// All problems found in one input. Validation collects every error instead of stopping at
/// the first, so a person fixes a form or a spreadsheet row in one pass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, code: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_owned(),
            code: code.to_owned(),
            message: message.into(),
        });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }

    /// `Ok(value)` when nothing was recorded, the errors otherwise.
    pub fn into_result<T>(self, value: T) -> Result<T, FieldErrors> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(self)
        }
    }

    /// Whether `field` has an error (used by forms to mark the input invalid).
    pub fn has(&self, field: &str) -> bool {
        self.0.iter().any(|e| e.field == field)
    }
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl std::error::Error for FieldErrors {}
