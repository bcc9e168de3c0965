//! Following a running node from its status: what changed since the last look, as events a
//! person can read, and which configured peers to dial again.
//!
//! [`NodeWatch`] is pure: it takes [`NodeStatus`] snapshots and instants, and returns
//! [`NodeEvent`]s and addresses; it opens no socket and reads no clock. [`crate::run_until`]
//! drives it against a real node; tests drive it with made-up statuses.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::time::{Duration, Instant};

use libp2p::Multiaddr;

use crate::names::MemberNames;
use crate::NodeStatus;

/// Something a running node did that its operator wants to see, one line each.
///
/// `Display` gives the exact line `attrib node` prints (a stable format: scripts and tests read
/// it), e.g. `connected 12D3KooW… (alice)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeEvent {
    /// The node is up with this peer id (`peer id PEER_ID`); always the first event.
    Started {
        /// The node's own peer id, derived from the device key.
        peer_id: String,
    },
    /// The node runs with a pre-shared swarm key, so on TCP only
    /// (`swarm key FINGERPRINT (TCP only: QUIC cannot carry a swarm key)`).
    SwarmKey {
        /// The key's public fingerprint (libp2p's, as hex): safe to show, unlike the key.
        fingerprint: String,
    },
    /// A new address the node listens on (`listening on ADDRESS/p2p/PEER_ID`): the line is a
    /// complete multiaddr another node can dial. Printed once per address.
    Listening {
        /// The listen address as the node reports it (`/ip4/…/tcp/PORT`).
        address: String,
        /// The node's own peer id, appended so the line is dialable as it is.
        peer_id: String,
    },
    /// A member's device connected (`connected PEER (NAME)`).
    Connected {
        /// The peer's id.
        peer: String,
        /// The member's name, when the peer is a known member's device.
        name: Option<String>,
    },
    /// A first sync session with a connected peer completed (`synced with PEER (NAME)`): both
    /// sides held the union of their records at that point.
    Synced {
        /// The peer's id.
        peer: String,
        /// The member's name, when known.
        name: Option<String>,
    },
    /// A peer is no longer connected (`disconnected PEER (NAME)`), whichever side closed.
    Disconnected {
        /// The peer's id.
        peer: String,
        /// The member's name, when known.
        name: Option<String>,
    },
    /// The store has now accepted this many records from peers since the node started
    /// (`received N records from peers`): a running total, not the increase.
    Received {
        /// Records accepted from peers (sync and gossip) since start.
        total: u64,
    },
    /// This many connections have now been refused since the node started (`refused N
    /// connections (not a member of the team, or banned)`): a running total.
    Refused {
        /// Connections refused at the membership gate since start.
        total: u64,
    },
    /// The node saved its sync state and stopped (`stopped; sync state saved`); always the
    /// last event of a clean stop.
    Stopped,
}

impl NodeEvent {
    /// A peer event with its member name looked up in `names`.
    fn peer(
        make: fn(String, Option<String>) -> NodeEvent,
        names: &MemberNames,
        peer: &str,
    ) -> Self {
        make(peer.to_string(), names.get(peer).map(str::to_string))
    }
}

/// `PEER (NAME)`, or `PEER` when the name is unknown: the same form as [`MemberNames::label`].
fn labelled(f: &mut fmt::Formatter<'_>, peer: &str, name: &Option<String>) -> fmt::Result {
    f.write_str(peer)?;
    match name {
        Some(n) => write!(f, " ({n})"),
        None => Ok(()),
    }
}

impl fmt::Display for NodeEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NodeEvent::Started { peer_id } => write!(f, "peer id {peer_id}"),
            NodeEvent::SwarmKey { fingerprint } => write!(
                f,
                "swarm key {fingerprint} (TCP only: QUIC cannot carry a swarm key)"
            ),
            NodeEvent::Listening { address, peer_id } => {
                write!(f, "listening on {address}/p2p/{peer_id}")
            }
            NodeEvent::Connected { peer, name } => {
                f.write_str("connected ")?;
                labelled(f, peer, name)
            }
            NodeEvent::Synced { peer, name } => {
                f.write_str("synced with ")?;
                labelled(f, peer, name)
            }
            NodeEvent::Disconnected { peer, name } => {
                f.write_str("disconnected ")?;
                labelled(f, peer, name)
            }
            NodeEvent::Received { total } => write!(f, "received {total} records from peers"),
            NodeEvent::Refused { total } => write!(
                f,
                "refused {total} connections (not a member of the team, or banned)"
            ),
            NodeEvent::Stopped => f.write_str("stopped; sync state saved"),
        }
    }
}

/// A configured peer that is dialled again while it is not connected (after a partition, or
/// when it restarts), with a growing pause between attempts: [`Redial::FIRST`], doubling up to
/// [`Redial::MOST`], back to the first as soon as it is connected again.
///
/// An address with `/p2p/PEER_ID` is redialled while that peer is not connected. One without
/// (a bare `/ip4/…/tcp/…`) cannot be matched to a connection, so it is redialled only while no
/// peer at all is connected.
#[derive(Clone, Debug)]
pub struct Redial {
    addr: Multiaddr,
    peer: Option<String>,
    next: Instant,
    pause: Duration,
}

impl Redial {
    /// The pause before the first redial, and after every reconnection.
    pub const FIRST: Duration = Duration::from_secs(2);
    /// The longest pause between two attempts.
    pub const MOST: Duration = Duration::from_secs(30);

    /// Watches `addr`, which the node dials by itself as it starts at `now`: the first redial
    /// is due [`Redial::FIRST`] later.
    pub fn new(addr: &Multiaddr, now: Instant) -> Redial {
        let text = addr.to_string();
        let peer = text
            .rsplit_once("/p2p/")
            .map(|(_, id)| id.split('/').next().unwrap_or(id).to_string());
        Redial {
            addr: addr.clone(),
            peer,
            next: now + Redial::FIRST,
            pause: Redial::FIRST,
        }
    }

    /// The address this watches.
    pub fn addr(&self) -> &Multiaddr {
        &self.addr
    }

    /// The peer id the address names (`/p2p/PEER_ID`), if it names one.
    pub fn peer(&self) -> Option<&str> {
        self.peer.as_deref()
    }

    /// The address to dial at `now`, if it is time to. `is_connected` says whether a peer id
    /// is connected; `any_connected` whether any peer is.
    pub fn due(
        &mut self,
        now: Instant,
        is_connected: impl Fn(&str) -> bool,
        any_connected: bool,
    ) -> Option<Multiaddr> {
        let up = match &self.peer {
            Some(p) => is_connected(p),
            None => any_connected,
        };
        if up {
            self.pause = Redial::FIRST;
            self.next = now + Redial::FIRST;
            return None;
        }
        if now < self.next {
            return None;
        }
        self.next = now + self.pause;
        self.pause = (self.pause * 2).min(Redial::MOST);
        Some(self.addr.clone())
    }
}

/// Turns successive [`NodeStatus`] polls of one running node into [`NodeEvent`]s, and decides
/// which configured peers to dial again.
///
/// Feed it every status in order with [`NodeWatch::update`]; after each, ask
/// [`NodeWatch::redials`] what to dial. It remembers the addresses already announced, the
/// connected peers and whether each has synced, and the last totals of records received and
/// connections refused, so each change is reported once.
#[derive(Clone, Debug)]
pub struct NodeWatch {
    peer_id: String,
    names: MemberNames,
    listening: BTreeSet<String>,
    /// Connected peers by id, and whether a sync with each has completed.
    peers: BTreeMap<String, bool>,
    received: u64,
    refused: u64,
    redial: Vec<Redial>,
}

impl NodeWatch {
    /// Watches the node whose own peer id is `peer_id`, naming peers from `names`, and
    /// redialling the configured `peers` (those the node dialled as it started at `now`).
    pub fn new(peer_id: &str, names: MemberNames, peers: &[Multiaddr], now: Instant) -> NodeWatch {
        NodeWatch {
            peer_id: peer_id.to_string(),
            names,
            listening: BTreeSet::new(),
            peers: BTreeMap::new(),
            received: 0,
            refused: 0,
            redial: peers.iter().map(|a| Redial::new(a, now)).collect(),
        }
    }

    /// What changed since the previous status, in this order: new listen addresses (in the
    /// status's order), then per peer in peer-id order `Connected` and/or `Synced`, then
    /// `Disconnected` for peers that are gone, then `Received` and `Refused` when their totals
    /// changed.
    ///
    /// A peer that is new *and* already synced yields both `Connected` and `Synced`; a peer
    /// that reconnects is `Connected` again, and `Synced` again once it syncs.
    pub fn update(&mut self, status: &NodeStatus) -> Vec<NodeEvent> {
        let mut events = Vec::new();
        for a in &status.listen {
            if self.listening.insert(a.clone()) {
                events.push(NodeEvent::Listening {
                    address: a.clone(),
                    peer_id: self.peer_id.clone(),
                });
            }
        }
        let now: BTreeMap<String, bool> = status
            .peers
            .iter()
            .map(|p| (p.peer_id.clone(), p.info.synced))
            .collect();
        for (p, synced) in &now {
            match self.peers.get(p) {
                None => events.push(NodeEvent::peer(
                    |peer, name| NodeEvent::Connected { peer, name },
                    &self.names,
                    p,
                )),
                Some(false) if *synced => {}
                // Known, and either already synced or still not: nothing new.
                _ => continue,
            }
            if *synced {
                events.push(NodeEvent::peer(
                    |peer, name| NodeEvent::Synced { peer, name },
                    &self.names,
                    p,
                ));
            }
        }
        for p in self.peers.keys().filter(|p| !now.contains_key(*p)) {
            events.push(NodeEvent::peer(
                |peer, name| NodeEvent::Disconnected { peer, name },
                &self.names,
                p,
            ));
        }
        self.peers = now;
        let c = &status.counters;
        if c.records_accepted != self.received {
            self.received = c.records_accepted;
            events.push(NodeEvent::Received {
                total: self.received,
            });
        }
        if c.gated != self.refused {
            self.refused = c.gated;
            events.push(NodeEvent::Refused {
                total: self.refused,
            });
        }
        events
    }

    /// The configured peers to dial at `now`, judged against the peers of the last
    /// [`NodeWatch::update`] (see [`Redial`] for the pacing).
    pub fn redials(&mut self, now: Instant) -> Vec<Multiaddr> {
        let peers = &self.peers;
        let any = !peers.is_empty();
        self.redial
            .iter_mut()
            .filter_map(|r| r.due(now, |p| peers.contains_key(p), any))
            .collect()
    }

    /// Whether the node has reported at least one listen address.
    pub fn is_listening(&self) -> bool {
        !self.listening.is_empty()
    }

    /// The peer ids connected at the last update, in order.
    pub fn connected(&self) -> impl Iterator<Item = &str> {
        self.peers.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{Counters, PeerInfo};
    use crate::PeerStatus;
    use attrib_overlay::PublicKey;

    const ME: &str = "12D3KooWMe";
    const ALICE: &str = "12D3KooWAlice";
    const BOB: &str = "12D3KooWBob";

    fn status(listen: &[&str], peers: &[(&str, bool)], accepted: u64, gated: u64) -> NodeStatus {
        NodeStatus {
            peer_id: ME.into(),
            at_ms: 0,
            listen: listen.iter().map(|a| a.to_string()).collect(),
            peers: peers
                .iter()
                .map(|(id, synced)| PeerStatus {
                    peer_id: id.to_string(),
                    info: PeerInfo {
                        key: PublicKey([0; 32]),
                        score: 0,
                        syncing: !synced,
                        synced: *synced,
                        sessions: 1,
                        rounds: 1,
                        records_received: 0,
                    },
                })
                .collect(),
            counters: Counters {
                records_accepted: accepted,
                gated,
                ..Counters::default()
            },
            outbox: 0,
            gossip_peers: 0,
        }
    }

    /// A real peer id (a `/p2p/` multiaddr must hold one), made from a fixed device key.
    fn peer_id(n: u8) -> String {
        let key = libp2p::identity::Keypair::ed25519_from_bytes([n; 32]).expect("key");
        key.public().to_peer_id().to_string()
    }

    fn lines(events: &[NodeEvent]) -> Vec<String> {
        events.iter().map(ToString::to_string).collect()
    }

    fn watch(peers: &[&str], now: Instant) -> NodeWatch {
        let names = MemberNames::from_pairs([(ALICE.to_string(), "alice".to_string())]);
        let addrs: Vec<Multiaddr> = peers.iter().map(|a| a.parse().expect("addr")).collect();
        NodeWatch::new(ME, names, &addrs, now)
    }

    #[test]
    fn events_print_the_lines_attrib_node_prints() {
        let t = Instant::now();
        let mut w = watch(&[], t);
        assert!(!w.is_listening());
        let e = w.update(&status(&["/ip4/127.0.0.1/tcp/4001"], &[], 0, 0));
        assert_eq!(
            lines(&e),
            ["listening on /ip4/127.0.0.1/tcp/4001/p2p/12D3KooWMe"]
        );
        assert!(w.is_listening());
        // The same address again is no news; a second one is.
        let e = w.update(&status(
            &["/ip4/127.0.0.1/tcp/4001", "/ip4/127.0.0.1/udp/4001/quic-v1"],
            &[(ALICE, false), (BOB, true)],
            0,
            0,
        ));
        assert_eq!(
            lines(&e),
            [
                "listening on /ip4/127.0.0.1/udp/4001/quic-v1/p2p/12D3KooWMe",
                "connected 12D3KooWAlice (alice)",
                "connected 12D3KooWBob",
                "synced with 12D3KooWBob",
            ]
        );
        let e = w.update(&status(&[], &[(ALICE, true), (BOB, true)], 3, 0));
        assert_eq!(
            lines(&e),
            [
                "synced with 12D3KooWAlice (alice)",
                "received 3 records from peers"
            ]
        );
        assert!(w
            .update(&status(&[], &[(ALICE, true), (BOB, true)], 3, 0))
            .is_empty());
        let e = w.update(&status(&[], &[(BOB, true)], 3, 2));
        assert_eq!(
            lines(&e),
            [
                "disconnected 12D3KooWAlice (alice)",
                "refused 2 connections (not a member of the team, or banned)"
            ]
        );
        assert_eq!(w.connected().collect::<Vec<_>>(), [BOB]);
        // A reconnect is announced again.
        let e = w.update(&status(&[], &[(ALICE, false), (BOB, true)], 3, 2));
        assert_eq!(lines(&e), ["connected 12D3KooWAlice (alice)"]);
    }

    #[test]
    fn lifecycle_events_print_their_lines() {
        let started = NodeEvent::Started { peer_id: ME.into() };
        assert_eq!(started.to_string(), "peer id 12D3KooWMe");
        let key = NodeEvent::SwarmKey {
            fingerprint: "45fc986bbc9388a11d939df26f730f0c".into(),
        };
        assert_eq!(
            key.to_string(),
            "swarm key 45fc986bbc9388a11d939df26f730f0c (TCP only: QUIC cannot carry a swarm key)"
        );
        assert_eq!(NodeEvent::Stopped.to_string(), "stopped; sync state saved");
    }

    #[test]
    fn a_peer_with_an_id_is_redialled_with_backoff_until_it_is_back() {
        let t0 = Instant::now();
        let (bob, carol) = (peer_id(2), peer_id(3));
        let bob_addr = format!("/ip4/127.0.0.1/tcp/4001/p2p/{bob}");
        let mut w = watch(&[&bob_addr], t0);
        w.update(&status(&[], &[], 0, 0));
        let s = Duration::from_secs;
        // The node dialled it at start: nothing before FIRST.
        assert!(w.redials(t0 + Duration::from_millis(1_900)).is_empty());
        let at = |w: &mut NodeWatch, secs: u64| w.redials(t0 + s(secs)).len();
        // Due at 2 s, then pauses of 2, 4, 8, 16, 30, 30 s.
        assert_eq!(at(&mut w, 2), 1);
        assert_eq!(at(&mut w, 3), 0);
        assert_eq!(at(&mut w, 4), 1);
        assert_eq!(at(&mut w, 7), 0);
        assert_eq!(at(&mut w, 8), 1);
        assert_eq!(at(&mut w, 16), 1);
        assert_eq!(at(&mut w, 32), 1);
        assert_eq!(at(&mut w, 61), 0);
        assert_eq!(at(&mut w, 62), 1);
        assert_eq!(at(&mut w, 92), 1);
        assert_eq!(
            w.redials(t0 + s(200)),
            vec![bob_addr.parse::<Multiaddr>().expect("addr")]
        );
        // Another peer connected does not stop it; the peer itself does, and resets the pause.
        w.update(&status(&[], &[(&carol, true)], 0, 0));
        assert_eq!(at(&mut w, 300), 1);
        w.update(&status(&[], &[(&bob, true)], 0, 0));
        assert_eq!(at(&mut w, 400), 0);
        w.update(&status(&[], &[], 0, 0));
        assert_eq!(at(&mut w, 401), 0);
        assert_eq!(at(&mut w, 402), 1, "the pause is back to FIRST");
        assert_eq!(at(&mut w, 404), 1);
    }

    #[test]
    fn an_address_without_an_id_is_redialled_only_while_nobody_is_connected() {
        let t0 = Instant::now();
        let mut w = watch(&["/ip4/127.0.0.1/tcp/4001"], t0);
        w.update(&status(&[], &[(ALICE, true)], 0, 0));
        let s = Duration::from_secs;
        assert!(w.redials(t0 + s(10)).is_empty());
        w.update(&status(&[], &[], 0, 0));
        assert!(
            w.redials(t0 + s(11)).is_empty(),
            "FIRST after the last connection"
        );
        assert_eq!(w.redials(t0 + s(12)).len(), 1);
    }

    #[test]
    fn redial_reads_the_peer_id_from_the_address() {
        let t = Instant::now();
        let bob = peer_id(2);
        let addr: Multiaddr = format!("/ip4/10.0.0.1/tcp/1/p2p/{bob}")
            .parse()
            .expect("addr");
        assert_eq!(Redial::new(&addr, t).peer(), Some(bob.as_str()));
        let bare: Multiaddr = "/ip4/10.0.0.1/tcp/1".parse().expect("addr");
        assert_eq!(Redial::new(&bare, t).peer(), None);
        assert_eq!(Redial::new(&bare, t).addr(), &bare);
    }
}
