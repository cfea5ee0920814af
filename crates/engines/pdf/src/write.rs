//! Writes a set layout as a PDF: per font a Type 0 font over a TrueType subset with
//! identity CIDs and a Unicode map for extraction; compressed streams.

use std::collections::BTreeMap;
use std::io::Write as _;

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, UnicodeCmap};
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use crate::font::{self, Face, Fonts};
use crate::layout::{Layout, PAGE_HEIGHT, PAGE_WIDTH};
use crate::{Document, PdfError, Tone};

fn deflate(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("writing to memory");
    e.finish().expect("writing to memory")
}

fn identity() -> SystemInfo<'static> {
    SystemInfo {
        registry: Str(b"Adobe"),
        ordering: Str(b"Identity"),
        supplement: 0,
    }
}

/// One embedded font: the glyphs used, renumbered densely for the subset (the new number
/// is the CID), and which character each stands for.
struct Used {
    remapper: subsetter::GlyphRemapper,
    chars: BTreeMap<u16, char>,
}

/// The resource name of font `i`.
fn resource(i: usize) -> String {
    format!("F{}", i + 1)
}

pub(crate) fn pdf(fonts: &Fonts, doc: &Document, laid: &Layout) -> Result<Vec<u8>, PdfError> {
    let mut used: Vec<Used> = fonts
        .faces
        .iter()
        .map(|_| Used {
            remapper: subsetter::GlyphRemapper::new(),
            chars: BTreeMap::new(),
        })
        .collect();
    for g in laid
        .pages
        .iter()
        .flat_map(|p| &p.lines)
        .flat_map(|l| &l.glyphs)
    {
        let u = &mut used[g.font];
        let cid = u.remapper.remap(g.id);
        if g.id != 0 {
            u.chars.entry(cid).or_insert(g.c);
        }
    }

    let mut next = 1;
    let mut id = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let catalog = id();
    let tree = id();
    let info = id();
    // Per font: Type 0 font, CID font, descriptor, font file, Unicode map.
    let font_refs: Vec<[Ref; 5]> = used
        .iter()
        .map(|_| [id(), id(), id(), id(), id()])
        .collect();
    let pages: Vec<(Ref, Ref)> = laid.pages.iter().map(|_| (id(), id())).collect();

    let mut pdf = Pdf::new();
    let mut cat = pdf.catalog(catalog);
    cat.pages(tree);
    if !doc.lang.is_empty() {
        cat.lang(TextStr(&doc.lang));
    }
    cat.finish();
    pdf.document_info(info)
        .title(TextStr(&doc.title))
        .producer(TextStr("Ticorr"));
    pdf.pages(tree)
        .kids(pages.iter().map(|(p, _)| *p))
        .count(pages.len() as i32);

    for (i, (u, refs)) in used.iter().zip(&font_refs).enumerate() {
        embed(&mut pdf, i, &fonts.faces[i], u, *refs)?;
    }

    for (page, (page_id, content_id)) in laid.pages.iter().zip(&pages) {
        let mut p = pdf.page(*page_id);
        p.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
            .parent(tree)
            .contents(*content_id);
        let mut res = p.resources();
        let mut names = res.fonts();
        for (i, refs) in font_refs.iter().enumerate() {
            names.pair(Name(resource(i).as_bytes()), refs[0]);
        }
        names.finish();
        res.finish();
        p.finish();

        let mut c = Content::new();
        c.set_line_width(0.5).set_stroke_gray(0.6);
        for &(from, to, y) in &page.rules {
            c.move_to(from, y).line_to(to, y).stroke();
        }
        for line in &page.lines {
            match line.tone {
                Tone::Normal => c.set_fill_gray(0.0),
                Tone::Muted => c.set_fill_gray(0.35),
                Tone::Alert => c.set_fill_rgb(0.72, 0.05, 0.05),
            };
            c.begin_text().next_line(line.x, line.y);
            // One run per stretch of glyphs from the same font.
            for run in line.glyphs.chunk_by(|a, b| a.font == b.font) {
                let remapper = &used[run[0].font].remapper;
                let codes: Vec<u8> = run
                    .iter()
                    .flat_map(|g| remapper.get(g.id).unwrap_or(0).to_be_bytes())
                    .collect();
                c.set_font(Name(resource(run[0].font).as_bytes()), line.size)
                    .show(Str(&codes));
            }
            c.end_text();
        }
        let content = deflate(&c.finish());
        pdf.stream(*content_id, &content)
            .filter(Filter::FlateDecode);
    }
    Ok(pdf.finish())
}

/// Writes font `i` as a Type 0 font over a subset of its TrueType glyphs.
fn embed(
    pdf: &mut Pdf,
    i: usize,
    face: &Face,
    used: &Used,
    refs: [Ref; 5],
) -> Result<(), PdfError> {
    let [type0, cid_font, descriptor, font_file, to_unicode] = refs;
    let subset = subsetter::subset(font::FONTS[i].1, 0, &used.remapper)
        .map_err(|e| PdfError::Subset(e.to_string()))?;
    // A subset's name starts with a six-letter tag (ISO 32000-1, 9.6.4).
    let tag: String = (0..6)
        .map(|k| char::from(b'A' + ((i * 7 + k) % 26) as u8))
        .collect();
    let base = format!("{tag}+{}", font::FONTS[i].0);
    pdf.type0_font(type0)
        .base_font(Name(base.as_bytes()))
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid_font)
        .to_unicode(to_unicode);
    let mut cid = pdf.cid_font(cid_font);
    cid.subtype(CidFontType::Type2)
        .base_font(Name(base.as_bytes()))
        .system_info(identity())
        .font_descriptor(descriptor)
        .default_width(0.0)
        .cid_to_gid_map_predefined(Name(b"Identity"));
    let widths: Vec<f32> = used
        .remapper
        .remapped_gids()
        .map(|g| face.advance(g))
        .collect();
    cid.widths().consecutive(0, widths);
    cid.finish();
    let [x0, y0, x1, y1] = face.bbox();
    pdf.font_descriptor(descriptor)
        .name(Name(base.as_bytes()))
        .flags(FontFlags::NON_SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(face.ascender())
        .descent(face.descender())
        .cap_height(face.cap_height())
        .stem_v(80.0)
        .font_file2(font_file);
    let packed = deflate(&subset);
    pdf.stream(font_file, &packed)
        .filter(Filter::FlateDecode)
        .pair(Name(b"Length1"), subset.len() as i32);
    let mut cmap = UnicodeCmap::new(Name(b"Ticorr-UTF16"), identity());
    for (cid, c) in &used.chars {
        cmap.pair(*cid, *c);
    }
    let cmap = deflate(&cmap.finish());
    pdf.stream(to_unicode, &cmap).filter(Filter::FlateDecode);
    Ok(())
}
