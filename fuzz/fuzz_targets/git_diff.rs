//! git diffs (`vcs-adapter/src/git/diff.rs`: a commit's added lines from its `-U0` diff;
//! `git/patch_id.rs`: `git diff-tree --stdin -p` output split into commits and their stable
//! patch ids, computed in attrib).
//!
//! Contract: no panic on any bytes; added lines are numbered from where their hunk says; every
//! patch id is the hex digest of the commit's hash algorithm (40 or 64 digits).
#![no_main]

use attrib_vcs_adapter::git::fuzzing::diff;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (_added, commits) = diff(data);
    for (commit, id) in commits {
        if let Some(id) = id {
            assert_eq!(id.len(), commit.len());
            assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
        }
    }
});
