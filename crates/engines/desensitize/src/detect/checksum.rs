//! Identifiers with a check character: unified social credit codes, resident identity numbers
//! and bank card numbers.
//!
//! The check character is what makes these detectors precise: an 18-character string that
//! looks like a code but fails the check is left alone (a mistyped number is not the holder's
//! number, and serial numbers of that shape are common in inspection reports). Context words
//! ("身份证", "账号", "credit code" …) only break ties between two checks that both pass.

use std::sync::LazyLock;

use regex::Regex;
use ticorr_kernel::Uscc;

use super::{Detection, context_has, is_ascii_alnum, isolated};
use crate::kind::DetectorKind;
use crate::regions;

static USCC_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Registration authority + category (2), region (6), organisation code body (9), check (1);
    // a space or hyphen is tolerated between the groups, as people copy them from licences.
    Regex::new(
        r"(?i)[0-9A-HJ-NP-RT-UW-Y]{2}[0-9]{6}[ \-]?[0-9A-HJ-NP-RT-UW-Y]{8}[ \-]?[0-9A-HJ-NP-RT-UW-Y][ \-]?[0-9A-HJ-NP-RT-UW-Y]",
    )
    .expect("USCC pattern")
});

static RESIDENT_ID_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Separators are tolerated where people put them: 6-8-4 and 6-4-4-4.
    Regex::new(r"[1-8][0-9]{5}[ \-]?(?:18|19|20)[0-9]{2}[ \-]?[0-9]{4}[ \-]?[0-9]{3}[0-9Xx]")
        .expect("resident id pattern")
});

static CARD_RE: LazyLock<Regex> = LazyLock::new(|| {
    // Grouped (4-4-4-4, 4-4-4-4-3, 6-13 …) or one run of 13–19 digits.
    Regex::new(r"[0-9]{4,6}(?:[ \-][0-9]{3,13}){1,4}|[0-9]{13,19}").expect("card pattern")
});

/// How many characters before a number are searched for a context word.
const CONTEXT_CHARS: usize = 24;

const ID_CONTEXT: &[&str] = &[
    "身份证",
    "身份号",
    "证件号",
    "公民身份",
    "ID No",
    "ID card",
    "identity",
];
const USCC_CONTEXT: &[&str] = &[
    "信用代码",
    "社会信用",
    "USCC",
    "credit code",
    "营业执照",
    "税号",
];
const CARD_CONTEXT: &[&str] = &[
    "卡号",
    "银行卡",
    "账号",
    "帐号",
    "账户",
    "帐户",
    "开户",
    "银行",
    "card",
    "account",
    "acct",
    "a/c",
    "iban",
    "payment to",
];

/// Issuer prefixes accepted without a context word: UnionPay (62), Visa (4), Mastercard
/// (51–55, 2221–2720), American Express (34, 37), JCB (35), and the older domestic 9-prefixed
/// debit cards.
fn plausible_issuer(digits: &str) -> bool {
    let two: u32 = digits[..2].parse().unwrap_or(0);
    let four: u32 = digits[..4].parse().unwrap_or(0);
    matches!(two, 62 | 34 | 35 | 37 | 51..=55)
        || digits.starts_with('4')
        || digits.starts_with('9')
        || (2221..=2720).contains(&four)
}

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for m in USCC_RE.find_iter(text) {
        if !isolated(text, m.start(), m.end(), is_ascii_alnum) {
            continue;
        }
        let compact: String = m
            .as_str()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if Uscc::parse(&compact).is_ok() {
            // An all-digit code may also pass the resident-ID check, and an ID passes the credit
            // code check one time in 31: without context the ID reading wins (see the scores).
            // Digits only, or digits with a final X: the shape of a resident identity number.
            let id_like = compact.as_bytes()[..17].iter().all(u8::is_ascii_digit)
                && (compact.as_bytes()[17].is_ascii_digit() || compact.ends_with(['X', 'x']));
            let mut d = Detection::new(
                DetectorKind::Uscc,
                m.range(),
                "check character valid (GB 32100)",
            );
            let context = context_has(text, m.start(), CONTEXT_CHARS, USCC_CONTEXT);
            if id_like {
                // Shaped like an identity number (province, birth date): a credit code only
                // when the text says so.
                if id_shaped(&compact) && !context {
                    continue;
                }
                d.score -= 10;
            }
            if context {
                d = d.with_bonus(15);
            }
            out.push(d);
        }
    }
    for m in RESIDENT_ID_RE.find_iter(text) {
        if !isolated(text, m.start(), m.end(), is_ascii_alnum) {
            continue;
        }
        let compact: String = m
            .as_str()
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if resident_id_valid(&compact) {
            let bonus = if context_has(text, m.start(), CONTEXT_CHARS, ID_CONTEXT) {
                20
            } else {
                0
            };
            out.push(
                Detection::new(
                    DetectorKind::ResidentId,
                    m.range(),
                    "check digit and birth date valid (GB 11643)",
                )
                .with_bonus(bonus),
            );
        }
    }
    for m in CARD_RE.find_iter(text) {
        if char_before_is_digit(text, m.start()) {
            continue;
        }
        // A grouped match may have swallowed a neighbouring number ("… 7890 2023年"): try the
        // longest run of whole groups that makes a valid card.
        let group_ends: Vec<usize> = m
            .as_str()
            .match_indices([' ', '-'])
            .map(|(i, _)| m.start() + i)
            .chain(std::iter::once(m.end()))
            .collect();
        for &end in group_ends.iter().rev() {
            if text[end..].starts_with(|c: char| c.is_ascii_alphanumeric()) {
                continue;
            }
            let digits: String = text[m.start()..end]
                .chars()
                .filter(char::is_ascii_digit)
                .collect();
            if !(13..=19).contains(&digits.len()) || !luhn_valid(&digits) {
                continue;
            }
            let context = context_has(text, m.start(), CONTEXT_CHARS, CARD_CONTEXT);
            // An 18-digit number shaped like an identity number (province, birth date) that
            // fails the ID check is a mistyped ID far more often than an 18-digit card.
            if context || (plausible_issuer(&digits) && !id_shaped(&digits)) {
                let (bonus, evidence) = if context {
                    (25, "Luhn check valid, card or account context")
                } else {
                    (0, "Luhn check valid, known issuer prefix")
                };
                out.push(
                    Detection::new(DetectorKind::BankCard, m.start()..end, evidence)
                        .with_bonus(bonus),
                );
            }
            break;
        }
    }
}

/// Province prefix and a birth-date shape where a resident identity number has them.
fn id_shaped(digits: &str) -> bool {
    if digits.len() != 18 || !digits.is_ascii() || !regions::is_prefix(&digits[..2]) {
        return false;
    }
    let year: u32 = digits[6..10].parse().unwrap_or(0);
    let month: u32 = digits[10..12].parse().unwrap_or(0);
    let day: u32 = digits[12..14].parse().unwrap_or(0);
    // The shape, not the validity: a mistyped day (0230) still makes it an ID-like number.
    (1900..=2099).contains(&year) && (1..=12).contains(&month) && (1..=31).contains(&day)
}

fn char_before_is_digit(text: &str, i: usize) -> bool {
    super::char_before(text, i).is_some_and(|c| c.is_ascii_digit())
}

/// GB 11643-1999: province prefix, a real birth date, and the ISO 7064 MOD 11-2 check.
pub(crate) fn resident_id_valid(id: &str) -> bool {
    let b = id.as_bytes();
    if b.len() != 18 || !b[..17].iter().all(u8::is_ascii_digit) {
        return false;
    }
    if !regions::is_prefix(&id[..2]) {
        return false;
    }
    let year: u32 = id[6..10].parse().unwrap_or(0);
    let month: u32 = id[10..12].parse().unwrap_or(0);
    let day: u32 = id[12..14].parse().unwrap_or(0);
    if !(1900..=2099).contains(&year) || !valid_date(year, month, day) {
        return false;
    }
    resident_id_check(&id[..17]) == Some(b[17].to_ascii_uppercase() as char)
}

/// The ISO 7064 MOD 11-2 check character for the first 17 digits.
pub(crate) fn resident_id_check(body: &str) -> Option<char> {
    if body.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, c) in body.chars().enumerate() {
        let d = c.to_digit(10)?;
        // Weight of position i (counted from the left, 18 positions) is 2^(17 - i) mod 11.
        let w = (1u32 << (17 - i)) % 11;
        sum += d * w;
    }
    let r = (12 - sum % 11) % 11;
    Some(if r == 10 {
        'X'
    } else {
        char::from_digit(r, 10)?
    })
}

pub(crate) fn valid_date(year: u32, month: u32, day: u32) -> bool {
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&day)
}

/// The Luhn (mod 10) check over a string of digits.
pub(crate) fn luhn_valid(digits: &str) -> bool {
    luhn_sum(digits).is_some_and(|s| s % 10 == 0)
}

fn luhn_sum(digits: &str) -> Option<u32> {
    let mut sum = 0;
    for (i, c) in digits.chars().rev().enumerate() {
        let mut d = c.to_digit(10)?;
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    Some(sum)
}

/// The Luhn check digit that completes `body` (used by the evaluation generator).
pub(crate) fn luhn_complete(body: &str) -> String {
    let with_zero = format!("{body}0");
    let s = luhn_sum(&with_zero).unwrap_or(0);
    format!("{body}{}", (10 - s % 10) % 10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn kinds(text: &str) -> Vec<(DetectorKind, &str)> {
        let mut out = Vec::new();
        detect(text, &mut out);
        out.iter()
            .map(|d| (d.kind, &text[d.start..d.end]))
            .collect()
    }

    #[test]
    fn finds_a_uscc_between_chinese_characters_and_rejects_a_bad_check() {
        assert_eq!(
            kinds("统一社会信用代码91350100M000100Y43。"),
            vec![(DetectorKind::Uscc, "91350100M000100Y43")]
        );
        assert!(kinds("代码91350100M000100Y44").is_empty());
        assert_eq!(kinds("credit code 91350100 M000100Y43").len(), 1);
        assert_eq!(kinds("uscc: 91350100m000100y43").len(), 1);
    }

    #[test]
    fn resident_id_checks_digit_and_date() {
        // 11010519491231002X is the format's textbook example.
        assert_eq!(
            kinds("身份证号：11010519491231002X"),
            vec![(DetectorKind::ResidentId, "11010519491231002X")]
        );
        assert!(
            kinds("11010519491231002x")
                .iter()
                .any(|k| k.0 == DetectorKind::ResidentId)
        );
        assert_eq!(kinds("110105 19491231 002X").len(), 1);
        assert_eq!(kinds("110105 1949 1231 002X").len(), 1);
        // Wrong check digit, impossible date.
        assert!(
            kinds("110105194912310021")
                .iter()
                .all(|k| k.0 != DetectorKind::ResidentId)
        );
        let body = "11010519490230002";
        let bad_date = format!("{body}{}", resident_id_check(body).unwrap());
        assert!(
            kinds(&bad_date)
                .iter()
                .all(|k| k.0 != DetectorKind::ResidentId)
        );
    }

    #[test]
    fn bank_cards_need_luhn_and_an_issuer_or_context() {
        let card = luhn_complete("622202123456789012");
        assert_eq!(kinds(&format!("付款卡 {card}")).len(), 1);
        let grouped = format!(
            "{} {} {} {}",
            &card[..4],
            &card[4..8],
            &card[8..12],
            &card[12..]
        );
        assert_eq!(kinds(&format!("账号：{grouped}")).len(), 1);
        // Luhn-valid but no issuer and no context: a serial number.
        let serial = luhn_complete("202308151430001");
        assert!(kinds(&format!("出厂编号 {serial}")).is_empty());
        assert_eq!(kinds(&format!("银行账号 {serial}")).len(), 1);
        // One digit off fails Luhn.
        let mut wrong = card.clone().into_bytes();
        wrong[5] = if wrong[5] == b'9' { b'0' } else { wrong[5] + 1 };
        assert!(kinds(&String::from_utf8(wrong).unwrap()).is_empty());
    }

    #[test]
    fn digits_glued_to_other_digits_are_not_identifiers() {
        assert!(kinds("911350100M000100Y43").is_empty());
        let card = luhn_complete("622202123456789012");
        assert!(
            kinds(&format!("1{card}"))
                .iter()
                .all(|k| k.0 != DetectorKind::BankCard)
        );
    }

    proptest! {
        #[test]
        fn every_valid_resident_id_is_found(
            prefix in prop::sample::select(vec!["110105", "320115", "440305", "610302", "820000"]),
            year in 1930u32..2010, month in 1u32..13, day in 1u32..29, seq in 0u32..1000,
        ) {
            let body = format!("{prefix}{year}{month:02}{day:02}{seq:03}");
            let id = format!("{body}{}", resident_id_check(&body).unwrap());
            let text = format!("取样人身份证{id}，");
            prop_assert!(kinds(&text).contains(&(DetectorKind::ResidentId, id.as_str())));
        }

        #[test]
        fn every_luhn_valid_unionpay_card_is_found(body in "62[0-9]{14,16}") {
            let card = luhn_complete(&body);
            let text = format!("card {card} end");
            prop_assert!(kinds(&text).contains(&(DetectorKind::BankCard, card.as_str())));
        }
    }
}
