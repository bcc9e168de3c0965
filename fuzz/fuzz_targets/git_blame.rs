//! `git blame --porcelain` (`vcs-adapter/src/git/blame.rs`), read into runs of credited lines.
//!
//! Contract: no panic; output of another shape is an `Err`; runs are numbered from line 1.
#![no_main]

use attrib_vcs_adapter::git::fuzzing::blame;
use attrib_vcs_adapter::pijul::CreditEntry;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(entries) = blame(data) else {
        return;
    };
    for e in entries {
        if let CreditEntry::Line {
            start_line,
            line_count,
            ..
        } = e
        {
            assert!(start_line > 0 && line_count > 0);
        }
    }
});
