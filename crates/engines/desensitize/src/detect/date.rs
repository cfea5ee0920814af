//! Calendar dates. The default policy keeps them (the date of a failure is technical
//! content); a policy may generalize them to the month.

use std::sync::LazyLock;

use regex::Regex;

use super::{Detection, checksum::valid_date, is_ascii_digit, isolated};
use crate::kind::DetectorKind;

static NUMERIC_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"((?:19|20)[0-9]{2})\s?(?:年\s?([0-9]{1,2})\s?月(?:\s?([0-9]{1,2})\s?[日号])?|[-/.]([0-9]{1,2})(?:[-/.]([0-9]{1,2}))?)",
    )
    .expect("numeric date pattern")
});

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

static ENGLISH_RE: LazyLock<Regex> = LazyLock::new(|| {
    let m = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?";
    Regex::new(&format!(
        r"[0-9]{{1,2}}\s{m}\s(?:19|20)[0-9]{{2}}|{m}\s[0-9]{{1,2}},?\s(?:19|20)[0-9]{{2}}|{m}\s(?:19|20)[0-9]{{2}}"
    ))
    .expect("english date pattern")
});

pub(crate) fn detect(text: &str, out: &mut Vec<Detection>) {
    for c in NUMERIC_RE.captures_iter(text) {
        let m = c.get(0).expect("whole match");
        if !isolated(text, m.start(), m.end(), is_ascii_digit) {
            continue;
        }
        let year: u32 = c[1].parse().unwrap_or(0);
        let month: u32 = c
            .get(2)
            .or(c.get(4))
            .map_or(0, |x| x.as_str().parse().unwrap_or(0));
        let day: Option<u32> = c
            .get(3)
            .or(c.get(5))
            .map(|x| x.as_str().parse().unwrap_or(0));
        let ok = match day {
            Some(d) => valid_date(year, month, d),
            None => (1..=12).contains(&month),
        };
        // "2016.5" alone is more often a number than a date; a month-only numeric form needs
        // the Chinese 年…月 spelling or a hyphen/slash.
        let month_only_ambiguous = day.is_none() && c.get(4).is_some() && m.as_str().contains('.');
        if ok && !month_only_ambiguous {
            out.push(Detection::new(
                DetectorKind::Date,
                m.range(),
                "calendar date",
            ));
        }
    }
    for m in ENGLISH_RE.find_iter(text) {
        if isolated(text, m.start(), m.end(), |c| c.is_ascii_alphanumeric()) {
            out.push(Detection::new(
                DetectorKind::Date,
                m.range(),
                "calendar date",
            ));
        }
    }
}

/// The month a detected date falls in, written like the original: "2023年8月", "2023-08" or
/// "August 2023".
pub(crate) fn to_month(span: &str) -> Option<String> {
    if let Some(c) = NUMERIC_RE.captures(span) {
        let year = &c[1];
        let month: u32 = c.get(2).or(c.get(4))?.as_str().parse().ok()?;
        return Some(if span.contains('年') {
            format!("{year}年{month}月")
        } else {
            format!("{year}-{month:02}")
        });
    }
    let lower = span.to_lowercase();
    let month = MONTHS.iter().position(|m| lower.contains(&m[..3]))?;
    let year = lower
        .split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 4)?;
    let name = MONTHS[month];
    Some(format!("{}{} {year}", name[..1].to_uppercase(), &name[1..]))
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
    fn dates_in_several_spellings() {
        assert_eq!(found("2023年8月15日发现泄漏"), ["2023年8月15日"]);
        assert_eq!(found("on 2023-08-15."), ["2023-08-15"]);
        assert_eq!(found("自2021年3月起"), ["2021年3月"]);
        assert_eq!(found("on 15 August 2023"), ["15 August 2023"]);
        assert_eq!(found("Aug. 15, 2023"), ["Aug. 15, 2023"]);
    }

    #[test]
    fn standard_numbers_and_impossible_dates_are_not_dates() {
        assert!(found("GB/T 3620.1-2016").is_empty());
        assert!(found("2023-02-30").is_empty());
        assert!(found("NB/T 47013.3-2015").is_empty());
        assert!(found("2016.5").is_empty());
    }

    #[test]
    fn generalizes_to_the_month() {
        assert_eq!(to_month("2023年8月15日").unwrap(), "2023年8月");
        assert_eq!(to_month("2023-08-15").unwrap(), "2023-08");
        assert_eq!(to_month("15 August 2023").unwrap(), "August 2023");
        assert_eq!(to_month("Sept 3, 2021").unwrap(), "September 2021");
    }
}
