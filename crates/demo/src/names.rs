//! Invented names, addresses and registration codes.
//!
//! Organisation names join a real place name, an invented two-syllable word built from
//! deliberately unusual characters and a trade word, so they read like Chinese company
//! names without being any real company's. Government bodies and associations carry
//! "（演示）" ("demo") so that nobody mistakes them for the real agencies.

use std::collections::HashSet;

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use ticorr_kernel::Uscc;

use crate::data::{self, City};

/// An invented word in Chinese and in pinyin ("澜源", "Lanyuan").
#[derive(Debug, Clone)]
pub(crate) struct Word {
    pub zh: String,
    pub en: String,
}

fn capitalised(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(crate) fn pick<'a, T>(rng: &mut ChaCha8Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// Picks by weight; `items` must not be empty and the weights not all zero.
pub(crate) fn pick_weighted<'a, T>(
    rng: &mut ChaCha8Rng,
    items: &'a [T],
    weight: impl Fn(&T) -> f64,
) -> &'a T {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random::<f64>() * total;
    for item in items {
        x -= weight(item);
        if x < 0.0 {
            return item;
        }
    }
    items.last().expect("items is not empty")
}

/// An invented word. Words whose pinyin is also a city's ("Lanzhou") are skipped, so
/// that English names do not seem to name two places.
pub(crate) fn word(rng: &mut ChaCha8Rng) -> Word {
    let data = data::get();
    loop {
        let (a, pa) = pick(rng, &data.names.word_first);
        let (b, pb) = pick(rng, &data.names.word_second);
        let en = capitalised(&format!("{pa}{pb}"));
        let is_city = data
            .places
            .provinces
            .iter()
            .flat_map(|p| &p.cities)
            .any(|c| c.pinyin() == en);
        if !is_city {
            return Word {
                zh: format!("{a}{b}"),
                en,
            };
        }
    }
}

/// A person's name: a common surname and one or two given-name characters.
pub(crate) fn person(rng: &mut ChaCha8Rng) -> String {
    let parts = &data::get().names;
    let mut name = pick(rng, &parts.surnames).clone();
    let given = if rng.random_bool(0.7) { 2 } else { 1 };
    for _ in 0..given {
        name.push_str(pick::<String>(rng, &parts.given));
    }
    name
}

/// A street address: province (unless a municipality), city, road and number.
pub(crate) fn address(
    rng: &mut ChaCha8Rng,
    province_zh: &str,
    municipality: bool,
    city: &City,
) -> String {
    let road = pick(rng, &data::get().names.roads);
    let number = rng.random_range(1..=999);
    if municipality {
        format!("{}{road}{number}号", city.full())
    } else {
        format!("{province_zh}{}{road}{number}号", city.full())
    }
}

/// The 31 characters of GB 32100 (digits and capitals without I, O, S, V, Z).
const USCC_CHARS: &[u8] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";

/// The GB 11714 check character of an eight-character organisation code body.
fn org_code_check(body: &[u8; 8]) -> char {
    const WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = body
        .iter()
        .zip(WEIGHTS)
        .map(|(c, w)| {
            let v = if c.is_ascii_digit() {
                u32::from(c - b'0')
            } else {
                u32::from(c - b'A') + 10
            };
            v * w
        })
        .sum();
    match 11 - sum % 11 {
        10 => 'X',
        11 => '0',
        d => char::from_digit(d, 10).expect("a single digit"),
    }
}

/// Issues unified social credit codes, never the same organisation code twice.
#[derive(Default)]
pub(crate) struct UsccIssuer {
    used: HashSet<String>,
}

impl UsccIssuer {
    /// A valid code for an organisation of the given category ("91" company, "11"
    /// government body, "12" institution, "51" association) registered in `region`.
    /// The organisation code carries its own GB 11714 check character, as real ones do.
    pub fn issue(&mut self, rng: &mut ChaCha8Rng, category: &str, region: &str) -> Uscc {
        loop {
            let mut body = [0u8; 8];
            if category == "91" && rng.random_bool(0.35) {
                // Codes of companies registered since 2015 start with "MA".
                body[0] = b'M';
                body[1] = b'A';
                for b in &mut body[2..] {
                    *b = USCC_CHARS[rng.random_range(0..USCC_CHARS.len())];
                }
            } else {
                for b in &mut body {
                    *b = b'0' + rng.random_range(0..10u8);
                }
            }
            let code = format!(
                "{}{}",
                std::str::from_utf8(&body).expect("ASCII"),
                org_code_check(&body)
            );
            if !self.used.insert(code.clone()) {
                continue;
            }
            return Uscc::complete(&format!("{category}{region}{code}"))
                .expect("the body uses the code alphabet only");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn organisation_code_check_matches_a_published_example() {
        // The organisation code inside the usual GB 32100 example 91350100M000100Y43.
        assert_eq!(org_code_check(b"M000100Y"), '4');
    }

    #[test]
    fn issued_codes_are_valid_unique_and_carry_the_region() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut issuer = UsccIssuer::default();
        let mut seen = HashSet::new();
        for i in 0..2_000 {
            let category = ["91", "11", "12", "51"][i % 4];
            let code = issuer.issue(&mut rng, category, "330000");
            assert!(Uscc::parse(code.as_str()).is_ok());
            assert_eq!(code.region_code(), "330000");
            assert!(code.as_str().starts_with(category));
            assert!(seen.insert(code.to_string()));
        }
    }

    #[test]
    fn words_are_two_characters_with_pinyin() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let w = word(&mut rng);
        assert_eq!(w.zh.chars().count(), 2);
        assert!(w.en.chars().next().unwrap().is_ascii_uppercase());
    }
}
