//! git-ai's authorship notes (`vcs-adapter/src/git_notes.rs`), read from `refs/notes/ai` of a
//! repository anyone may have pushed to.
//!
//! Contract: no panic; a note that is not git-ai's authorship log is an `Err` saying why; every
//! attestation of a note that reads is grouped by author and looked up without a panic.
#![no_main]

use attrib_vcs_adapter::git_notes::parse_bytes;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(log) = parse_bytes(data) else {
        return;
    };
    for a in log.by_author() {
        let _ = log.lookup(a.key);
        let _ = a.key.id();
        for (_, range) in &a.lines {
            let _ = range.len();
        }
    }
});
