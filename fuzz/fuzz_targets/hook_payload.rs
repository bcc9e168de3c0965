//! Agent hook input (`workspace/src/checkpoint/payload.rs`): the JSON Claude Code, Codex,
//! Cursor, Gemini CLI or any other agent passes on stdin to `attrib checkpoint`. The first byte
//! picks the `--agent` the hook was installed with (or none: detected from the input's shape).
//!
//! Contract: no panic; input that is not JSON, or JSON of no known shape, is an `Err`.
#![no_main]

use std::path::Path;

use attrib_workspace::checkpoint::payload::{parse, patch_files, provider_of_model};
use libfuzzer_sys::fuzz_target;

const AGENTS: [Option<&str>; 6] = [
    None,
    Some("claude"),
    Some("codex"),
    Some("cursor"),
    Some("gemini"),
    Some("generic"),
];

fuzz_target!(|data: &[u8]| {
    let Some((&kind, input)) = data.split_first() else {
        return;
    };
    let agent = AGENTS[usize::from(kind) % AGENTS.len()];
    if let Ok(Some(e)) = parse(agent, input, Path::new("/repo")) {
        if let Some(m) = &e.model {
            let _ = provider_of_model(m);
        }
    }
    if let Ok(text) = std::str::from_utf8(input) {
        let _ = patch_files(text);
    }
});
