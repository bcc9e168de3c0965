//! `show`: every author's current attestation and every review of one patch, each with its
//! signature checked; and opening the patch's prompt commitments with a prompt
//! ([`open_prompt`]).

use anyhow::{bail, Result};
use attrib_overlay::model::commit_prompt_with_salt;
use attrib_overlay::{Membership, PatchId, Payload, PromptCommitment, SignedRecord, Snapshot};
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
