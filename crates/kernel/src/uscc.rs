//! The unified social credit code (统一社会信用代码) of GB 32100-2015.
//!
//! 18 characters: registration authority (1), organisation category (1), GB/T 2260 region
//! (6), organisation code body (9, itself with a GB 11714 check), and a check character.
//! The check character is computed over the first 17 characters with the weights
//! 3^(i) mod 31 and the 31-character alphabet that omits I, O, S, V and Z.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// A syntactically valid unified social credit code (check character verified).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Uscc(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters, got {0}")]
    Length(usize),
    #[error("character `{0}` is not allowed in a unified social credit code")]
    Character(char),
    #[error("the check character does not match (expected `{expected}`)")]
    Check { expected: char },
}

fn value_of(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code.
pub fn check_character(body: &[u8; 17]) -> Option<char> {
    let mut sum = 0u32;
    for (c, w) in body.iter().zip(WEIGHTS) {
        sum += value_of(*c)? * w;
    }
    let check = (31 - sum % 31) % 31;
    Some(ALPHABET[check as usize] as char)
}

impl Uscc {
    pub fn parse(input: &str) -> Result<Self, UsccError> {
        let s = input.trim().to_ascii_uppercase();
        let bytes = s.as_bytes();
        if s.chars().count() != 18 {
            return Err(UsccError::Length(s.chars().count()));
        }
        if let Some(c) = s
            .chars()
            .find(|c| !c.is_ascii() || value_of(*c as u8).is_none())
        {
            return Err(UsccError::Character(c));
        }
        let body: &[u8; 17] = bytes[..17].try_into().expect("length checked above");
        let expected = check_character(body).expect("characters checked above");
        if bytes[17] as char != expected {
            return Err(UsccError::Check { expected });
        }
        Ok(Uscc(s))
    }

    /// Completes a 17-character body with its check character. Used by generators of
    /// synthetic data; returns `None` when the body has a character outside the alphabet.
    pub fn complete(body: &str) -> Option<Self> {
        let bytes: &[u8; 17] = body.as_bytes().try_into().ok()?;
        let check = check_character(bytes)?;
        Some(Uscc(format!("{body}{check}")))
    }

    /// The six-digit GB/T 2260 region embedded in the code (positions 3–8).
    pub fn region_code(&self) -> &str {
        &self.0[2..8]
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for Uscc {
    type Err = UsccError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Uscc::parse(s)
    }
}

impl TryFrom<String> for Uscc {
    type Error = UsccError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Uscc::parse(&s)
    }
}

impl From<Uscc> for String {
    fn from(u: Uscc) -> String {
        u.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_a_published_code() {
        // A code widely used as the example of the format.
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn rejects_a_wrong_check_character() {
        let err = Uscc::parse("91350100M000100Y44").unwrap_err();
        assert_eq!(err, UsccError::Check { expected: '3' });
    }

    #[test]
    fn rejects_letters_outside_the_alphabet() {
        assert!(matches!(
            Uscc::parse("91350100M000100I43"),
            Err(UsccError::Character('I'))
        ));
    }

    proptest! {
        #[test]
        fn completed_codes_parse_and_any_single_change_is_caught(
            body in "[0-9A-HJ-NP-RT-UW-Y]{17}",
            pos in 0usize..17,
            replacement in 0usize..31,
        ) {
            let code = Uscc::complete(&body).unwrap();
            prop_assert!(Uscc::parse(code.as_str()).is_ok());
            let mut bytes = code.as_str().as_bytes().to_vec();
            let new = ALPHABET[replacement];
            prop_assume!(bytes[pos] != new);
            bytes[pos] = new;
            let changed = String::from_utf8(bytes).unwrap();
            prop_assert!(Uscc::parse(&changed).is_err());
        }
    }
}
