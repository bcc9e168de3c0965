//! Reconciliation: compare what the channel holds now with what was seen last time, and say what
//! happened in between as overlay events.
//!
//! This module is pure: no processes, no files, no clock. The caller feeds it the channel's
//! current state (from [`crate::Pijul::observe`]) and any hints from a wrapped command it ran
//! itself (`attrib record` knows the hash it recorded and the hash an `--amend` replaced), then
//! persists the updated [`Seen`] (it is serde-serializable) beside the overlay store.
//!
//! The rules, from `docs/ARCHITECTURE.md` (the VCS adapter's section):
//! - a hash new to the channel was recorded here ([`Event::Recorded`], only when a hint says
//!   so) or arrived some other way: pulled, applied, or recorded by a plain `pijul record`
//!   ([`Event::Appeared`]);
//! - a hash that left the channel is [`Event::Unrecorded`]: mark it off-channel, never delete;
//!   it stays in [`Seen::off_channel`] forever, and if it comes back it is [`Event::Returned`];
//! - a new hash that *replaces* a known one is [`Event::Amended`]: the attribution carries over,
//!   and the replaced hash is not also reported as unrecorded. Evidence, strongest first: an
//!   amend hint from the wrapped `pijul record --amend`, the change's declared lineage (when the
//!   VCS prints it), and its stamp (authors and timestamp, which an amend keeps) matching a change
//!   that left the channel in the same scan;
//! - the root change is ignored;
//! - reconciling the same observation twice yields no events the second time.

use std::collections::{BTreeMap, BTreeSet};

use attrib_overlay::PatchId;
use serde::{Deserialize, Serialize};

/// True for Pijul's root change (`Hash::None`, printed as all `A`s), which no one authors.
pub fn is_root(hash: &PatchId) -> bool {
    hash.as_str().bytes().all(|b| b == b'A')
}

/// One change on the channel as observed now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObservedChange {
    /// The change's hash.
    pub hash: PatchId,
    /// The amend lineage this change declares, oldest first (its last element is the change it
    /// directly replaces). Empty when it replaces nothing or when the VCS does not say.
    pub replaces: Vec<PatchId>,
    /// The change header's authors and timestamp. Pijul's `record --amend` keeps both, so a new
    /// change with the stamp of one that just left the channel is its amend, even when the amend
    /// was a plain `pijul record --amend` that no wrapper saw.
    pub stamp: Option<String>,
}

impl ObservedChange {
    /// A change that declares no lineage.
    pub fn plain(hash: PatchId) -> Self {
        ObservedChange {
            hash,
            replaces: Vec::new(),
            stamp: None,
        }
    }
}

/// The channel as observed now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Observation {
    /// The channel's state id (Pijul's Merkle state of the latest change), when known. Two scans
    /// with the same state saw the same set of changes.
    pub state: Option<String>,
    /// The channel's changes in channel order, oldest first. The root change may be included; it
    /// is ignored.
    pub changes: Vec<ObservedChange>,
}

/// What a wrapped command knows first-hand about a hash it just produced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Hint {
    /// `attrib record` recorded this hash.
    Recorded(PatchId),
    /// `attrib record --amend` replaced `old` with `new`.
    Amended {
        /// The change the amend replaced.
        old: PatchId,
        /// The change recorded in its place.
        new: PatchId,
    },
}

/// What happened to the channel since the last scan.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// New on the channel, recorded by the wrapped command.
    Recorded {
        /// The change recorded.
        hash: PatchId,
    },
    /// New on the channel by any other route: pulled, applied, or recorded by a plain
    /// `pijul record`. It is unattested until an attestation for it arrives.
    Appeared {
        /// The change that appeared.
        hash: PatchId,
    },
    /// Back on the channel after having left it.
    Returned {
        /// The change that came back.
        hash: PatchId,
    },
    /// Left the channel (unrecorded): mark it off-channel, never delete its records.
    Unrecorded {
        /// The change that left.
        hash: PatchId,
    },
    /// `new` replaces `old` (an amend): carry `old`'s attribution over to `new`.
    Amended {
        /// The change replaced; it leaves the channel without an `Unrecorded` event.
        old: PatchId,
        /// The change that replaces it.
        new: PatchId,
    },
}

/// What the adapter remembers between scans of one channel. Persist it between runs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Seen {
    /// The channel state id at the last scan, if the VCS gave one.
    pub state: Option<String>,
    /// Changes on the channel at the last scan (root excluded).
    pub on_channel: BTreeSet<PatchId>,
    /// Changes once seen on the channel and since gone (unrecorded or amended away). Never
    /// forgotten: their attestations stay valid history.
    pub off_channel: BTreeSet<PatchId>,
    /// The stamps ([`ObservedChange::stamp`]) of the changes on the channel, to recognise amends.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub stamps: BTreeMap<PatchId, String>,
}

impl Seen {
    /// The cheap check: true when `state` is the state of the last scan, so nothing can have
    /// changed and the full comparison can be skipped.
    pub fn is_current(&self, state: &str) -> bool {
        self.state.as_deref() == Some(state)
    }

    /// Compares `now` with the last scan, returns the events in a deterministic order
    /// (unrecords first, then arrivals in channel order) and remembers `now`.
    pub fn reconcile(&mut self, now: &Observation, hints: &[Hint]) -> Vec<Event> {
        let current: BTreeSet<&PatchId> = now
            .changes
            .iter()
            .map(|c| &c.hash)
            .filter(|h| !is_root(h))
            .collect();
        let mut recorded_here = BTreeSet::new();
        let mut amended_from: BTreeMap<&PatchId, &PatchId> = BTreeMap::new();
        for hint in hints {
            match hint {
                Hint::Recorded(h) => {
                    recorded_here.insert(h);
                }
                Hint::Amended { old, new } => {
                    amended_from.insert(new, old);
                }
            }
        }

        // Changes that left the channel, by stamp: an arrival with the same stamp amends one.
        let mut gone_by_stamp: BTreeMap<&str, &PatchId> = BTreeMap::new();
        for (h, stamp) in &self.stamps {
            if !current.contains(h) {
                gone_by_stamp.insert(stamp.as_str(), h);
            }
        }

        // Arrivals, in channel order; each one consumes the predecessor it replaces.
        let mut replaced: BTreeSet<PatchId> = BTreeSet::new();
        let mut arrivals = Vec::new();
        let mut arrived = BTreeSet::new();
        for change in &now.changes {
            let h = &change.hash;
            if is_root(h) || self.on_channel.contains(h) || !arrived.insert(h) {
                continue;
            }
            let known = |p: &PatchId| {
                p != h
                    && !replaced.contains(p)
                    && (self.on_channel.contains(p) || self.off_channel.contains(p))
            };
            // The hint is first-hand; otherwise the newest known hash of the declared lineage.
            let predecessor = amended_from
                .get(h)
                .map(|p| (*p).clone())
                .filter(|p| p != h)
                .or_else(|| change.replaces.iter().rev().find(|p| known(p)).cloned())
                .or_else(|| {
                    let stamp = change.stamp.as_deref()?;
                    gone_by_stamp
                        .get(stamp)
                        .filter(|p| !replaced.contains(**p))
                        .map(|p| (*p).clone())
                });
            let event = if let Some(old) = predecessor {
                replaced.insert(old.clone());
                Event::Amended {
                    old,
                    new: h.clone(),
                }
            } else if self.off_channel.contains(h) {
                Event::Returned { hash: h.clone() }
            } else if recorded_here.contains(h) {
                Event::Recorded { hash: h.clone() }
            } else {
                Event::Appeared { hash: h.clone() }
            };
            arrivals.push(event);
        }

        let mut events: Vec<Event> = self
            .on_channel
            .iter()
            .filter(|h| !current.contains(h) && !replaced.contains(*h))
            .map(|h| Event::Unrecorded { hash: h.clone() })
            .collect();
        events.extend(arrivals);

        // Remember: everything that left (unrecorded or amended away) is off-channel for good,
        // unless it is on the channel right now.
        let gone: Vec<PatchId> = self
            .on_channel
            .iter()
            .filter(|h| !current.contains(h))
            .cloned()
            .collect();
        self.off_channel.extend(gone);
        self.off_channel
            .extend(replaced.into_iter().filter(|h| !current.contains(h)));
        self.off_channel.retain(|h| !current.contains(h));
        self.on_channel = current.into_iter().cloned().collect();
        self.stamps = now
            .changes
            .iter()
            .filter(|c| self.on_channel.contains(&c.hash))
            .filter_map(|c| Some((c.hash.clone(), c.stamp.clone()?)))
            .collect();
        self.state = now.state.clone();
        events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u8) -> PatchId {
        // Distinct, valid, Pijul-shaped ids.
        let c = (b'B' + n) as char;
        PatchId::new(&format!("{}C", c.to_string().repeat(52))).unwrap()
    }
    fn root() -> PatchId {
        PatchId::new("AA").unwrap()
    }
    fn obs(hashes: &[PatchId]) -> Observation {
        Observation {
            state: Some(format!("S{}", hashes.len())),
            changes: hashes.iter().cloned().map(ObservedChange::plain).collect(),
        }
    }

    #[test]
    fn new_hashes_appear_or_are_recorded_and_the_root_is_ignored() {
        let mut seen = Seen::default();
        let events = seen.reconcile(&obs(&[root(), id(1), id(2)]), &[Hint::Recorded(id(2))]);
        assert_eq!(
            events,
            vec![
                Event::Appeared { hash: id(1) },
                Event::Recorded { hash: id(2) }
            ]
        );
        assert_eq!(seen.on_channel.len(), 2);
        assert!(!seen.on_channel.contains(&root()));
    }

    #[test]
    fn reconciling_twice_yields_nothing() {
        let mut seen = Seen::default();
        let now = obs(&[id(1), id(2)]);
        assert_eq!(seen.reconcile(&now, &[]).len(), 2);
        let before = seen.clone();
        assert!(seen.reconcile(&now, &[]).is_empty());
        assert!(seen.reconcile(&now, &[Hint::Recorded(id(2))]).is_empty());
        assert_eq!(seen, before);
        assert!(seen.is_current("S2"));
        assert!(!seen.is_current("S3"));
    }

    #[test]
    fn a_missing_hash_is_unrecorded_and_kept_off_channel() {
        let mut seen = Seen::default();
        seen.reconcile(&obs(&[id(1), id(2)]), &[]);
        let events = seen.reconcile(&obs(&[id(1)]), &[]);
        assert_eq!(events, vec![Event::Unrecorded { hash: id(2) }]);
        assert!(seen.off_channel.contains(&id(2)));
        assert!(seen.reconcile(&obs(&[id(1)]), &[]).is_empty());
        // Coming back is reported once, and it is on the channel again.
        let events = seen.reconcile(&obs(&[id(1), id(2)]), &[]);
        assert_eq!(events, vec![Event::Returned { hash: id(2) }]);
        assert!(seen.off_channel.is_empty());
        assert!(seen.on_channel.contains(&id(2)));
    }

    #[test]
    fn an_amend_from_lineage_metadata_carries_over_without_an_unrecord() {
        let mut seen = Seen::default();
        seen.reconcile(&obs(&[id(1), id(2)]), &[]);
        let now = Observation {
            state: None,
            changes: vec![
                ObservedChange::plain(id(1)),
                ObservedChange {
                    hash: id(3),
                    replaces: vec![id(2)],
                    stamp: None,
                },
            ],
        };
        let events = seen.reconcile(&now, &[]);
        assert_eq!(
            events,
            vec![Event::Amended {
                old: id(2),
                new: id(3)
            }]
        );
        assert!(seen.off_channel.contains(&id(2)));
        assert!(seen.reconcile(&now, &[]).is_empty());
    }

    #[test]
    fn an_amend_chain_links_to_the_newest_known_predecessor() {
        // Seen 2; 3 (replacing 2) came and went unseen; now 4 declares the chain [2, 3].
        let mut seen = Seen::default();
        seen.reconcile(&obs(&[id(1), id(2)]), &[]);
        let now = Observation {
            state: None,
            changes: vec![
                ObservedChange::plain(id(1)),
                ObservedChange {
                    hash: id(4),
                    replaces: vec![id(2), id(3)],
                    stamp: None,
                },
            ],
        };
        assert_eq!(
            seen.reconcile(&now, &[]),
            vec![Event::Amended {
                old: id(2),
                new: id(4)
            }]
        );
    }

    #[test]
    fn an_amend_hint_works_without_metadata() {
        let mut seen = Seen::default();
        seen.reconcile(&obs(&[id(1)]), &[]);
        let events = seen.reconcile(
            &obs(&[id(2)]),
            &[Hint::Amended {
                old: id(1),
                new: id(2),
            }],
        );
        assert_eq!(
            events,
            vec![Event::Amended {
                old: id(1),
                new: id(2)
            }]
        );
        assert_eq!(seen.off_channel, BTreeSet::from([id(1)]));
    }

    #[test]
    fn an_arrival_with_the_stamp_of_a_departed_change_is_its_amend() {
        let stamped = |n: u8, stamp: &str| ObservedChange {
            hash: id(n),
            replaces: Vec::new(),
            stamp: Some(stamp.to_string()),
        };
        let mut seen = Seen::default();
        let before = Observation {
            state: None,
            changes: vec![stamped(1, "ada@t1"), stamped(2, "ada@t2")],
        };
        seen.reconcile(&before, &[]);
        let after = Observation {
            state: None,
            changes: vec![
                stamped(1, "ada@t1"),
                stamped(3, "ada@t2"),
                stamped(4, "bob@t3"),
            ],
        };
        assert_eq!(
            seen.reconcile(&after, &[]),
            vec![
                Event::Amended {
                    old: id(2),
                    new: id(3)
                },
                Event::Appeared { hash: id(4) }
            ]
        );
        assert!(seen.reconcile(&after, &[]).is_empty());
        assert_eq!(seen.stamps.len(), 3);
        // A stamp still on the channel is not a predecessor.
        let twin = Observation {
            state: None,
            changes: vec![
                stamped(1, "ada@t1"),
                stamped(3, "ada@t2"),
                stamped(4, "bob@t3"),
                stamped(5, "ada@t1"),
            ],
        };
        assert_eq!(
            seen.reconcile(&twin, &[]),
            vec![Event::Appeared { hash: id(5) }]
        );
    }

    #[test]
    fn lineage_naming_only_unknown_hashes_is_a_plain_arrival() {
        let mut seen = Seen::default();
        let now = Observation {
            state: None,
            changes: vec![ObservedChange {
                hash: id(5),
                replaces: vec![id(9)],
                stamp: None,
            }],
        };
        assert_eq!(
            seen.reconcile(&now, &[]),
            vec![Event::Appeared { hash: id(5) }]
        );
    }

    #[test]
    fn events_do_not_depend_on_how_many_scans_were_missed() {
        // One scan over two steps equals the final state of two scans.
        let (a, b, c) = (obs(&[id(1), id(2)]), obs(&[id(1)]), obs(&[id(1), id(3)]));
        let mut once = Seen::default();
        once.reconcile(&a, &[]);
        let mut twice = once.clone();
        once.reconcile(&c, &[]);
        twice.reconcile(&b, &[]);
        twice.reconcile(&c, &[]);
        assert_eq!(once.on_channel, twice.on_channel);
        assert_eq!(once.off_channel, twice.off_channel);
    }

    #[test]
    fn seen_round_trips_through_json() {
        let mut seen = Seen::default();
        seen.reconcile(&obs(&[id(1), id(2)]), &[]);
        seen.reconcile(&obs(&[id(1)]), &[]);
        let text = serde_json::to_string(&seen).unwrap();
        assert_eq!(serde_json::from_str::<Seen>(&text).unwrap(), seen);
        let ev = serde_json::to_string(&Event::Unrecorded { hash: id(2) }).unwrap();
        assert!(ev.contains("\"event\":\"unrecorded\""), "{ev}");
    }
}
