//! in-toto provenance: one in-toto Statement (v1) per change, each in a DSSE envelope signed
//! with the exporting device's ed25519 key ([`attrib_overlay::dsse`]), one envelope per line.
//!
//! - `subject`: the change, named by its id, with its VCS hash as the digest
//!   ([`attrib_overlay::dsse::change_digest`]: `blake3` for a Pijul/Atomic change hash).
//! - `predicateType`: [`PREDICATE_TYPE`].
//! - `predicate`: the team; the change; the signer (the exporting device); every current
//!   attestation (author, origin, time, AI help, line spans, contributions with their spans)
//!   and review (reviewer, verdict, seconds, comment, time); and, so that the statement proves
//!   itself with nothing but the file, the signed attrib records it summarises (`records`) and
//!   the team's membership records (`membership`), each in the form `attrib export` writes.
//!
//! [`check_statement`] is the reader's side: the envelope's signature, the statement's shape,
//! and the summary recomputed from the carried records, which must equal what the statement
//! says — so the readable fields cannot say anything the signed records do not.

use std::collections::BTreeMap;

use anyhow::Result;
use attrib_overlay::dsse::{change_digest, Envelope, IN_TOTO_PAYLOAD_TYPE};
use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::{
    FormatError, Identity, Membership, PatchId, Payload, PublicKey, SignedRecord, Snapshot,
};
use serde_json::{json, Value};

use crate::progress::Progress;
use crate::time::rfc3339;

/// The in-toto Statement type this module writes.
pub const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";

/// attrib's predicate type: who wrote a change and how AI helped, as signed attrib records.
pub const PREDICATE_TYPE: &str = "https://attrib.dev/provenance/change/v1";

/// The statement of one change, from its current attestations and reviews and the team's
/// membership records, as signed by `signer`.
pub fn statement(
    patch: &PatchId,
    claims: &[&SignedRecord],
    membership_records: &[&SignedRecord],
    signer: &PublicKey,
) -> Value {
    let membership = evaluate(membership_records);
    let m = membership.as_ref();
    let person = |k: &PublicKey| json!({"key": k.to_hex(), "name": crate::members::name_of(m, k)});
    let mut attestations = Vec::new();
    let mut reviews = Vec::new();
    for r in claims {
        match &r.record.payload {
            Payload::Attest(a) => attestations.push(json!({
                "author": person(&r.signer),
                "origin": r.record.origin.as_str(),
                "attested_at": rfc3339(r.record.timestamp_ms),
                "ai": a.ai,
                "line_spans": a.line_spans,
                "contributions": a.contributions,
                "description": a.description,
                "replaces": a.replaces,
                "record_id": r.id().to_hex(),
            })),
            Payload::Review(rv) => reviews.push(json!({
                "reviewer": person(&r.signer),
                "verdict": rv.verdict.as_str(),
                "seconds": rv.seconds,
                "comment": rv.comment,
                "reviewed_at": rfc3339(r.record.timestamp_ms),
                "record_id": r.id().to_hex(),
            })),
            _ => {}
        }
    }
    let (alg, digest) = change_digest(patch);
    let line = |r: &&SignedRecord| -> Value {
        serde_json::from_str(&to_json_line(r)).unwrap_or(Value::Null)
    };
    json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": patch.as_str(), "digest": {alg: digest}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "team": {
                "id": m.map(|m| m.team.to_hex()),
                "name": m.map(|m| m.team_name.clone()),
            },
            "change": patch.as_str(),
            "signer": person(signer),
            "attestations": attestations,
            "reviews": reviews,
            "records": claims.iter().map(line).collect::<Vec<_>>(),
            "membership": membership_records.iter().map(line).collect::<Vec<_>>(),
        }
    })
}

fn evaluate(records: &[&SignedRecord]) -> Option<Membership> {
    let genesis = records
        .iter()
        .find(|r| matches!(r.record.payload, Payload::Genesis { .. }))?;
    Membership::evaluate(genesis, records.iter().copied(), |_, _| false)
}

/// What `attrib export --format in-toto` wrote.
pub struct InTotoExport {
    /// One DSSE envelope per line.
    pub text: String,
    /// Statements written (changes with a current attestation or review).
    pub statements: usize,
}

/// One signed statement per change the store's view holds, oldest record first within a
/// change, changes in id order.
pub fn export(
    snap: &Snapshot<'_>,
    identity: &Identity,
    progress: &dyn Progress,
) -> Result<InTotoExport> {
    progress.set_message("signing in-toto statements");
    let mut membership: Vec<SignedRecord> = snap
        .all_records()?
        .into_iter()
        .filter(|r| r.record.payload.is_membership())
        .collect();
    membership.sort_by_key(|r| (!matches!(r.record.payload, Payload::Genesis { .. }), r.id()));
    let membership: Vec<&SignedRecord> = membership.iter().collect();
    let mut by_patch: BTreeMap<PatchId, Vec<SignedRecord>> = BTreeMap::new();
    for r in snap.view_records()? {
        if let Some(p) = r.record.payload.patch() {
            by_patch.entry(p.clone()).or_default().push(r);
        }
    }
    progress.set_length(by_patch.len() as u64);
    let signer = identity.public();
    let mut text = String::new();
    for (patch, mut claims) in by_patch.iter_mut().map(|(p, c)| (p, std::mem::take(c))) {
        claims.sort_by_key(|r| (r.record.timestamp_ms, r.id()));
        let refs: Vec<&SignedRecord> = claims.iter().collect();
        let st = statement(patch, &refs, &membership, &signer);
        let env = Envelope::sign(identity, IN_TOTO_PAYLOAD_TYPE, serde_json::to_vec(&st)?);
        text.push_str(&env.to_json());
        text.push('\n');
        progress.inc(1);
    }
    Ok(InTotoExport {
        text,
        statements: by_patch.len(),
    })
}

/// A statement read back and checked on its own.
pub struct CheckedStatement {
    /// The device key that signed the envelope.
    pub signer: PublicKey,
    /// The change the statement is about.
    pub change: PatchId,
    /// The signed attrib records it carries (claims, then membership), for the file's audit.
    pub records: Vec<SignedRecord>,
}

/// Reads one envelope line: its signature (the keyid's key), its payload type, the
/// statement's type, subject and predicate type, the records it carries (parsed, their
/// signatures not yet checked: the file's audit does that with every other record), and the
/// predicate recomputed from them, which must equal the one signed.
pub fn check_statement(text: &str) -> Result<CheckedStatement, FormatError> {
    let env = Envelope::from_json(text)?;
    let signer = env.verify()?;
    if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
        return Err(bad(format!(
            "the envelope's payload type is {:?}, not {IN_TOTO_PAYLOAD_TYPE}",
            env.payload_type.chars().take(60).collect::<String>()
        )));
    }
    let st: Value = serde_json::from_slice(&env.payload)
        .map_err(|e| bad(format!("the statement is not JSON: {e}")))?;
    if st["_type"] != STATEMENT_TYPE || st["predicateType"] != PREDICATE_TYPE {
        return Err(bad(format!(
            "not an attrib statement (_type {}, predicateType {})",
            st["_type"], st["predicateType"]
        )));
    }
    let p = &st["predicate"];
    let change = p["change"]
        .as_str()
        .ok_or_else(|| bad("the predicate names no change"))
        .and_then(|c| PatchId::new(c).map_err(|e| bad(e.0)))?;
    let parse = |what: &str| -> Result<Vec<SignedRecord>, FormatError> {
        let Some(list) = p[what].as_array() else {
            return Err(bad(format!("the predicate has no {what} list")));
        };
        list.iter()
            .map(|v| {
                from_json_line(&v.to_string()).map_err(|e| bad(format!("a record in {what}: {e}")))
            })
            .collect()
    };
    let claims = parse("records")?;
    let membership = parse("membership")?;
    if let Some(r) = claims
        .iter()
        .find(|r| r.record.payload.patch() != Some(&change))
    {
        return Err(bad(format!(
            "the statement of {change} carries a {} record about another change",
            r.record.payload.kind()
        )));
    }
    if let Some(r) = membership
        .iter()
        .find(|r| !r.record.payload.is_membership())
    {
        return Err(bad(format!(
            "the statement's membership list carries a {} record",
            r.record.payload.kind()
        )));
    }
    let claim_refs: Vec<&SignedRecord> = claims.iter().collect();
    let member_refs: Vec<&SignedRecord> = membership.iter().collect();
    if statement(&change, &claim_refs, &member_refs, &signer) != st {
        return Err(bad(
            "the statement says something its signed records do not",
        ));
    }
    let mut records = claims;
    records.extend(membership);
    Ok(CheckedStatement {
        signer,
        change,
        records,
    })
}

fn bad(why: impl Into<String>) -> FormatError {
    FormatError(why.into())
}
