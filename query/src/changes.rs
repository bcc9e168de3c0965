//! A Pijul channel's changes joined with their attestations: what `attrib log` lists and
//! `attrib stats` counts in a Pijul repository.

use std::collections::HashSet;

use anyhow::Result;
use attrib_overlay::view::speaks_before;
use attrib_overlay::{AttestationQuery, PatchId, Payload, SignedRecord, Snapshot};
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
    /// `channel`, `off-channel` or `elsewhere`.
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
    /// The change hash.
    pub hash: PatchId,
    /// Pijul's metadata, when the change was seen on the channel.
    pub info: Option<ChangeInfo>,
    /// Where the change stands relative to the current channel.
    pub place: Place,
    /// The current attestation of each author, in key order.
    pub attestations: Vec<SignedRecord>,
    /// How many members reviewed it.
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

    /// The attestation that speaks for the change ([`attrib_overlay::view::speaks_before`]).
    pub fn speaker(&self) -> Option<&SignedRecord> {
        let ai =
            |r: &SignedRecord| matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some());
        self.attestations.iter().reduce(|best, r| {
            if speaks_before(ai(r), &r.signer, ai(best), &best.signer) {
                r
            } else {
                best
            }
        })
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
