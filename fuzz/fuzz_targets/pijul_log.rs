//! Pijul's (and Atomic's) JSON outputs (`vcs-adapter/src/pijul.rs`): `log --output-format json`
//! with or without `--state`, and `credit --output-format json`, and the RFC 3339 timestamps in
//! them. The first byte picks the reader.
//!
//! Contract: no panic; JSON of the wrong shape is an `Err`; every change read has a valid
//! change hash, and its timestamp's milliseconds are those the timestamp text says.
#![no_main]

use attrib_vcs_adapter::pijul::{parse_log, parse_log_with_state, parse_timestamp_ms, CreditEntry};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match kind % 3 {
        0 => {
            if let Ok((_, changes)) = parse_log_with_state("pijul log", text) {
                for c in &changes {
                    assert_eq!(c.timestamp_ms, parse_timestamp_ms(&c.timestamp));
                }
                let plain =
                    parse_log("pijul log", text).expect("the same log reads without its state");
                assert_eq!(plain, changes);
            }
        }
        1 => {
            let _ = serde_json::from_str::<Vec<CreditEntry>>(text.trim());
        }
        _ => {
            let _ = parse_timestamp_ms(text);
        }
    }
});
