//! Times as queries take and print them: bounds given on the command line (`--since 90d`,
//! `--until 2026-01-31`), inclusive ranges, RFC 3339 and short UTC forms, calendar months.

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Result};
use attrib_overlay::store::civil;

/// A time bound as given on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// A calendar day (UTC): `--since` starts at its first millisecond, `--until` ends with its
    /// last.
    Day(u64),
    /// An instant, ms since the epoch.
    At(u64),
    /// This long before now.
    Ago(Duration),
}

const DAY_MS: u64 = 86_400_000;

/// Reads a bound: a date (`2026-01-31`), a time (`2026-01-31T12:00:00Z`) or an age (`90d`,
/// `2w`, `12h`). The error is one line, for a command-line parser.
pub fn parse_when(s: &str) -> Result<When, String> {
    let t = s.trim();
    let bad = || {
        format!(
            "cannot read {t:?} as a date (2026-01-31, 2026-01-31T12:00:00Z) or an age (90d, 2w, 12h)"
        )
    };
    if t.is_empty() {
        return Err(bad());
    }
    let b = t.as_bytes();
    if b.len() >= 10 && b[4] == b'-' && b[7] == b'-' {
        if b.len() == 10 {
            let at = humantime::parse_rfc3339(&format!("{t}T00:00:00Z")).map_err(|_| bad())?;
            return Ok(When::Day(epoch_ms(at).ok_or_else(bad)?));
        }
        let at = humantime::parse_rfc3339_weak(t).map_err(|_| bad())?;
        return Ok(When::At(epoch_ms(at).ok_or_else(bad)?));
    }
    // `90d`, `2w`, `12h`, `30m`, `1y`, `1h 30m`: humantime's units.
    let d = humantime::parse_duration(t).map_err(|_| bad())?;
    Ok(When::Ago(d))
}

fn epoch_ms(t: std::time::SystemTime) -> Option<u64> {
    t.duration_since(UNIX_EPOCH)
        .ok()
        .map(|d| d.as_millis() as u64)
}

impl When {
    fn start(self, now_ms: u64) -> u64 {
        match self {
            When::Day(ms) | When::At(ms) => ms,
            When::Ago(d) => now_ms.saturating_sub(d.as_millis() as u64),
        }
    }
    fn end(self, now_ms: u64) -> u64 {
        match self {
            When::Day(ms) => ms + DAY_MS - 1,
            other => other.start(now_ms),
        }
    }
}

/// Inclusive bounds in ms since the epoch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimeRange {
    /// The first millisecond in range.
    #[serde(serialize_with = "as_time")]
    pub since: Option<u64>,
    /// The last millisecond in range.
    #[serde(serialize_with = "as_time")]
    pub until: Option<u64>,
}

fn as_time<S: serde::Serializer>(v: &Option<u64>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(ms) => s.serialize_str(&rfc3339(*ms)),
        None => s.serialize_none(),
    }
}

impl TimeRange {
    /// The range between two bounds, read at `now_ms`; an empty range is an error.
    pub fn new(since: Option<When>, until: Option<When>, now_ms: u64) -> Result<TimeRange> {
        let range = TimeRange {
            since: since.map(|w| w.start(now_ms)),
            until: until.map(|w| w.end(now_ms)),
        };
        if let (Some(s), Some(u)) = (range.since, range.until) {
            if s > u {
                bail!(
                    "--since ({}) is after --until ({}): nothing can match",
                    rfc3339(s),
                    rfc3339(u)
                );
            }
        }
        Ok(range)
    }

    /// True when neither bound is set.
    pub fn is_all(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    /// True when `ms` is in range.
    pub fn contains(&self, ms: u64) -> bool {
        self.since.is_none_or(|s| ms >= s) && self.until.is_none_or(|u| ms <= u)
    }
}

/// `2026-11-22T20:15:47Z`.
pub fn rfc3339(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// Appends `2026-11-22 20:15` (UTC). Hand-rolled rather than formatted by a date crate: `log`
/// prints one per row, and this allocates nothing.
pub fn push_short_time(out: &mut String, ms: u64) {
    use std::fmt::Write as _;
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    let (year, month, day) = civil(days);
    // Writing to a String cannot fail.
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    );
}

/// `2026-11-22 20:15` (UTC).
pub fn short_time(ms: u64) -> String {
    let mut s = String::with_capacity(16);
    push_short_time(&mut s, ms);
    s
}

/// Months since January 1970 of a time (UTC).
pub fn month_index(ms: u64) -> u32 {
    let (year, month, _) = civil((ms / 86_400_000) as i64);
    ((year - 1970) * 12 + month - 1).max(0) as u32
}

/// Days since 1970-01-01 of a time (UTC).
pub fn day_index(ms: u64) -> u32 {
    (ms / 86_400_000) as u32
}

/// `2026-02-03` for a [`day_index`].
pub fn day_label(index: u32) -> String {
    let (year, month, day) = civil(i64::from(index));
    format!("{year:04}-{month:02}-{day:02}")
}

/// Weeks (Monday to Sunday, UTC) since the one holding 1970-01-01, a Thursday.
pub fn week_index(ms: u64) -> u32 {
    (day_index(ms) + 3) / 7
}

/// The Monday a [`week_index`] starts on, as `2026-02-02`.
pub fn week_label(index: u32) -> String {
    let monday = i64::from(index) * 7 - 3;
    let (year, month, day) = civil(monday);
    format!("{year:04}-{month:02}-{day:02}")
}

/// `2026-02` for a [`month_index`].
pub fn month_label(index: u32) -> String {
    format!("{:04}-{:02}", 1970 + index / 12, index % 12 + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_times_and_ages() {
        assert_eq!(parse_when("2026-01-31"), Ok(When::Day(1_769_817_600_000)));
        assert_eq!(
            parse_when("2026-01-31T12:00:00Z"),
            Ok(When::At(1_769_817_600_000 + 12 * 3_600_000))
        );
        assert_eq!(
            parse_when("90d"),
            Ok(When::Ago(Duration::from_secs(90 * 86_400)))
        );
        assert_eq!(
            parse_when("2w"),
            Ok(When::Ago(Duration::from_secs(14 * 86_400)))
        );
        assert_eq!(
            parse_when("12h"),
            Ok(When::Ago(Duration::from_secs(12 * 3600)))
        );
        for bad in ["", "yesterday", "2026-13-01", "2026-02-30", "12x", "-3d"] {
            assert!(parse_when(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_day_is_inclusive_at_both_ends() {
        let day = When::Day(1_769_817_600_000);
        let r = TimeRange::new(Some(day), Some(day), 0).unwrap();
        assert!(r.contains(1_769_817_600_000));
        assert!(r.contains(1_769_817_600_000 + DAY_MS - 1));
        assert!(!r.contains(1_769_817_600_000 + DAY_MS));
        assert!(!r.contains(1_769_817_600_000 - 1));
        let ago = TimeRange::new(Some(When::Ago(Duration::from_secs(10))), None, 100_000).unwrap();
        assert!(ago.contains(90_000) && !ago.contains(89_999));
        assert!(TimeRange::new(Some(When::At(5)), Some(When::At(4)), 0).is_err());
    }

    #[test]
    fn short_time_matches_rfc3339() {
        for ms in [
            0u64,
            951_782_400_000,
            1_700_000_000_123,
            4_102_444_800_000,
            1_790_000_000_000,
        ] {
            let full = rfc3339(ms);
            assert_eq!(
                short_time(ms),
                format!("{} {}", &full[..10], &full[11..16]),
                "at {ms}"
            );
        }
    }

    #[test]
    fn months_count_from_1970() {
        assert_eq!(month_index(0), 0);
        // 2026-01-31T00:00:00Z and 2026-02-01T00:00:00Z
        assert_eq!(month_index(1_769_817_600_000), 56 * 12);
        assert_eq!(month_index(1_769_904_000_000), 56 * 12 + 1);
        assert_eq!(month_label(56 * 12 + 1), "2026-02");
    }

    #[test]
    fn days_and_weeks_from_monday() {
        // 2026-02-04T10:00:00Z is a Wednesday; its week starts on Monday 2026-02-02.
        let wed = 1_770_199_200_000;
        assert_eq!(day_label(day_index(wed)), "2026-02-04");
        assert_eq!(week_label(week_index(wed)), "2026-02-02");
        // Sunday 2026-02-08 is in the same week, Monday 2026-02-09 starts the next.
        assert_eq!(week_index(wed + 4 * 86_400_000), week_index(wed));
        assert_eq!(week_label(week_index(wed + 5 * 86_400_000)), "2026-02-09");
        assert_eq!(day_label(0), "1970-01-01");
        assert_eq!(week_label(0), "1969-12-29");
    }
}
