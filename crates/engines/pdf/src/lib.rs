//! Printable documents: reports people print, sign and file. A [`Document`] is a title and
//! a column of blocks (headings, wrapped text, label–value lines, rules); [`render`] sets it
//! on numbered A4 pages in two embedded open-licence fonts, one for Latin and one for
//! Chinese (see `fonts/README.md`), and embeds only the glyphs used.
//!
//! This is deliberately not a layout engine: one column, no shaping, line breaks between
//! words and between CJK characters. Text is extractable and searchable (each page carries a
//! Unicode map).

mod font;
mod layout;
mod write;

pub use layout::{Layout, Line, Page};

/// How a run of text looks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Tone {
    /// Body text.
    #[default]
    Normal,
    /// Smaller and grey: notes, sources, hashes.
    Muted,
    /// Red: what needs action (a critical gap).
    Alert,
}

/// One block of the column.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A section heading, kept with what follows it.
    Heading(String),
    /// Wrapped text; `\n` starts a new line.
    Text {
        text: String,
        tone: Tone,
        indent: u8,
    },
    /// `label: value` lines, the values aligned.
    Fields(Vec<(String, String)>),
    /// A thin horizontal line.
    Rule,
    /// Half a line of space.
    Gap,
}

impl Block {
    /// Body text, not indented.
    pub fn text(text: impl Into<String>) -> Self {
        Block::Text {
            text: text.into(),
            tone: Tone::Normal,
            indent: 0,
        }
    }

    /// Text with a tone and an indent level (each level 16 pt).
    pub fn styled(text: impl Into<String>, tone: Tone, indent: u8) -> Self {
        Block::Text {
            text: text.into(),
            tone,
            indent,
        }
    }
}

/// A document to print.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Document {
    /// The title on the first page and in the file's metadata.
    pub title: String,
    /// The language of the text, as a BCP 47 tag ("zh-CN", "en").
    pub lang: String,
    pub blocks: Vec<Block>,
    /// Printed at the foot of every page, left of the page number.
    pub footer: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PdfError {
    #[error("the embedded font could not be read: {0}")]
    Font(String),
    #[error("the font could not be subset: {0}")]
    Subset(String),
}

/// Sets `doc` on pages without writing them: what [`render`] prints, for inspection.
pub fn layout(doc: &Document) -> Result<Layout, PdfError> {
    let fonts = font::Fonts::embedded()?;
    Ok(layout::run(&fonts, doc))
}

/// The PDF file of `doc`.
pub fn render(doc: &Document) -> Result<Vec<u8>, PdfError> {
    let fonts = font::Fonts::embedded()?;
    let laid = layout::run(&fonts, doc);
    write::pdf(&fonts, doc, &laid)
}

/// The characters of `text` no embedded font has a glyph for (printed as a blank box).
pub fn missing_glyphs(text: &str) -> Result<Vec<char>, PdfError> {
    let fonts = font::Fonts::embedded()?;
    let mut out: Vec<char> = text
        .chars()
        .filter(|c| !c.is_whitespace() && fonts.glyph(*c, false).id == 0)
        .collect();
    out.dedup();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_font_covers_what_reports_print() {
        let text = "钛制换热器自检报告：强制性条款不符合，严重。Gr2 ≤ 70 °C ±0.5 μm ℃ — “引号” （括号） \
                    Self-inspection report: 3/12 conform; SHA-256 acb6440a…";
        assert_eq!(missing_glyphs(text).unwrap(), Vec::<char>::new());
    }

    #[test]
    fn a_document_becomes_a_small_pdf_with_its_pages() {
        let doc = Document {
            title: "合规自检报告 Compliance self-inspection".into(),
            lang: "zh-CN".into(),
            blocks: vec![
                Block::Fields(vec![("组织".into(), "某氯碱化工有限公司".into())]),
                Block::Heading("差距 Gaps".into()),
                Block::styled(
                    "4.1.1 强制性：Gr2 钛在氯化物盐水中温度 ≤ 70 °C",
                    Tone::Alert,
                    0,
                ),
                Block::styled("证据：无", Tone::Muted, 1),
            ],
            footer: "Ticorr".into(),
        };
        let bytes = render(&doc).unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        assert!(bytes.ends_with(b"%%EOF") || bytes.ends_with(b"%%EOF\n"));
        let text = String::from_utf8_lossy(&bytes);
        assert!(text.contains("/Count 1"));
        assert!(text.contains("/Identity-H"));
        // Only the glyphs used are embedded: a few kilobytes, not the 4 MB font.
        assert!(bytes.len() < 60_000, "{} bytes", bytes.len());
        assert_eq!(layout(&doc).unwrap().pages.len(), 1);
    }
}
