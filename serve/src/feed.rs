//! The live feed of admitted attestations: the store's log only grows, so its length is a
//! cursor, and every record appended since — by this process, another `attrib` command, an
//! import or the node — is read once, checked against the view, and sent to subscribers.

use std::sync::Arc;
use std::time::Duration;

use attrib_overlay::{Payload, SignedRecord, Snapshot};
use attrib_query::records::RecordView;

use crate::schema::types::Claim;
use crate::App;

/// How often the store is looked at. A look at an unchanged store reads one key in one read
/// transaction (microseconds); this bounds a feed's delay well under the 50 ms target.
pub const POLL: Duration = Duration::from_millis(10);

/// Records read per look: a burst (a sync of thousands) is sent over several looks.
const BATCH: usize = 512;

/// Follows the store until the app stops. Runs on a thread of its own (store reads block).
pub fn follow(app: Arc<App>) {
    let stop = app.stopping();
    let Ok(store) = app.ws.store() else {
        return;
    };
    let mut cursor = match store.snapshot() {
        Ok(s) => s.log_len(),
        Err(e) => {
            tracing::error!("the live feed cannot read the store: {e}");
            return;
        }
    };
    let mut failing = false;
    while !*stop.borrow() {
        std::thread::sleep(POLL);
        // The log's length alone first: a snapshot (page table, membership) only when it grew.
        match store.log_len() {
            Ok(len) if len == cursor => continue,
            _ => {}
        }
        match store.snapshot().and_then(|snap| {
            let (records, next) = snap.records_from(cursor, BATCH)?;
            for r in &records {
                if let Some(claim) = admitted_claim(&snap, r) {
                    crate::metrics::admitted("attestation");
                    // No subscriber is not an error: the record is in the store either way.
                    let _ = app.claims.send(claim);
                } else if matches!(r.record.payload, Payload::Review(_)) {
                    crate::metrics::admitted("review");
                }
            }
            Ok(next)
        }) {
            Ok(next) => {
                cursor = next;
                failing = false;
            }
            Err(e) => {
                // Said once per failing spell, not a hundred times a second.
                if !failing {
                    tracing::error!("the live feed cannot read the store: {e}");
                }
                failing = true;
            }
        }
    }
}

/// The claim `r` makes, when it is an attestation the view admitted and still holds (a
/// record kept only as evidence, or one a newer claim by its author replaced, is not news).
fn admitted_claim(snap: &Snapshot<'_>, r: &SignedRecord) -> Option<Claim> {
    let Payload::Attest(a) = &r.record.payload else {
        return None;
    };
    let view = snap.patch(&a.patch).ok()?;
    let current = view.attestations.get(&r.signer)?;
    if current.id() != r.id() {
        return None;
    }
    Claim::of(
        &RecordView::of(snap.membership(), r),
        view.reviews.len() as u64,
    )
}
