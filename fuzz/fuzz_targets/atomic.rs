//! Atomic's outputs (`vcs-adapter/src/atomic.rs`): `atomic log --attribution --output-format
//! json`, `atomic attribution --hash H --output-format json`, `atomic credit FILE`'s text and
//! `atomic log --hash-only`. The first byte picks the reader.
//!
//! Contract: no panic; JSON of the wrong shape is an `Err`; credit lines are numbered from 1
//! upwards; every hash line read is a 53-character change hash.
#![no_main]

use attrib_vcs_adapter::atomic::{
    parse_change_attribution, parse_credit_text, parse_hash_lines, parse_log_attribution, percent,
};
use attrib_vcs_adapter::pijul::CreditEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    match kind % 4 {
        0 => {
            if let Ok(changes) = parse_log_attribution("atomic log", text) {
                for c in &changes {
                    let _ = c.claim.to_string();
                    if let Some(a) = c.claim.stated() {
                        let _ = (a.known_provider(), a.known_model());
                        if let Some(conf) = a.stated_confidence() {
                            let _ = percent(conf);
                        }
                    }
                }
            }
        }
        1 => {
            if let Ok(claim) = parse_change_attribution("atomic attribution", text) {
                let _ = claim.to_string();
            }
        }
        2 => {
            let hashes = parse_hash_lines(text);
            let resolve = |p: &str| hashes.iter().find(|h| h.as_str().starts_with(p)).cloned();
            let mut last = 0;
            for e in parse_credit_text(text, resolve) {
                if let CreditEntry::Line {
                    start_line,
                    line_count,
                    ..
                } = e
                {
                    assert!(start_line > last && line_count > 0);
                    last = start_line + line_count - 1;
                }
            }
        }
        _ => {
            for h in parse_hash_lines(text) {
                assert_eq!(h.as_str().len(), 53);
            }
        }
    }
});
