//! The Agent Trace import (`query/src/agent_trace.rs`): JSON Lines, one record, or an array of
//! records, from a file another tool wrote.
//!
//! Contract: no panic; malformed input is an `Err`; every record that reads writes back to
//! JSON that reads again as one record, with the same patch and vendor metadata.
#![no_main]

use attrib_query::agent_trace::{
    contribution_of, looks_like, parse, patch_of, split_model_id, vendor,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = looks_like(data);
    let Ok(records) = parse(data, "fuzz input") else {
        return;
    };
    for (_, r) in &records {
        let patch = patch_of(r);
        let _ = vendor(r);
        for f in &r.files {
            for c in &f.conversations {
                let _ = contribution_of(r, c);
                let models = c
                    .contributor
                    .iter()
                    .chain(c.ranges.iter().filter_map(|g| g.contributor.as_ref()));
                for m in models.filter_map(|k| k.model_id.as_deref()) {
                    let _ = split_model_id(m);
                }
            }
        }
        let text = serde_json::to_string(r).expect("a record serializes");
        let again = parse(text.as_bytes(), "written back").expect("a record read reads again");
        assert_eq!(again.len(), 1);
        assert_eq!(patch_of(&again[0].1), patch);
    }
});
