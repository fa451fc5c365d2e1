//! Timestamps in responses: RFC 3339 in UTC, the text chrono's own `Serialize` writes
//! (`2026-12-05T19:05:28.123456Z`, as many fraction digits as the value needs: 0, 3, 6 or 9),
//! written into a stack buffer. chrono writes it through `fmt` one character at a time, which
//! took a tenth of a page of posts' time in the service (a profile under `bench/blog_load.rs`).

use chrono::{DateTime, Datelike, Timelike, Utc};
use serde::{Serialize, Serializer};

/// The longest text written here: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const MAX_LEN: usize = 30;

/// Serializes `time` as chrono does (for `#[serde(serialize_with = "…")]`).
///
/// # Errors
///
/// The serializer's.
pub fn serialize<S: Serializer>(time: &DateTime<Utc>, serializer: S) -> Result<S::Ok, S::Error> {
    let mut buffer = [0u8; MAX_LEN];
    match write(time, &mut buffer) {
        // Only ASCII digits and separators were written.
        Some(len) => serializer.serialize_str(std::str::from_utf8(&buffer[..len]).unwrap_or_default()),
        None => time.serialize(serializer),
    }
}

/// Writes `time` into `out` and returns its length; `None` for what the short form does not
/// cover (years outside 0 to 9999, leap seconds), which chrono writes itself.
fn write(time: &DateTime<Utc>, out: &mut [u8; MAX_LEN]) -> Option<usize> {
    let year = u32::try_from(time.year()).ok().filter(|year| *year <= 9999)?;
    let nanos = time.nanosecond();
    if nanos >= 1_000_000_000 {
        return None;
    }
    digits(&mut out[0..4], year);
    out[4] = b'-';
    digits(&mut out[5..7], time.month());
    out[7] = b'-';
    digits(&mut out[8..10], time.day());
    out[10] = b'T';
    digits(&mut out[11..13], time.hour());
    out[13] = b':';
    digits(&mut out[14..16], time.minute());
    out[16] = b':';
    digits(&mut out[17..19], time.second());
    let mut len = 19;
    let (fraction, places) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    if places > 0 {
        out[len] = b'.';
        digits(&mut out[len + 1..len + 1 + places], fraction);
        len += 1 + places;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// Writes `value` in decimal, zero-padded to fill `out`.
fn digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    fn ours(time: &DateTime<Utc>) -> String {
        let mut serializer = serde_json::Serializer::new(Vec::new());
        serialize(time, &mut serializer).expect("serializes");
        String::from_utf8(serializer.into_inner()).expect("UTF-8")
    }

    fn check(time: DateTime<Utc>) {
        assert_eq!(ours(&time), serde_json::to_string(&time).expect("chrono serializes"), "{time:?}");
    }

    #[test]
    fn the_text_is_chronos_for_every_precision_and_edge() {
        let base = Utc.with_ymd_and_hms(2026, 12, 5, 19, 5, 28).single().expect("a valid time");
        for nanos in [0, 1, 9, 10, 999, 1_000, 120_000, 123_456_000, 1_000_000, 7_000_000, 500_000_000, 999_999_999] {
            check(base + chrono::Duration::nanoseconds(nanos));
        }
        for (y, m, d, h, mi, s) in
            [(0, 1, 1, 0, 0, 0), (1, 2, 3, 4, 5, 6), (999, 12, 31, 23, 59, 59), (9999, 12, 31, 23, 59, 59)]
        {
            check(Utc.with_ymd_and_hms(y, m, d, h, mi, s).single().expect("a valid time"));
        }
        // Outside the short form: chrono writes these itself.
        check(Utc.with_ymd_and_hms(10_000, 1, 1, 0, 0, 0).single().expect("a valid time"));
        check(Utc.with_ymd_and_hms(-1, 1, 1, 0, 0, 0).single().expect("a valid time"));
        let leap = NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|day| day.and_hms_nano_opt(23, 59, 59, 1_500_000_000))
            .expect("a leap second");
        check(Utc.from_utc_datetime(&leap));
    }

    #[test]
    fn many_instants_read_the_same_as_chrono() {
        // A deterministic spread over four centuries, at every fraction precision.
        let mut seconds: i64 = 0;
        for step in 0..20_000i64 {
            seconds = (seconds + 7_919 * 86_400 + step * 3_617) % (400 * 365 * 86_400);
            let nanos = u32::try_from((step * 104_729) % 1_000_000_000).expect("fits");
            let nanos = match step % 4 {
                0 => 0,
                1 => nanos / 1_000_000 * 1_000_000,
                2 => nanos / 1_000 * 1_000,
                _ => nanos,
            };
            check(DateTime::from_timestamp(seconds + 946_684_800 - 200 * 365 * 86_400, nanos).expect("in range"));
        }
    }
}
