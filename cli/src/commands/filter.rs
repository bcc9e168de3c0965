//! What `attrib log` and `attrib stats` select by, shared by both: time bounds (`--since 90d`,
//! `--until 2026-01-31`), the reviews of every patch, and a patch id usable as a map key
//! without allocating.

use std::collections::HashMap;
use std::fmt;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{bail, Result};
use attrib_overlay::peek::PatchRef;
use attrib_overlay::{PatchId, PublicKey, Snapshot, ViewKind};

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

/// Clap's parser for `--since` / `--until`.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TimeRange {
    pub since: Option<u64>,
    pub until: Option<u64>,
}

impl TimeRange {
    pub fn new(since: Option<When>, until: Option<When>, now_ms: u64) -> Result<TimeRange> {
        let range = TimeRange {
            since: since.map(|w| w.start(now_ms)),
            until: until.map(|w| w.end(now_ms)),
        };
        if let (Some(s), Some(u)) = (range.since, range.until) {
            if s > u {
                bail!(
                    "--since ({}) is after --until ({}): nothing can match",
                    crate::render::time(s),
                    crate::render::time(u)
                );
            }
        }
        Ok(range)
    }

    pub fn is_all(&self) -> bool {
        self.since.is_none() && self.until.is_none()
    }

    pub fn contains(&self, ms: u64) -> bool {
        self.since.is_none_or(|s| ms >= s) && self.until.is_none_or(|u| ms <= u)
    }

    /// The bounds as RFC 3339 times, for JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::json!({
            "since": self.since.map(crate::render::time),
            "until": self.until.map(crate::render::time),
        })
    }
}

/// A patch id as a map key: the 53-character change hashes (nearly every id) inline, others
/// boxed. Equal exactly when the printed ids are equal.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum PatchKey {
    Hash([u8; 53]),
    Other(Box<str>),
}

struct Fixed53 {
    buf: [u8; 53],
    len: usize,
}

impl fmt::Write for Fixed53 {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        if end > 53 {
            return Err(fmt::Error);
        }
        self.buf[self.len..end].copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

impl PatchKey {
    fn from_str(s: &str) -> PatchKey {
        match <[u8; 53]>::try_from(s.as_bytes()) {
            Ok(b) => PatchKey::Hash(b),
            Err(_) => PatchKey::Other(s.into()),
        }
    }

    pub fn of_ref(p: &PatchRef<'_>) -> PatchKey {
        match p {
            PatchRef::Text(s) => PatchKey::from_str(s),
            PatchRef::Hash(_) => {
                use std::fmt::Write as _;
                let mut f = Fixed53 {
                    buf: [0; 53],
                    len: 0,
                };
                match write!(f, "{p}") {
                    Ok(()) if f.len == 53 => PatchKey::Hash(f.buf),
                    _ => PatchKey::Other(p.to_string().into()),
                }
            }
        }
    }

    pub fn of_id(p: &PatchId) -> PatchKey {
        PatchKey::from_str(p.as_str())
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Patch ids are ASCII.
            PatchKey::Hash(b) => std::str::from_utf8(b).unwrap_or(""),
            PatchKey::Other(s) => s,
        }
    }
}

/// The current reviews of one patch.
#[derive(Clone, Debug, Default)]
pub struct Reviewed {
    pub patch: Option<PatchId>,
    pub count: u32,
    pub seconds: u64,
    /// The earliest review's time.
    pub first_ms: u64,
    pub reviewers: Vec<PublicKey>,
}

/// Every patch's current reviews: the view index says which entries are reviews, and only
/// those are read.
pub fn reviews(snap: &Snapshot<'_>) -> Result<HashMap<PatchKey, Reviewed>> {
    let mut out: HashMap<PatchKey, Reviewed> = HashMap::new();
    for row in snap.view_rows()? {
        let row = row?;
        if row.kind != ViewKind::Review {
            continue;
        }
        let body = snap.stored_body(row.offset)?;
        let Some(rv) = body.peek_review() else {
            bail!(
                "the store is damaged: log entry at {} is not a review",
                row.offset
            );
        };
        let slot = out.entry(PatchKey::of_ref(&rv.patch)).or_default();
        if slot.patch.is_none() {
            slot.patch = Some(PatchId::new(&rv.patch.to_string())?);
        }
        slot.count += 1;
        slot.seconds += u64::from(rv.seconds);
        slot.first_ms = if slot.count == 1 {
            rv.timestamp_ms
        } else {
            slot.first_ms.min(rv.timestamp_ms)
        };
        if let Some(k) = snap.authors().get(row.author as usize) {
            slot.reviewers.push(*k);
        }
    }
    Ok(out)
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
    fn patch_keys_compare_by_text() {
        let mut raw = [0u8; 33];
        raw[1] = 7;
        let id = PatchId::from_change_hash(&raw);
        assert!(PatchKey::of_ref(&PatchRef::Hash(&raw)) == PatchKey::of_id(&id));
        assert_eq!(PatchKey::of_id(&id).as_str(), id.as_str());
        let text = PatchId::new("P-1").unwrap();
        assert!(PatchKey::of_ref(&PatchRef::Text("P-1")) == PatchKey::of_id(&text));
    }
}
