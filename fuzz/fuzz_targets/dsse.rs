//! DSSE envelopes and the in-toto statements attrib writes in them (`overlay/src/dsse.rs`,
//! `query/src/export/in_toto.rs`), read by `attrib verify FILE` from files of any origin.
//!
//! Contract: no panic; an envelope that parses writes back to JSON that parses to the same
//! envelope; a bad signature or a statement that is not attrib's is an `Err`. A forged
//! signature stops the statement reader at its first check, so a payload that looks like a
//! statement is also signed here with a fixed key, to fuzz the statement reader behind it.
#![no_main]

use std::sync::OnceLock;

use attrib_overlay::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use attrib_overlay::Identity;
use attrib_query::export::in_toto::check_statement;
use libfuzzer_sys::fuzz_target;

fn key() -> &'static Identity {
    static KEY: OnceLock<Identity> = OnceLock::new();
    KEY.get_or_init(|| Identity::from_secret([7; 32]))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = Envelope::looks_like(text);
    let _ = check_statement(text);
    let Ok(e) = Envelope::from_json(text) else {
        return;
    };
    assert_eq!(
        Envelope::from_json(&e.to_json()).expect("a written envelope reads back"),
        e
    );
    let _ = e.verify();
    let statement_like = serde_json::from_slice::<serde_json::Value>(&e.payload)
        .is_ok_and(|v| v.get("_type").is_some());
    if statement_like {
        let signed = Envelope::sign(key(), IN_TOTO_PAYLOAD_TYPE, e.payload);
        assert_eq!(signed.verify().ok(), Some(key().public()));
        let _ = check_statement(&signed.to_json());
    }
});
