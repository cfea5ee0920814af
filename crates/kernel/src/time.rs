//! Time: UTC timestamps with one text form on every engine, and a replaceable clock.
//!
//! Timestamps are stored as fixed-width RFC 3339 text in UTC with microseconds
//! (`2026-11-28T16:48:02.123456Z`), so they sort lexically in the same order as in time on
//! SQLite and PostgreSQL alike, and read the same in a database console as in the API.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};
use time::format_description::FormatItem;
use time::macros::format_description;
use time::{Duration, OffsetDateTime, UtcOffset};

const STORAGE_FORMAT: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:6]Z");

/// A point in time, always UTC.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp(OffsetDateTime);

#[derive(Debug, thiserror::Error)]
#[error("not an RFC 3339 timestamp: `{0}`")]
pub struct TimestampError(String);

impl Timestamp {
    pub fn from_offset(t: OffsetDateTime) -> Self {
        // Storage keeps microseconds; truncate here so a value read back equals the original.
        let t = t.to_offset(UtcOffset::UTC);
        let micros = t.microsecond();
        Self(
            t.replace_microsecond(micros)
                .expect("microsecond is in range"),
        )
    }

    pub fn from_unix_micros(micros: i64) -> Self {
        let t =
            OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000).expect("in range");
        Self(t)
    }

    pub fn unix_micros(self) -> i64 {
        (self.0.unix_timestamp_nanos() / 1000) as i64
    }

    pub fn inner(self) -> OffsetDateTime {
        self.0
    }

    /// The storage and API text form.
    pub fn to_rfc3339(self) -> String {
        self.0.format(STORAGE_FORMAT).expect("format is valid")
    }

    /// Parses any RFC 3339 timestamp, converting it to UTC.
    pub fn parse(s: &str) -> Result<Self, TimestampError> {
        OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
            .map(Self::from_offset)
            .map_err(|_| TimestampError(s.to_owned()))
    }

    /// The calendar date in UTC (`YYYY-MM-DD`).
    pub fn date_string(self) -> String {
        self.to_rfc3339()[..10].to_owned()
    }

    /// Date and minute for people (`YYYY-MM-DD HH:MM UTC`).
    pub fn human(self) -> String {
        let s = self.to_rfc3339();
        format!("{} {} UTC", &s[..10], &s[11..16])
    }

    pub fn plus(self, d: Duration) -> Self {
        Self(self.0 + d)
    }

    pub fn minus(self, d: Duration) -> Self {
        Self(self.0 - d)
    }
}

impl std::str::FromStr for Timestamp {
    type Err = TimestampError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Timestamp::parse(s)
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_rfc3339())
    }
}

impl Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_rfc3339())
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Timestamp::parse(&s).map_err(serde::de::Error::custom)
    }
}

impl utoipa::PartialSchema for Timestamp {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::DateTime,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Timestamp {}

/// Where "now" comes from. Production uses the system clock; tests move a fixed clock
/// forward to cross session timeouts and lock expiries without sleeping.
#[derive(Clone)]
pub struct Clock(Arc<ClockKind>);

enum ClockKind {
    System,
    Manual(AtomicI64),
}

impl Clock {
    pub fn system() -> Self {
        Clock(Arc::new(ClockKind::System))
    }

    /// A clock that stands still at `start` until [`Clock::advance`] is called.
    pub fn manual(start: Timestamp) -> Self {
        Clock(Arc::new(ClockKind::Manual(AtomicI64::new(
            start.unix_micros(),
        ))))
    }

    pub fn now(&self) -> Timestamp {
        match &*self.0 {
            ClockKind::System => Timestamp::from_offset(OffsetDateTime::now_utc()),
            ClockKind::Manual(micros) => Timestamp::from_unix_micros(micros.load(Ordering::SeqCst)),
        }
    }

    /// Moves a manual clock forward; a system clock cannot be moved and ignores the call.
    pub fn advance(&self, by: Duration) {
        if let ClockKind::Manual(micros) = &*self.0 {
            micros.fetch_add(by.whole_microseconds() as i64, Ordering::SeqCst);
        }
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &*self.0 {
            ClockKind::System => f.write_str("Clock::System"),
            ClockKind::Manual(_) => write!(f, "Clock::Manual({})", self.now()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn storage_form_round_trips_and_sorts_like_time() {
        let a = Timestamp::parse("2026-01-02T03:04:05.5+08:00").unwrap();
        assert_eq!(a.to_rfc3339(), "2026-01-01T19:04:05.500000Z");
        assert_eq!(Timestamp::parse(&a.to_rfc3339()).unwrap(), a);
        let b = a.plus(Duration::microseconds(1));
        assert!(a.to_rfc3339() < b.to_rfc3339());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let clock = Clock::manual(Timestamp::parse("2026-11-28T00:00:00Z").unwrap());
        let t0 = clock.now();
        clock.advance(Duration::minutes(31));
        assert_eq!(clock.now(), t0.plus(Duration::minutes(31)));
    }
}
