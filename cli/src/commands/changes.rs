//! A Pijul channel's changes joined with their attestations: what `attrib log` lists and
//! `attrib stats` counts in a Pijul repository.

use std::collections::HashSet;

use anyhow::Result;
use attrib_overlay::peek::AiPeek;
use attrib_overlay::{
    AttestationQuery, PatchId, Payload, PublicKey, SignedRecord, Snapshot, SuggestionType,
};
use attrib_vcs_adapter::{ChangeInfo, ChannelRecord};

/// Where a change stands relative to the current channel.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Place {
    /// On the current channel.
    Channel,
    /// Was on it, and left (unrecorded, or amended away).
    OffChannel,
    /// Attested in the overlay, never seen on this channel (another channel, or not pulled).
    Elsewhere,
}

impl Place {
    pub fn as_str(self) -> &'static str {
        match self {
            Place::Channel => "channel",
            Place::OffChannel => "off-channel",
            Place::Elsewhere => "elsewhere",
        }
    }
}

/// One change and what the overlay says about it.
pub struct ChangeEntry {
    pub hash: PatchId,
    /// Pijul's metadata, when the change was seen on the channel.
    pub info: Option<ChangeInfo>,
    pub place: Place,
    /// The current attestation of each author.
    pub attestations: Vec<SignedRecord>,
    pub reviews: usize,
    /// Seconds the reviews say the reviewers spent, together.
    pub review_seconds: u64,
}

impl ChangeEntry {
    /// Time to sort and show by: the change's own, else its first attestation's.
    pub fn time_ms(&self) -> u64 {
        self.info
            .as_ref()
            .and_then(|i| i.timestamp_ms)
            .or_else(|| {
                self.attestations
                    .iter()
                    .map(|r| r.record.timestamp_ms)
                    .min()
            })
            .unwrap_or(0)
    }

    /// The AI claim that speaks for the change: any author's AI claim wins over human ones
    /// (the change had AI help if any of its authors says so).
    pub fn ai_claim(&self) -> Option<&SignedRecord> {
        self.attestations
            .iter()
            .find(|r| matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some()))
    }
}

/// The changes of `channel`, newest first; with `all`, then the off-channel ones and the
/// attested patches this channel never had.
pub fn entries(
    snap: &Snapshot<'_>,
    channel: &ChannelRecord,
    all: bool,
) -> Result<Vec<ChangeEntry>> {
    let mut out = Vec::with_capacity(channel.changes.len());
    let mut seen: HashSet<PatchId> = HashSet::new();
    let mut push = |info: Option<&ChangeInfo>, hash: &PatchId, place: Place| -> Result<()> {
        if !seen.insert(hash.clone()) {
            return Ok(());
        }
        let view = snap.patch(hash)?;
        let review_seconds = view
            .reviews
            .values()
            .map(|r| match &r.record.payload {
                Payload::Review(rv) => u64::from(rv.seconds),
                _ => 0,
            })
            .sum();
        out.push(ChangeEntry {
            hash: hash.clone(),
            info: info.cloned(),
            place,
            attestations: view.attestations.into_values().collect(),
            reviews: view.reviews.len(),
            review_seconds,
        });
        Ok(())
    };
    for c in channel.changes.iter().rev() {
        push(Some(c), &c.hash, Place::Channel)?;
    }
    if all {
        // Newest first like the channel (the tracker keeps them by hash); unknown times last.
        let mut off: Vec<&ChangeInfo> = channel.off_channel.iter().rev().collect();
        off.sort_by_key(|c| std::cmp::Reverse(c.timestamp_ms));
        for c in off {
            push(Some(c), &c.hash, Place::OffChannel)?;
        }
        let mut elsewhere: Vec<(u64, PatchId)> = Vec::new();
        for row in snap.attestation_rows(&AttestationQuery::default())? {
            if let Payload::Attest(a) = &snap.record_at(row.offset)?.record.payload {
                elsewhere.push((row.timestamp_ms, a.patch.clone()));
            }
        }
        for (_, p) in elsewhere {
            push(None, &p, Place::Elsewhere)?;
        }
    }
    Ok(out)
}

/// The attestation filters of `attrib log`, applied to decoded records.
#[derive(Default)]
pub struct Filter {
    pub ai_only: bool,
    pub human_only: bool,
    pub author: Option<PublicKey>,
    pub provider: Option<String>,
    pub model: Option<String>,
    /// Only AI claims of this type.
    pub suggestion_type: Option<SuggestionType>,
    /// Only AI claims stating at least this confidence (permille).
    pub min_confidence: Option<u16>,
}

impl Filter {
    /// True when no filter is set: unattested changes are listed too.
    pub fn is_empty(&self) -> bool {
        !self.ai_only
            && !self.human_only
            && self.author.is_none()
            && self.provider.is_none()
            && self.model.is_none()
            && self.suggestion_type.is_none()
            && self.min_confidence.is_none()
    }

    /// True when only AI claims can pass.
    fn needs_ai(&self) -> bool {
        self.ai_only
            || self.provider.is_some()
            || self.model.is_some()
            || self.suggestion_type.is_some()
            || self.min_confidence.is_some()
    }

    /// The suggestion-type and confidence tests on a peeked record (the store's index applies
    /// the others).
    pub fn accepts_ai_peek(&self, ai: Option<&AiPeek<'_>>) -> bool {
        match ai {
            None => self.suggestion_type.is_none() && self.min_confidence.is_none(),
            Some(ai) => {
                self.suggestion_type.is_none_or(|t| t == ai.suggestion_type)
                    && self
                        .min_confidence
                        .is_none_or(|min| ai.confidence_permille.is_some_and(|c| c >= min))
            }
        }
    }

    pub fn accepts(&self, r: &SignedRecord) -> bool {
        let Payload::Attest(a) = &r.record.payload else {
            return false;
        };
        if self.author.is_some_and(|k| k != r.signer) {
            return false;
        }
        match &a.ai {
            None => !self.needs_ai(),
            Some(ai) => {
                !self.human_only
                    && self.provider.as_ref().is_none_or(|p| *p == ai.provider)
                    && self.model.as_ref().is_none_or(|m| *m == ai.model)
                    && self.suggestion_type.is_none_or(|t| t == ai.suggestion_type)
                    && self
                        .min_confidence
                        .is_none_or(|min| ai.confidence_permille.is_some_and(|c| c >= min))
            }
        }
    }
}

/// A Pijul author as a short name: `Ada (ada) <ada@example.org>` → `Ada`.
pub fn short_author(authors: &[String]) -> String {
    let Some(first) = authors.first() else {
        return String::new();
    };
    let name = first
        .split(" (")
        .next()
        .unwrap_or(first)
        .split(" <")
        .next()
        .unwrap_or(first)
        .trim();
    let name = if name.is_empty() { first.trim() } else { name };
    if authors.len() > 1 {
        format!("{name} +{}", authors.len() - 1)
    } else {
        name.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_author_keeps_the_display_name() {
        let a = |s: &[&str]| short_author(&s.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(a(&["Ada (ada) <ada@example.org>"]), "Ada");
        assert_eq!(a(&["Ada <ada@example.org>", "Bob"]), "Ada +1");
        assert_eq!(a(&["KEYKEYKEY"]), "KEYKEYKEY");
        assert_eq!(a(&[]), "");
    }
}
