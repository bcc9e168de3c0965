//! Reviews: a member's signed statement that they reviewed another member's patch. The rules
//! live here, so every front end enforces them: no review of a patch nobody attested, and a
//! review comes from a member other than the patch's only author.

use anyhow::{bail, Result};
use attrib_overlay::{Origin, PatchId, Payload, Review, SignedRecord, Verdict};

use crate::identity::DeviceIdentity;
use crate::signing::sign_and_store;
use crate::Workspace;

/// What a reviewer says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReviewInput {
    /// Seconds spent reviewing.
    pub seconds: u32,
    /// Approve, request changes, or comment.
    pub verdict: Verdict,
    /// Free text.
    pub comment: Option<String>,
}

/// Signs and stores this device's review of `patch`, after checking the review rules.
pub fn review(
    ws: &Workspace,
    me: &DeviceIdentity,
    patch: PatchId,
    input: ReviewInput,
) -> Result<SignedRecord> {
    {
        let snap = ws.store()?.snapshot()?;
        let view = snap.patch(&patch)?;
        if view.attestations.is_empty() {
            bail!("patch {patch} has no attestation in this team's overlay; check the id with `attrib log`");
        }
        if view.attestations.keys().all(|k| *k == me.public()) {
            bail!("you are the only author of {patch}; a review must come from another member");
        }
    }
    sign_and_store(
        ws,
        me,
        Origin::Person,
        Payload::Review(Review {
            patch,
            seconds: input.seconds,
            verdict: input.verdict,
            comment: input.comment,
        }),
    )
}
