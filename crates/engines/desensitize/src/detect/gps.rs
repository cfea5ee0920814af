//! GPS coordinates: 北纬/东经 forms, hemisphere letters, degrees–minutes–seconds, labelled
//! latitude/longitude, and bare decimal pairs.
//!
//! Bare decimal pairs ("31.230416, 121.473701") are only coordinates with at least four
//! decimals on both sides and within range; shorter pairs are far more often measurements
//! ("0.127, 0.254 mm/a").

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, char_at, char_before, context_has};
use crate::kind::DetectorKind;

/// One coordinate: decimal degrees, or degrees with minutes and seconds (° ′ ″ or 度分秒).
const COORD: &str = r#"[0-9]{1,3}(?:\.[0-9]+)?\s?(?:°|度)?(?:\s?[0-9]{1,2}(?:\.[0-9]+)?\s?(?:'|′|’|分))?(?:\s?[0-9]{1,2}(?:\.[0-9]+)?\s?(?:"|″|”|''|秒))?"#;

static CHINESE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"(?:北纬|南纬)\s?{COORD}\s?[,，、;；]?\s?(?:东经|西经)\s?{COORD}|(?:东经|西经)\s?{COORD}\s?[,，、;；]?\s?(?:北纬|南纬)\s?{COORD}"
    ))
    .expect("chinese coordinates pattern")
});

static HEMISPHERE_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(&format!(
        r"{COORD}\s?[NS]\s?[,，/;]?\s?{COORD}\s?[EW]|[NS]\s?{COORD}\s?[,，/;]?\s?[EW]\s?{COORD}|[EW]\s?{COORD}\s?[,，/;]?\s?[NS]\s?{COORD}|{COORD}\s?[EW]\s?[,，/;]?\s?{COORD}\s?[NS]"
    ))
    .expect("hemisphere coordinates pattern")
});

static LABELLED_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)lat(?:itude)?\.?\s?[:=]?\s?[-+]?[0-9]{1,2}\.[0-9]+\s?°?\s?[NS]?\s?[,，;/]?\s?(?:lon|lng|long|longitude)\.?\s?[:=]?\s?[-+]?[0-9]{1,3}\.[0-9]+\s?°?\s?[EW]?",
    )
    .expect("labelled coordinates pattern")
});

static PAIR_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"[-+]?[0-9]{1,3}\.([0-9]+)\s?[,，]\s?[-+]?[0-9]{1,3}\.([0-9]+)")
        .expect("pair pattern")
});

const COORD_CONTEXT: &[&str] = &[
    "坐标",
    "经纬度",
    "GPS",
    "定位",
    "位置",
    "coordinates",
    "location",
];

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for m in CHINESE_RE.find_iter(text) {
        out.push(Detection::new(
            DetectorKind::Gps,
            trimmed(text, m.range()),
            "北纬/东经 coordinates",
        ));
    }
    for m in HEMISPHERE_RE.find_iter(text) {
        if boundary_ok(text, m.start(), m.end()) && has_degree_or_decimals(m.as_str()) {
            out.push(Detection::new(
                DetectorKind::Gps,
                trimmed(text, m.range()),
                "coordinates with hemisphere letters",
            ));
        }
    }
    for m in LABELLED_RE.find_iter(text) {
        if boundary_ok(text, m.start(), m.end()) {
            out.push(Detection::new(
                DetectorKind::Gps,
                trimmed(text, m.range()),
                "labelled latitude and longitude",
            ));
        }
    }
    for c in PAIR_RE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        if !boundary_ok(text, m.start(), m.end()) {
            continue;
        }
        let decimals = c[1].len().min(c[2].len());
        let labelled = context_has(text, m.start(), 16, COORD_CONTEXT);
        let mut parts = m
            .as_str()
            .split([',', '，'])
            .map(|p| p.trim().parse::<f64>());
        let (Some(Ok(lat)), Some(Ok(lon))) = (parts.next(), parts.next()) else {
            continue;
        };
        let in_range = lat.abs() <= 90.0 && lon.abs() <= 180.0 && lat.abs() >= 1.0;
        if in_range && (decimals >= 4 || (labelled && decimals >= 2)) {
            out.push(Detection::new(
                DetectorKind::Gps,
                m.range(),
                "decimal latitude, longitude pair",
            ));
        }
    }
}

fn boundary_ok(text: &str, start: usize, end: usize) -> bool {
    !char_before(text, start).is_some_and(|c| c.is_ascii_alphanumeric() || c == '.')
        && !char_at(text, end).is_some_and(|c| c.is_ascii_alphanumeric())
}

/// "3 N, 5 E" is a grid reference or a list, not a position.
fn has_degree_or_decimals(s: &str) -> bool {
    s.contains(['°', '′', '\'', '度']) || s.contains('.')
}

fn trimmed(text: &str, r: std::ops::Range<usize>) -> std::ops::Range<usize> {
    let t = text[r.clone()].trim_end();
    r.start..r.start + t.len()
}

/// Decimal latitude and longitude read from a detected coordinate span, in degrees (south and
/// west negative). Used to generalize coordinates to whole degrees.
pub(crate) fn parse(span: &str) -> Option<(f64, f64)> {
    static NUMBER: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"[-+]?[0-9]+(?:\.[0-9]+)?").expect("number pattern"));
    let lower = span.to_lowercase();
    let lat_marker = ["北纬", "南纬", "lat"]
        .iter()
        .filter_map(|w| lower.find(w))
        .min();
    let lon_marker = ["东经", "西经", "lon", "lng"]
        .iter()
        .filter_map(|w| lower.find(w))
        .min();
    let (lat_part, lon_part) = match (lat_marker, lon_marker) {
        (Some(a), Some(b)) if a < b => (&lower[a..b], &lower[b..]),
        (Some(a), Some(b)) => (&lower[a..], &lower[b..a]),
        _ => {
            let letters: Vec<usize> = lower
                .char_indices()
                .filter(|&(i, c)| matches!(c, 'n' | 's' | 'e' | 'w') && standalone(&lower, i))
                .map(|(i, _)| i)
                .collect();
            match letters.as_slice() {
                &[i, j] => {
                    let first_number = lower.find(|c: char| c.is_ascii_digit())?;
                    if i < first_number {
                        (&lower[i..j], &lower[j..])
                    } else {
                        (&lower[..=i], &lower[i + 1..])
                    }
                }
                _ => {
                    let k = lower.find([',', '，'])?;
                    (&lower[..k], &lower[k..])
                }
            }
        }
    };
    // Longitude written first (E 121.47°, N 31.23°): swap the parts.
    let (lat_part, lon_part) = if has_letter(lat_part, 'e') || has_letter(lat_part, 'w') {
        (lon_part, lat_part)
    } else {
        (lat_part, lon_part)
    };
    let degrees = |part: &str| -> Option<f64> {
        let nums: Vec<f64> = NUMBER
            .find_iter(part)
            .filter_map(|m| m.as_str().parse().ok())
            .collect();
        let first = *nums.first()?;
        let sign = if first < 0.0 { -1.0 } else { 1.0 };
        let value = first.abs()
            + nums.get(1).map_or(0.0, |m| m / 60.0)
            + nums.get(2).map_or(0.0, |s| s / 3600.0);
        Some(sign * value)
    };
    let (mut lat, mut lon) = (degrees(lat_part)?, degrees(lon_part)?);
    if lat_part.contains("南纬") || has_letter(lat_part, 's') {
        lat = -lat.abs();
    }
    if lon_part.contains("西经") || has_letter(lon_part, 'w') {
        lon = -lon.abs();
    }
    Some((lat, lon))
}

/// An ASCII letter not touching another ASCII letter (a hemisphere letter, not part of a word).
fn standalone(s: &str, i: usize) -> bool {
    let before = s[..i].chars().next_back();
    let after = s[i + 1..].chars().next();
    !before.is_some_and(|c| c.is_ascii_alphabetic())
        && !after.is_some_and(|c| c.is_ascii_alphabetic())
}

fn has_letter(s: &str, letter: char) -> bool {
    s.char_indices()
        .any(|(i, c)| c == letter && standalone(s, i))
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
    fn coordinate_formats() {
        assert_eq!(
            found("现场北纬31°13′45″，东经121°28′30″。"),
            ["北纬31°13′45″，东经121°28′30″"]
        );
        assert_eq!(
            found("北纬 31.2304°, 东经 121.4737°"),
            ["北纬 31.2304°, 东经 121.4737°"]
        );
        assert_eq!(
            found("site 31.2304° N, 121.4737° E"),
            ["31.2304° N, 121.4737° E"]
        );
        assert_eq!(
            found("at 31°13'45\"N 121°28'30\"E"),
            ["31°13'45\"N 121°28'30\"E"]
        );
        assert_eq!(
            found("lat 31.2304, lon 121.4737"),
            ["lat 31.2304, lon 121.4737"]
        );
        assert_eq!(found("GPS: 36.0671, 120.3826"), ["36.0671, 120.3826"]);
        assert_eq!(found("坐标 36.06, 120.38"), ["36.06, 120.38"]);
    }

    #[test]
    fn measurements_are_not_coordinates() {
        assert!(found("腐蚀速率 0.127, 0.254 mm/a").is_empty());
        assert!(found("pH 6.5, 7.2").is_empty());
        assert!(found("1.5, 2.5 MPa").is_empty());
        assert!(found("0.0051, 0.0127 mm/a").is_empty());
    }

    #[test]
    fn parses_to_decimal_degrees() {
        let (lat, lon) = parse("北纬31°30′，东经121°15′").unwrap();
        assert!((lat - 31.5).abs() < 1e-9 && (lon - 121.25).abs() < 1e-9);
        let (lat, lon) = parse("33.8688° S, 151.2093° E").unwrap();
        assert!(lat < -33.0 && lon > 151.0);
        let (lat, lon) = parse("E 121.4737°, N 31.2304°").unwrap();
        assert!((lat - 31.2304).abs() < 1e-9 && (lon - 121.4737).abs() < 1e-9);
        let (lat, lon) = parse("36.0671, 120.3826").unwrap();
        assert!((lat - 36.0671).abs() < 1e-9 && (lon - 120.3826).abs() < 1e-9);
    }
}
