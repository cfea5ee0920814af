//! Motor-vehicle plates (GA 36): provincial abbreviation, issuing-office letter, then five
//! characters (ordinary plates) or six (new-energy plates, with D/F or another energy letter
//! first for small vehicles, last for large ones).

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, is_ascii_alnum, isolated};
use crate::kind::DetectorKind;
use crate::regions;

static PLATE_RE: LazyLock<Regex> = LazyLock::new(|| {
    let abbreviations: String = regions::all()
        .iter()
        .filter(|p| !matches!(p.plate, "台" | "港" | "澳"))
        .map(|p| p.plate)
        .collect();
    Regex::new(&format!(
        r"[{abbreviations}][A-HJ-NP-Z][·•・.\- ]?([A-HJ-NP-Z0-9]{{5,6}})(?:挂|学|警)?"
    ))
    .expect("plate pattern")
});

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for c in PLATE_RE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        let tail = c.get(1).expect("tail").as_str();
        if !isolated(text, m.start(), m.end(), is_ascii_alnum) {
            continue;
        }
        let evidence = match tail.len() {
            5 if tail.bytes().filter(u8::is_ascii_digit).count() >= 2 => "ordinary plate pattern",
            6 if new_energy(tail) => "new-energy plate pattern",
            _ => continue,
        };
        out.push(Detection::new(
            DetectorKind::VehiclePlate,
            m.range(),
            evidence,
        ));
    }
}

/// Small new-energy vehicles: an energy letter then a letter or digit and four digits; large
/// ones: five digits then D or F.
fn new_energy(tail: &str) -> bool {
    let b = tail.as_bytes();
    let small = b"ABCDEFGHJK".contains(&b[0]) && b[2..].iter().all(u8::is_ascii_digit);
    let large = (b[5] == b'D' || b[5] == b'F') && b[..5].iter().all(u8::is_ascii_digit);
    small || large
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.into_iter()
            .map(|d| text[d.start..d.end].to_owned())
            .collect()
    }

    #[test]
    fn ordinary_and_new_energy_plates() {
        assert_eq!(found("送样车辆苏A12345，"), ["苏A12345"]);
        assert_eq!(found("车牌 浙B·8K2D3"), ["浙B·8K2D3"]);
        assert_eq!(found("沪AD12345"), ["沪AD12345"]);
        assert_eq!(found("粤B 12345D"), ["粤B 12345D"]);
        assert_eq!(found("鲁C12345挂"), ["鲁C12345挂"]);
    }

    #[test]
    fn grades_and_words_are_not_plates() {
        assert!(found("新TA2管材").is_empty());
        assert!(found("苏ABCDE").is_empty());
        assert!(found("沪AD1234567").is_empty());
        assert!(found("川AB12CD3").is_empty());
    }
}
