//! Technical content that must leave L1 untouched: titanium grades, standard numbers,
//! quantities with units (temperatures, concentrations, pressures, rates, durations), pH values
//! and dimensions.
//!
//! These spans are not redactions; they veto any detection that would cut into them (see
//! [`crate::detect`]). A detection that contains a technical span whole (a URL with a standard
//! number in its path) is still allowed.

use std::ops::Range;
use std::sync::LazyLock;

use regex::Regex;

use super::{char_at, char_before};

static STANDARD_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        (?:GB/T|GB/Z|GBT|GB|HG/T|HG|JB/T|JB|NB/T|NB|SH/T|SH|YB/T|YB|YS/T|YS|DL/T|DL|CB/T|SY/T|HJ|TSG|GJB
          |ASTM|ASME|API|ISO|IEC|EN|DIN|JIS|NACE|AWS|BS|MSS|TEMA|ANSI|UNS)
        (?:\s?(?:RP|MR|SP|TM|STD|Std\.?|Publ\.?))?
        \s?
        (?:
            (?:BPVC\s)?(?:Section\s)?[IVX]{1,4}(?:\s?(?:Div\.?|Division)\s?[0-9])?   # ASME VIII Div. 1
          | [A-Z]{0,2}\s?[0-9]+(?:[.\-][0-9]+)*(?:\s?[-:—]\s?(?:19|20)[0-9]{2})?    # GB/T 3620.1-2016
        )
        ",
    )
    .expect("standard pattern")
});

static GRADE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          (?:Gr|GR|gr|Grade|grade|GRADE)\.?\s?[0-9]{1,2}
        | T[AC][0-9]{1,2}(?:G|ELI)?
        | Ti(?:-[0-9]*(?:\.[0-9]+)?[A-Z][a-z]?)+
        | R5[0-9]{4}
        ",
    )
    .expect("grade pattern")
});

static QUANTITY_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
        [-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,7})(?:\.[0-9]+)?   # no quantity has 8+ bare digits
        (?:\s?(?:[-–~～至到]|to)\s?[0-9]+(?:\.[0-9]+)?)?
        \s?
        (?:hours|days|months|years|weeks|mpy|min
          |°C|℃|°F|℉|MPa\(?[GgAa]?\)?|kPa|bar|psi|Pa
          |g/L|g/l|mg/L|mg/l|mol/L|mmol/L|μg/L|ug/L|ppm|ppb|wt\.?\s?%|vol\.?\s?%|%|‰
          |mm/a|mm/yr|mm/y|μm/a
          |m³/h|m3/h|t/h|kg/h|L/h|L/min|m/s
          |m²|m2|m³|m3|mm|cm|μm|um|nm|km|m
          |kg|MW|kW|W
          |hr|h
          |小时|天|个月|年|周
          |M)
        ",
    )
    .expect("quantity pattern")
});

static PH_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"pH\s?(?:值)?\s?(?:=|:|：|≈|约|为|of)?\s?[0-9]{1,2}(?:\.[0-9]+)?(?:\s?[-–~～]\s?[0-9]{1,2}(?:\.[0-9]+)?)?")
        .expect("ph pattern")
});

static DIMENSION_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)
          [ΦφØø]\s?[0-9]+(?:\.[0-9]+)?(?:\s?[×xX*]\s?[0-9]+(?:\.[0-9]+)?)*(?:\s?mm)?
        | [0-9]+(?:\.[0-9]+)?\s?(?:mm)?\s?[×xX*]\s?[0-9]+(?:\.[0-9]+)?(?:\s?[×xX*]\s?[0-9]+(?:\.[0-9]+)?)*(?:\s?(?:mm|m))?
        | DN\s?[0-9]+ | PN\s?[0-9]+(?:\.[0-9]+)?
        ",
    )
    .expect("dimension pattern")
});

/// Units that are a word, not a symbol: a letter must not follow them ("5 m" but not "5 months"
/// read as "5 m"). Regex alternation order already prefers the longer unit; this check stops a
/// short unit from matching the start of a word.
fn unit_ends_cleanly(text: &str, end: usize) -> bool {
    let last = text[..end].chars().next_back();
    let next = char_at(text, end);
    match (last, next) {
        (Some(l), Some(n)) if l.is_ascii_alphabetic() => !n.is_ascii_alphabetic(),
        _ => true,
    }
}

/// Byte ranges of the technical tokens in `text`, sorted and merged.
pub fn spans(text: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let alnum_before = |s: usize| char_before(text, s).is_some_and(|c| c.is_ascii_alphanumeric());
    for m in STANDARD_RE.find_iter(text) {
        let ends_word = !char_at(text, m.end()).is_some_and(|c| c.is_ascii_alphanumeric());
        let numbered = m
            .as_str()
            .bytes()
            .any(|b| b.is_ascii_digit() || b == b'I' || b == b'V');
        if !alnum_before(m.start()) && ends_word && numbered {
            out.push(m.range());
        }
    }
    for m in GRADE_RE.find_iter(text) {
        if !alnum_before(m.start()) && !char_at(text, m.end()).is_some_and(|c| c.is_ascii_digit()) {
            out.push(m.range());
        }
    }
    for m in QUANTITY_RE.find_iter(text) {
        if !alnum_before(m.start())
            && char_before(text, m.start()).is_none_or(|c| c != '.')
            && unit_ends_cleanly(text, m.end())
            && !is_year(text, m.range())
        {
            out.push(m.range());
        }
    }
    for m in PH_RE.find_iter(text) {
        if !alnum_before(m.start()) {
            out.push(m.range());
        }
    }
    for m in DIMENSION_RE.find_iter(text) {
        if !alnum_before(m.start()) {
            out.push(m.range());
        }
    }
    out.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in out {
        match merged.last_mut() {
            Some(last) if r.start < last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    merged
}

/// "2023年" is a year (part of a date), not a duration of 2023 years.
fn is_year(text: &str, r: Range<usize>) -> bool {
    let s = &text[r];
    s.ends_with('年') && s.trim_end_matches('年').trim().len() == 4
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<&str> {
        spans(text).into_iter().map(|r| &text[r]).collect()
    }

    #[test]
    fn standards_and_grades() {
        for s in [
            "GB/T 3620.1-2016",
            "ASTM B338",
            "GB 150.1",
            "NB/T 47013",
            "API 581",
            "API RP 581",
            "ISO 9223",
            "HG/T 20592",
            "ASME VIII Div. 1",
            "JB/T 4730.5-2005",
            "ISO 15156-2:2015",
        ] {
            assert_eq!(found(&format!("依据{s}执行")), [s], "{s}");
        }
        for g in [
            "Gr2",
            "Gr.7",
            "Grade 12",
            "TA2",
            "TA10",
            "TA1G",
            "Ti-0.3Mo-0.8Ni",
            "R50400",
        ] {
            assert_eq!(found(&format!("材料 {g}，")), [g], "{g}");
        }
    }

    #[test]
    fn quantities_ph_and_dimensions() {
        for q in [
            "85 °C",
            "85℃",
            "150 g/L",
            "3000 mg/L",
            "20 wt%",
            "1.5 MPa",
            "0.6 MPa(G)",
            "500 ppm",
            "0.127 mm/a",
            "18 个月",
            "0.1 M",
            "60–90 ℃",
            "pH 2.5",
            "pH=3",
            "Φ25×1.0 mm",
            "DN150",
            "25 × 1.2 mm",
            "3,000 mg/L",
        ] {
            assert_eq!(found(&format!("条件：{q}，")), [q], "{q}");
        }
    }

    #[test]
    fn years_and_words_are_not_quantities() {
        assert!(found("2023年8月").is_empty());
        assert!(found("5 months").len() == 1);
        assert!(found("item 5 meters").is_empty());
        // An 11-digit number before a unit letter is a phone number, not a length.
        assert!(found("13812345678 m").is_empty());
    }
}
