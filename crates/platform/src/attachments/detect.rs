//! What a file is, decided from its bytes.
//!
//! The client's Content-Type and the file name's extension are claims; the bytes are the
//! evidence. [`detect`] recognizes the accepted types by their signatures (and, for Office
//! Open XML, by the parts listed in the zip's central directory), then checks that the
//! name's extension, when there is one, agrees. A file of an unknown type, or whose
//! extension contradicts its content, is refused: a `.pdf` that is really a PNG is refused
//! rather than silently stored as a PNG, because the person uploading it meant something
//! else and should find out now, not when a reader opens it.

use serde::Serialize;

/// The accepted file types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Pdf,
    Png,
    Jpeg,
    Webp,
    Gif,
    Tiff,
    Docx,
    Xlsx,
    Pptx,
    Csv,
    Text,
}

impl Kind {
    pub const ALL: &'static [Kind] = &[
        Kind::Pdf,
        Kind::Png,
        Kind::Jpeg,
        Kind::Webp,
        Kind::Gif,
        Kind::Tiff,
        Kind::Docx,
        Kind::Xlsx,
        Kind::Pptx,
        Kind::Csv,
        Kind::Text,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Pdf => "pdf",
            Kind::Png => "png",
            Kind::Jpeg => "jpeg",
            Kind::Webp => "webp",
            Kind::Gif => "gif",
            Kind::Tiff => "tiff",
            Kind::Docx => "docx",
            Kind::Xlsx => "xlsx",
            Kind::Pptx => "pptx",
            Kind::Csv => "csv",
            Kind::Text => "text",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }

    /// The media type the file is served with.
    pub fn content_type(self) -> &'static str {
        match self {
            Kind::Pdf => "application/pdf",
            Kind::Png => "image/png",
            Kind::Jpeg => "image/jpeg",
            Kind::Webp => "image/webp",
            Kind::Gif => "image/gif",
            Kind::Tiff => "image/tiff",
            Kind::Docx => "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            Kind::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            Kind::Pptx => {
                "application/vnd.openxmlformats-officedocument.presentationml.presentation"
            }
            Kind::Csv => "text/csv; charset=utf-8",
            Kind::Text => "text/plain; charset=utf-8",
        }
    }

    /// A name for people, used in messages.
    pub fn label(self) -> &'static str {
        match self {
            Kind::Pdf => "a PDF document",
            Kind::Png => "a PNG image",
            Kind::Jpeg => "a JPEG image",
            Kind::Webp => "a WebP image",
            Kind::Gif => "a GIF image",
            Kind::Tiff => "a TIFF image",
            Kind::Docx => "a Word document (.docx)",
            Kind::Xlsx => "an Excel workbook (.xlsx)",
            Kind::Pptx => "a PowerPoint presentation (.pptx)",
            Kind::Csv | Kind::Text => "plain text",
        }
    }

    /// The extensions a file of this kind may carry (lower case, without the dot).
    fn extensions(self) -> &'static [&'static str] {
        match self {
            Kind::Pdf => &["pdf"],
            Kind::Png => &["png"],
            Kind::Jpeg => &["jpg", "jpeg", "jpe", "jfif"],
            Kind::Webp => &["webp"],
            Kind::Gif => &["gif"],
            Kind::Tiff => &["tif", "tiff"],
            Kind::Docx => &["docx"],
            Kind::Xlsx => &["xlsx"],
            Kind::Pptx => &["pptx"],
            Kind::Csv => &["csv"],
            Kind::Text => &["txt", "text", "log", "md"],
        }
    }

    /// The usual extension of this kind (lower case, without the dot), for names the
    /// platform gives files.
    pub fn extension(self) -> &'static str {
        self.extensions()[0]
    }

    /// Whether thumbnails are made for this kind.
    pub fn has_thumbnail(self) -> bool {
        matches!(self, Kind::Png | Kind::Jpeg | Kind::Webp)
    }

    pub fn is_image(self) -> bool {
        matches!(
            self,
            Kind::Png | Kind::Jpeg | Kind::Webp | Kind::Gif | Kind::Tiff
        )
    }
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a file was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("the file is empty")]
    Empty,
    #[error(
        "this type of file is not accepted: send a PDF, PNG, JPEG, WebP, GIF or TIFF file, a Word, Excel or PowerPoint document (.docx, .xlsx, .pptx), or plain UTF-8 text or CSV"
    )]
    Unknown,
    #[error(
        "the file name ends in .{extension} but the file is {}; rename it or choose the right file",
        .detected.label()
    )]
    Mismatch { extension: String, detected: Kind },
}

impl Refused {
    /// A stable code for field errors.
    pub fn code(&self) -> &'static str {
        match self {
            Refused::Empty => "empty",
            Refused::Unknown => "unknown_type",
            Refused::Mismatch { .. } => "type_mismatch",
        }
    }
}

/// The extension of a file name, lower case, if it has one.
pub fn extension(name: &str) -> Option<String> {
    let (stem, ext) = name.rsplit_once('.')?;
    if stem.is_empty() || ext.is_empty() || ext.len() > 10 {
        return None;
    }
    Some(ext.to_ascii_lowercase())
}

/// Decides the kind of `bytes` and checks it against `name`'s extension.
pub fn detect(name: &str, bytes: &[u8]) -> Result<Kind, Refused> {
    if bytes.is_empty() {
        return Err(Refused::Empty);
    }
    let ext = extension(name);
    let kind = match sniff(bytes) {
        Some(Sniffed::Binary(k)) => k,
        // Text is text; the extension says whether it is meant as CSV.
        Some(Sniffed::Text) => match ext.as_deref() {
            Some("csv") => Kind::Csv,
            _ => Kind::Text,
        },
        None => return Err(Refused::Unknown),
    };
    if let Some(ext) = ext
        && !kind.extensions().contains(&ext.as_str())
    {
        return Err(Refused::Mismatch {
            extension: ext,
            detected: kind,
        });
    }
    Ok(kind)
}

enum Sniffed {
    Binary(Kind),
    Text,
}

fn sniff(b: &[u8]) -> Option<Sniffed> {
    let kind = if b.starts_with(b"%PDF-") {
        Kind::Pdf
    } else if b.starts_with(b"\x89PNG\r\n\x1a\n") {
        Kind::Png
    } else if b.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Kind::Jpeg
    } else if b.len() >= 12 && &b[..4] == b"RIFF" && &b[8..12] == b"WEBP" {
        Kind::Webp
    } else if b.starts_with(b"GIF87a") || b.starts_with(b"GIF89a") {
        Kind::Gif
    } else if b.starts_with(b"II*\0") || b.starts_with(b"MM\0*") {
        Kind::Tiff
    } else if b.starts_with(b"PK\x03\x04") {
        return office_kind(b).map(Sniffed::Binary);
    } else if is_text(b) {
        return Some(Sniffed::Text);
    } else {
        return None;
    };
    Some(Sniffed::Binary(kind))
}

/// UTF-8 (a byte-order mark allowed) with no control characters but tab, line feed,
/// carriage return and form feed.
fn is_text(b: &[u8]) -> bool {
    let b = b.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(b);
    match std::str::from_utf8(b) {
        Ok(s) => !s
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r' | '\x0c')),
        Err(_) => false,
    }
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?) as usize)
}

/// The names in a zip archive's central directory, or `None` if it is not a readable zip.
fn zip_names(b: &[u8]) -> Option<Vec<&[u8]>> {
    // The end-of-central-directory record is 22 bytes plus a comment of at most 64 KiB.
    let floor = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = (floor..=b.len().checked_sub(22)?)
        .rev()
        .find(|&i| b[i..].starts_with(b"PK\x05\x06"))?;
    let entries = u16_at(b, eocd + 10)?;
    let mut at = u32_at(b, eocd + 16)?;
    let mut names = Vec::with_capacity(entries.min(4096));
    for _ in 0..entries {
        if !b.get(at..)?.starts_with(b"PK\x01\x02") {
            return None;
        }
        let name_len = u16_at(b, at + 28)?;
        let extra_len = u16_at(b, at + 30)?;
        let comment_len = u16_at(b, at + 32)?;
        names.push(b.get(at + 46..at + 46 + name_len)?);
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

/// A zip is accepted only as an Office Open XML document: it lists `[Content_Types].xml`
/// and the main part of a Word, Excel or PowerPoint file.
fn office_kind(b: &[u8]) -> Option<Kind> {
    let names = zip_names(b)?;
    let has = |n: &[u8]| names.contains(&n);
    if !has(b"[Content_Types].xml") {
        return None;
    }
    if has(b"word/document.xml") {
        Some(Kind::Docx)
    } else if has(b"xl/workbook.xml") {
        Some(Kind::Xlsx)
    } else if has(b"ppt/presentation.xml") {
        Some(Kind::Pptx)
    } else {
        None
    }
}

/// A file name safe to store and show: the last path component (browsers used to send
/// `C:\fakepath\…`), without control characters, at most 200 characters. An empty result
/// becomes `attachment.<ext>`.
pub fn clean_name(name: &str, kind: Kind) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control())
        .collect::<String>()
        .trim()
        .trim_start_matches('.')
        .to_owned();
    let cleaned = if cleaned.chars().count() > 200 {
        // Keep the extension when shortening.
        let ext = extension(&cleaned)
            .map(|e| format!(".{e}"))
            .unwrap_or_default();
        let keep = 200 - ext.chars().count();
        cleaned.chars().take(keep).collect::<String>() + &ext
    } else {
        cleaned
    };
    if cleaned.is_empty() {
        format!("attachment.{}", kind.extensions()[0])
    } else {
        cleaned
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal zip whose central directory lists `names` (no data; enough for detection).
    pub fn zip_listing(names: &[&str]) -> Vec<u8> {
        let mut out = b"PK\x03\x04".to_vec();
        out.extend([0u8; 26]);
        let cd_start = out.len();
        for n in names {
            let mut h = b"PK\x01\x02".to_vec();
            h.extend([0u8; 24]);
            h.extend((n.len() as u16).to_le_bytes());
            h.extend([0u8; 16]);
            h.extend(n.as_bytes());
            out.extend(h);
        }
        let cd_len = out.len() - cd_start;
        out.extend(b"PK\x05\x06");
        out.extend([0u8; 6]);
        out.extend((names.len() as u16).to_le_bytes());
        out.extend((cd_len as u32).to_le_bytes());
        out.extend((cd_start as u32).to_le_bytes());
        out.extend([0u8; 2]);
        out
    }

    #[test]
    fn signatures_decide_the_kind() {
        assert_eq!(detect("r.pdf", b"%PDF-1.7\n..."), Ok(Kind::Pdf));
        assert_eq!(
            detect("m.png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Ok(Kind::Png)
        );
        assert_eq!(
            detect("m.JPG", &[0xFF, 0xD8, 0xFF, 0xE0, 0]),
            Ok(Kind::Jpeg)
        );
        assert_eq!(detect("m.webp", b"RIFF\x10\0\0\0WEBPVP8 "), Ok(Kind::Webp));
        assert_eq!(detect("m.gif", b"GIF89a\x01\0"), Ok(Kind::Gif));
        assert_eq!(detect("m.tif", b"II*\0\x08\0\0\0"), Ok(Kind::Tiff));
        assert_eq!(
            detect("d.csv", "tag,温度\nE-1,85\n".as_bytes()),
            Ok(Kind::Csv)
        );
        assert_eq!(detect("说明.txt", "钛换热器".as_bytes()), Ok(Kind::Text));
        assert_eq!(detect("README", b"plain words\r\n"), Ok(Kind::Text));
    }

    #[test]
    fn office_documents_are_told_apart_by_their_parts() {
        let docx = zip_listing(&["[Content_Types].xml", "_rels/.rels", "word/document.xml"]);
        assert_eq!(detect("报告.docx", &docx), Ok(Kind::Docx));
        let xlsx = zip_listing(&["[Content_Types].xml", "xl/workbook.xml"]);
        assert_eq!(detect("a.xlsx", &xlsx), Ok(Kind::Xlsx));
        let pptx = zip_listing(&["[Content_Types].xml", "ppt/presentation.xml"]);
        assert_eq!(detect("a.pptx", &pptx), Ok(Kind::Pptx));
        // A plain zip, or one without the content types part, is not accepted.
        let zip = zip_listing(&["word/document.xml"]);
        assert_eq!(detect("a.docx", &zip), Err(Refused::Unknown));
        assert_eq!(
            detect("a.zip", &zip_listing(&["x.txt"])),
            Err(Refused::Unknown)
        );
        // A truncated archive is not readable.
        assert_eq!(detect("a.docx", &docx[..40]), Err(Refused::Unknown));
    }

    #[test]
    fn an_extension_that_contradicts_the_content_is_refused() {
        assert_eq!(
            detect("report.pdf", b"\x89PNG\r\n\x1a\n\0"),
            Err(Refused::Mismatch {
                extension: "pdf".into(),
                detected: Kind::Png
            })
        );
        assert_eq!(
            detect("page.html", b"<html></html>"),
            Err(Refused::Mismatch {
                extension: "html".into(),
                detected: Kind::Text
            })
        );
        let xlsx = zip_listing(&["[Content_Types].xml", "xl/workbook.xml"]);
        assert!(matches!(
            detect("a.docx", &xlsx),
            Err(Refused::Mismatch { .. })
        ));
    }

    #[test]
    fn executables_binaries_and_empty_files_are_refused() {
        let exe = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
        assert_eq!(detect("report.pdf", exe), Err(Refused::Unknown));
        assert_eq!(detect("x.txt", b"abc\0def"), Err(Refused::Unknown));
        assert_eq!(detect("x.txt", &[0xC3, 0x28]), Err(Refused::Unknown));
        assert_eq!(detect("x.pdf", b""), Err(Refused::Empty));
    }

    #[test]
    fn names_are_cleaned() {
        assert_eq!(clean_name("C:\\fakepath\\报告.pdf", Kind::Pdf), "报告.pdf");
        assert_eq!(clean_name("../../etc/passwd", Kind::Text), "passwd");
        assert_eq!(clean_name("a\u{0}b\n.txt", Kind::Text), "ab.txt");
        assert_eq!(clean_name("", Kind::Pdf), "attachment.pdf");
        assert_eq!(clean_name("...", Kind::Png), "attachment.png");
        let long = format!("{}.pdf", "长".repeat(300));
        let c = clean_name(&long, Kind::Pdf);
        assert_eq!(c.chars().count(), 200);
        assert!(c.ends_with(".pdf"));
    }
}
