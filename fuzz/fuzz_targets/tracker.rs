//! The tracker file (`vcs-adapter/src/tracker/file.rs`): read at every command from the
//! repository's attrib directory, where a crash, a full disk or another tool may have left any
//! bytes. A damaged file must read as `None` (and is then rebuilt), never panic.
//!
//! An odd first byte wraps the rest in a valid header (format 5, its blake3 checksum), so the
//! head and body decoders behind the checksum are fuzzed too; an even one passes the rest as
//! the whole file (the header checks, and the format-4 reader).
#![no_main]

use attrib_vcs_adapter::tracker::parse_file;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, rest)) = data.split_first() else {
        return;
    };
    if kind & 1 == 0 {
        let _ = parse_file(rest);
        return;
    }
    let mut file = Vec::with_capacity(69 + rest.len());
    file.extend_from_slice(&5u32.to_le_bytes());
    file.push(0);
    file.extend_from_slice(&[0; 32]);
    file.extend_from_slice(blake3::hash(rest).as_bytes());
    file.extend_from_slice(rest);
    let _ = parse_file(&file);
});
