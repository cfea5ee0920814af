//! RFC 8785 JSON Canonicalization Scheme (JCS), implemented here rather than taken from a
//! crate.
//!
//! The scheme is small: no whitespace; object members sorted by their names compared as
//! arrays of UTF-16 code units; strings escaped as ECMAScript's `JSON.stringify` does
//! (§3.2.2.2); numbers formatted as ECMAScript's `Number.prototype.toString` (§3.2.2.3).
//! The one hard part, the shortest round-tripping digits of a double, is mostly what Rust's
//! standard library computes for `{:e}` (Grisu with a Dragon4 fallback: the fewest digits
//! and, among those, the closest). It differs from ECMAScript only on an exact tie between
//! two closest candidates, which Rust breaks away from zero and ECMAScript towards the even
//! digit (RFC 8785 Appendix B, `1424953923781206.2`); [`format_number`] detects that case
//! with the double's exact decimal expansion. Tests check all of RFC 8785 Appendix B and
//! compare the digits with the `ryu` crate (which breaks ties to even as well) on random
//! doubles.
//!
//! Values come as `serde_json::Value`. Numbers are IEEE 754 doubles in JCS: an integer
//! literal beyond 2^53 is rounded to the nearest double by [`canonical_json`], as every JCS
//! implementation does. [`canonical_json_exact`] refuses such integers instead, for hashing
//! where a silently rounded digit would go unnoticed.

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused rather than risk the stack.
pub const MAX_DEPTH: usize = 128;

/// Why a value has no canonical form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JcsError {
    /// NaN and the infinities have no JSON form.
    #[error("the number {0} is not finite")]
    NonFiniteNumber(String),
    /// An integer that a double cannot hold exactly (only refused in exact mode).
    #[error("the integer {0} cannot be represented exactly as an IEEE 754 double")]
    InexactInteger(String),
    /// Arrays and objects nested deeper than [`MAX_DEPTH`].
    #[error("the value is nested deeper than {MAX_DEPTH} levels")]
    TooDeep,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Integers {
    /// Round to the nearest double, as RFC 8785 does.
    Round,
    /// Refuse integers a double cannot hold exactly.
    Exact,
}

/// The RFC 8785 canonical form of `value`, as UTF-8 bytes.
pub fn canonical_json(value: &Value) -> Result<Vec<u8>, JcsError> {
    canonicalize(value, Integers::Round)
}

/// Like [`canonical_json`], but refuses integer literals that an IEEE 754 double cannot hold
/// exactly (beyond ±2^53, unless they happen to be representable), so no two distinct
/// integers share a canonical form.
pub fn canonical_json_exact(value: &Value) -> Result<Vec<u8>, JcsError> {
    canonicalize(value, Integers::Exact)
}

fn canonicalize(value: &Value, integers: Integers) -> Result<Vec<u8>, JcsError> {
    let mut out = String::new();
    write_value(&mut out, value, integers, 0)?;
    Ok(out.into_bytes())
}

fn write_value(
    out: &mut String,
    value: &Value,
    integers: Integers,
    depth: usize,
) -> Result<(), JcsError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(number) => out.push_str(&format_number(number_value(number, integers)?)?),
        Value::String(text) => write_string(out, text),
        Value::Array(items) => {
            if depth >= MAX_DEPTH {
                return Err(JcsError::TooDeep);
            }
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, item, integers, depth + 1)?;
            }
            out.push(']');
        }
        Value::Object(members) => {
            if depth >= MAX_DEPTH {
                return Err(JcsError::TooDeep);
            }
            write_object(out, members, integers, depth)?;
        }
    }
    Ok(())
}

fn write_object(
    out: &mut String,
    members: &Map<String, Value>,
    integers: Integers,
    depth: usize,
) -> Result<(), JcsError> {
    // §3.2.3: sort by the UTF-16 code units of the names, compared as unsigned integers.
    // serde_json's own order (code points, or insertion order with `preserve_order`) differs
    // for names outside the Basic Multilingual Plane, so sort explicitly.
    let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
    sorted.sort_by(|(a, _), (b, _)| a.encode_utf16().cmp(b.encode_utf16()));
    out.push('{');
    for (i, (name, value)) in sorted.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_string(out, name);
        out.push(':');
        write_value(out, value, integers, depth + 1)?;
    }
    out.push('}');
    Ok(())
}

/// §3.2.2.2: quote, escape `"` and `\`, use the short escapes for \b \t \n \f \r, `\u00xx`
/// (lowercase hex) for other control characters, and leave everything else as is.
fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\u{c}' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            c if c < ' ' => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let code = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[code >> 4]));
                out.push(char::from(HEX[code & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// The double a JSON number stands for.
fn number_value(number: &Number, integers: Integers) -> Result<f64, JcsError> {
    let inexact = || JcsError::InexactInteger(number.to_string());
    if let Some(n) = number.as_u64() {
        let x = n as f64;
        if integers == Integers::Exact && x as u128 != u128::from(n) {
            return Err(inexact());
        }
        return Ok(x);
    }
    if let Some(n) = number.as_i64() {
        let x = n as f64;
        if integers == Integers::Exact && x as i128 != i128::from(n) {
            return Err(inexact());
        }
        return Ok(x);
    }
    match number.as_f64() {
        Some(x) if x.is_finite() => Ok(x),
        _ => Err(JcsError::NonFiniteNumber(number.to_string())),
    }
}

/// ECMAScript `Number::toString(x)` for a finite double (ECMA-262 §6.1.6.1.20), which RFC
/// 8785 §3.2.2.3 prescribes. NaN and the infinities are refused.
pub fn format_number(x: f64) -> Result<String, JcsError> {
    if !x.is_finite() {
        return Err(JcsError::NonFiniteNumber(x.to_string()));
    }
    // Step 2: +0 and -0 are both "0".
    if x == 0.0 {
        return Ok("0".to_owned());
    }
    let mut out = String::new();
    // Step 3: negative numbers are "-" and the magnitude.
    if x < 0.0 {
        out.push('-');
    }
    // Step 5: the shortest digits s (k of them) and n with |x| = s × 10^(n−k).
    let (digits, n) = shortest_digits(x.abs());
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        // Step 6: the digits, then n − k zeros.
        out.push_str(&digits);
        out.extend(std::iter::repeat_n('0', (n - k) as usize));
    } else if 0 < n && n <= 21 {
        // Step 7: the first n digits, a point, the other k − n digits.
        let (int, frac) = digits.split_at(n as usize);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    } else if -6 < n && n <= 0 {
        // Step 8: "0.", −n zeros, the digits.
        out.push_str("0.");
        out.extend(std::iter::repeat_n('0', (-n) as usize));
        out.push_str(&digits);
    } else {
        // Steps 9 and 10: exponential notation with an explicit sign.
        let (first, rest) = digits.split_at(1);
        out.push_str(first);
        if !rest.is_empty() {
            out.push('.');
            out.push_str(rest);
        }
        out.push('e');
        out.push(if n > 0 { '+' } else { '-' });
        out.push_str(&(n - 1).abs().to_string());
    }
    Ok(out)
}

/// A positive decimal `digits × 10^exponent`, `digits` without leading or trailing zeros.
#[derive(Clone, PartialEq, Eq)]
struct Decimal {
    digits: String,
    exponent: i32,
}

impl Decimal {
    fn new(digits: &str, exponent: i32) -> Self {
        let digits = digits.trim_start_matches('0');
        let trimmed = digits.trim_end_matches('0');
        Self {
            exponent: exponent + (digits.len() - trimmed.len()) as i32,
            digits: trimmed.to_owned(),
        }
    }

    /// Parses Rust's `{:e}` output, `d.ddde±x`.
    fn from_scientific(text: &str) -> Self {
        let (mantissa, exponent) = text
            .split_once('e')
            .expect("`{:e}` output always has an exponent");
        let exponent: i32 = exponent
            .parse()
            .expect("`{:e}` output has a decimal exponent");
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        Self::new(&format!("{int}{frac}"), exponent - frac.len() as i32)
    }

    /// The exponent of the leading digit (the number is in `[10^lead, 10^(lead+1))`).
    fn lead(&self) -> i32 {
        self.exponent + self.digits.len() as i32 - 1
    }

    fn cmp_value(&self, other: &Self) -> std::cmp::Ordering {
        // Both are positive with a non-zero leading digit: the magnitude decides first, then
        // the digits read from the left (a missing digit counts as zero, and digit strings
        // have no trailing zeros, so the longer one is larger when one is a prefix).
        self.lead()
            .cmp(&other.lead())
            .then_with(|| self.digits.cmp(&other.digits))
    }

    fn parses_to(&self, x: f64) -> bool {
        format!("{}e{}", self.digits, self.exponent).parse::<f64>() == Ok(x)
    }
}

/// The ECMAScript digits of a positive finite `x`: the fewest digits that read back as `x`;
/// among those, the closest to `x`; between two equally close, the one whose last digit is
/// even. Returns the digits and `n`, so that `x ≈ 0.digits × 10^n`.
fn shortest_digits(x: f64) -> (String, i32) {
    // Rust's shortest formatting gives the fewest digits and, except in an exact tie, the
    // closest; it breaks ties away from zero, where ECMAScript wants the even digit.
    let mut best = Decimal::from_scientific(&format!("{x:e}"));
    let last: u64 = best.digits.parse().expect("at most 17 significant digits");
    let reads_back = |d: u64| Decimal::new(&d.to_string(), best.exponent).parses_to(x);
    let lower = last.checked_sub(1).filter(|d| *d > 0 && reads_back(*d));
    let upper = Some(last + 1).filter(|d| reads_back(*d));
    if lower.is_some() || upper.is_some() {
        // Several candidates of that length: compare with the exact value of x (every double
        // has a finite decimal expansion, at most 767 significant digits).
        let exact = Decimal::from_scientific(&format!("{x:.800e}"));
        let other = match exact.cmp_value(&best) {
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Less => lower,
            std::cmp::Ordering::Greater => upper,
        };
        if let Some(other) = other {
            // The midpoint of the two is the lower one followed by a 5.
            let midpoint = Decimal::new(&format!("{}5", last.min(other)), best.exponent - 1);
            let take_other = match exact.cmp_value(&midpoint) {
                std::cmp::Ordering::Equal => other.is_multiple_of(2),
                std::cmp::Ordering::Less => other < last,
                std::cmp::Ordering::Greater => other > last,
            };
            if take_other {
                best = Decimal::new(&other.to_string(), best.exponent);
            }
        }
    }
    let n = best.exponent + best.digits.len() as i32;
    (best.digits, n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn canonical(value: &Value) -> String {
        String::from_utf8(canonical_json(value).unwrap()).unwrap()
    }

    #[test]
    fn rfc8785_section_3_2_2_example() {
        let input: Value = serde_json::from_str(
            r#"{
              "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
              "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
              "literals": [null, true, false]
            }"#,
        )
        .unwrap();
        assert_eq!(
            canonical(&input),
            r#"{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}"#
        );
    }

    #[test]
    fn rfc8785_section_3_2_3_sorting_by_utf16_code_units() {
        let input: Value = serde_json::from_str(
            r#"{
              "\u20ac": "Euro Sign",
              "\r": "Carriage Return",
              "\ufb33": "Hebrew Letter Dalet With Dagesh",
              "1": "One",
              "\ud83d\ude00": "Emoji: Grinning Face",
              "\u0080": "Control",
              "\u00f6": "Latin Small Letter O With Diaeresis"
            }"#,
        )
        .unwrap();
        let expected = "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u{80}\":\"Control\",\
             \"\u{f6}\":\"Latin Small Letter O With Diaeresis\",\"\u{20ac}\":\"Euro Sign\",\
             \"\u{1f600}\":\"Emoji: Grinning Face\",\"\u{fb33}\":\"Hebrew Letter Dalet With Dagesh\"}";
        assert_eq!(canonical(&input), expected);
    }

    #[test]
    fn rfc8785_appendix_b_numbers() {
        let vectors = [
            (0x0000000000000000u64, "0"),
            (0x8000000000000000, "0"),
            (0x0000000000000001, "5e-324"),
            (0x8000000000000001, "-5e-324"),
            (0x7fefffffffffffff, "1.7976931348623157e+308"),
            (0xffefffffffffffff, "-1.7976931348623157e+308"),
            (0x4340000000000000, "9007199254740992"),
            (0xc340000000000000, "-9007199254740992"),
            (0x4430000000000000, "295147905179352830000"),
            (0x44b52d02c7e14af5, "9.999999999999997e+22"),
            (0x44b52d02c7e14af6, "1e+23"),
            (0x44b52d02c7e14af7, "1.0000000000000001e+23"),
            (0x444b1ae4d6e2ef4e, "999999999999999700000"),
            (0x444b1ae4d6e2ef4f, "999999999999999900000"),
            (0x444b1ae4d6e2ef50, "1e+21"),
            (0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"),
            (0x3eb0c6f7a0b5ed8d, "0.000001"),
            (0x41b3de4355555553, "333333333.3333332"),
            (0x41b3de4355555554, "333333333.33333325"),
            (0x41b3de4355555555, "333333333.3333333"),
            (0x41b3de4355555556, "333333333.3333334"),
            (0x41b3de4355555557, "333333333.33333343"),
            (0xbecbf647612f3696, "-0.0000033333333333333333"),
            (0x43143ff3c1cb0959, "1424953923781206.2"),
        ];
        for (bits, expected) in vectors {
            assert_eq!(
                format_number(f64::from_bits(bits)).unwrap(),
                expected,
                "{bits:016x}"
            );
        }
        for bits in [
            0x7fffffffffffffffu64,
            0x7ff0000000000000,
            0xfff0000000000000,
        ] {
            assert!(format_number(f64::from_bits(bits)).is_err());
        }
    }

    #[test]
    fn the_exact_expansion_is_complete_even_for_subnormals() {
        // 2^-1074 has 751 significant decimal digits; none may be cut off.
        let exact = Decimal::from_scientific(&format!("{:.800e}", 5e-324));
        assert_eq!(exact.digits.len(), 751);
        assert!(
            exact
                .digits
                .starts_with("4940656458412465441765687928682213723650598026143")
        );
        assert!(exact.digits.ends_with('5'));
        assert_eq!(exact.lead(), -324);
    }

    #[test]
    fn numbers_from_json_text() {
        let cases = [
            ("1.0", "1"),
            ("-0", "0"),
            ("-0.0", "0"),
            ("1e21", "1e+21"),
            ("1e20", "100000000000000000000"),
            ("123456789012345680000", "123456789012345680000"),
            ("0.0000001", "1e-7"),
            ("0.000001", "0.000001"),
            ("-1.5E-10", "-1.5e-10"),
            ("9007199254740993", "9007199254740992"),
        ];
        for (text, expected) in cases {
            let value: Value = serde_json::from_str(text).unwrap();
            assert_eq!(canonical(&value), expected, "{text}");
        }
    }

    #[test]
    fn exact_mode_refuses_integers_a_double_would_round() {
        for ok in [
            json!(9007199254740992u64),
            json!(-9007199254740992i64),
            json!(1u64 << 60),
        ] {
            assert!(canonical_json_exact(&ok).is_ok(), "{ok}");
        }
        for bad in [
            json!(9007199254740993u64),
            json!(-9007199254740993i64),
            json!(u64::MAX),
        ] {
            assert_eq!(
                canonical_json_exact(&bad),
                Err(JcsError::InexactInteger(bad.to_string()))
            );
            assert!(canonical_json(&bad).is_ok());
        }
    }

    #[test]
    fn string_escaping() {
        let value = json!("\u{0}\u{7}\u{8}\t\n\u{b}\u{c}\r\u{1f} \"\\/\u{7f}\u{2028}é😀");
        assert_eq!(
            canonical(&value),
            "\"\\u0000\\u0007\\b\\t\\n\\u000b\\f\\r\\u001f \\\"\\\\/\u{7f}\u{2028}é😀\""
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let mut deep = json!(1);
        for _ in 0..MAX_DEPTH {
            deep = json!([deep]);
        }
        assert!(canonical_json(&deep).is_ok());
        assert_eq!(canonical_json(&json!([deep])), Err(JcsError::TooDeep));
    }

    #[test]
    fn objects_nest_and_whitespace_disappears() {
        let value: Value =
            serde_json::from_str(r#"{ "b" : [ 1 , { "z" : null , "a" : true } ] , "a" : { } }"#)
                .unwrap();
        assert_eq!(canonical(&value), r#"{"a":{},"b":[1,{"a":true,"z":null}]}"#);
    }
}
