//! `stats` in a Pijul repository: the current channel's changes, each counted with the lines
//! of the current tree it inserted ([`super::lines`]).

use std::collections::HashMap;

use anyhow::Result;
use attrib_overlay::{Payload, Snapshot};

use super::aggregate::{Agg, Kind, Names, Unit};
use super::lines::LineCredit;
use crate::changes::{self, ChangeEntry};

/// In a Pijul repository: the current channel's changes, with the tree's lines.
pub(super) fn channel_units(
    snap: &Snapshot<'_>,
    record: &attrib_vcs_adapter::ChannelRecord,
    credit: &LineCredit,
    agg: &mut Agg<'_>,
) -> Result<()> {
    let authors = snap.authors();
    for entry in changes::entries(snap, record, false)? {
        let (mut u, spans) = classify(&entry, &mut agg.names);
        for r in &entry.attestations {
            if let Some(a) = authors.iter().position(|k| *k == r.signer) {
                u.add_author(a as u32);
            }
        }
        u.reviews = entry.reviews as u32;
        u.reviewer_seconds = entry.review_seconds;
        if let Some(files) = credit.counts.get(&entry.hash) {
            for (file, &n) in files {
                u.lines += n;
                if u.kind == Kind::Ai {
                    u.ai_lines += spans.get(file).map_or(n, |&budget| budget.min(n));
                }
            }
        }
        agg.add(&u);
    }
    Ok(())
}

/// How a change counts, and its AI-written line budget per file (from line spans; a file
/// without spans: every line is AI's).
fn classify(entry: &ChangeEntry, names: &mut Names) -> (Unit, HashMap<String, u64>) {
    let mut spans: HashMap<String, u64> = HashMap::new();
    let kind = if entry.attestations.is_empty() {
        Kind::Unattested
    } else {
        Kind::Human
    };
    let mut u = Unit::new(entry.time_ms(), kind);
    let Some(r) = entry.speaker() else {
        return (u, spans);
    };
    let Payload::Attest(a) = &r.record.payload else {
        return (u, spans);
    };
    if let Some(ai) = &a.ai {
        u.kind = Kind::Ai;
        u.model = names.model(&ai.provider, &ai.model);
        u.suggestion = Some(ai.suggestion_type);
        u.confidence = ai.confidence_permille;
        u.self_review = ai.review_seconds;
    }
    for s in &a.line_spans {
        let file = s.file.trim_start_matches("./").to_string();
        *spans.entry(file).or_default() += u64::from(s.end - s.start + 1);
    }
    (u, spans)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attrib_overlay::{Attestation, Identity, Origin, PatchId, Record, SignedRecord};

    fn kind_of(records: Vec<SignedRecord>) -> Kind {
        classify(
            &ChangeEntry {
                hash: PatchId::new("TEST").unwrap(),
                info: None,
                place: changes::Place::Channel,
                attestations: records,
                reviews: 0,
                review_seconds: 0,
            },
            &mut Names::default(),
        )
        .0
        .kind
    }

    fn attestation(ai: bool) -> SignedRecord {
        let key = Identity::from_secret([3; 32]);
        key.sign(
            attrib_overlay::signed::GENESIS_TEAM,
            Record {
                seq: 2,
                timestamp_ms: 1,
                origin: Origin::Person,
                payload: Payload::Attest(Attestation {
                    patch: PatchId::new("TEST").unwrap(),
                    ai: ai.then(|| {
                        attrib_overlay::AiAssistance::new(
                            "p",
                            "m",
                            attrib_overlay::SuggestionType::Partial,
                        )
                    }),
                    description: None,
                    depends_on: vec![],
                    conflicts_with: vec![],
                    replaces: None,
                    line_spans: vec![],
                    contributions: Vec::new(),
                }),
            },
        )
    }

    #[test]
    fn any_ai_claim_makes_a_change_ai_assisted() {
        assert!(kind_of(vec![]) == Kind::Unattested);
        assert!(kind_of(vec![attestation(false)]) == Kind::Human);
        assert!(kind_of(vec![attestation(false), attestation(true)]) == Kind::Ai);
    }
}
