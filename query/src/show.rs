//! `show`: every author's current attestation and every review of one patch, each with its
//! signature checked; opening the patch's prompt commitments with a prompt ([`open_prompt`]);
//! and, in an Atomic repository, where the attestations disagree with the attribution Atomic
//! keeps in the change itself ([`Shown::compare_atomic`]).

use anyhow::{bail, Result};
use attrib_overlay::model::commit_prompt_with_salt;
use attrib_overlay::{
    AiAssistance, Membership, Origin, PatchId, Payload, PromptCommitment, SignedRecord, Snapshot,
};
use attrib_vcs_adapter::{AtomicAttribution, AtomicClaim};
use serde::Serialize;

use crate::members::author_name;
use crate::records::RecordView;

/// One record of a [`Shown`] patch, with what its signature check found.
pub struct ShownRecord {
    /// The record.
    pub record: SignedRecord,
    /// The signature verifies.
    pub verified: bool,
    /// `signature ok, member`, `signature ok, key flagged for equivocation` or `BAD SIGNATURE`.
    pub status: &'static str,
}

/// What the team says about one patch.
pub struct Shown {
    /// The patch.
    pub patch: PatchId,
    /// Every author's current attestation, in key order.
    pub attestations: Vec<ShownRecord>,
    /// Every reviewer's current review, in key order.
    pub reviews: Vec<ShownRecord>,
}

/// A [`ShownRecord`] as JSON.
#[derive(Serialize)]
pub struct ShownView {
    /// The record, readable.
    #[serde(flatten)]
    pub record: RecordView,
    /// The signature verifies.
    pub verified: bool,
    /// What the check found.
    pub status: &'static str,
}

/// [`Shown`] as JSON.
#[derive(Serialize)]
pub struct ShownJson {
    /// The patch id.
    pub patch: String,
    /// Any author says AI helped.
    pub ai_assisted: bool,
    /// The attestations.
    pub attestations: Vec<ShownView>,
    /// The reviews.
    pub reviews: Vec<ShownView>,
    /// In an Atomic repository: the attribution Atomic keeps in the change itself, and where
    /// the attestations disagree with it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub atomic: Option<AtomicComparison>,
}

/// One thing Atomic's own attribution of a patch and an attestation of it say differently.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Difference {
    /// `ai-assisted`, `provider` or `model`.
    pub field: &'static str,
    /// What the change says in Atomic.
    pub atomic: String,
    /// What the attestation says.
    pub attested: String,
}

/// An attestation that disagrees with Atomic's own attribution of its patch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Disagreement {
    /// The attestation's author, by member name.
    pub author: String,
    /// The author's key, hex.
    pub author_key: String,
    /// Who produced the attestation.
    pub origin: Origin,
    /// What differs.
    pub differences: Vec<Difference>,
}

/// Atomic's own attribution of a patch, beside the patch's signed attestations.
#[derive(Clone, Debug, Serialize)]
pub struct AtomicComparison {
    /// What Atomic says: an attribution the change states, none (Atomic's default "No"), or
    /// Atomic's guess from the message.
    pub claim: AtomicClaim,
    /// The same in words.
    pub says: String,
    /// The attestations that disagree with an attribution the change states (none when it
    /// states none: Atomic's default and its guesses are not claims).
    pub disagreements: Vec<Disagreement>,
}

/// Where an attestation's AI help (`ai`) and Atomic's own attribution differ: whether AI
/// helped, and the provider and model where Atomic names them (it writes `unknown` for one it
/// was not given, which disagrees with nothing).
pub fn differences(atomic: &AtomicAttribution, ai: Option<&AiAssistance>) -> Vec<Difference> {
    let yes_no = |b: bool| if b { "yes" } else { "no" }.to_string();
    let Some(ai) = ai.filter(|_| atomic.ai_assisted) else {
        if atomic.ai_assisted == ai.is_some() {
            return Vec::new();
        }
        return vec![Difference {
            field: "ai-assisted",
            atomic: yes_no(atomic.ai_assisted),
            attested: yes_no(ai.is_some()),
        }];
    };
    let mut out = Vec::new();
    for (field, theirs, ours) in [
        ("provider", atomic.known_provider(), ai.provider.as_str()),
        ("model", atomic.known_model(), ai.model.as_str()),
    ] {
        if let Some(theirs) = theirs.filter(|t| !t.eq_ignore_ascii_case(ours.trim())) {
            out.push(Difference {
                field,
                atomic: theirs.to_string(),
                attested: ours.to_string(),
            });
        }
    }
    out
}

impl Shown {
    /// Atomic's own attribution of the patch (`claim`) beside its attestations: every
    /// attestation that disagrees with what the change states.
    pub fn compare_atomic(&self, m: Option<&Membership>, claim: AtomicClaim) -> AtomicComparison {
        let mut disagreements = Vec::new();
        if let Some(stated) = claim.stated() {
            for s in &self.attestations {
                let r = &s.record;
                let Payload::Attest(a) = &r.record.payload else {
                    continue;
                };
                let differences = differences(stated, a.ai.as_ref());
                if !differences.is_empty() {
                    disagreements.push(Disagreement {
                        author: author_name(m, r),
                        author_key: r.signer.to_hex(),
                        origin: r.record.origin,
                        differences,
                    });
                }
            }
        }
        AtomicComparison {
            says: claim.to_string(),
            claim,
            disagreements,
        }
    }
}

/// The attestations and reviews of `patch`; an error when the overlay has neither.
pub fn show(snap: &Snapshot<'_>, patch: &PatchId) -> Result<Shown> {
    let view = snap.patch(patch)?;
    if view.attestations.is_empty() && view.reviews.is_empty() {
        bail!("no attestation or review for patch {patch} in this team's overlay");
    }
    let check = |r: SignedRecord| {
        let verified = r.verify();
        let status = if !verified {
            "BAD SIGNATURE"
        } else if snap.equivocators().contains(&r.signer) {
            "signature ok, key flagged for equivocation"
        } else {
            "signature ok, member"
        };
        ShownRecord {
            record: r,
            verified,
            status,
        }
    };
    Ok(Shown {
        patch: patch.clone(),
        attestations: view.attestations.into_values().map(check).collect(),
        reviews: view.reviews.into_values().map(check).collect(),
    })
}

impl Shown {
    /// The readable JSON form.
    pub fn json(&self, snap: &Snapshot<'_>) -> ShownJson {
        let m = snap.membership();
        let view = |s: &ShownRecord| ShownView {
            record: RecordView::of(m, &s.record),
            verified: s.verified,
            status: s.status,
        };
        ShownJson {
            patch: self.patch.as_str().to_string(),
            ai_assisted: self
                .attestations
                .iter()
                .any(|s| matches!(&s.record.record.payload, Payload::Attest(a) if a.ai.is_some())),
            attestations: self.attestations.iter().map(view).collect(),
            reviews: self.reviews.iter().map(view).collect(),
            atomic: None,
        }
    }
}

/// What a prompt commitment is about: an attestation's AI help, or one of its contributions.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "for", rename_all = "kebab-case")]
pub enum CommitmentFor {
    /// The attestation's (main) AI help.
    Ai {
        /// The AI provider.
        provider: String,
        /// The model.
        model: String,
    },
    /// One AI session's contribution.
    Contribution {
        /// The agent tool.
        agent: String,
        /// The AI provider.
        provider: String,
        /// The model.
        model: String,
        /// The agent's session.
        session: Option<String>,
    },
}

impl CommitmentFor {
    /// `contribution claude-code/claude-sonnet-4` or `the AI help anthropic/claude-sonnet-4`.
    pub fn describe(&self) -> String {
        match self {
            CommitmentFor::Ai { provider, model } => format!("the AI help {provider}/{model}"),
            CommitmentFor::Contribution { agent, model, .. } => {
                format!("contribution {agent}/{model}")
            }
        }
    }
}

/// A prompt commitment one of a patch's attestations carries.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommittedPrompt {
    /// The attestation's author, by member name.
    pub author: String,
    /// The author's key, hex.
    pub author_key: String,
    /// The commitment, hex.
    pub commitment: String,
    /// What it is about.
    #[serde(flatten)]
    pub of: CommitmentFor,
    /// The commitment itself.
    #[serde(skip)]
    pub raw: PromptCommitment,
}

impl CommittedPrompt {
    /// `<author>'s commitment for contribution claude-code/claude-sonnet-4`.
    pub fn describe(&self) -> String {
        format!("{}'s commitment for {}", self.author, self.of.describe())
    }
}

impl Shown {
    /// Every prompt commitment the patch's attestations carry: each contribution's, and the AI
    /// help's where no contribution of the same attestation carries the same one (the main AI
    /// help repeats its main contribution's).
    pub fn prompt_commitments(&self, m: Option<&Membership>) -> Vec<CommittedPrompt> {
        let mut out = Vec::new();
        for s in &self.attestations {
            let r = &s.record;
            let Payload::Attest(a) = &r.record.payload else {
                continue;
            };
            let entry = |raw: PromptCommitment, of: CommitmentFor| CommittedPrompt {
                author: author_name(m, r),
                author_key: r.signer.to_hex(),
                commitment: raw.to_hex(),
                of,
                raw,
            };
            for c in &a.contributions {
                if let Some(raw) = c.prompt_commitment {
                    out.push(entry(
                        raw,
                        CommitmentFor::Contribution {
                            agent: c.agent.clone(),
                            provider: c.provider.clone(),
                            model: c.model.clone(),
                            session: c.session.clone(),
                        },
                    ));
                }
            }
            if let Some(ai) = &a.ai {
                if let Some(raw) = ai.prompt_commitment {
                    let repeated = a
                        .contributions
                        .iter()
                        .any(|c| c.prompt_commitment == Some(raw));
                    if !repeated {
                        out.push(entry(
                            raw,
                            CommitmentFor::Ai {
                                provider: ai.provider.clone(),
                                model: ai.model.clone(),
                            },
                        ));
                    }
                }
            }
        }
        out
    }
}

/// What checking a prompt against a patch's prompt commitments found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PromptOpening {
    /// The prompt opens these commitments.
    Opens(Vec<CommittedPrompt>),
    /// It opens none of the commitments whose salts are here; `without_salt` more have none.
    NoMatch {
        /// Commitments with a salt here, checked.
        checked: usize,
        /// Commitments whose salt is not here.
        without_salt: usize,
    },
    /// No commitment's salt is here: only the prompt's author can open them.
    NoSalt(Vec<CommittedPrompt>),
    /// The patch's attestations carry no prompt commitment.
    NoCommitment,
}

impl PromptOpening {
    /// True when the prompt opens a commitment.
    pub fn opened(&self) -> bool {
        matches!(self, PromptOpening::Opens(_))
    }

    /// The answer in words: one line per opened commitment (`the prompt opens ada's commitment
    /// for contribution claude-code/claude-sonnet-4`), or the one line that says why nothing
    /// opened. `file` names the prompt's file, `salts` the directory the salts were looked for
    /// in.
    pub fn message(&self, file: &str, patch: &PatchId, salts: &str) -> String {
        match self {
            PromptOpening::Opens(list) => list
                .iter()
                .map(|c| format!("the prompt opens {}", c.describe()))
                .collect::<Vec<_>>()
                .join("\n"),
            PromptOpening::NoMatch { without_salt, .. } => {
                let mut s = format!("{file} does not open any prompt commitment of {patch}");
                if *without_salt > 0 {
                    s.push_str(&format!(
                        " ({without_salt} more ha{} no salt in {salts}: only the prompt's author can open {})",
                        if *without_salt == 1 { "s" } else { "ve" },
                        if *without_salt == 1 { "it" } else { "them" },
                    ));
                }
                s
            }
            PromptOpening::NoSalt(list) => match list.as_slice() {
                [one] => format!(
                    "no salt for {}'s prompt commitment for {} in {salts}: only the prompt's author can open it",
                    one.author,
                    one.of.describe()
                ),
                many => format!(
                    "no salt for the {} prompt commitments of {patch} in {salts}: only the prompt's author can open them",
                    many.len()
                ),
            },
            PromptOpening::NoCommitment => {
                format!("{patch} carries no prompt commitment (its authors did not commit to their prompts)")
            }
        }
    }
}

/// Checks `prompt` against `commitments`: a commitment opens when its salt (`salt_of`, the
/// salts the prompt's author kept) and the prompt give it again
/// ([`attrib_overlay::model::commit_prompt_with_salt`]).
pub fn open_prompt(
    commitments: &[CommittedPrompt],
    prompt: &[u8],
    mut salt_of: impl FnMut(&PromptCommitment) -> Result<Option<[u8; 16]>>,
) -> Result<PromptOpening> {
    if commitments.is_empty() {
        return Ok(PromptOpening::NoCommitment);
    }
    let mut opens = Vec::new();
    let mut without: Vec<CommittedPrompt> = Vec::new();
    let mut checked = 0;
    for c in commitments {
        match salt_of(&c.raw)? {
            Some(salt) => {
                checked += 1;
                if commit_prompt_with_salt(prompt, &salt) == c.raw {
                    opens.push(c.clone());
                }
            }
            None => without.push(c.clone()),
        }
    }
    Ok(if !opens.is_empty() {
        PromptOpening::Opens(opens)
    } else if checked == 0 {
        PromptOpening::NoSalt(without)
    } else {
        PromptOpening::NoMatch {
            checked,
            without_salt: without.len(),
        }
    })
}

#[cfg(test)]
mod atomic_tests {
    use super::*;
    use attrib_overlay::SuggestionType;

    fn atomic(ai: bool, provider: &str, model: &str) -> AtomicAttribution {
        AtomicAttribution {
            ai_assisted: ai,
            provider: Some(provider.into()),
            model: Some(model.into()),
            suggestion_type: Some(SuggestionType::Complete),
            confidence: Some(0.8),
            confidence_is_default: true,
        }
    }

    #[test]
    fn atomic_and_an_attestation_disagree_on_ai_provider_and_model() {
        let ours = AiAssistance::new("openai", "gpt-5", SuggestionType::Partial);
        let d = differences(&atomic(true, "anthropic", "claude-sonnet-4"), Some(&ours));
        let fields: Vec<(&str, &str, &str)> = d
            .iter()
            .map(|d| (d.field, d.atomic.as_str(), d.attested.as_str()))
            .collect();
        assert_eq!(
            fields,
            [
                ("provider", "anthropic", "openai"),
                ("model", "claude-sonnet-4", "gpt-5")
            ]
        );
        // The same provider and model (in any case) agree; the confidence and suggestion
        // type are not compared (Atomic's are its defaults).
        assert!(differences(&atomic(true, "OpenAI", "gpt-5"), Some(&ours)).is_empty());
        // Atomic's placeholder disagrees with nothing.
        assert!(differences(&atomic(true, "unknown", "unknown"), Some(&ours)).is_empty());
        let d = differences(&atomic(true, "openai", "gpt-5"), None);
        assert_eq!(
            d,
            [Difference {
                field: "ai-assisted",
                atomic: "yes".into(),
                attested: "no".into()
            }]
        );
        let d = differences(&atomic(false, "openai", "gpt-5"), Some(&ours));
        assert_eq!(d[0].field, "ai-assisted");
        assert_eq!(
            (d[0].atomic.as_str(), d[0].attested.as_str()),
            ("no", "yes")
        );
        assert!(differences(&atomic(false, "x", "y"), None).is_empty());
    }
}
