//! Five-field cron expressions (`minute hour day-of-month month day-of-week`), in UTC.
//!
//! Each field is `*`, a number, a range `a-b`, a list `a,b,c`, or any of these with a step
//! (`*/15`, `8-18/2`). Months and weekdays also take English three-letter names (`jan`,
//! `mon`); Sunday is 0 or 7. As in classic cron, when both day-of-month and day-of-week are
//! restricted, a day matches if either does. Our own parser rather than a crate: the
//! candidates pull in `chrono` next to the `time` crate the platform already uses, and the
//! grammar is small enough to test exhaustively here.

use std::fmt;
use std::str::FromStr;

use ticorr_kernel::Timestamp;
use time::{Duration, OffsetDateTime, Time};

/// A parsed cron expression.
#[derive(Clone, PartialEq, Eq)]
pub struct Cron {
    text: String,
    minutes: u64,
    hours: u64,
    days: u64,
    months: u64,
    weekdays: u64,
    days_any: bool,
    weekdays_any: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid cron expression `{expr}`: {reason}")]
pub struct CronError {
    pub expr: String,
    pub reason: String,
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];
const WEEKDAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];

fn value(s: &str, min: u32, max: u32, names: &[&str], name_base: u32) -> Result<u32, String> {
    let lower = s.to_ascii_lowercase();
    if let Some(i) = names.iter().position(|n| *n == lower) {
        return Ok(i as u32 + name_base);
    }
    let v: u32 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number or a name"))?;
    if v < min || v > max {
        return Err(format!("{v} is outside {min}-{max}"));
    }
    Ok(v)
}

/// Parses one field into a bit set; returns it and whether the field was a bare `*`.
fn field(
    s: &str,
    min: u32,
    max: u32,
    names: &[&str],
    name_base: u32,
) -> Result<(u64, bool), String> {
    let mut bits = 0u64;
    for part in s.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, st)) => {
                let step: u32 = st
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| format!("`{st}` is not a positive step"))?;
                (r, step)
            }
            None => (part, 1),
        };
        let (lo, hi) = if range == "*" {
            (min, max)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = value(a, min, max, names, name_base)?;
            let b = value(b, min, max, names, name_base)?;
            if a > b {
                return Err(format!("the range `{range}` runs backwards"));
            }
            (a, b)
        } else {
            let a = value(range, min, max, names, name_base)?;
            // `5/15` means from 5 to the end, every 15.
            (a, if part.contains('/') { max } else { a })
        };
        let mut v = lo;
        while v <= hi {
            bits |= 1 << v;
            v += step;
        }
    }
    Ok((bits, s == "*"))
}

impl FromStr for Cron {
    type Err = CronError;

    fn from_str(expr: &str) -> Result<Self, CronError> {
        let err = |reason: String| CronError {
            expr: expr.to_owned(),
            reason,
        };
        let fields: Vec<&str> = expr.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(err(format!(
                "expected 5 fields (minute hour day month weekday), found {}",
                fields.len()
            )));
        }
        let (minutes, _) = field(fields[0], 0, 59, &[], 0).map_err(&err)?;
        let (hours, _) = field(fields[1], 0, 23, &[], 0).map_err(&err)?;
        let (days, days_any) = field(fields[2], 1, 31, &[], 0).map_err(&err)?;
        let (months, _) = field(fields[3], 1, 12, &MONTHS, 1).map_err(&err)?;
        let (mut weekdays, weekdays_any) = field(fields[4], 0, 7, &WEEKDAYS, 0).map_err(&err)?;
        if weekdays & (1 << 7) != 0 {
            weekdays |= 1;
            weekdays &= !(1 << 7);
        }
        Ok(Cron {
            text: fields.join(" "),
            minutes,
            hours,
            days,
            months,
            weekdays,
            days_any,
            weekdays_any,
        })
    }
}

impl fmt::Display for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Cron {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Cron({})", self.text)
    }
}

fn has(bits: u64, v: u8) -> bool {
    bits & (1 << v) != 0
}

impl Cron {
    fn day_matches(&self, t: OffsetDateTime) -> bool {
        let dom = has(self.days, t.day());
        let dow = has(self.weekdays, t.weekday().number_days_from_sunday());
        match (self.days_any, self.weekdays_any) {
            (true, true) => true,
            (true, false) => dow,
            (false, true) => dom,
            (false, false) => dom || dow,
        }
    }

    /// The first time strictly after `after` that the expression matches, to the minute;
    /// `None` when it never matches (e.g. `0 0 31 2 *`) within five years.
    pub fn next_after(&self, after: Timestamp) -> Option<Timestamp> {
        let start = after.inner();
        // The next whole minute after `after`.
        let mut t = start.replace_time(Time::from_hms(start.hour(), start.minute(), 0).ok()?)
            + Duration::minutes(1);
        let limit = start + Duration::days(5 * 366);
        while t <= limit {
            if !has(self.months, u8::from(t.month())) {
                // First minute of the next month.
                let (y, m) = if t.month() == time::Month::December {
                    (t.year() + 1, time::Month::January)
                } else {
                    (t.year(), t.month().next())
                };
                t = t.replace_day(1).ok()?.replace_time(Time::MIDNIGHT);
                t = t.replace_year(y).ok()?.replace_month(m).ok()?;
                continue;
            }
            if !self.day_matches(t) {
                t = t.replace_time(Time::MIDNIGHT) + Duration::days(1);
                continue;
            }
            if !has(self.hours, t.hour()) {
                t = t.replace_time(Time::from_hms(t.hour(), 0, 0).ok()?) + Duration::hours(1);
                continue;
            }
            if !has(self.minutes, t.minute()) {
                t += Duration::minutes(1);
                continue;
            }
            return Some(Timestamp::from_offset(t));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        Timestamp::parse(s).unwrap()
    }

    fn next(expr: &str, after: &str) -> String {
        expr.parse::<Cron>()
            .unwrap()
            .next_after(at(after))
            .map(|t| t.to_rfc3339())
            .unwrap_or_default()
    }

    #[test]
    fn common_expressions_find_their_next_time() {
        let t = "2026-11-28T08:17:42Z";
        assert_eq!(
            next("* * * * *", t),
            at("2026-11-28T08:18:00Z").to_rfc3339()
        );
        assert_eq!(
            next("*/15 * * * *", t),
            at("2026-11-28T08:30:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 3 * * *", t),
            at("2026-11-29T03:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("30 8-18/2 * * *", t),
            at("2026-11-28T08:30:00Z").to_rfc3339()
        );
        // 2026-11-28 is a Saturday; the next Monday is the 30th.
        assert_eq!(
            next("0 9 * * mon", t),
            at("2026-11-30T09:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 9 * * 1-5", t),
            at("2026-11-30T09:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 0 1 * *", t),
            at("2026-12-01T00:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 0 1 jan *", t),
            at("2027-01-01T00:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 0 29 2 *", t),
            at("2028-02-29T00:00:00Z").to_rfc3339()
        );
        // Sunday as 7; and day-of-month OR day-of-week when both are restricted.
        assert_eq!(
            next("0 0 * * 7", t),
            at("2026-11-29T00:00:00Z").to_rfc3339()
        );
        assert_eq!(
            next("0 0 15 * 0", t),
            at("2026-11-29T00:00:00Z").to_rfc3339()
        );
        // Strictly after: an exact match moves on.
        assert_eq!(
            next("0 3 * * *", "2026-11-29T03:00:00Z"),
            at("2026-11-30T03:00:00Z").to_rfc3339()
        );
        assert_eq!(next("0 0 31 2 *", t), "", "never");
    }

    #[test]
    fn bad_expressions_are_refused_with_a_reason() {
        for bad in [
            "",
            "* * * *",
            "* * * * * *",
            "60 * * * *",
            "* 24 * * *",
            "* * 0 * *",
            "* * * 13 *",
            "* * * * 8",
            "5-1 * * * *",
            "*/0 * * * *",
            "x * * * *",
            "1,,2 * * * *",
        ] {
            let e = bad.parse::<Cron>().expect_err(bad);
            assert!(e.to_string().contains("invalid cron"), "{e}");
        }
    }

    #[test]
    fn the_next_time_matches_and_nothing_in_between_does() {
        // Brute force over minutes as the oracle, for a handful of expressions.
        let start = at("2026-02-27T22:58:00Z");
        for expr in ["*/7 * * * *", "0 0 * * 0", "15 1,13 1-3 * *", "0 0 29 * *"] {
            let cron: Cron = expr.parse().unwrap();
            let got = cron.next_after(start).unwrap().inner();
            let mut t = start.inner() + Duration::minutes(1);
            while t < got {
                let matches = has(cron.minutes, t.minute())
                    && has(cron.hours, t.hour())
                    && has(cron.months, u8::from(t.month()))
                    && cron.day_matches(t);
                assert!(!matches, "{expr}: {t} matches before {got}");
                t += Duration::minutes(1);
            }
            assert!(
                has(cron.minutes, got.minute()) && cron.day_matches(got),
                "{expr}"
            );
        }
    }
}
