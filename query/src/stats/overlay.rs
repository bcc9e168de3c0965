//! `stats` outside a Pijul repository: the overlay's patches, in one pass over the view index
//! (a patch's entries are adjacent), reading only the canonical bytes each entry needs (a
//! lone human attestation needs none), so stats over 100k attestations stays within tens of
//! milliseconds.

use anyhow::Result;
use attrib_overlay::view::speaks_before;
use attrib_overlay::{Payload, Snapshot, ViewKind, ViewRow};

use super::aggregate::{Agg, Kind, Names, Part, Unit, NO_AGENT};
use crate::records::main_contribution;
use crate::reviews::PatchKey;

/// A patch being put together from its view entries.
struct Building {
    key: Option<PatchKey>,
    unit: Unit,
    attested: bool,
    /// The signer of the AI claim that speaks for the patch ([`speaks_before`]).
    ai_signer: Option<attrib_overlay::PublicKey>,
}

impl Building {
    fn new(key: Option<PatchKey>) -> Building {
        Building {
            key,
            unit: Unit::new(0, Kind::Unattested),
            attested: false,
            ai_signer: None,
        }
    }

    fn attestation(
        &mut self,
        snap: &Snapshot<'_>,
        row: &ViewRow,
        ai: Option<&attrib_overlay::peek::AiPeek<'_>>,
        full: Option<&attrib_overlay::Attestation>,
        names: &mut Names,
    ) {
        let u = &mut self.unit;
        if self.attested {
            u.time_ms = u.time_ms.min(row.timestamp_ms);
        } else {
            // The first attestation: the patch's time is its attestations', not its reviews'.
            u.time_ms = row.timestamp_ms;
            u.kind = Kind::Human;
            self.attested = true;
        }
        u.add_author(row.author);
        let Some(ai) = ai else {
            return;
        };
        let signer = snap.authors().get(row.author as usize).copied();
        if u.kind == Kind::Ai {
            if let (Some(new), Some(current)) = (&signer, &self.ai_signer) {
                if !speaks_before(true, new, true, current) {
                    return;
                }
            }
        }
        self.ai_signer = signer;
        u.kind = Kind::Ai;
        u.model = names.model(ai.provider, ai.model);
        u.suggestion = Some(ai.suggestion_type);
        u.confidence = ai.confidence_permille;
        u.self_review = ai.review_seconds;
        // Contributions (decoded only for the records that have them): each one's model and
        // agent, for the breakdowns; no lines outside a repository.
        u.agent = NO_AGENT;
        u.parts.clear();
        if let Some(a) = full {
            if let Some(main) = main_contribution(a) {
                u.agent = names.agent(&main.agent);
            }
            for c in &a.contributions {
                u.parts.push(Part {
                    model: names.model(&c.provider, &c.model),
                    agent: names.agent(&c.agent),
                    lines: 0,
                });
            }
        }
    }

    fn review(&mut self, time_ms: u64, seconds: u32) {
        let u = &mut self.unit;
        if !self.attested {
            u.time_ms = if u.reviews == 0 {
                time_ms
            } else {
                u.time_ms.min(time_ms)
            };
        }
        u.reviews += 1;
        u.reviewer_seconds += u64::from(seconds);
    }
}

/// Outside a Pijul repository: the overlay's patches, in one pass over the view index (a
/// patch's entries are adjacent), reading only the canonical bytes each entry needs.
pub(super) fn overlay_units(snap: &Snapshot<'_>, agg: &mut Agg<'_>) -> Result<()> {
    let mut group: Vec<ViewRow> = Vec::new();
    let mut building: Vec<Building> = Vec::new();
    let mut flush = |group: &[ViewRow], agg: &mut Agg<'_>| -> Result<()> {
        // Nearly every index key holds one patch: its entries need no id comparison.
        let single = group.len() == 1;
        building.clear();
        for row in group {
            let at = |key: PatchKey, building: &mut Vec<Building>| -> usize {
                match building.iter().position(|b| b.key.as_ref() == Some(&key)) {
                    Some(i) => i,
                    None => {
                        building.push(Building::new(Some(key)));
                        building.len() - 1
                    }
                }
            };
            match row.kind {
                // A patch's only entry, a human attestation: the index says all there is.
                ViewKind::Attestation { ai: false } if single => {
                    building.push(Building::new(None));
                    building[0].attestation(snap, row, None, None, &mut agg.names);
                }
                ViewKind::Attestation { .. } => {
                    let body = snap.stored_body(row.offset)?;
                    let p = body.attestation()?;
                    let i = if single {
                        building.push(Building::new(None));
                        0
                    } else {
                        at(PatchKey::of_ref(&p.patch), &mut building)
                    };
                    let full = if p.contributions {
                        match snap.record_at(row.offset)?.record.payload {
                            Payload::Attest(a) => Some(a),
                            _ => None,
                        }
                    } else {
                        None
                    };
                    building[i].attestation(
                        snap,
                        row,
                        p.ai.as_ref(),
                        full.as_ref(),
                        &mut agg.names,
                    );
                }
                ViewKind::Review => {
                    let body = snap.stored_body(row.offset)?;
                    let rv = body.review()?;
                    let i = at(PatchKey::of_ref(&rv.patch), &mut building);
                    building[i].review(rv.timestamp_ms, rv.seconds);
                }
                ViewKind::Other => {}
            }
        }
        for b in &building {
            agg.add(&b.unit);
        }
        Ok(())
    };
    for row in snap.view_rows()? {
        let row = row?;
        if group.first().is_some_and(|g| g.patch_key != row.patch_key) {
            flush(&group, agg)?;
            group.clear();
        }
        group.push(row);
    }
    if !group.is_empty() {
        flush(&group, agg)?;
    }
    Ok(())
}
