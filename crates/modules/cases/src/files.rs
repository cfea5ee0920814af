//! Photos and lab reports of a case.
//!
//! The contributor attaches them to its case while it is a draft or was sent back; they
//! are files of the original, at L1, seen by the contributing organisation alone (the
//! platform's attachment service stores them and asks the policies). Nothing of them is
//! published as it was uploaded. At publication each file is either
//!
//! - passed on without its metadata: JPEG, PNG and WebP images lose their EXIF, XMP, IPTC,
//!   text chunks, comments and trailing bytes, their pixels untouched
//!   ([`ticorr_platform::attachments::strip`]), and the copy is stored under its own
//!   SHA-256; or
//! - withheld: documents (PDF, Office, text) carry names, letterheads and signatures in
//!   their content, which no detector can be trusted to find in a scanned page, and GIF
//!   and TIFF images carry their metadata inside the image structure. Their findings belong
//!   in the case's fields, which are desensitized.
//!
//! What was done to each file is part of the case's desensitization receipt (and so of the
//! published record anchored in the ledger): its kind, the metadata removed, or why it was
//! withheld, and the published copy's size and SHA-256. The copies are read only with the
//! full record, under the same policy and with the same access log.

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use ticorr_kernel::{Level, OrgId};
use ticorr_platform::Permit;
use ticorr_platform::attachments::{self, Attachment, Attachments, Kind, Owner, strip};

use crate::{CasesError, RECORD_KIND};

/// Where the published copies are kept in the object store (then the SHA-256).
const PUBLISHED_PREFIX: &str = "case-files";

/// What publication does with a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FileAction {
    /// Published without its metadata.
    Stripped,
    /// Not published.
    Withheld,
}

/// Why a file is not published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Withheld {
    /// A document: its content cannot be desensitized automatically.
    Document,
    /// An image format whose metadata is part of its structure (GIF, TIFF).
    Format,
    /// The image does not follow its format: it cannot be cleaned with certainty.
    Damaged,
}

/// A file of a case as its desensitization receipt states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct FileReceipt {
    /// Its place among the case's files, from 1.
    pub position: u32,
    /// The type detected from its content (`jpeg`, `png`, `pdf` …).
    pub kind: String,
    pub action: FileAction,
    /// The metadata removed (`exif`, `xmp`, `iptc`, `comment`, `text`, `time`,
    /// `trailing_data` …); empty when there was none. Known once the case is published.
    #[serde(default)]
    pub removed: Vec<String>,
    /// Why it is withheld.
    #[serde(default)]
    pub withheld_because: Option<Withheld>,
    /// The published copy: its size and SHA-256 (once published).
    #[serde(default)]
    pub size_bytes: Option<u64>,
    #[serde(default)]
    pub sha256: Option<String>,
}

impl FileReceipt {
    /// The published copy's media type, when there is one.
    pub fn content_type(&self) -> Option<&'static str> {
        Kind::parse(&self.kind)
            .filter(|_| self.action == FileAction::Stripped && self.sha256.is_some())
            .map(Kind::content_type)
    }

    /// The name the copy is downloaded under: nothing of the uploaded name survives.
    pub fn file_name(&self, case_id: &str) -> String {
        let ext = Kind::parse(&self.kind).map_or("bin", Kind::extension);
        let short = case_id
            .get(case_id.len().saturating_sub(8)..)
            .unwrap_or(case_id);
        format!("case-{short}-{}.{ext}", self.position)
    }
}

/// The owner descriptor of a case's files: the case's organisation, at L1.
pub fn owner(case_id: &str, org: OrgId) -> Owner {
    Owner {
        kind: RECORD_KIND,
        id: case_id.to_owned(),
        org,
        level: Level::Private,
        parks: vec![],
        ledger_type: None,
    }
}

/// What publication will do with a file of `kind`.
pub fn plan(kind: Kind) -> (FileAction, Option<Withheld>) {
    match kind {
        Kind::Jpeg | Kind::Png | Kind::Webp => (FileAction::Stripped, None),
        Kind::Gif | Kind::Tiff => (FileAction::Withheld, Some(Withheld::Format)),
        Kind::Pdf | Kind::Docx | Kind::Xlsx | Kind::Pptx | Kind::Csv | Kind::Text => {
            (FileAction::Withheld, Some(Withheld::Document))
        }
    }
}

/// The receipt lines publication would write for `originals`, before it runs.
pub fn planned(originals: &[Attachment]) -> Vec<FileReceipt> {
    originals
        .iter()
        .zip(1..)
        .map(|(a, position)| {
            let (action, withheld_because) = plan(a.kind);
            FileReceipt {
                position,
                kind: a.kind.as_str().to_owned(),
                action,
                removed: vec![],
                withheld_because,
                size_bytes: None,
                sha256: None,
            }
        })
        .collect()
}

/// The case's live original files, oldest first (no authorization: the caller decided).
pub(crate) async fn originals(
    conn: &mut AnyConnection,
    case_id: &str,
) -> Result<Vec<Attachment>, CasesError> {
    Ok(attachments::of_owner(conn, RECORD_KIND, case_id).await?)
}

/// Makes the published copies of a case's files, under the curation's permit: each image
/// stripped and stored by its hash, the rest withheld. Storing a copy twice is harmless,
/// so a publication that is rolled back and retried leaves nothing inconsistent.
pub(crate) async fn release(
    files: &Attachments,
    conn: &mut AnyConnection,
    case_id: &str,
    permit: &Permit,
) -> Result<Vec<FileReceipt>, CasesError> {
    let originals = originals(conn, case_id).await?;
    let mut out = planned(&originals);
    for (a, line) in originals.iter().zip(out.iter_mut()) {
        if line.action != FileAction::Stripped {
            continue;
        }
        let bytes = attachments::read_permitted(files, a, permit).await?;
        let kind = a.kind;
        let stripped = tokio::task::spawn_blocking(move || {
            let s = strip::strip(kind, &bytes);
            let sha = match &s {
                strip::Stripped::Clean { bytes, .. } => Some(attachments::sha256_of(bytes)),
                _ => None,
            };
            (s, sha)
        })
        .await
        .map_err(crate::corrupt)?;
        match stripped {
            (strip::Stripped::Clean { bytes, removed }, Some(sha)) => {
                line.size_bytes = Some(bytes.len() as u64);
                attachments::put_derived(files, &object_key(&sha), Bytes::from(bytes)).await?;
                line.sha256 = Some(sha);
                line.removed = removed;
            }
            (strip::Stripped::Malformed(reason), _) => {
                tracing::info!(case.id = %case_id, attachment.id = %a.id, %reason, "a damaged image is withheld from publication");
                line.action = FileAction::Withheld;
                line.withheld_because = Some(Withheld::Damaged);
            }
            _ => {
                line.action = FileAction::Withheld;
                line.withheld_because = Some(Withheld::Format);
            }
        }
    }
    Ok(out)
}

/// The bytes of a published copy, checked against the receipt's SHA-256.
pub(crate) async fn published(
    files: &Attachments,
    line: &FileReceipt,
) -> Result<Bytes, CasesError> {
    let sha = line.sha256.as_deref().ok_or(CasesError::NotFound)?;
    Ok(attachments::get_derived(files, &object_key(sha), sha).await?)
}

fn object_key(sha256: &str) -> String {
    format!("{PUBLISHED_PREFIX}/{sha256}")
}
