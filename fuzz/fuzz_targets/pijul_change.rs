//! Pijul's (and Atomic's) text outputs (`vcs-adapter/src/pijul.rs`): `pijul change HASH` (the
//! lines each hunk adds, the `# Dependencies` section) and `pijul record`'s output (its
//! `Hash:` line; stdout and stderr are split at the first NUL byte of the input).
//!
//! Contract: no panic on any bytes; a `Hash:` line that is not a change hash is an `Err`.
#![no_main]

use attrib_vcs_adapter::pijul::{parse_added_lines, parse_dependencies, parse_record_output};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_added_lines(text);
        let _ = parse_dependencies(text);
    }
    let (stdout, stderr) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let _ = parse_record_output("pijul record", stdout, stderr);
});
