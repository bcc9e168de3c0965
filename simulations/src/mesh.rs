//! gossipsub's mesh for one topic, modelled per node with the node's own parameters
//! ([`attrib_p2p_node::protocol::gossip`]): the libp2p node configures gossipsub from the same
//! constants, so the simulated mesh cannot drift from the real one.
//!
//! What is modelled, after libp2p-gossipsub 0.50 (the version the node links):
//! - a mesh of [`MESH_N`] peers kept between [`MESH_N_LOW`] and [`MESH_N_HIGH`] by a heartbeat
//!   every [`HEARTBEAT_MS`] (GRAFT, PRUNE with a backoff of [`PRUNE_BACKOFF_MS`], at least
//!   [`MESH_OUTBOUND_MIN`] peers this node dialled); a GRAFT from a peer that did not dial this
//!   node is refused once the mesh holds [`MESH_N_HIGH`];
//! - a new peer joins the mesh at once while the mesh is under [`MESH_N_LOW`];
//! - publishing goes to every subscribed peer ([`FLOOD_PUBLISH`]); an accepted message is
//!   forwarded to the mesh except its source and the peers that sent IDONTWANT for it;
//! - a seen cache: a message is validated once per node, later copies are dropped;
//! - IDONTWANT to the mesh on the first copy of a message over [`IDONTWANT_THRESHOLD_BYTES`];
//! - lazy gossip: each heartbeat, IHAVE with the ids of the last [`HISTORY_GOSSIP`] heartbeats to
//!   [`GOSSIP_LAZY`] (or [`GOSSIP_FACTOR`] of the) peers outside the mesh; IWANT for the unseen
//!   ones, answered from the message cache ([`HISTORY_LENGTH`] heartbeats).
//!
//! Not modelled: gossipsub's own peer scoring (the node does not enable it; the engine scores
//! peers), peer exchange, opportunistic grafting, fanout (the node publishes only on a topic it
//! is subscribed to), per-heartbeat limits on IHAVE and IWANT.

use std::collections::{HashMap, HashSet, VecDeque};

use attrib_p2p_node::protocol::gossip::{
    FLOOD_PUBLISH, GOSSIP_FACTOR, GOSSIP_LAZY, HISTORY_GOSSIP, HISTORY_LENGTH, MESH_N, MESH_N_HIGH,
    MESH_N_LOW, MESH_OUTBOUND_MIN, PRUNE_BACKOFF_MS,
};

// Only for the module's documentation links.
#[allow(unused_imports)]
use attrib_p2p_node::protocol::gossip::{HEARTBEAT_MS, IDONTWANT_THRESHOLD_BYTES};

use crate::rng::Rng;

/// A message's id: the first 8 bytes of the blake3 hash of its data (the node's message ids
/// are the whole hash; 64 bits keep the seen caches of 10,000 nodes small, and a collision
/// among a run's messages is vanishingly unlikely).
pub type MsgId = u64;

/// gossipsub's control messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// "Add me to your mesh."
    Graft,
    /// "You are out of my mesh; do not graft again before the backoff."
    Prune,
    /// "I have these messages."
    IHave(Vec<MsgId>),
    /// "Send me these."
    IWant(Vec<MsgId>),
    /// "I have this one already; do not forward it to me."
    IDontWant(MsgId),
}

/// Bytes of a gossipsub RPC frame around its content: length prefix, protobuf tags, the
/// 31-character topic name.
pub const RPC_OVERHEAD_BYTES: usize = 40;
/// Bytes of a message id on the wire (the node's ids are 32-byte blake3 hashes) with its tag.
const ID_BYTES: usize = 34;

impl Control {
    /// Its size on the wire, approximately.
    pub fn wire_bytes(&self) -> usize {
        RPC_OVERHEAD_BYTES
            + match self {
                Control::Graft | Control::Prune => 0,
                Control::IHave(ids) | Control::IWant(ids) => ID_BYTES * ids.len(),
                Control::IDontWant(_) => ID_BYTES,
            }
    }
}

/// One node's gossipsub state for the team topic.
pub struct Mesh {
    /// Connected peers subscribed to the topic (every member's node subscribes).
    peers: Vec<usize>,
    /// Those of them whose connection this node dialled.
    outbound: HashSet<usize>,
    /// The mesh: a subset of `peers`.
    mesh: Vec<usize>,
    /// Peers that may not be grafted before the time given (ms).
    backoff: HashMap<usize, u64>,
    /// The seen cache.
    seen: HashSet<MsgId>,
    /// Message ids accepted or published here, per heartbeat window, newest last.
    windows: VecDeque<Vec<MsgId>>,
    /// (peer, message) pairs the peer said it does not want.
    dont_send: HashSet<(usize, MsgId)>,
    /// Ids already asked for with IWANT (asked once).
    asked: HashSet<MsgId>,
}

impl Default for Mesh {
    fn default() -> Self {
        Mesh {
            peers: Vec::new(),
            outbound: HashSet::new(),
            mesh: Vec::new(),
            backoff: HashMap::new(),
            seen: HashSet::new(),
            windows: VecDeque::from([Vec::new()]),
            dont_send: HashSet::new(),
            asked: HashSet::new(),
        }
    }
}

impl Mesh {
    /// The mesh peers.
    pub fn mesh(&self) -> &[usize] {
        &self.mesh
    }

    /// Has this node seen `id`?
    pub fn has_seen(&self, id: MsgId) -> bool {
        self.seen.contains(&id)
    }

    /// Marks `id` seen; false if it was already.
    pub fn see(&mut self, id: MsgId) -> bool {
        self.seen.insert(id)
    }

    fn backed_off(&self, peer: usize, now: u64) -> bool {
        self.backoff.get(&peer).is_some_and(|until| *until > now)
    }

    /// A connection to `peer` is up and its subscription is known; `outbound`: this node
    /// dialled. Returns the GRAFT to send when the mesh needs the peer.
    pub fn connected(&mut self, peer: usize, outbound: bool, now: u64) -> Option<(usize, Control)> {
        if !self.peers.contains(&peer) {
            self.peers.push(peer);
        }
        if outbound {
            self.outbound.insert(peer);
        }
        if self.mesh.len() < MESH_N_LOW && !self.mesh.contains(&peer) && !self.backed_off(peer, now)
        {
            self.mesh.push(peer);
            return Some((peer, Control::Graft));
        }
        None
    }

    /// The connection to `peer` is gone.
    pub fn disconnected(&mut self, peer: usize) {
        self.peers.retain(|p| *p != peer);
        self.mesh.retain(|p| *p != peer);
        self.outbound.remove(&peer);
    }

    /// Keeps `id` for IHAVE and IWANT (accepted or published here).
    pub fn cache(&mut self, id: MsgId) {
        if let Some(w) = self.windows.back_mut() {
            w.push(id);
        }
    }

    fn cached(&self, id: MsgId) -> bool {
        self.windows.iter().any(|w| w.contains(&id))
    }

    /// Where a message this node publishes goes.
    pub fn publish_targets(&self) -> Vec<usize> {
        if FLOOD_PUBLISH {
            self.peers.clone()
        } else {
            self.mesh.clone()
        }
    }

    /// Where an accepted message from `source` is forwarded.
    pub fn forward_targets(&self, id: MsgId, source: usize) -> Vec<usize> {
        self.mesh
            .iter()
            .copied()
            .filter(|p| *p != source && !self.dont_send.contains(&(*p, id)))
            .collect()
    }

    /// Where IDONTWANT goes on a first copy from `source`.
    pub fn idontwant_targets(&self, source: usize) -> Vec<usize> {
        self.mesh.iter().copied().filter(|p| *p != source).collect()
    }

    /// A control message from `from`. Returns control messages to send back and the ids of
    /// messages to send `from` (answers to IWANT).
    pub fn control(
        &mut self,
        from: usize,
        control: Control,
        now: u64,
    ) -> (Vec<(usize, Control)>, Vec<MsgId>) {
        let mut replies = Vec::new();
        let mut data = Vec::new();
        match control {
            Control::Graft => {
                if !self.mesh.contains(&from) && self.peers.contains(&from) {
                    let full = self.mesh.len() >= MESH_N_HIGH && !self.outbound.contains(&from);
                    if self.backed_off(from, now) || full {
                        self.backoff.insert(from, now + PRUNE_BACKOFF_MS);
                        replies.push((from, Control::Prune));
                    } else {
                        self.mesh.push(from);
                    }
                }
            }
            Control::Prune => {
                self.mesh.retain(|p| *p != from);
                self.backoff.insert(from, now + PRUNE_BACKOFF_MS);
            }
            Control::IHave(ids) => {
                let wanted: Vec<MsgId> = ids
                    .into_iter()
                    .filter(|id| !self.seen.contains(id) && self.asked.insert(*id))
                    .collect();
                if !wanted.is_empty() {
                    replies.push((from, Control::IWant(wanted)));
                }
            }
            Control::IWant(ids) => {
                data = ids.into_iter().filter(|id| self.cached(*id)).collect();
            }
            Control::IDontWant(id) => {
                self.dont_send.insert((from, id));
            }
        }
        (replies, data)
    }

    /// The heartbeat: mesh maintenance, lazy gossip, the message cache's shift. Returns the
    /// control messages to send.
    pub fn heartbeat(&mut self, now: u64, rng: &mut Rng) -> Vec<(usize, Control)> {
        let mut out = Vec::new();
        let peers = &self.peers;
        self.mesh.retain(|p| peers.contains(p));
        // Too few: graft random peers outside the mesh, not backed off.
        if self.mesh.len() < MESH_N_LOW {
            let mut candidates: Vec<usize> = self
                .peers
                .iter()
                .copied()
                .filter(|p| !self.mesh.contains(p) && !self.backed_off(*p, now))
                .collect();
            rng.shuffle(&mut candidates);
            for p in candidates.into_iter().take(MESH_N - self.mesh.len()) {
                self.mesh.push(p);
                out.push((p, Control::Graft));
            }
        }
        // Too many: keep MESH_N at random, outbound peers first up to MESH_OUTBOUND_MIN.
        if self.mesh.len() > MESH_N_HIGH {
            let mut shuffled = self.mesh.clone();
            rng.shuffle(&mut shuffled);
            let (outbound, inbound): (Vec<usize>, Vec<usize>) = shuffled
                .into_iter()
                .partition(|p| self.outbound.contains(p));
            let keep_out = outbound.len().min(MESH_OUTBOUND_MIN);
            let mut keep: Vec<usize> = outbound[..keep_out].to_vec();
            let rest = outbound[keep_out..].iter().chain(&inbound).copied();
            let mut pruned = Vec::new();
            for p in rest {
                if keep.len() < MESH_N {
                    keep.push(p);
                } else {
                    pruned.push(p);
                }
            }
            for p in pruned {
                self.backoff.insert(p, now + PRUNE_BACKOFF_MS);
                out.push((p, Control::Prune));
            }
            self.mesh = keep;
        }
        // Too few peers this node dialled: graft more of them.
        if self.mesh.len() >= MESH_N_LOW {
            let have = self
                .mesh
                .iter()
                .filter(|p| self.outbound.contains(p))
                .count();
            if have < MESH_OUTBOUND_MIN {
                let mut candidates: Vec<usize> = self
                    .outbound
                    .iter()
                    .copied()
                    .filter(|p| !self.mesh.contains(p) && !self.backed_off(*p, now))
                    .collect();
                candidates.sort_unstable();
                rng.shuffle(&mut candidates);
                for p in candidates.into_iter().take(MESH_OUTBOUND_MIN - have) {
                    self.mesh.push(p);
                    out.push((p, Control::Graft));
                }
            }
        }
        // Lazy gossip of recent ids to peers outside the mesh.
        let ids: Vec<MsgId> = self
            .windows
            .iter()
            .rev()
            .take(HISTORY_GOSSIP)
            .flatten()
            .copied()
            .collect();
        if !ids.is_empty() {
            let mut others: Vec<usize> = self
                .peers
                .iter()
                .copied()
                .filter(|p| !self.mesh.contains(p))
                .collect();
            let n = GOSSIP_LAZY.max((GOSSIP_FACTOR * others.len() as f64) as usize);
            rng.shuffle(&mut others);
            for p in others.into_iter().take(n) {
                out.push((p, Control::IHave(ids.clone())));
            }
        }
        // Shift the cache; what falls out can no longer be asked for, nor needs IDONTWANT.
        self.windows.push_back(Vec::new());
        if self.windows.len() > HISTORY_LENGTH {
            if let Some(old) = self.windows.pop_front() {
                let old: HashSet<MsgId> = old.into_iter().collect();
                self.dont_send.retain(|(_, id)| !old.contains(id));
            }
        }
        let backoff = &mut self.backoff;
        backoff.retain(|_, until| *until > now);
        out
    }
}
