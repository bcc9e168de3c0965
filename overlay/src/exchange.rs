//! The JSON Lines exchange format: one signed record per line, self-verifying without a store.
//!
//! Each line carries every signed field in readable form plus `signature` (hex). A verifier
//! re-encodes the fields canonically and checks the signature; `id` is informative and must
//! match. Unknown fields are refused, so nothing unsigned can ride along.

use serde::{Deserialize, Serialize};

use crate::error::FormatError;
use crate::ids::{PublicKey, RecordId, TeamId};
use crate::model::{Origin, Payload, Record};
use crate::signed::{SignedRecord, MAX_BODY};

/// The longest line accepted, in bytes.
pub const MAX_LINE: usize = 4 * MAX_BODY;

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    id: RecordId,
    team: TeamId,
    signer: PublicKey,
    seq: u32,
    timestamp_ms: u64,
    origin: Origin,
    payload: Payload,
    signature: String,
}

/// One record as a JSON line (no trailing newline).
pub fn to_json_line(r: &SignedRecord) -> String {
    let line = Line {
        id: r.id(),
        team: r.team,
        signer: r.signer,
        seq: r.record.seq,
        timestamp_ms: r.record.timestamp_ms,
        origin: r.record.origin,
        payload: r.record.payload.clone(),
        signature: hex::encode(r.signature),
    };
    serde_json::to_string(&line).unwrap_or_default()
}

/// Parses one JSON line. The signature is not checked here.
pub fn from_json_line(text: &str) -> Result<SignedRecord, FormatError> {
    if text.len() > MAX_LINE {
        return Err(FormatError::new(format!(
            "line is {} bytes; the limit is {MAX_LINE}",
            text.len()
        )));
    }
    let line: Line = serde_json::from_str(text).map_err(|e| FormatError::new(e.to_string()))?;
    let mut signature = [0u8; 64];
    hex::decode_to_slice(&line.signature, &mut signature)
        .map_err(|_| FormatError::new("signature must be 128 hex digits"))?;
    let record = Record {
        seq: line.seq,
        timestamp_ms: line.timestamp_ms,
        origin: line.origin,
        payload: line.payload,
    };
    record.validate()?;
    let r = SignedRecord::from_parts(line.team, line.signer, record.to_canonical(), signature)?;
    // A changed field changes the id too; the signature check names that case better, so an
    // id mismatch is only reported as such when the signature itself is sound.
    if r.id() != line.id && r.verify() {
        return Err(FormatError::new(
            "the id field does not match the record's content",
        ));
    }
    Ok(r)
}
