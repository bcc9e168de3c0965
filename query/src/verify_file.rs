//! `attrib verify FILE`: a signed export checked with nothing but the file, and what it
//! proves.
//!
//! The file is JSON Lines as `attrib export` writes it (one signed record per line), or as
//! `attrib export --format in-toto` writes it (one DSSE envelope per line, each carrying the
//! signed records its statement summarises), or a mix. Every record goes through the
//! overlay's file audit ([`attrib_overlay::audit_file`]): signatures on every core, then the
//! store's own rules for the team, membership at every sequence number and equivocation. An
//! envelope is checked by [`crate::export::in_toto::check_statement`], and its signer must be a
//! member of the team. What the file proves — authors, changes, AI share by model, reviews —
//! is read from the merged view of the records that hold, built by the overlay's one rule
//! ([`attrib_overlay::view::slot_winners`], in the audit).
//!
//! A file that is not an export at all, is not text, is empty, or ends in the middle of a
//! line is an error (one line), not a list of bad records.

use std::collections::{BTreeMap, HashMap};

use anyhow::{bail, Result};
use attrib_overlay::audit_file::{audit_file, BadLine, FileAudit};
use attrib_overlay::dsse::Envelope;
use attrib_overlay::view::speaks_before;
use attrib_overlay::{AiAssistance, PatchId, Payload, PublicKey, TeamId};
use serde::Serialize;

use crate::export::in_toto::check_statement;

/// The verdict on a file, and what it proves.
#[derive(Debug, Serialize)]
pub struct FileVerification {
    /// What the audit found (records, valid signatures, the team, bad lines, problems,
    /// equivocators).
    #[serde(flatten)]
    pub audit: FileAudit,
    /// Signed in-toto statements (DSSE envelopes) among the lines.
    pub statements: usize,
    /// True when every record and every statement holds.
    pub ok: bool,
    /// What the records that hold prove, when the team is established.
    pub proves: Option<Proof>,
}

/// What a verified file proves.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Proof {
    /// The team, by the id of its genesis.
    pub team: String,
    /// The team's name.
    pub team_name: String,
    /// Every member the file admits, with how many current claims they signed.
    pub authors: Vec<Author>,
    /// Changes with at least one current attestation.
    pub changes: usize,
    /// Of those, the changes whose attestation claims AI help.
    pub ai_changes: usize,
    /// `ai_changes / changes` (0 without changes).
    pub ai_share: f64,
    /// AI-assisted changes by the model their attestation names, most first.
    pub by_model: Vec<ModelShare>,
    /// Current reviews.
    pub reviews: usize,
    /// Changes with at least one review.
    pub reviewed_changes: usize,
    /// AI-assisted changes with at least one review.
    pub reviewed_ai_changes: usize,
}

/// One member of the team, as the file shows them.
#[derive(Clone, Debug, Serialize)]
pub struct Author {
    /// The device key.
    pub key: PublicKey,
    /// The name the membership gives.
    pub name: String,
    /// May grant and revoke.
    pub admin: bool,
    /// Revoked: records after this sequence number are refused.
    pub revoked_after: Option<u32>,
    /// Current attestations they signed.
    pub attestations: usize,
    /// Of those, the ones that claim AI help.
    pub ai_attestations: usize,
    /// Current reviews they signed.
    pub reviews: usize,
}

/// AI-assisted changes of one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelShare {
    /// Who serves the model.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Changes whose attestation names it.
    pub changes: usize,
    /// Their share of all attested changes.
    pub share: f64,
}

/// Verifies the bytes of an export, against the clock `now_ms`, with the team id pinned when
/// known out of band. `Err` only when the bytes are not an export at all (one line).
pub fn verify_file(bytes: &[u8], pinned: Option<TeamId>, now_ms: u64) -> Result<FileVerification> {
    let Ok(text) = std::str::from_utf8(bytes) else {
        bail!("not an attrib export: the file is not text (UTF-8)");
    };
    let mut lines: Vec<(usize, &str)> = text
        .split('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l.strip_suffix('\r').unwrap_or(l)))
        .filter(|(_, l)| !l.trim().is_empty())
        .collect();
    let Some(&(first_no, first)) = lines.first() else {
        bail!("not an attrib export: the file is empty");
    };
    if !looks_like_export_line(first) {
        bail!(
            "not an attrib export: line {first_no} is neither a signed attrib record nor a DSSE envelope"
        );
    }
    if !text.ends_with('\n') {
        if let Some(&(no, last)) = lines.last() {
            if serde_json::from_str::<serde::de::IgnoredAny>(last).is_err() {
                bail!("the file is truncated: line {no} ends in the middle of a record");
            }
        }
    }

    // Envelopes are checked one by one; their records join the file's audit.
    let mut statements = 0;
    let mut carried = Vec::new();
    let mut envelope_bad = Vec::new();
    let mut signers: Vec<(usize, PublicKey)> = Vec::new();
    lines.retain(|&(no, line)| {
        if !Envelope::looks_like(line) {
            return true;
        }
        statements += 1;
        match check_statement(line) {
            Ok(st) => {
                signers.push((no, st.signer));
                carried.extend(st.records.into_iter().map(|r| (no, r)));
            }
            Err(e) => envelope_bad.push(BadLine::malformed(no, format!("bad statement: {e}"))),
        }
        false
    });
    let mut audit = audit_file(&lines, carried, pinned, now_ms);
    audit.bad.extend(envelope_bad);
    if let Some(m) = &audit.membership {
        for (no, key) in signers {
            if !m.is_member_now(&key) {
                audit.bad.push(BadLine {
                    line: no,
                    code: "envelope-signer",
                    why: format!(
                        "the statement is signed by {}, which is not a member of the team (or was revoked)",
                        key.short()
                    ),
                    signer: Some(key),
                    seq: None,
                    kind: None,
                });
            }
        }
    }
    audit.bad.sort_by_key(|b| b.line);
    let proves = proof(&audit);
    let ok = audit.ok();
    Ok(FileVerification {
        audit,
        statements,
        ok,
        proves,
    })
}

/// Whether a line is shaped like something an export holds: a JSON object with a record's
/// `signature` or an envelope's `payloadType`.
fn looks_like_export_line(line: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Shape {
        signature: Option<serde::de::IgnoredAny>,
        #[serde(rename = "payloadType")]
        payload_type: Option<serde::de::IgnoredAny>,
    }
    let t = line.trim_start();
    if !t.starts_with('{') {
        return false;
    }
    match serde_json::from_str::<Shape>(line) {
        Ok(s) => s.signature.is_some() || s.payload_type.is_some(),
        // A line cut short (a truncated file) still shows what it was meant to be.
        Err(_) => t.contains("\"signature\"") || t.contains("\"payloadType\""),
    }
}

/// What the records that hold prove: the merged view the audit kept (each slot's winner), and
/// per change the attestation that speaks for it ([`speaks_before`]).
fn proof(audit: &FileAudit) -> Option<Proof> {
    let team = audit.team?;
    let m = audit.membership.as_ref()?;
    let mut authors: BTreeMap<PublicKey, Author> = m
        .members
        .values()
        .map(|x| {
            (
                x.key,
                Author {
                    key: x.key,
                    name: x.name.clone(),
                    admin: x.admin,
                    revoked_after: x.revoked_after,
                    attestations: 0,
                    ai_attestations: 0,
                    reviews: 0,
                },
            )
        })
        .collect();
    let mut p = Proof {
        team: team.to_hex(),
        team_name: m.team_name.clone(),
        ..Proof::default()
    };
    // Per change: the speaking attestation (its AI help and signer) and the number of reviews.
    type Speaker<'a> = Option<(Option<&'a AiAssistance>, &'a PublicKey)>;
    let mut changes: HashMap<&PatchId, (Speaker<'_>, usize)> = HashMap::new();
    for r in &audit.current {
        let Some(patch) = r.record.payload.patch() else {
            continue;
        };
        let entry = changes.entry(patch).or_default();
        match &r.record.payload {
            Payload::Attest(a) => {
                if let Some(x) = authors.get_mut(&r.signer) {
                    x.attestations += 1;
                    x.ai_attestations += usize::from(a.ai.is_some());
                }
                let ai = a.ai.as_ref();
                let speaks = match entry.0 {
                    None => true,
                    Some((other_ai, other_key)) => {
                        speaks_before(ai.is_some(), &r.signer, other_ai.is_some(), other_key)
                    }
                };
                if speaks {
                    entry.0 = Some((ai, &r.signer));
                }
            }
            Payload::Review(_) => {
                if let Some(x) = authors.get_mut(&r.signer) {
                    x.reviews += 1;
                }
                entry.1 += 1;
            }
            _ => {}
        }
    }
    let mut models: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (speaker, reviews) in changes.values() {
        p.reviews += reviews;
        let reviewed = *reviews > 0;
        p.reviewed_changes += usize::from(reviewed);
        let Some((ai, _)) = speaker else {
            continue;
        };
        p.changes += 1;
        if let Some(ai) = ai {
            p.ai_changes += 1;
            p.reviewed_ai_changes += usize::from(reviewed);
            *models
                .entry((ai.provider.as_str(), ai.model.as_str()))
                .or_default() += 1;
        }
    }
    let share = |n: usize| {
        if p.changes == 0 {
            0.0
        } else {
            n as f64 / p.changes as f64
        }
    };
    p.ai_share = share(p.ai_changes);
    let mut by_model: Vec<ModelShare> = models
        .into_iter()
        .map(|((provider, model), changes)| ModelShare {
            provider: provider.to_string(),
            model: model.to_string(),
            changes,
            share: share(changes),
        })
        .collect();
    by_model.sort_by_key(|m| std::cmp::Reverse(m.changes));
    p.by_model = by_model;
    p.authors = authors.into_values().collect();
    Some(p)
}

/// A member now: admitted and not revoked.
trait MemberNow {
    fn is_member_now(&self, key: &PublicKey) -> bool;
}

impl MemberNow for attrib_overlay::Membership {
    fn is_member_now(&self, key: &PublicKey) -> bool {
        self.members
            .get(key)
            .is_some_and(|m| m.revoked_after.is_none())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_export_is_one_error() {
        let err = |b: &[u8]| verify_file(b, None, 0).unwrap_err().to_string();
        assert!(err(b"").contains("empty"));
        assert!(err(b"hello\nworld\n").contains("line 1 is neither"));
        assert!(err(b"{\"a\":1}\n").contains("line 1 is neither"));
        assert!(err(&[0xff, 0xfe]).contains("not text"));
        assert!(err(b"{\"id\":\"00\",\"signature\":\"ab").contains("truncated"));
    }
}
