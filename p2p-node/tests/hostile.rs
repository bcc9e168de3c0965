//! Hostile peers against a node backed by the real store: every kind of bad input is refused,
//! counted, charged to the peer, and ends with a disconnect and a ban; honest peers still
//! converge.

mod common;

use attrib_overlay::*;
use attrib_p2p_node::protocol::wire::{encode, Gossip, SyncRequest, SyncResponse, WireRecord};
use attrib_p2p_node::protocol::*;
use attrib_p2p_node::StoreSet;
use common::*;

/// The victim's peer id for the hostile connection, and for an honest one.
const MALLORY: usize = 1;
const ALICE: usize = 2;

struct World {
    _dir: tempfile::TempDir,
    alice: Identity,
    mallory: Identity,
    stranger: Identity,
    team: TeamId,
    engine: Engine<usize>,
    set: StoreSet,
    now: u64,
}

fn world(config: Config) -> World {
    let founder = identity(100);
    let alice = identity(1);
    let mallory = identity(2);
    let stranger = identity(3);
    let g = genesis(&founder);
    let team = g.team_id();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path()).unwrap();
    let setup = [
        g,
        grant(&founder, team, 2, &alice),
        grant(&founder, team, 3, &mallory),
    ];
    store.ingest(&setup, T0 + 10_000).unwrap();
    let set = StoreSet::new(store).unwrap();
    let engine = Engine::new(config, founder.public(), &set).unwrap();
    let mut w = World {
        _dir: dir,
        alice,
        mallory,
        stranger,
        team,
        engine,
        set,
        now: T0 + 10_000,
    };
    let key = w.mallory.public();
    let now = w.now;
    let actions = connect_in(&mut w.engine, MALLORY, key, true, now, &mut w.set);
    assert!(
        actions.iter().all(|a| matches!(a, Action::Request { .. })),
        "a member connects and is pulled from: {actions:?}"
    );
    w
}

impl World {
    fn gossip(&mut self, bytes: &[u8]) -> (GossipVerdict, Vec<Action<usize>>) {
        self.now += 1;
        gossip_in(&mut self.engine, MALLORY, bytes, self.now, &mut self.set)
    }

    fn gossip_record(&mut self, r: &SignedRecord) -> (GossipVerdict, Vec<Action<usize>>) {
        let bytes = encode(&Gossip {
            record: WireRecord::from_signed(r),
        });
        self.gossip(&bytes)
    }

    fn offences(&self, o: Offence) -> u64 {
        self.engine
            .counters()
            .offences
            .get(&o)
            .copied()
            .unwrap_or(0)
    }

    fn connected(&self) -> bool {
        self.engine.peer(&MALLORY).is_some()
    }

    fn held(&self) -> u64 {
        self.set.store().snapshot().unwrap().record_count().unwrap()
    }

    /// After a disconnect the key stays banned: reconnecting is refused.
    fn assert_banned(&mut self) {
        assert!(!self.connected());
        let key = self.mallory.public();
        let now = self.now;
        let again = connect_in(&mut self.engine, MALLORY, key, true, now, &mut self.set);
        assert!(matches!(
            again.as_slice(),
            [Action::Disconnect {
                offence: Offence::Banned,
                ..
            }]
        ));
    }
}

fn disconnected_for(actions: &[Action<usize>], offence: Offence) -> bool {
    actions.iter().any(|a| {
        matches!(a, Action::Disconnect { peer, offence: o } if *peer == MALLORY && *o == offence)
    })
}

fn forged(r: &SignedRecord) -> SignedRecord {
    let mut f = r.clone();
    f.signature[10] ^= 1;
    f
}

#[test]
fn a_device_that_is_not_a_member_cannot_connect() {
    let mut w = world(Config::default());
    let key = w.stranger.public();
    let actions = connect_in(&mut w.engine, 9, key, true, w.now, &mut w.set);
    assert_eq!(
        actions,
        vec![Action::Disconnect {
            peer: 9,
            offence: Offence::NotMemberPeer
        }]
    );
    assert_eq!(w.engine.counters().gated, 1);
    assert!(w.engine.peer(&9).is_none());
}

#[test]
fn forged_signatures_are_rejected_then_the_peer_is_dropped_and_banned() {
    let mut w = world(Config::default());
    let real = attest(&w.alice, w.team, 1, "P1");
    let (verdict, actions) = w.gossip_record(&forged(&real));
    assert_eq!(verdict, GossipVerdict::Reject);
    assert!(actions.is_empty());
    assert!(w.engine.peer(&MALLORY).unwrap().score < 0);
    let (verdict, actions) = w.gossip_record(&forged(&attest(&w.alice, w.team, 2, "P2")));
    assert_eq!(verdict, GossipVerdict::Reject);
    assert!(disconnected_for(&actions, Offence::BadSignature));
    assert_eq!(w.offences(Offence::BadSignature), 2);
    assert_eq!(w.engine.counters().disconnects, 1);
    assert_eq!(w.held(), 3, "nothing forged was stored");
    w.assert_banned();
}

#[test]
fn records_of_a_non_member_key_are_refused_and_charged() {
    let mut w = world(Config::default());
    let mut last = Vec::new();
    for s in 1..=60 {
        let (verdict, actions) = w.gossip_record(&attest(&w.stranger, w.team, s, "S"));
        assert_eq!(
            verdict,
            GossipVerdict::Ignore,
            "an honest relay may race a grant"
        );
        last = actions;
        if !w.connected() {
            break;
        }
    }
    assert!(w.offences(Offence::NonMember) >= 50);
    assert!(disconnected_for(&last, Offence::NonMember));
    w.assert_banned();
}

#[test]
fn a_replayed_record_is_ignored_and_a_stream_of_replays_drops_the_peer() {
    let config = Config {
        replay_burst: 5,
        replay_per_sec: 0,
        ..Config::default()
    };
    let mut w = world(config);
    let r = attest(&w.alice, w.team, 1, "P1");
    assert_eq!(w.gossip_record(&r).0, GossipVerdict::Accept);
    let mut disconnected = false;
    for _ in 0..200 {
        let (verdict, actions) = w.gossip_record(&r);
        assert_eq!(verdict, GossipVerdict::Ignore);
        if disconnected_for(&actions, Offence::Replay) {
            disconnected = true;
            break;
        }
    }
    assert!(disconnected);
    assert!(w.offences(Offence::Replay) >= 100);
    assert_eq!(w.engine.counters().records_accepted, 1);
}

#[test]
fn a_peer_that_equivocates_with_its_own_key_is_rejected_and_dropped() {
    let mut w = world(Config::default());
    let one = attest(&w.mallory, w.team, 1, "M1");
    let other = attest(&w.mallory, w.team, 1, "M1-other");
    assert_eq!(w.gossip_record(&one).0, GossipVerdict::Accept);
    let (verdict, _) = w.gossip_record(&other);
    assert_eq!(verdict, GossipVerdict::Reject);
    assert_eq!(w.offences(Offence::Equivocation), 1);
    let (_, actions) = w.gossip_record(&attest(&w.mallory, w.team, 1, "M1-third"));
    assert!(disconnected_for(&actions, Offence::Equivocation));
    // The evidence is kept and the key flagged.
    let snap = w.set.store().snapshot().unwrap();
    assert!(snap.equivocators().contains(&w.mallory.public()));
}

#[test]
fn relaying_someone_elses_equivocation_is_no_offence() {
    let mut w = world(Config::default());
    assert_eq!(
        w.gossip_record(&attest(&w.alice, w.team, 1, "A")).0,
        GossipVerdict::Accept
    );
    let (verdict, actions) = w.gossip_record(&attest(&w.alice, w.team, 1, "A-twin"));
    assert_eq!(verdict, GossipVerdict::Ignore);
    assert!(actions.is_empty());
    assert_eq!(w.engine.peer(&MALLORY).unwrap().score, 0);
}

#[test]
fn retracting_or_granting_without_the_right_is_refused() {
    let mut w = world(Config::default());
    // Delete another author's record: a retraction naming alice, signed by mallory.
    let retract = w.mallory.sign(
        w.team,
        Record {
            seq: 1,
            timestamp_ms: T0 + 1,
            origin: Origin::Person,
            payload: Payload::Retract {
                patch: PatchId::new("P1").unwrap(),
                author: w.alice.public(),
            },
        },
    );
    assert_eq!(w.gossip_record(&retract).0, GossipVerdict::Reject);
    assert_eq!(w.offences(Offence::NotAuthor), 1);
    // Admit a stranger without being an admin.
    let sneak = grant(&w.mallory, w.team, 2, &w.stranger);
    let (verdict, actions) = w.gossip_record(&sneak);
    assert_eq!(verdict, GossipVerdict::Reject);
    assert_eq!(w.offences(Offence::NotAdmin), 1);
    assert!(disconnected_for(&actions, Offence::NotAdmin));
    assert!(!w.set.is_member(&w.stranger.public()));
}

#[test]
fn garbage_and_oversize_messages_are_charged() {
    let mut w = world(Config::default());
    let (verdict, _) = w.gossip(b"\x01not a message at all");
    assert_eq!(verdict, GossipVerdict::Reject);
    assert_eq!(w.offences(Offence::Undecodable), 1);
    let huge = vec![1u8; 9 << 20];
    let (resp, actions) = request_in(&mut w.engine, MALLORY, &huge, w.now, &mut w.set);
    assert!(resp.is_none(), "an oversize request gets no answer");
    assert_eq!(w.offences(Offence::Oversize), 1);
    assert!(disconnected_for(&actions, Offence::Oversize));
    w.assert_banned();

    let mut w = world(Config::default());
    let (resp, actions) = request_in(&mut w.engine, MALLORY, &[0xff; 64], w.now, &mut w.set);
    assert!(resp.is_none(), "garbage gets no answer");
    assert!(actions.is_empty());
    assert_eq!(w.offences(Offence::Undecodable), 1);
    assert_eq!(w.engine.peer(&MALLORY).unwrap().score, -50);
}

#[test]
fn a_gossip_flood_is_cut_off() {
    let config = Config {
        gossip_burst: 20,
        gossip_per_sec: 1,
        ..Config::default()
    };
    let mut w = world(config);
    let mut dropped = false;
    for s in 1..=200 {
        let (_, actions) = w.gossip_record(&attest(&w.mallory, w.team, s, &format!("F{s}")));
        if disconnected_for(&actions, Offence::Flood) {
            dropped = true;
            break;
        }
    }
    assert!(dropped);
    assert_eq!(w.offences(Offence::Flood), 10);
    assert!(
        w.held() <= 3 + 20,
        "records past the burst were not even ingested"
    );
}

#[test]
fn a_request_for_another_team_drops_the_peer() {
    let mut w = world(Config::default());
    let req = SyncRequest {
        team: TeamId([0xee; 32]),
        round: 1,
        heads: attrib_p2p_node::protocol::wire::HeadsUpdate::new(
            true,
            vec![],
            attrib_p2p_node::protocol::heads::fingerprint(&Heads::new()),
        ),
        send_full_heads: true,
        wants: vec![],
        probes: vec![],
    };
    let (resp, actions) = request_in(&mut w.engine, MALLORY, &encode(&req), w.now, &mut w.set);
    let resp: SyncResponse = wire::decode(&resp.unwrap(), usize::MAX).unwrap();
    assert_eq!(resp.status, wire::Status::WrongTeam);
    assert!(resp.records.is_empty());
    assert!(disconnected_for(&actions, Offence::WrongTeam));
}

#[test]
fn a_responder_that_forges_or_replays_in_sync_is_charged_and_unsolicited_answers_too() {
    let mut w = world(Config::default());
    // The pull sent on connect has round 1 (the first this engine issued).
    let alice_1 = attest(&w.alice, w.team, 1, "P1");
    let held = w
        .set
        .store()
        .snapshot()
        .unwrap()
        .records_from(0, 1)
        .unwrap()
        .0;
    let resp = SyncResponse {
        round: 1,
        status: wire::Status::Ok,
        heads: None,
        records: vec![
            WireRecord::from_signed(&forged(&alice_1)),
            // The genesis, which this node's heads said it holds: a replay.
            WireRecord::from_signed(&held[0]),
        ],
        more: false,
        probe_answers: vec![],
    };
    let now = w.now;
    response_in(&mut w.engine, MALLORY, &encode(&resp), now, &mut w.set);
    assert_eq!(w.offences(Offence::BadSignature), 1);
    assert_eq!(w.offences(Offence::Replay), 1);
    assert_eq!(w.held(), 3);
    // An answer to a round never asked for.
    let mut stray = resp.clone();
    stray.round = 999;
    stray.records.clear();
    response_in(&mut w.engine, MALLORY, &encode(&stray), now, &mut w.set);
    assert_eq!(w.offences(Offence::Unsolicited), 1);
}

#[test]
fn honest_peers_converge_while_a_hostile_one_is_dropped() {
    let mut w = world(Config::default());
    let key = w.alice.public();
    let now = w.now;
    connect_in(&mut w.engine, ALICE, key, true, now, &mut w.set);
    // Mallory sends forgeries; alice gossips her real records.
    for s in 1..=3 {
        let r = attest(&w.alice, w.team, s, &format!("A{s}"));
        w.gossip_record(&forged(&r));
        w.now += 1;
        let bytes = encode(&Gossip {
            record: WireRecord::from_signed(&r),
        });
        let (verdict, _) = gossip_in(&mut w.engine, ALICE, &bytes, w.now, &mut w.set);
        assert_eq!(verdict, GossipVerdict::Accept);
    }
    assert!(!w.connected());
    assert!(w.engine.peer(&ALICE).is_some_and(|p| p.score == 0));
    assert_eq!(w.held(), 6);
}

/// Gossip is judged by `RecordSet::check` before the record is written: on the real store the
/// check must give exactly the outcome the ingest then gives, for every kind of record.
#[test]
fn the_store_check_predicts_the_ingest_outcome() {
    let w = world(Config::default());
    let mut set = w.set;
    let now = w.now;
    let founder = identity(100);
    let revoke = |seq: u32| {
        founder.sign(
            w.team,
            Record {
                seq,
                timestamp_ms: T0 + seq as u64,
                origin: Origin::Person,
                payload: Payload::Revoke {
                    member: w.alice.public(),
                    after_seq: 2,
                },
            },
        )
    };
    let mut future = attest(&w.alice, w.team, 9, "FUTURE");
    future = w.alice.sign(
        w.team,
        Record {
            timestamp_ms: now + 24 * 3600 * 1000,
            ..future.record.clone()
        },
    );
    let cases: Vec<(&str, SignedRecord)> = vec![
        ("new", attest(&w.alice, w.team, 1, "P1")),
        ("duplicate", attest(&w.alice, w.team, 1, "P1")),
        ("equivocation", attest(&w.alice, w.team, 1, "P1-twin")),
        ("equivocated duplicate", attest(&w.alice, w.team, 1, "P1")),
        ("forged", forged(&attest(&w.alice, w.team, 2, "P2"))),
        ("stranger", attest(&w.stranger, w.team, 1, "S1")),
        ("wrong team", attest(&w.alice, TeamId([9; 32]), 3, "P3")),
        ("future", future),
        ("not admin", grant(&w.mallory, w.team, 1, &w.stranger)),
        ("second new", attest(&w.mallory, w.team, 2, "M2")),
        ("revoke", revoke(4)),
        ("after the revocation", attest(&w.alice, w.team, 5, "P5")),
        ("before the revocation", attest(&w.alice, w.team, 2, "P2")),
        ("genesis again", genesis(&founder)),
    ];
    for (what, r) in cases {
        let predicted = set.check(std::slice::from_ref(&r), now).unwrap();
        let stored = set.ingest(std::slice::from_ref(&r), now).unwrap();
        assert_eq!(predicted, stored, "{what}");
    }
}

/// A revoke that arrives while the revoked member is connected drops it at once, through the
/// same input that brought the revoke (the real store re-reads the membership on ingest).
#[test]
fn a_member_revoked_while_connected_is_dropped_when_the_revoke_arrives() {
    let mut w = world(Config::default());
    let key = w.alice.public();
    let now = w.now;
    connect_in(&mut w.engine, ALICE, key, true, now, &mut w.set);
    assert!(w.connected());
    let founder = identity(100);
    let revoke = founder.sign(
        w.team,
        Record {
            seq: 4,
            timestamp_ms: T0 + 4,
            origin: Origin::Person,
            payload: Payload::Revoke {
                member: w.mallory.public(),
                after_seq: 0,
            },
        },
    );
    let bytes = encode(&Gossip {
        record: WireRecord::from_signed(&revoke),
    });
    w.now += 1;
    let (verdict, actions) = gossip_in(&mut w.engine, ALICE, &bytes, w.now, &mut w.set);
    assert_eq!(verdict, GossipVerdict::Accept);
    assert!(
        actions.iter().any(|a| matches!(
            a,
            Action::Disconnect {
                peer: MALLORY,
                offence: Offence::NotMemberPeer
            }
        )),
        "{actions:?}"
    );
    assert!(!w.connected());
    assert!(w.engine.peer(&ALICE).is_some(), "alice stays");
}
