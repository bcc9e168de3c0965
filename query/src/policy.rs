//! `attrib check`: a team's AI policy, kept in the repository (`attrib-policy.toml`), checked
//! over a range of changes — a gate for CI.
//!
//! [`Policy`] is the file's schema (every key optional; unknown keys are refused, naming
//! them). [`evaluate`] judges each change of the range from read data alone — the change as
//! the VCS lists it ([`ChangeInfo`]), the merged view of its claims ([`PatchView`]) and, for
//! `max_ai_line_share`, the lines it added — and returns one [`Violation`] per broken rule.
//! [`changes_in_range`] reads the range through the [`Vcs`] driver: every change of the
//! channel, those since a date, those not on another channel (Pijul/Atomic), or `BASE..HEAD`
//! (git).
//!
//! What counts, per change: its claim is the attestation that speaks for it
//! ([`PatchView::speaker`]: an AI claim wins); it is AI-assisted when that claim names AI help.
//! A review that satisfies the review rules approves (`approve` verdict), is by a member
//! other than the change's attesting authors when `review_by_other_member` is set, and lasted
//! at least `min_review_seconds`.

use std::collections::HashSet;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::Snapshot;
use attrib_overlay::{Attestation, Membership, PatchId, PatchView, Payload, PublicKey, Verdict};
use attrib_vcs_adapter::{ChangeInfo, ChannelRecord, Vcs};
use serde::{Deserialize, Serialize};

use crate::records::span_lines;
use crate::time::TimeRange;

/// The policy file's name, in the repository's root.
pub const POLICY_FILE: &str = "attrib-policy.toml";

/// A team's AI policy. Every key is optional; a key left out checks nothing.
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Every change in the range has a member's attestation (AI or human).
    #[serde(default)]
    pub require_attestation: bool,
    /// Every AI-assisted change has an approving review.
    #[serde(default)]
    pub ai_changes_need_review: bool,
    /// That review is by a member other than the change's attesting authors (implies
    /// `ai_changes_need_review`).
    #[serde(default)]
    pub review_by_other_member: bool,
    /// That review took at least this many seconds (implies `ai_changes_need_review`).
    #[serde(default)]
    pub min_review_seconds: Option<u32>,
    /// The providers AI help may come from (`anthropic`, `openai`, …; case-insensitive).
    #[serde(default)]
    pub allowed_providers: Option<Vec<String>>,
    /// The models AI help may come from: `model` or `provider/model` (case-insensitive).
    #[serde(default)]
    pub allowed_models: Option<Vec<String>>,
    /// The most of the range's added lines AI may have written, 0 to 1. Reads each change's
    /// added lines from the VCS (a process per change).
    #[serde(default)]
    pub max_ai_line_share: Option<f64>,
    /// Every AI-assisted change says so in its message (a trailer attrib detects:
    /// `Co-authored-by:`, `Assisted-by:`, "Generated with …").
    #[serde(default)]
    pub require_trailer_for_ai: bool,
}

impl Policy {
    /// Reads a policy file's text; `what` names it in errors.
    pub fn parse(text: &str, what: &str) -> Result<Policy> {
        let p: Policy = toml::from_str(text).map_err(|e| {
            anyhow!(
                "{what}: {}",
                e.to_string()
                    .lines()
                    .rev()
                    .find(|l| !l.trim().is_empty())
                    .unwrap_or("invalid TOML")
                    .trim()
            )
        })?;
        if let Some(s) = p.max_ai_line_share {
            if !(0.0..=1.0).contains(&s) {
                bail!("{what}: max_ai_line_share is {s}; give a share from 0 to 1");
            }
        }
        Ok(p)
    }

    /// The rules this policy turns on, by key.
    pub fn rules(&self) -> Vec<&'static str> {
        let mut r = Vec::new();
        let mut on = |yes: bool, key: &'static str| {
            if yes {
                r.push(key);
            }
        };
        on(self.require_attestation, "require_attestation");
        on(self.ai_changes_need_review, "ai_changes_need_review");
        on(self.review_by_other_member, "review_by_other_member");
        on(self.min_review_seconds.is_some(), "min_review_seconds");
        on(self.allowed_providers.is_some(), "allowed_providers");
        on(self.allowed_models.is_some(), "allowed_models");
        on(self.max_ai_line_share.is_some(), "max_ai_line_share");
        on(self.require_trailer_for_ai, "require_trailer_for_ai");
        r
    }

    /// Whether an AI-assisted change needs a review.
    fn needs_review(&self) -> bool {
        self.ai_changes_need_review
            || self.review_by_other_member
            || self.min_review_seconds.is_some()
    }
}

/// One change of the range, with what the overlay says of it.
#[derive(Clone, Debug)]
pub struct ChangeFacts {
    /// The change as the VCS lists it (with its description, for trailers).
    pub change: ChangeInfo,
    /// Its current attestations and reviews.
    pub view: PatchView,
    /// The lines it added, when `max_ai_line_share` needs them.
    pub added_lines: Option<u64>,
}

/// A broken rule.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Violation {
    /// The change, or `None` for a rule over the whole range (`max_ai_line_share`).
    pub change: Option<PatchId>,
    /// The change's message.
    pub message: Option<String>,
    /// The policy key broken.
    pub rule: &'static str,
    /// Why, as one line.
    pub why: String,
}

/// What a check found.
#[derive(Clone, Debug, Serialize)]
pub struct PolicyReport {
    /// The rules checked, by key.
    pub rules: Vec<&'static str>,
    /// Changes in the range.
    pub changes: usize,
    /// Of those, attested.
    pub attested: usize,
    /// Of those, AI-assisted.
    pub ai_changes: usize,
    /// AI-written lines of the range and all its added lines, when `max_ai_line_share` is
    /// checked.
    pub ai_lines: Option<(u64, u64)>,
    /// Every broken rule, in change order.
    pub violations: Vec<Violation>,
    /// No violation.
    pub ok: bool,
}

fn lower(list: &[String]) -> HashSet<String> {
    list.iter().map(|s| s.trim().to_ascii_lowercase()).collect()
}

/// Every `(provider, model)` of AI help an attestation names: its AI help and each
/// contribution's.
fn ai_sources(a: &Attestation) -> Vec<(&str, &str)> {
    let mut v: Vec<(&str, &str)> =
        a.ai.iter()
            .map(|ai| (ai.provider.as_str(), ai.model.as_str()))
            .chain(
                a.contributions
                    .iter()
                    .map(|c| (c.provider.as_str(), c.model.as_str())),
            )
            .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// AI-written lines of an attestation out of `added` lines: its spans (or its contributions'),
/// or every added line for a claim on the whole change.
fn ai_lines_of(a: &Attestation, added: u64) -> u64 {
    if a.ai.is_none() {
        return 0;
    }
    let spans = span_lines(&a.line_spans)
        + a.contributions
            .iter()
            .map(|c| span_lines(&c.line_spans))
            .sum::<u64>();
    if spans == 0 {
        added
    } else {
        spans.min(added)
    }
}

/// Judges every change of the range by `policy`. `membership` names reviewers in messages.
pub fn evaluate(
    policy: &Policy,
    changes: &[ChangeFacts],
    membership: Option<&Membership>,
) -> PolicyReport {
    let name = |k: &PublicKey| crate::members::name_of(membership, k);
    let providers = policy.allowed_providers.as_deref().map(lower);
    let models = policy.allowed_models.as_deref().map(lower);
    let mut report = PolicyReport {
        rules: policy.rules(),
        changes: changes.len(),
        attested: 0,
        ai_changes: 0,
        ai_lines: None,
        violations: Vec::new(),
        ok: true,
    };
    let (mut ai_lines, mut all_lines) = (0u64, 0u64);
    for f in changes {
        let mut broke = |rule: &'static str, why: String| {
            report.violations.push(Violation {
                change: Some(f.change.hash.clone()),
                message: Some(f.change.message.clone()),
                rule,
                why,
            })
        };
        let claim = f.view.speaker().and_then(|r| match &r.record.payload {
            Payload::Attest(a) => Some(a),
            _ => None,
        });
        let Some(claim) = claim else {
            if policy.require_attestation {
                broke(
                    "require_attestation",
                    "no member attested this change".into(),
                );
            }
            if let Some(added) = f.added_lines {
                all_lines += added;
            }
            continue;
        };
        report.attested += 1;
        if let Some(added) = f.added_lines {
            all_lines += added;
            ai_lines += ai_lines_of(claim, added);
        }
        let Some(ai) = &claim.ai else {
            continue;
        };
        report.ai_changes += 1;
        let model = format!("{}/{}", ai.provider, ai.model);

        if policy.needs_review() {
            let authors: HashSet<&PublicKey> = f.view.attestations.keys().collect();
            let approvals: Vec<(&PublicKey, u32)> = f
                .view
                .reviews
                .iter()
                .filter_map(|(k, r)| match &r.record.payload {
                    Payload::Review(rv) if rv.verdict == Verdict::Approve => Some((k, rv.seconds)),
                    _ => None,
                })
                .collect();
            let by_others: Vec<(&PublicKey, u32)> = approvals
                .iter()
                .copied()
                .filter(|(k, _)| !authors.contains(k))
                .collect();
            let counted = if policy.review_by_other_member {
                &by_others
            } else {
                &approvals
            };
            if approvals.is_empty() {
                let rule = if policy.ai_changes_need_review {
                    "ai_changes_need_review"
                } else if policy.review_by_other_member {
                    "review_by_other_member"
                } else {
                    "min_review_seconds"
                };
                broke(
                    rule,
                    format!("AI-assisted ({model}) and no member approved it in a review"),
                );
            } else if counted.is_empty() {
                let who: Vec<String> = approvals.iter().map(|(k, _)| name(k)).collect();
                broke(
                    "review_by_other_member",
                    format!(
                        "AI-assisted ({model}) and approved only by its own author ({})",
                        who.join(", ")
                    ),
                );
            } else if let Some(min) = policy.min_review_seconds {
                let longest = counted.iter().map(|(_, s)| *s).max().unwrap_or(0);
                if longest < min {
                    broke(
                        "min_review_seconds",
                        format!(
                            "AI-assisted ({model}) and its longest approving review took {longest} s; the policy asks for {min} s"
                        ),
                    );
                }
            }
        }
        let sources = ai_sources(claim);
        if let Some(allowed) = &providers {
            for (p, _) in sources
                .iter()
                .filter(|(p, _)| !allowed.contains(&p.to_ascii_lowercase()))
            {
                broke(
                    "allowed_providers",
                    format!("AI help from provider {p}, which the policy does not allow"),
                );
            }
        }
        if let Some(allowed) = &models {
            for (p, m) in sources.iter().filter(|(p, m)| {
                !allowed.contains(&m.to_ascii_lowercase())
                    && !allowed.contains(&format!("{p}/{m}").to_ascii_lowercase())
            }) {
                broke(
                    "allowed_models",
                    format!("AI help from model {p}/{m}, which the policy does not allow"),
                );
            }
        }
        if policy.require_trailer_for_ai {
            let text = match &f.change.description {
                Some(d) => format!("{}\n{d}", f.change.message),
                None => f.change.message.clone(),
            };
            if attrib_vcs_adapter::trailers::detect(&text).is_none() {
                broke(
                    "require_trailer_for_ai",
                    format!("AI-assisted ({model}) and its message has no trailer saying so (e.g. Assisted-by: AGENT:MODEL)"),
                );
            }
        }
    }
    if let Some(max) = policy.max_ai_line_share {
        report.ai_lines = Some((ai_lines, all_lines));
        let share = if all_lines == 0 {
            0.0
        } else {
            ai_lines as f64 / all_lines as f64
        };
        if share > max {
            report.violations.push(Violation {
                change: None,
                message: None,
                rule: "max_ai_line_share",
                why: format!(
                    "AI wrote {ai_lines} of the {all_lines} lines the range added ({:.1} %); the policy allows {:.1} %",
                    share * 100.0,
                    max * 100.0
                ),
            });
        }
    }
    report.ok = report.violations.is_empty();
    report
}

/// Which changes a check covers.
#[derive(Clone, Debug)]
pub enum Range {
    /// Every change of the channel.
    All,
    /// Changes made in a time range (by their own timestamps; a change whose time the VCS
    /// does not say is kept).
    Time(TimeRange),
    /// Pijul/Atomic: the current channel's changes that another channel lacks.
    NotOn(String),
    /// git: `BASE..HEAD`, the commits HEAD has that BASE lacks.
    Since(String),
}

impl Range {
    /// Reads `BASE..HEAD` (or `BASE..`): the base, and checks that the tip is HEAD.
    pub fn git(spec: &str) -> Result<Range> {
        let Some((base, tip)) = spec.split_once("..") else {
            bail!("{spec:?} is not a range; give BASE..HEAD (e.g. origin/main..HEAD)");
        };
        if tip.starts_with('.') {
            bail!("{spec:?}: BASE...HEAD is not supported; give BASE..HEAD");
        }
        if base.trim().is_empty() {
            bail!("{spec:?} names no base; give BASE..HEAD");
        }
        if !(tip.is_empty() || tip == "HEAD") {
            bail!("{spec:?}: the range must end at HEAD (the checked-out commit), not {tip:?}");
        }
        Ok(Range::Since(base.to_string()))
    }
}

/// The changes of `range`, oldest first, read through `vcs`.
///
/// `known` is the channel as reconciliation left it (the tracker's record): when the policy
/// reads no trailers (`require_trailer_for_ai`), a range of the current channel is taken from
/// it and no VCS process runs; otherwise one `pijul log --description` (or git's log of the
/// range) gives the descriptions too.
pub fn changes_in_range(
    vcs: &dyn Vcs,
    range: &Range,
    known: Option<&ChannelRecord>,
    policy: &Policy,
) -> Result<Vec<ChangeInfo>> {
    let channel = || -> Result<Vec<ChangeInfo>> {
        match known {
            Some(record) if !policy.require_trailer_for_ai => Ok(record.changes.clone()),
            _ => Ok(vcs.channel_log()?.changes),
        }
    };
    match range {
        Range::All => channel(),
        Range::Time(t) => Ok(channel()?
            .into_iter()
            .filter(|c| c.timestamp_ms.is_none_or(|ms| t.contains(ms)))
            .collect()),
        Range::NotOn(other) => {
            let theirs: HashSet<PatchId> = vcs
                .hashes_on(other)
                .with_context(|| format!("cannot read channel {other:?}"))?
                .into_iter()
                .collect();
            Ok(channel()?
                .into_iter()
                .filter(|c| !theirs.contains(&c.hash))
                .collect())
        }
        Range::Since(base) => {
            let commit = vcs
                .resolve_state(base)?
                .ok_or_else(|| anyhow!("{base:?} is not a commit of this repository"))?;
            Ok(vcs.changes_since(Some(&commit))?)
        }
    }
}

/// What the overlay (and, for `max_ai_line_share`, the VCS: one read of each change's added
/// lines) says of each change of the range.
pub fn gather(
    policy: &Policy,
    vcs: &dyn Vcs,
    snap: &Snapshot<'_>,
    changes: Vec<ChangeInfo>,
) -> Result<Vec<ChangeFacts>> {
    let mut facts = Vec::with_capacity(changes.len());
    for change in changes {
        let view = snap.patch(&change.hash)?;
        let added_lines = match policy.max_ai_line_share {
            Some(_) => Some(
                vcs.added_lines(&change.hash)
                    .with_context(|| format!("cannot read the lines {} added", change.hash))?
                    .len() as u64,
            ),
            None => None,
        };
        facts.push(ChangeFacts {
            change,
            view,
            added_lines,
        });
    }
    Ok(facts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attrib_overlay::signed::GENESIS_TEAM;
    use attrib_overlay::{
        AiAssistance, Identity, LineSpan, Origin, Record, Review, SignedRecord, SuggestionType,
    };

    fn change(n: u32, message: &str, description: Option<&str>) -> ChangeInfo {
        let mut c = ChangeInfo::unknown(PatchId::new(&format!("C{n}")).unwrap(), message);
        c.description = description.map(str::to_string);
        c
    }

    fn attest(
        who: &Identity,
        seq: u32,
        patch: &str,
        ai: Option<(&str, &str)>,
        spans: u32,
    ) -> SignedRecord {
        who.sign(
            GENESIS_TEAM,
            Record {
                seq,
                timestamp_ms: 1,
                origin: Origin::Person,
                payload: Payload::Attest(Attestation {
                    patch: PatchId::new(patch).unwrap(),
                    ai: ai.map(|(p, m)| AiAssistance::new(p, m, SuggestionType::Partial)),
                    description: None,
                    depends_on: vec![],
                    conflicts_with: vec![],
                    replaces: None,
                    line_spans: if spans > 0 {
                        vec![LineSpan {
                            file: "a".into(),
                            start: 1,
                            end: spans,
                        }]
                    } else {
                        vec![]
                    },
                    contributions: vec![],
                }),
            },
        )
    }

    fn review(
        who: &Identity,
        seq: u32,
        patch: &str,
        seconds: u32,
        verdict: Verdict,
    ) -> SignedRecord {
        who.sign(
            GENESIS_TEAM,
            Record {
                seq,
                timestamp_ms: 2,
                origin: Origin::Person,
                payload: Payload::Review(Review {
                    patch: PatchId::new(patch).unwrap(),
                    seconds,
                    verdict,
                    comment: None,
                }),
            },
        )
    }

    fn facts(c: ChangeInfo, claims: &[&SignedRecord], added: Option<u64>) -> ChangeFacts {
        let mut view = PatchView::default();
        for r in claims {
            match r.record.payload {
                Payload::Review(_) => view.reviews.insert(r.signer, (*r).clone()),
                _ => view.attestations.insert(r.signer, (*r).clone()),
            };
        }
        ChangeFacts {
            change: c,
            view,
            added_lines: added,
        }
    }

    fn rules(r: &PolicyReport) -> Vec<(String, &'static str)> {
        r.violations
            .iter()
            .map(|v| {
                (
                    v.change.as_ref().map_or("-".into(), |c| c.to_string()),
                    v.rule,
                )
            })
            .collect()
    }

    /// A history with a known answer under every rule: each rule broken by exactly the
    /// changes built to break it, and kept by the others.
    #[test]
    fn each_rule_broken_and_kept() {
        let ada = Identity::from_secret([1; 32]);
        let bob = Identity::from_secret([2; 32]);
        let a1 = attest(&ada, 1, "C1", Some(("anthropic", "claude-sonnet-4")), 0);
        let r1 = review(&bob, 1, "C1", 300, Verdict::Approve);
        let a2 = attest(&ada, 2, "C2", Some(("openai", "gpt-5")), 5);
        let r2 = review(&ada, 3, "C2", 300, Verdict::Approve);
        let a3 = attest(&ada, 4, "C3", Some(("anthropic", "claude-opus-4")), 0);
        let r3 = review(&bob, 2, "C3", 10, Verdict::Approve);
        let a4 = attest(&bob, 3, "C4", None, 0);
        let a6 = attest(&bob, 4, "C6", Some(("anthropic", "claude-sonnet-4")), 0);
        let r6 = review(&ada, 5, "C6", 900, Verdict::RequestChanges);
        let history = vec![
            facts(
                change(1, "ok", Some("Assisted-by: claude-code:claude-sonnet-4")),
                &[&a1, &r1],
                Some(10),
            ),
            facts(
                change(2, "self-reviewed", Some("Assisted-by: codex:gpt-5")),
                &[&a2, &r2],
                Some(10),
            ),
            facts(
                change(3, "quick review, no trailer", None),
                &[&a3, &r3],
                Some(10),
            ),
            facts(change(4, "human", None), &[&a4], Some(10)),
            facts(change(5, "unattested", None), &[], Some(10)),
            facts(
                change(
                    6,
                    "changes requested",
                    Some("Co-authored-by: Claude <noreply@anthropic.com>"),
                ),
                &[&a6, &r6],
                Some(10),
            ),
        ];
        let check = |p: Policy| rules(&evaluate(&p, &history, None));
        let s = |c: &str, r: &'static str| (c.to_string(), r);

        assert_eq!(check(Policy::default()), vec![]);
        assert_eq!(
            check(Policy {
                require_attestation: true,
                ..Policy::default()
            }),
            vec![s("C5", "require_attestation")]
        );
        assert_eq!(
            check(Policy {
                ai_changes_need_review: true,
                ..Policy::default()
            }),
            vec![s("C6", "ai_changes_need_review")]
        );
        assert_eq!(
            check(Policy {
                ai_changes_need_review: true,
                review_by_other_member: true,
                ..Policy::default()
            }),
            vec![
                s("C2", "review_by_other_member"),
                s("C6", "ai_changes_need_review")
            ]
        );
        assert_eq!(
            check(Policy {
                min_review_seconds: Some(60),
                ..Policy::default()
            }),
            vec![s("C3", "min_review_seconds"), s("C6", "min_review_seconds")]
        );
        assert_eq!(
            check(Policy {
                allowed_providers: Some(vec!["Anthropic".into()]),
                ..Policy::default()
            }),
            vec![s("C2", "allowed_providers")]
        );
        assert_eq!(
            check(Policy {
                allowed_models: Some(vec!["claude-sonnet-4".into(), "openai/gpt-5".into()]),
                ..Policy::default()
            }),
            vec![s("C3", "allowed_models")]
        );
        assert_eq!(
            check(Policy {
                require_trailer_for_ai: true,
                ..Policy::default()
            }),
            vec![s("C3", "require_trailer_for_ai")]
        );
        // AI lines: C1 10 (whole change), C2 5 (spans), C3 10, C6 10 = 35 of 60.
        let r = evaluate(
            &Policy {
                max_ai_line_share: Some(0.5),
                ..Policy::default()
            },
            &history,
            None,
        );
        assert_eq!(r.ai_lines, Some((35, 60)));
        assert_eq!(rules(&r), vec![s("-", "max_ai_line_share")]);
        assert!(
            evaluate(
                &Policy {
                    max_ai_line_share: Some(0.6),
                    ..Policy::default()
                },
                &history,
                None
            )
            .ok
        );
        let r = evaluate(&Policy::default(), &history, None);
        assert_eq!((r.changes, r.attested, r.ai_changes), (6, 5, 4));
    }

    #[test]
    fn the_file_is_checked() {
        let p = Policy::parse(
            "require_attestation = true\nallowed_models = [\"gpt-5\"]\nmax_ai_line_share = 0.5\n",
            "attrib-policy.toml",
        )
        .unwrap();
        assert_eq!(
            p.rules(),
            vec!["require_attestation", "allowed_models", "max_ai_line_share"]
        );
        let e = Policy::parse("require_atestation = true\n", "attrib-policy.toml").unwrap_err();
        assert!(e.to_string().contains("require_atestation"), "{e}");
        assert!(Policy::parse("max_ai_line_share = 2.0\n", "p").is_err());
        assert!(Policy::parse("ai_changes_need_review = \"yes\"\n", "p").is_err());
        assert!(Range::git("origin/main..HEAD").is_ok());
        assert!(Range::git("origin/main").is_err());
        assert!(Range::git("a..b").is_err());
    }
}
