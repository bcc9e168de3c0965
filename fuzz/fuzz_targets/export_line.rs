//! The JSON Lines export (`overlay/src/exchange.rs`), one signed record a line, and the whole
//! file as `attrib verify FILE` reads it (`query/src/verify_file.rs`: lines, envelopes, the
//! file's own audit).
//!
//! Contract: no panic; a line that parses writes back to a line that parses to the same record,
//! whose body is canonical; a file that is not an export is an `Err`, not a panic.
#![no_main]

use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::Record;
use attrib_query::verify_file::verify_file;
use libfuzzer_sys::fuzz_target;

/// A fixed clock (2025-01-01), so a run is reproducible.
const NOW_MS: u64 = 1_735_689_600_000;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        for line in text.lines() {
            let Ok(r) = from_json_line(line) else {
                continue;
            };
            let again = from_json_line(&to_json_line(&r)).expect("a written line reads back");
            assert_eq!(again, r);
            assert_eq!(
                Record::from_canonical(&r.body).ok().as_ref(),
                Some(&r.record)
            );
        }
    }
    let _ = verify_file(data, None, NOW_MS);
});
