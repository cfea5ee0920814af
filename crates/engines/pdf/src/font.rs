//! The embedded fonts: glyph lookup with fallback, and advance widths. Where the fonts came
//! from is in `fonts/README.md`.

use crate::PdfError;

/// The fonts, in the order a character not wide (see [`crate::layout`]) looks for a glyph;
/// wide characters try the CJK font first.
pub(crate) const FONTS: [(&str, &[u8]); 2] = [
    (
        "DejaVuSans",
        include_bytes!("../fonts/DejaVuSans.ttf").as_slice(),
    ),
    (
        "DroidSansFallbackFull",
        include_bytes!("../fonts/DroidSansFallbackFull.ttf").as_slice(),
    ),
];
const LATIN: usize = 0;
const CJK: usize = 1;

/// One character as printed: which font, which glyph in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Glyph {
    pub font: usize,
    /// 0 where no font has the character (a blank box).
    pub id: u16,
    pub c: char,
}

pub(crate) struct Face {
    face: ttf_parser::Face<'static>,
    units: f32,
}

impl Face {
    fn parse(data: &'static [u8]) -> Result<Self, PdfError> {
        let face = ttf_parser::Face::parse(data, 0).map_err(|e| PdfError::Font(e.to_string()))?;
        let units = f32::from(face.units_per_em());
        Ok(Face { face, units })
    }

    fn glyph(&self, c: char) -> Option<u16> {
        self.face.glyph_index(c).map(|g| g.0).filter(|g| *g != 0)
    }

    /// The advance of glyph `g` in thousandths of the font size (PDF glyph space).
    pub(crate) fn advance(&self, g: u16) -> f32 {
        let adv = self
            .face
            .glyph_hor_advance(ttf_parser::GlyphId(g))
            .unwrap_or(0);
        f32::from(adv) * 1000.0 / self.units
    }

    /// Converts font units into thousandths of the font size.
    fn scale(&self, v: i16) -> f32 {
        f32::from(v) * 1000.0 / self.units
    }

    pub(crate) fn ascender(&self) -> f32 {
        self.scale(self.face.ascender())
    }

    pub(crate) fn descender(&self) -> f32 {
        self.scale(self.face.descender())
    }

    pub(crate) fn cap_height(&self) -> f32 {
        self.face
            .capital_height()
            .map_or(self.ascender() * 0.7, |v| self.scale(v))
    }

    pub(crate) fn bbox(&self) -> [f32; 4] {
        let b = self.face.global_bounding_box();
        [
            self.scale(b.x_min),
            self.scale(b.y_min),
            self.scale(b.x_max),
            self.scale(b.y_max),
        ]
    }
}

/// Both faces.
pub(crate) struct Fonts {
    pub faces: Vec<Face>,
}

impl Fonts {
    pub(crate) fn embedded() -> Result<Self, PdfError> {
        let faces = FONTS
            .iter()
            .map(|(_, data)| Face::parse(data))
            .collect::<Result<_, _>>()?;
        Ok(Fonts { faces })
    }

    /// The glyph `c` prints with: Chinese from the CJK font, the rest from the Latin one,
    /// each falling back on the other.
    pub(crate) fn glyph(&self, c: char, wide: bool) -> Glyph {
        let order = if wide { [CJK, LATIN] } else { [LATIN, CJK] };
        order
            .iter()
            .find_map(|&font| self.faces[font].glyph(c).map(|id| Glyph { font, id, c }))
            .unwrap_or(Glyph {
                font: order[0],
                id: 0,
                c,
            })
    }

    pub(crate) fn advance(&self, g: &Glyph) -> f32 {
        self.faces[g.font].advance(g.id)
    }
}
