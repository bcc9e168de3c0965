//! `stats` in a Pijul repository: the current channel's changes, each counted with the lines
//! of the current tree it inserted ([`super::lines`]).

use std::collections::HashMap;

use anyhow::Result;
use attrib_overlay::{Payload, Snapshot};

use super::aggregate::{Agg, Kind, Names, Part, Unit, NO_AGENT};
use super::lines::LineCredit;
use super::{AgentLines, ChangeStats, ModelLines};
use crate::changes::{self, ChangeEntry};
use crate::time::rfc3339;

/// How many of a change's lines in each file AI wrote, by what its attestation says.
enum Budget {
    /// No attestation, or no AI help.
    None,
    /// An attestation that predates contributions: its AI-written lines per file (a file
    /// without spans: every line is AI's).
    Spans(HashMap<String, u64>),
    /// Per file, each contribution's lines there, as `(index into the unit's parts, lines)`;
    /// the rest of a file's lines are the author's.
    Contributions(HashMap<String, Vec<(usize, u64)>>),
}

/// In a Pijul repository: the current channel's changes, with the tree's lines. With
/// `per_change`, also each change in range, newest first.
pub(super) fn channel_units(
    snap: &Snapshot<'_>,
    record: &attrib_vcs_adapter::ChannelRecord,
    credit: &LineCredit,
    agg: &mut Agg<'_>,
    per_change: bool,
) -> Result<Vec<ChangeStats>> {
    let authors = snap.authors();
    let mut changes = Vec::new();
    for entry in changes::entries(snap, record, false)? {
        let (mut u, budget) = classify(&entry, &mut agg.names);
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
                if u.kind != Kind::Ai {
                    continue;
                }
                match &budget {
                    Budget::None => {}
                    Budget::Spans(spans) => {
                        u.ai_lines += spans.get(file).map_or(n, |&budget| budget.min(n))
                    }
                    // A tree line is not traced back to the line its change added (that is
                    // blame's work): each contribution counts at most as many lines as it
                    // wrote there, and what is left is the author's.
                    Budget::Contributions(per_file) => {
                        let mut left = n;
                        for &(i, budget) in per_file.get(file).into_iter().flatten() {
                            let take = budget.min(left);
                            left -= take;
                            u.ai_lines += take;
                            if let Some(p) = u.parts.get_mut(i) {
                                p.lines += take;
                            }
                        }
                    }
                }
            }
        }
        if per_change && agg.range.contains(u.time_ms) {
            changes.push(change_stats(&entry, &u, &agg.names));
        }
        agg.add(&u);
    }
    Ok(changes)
}

/// One change's line figures as `stats --per-change` reports them.
fn change_stats(entry: &ChangeEntry, u: &Unit, names: &Names) -> ChangeStats {
    let mut by_model: Vec<ModelLines> = Vec::new();
    let mut by_agent: Vec<AgentLines> = Vec::new();
    if u.kind == Kind::Ai {
        let parts = if u.parts.is_empty() {
            vec![Part {
                model: u.model,
                spelling: u.spelling,
                agent: NO_AGENT,
                lines: u.ai_lines,
            }]
        } else {
            u.parts.clone()
        };
        for p in parts {
            if let Some((provider, model)) = names.models.get(p.model as usize) {
                match by_model
                    .iter_mut()
                    .find(|m| &m.provider == provider && &m.model == model)
                {
                    Some(m) => m.lines += p.lines,
                    None => by_model.push(ModelLines {
                        provider: provider.clone(),
                        model: model.clone(),
                        lines: p.lines,
                    }),
                }
            }
            let agent = names.agents.get(p.agent as usize).cloned();
            match by_agent.iter_mut().find(|a| a.agent == agent) {
                Some(a) => a.lines += p.lines,
                None => by_agent.push(AgentLines {
                    agent,
                    lines: p.lines,
                }),
            }
        }
    }
    ChangeStats {
        change: entry.hash.as_str().to_string(),
        time: rfc3339(u.time_ms),
        kind: match u.kind {
            Kind::Ai => "ai",
            Kind::Human => "human",
            Kind::Unattested => "unattested",
        },
        lines: u.lines,
        ai_lines: u.ai_lines,
        human_lines: match u.kind {
            Kind::Unattested => 0,
            _ => u.lines - u.ai_lines,
        },
        by_model,
        by_agent,
    }
}

/// How a change counts, and how many of its lines in each file AI wrote.
fn classify(entry: &ChangeEntry, names: &mut Names) -> (Unit, Budget) {
    let kind = if entry.attestations.is_empty() {
        Kind::Unattested
    } else {
        Kind::Human
    };
    let mut u = Unit::new(entry.time_ms(), kind);
    let Some(r) = entry.speaker() else {
        return (u, Budget::None);
    };
    let Payload::Attest(a) = &r.record.payload else {
        return (u, Budget::None);
    };
    let Some(ai) = &a.ai else {
        return (u, Budget::None);
    };
    u.kind = Kind::Ai;
    (u.model, u.spelling) = names.intern(&ai.provider, &ai.model);
    u.suggestion = Some(ai.suggestion_type);
    u.confidence = ai.confidence_permille;
    u.self_review = ai.review_seconds;
    let file_of = |f: &str| f.trim_start_matches("./").to_string();
    if a.contributions.is_empty() {
        let mut spans: HashMap<String, u64> = HashMap::new();
        for s in &a.line_spans {
            *spans.entry(file_of(&s.file)).or_default() +=
                u64::from(s.end.saturating_sub(s.start)) + 1;
        }
        return (u, Budget::Spans(spans));
    }
    if let Some(main) = a.main_contribution() {
        u.agent = names.agent(&main.agent);
    }
    let mut per_file: HashMap<String, Vec<(usize, u64)>> = HashMap::new();
    for (i, c) in a.contributions.iter().enumerate() {
        let (model, spelling) = names.intern(&c.provider, &c.model);
        u.parts.push(Part {
            model,
            spelling,
            agent: names.agent(&c.agent),
            lines: 0,
        });
        for s in &c.line_spans {
            let list = per_file.entry(file_of(&s.file)).or_default();
            let n = u64::from(s.end.saturating_sub(s.start)) + 1;
            match list.iter_mut().find(|(j, _)| *j == i) {
                Some((_, budget)) => *budget += n,
                None => list.push((i, n)),
            }
        }
    }
    (u, Budget::Contributions(per_file))
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
