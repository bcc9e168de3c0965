//! `stats` outside a Pijul repository: the overlay's patches, in one pass over the view index
//! (a patch's entries are adjacent), reading only the canonical bytes each entry needs (a
//! lone human attestation needs none), so stats over 100k attestations stays within tens of
//! milliseconds.

use anyhow::Result;
use attrib_overlay::view::speaks_before;
use attrib_overlay::{Payload, Snapshot, ViewKind, ViewRow};

use std::collections::HashMap;

use super::aggregate::{Agg, Kind, Names, Part, Unit, NO_AGENT, UNATTESTED};
use super::{Counts, StatsBy};
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
        (u.model, u.spelling) = names.intern(ai.provider, ai.model);
        u.suggestion = Some(ai.suggestion_type);
        u.confidence = ai.confidence_permille;
        u.self_review = ai.review_seconds;
        // Contributions (decoded only for the records that have them): each one's model and
        // agent, for the breakdowns; no lines outside a repository.
        u.agent = NO_AGENT;
        u.parts.clear();
        if let Some(a) = full {
            if let Some(main) = a.main_contribution() {
                u.agent = names.agent(&main.agent);
            }
            for c in &a.contributions {
                let (model, spelling) = names.intern(&c.provider, &c.model);
                u.parts.push(Part {
                    model,
                    spelling,
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

/// Outside a repository, from the sums the store keeps up to date at ingest
/// ([`Snapshot::stat_groups`]): O(groups), whatever the size of the store. False (nothing
/// added) when they cannot answer and the caller must scan: the store has no up-to-date sums
/// (written by an older version, opened read-only), the dimensions mix the author with
/// anything but the month or the week or day with anything but time, or the time range cuts
/// a month (the sums are kept per month, and per day for `--by day`
/// and `--by week`).
pub(super) fn overlay_sums(snap: &Snapshot<'_>, agg: &mut Agg<'_>) -> Result<bool> {
    use attrib_overlay::store::{month_start_ms, KIND_AI, KIND_HUMAN, NONE};
    use attrib_overlay::SuggestionType;
    let by_author = agg.dims.contains(&StatsBy::Author);
    let is_time = |d: &StatsBy| matches!(d, StatsBy::Month | StatsBy::Week | StatsBy::Day);
    // Weeks and days come from the `D` sums, which split patches by nothing but their day.
    let by_day = agg
        .dims
        .iter()
        .any(|d| matches!(d, StatsBy::Week | StatsBy::Day));
    let supported = agg.dims.iter().all(|d| match d {
        StatsBy::Month => true,
        StatsBy::Week | StatsBy::Day => agg.dims.iter().all(is_time),
        StatsBy::Author => by_author,
        StatsBy::Provider | StatsBy::Model | StatsBy::SuggestionType | StatsBy::Agent => !by_author,
    });
    if !supported {
        return Ok(false);
    }
    let Some(sums) = snap.stat_groups()? else {
        return Ok(false);
    };
    let authors = if by_author {
        match snap.stat_author_groups()? {
            Some(a) => a,
            None => return Ok(false),
        }
    } else {
        Vec::new()
    };
    let days = if by_day {
        match snap.stat_day_groups()? {
            Some(d) => d,
            None => return Ok(false),
        }
    } else {
        Vec::new()
    };
    // Each month wholly in range or wholly out of it; a month the range cuts needs the scan.
    let range = agg.range;
    let month_in = |m: u32| -> Option<bool> {
        let (start, end) = (month_start_ms(m), month_start_ms(m + 1).saturating_sub(1));
        if range.contains(start) && range.contains(end) {
            Some(true)
        } else if range.until.is_some_and(|u| u < start) || range.since.is_some_and(|s| s > end) {
            Some(false)
        } else {
            None
        }
    };
    let months = sums
        .groups
        .iter()
        .map(|g| g.month)
        .chain(authors.iter().map(|a| a.month));
    let mut cut = false;
    for m in months {
        cut |= month_in(m).is_none();
    }
    if cut {
        return Ok(false);
    }
    let mut spellings: HashMap<u32, (u32, u32)> = HashMap::new();
    let mut agents: HashMap<u32, u32> = HashMap::new();
    let name = |id: u32| sums.names.get(id as usize).map_or("", String::as_str);
    for g in &sums.groups {
        if month_in(g.month) != Some(true) {
            continue;
        }
        let kind = match g.kind {
            KIND_AI => Kind::Ai,
            KIND_HUMAN => Kind::Human,
            _ => Kind::Unattested,
        };
        let mut u = Unit::new(month_start_ms(g.month), kind);
        let mut spelling = |id: u32, names: &mut Names| {
            *spellings.entry(id).or_insert_with(|| {
                let (p, m) = name(id).split_once('\0').unwrap_or((name(id), ""));
                names.intern(p, m)
            })
        };
        if kind == Kind::Ai && g.spelling != NONE {
            (u.model, u.spelling) = spelling(g.spelling, &mut agg.names);
            u.suggestion = SuggestionType::ALL.get(g.suggestion as usize).copied();
        }
        if kind == Kind::Ai && g.agent != NONE {
            u.agent = *agents
                .entry(g.agent)
                .or_insert_with(|| agg.names.agent(name(g.agent)));
        }
        let parts: Vec<(u32, u32)> = g
            .part_spellings
            .iter()
            .map(|&id| spelling(id, &mut agg.names))
            .collect();
        let part_agents: Vec<u32> = g
            .part_agents
            .iter()
            .map(|&id| {
                *agents
                    .entry(id)
                    .or_insert_with(|| agg.names.agent(name(id)))
            })
            .collect();
        agg.add_sums(
            &u,
            &Counts::of_sums(&g.counts),
            &parts,
            &part_agents,
            !by_author && !by_day,
        );
    }
    for d in &days {
        let start = u64::from(d.day) * 86_400_000;
        if month_in(attrib_overlay::store::month_of(start)) != Some(true) {
            continue;
        }
        // Only time splits these groups: the kind is not part of their key.
        agg.add_group_sums(&Unit::new(start, Kind::Human), &Counts::of_sums(&d.counts));
    }
    for a in &authors {
        if month_in(a.month) != Some(true) {
            continue;
        }
        let mut u = Unit::new(month_start_ms(a.month), Kind::Human);
        u.author = if a.author == NONE {
            UNATTESTED
        } else {
            a.author
        };
        agg.add_group_sums(&u, &Counts::of_sums(&a.counts));
    }
    Ok(true)
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
