//! `git log -z` with attrib's format (`vcs-adapter/src/git/log.rs`): commits, their parents,
//! author times, names and messages, each turned into a change.
//!
//! Contract: no panic; output of another shape is an `Err`; a change's RFC 3339 timestamp
//! (written from the author time) reads back as its milliseconds, for any time from 1970 to
//! the year 9999.
#![no_main]

use attrib_vcs_adapter::git::fuzzing::log;
use attrib_vcs_adapter::pijul::parse_timestamp_ms;
use libfuzzer_sys::fuzz_target;

/// 10000-01-01T00:00:00Z in milliseconds: RFC 3339 has four-digit years.
const YEAR_10000_MS: u64 = 253_402_300_800_000;

fuzz_target!(|data: &[u8]| {
    let Ok(changes) = log(data) else {
        return;
    };
    for c in changes {
        if let Some(ms) = c.timestamp_ms.filter(|&ms| ms < YEAR_10000_MS) {
            assert_eq!(
                parse_timestamp_ms(&c.timestamp),
                Some(ms),
                "{}",
                c.timestamp
            );
        }
    }
});
