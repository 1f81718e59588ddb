//! Time, in one place: [`Ts`], a naive-UTC timestamp as the seed's columns hold it (with its codec for each
//! database), and [`Clock`], the one source of "now" for everything the app decides by time (throttling
//! windows, link and challenge expiry, sessions, mail). Tests move a clock forward instead of sleeping.

use std::{
    sync::atomic::{AtomicI64, Ordering},
    time::Duration,
};

use chrono::{NaiveDateTime, Timelike, Utc};
use sqlx::{encode::IsNull, error::BoxDynError, Decode, Encode, Postgres, Sqlite, Type, TypeInfo, Value, ValueRef};

/// A timestamp in naive UTC, as the seed's columns hold it (`datetime.utcnow()`), to the microsecond.
/// SQLite stores it as text `YYYY-MM-DD HH:MM:SS.ffffff` with always six digits, so that text order is
/// time order and SQLAlchemy reads our rows back; PostgreSQL as `timestamp without time zone`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ts(pub NaiveDateTime);

impl Ts {
    /// The system's time; everything else asks a [`Clock`].
    fn system_now() -> Ts {
        let now = Utc::now().naive_utc();
        Ts(now.with_nanosecond(now.nanosecond() / 1000 * 1000).unwrap_or(now))
    }
    pub fn from_unix(secs: i64) -> Ts {
        Ts(chrono::DateTime::from_timestamp(secs, 0).unwrap_or_default().naive_utc())
    }
    pub fn plus(self, d: Duration) -> Ts {
        Ts(self.0 + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero()))
    }
    pub fn minus(self, d: Duration) -> Ts {
        Ts(self.0 - chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero()))
    }
}

impl Type<Sqlite> for Ts {
    fn type_info() -> sqlx::sqlite::SqliteTypeInfo {
        <String as Type<Sqlite>>::type_info()
    }
    /// Reads whatever a `NaiveDateTime` reads (text, integer or real columns).
    fn compatible(ty: &sqlx::sqlite::SqliteTypeInfo) -> bool {
        <NaiveDateTime as Type<Sqlite>>::compatible(ty)
    }
}
/// Rows decode straight into `Ts`. Our own text form (and SQLAlchemy's), `YYYY-MM-DD HH:MM:SS[.f…]`, is
/// read by [`parse_sqlite_text`]; anything else goes to sqlx's `NaiveDateTime` decoder, which tries RFC 3339
/// and a dozen strftime patterns in turn. That search was 18% of the instructions of `GET /api/tasks` on
/// SQLite (40 timestamps per 20-task page; see BENCHMARKS.md); the result is the same value either way.
impl<'r> Decode<'r, Sqlite> for Ts {
    fn decode(value: sqlx::sqlite::SqliteValueRef<'r>) -> Result<Self, BoxDynError> {
        // For a row's value this is a reference-count increment, kept for the fallback.
        let owned = value.to_owned();
        if value.type_info().name() == "TEXT" {
            if let Some(t) = <&str as Decode<Sqlite>>::decode(value).ok().and_then(parse_sqlite_text) {
                return Ok(Ts(t));
            }
        }
        <NaiveDateTime as Decode<Sqlite>>::decode(owned.as_ref()).map(Ts)
    }
}

/// Exactly `YYYY-MM-DD HH:MM:SS` with an optional `.` and 1 to 9 digits, as sqlx's first matching pattern
/// (`%F %T%.f`) reads it; `None` for any other text (including a leap second), which is then left to sqlx.
fn parse_sqlite_text(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19 || b[4] != b'-' || b[7] != b'-' || b[10] != b' ' || b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<u32> {
        b[r].iter().try_fold(0u32, |n, &c| c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0')))
    };
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', digits @ ..] if (1..=9).contains(&digits.len()) => {
            num(20..b.len())? * 10u32.pow(9 - digits.len() as u32)
        }
        _ => return None,
    };
    let (sec, min, hour) = (num(17..19)?, num(14..16)?, num(11..13)?);
    if sec > 59 {
        return None;
    }
    chrono::NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?.and_hms_nano_opt(hour, min, sec, nanos)
}
impl<'q> Encode<'q, Sqlite> for Ts {
    fn encode_by_ref(&self, buf: &mut Vec<sqlx::sqlite::SqliteArgumentValue<'q>>) -> Result<IsNull, BoxDynError> {
        Encode::<Sqlite>::encode(self.0.format("%Y-%m-%d %H:%M:%S%.6f").to_string(), buf)
    }
}
impl Type<Postgres> for Ts {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <NaiveDateTime as Type<Postgres>>::type_info()
    }
}
impl<'r> Decode<'r, Postgres> for Ts {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, BoxDynError> {
        <NaiveDateTime as Decode<Postgres>>::decode(value).map(Ts)
    }
}
impl Encode<'_, Postgres> for Ts {
    fn encode_by_ref(&self, buf: &mut sqlx::postgres::PgArgumentBuffer) -> Result<IsNull, BoxDynError> {
        Encode::<Postgres>::encode_by_ref(&self.0, buf)
    }
}
impl From<NaiveDateTime> for Ts {
    fn from(t: NaiveDateTime) -> Self {
        Ts(t)
    }
}

/// The time the app decides by: real time, plus an offset that tests move forward instead of sleeping
/// through a window. One per process ([`crate::state::AppState`] holds it, the mail worker shares it).
#[derive(Default, Debug)]
pub struct Clock {
    offset_secs: AtomicI64,
}

impl Clock {
    pub fn now(&self) -> Ts {
        let now = Ts::system_now();
        let offset = self.offset_secs.load(Ordering::Relaxed);
        if offset == 0 {
            now
        } else {
            Ts(now.0 + chrono::Duration::seconds(offset))
        }
    }

    pub fn advance(&self, by: Duration) {
        self.offset_secs.fetch_add(by.as_secs() as i64, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_text_timestamps_read_as_sqlx_reads_them() {
        let chrono = |s: &str| NaiveDateTime::parse_from_str(s, "%F %T%.f").ok();
        for s in [
            "2026-11-26 11:37:05.529698",
            "2026-11-26 11:37:05",
            "2026-11-26 11:37:05.5",
            "2026-11-26 11:37:05.123456789",
            "1999-12-31 23:59:59.000001",
            "2024-02-29 00:00:00.000000",
            "0001-01-01 00:00:00.0",
        ] {
            assert_eq!(parse_sqlite_text(s), chrono(s), "{s}");
            assert!(parse_sqlite_text(s).is_some(), "{s}");
        }
        // Anything else is left to sqlx's own decoder (which also reads RFC 3339, offsets, `T`, …).
        for s in [
            "2026-11-26T11:37:05.529698",
            "2026-11-26 11:37:05Z",
            "2026-11-26 11:37:05.",
            "2026-11-26 11:37:05.1234567890",
            "2026-11-26 11:37:60",
            "2023-02-29 00:00:00",
            "2026-13-01 00:00:00",
            "2026-1-01 00:00:00",
            "2026-11-26 24:00:00",
            "+2026-11-26 11:37:05",
            "2026-11-26 11:37",
            "",
        ] {
            assert_eq!(parse_sqlite_text(s), None, "{s}");
        }
    }
}
