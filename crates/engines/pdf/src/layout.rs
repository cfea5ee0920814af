//! Sets a document's blocks into lines on A4 pages.

use crate::font::{Fonts, Glyph};
use crate::{Block, Document, Tone};

/// A4 in points.
pub const PAGE_WIDTH: f32 = 595.28;
pub const PAGE_HEIGHT: f32 = 841.89;
const MARGIN_X: f32 = 56.0;
const MARGIN_TOP: f32 = 60.0;
/// The text column ends here; the footer sits below it.
const MARGIN_BOTTOM: f32 = 64.0;
const FOOTER_BASELINE: f32 = 36.0;

const TITLE_SIZE: f32 = 17.0;
const HEADING_SIZE: f32 = 12.5;
const BODY_SIZE: f32 = 10.0;
const MUTED_SIZE: f32 = 8.5;
const LEADING: f32 = 1.45;
const INDENT: f32 = 16.0;

/// The column's width.
pub const COLUMN: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;

/// Every page of a document, set.
#[derive(Debug, Clone, PartialEq)]
pub struct Layout {
    pub pages: Vec<Page>,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Page {
    pub lines: Vec<Line>,
    /// Horizontal rules as (x from, x to, y).
    pub rules: Vec<(f32, f32, f32)>,
}

/// One line of text at its baseline.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub x: f32,
    pub y: f32,
    pub size: f32,
    pub tone: Tone,
    pub text: String,
    /// Its width in points.
    pub width: f32,
    /// The glyph of each character.
    pub(crate) glyphs: Vec<Glyph>,
}

impl Layout {
    /// All the text, page by page and line by line.
    pub fn text(&self) -> String {
        self.pages
            .iter()
            .flat_map(|p| p.lines.iter().map(|l| l.text.as_str()))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

struct Setter<'f> {
    face: &'f Fonts,
    pages: Vec<Page>,
    /// The top of the next line.
    y: f32,
}

impl<'f> Setter<'f> {
    fn new(face: &'f Fonts) -> Self {
        Setter {
            face,
            pages: vec![Page::default()],
            y: PAGE_HEIGHT - MARGIN_TOP,
        }
    }

    fn page(&mut self) -> &mut Page {
        self.pages.last_mut().expect("a page")
    }

    fn new_page(&mut self) {
        self.pages.push(Page::default());
        self.y = PAGE_HEIGHT - MARGIN_TOP;
    }

    /// Starts a new page unless `height` points fit above the bottom margin.
    fn room_for(&mut self, height: f32) {
        if self.y - height < MARGIN_BOTTOM && !self.page().lines.is_empty() {
            self.new_page();
        }
    }

    fn line(&mut self, x: f32, size: f32, tone: Tone, glyphs: Vec<Glyph>) {
        let height = size * LEADING;
        self.room_for(height);
        let baseline = self.y - size * 1.1;
        let line = make_line(self.face, x, baseline, size, tone, glyphs);
        self.page().lines.push(line);
        self.y -= height;
    }

    fn rule(&mut self) {
        self.room_for(6.0);
        let y = self.y - 2.0;
        self.page().rules.push((MARGIN_X, MARGIN_X + COLUMN, y));
        self.y -= 6.0;
    }

    fn space(&mut self, points: f32) {
        // Space at the top of a page is dropped.
        if self.y < PAGE_HEIGHT - MARGIN_TOP {
            self.y -= points;
        }
    }

    fn text(&mut self, text: &str, size: f32, tone: Tone, indent: f32, width: f32) {
        for line in wrap(self.face, text, size, width - indent) {
            self.line(MARGIN_X + indent, size, tone, line);
        }
    }
}

fn size_of(tone: Tone) -> f32 {
    match tone {
        Tone::Muted => MUTED_SIZE,
        Tone::Normal | Tone::Alert => BODY_SIZE,
    }
}

fn make_line(face: &Fonts, x: f32, y: f32, size: f32, tone: Tone, glyphs: Vec<Glyph>) -> Line {
    Line {
        x,
        y,
        size,
        tone,
        text: glyphs.iter().map(|g| g.c).collect(),
        width: width_of(face, &glyphs, size),
        glyphs,
    }
}

fn width_of(face: &Fonts, glyphs: &[Glyph], size: f32) -> f32 {
    glyphs.iter().map(|g| face.advance(g)).sum::<f32>() * size / 1000.0
}

/// Sets `doc`.
pub(crate) fn run(face: &Fonts, doc: &Document) -> Layout {
    let mut s = Setter::new(face);
    s.text(&doc.title, TITLE_SIZE, Tone::Normal, 0.0, COLUMN);
    s.rule();
    s.space(4.0);
    for block in &doc.blocks {
        match block {
            Block::Heading(h) => {
                // Keep a heading with at least two lines of what follows.
                s.space(BODY_SIZE * 0.6);
                s.room_for(HEADING_SIZE * LEADING + 6.0 + 2.0 * BODY_SIZE * LEADING);
                s.text(h, HEADING_SIZE, Tone::Normal, 0.0, COLUMN);
                s.rule();
            }
            Block::Text { text, tone, indent } => {
                let indent = f32::from(*indent) * INDENT;
                s.text(text, size_of(*tone), *tone, indent, COLUMN);
            }
            Block::Fields(fields) => fields_block(&mut s, fields),
            Block::Rule => s.rule(),
            Block::Gap => s.space(BODY_SIZE * LEADING / 2.0),
        }
    }
    let mut pages = s.pages;
    footers(face, &mut pages, &doc.footer);
    Layout { pages }
}

/// Labels in a column as wide as the widest (at most 40 % of the page), values beside.
fn fields_block(s: &mut Setter<'_>, fields: &[(String, String)]) {
    let label_width = fields
        .iter()
        .map(|(l, _)| width_of(s.face, &glyphs(s.face, l), BODY_SIZE))
        .fold(0.0_f32, f32::max)
        .min(COLUMN * 0.4)
        + 12.0;
    for (label, value) in fields {
        let labels = wrap(s.face, label, BODY_SIZE, label_width - 12.0);
        let values = wrap(s.face, value, BODY_SIZE, COLUMN - label_width);
        let rows = labels.len().max(values.len()).max(1);
        let mut labels = labels.into_iter();
        let mut values = values.into_iter();
        for _ in 0..rows {
            let height = BODY_SIZE * LEADING;
            s.room_for(height);
            let baseline = s.y - BODY_SIZE * 1.1;
            if let Some(l) = labels.next() {
                let line = make_line(s.face, MARGIN_X, baseline, BODY_SIZE, Tone::Muted, l);
                s.page().lines.push(line);
            }
            if let Some(v) = values.next() {
                let line = make_line(
                    s.face,
                    MARGIN_X + label_width,
                    baseline,
                    BODY_SIZE,
                    Tone::Normal,
                    v,
                );
                s.page().lines.push(line);
            }
            s.y -= height;
        }
    }
}

fn footers(face: &Fonts, pages: &mut [Page], footer: &str) {
    let total = pages.len();
    for (i, page) in pages.iter_mut().enumerate() {
        let number = glyphs(face, &format!("{} / {}", i + 1, total));
        let number_width = width_of(face, &number, MUTED_SIZE);
        let room = COLUMN - number_width - 12.0;
        if let Some(first) = wrap(face, footer, MUTED_SIZE, room).into_iter().next() {
            page.lines.push(make_line(
                face,
                MARGIN_X,
                FOOTER_BASELINE,
                MUTED_SIZE,
                Tone::Muted,
                first,
            ));
        }
        page.lines.push(make_line(
            face,
            MARGIN_X + COLUMN - number_width,
            FOOTER_BASELINE,
            MUTED_SIZE,
            Tone::Muted,
            number,
        ));
    }
}

fn glyphs(face: &Fonts, text: &str) -> Vec<Glyph> {
    text.chars()
        .filter(|c| !c.is_control())
        .map(|c| face.glyph(c, is_wide(c)))
        .collect()
}

/// Ideographs, kana, Hangul, CJK punctuation and full-width forms: a line may break on
/// either side of them.
fn is_wide(c: char) -> bool {
    matches!(u32::from(c), 0x2E80..=0x9FFF | 0xAC00..=0xD7AF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF)
}

/// Punctuation that must not start a line.
fn closes(c: char) -> bool {
    "，。、；：？！）》」』】”’％,.;:?!)]}%".contains(c)
}

/// Punctuation that must not end a line.
fn opens(c: char) -> bool {
    "（《「『【“‘([{".contains(c)
}

/// Whether a line may break between `a` and `b`.
fn may_break(a: char, b: char) -> bool {
    if a == ' ' {
        return b != ' ';
    }
    (is_wide(a) || is_wide(b)) && !closes(b) && !opens(a) && b != ' '
}

/// Splits `text` into lines no wider than `width` points at `size`: at spaces, between
/// wide characters, and inside a word only when the word alone is too wide.
fn wrap(face: &Fonts, text: &str, size: f32, width: f32) -> Vec<Vec<Glyph>> {
    let mut out = Vec::new();
    for paragraph in text.split('\n') {
        let mut line: Vec<Glyph> = Vec::new();
        for g in glyphs(face, paragraph) {
            line.push(g);
            while line.len() > 1 && width_of(face, &line, size) > width {
                if g.c == ' ' {
                    // A space that overflows ends the line.
                    out.push(trim(std::mem::take(&mut line)));
                    break;
                }
                let cut = (1..line.len())
                    .rev()
                    .find(|&i| may_break(line[i - 1].c, line[i].c))
                    .unwrap_or(line.len() - 1);
                let rest = line.split_off(cut);
                out.push(trim(line));
                line = rest.into_iter().skip_while(|g| g.c == ' ').collect();
            }
        }
        out.push(trim(line));
    }
    out
}

fn trim(mut line: Vec<Glyph>) -> Vec<Glyph> {
    while line.last().is_some_and(|g| g.c == ' ') {
        line.pop();
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    fn face() -> Fonts {
        Fonts::embedded().unwrap()
    }

    fn texts(lines: &[Vec<Glyph>]) -> Vec<String> {
        lines
            .iter()
            .map(|l| l.iter().map(|g| g.c).collect())
            .collect()
    }

    #[test]
    fn english_breaks_between_words_and_chinese_between_characters() {
        let f = face();
        let en = wrap(
            &f,
            "the quick brown fox jumps over the lazy dog",
            10.0,
            60.0,
        );
        let en = texts(&en);
        assert!(en.len() > 2);
        for line in &en {
            assert!(!line.starts_with(' ') && !line.ends_with(' '));
        }
        assert_eq!(en.join(" "), "the quick brown fox jumps over the lazy dog");
        let zh = texts(&wrap(
            &f,
            "钛制换热器在含氯离子介质中的缝隙腐蚀",
            10.0,
            50.0,
        ));
        assert!(zh.len() > 2);
        assert_eq!(zh.concat(), "钛制换热器在含氯离子介质中的缝隙腐蚀");
    }

    #[test]
    fn no_line_is_wider_than_the_column_and_punctuation_stays_attached() {
        let f = face();
        let text = "条款 4.1.1：Gr2 钛管在氯化物盐水中，温度不得超过 70 ℃（见 GB/T 3620.1）。\
                    Rationale: crevice corrosion of Grade 2 above 70 °C in chloride brine.";
        for width in [40.0, 80.0, 150.0, COLUMN] {
            for line in wrap(&f, text, 10.0, width) {
                if line.len() > 1 {
                    assert!(width_of(&f, &line, 10.0) <= width + 0.01, "{width}");
                }
                if width < 80.0 {
                    // Narrower than some words: those are cut anywhere.
                    continue;
                }
                if let Some(g) = line.first() {
                    assert!(!closes(g.c), "a line starts with {} at width {width}", g.c);
                }
                if let Some(g) = line.last() {
                    assert!(!opens(g.c), "a line ends with {} at width {width}", g.c);
                }
            }
        }
    }

    #[test]
    fn a_word_longer_than_the_line_is_cut() {
        let f = face();
        let sha = "acb6440a713d880a13a21b468ba7cd43f5a2b2934972e51be791c880730777b8";
        let lines = texts(&wrap(&f, sha, 8.5, 100.0));
        assert!(lines.len() > 1);
        assert_eq!(lines.concat(), sha);
    }

    #[test]
    fn long_documents_flow_onto_numbered_pages() {
        let f = face();
        let doc = Document {
            title: "自检报告 Self-inspection report".into(),
            lang: "zh-CN".into(),
            blocks: (0..120)
                .flat_map(|i| {
                    [
                        Block::Heading(format!("第 {i} 条")),
                        Block::text("钛制换热器在含氯离子介质中的缝隙腐蚀。".repeat(3)),
                    ]
                })
                .collect(),
            footer: "Ticorr".into(),
        };
        let laid = run(&f, &doc);
        let n = laid.pages.len();
        assert!(n > 3, "{n} pages");
        for (i, page) in laid.pages.iter().enumerate() {
            let last = page.lines.last().unwrap();
            assert_eq!(last.text, format!("{} / {n}", i + 1));
            for line in &page.lines {
                assert!(line.y >= FOOTER_BASELINE && line.y < PAGE_HEIGHT - MARGIN_TOP);
                assert!(line.x + line.width <= PAGE_WIDTH - MARGIN_X + 0.01);
            }
            // A heading never ends a page.
            let body: Vec<&Line> = page.lines.iter().filter(|l| l.y > MARGIN_BOTTOM).collect();
            assert!(body.last().is_none_or(|l| l.size != HEADING_SIZE));
        }
        assert!(laid.text().contains("第 119 条"));
    }

    #[test]
    fn fields_align_their_values() {
        let f = face();
        let doc = Document {
            title: "T".into(),
            blocks: vec![Block::Fields(vec![
                ("组织".into(), "某化工有限公司".into()),
                ("结论 Outcome".into(), "严重不符合".into()),
            ])],
            ..Document::default()
        };
        let laid = run(&f, &doc);
        let values: Vec<&Line> = laid.pages[0]
            .lines
            .iter()
            .filter(|l| l.text == "某化工有限公司" || l.text == "严重不符合")
            .collect();
        assert_eq!(values.len(), 2);
        assert_eq!(values[0].x, values[1].x);
        assert!(values[0].y > values[1].y);
    }
}
