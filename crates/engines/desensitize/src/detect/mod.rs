//! Detectors, the technical-content guard and the rule that settles overlaps.
//!
//! Each submodule finds one family of identifiers and returns candidate [`Detection`]s with
//! byte offsets into the original text. [`technical`] finds what must survive (titanium
//! grades, standard numbers, quantities with units, pH values, dimensions); it redacts
//! nothing, it only vetoes.
//!
//! # Overlaps
//!
//! Candidates are settled by `resolve`, deterministically:
//!
//! 1. A candidate that overlaps a technical span without containing it whole is dropped
//!    ("GB 150.1" is never part of an order number; a URL that contains a standard number is
//!    still a URL).
//! 2. The remaining candidates are taken longest first (in bytes); equally long ones by
//!    specificity (the kind's base rank plus any bonus its context earned: a check character
//!    beats a plain pattern, which beats a dictionary or context guess), then by position, then
//!    by kind order. A candidate is accepted when it overlaps nothing accepted before.
//!
//! The result is sorted by position and never overlaps.

pub(crate) mod address;
pub(crate) mod checksum;
pub(crate) mod contact;
pub(crate) mod contract;
pub(crate) mod date;
pub(crate) mod gps;
pub(crate) mod money;
pub(crate) mod org;
pub(crate) mod person;
pub(crate) mod plate;
pub mod technical;

use std::ops::Range;

use serde::Serialize;

use crate::kind::DetectorKind;

/// One identifier found in the text.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Detection {
    /// What was found.
    pub kind: DetectorKind,
    /// Byte offset (UTF-8) of the first byte in the original text.
    pub start: usize,
    /// Byte offset just past the last byte.
    pub end: usize,
    /// Rank used to break ties between equally long detections.
    pub score: u8,
    /// Why the detector believes this is an identifier (shown in the redaction reason).
    pub evidence: &'static str,
}

impl Detection {
    pub(crate) fn new(
        kind: DetectorKind,
        range: Range<usize>,
        evidence: &'static str,
    ) -> Detection {
        Detection {
            kind,
            start: range.start,
            end: range.end,
            score: kind.specificity(),
            evidence,
        }
    }

    pub(crate) fn with_bonus(mut self, bonus: u8) -> Detection {
        self.score = self.score.saturating_add(bonus);
        self
    }

    fn len(&self) -> usize {
        self.end - self.start
    }

    fn overlaps(&self, other: &Range<usize>) -> bool {
        self.start < other.end && other.start < self.end
    }
}

/// Text with full-width digits, Latin letters and a few symbols (＠＋－．＃／ and the
/// ideographic space) folded to ASCII, as Chinese word processors often type identifiers in
/// them; `to_original` maps offsets back.
pub(crate) struct Folded<'a> {
    original: &'a str,
    folded: Option<(String, Vec<usize>)>,
}

/// The ASCII form of a full-width character the detectors should read as ASCII.
fn fold_char(c: char) -> Option<char> {
    match c {
        '\u{FF10}'..='\u{FF19}'
        | '\u{FF21}'..='\u{FF3A}'
        | '\u{FF41}'..='\u{FF5A}'
        | '＠'
        | '＋'
        | '－'
        | '．'
        | '＃'
        | '／' => char::from_u32(c as u32 - 0xFEE0),
        '\u{3000}' => Some(' '),
        _ => None,
    }
}

impl<'a> Folded<'a> {
    pub(crate) fn new(text: &'a str) -> Folded<'a> {
        if !text.chars().any(|c| fold_char(c).is_some()) {
            return Folded {
                original: text,
                folded: None,
            };
        }
        let mut s = String::with_capacity(text.len());
        let mut map = Vec::with_capacity(text.len() + 1);
        for (i, c) in text.char_indices() {
            let f = fold_char(c).unwrap_or(c);
            s.push(f);
            map.extend(std::iter::repeat_n(i, f.len_utf8()));
        }
        map.push(text.len());
        Folded {
            original: text,
            folded: Some((s, map)),
        }
    }

    /// The text the detectors read.
    pub(crate) fn text(&self) -> &str {
        self.folded.as_ref().map_or(self.original, |(s, _)| s)
    }

    /// Maps a detection from folded to original offsets.
    pub(crate) fn to_original(&self, mut d: Detection) -> Detection {
        if let Some((_, map)) = &self.folded {
            d.start = map[d.start];
            d.end = map[d.end];
        }
        d
    }
}

/// `s` with full-width characters folded (for normalizing a detected value).
pub(crate) fn fold_str(s: &str) -> String {
    s.chars().map(|c| fold_char(c).unwrap_or(c)).collect()
}

/// Runs every text detector over `text` and returns the raw candidates (overlapping).
pub(crate) fn candidates(text: &str, orgs: &org::OrgDictionary) -> Vec<Detection> {
    let mut out = Vec::new();
    checksum::detect(text, &mut out);
    contact::detect(text, &mut out);
    plate::detect(text, &mut out);
    address::detect(text, &mut out);
    gps::detect(text, &mut out);
    person::detect(text, &mut out);
    org::detect(text, orgs, &mut out);
    contract::detect(text, &mut out);
    money::detect(text, &mut out);
    date::detect(text, &mut out);
    out
}

/// Occurrences in `text` of values a structured field of the same document named as an
/// identifier of a given kind. Values shorter than two characters (three for ASCII) are too
/// ambiguous to look for; ASCII values must stand as whole words.
pub(crate) fn known_values(text: &str, known: &[(DetectorKind, String)]) -> Vec<Detection> {
    let usable: Vec<&(DetectorKind, String)> = known
        .iter()
        .filter(|(_, v)| {
            let n = v.chars().count();
            if v.is_ascii() { n >= 3 } else { n >= 2 }
        })
        .collect();
    if usable.is_empty() {
        return Vec::new();
    }
    let automaton = aho_corasick::AhoCorasick::builder()
        .match_kind(aho_corasick::MatchKind::LeftmostLongest)
        .build(usable.iter().map(|(_, v)| v.as_str()))
        .expect("automaton over field values");
    automaton
        .find_iter(text)
        .filter(|m| {
            !text[m.range()].is_ascii() || isolated(text, m.start(), m.end(), is_ascii_alnum)
        })
        .map(|m| {
            Detection::new(
                usable[m.pattern().as_usize()].0,
                m.range(),
                "named as such in a field of the same document",
            )
            .with_bonus(1)
        })
        .collect()
}

/// Settles overlapping candidates as described in the module documentation.
pub(crate) fn resolve(
    mut candidates: Vec<Detection>,
    technical: &[Range<usize>],
) -> Vec<Detection> {
    candidates.retain(|d| {
        technical
            .iter()
            .all(|t| !d.overlaps(t) || (d.start <= t.start && d.end >= t.end))
    });
    candidates.sort_by(|a, b| {
        b.len()
            .cmp(&a.len())
            .then(b.score.cmp(&a.score))
            .then(a.start.cmp(&b.start))
            .then(a.kind.cmp(&b.kind))
    });
    let mut accepted: Vec<Detection> = Vec::new();
    for c in candidates {
        if accepted.iter().all(|a| !a.overlaps(&(c.start..c.end))) {
            accepted.push(c);
        }
    }
    accepted.sort_by_key(|d| (d.start, d.end));
    accepted
}

// Helpers shared by the detectors.

/// The character just before byte offset `i`.
pub(crate) fn char_before(text: &str, i: usize) -> Option<char> {
    text[..i].chars().next_back()
}

/// The character starting at byte offset `i`.
pub(crate) fn char_at(text: &str, i: usize) -> Option<char> {
    text[i..].chars().next()
}

/// True when neither neighbour of `start..end` satisfies `joins` (so the match is not part of
/// a longer token). Used instead of `\b`, which treats Chinese characters as word characters.
pub(crate) fn isolated(text: &str, start: usize, end: usize, joins: fn(char) -> bool) -> bool {
    !char_before(text, start).is_some_and(joins) && !char_at(text, end).is_some_and(joins)
}

pub(crate) fn is_ascii_alnum(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

pub(crate) fn is_ascii_digit(c: char) -> bool {
    c.is_ascii_digit()
}

/// Chinese (CJK unified) ideograph.
pub(crate) fn is_han(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{F900}'..='\u{FAFF}')
}

/// The `n` characters (at most) before byte offset `i`, as a string slice.
pub(crate) fn window_before(text: &str, i: usize, n: usize) -> &str {
    let start = text[..i]
        .char_indices()
        .rev()
        .take(n)
        .last()
        .map_or(i, |(at, _)| at);
    &text[start..i]
}

/// True when the `n` characters before `i` contain one of `words` (ASCII compared without case).
pub(crate) fn context_has(text: &str, i: usize, n: usize, words: &[&str]) -> bool {
    let w = window_before(text, i, n).to_lowercase();
    words.iter().any(|k| w.contains(&k.to_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(kind: DetectorKind, r: Range<usize>) -> Detection {
        Detection::new(kind, r, "test")
    }

    #[test]
    fn longest_wins_then_specificity() {
        let out = resolve(
            vec![
                d(DetectorKind::PersonName, 0..6),
                d(DetectorKind::OrgName, 0..24),
                d(DetectorKind::BankCard, 30..48),
                d(DetectorKind::ResidentId, 30..48),
            ],
            &[],
        );
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].kind, DetectorKind::OrgName);
        assert_eq!(out[1].kind, DetectorKind::ResidentId);
    }

    #[test]
    fn context_bonus_can_overturn_the_base_rank() {
        let out = resolve(
            vec![
                d(DetectorKind::ResidentId, 0..18),
                d(DetectorKind::BankCard, 0..18).with_bonus(25),
            ],
            &[],
        );
        assert_eq!(out[0].kind, DetectorKind::BankCard);
    }

    #[test]
    fn technical_spans_veto_partial_overlaps_only() {
        let out = resolve(
            vec![
                d(DetectorKind::ContractNo, 3..12),
                d(DetectorKind::Url, 20..60),
            ],
            &[0..8, 30..40],
        );
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].kind, DetectorKind::Url);
    }

    #[test]
    fn isolation_ignores_chinese_neighbours() {
        let t = "电话13812345678号";
        let s = t.find('1').unwrap();
        assert!(isolated(t, s, s + 11, is_ascii_digit));
        assert!(!isolated("913812345678", 1, 12, is_ascii_digit));
    }

    #[test]
    fn folding_maps_offsets_back() {
        let text = "手机１３８１２３４５６７８，";
        let f = Folded::new(text);
        assert_eq!(f.text(), "手机13812345678，");
        let d = f.to_original(Detection::new(DetectorKind::Mobile, 6..17, "t"));
        assert_eq!(&text[d.start..d.end], "１３８１２３４５６７８");
        assert_eq!(fold_str("ａ＠ｂ．ｃｎ"), "a@b.cn");
    }

    #[test]
    fn window_before_counts_characters() {
        assert_eq!(window_before("联系人：张伟", 12, 2), "人：");
        assert_eq!(window_before("ab", 2, 10), "ab");
    }
}
