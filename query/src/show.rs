//! `show`: every author's current attestation and every review of one patch, each with its
//! signature checked.

use anyhow::{bail, Result};
use attrib_overlay::{PatchId, Payload, SignedRecord, Snapshot};
use serde::Serialize;

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
