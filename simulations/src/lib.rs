//! Deterministic simulation of attrib's sync protocol at scale.
//!
//! Every simulated node runs the real [`Engine`], the same code the libp2p node drives, over an
//! in-memory [`MemorySet`], and drives it the way the node does: through [`Engine::handle`]
//! only, gossip validated first and committed in batches by the node's own rule
//! ([`commit_due`]: a full batch at once, otherwise when the node has no further input at
//! that instant), a request that gets no response within the engine's
//! [`Config::request_timeout_ms`] reported as [`Input::RequestFailed`] (as libp2p's
//! request-response does with the timeout the node gives it, and a late response dropped),
//! dialler and listener told apart. The gossip layer is a model of gossipsub's mesh with the
//! node's own parameters (see [`mesh`]).
//!
//! The simulator replaces only the network and the clock: messages travel with a seeded random
//! latency and can be lost; a connection costs a round trip to set up; links can be cut into
//! partitions and healed; peers crash and restart with their store (and without their
//! unsaved state), leave, join; an admin grants and revokes membership with records that sync
//! carries like any other; hostile members forge, equivocate or flood. Time is virtual, so
//! thousands of peers and minutes of protocol time run in seconds, and every run with the same
//! seed is the same run.
//!
//! Not modelled: bandwidth and CPU time (a message takes its latency whatever its size, and
//! validation is instant), the transport's handshakes beyond one round trip per connection,
//! gossipsub's own peer scoring (the node does not enable it).

#![warn(missing_docs)]

use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, HashSet};
use std::sync::Arc;

use attrib_overlay::{
    Attestation, Identity, Origin, PatchId, Payload, PublicKey, Record, RecordId, SignedRecord,
    TeamId,
};
use attrib_p2p_node::protocol::gossip::IDONTWANT_THRESHOLD_BYTES;
use attrib_p2p_node::protocol::wire::{decode, encode, Gossip, MAX_GOSSIP_BYTES};
use attrib_p2p_node::protocol::{
    commit_due, Action, Config, Engine, GossipVerdict, Input, MemorySet, Output, RecordSet,
    WireRecord,
};

pub mod mesh;
pub mod rng;
pub mod scenario;
use mesh::{Control, Mesh, MsgId, RPC_OVERHEAD_BYTES};
use rng::Rng;

/// Virtual time starts here (ms since the epoch), so record timestamps look real.
pub const T0: u64 = 1_790_000_000_000;
const TEAM: TeamId = TeamId([0x5a; 32]);
/// The node whose key is the team's admin: it grants and revokes.
pub const ADMIN: usize = 0;

/// How nodes are linked (who dials whom; gossipsub's mesh is chosen among these connections).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Topology {
    /// Node `i` linked to `i + 1`: the longest paths, the worst case for gossip hops.
    Line,
    /// A line closed into a circle.
    Ring,
    /// Node 0 in the middle.
    Star,
    /// A ring plus `extra` random chords per node: connected, small diameter.
    Random {
        /// Random chords added per node besides its two ring links.
        extra: usize,
    },
    /// Every node linked to every other: one hop everywhere, the most redundant gossip.
    Full,
}

/// How many hostile members of each kind run among the nodes (the highest-numbered ones).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hostile {
    /// Members that gossip records under other members' keys with a bad signature (caught
    /// only when signatures are checked: [`Sim::new`] turns `verify` on when there are any).
    pub forgers: usize,
    /// Members that sign two different records with one sequence number and send both.
    pub equivocators: usize,
    /// Members that send a stream of junk gossip messages.
    pub flooders: usize,
}

impl Hostile {
    /// All hostile members.
    pub fn total(&self) -> usize {
        self.forgers + self.equivocators + self.flooders
    }
}

/// What a node is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Follows the protocol.
    Honest,
    /// See [`Hostile::forgers`].
    Forger,
    /// See [`Hostile::equivocators`].
    Equivocator,
    /// See [`Hostile::flooders`].
    Flooder,
}

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Nodes running at the start, numbered from 0 (node [`ADMIN`] is the team's admin).
    pub nodes: usize,
    /// How they are linked.
    pub topology: Topology,
    /// Seed of every random choice (links, latency, loss, churn, tick offsets): the same seed
    /// and config give the same run.
    pub seed: u64,
    /// One-way latency of a message, uniform in this range (ms).
    pub latency_ms: (u64, u64),
    /// Probability that a message is lost.
    pub loss: f64,
    /// How often each node's engine is ticked (ms), as the node's `NodeConfig::tick`.
    pub tick_ms: u64,
    /// Check signatures on ingest (slow at thousands of nodes; the protocol does not depend
    /// on it, but catching forgers does).
    pub verify: bool,
    /// The sync engine's tunables, shortened from the real defaults so that minutes of
    /// protocol fit in a test (see [`SimConfig::new`]).
    pub engine: Config,
    /// Churn: the share of the running peers that churn per minute of virtual time. Of the
    /// events, half are crashes (the peer restarts after [`SimConfig::downtime_ms`] with its
    /// store), a quarter leaves for good, a quarter joins of a new peer from
    /// [`SimConfig::spare_peers`] (a crash when none is left).
    pub churn_per_min: f64,
    /// Members granted from the start but not running, to join under churn.
    pub spare_peers: usize,
    /// How long a crashed peer stays down, uniform in this range (ms).
    pub downtime_ms: (u64, u64),
    /// Peers a joining node dials.
    pub join_links: usize,
    /// A connection closed by a peer (a ban, a revoked key) is dialled again after this long,
    /// as the node's redial does.
    pub redial_ms: u64,
    /// Hostile members among the nodes.
    pub hostile: Hostile,
}

impl SimConfig {
    /// A network of `nodes` linked by `topology`, with 1–5 ms links, no loss, no churn, no
    /// hostile members, a 250 ms tick, no signature checks, and engine timers scaled down to
    /// virtual-time test runs.
    pub fn new(nodes: usize, topology: Topology, seed: u64) -> SimConfig {
        SimConfig {
            nodes,
            topology,
            seed,
            latency_ms: (1, 5),
            loss: 0.0,
            tick_ms: 250,
            verify: false,
            engine: Config {
                periodic_sync_ms: 5_000,
                request_timeout_ms: 2_000,
                retry_ms: 500,
                ..Config::default()
            },
            churn_per_min: 0.0,
            spare_peers: 0,
            downtime_ms: (1_000, 5_000),
            join_links: 3,
            redial_ms: 2_000,
            hostile: Hostile::default(),
        }
    }

    /// The mean round trip of a link (ms).
    pub fn mean_rtt_ms(&self) -> u64 {
        self.latency_ms.0 + self.latency_ms.1
    }
}

#[derive(Clone, Debug)]
enum Event {
    /// A connection `from` dialled is up (the dial's round trip has passed).
    Connect {
        from: usize,
        to: usize,
    },
    Request {
        from: usize,
        to: usize,
        conn: u32,
        id: u64,
        bytes: Vec<u8>,
    },
    Response {
        from: usize,
        to: usize,
        conn: u32,
        id: u64,
        bytes: Vec<u8>,
    },
    /// libp2p's request timeout for request `id` of `from`.
    RequestTimeout {
        from: usize,
        to: usize,
        conn: u32,
        id: u64,
    },
    Data {
        from: usize,
        to: usize,
        conn: u32,
        msg: MsgId,
    },
    Control {
        from: usize,
        to: usize,
        conn: u32,
        control: Control,
    },
    Tick {
        node: usize,
        life: u32,
    },
    Heartbeat {
        node: usize,
        life: u32,
    },
    /// The node's input is idle at this instant: commit staged gossip.
    Commit {
        node: usize,
        life: u32,
    },
    Misbehave {
        node: usize,
        life: u32,
    },
    Restart {
        node: usize,
    },
    Churn,
}

struct Scheduled {
    at: u64,
    seq: u64,
    event: Event,
}

impl PartialEq for Scheduled {
    fn eq(&self, o: &Self) -> bool {
        (self.at, self.seq) == (o.at, o.seq)
    }
}
impl Eq for Scheduled {}
impl PartialOrd for Scheduled {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Scheduled {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.at, self.seq).cmp(&(o.at, o.seq))
    }
}

/// Where a node is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Life {
    /// A spare member that has not joined yet.
    NotStarted,
    Up,
    /// Crashed; restarts later.
    Down,
    /// Gone for good.
    Left,
}

struct Node {
    identity: Identity,
    role: Role,
    engine: Engine<usize>,
    set: MemorySet,
    mesh: Mesh,
    life: Life,
    /// Bumped at every crash and restart: timers of an earlier life are ignored.
    incarnation: u32,
    /// When the node last came up.
    up_since: u64,
    next_seq: u32,
    /// Partition group; connections between groups are cut and not redialled.
    group: u32,
    commit_scheduled: bool,
    /// Records written by this node that the run tracks held here (its own included).
    tracked_held: usize,
}

/// A record the run follows: written by an honest member through [`Sim::write`].
struct Tracked {
    written_at: u64,
    writer: usize,
    /// Per node: ms from the write to its arrival in the node's set (`u32::MAX`: not yet).
    arrival: Vec<u32>,
    /// Gossip copies of its message received by honest nodes, duplicates included.
    copies: u64,
}

/// Figures of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Messages sent (requests, responses, gossip copies, gossip control), lost ones included.
    pub messages: u64,
    /// Bytes of those messages: the engines' encodings, plus gossipsub's framing.
    pub bytes: u64,
    /// Messages dropped by the random loss of [`SimConfig::loss`].
    pub lost: u64,
    /// Sync requests sent.
    pub requests: u64,
    /// Requests that got no response in time ([`Input::RequestFailed`]).
    pub request_failures: u64,
    /// Gossip copies sent (publish, forward, IWANT answers).
    pub gossip: u64,
    /// gossipsub control messages sent (GRAFT, PRUNE, IHAVE, IWANT, IDONTWANT).
    pub control: u64,
    /// For each first arrival of a tracked record at a node other than its writer: ms from
    /// the write.
    pub delivery_ms: Vec<u64>,
    /// Churn events: crashes, restarts, leaves, joins.
    pub crashes: u64,
    /// See `crashes`.
    pub restarts: u64,
    /// See `crashes`.
    pub leaves: u64,
    /// See `crashes`.
    pub joins: u64,
}

impl Stats {
    /// The `p`-th percentile of delivery latency (0..=100), if any record was delivered.
    pub fn delivery_percentile(&self, p: f64) -> Option<u64> {
        let mut v = self.delivery_ms.clone();
        v.sort_unstable();
        percentile(&v, p)
    }
}

fn percentile(sorted: &[u64], p: f64) -> Option<u64> {
    if sorted.is_empty() {
        return None;
    }
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted.get(i).copied()
}

/// How tracked records reached the peers that were up all along (see [`Sim::delivery`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// (record, peer) pairs measured: the peer is honest, up now, and has been up since before
    /// the record was written; not its writer.
    pub pairs: u64,
    /// Of those, pairs where the record has not arrived.
    pub missing: u64,
    /// Median ms from write to arrival (`None`: over half missing).
    pub p50_ms: Option<u64>,
    /// 99th percentile (`None`: over 1 % missing).
    pub p99_ms: Option<u64>,
    /// Gossip copies received per record per peer that holds it, on average (duplicates
    /// included; a record that came by sync alone counts no copy).
    pub copies_per_record_per_peer: f64,
    /// The most copies of one record at one peer, on average over the records' peers, for
    /// the worst record.
    pub worst_record_copies: f64,
}

/// A simulated network.
pub struct Sim {
    config: SimConfig,
    nodes: Vec<Node>,
    members: Vec<PublicKey>,
    shared_members: Arc<HashSet<PublicKey>>,
    /// Who dials whom: (dialler, listener).
    links: BTreeSet<(usize, usize)>,
    /// Connections up, keyed (low, high), with their number: messages of an older
    /// connection between the same two nodes are dropped.
    conns: HashMap<(usize, usize), u32>,
    next_conn: u32,
    /// Requests sent and not yet answered nor timed out.
    pending: HashSet<u64>,
    next_request: u64,
    /// Every gossip message's data, by id (content-addressed, the same at every node).
    messages: HashMap<MsgId, Vec<u8>>,
    /// Which tracked record a message carries.
    message_record: HashMap<MsgId, usize>,
    tracked: Vec<Tracked>,
    tracked_index: HashMap<RecordId, usize>,
    revoked: HashSet<usize>,
    wrote: HashSet<usize>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    now: u64,
    rng: Rng,
    churn_debt: f64,
    spare_next: usize,
    /// What the run has cost and how fast records spread, so far.
    pub stats: Stats,
}

fn key(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

fn msg_id(bytes: &[u8]) -> MsgId {
    let h = blake3::hash(bytes);
    let mut id = [0u8; 8];
    id.copy_from_slice(&h.as_bytes()[..8]);
    u64::from_le_bytes(id)
}

fn identity_of(i: usize, seed: u64) -> Identity {
    let mut s = [0u8; 32];
    s[..8].copy_from_slice(&(i as u64).to_le_bytes());
    s[8..16].copy_from_slice(&seed.to_le_bytes());
    Identity::from_secret(s)
}

impl Sim {
    /// Builds the network and dials every link at time zero.
    pub fn new(mut config: SimConfig) -> Sim {
        if config.hostile.forgers > 0 {
            config.verify = true;
        }
        let mut rng = Rng::new(config.seed);
        let total = config.nodes + config.spare_peers;
        let identities: Vec<Identity> = (0..total).map(|i| identity_of(i, config.seed)).collect();
        let members: Vec<PublicKey> = identities.iter().map(Identity::public).collect();
        // One copy of the starting membership for every node's set.
        let shared: Arc<HashSet<PublicKey>> = Arc::new(members.iter().copied().collect());
        let h = config.hostile;
        let first_hostile = config.nodes.saturating_sub(h.total());
        let role_of = |i: usize| {
            if i < first_hostile || i >= config.nodes {
                Role::Honest
            } else if i < first_hostile + h.forgers {
                Role::Forger
            } else if i < first_hostile + h.forgers + h.equivocators {
                Role::Equivocator
            } else {
                Role::Flooder
            }
        };
        let nodes = identities
            .into_iter()
            .enumerate()
            .map(|(i, identity)| {
                let set = MemorySet::with_shared_members(TEAM, shared.clone(), config.verify)
                    .with_admins([members[ADMIN]]);
                Node {
                    engine: new_engine(&config, &identity, &set),
                    identity,
                    role: role_of(i),
                    set,
                    mesh: Mesh::default(),
                    life: if i < config.nodes {
                        Life::Up
                    } else {
                        Life::NotStarted
                    },
                    incarnation: 0,
                    up_since: T0,
                    next_seq: 1,
                    group: 0,
                    commit_scheduled: false,
                    tracked_held: 0,
                }
            })
            .collect();
        let links = topology_links(config.nodes, config.topology, &mut rng);
        let mut sim = Sim {
            spare_next: config.nodes,
            config,
            nodes,
            members,
            shared_members: shared,
            links,
            conns: HashMap::new(),
            next_conn: 1,
            pending: HashSet::new(),
            next_request: 1,
            messages: HashMap::new(),
            message_record: HashMap::new(),
            tracked: Vec::new(),
            tracked_index: HashMap::new(),
            revoked: HashSet::new(),
            wrote: HashSet::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            now: T0,
            rng,
            churn_debt: 0.0,
            stats: Stats::default(),
        };
        for (a, b) in sim.links.clone() {
            sim.dial(a, b);
        }
        for node in 0..sim.config.nodes {
            sim.start_timers(node);
        }
        if sim.config.churn_per_min > 0.0 {
            sim.schedule(1_000, Event::Churn);
        }
        sim
    }

    /// The virtual time, ms since the epoch (starts at [`T0`]).
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Nodes in the network, spare members included.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the network has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The run's configuration (`verify` as [`Sim::new`] settled it).
    pub fn config(&self) -> &SimConfig {
        &self.config
    }

    /// The links, each once as (dialler, listener), up or cut.
    pub fn links(&self) -> Vec<(usize, usize)> {
        self.links.iter().copied().collect()
    }

    /// Records held by `node`.
    pub fn held(&self, node: usize) -> usize {
        self.nodes[node].set.len()
    }

    /// The ids of the records held by `node`.
    pub fn ids(&self, node: usize) -> &HashSet<RecordId> {
        self.nodes[node].set.ids()
    }

    /// What `node` is.
    pub fn role(&self, node: usize) -> Role {
        self.nodes[node].role
    }

    /// Is `node` running?
    pub fn is_up(&self, node: usize) -> bool {
        self.nodes[node].life == Life::Up
    }

    /// The nodes `node` has a connection with now.
    pub fn connections(&self, node: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .conns
            .keys()
            .filter_map(|&(a, b)| match (a == node, b == node) {
                (true, _) => Some(b),
                (_, true) => Some(a),
                _ => None,
            })
            .collect();
        v.sort_unstable();
        v
    }

    /// `node`'s gossipsub mesh peers now.
    pub fn mesh_peers(&self, node: usize) -> Vec<usize> {
        let mut v = self.nodes[node].mesh.mesh().to_vec();
        v.sort_unstable();
        v
    }

    /// Changes the churn rate from now on (0 stops it; crashed peers still restart).
    pub fn set_churn(&mut self, per_min: f64) {
        if self.config.churn_per_min <= 0.0 && per_min > 0.0 {
            self.schedule(1_000, Event::Churn);
        }
        self.config.churn_per_min = per_min;
    }

    /// The mean gossipsub mesh degree over the running nodes.
    pub fn mean_mesh_degree(&self) -> f64 {
        let running: Vec<&Node> = self.nodes.iter().filter(|n| n.life == Life::Up).collect();
        let total: usize = running.iter().map(|n| n.mesh.mesh().len()).sum();
        total as f64 / running.len().max(1) as f64
    }

    /// The engine's counters at `node`.
    pub fn counters(&self, node: usize) -> &attrib_p2p_node::protocol::Counters {
        self.nodes[node].engine.counters()
    }

    /// Honest, not revoked, running: the nodes that must converge.
    fn must_converge(&self, n: usize) -> bool {
        let node = &self.nodes[n];
        node.life == Life::Up && node.role == Role::Honest && !self.revoked.contains(&n)
    }

    fn schedule(&mut self, after: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at: self.now + after,
            seq: self.seq,
            event,
        }));
    }

    fn latency(&mut self) -> u64 {
        let (lo, hi) = self.config.latency_ms;
        self.rng.between(lo, hi)
    }

    /// Puts a message on the wire: lost by chance, else delivered after a random latency (the
    /// receiving side drops it if its connection closed meanwhile).
    fn send(&mut self, event: Event, bytes: usize) {
        self.stats.messages += 1;
        self.stats.bytes += bytes as u64;
        if self.rng.chance(self.config.loss) {
            self.stats.lost += 1;
            return;
        }
        let latency = self.latency();
        self.schedule(latency, event);
    }

    /// The connection's number when `a` and `b` are connected.
    fn conn(&self, a: usize, b: usize) -> Option<u32> {
        self.conns.get(&key(a, b)).copied()
    }

    fn start_timers(&mut self, node: usize) {
        let life = self.nodes[node].incarnation;
        // Staggered, so that ticks and heartbeats do not all land on one instant.
        let offset = self.rng.below(self.config.tick_ms.max(1));
        self.schedule(offset, Event::Tick { node, life });
        let offset = self.rng.below(mesh_heartbeat());
        self.schedule(offset, Event::Heartbeat { node, life });
        if self.nodes[node].role != Role::Honest {
            self.schedule(offset, Event::Misbehave { node, life });
        }
    }

    /// `from` dials `to`: the connection is up a round trip later, if both still run then.
    fn dial(&mut self, from: usize, to: usize) {
        let rtt = self.latency() + self.latency();
        self.schedule(rtt, Event::Connect { from, to });
    }

    /// One input to `node`'s engine, as the node hands it over; records that reached its set
    /// are noted as arrivals.
    fn drive(&mut self, node: usize, input: Input<'_, usize>) -> Output<usize> {
        let now = self.now;
        let n = &mut self.nodes[node];
        let before = n.set.len();
        let out = n.engine.handle(input, now, &mut n.set);
        if self.nodes[node].set.len() > before {
            self.note_arrivals(node, before);
        }
        out
    }

    /// After a gossip input: commit at once when the batch is full, else once the node has no
    /// more input at this instant (an event queued now runs after those already queued).
    fn after_gossip(&mut self, node: usize) {
        let staged = self.nodes[node].engine.staged_len();
        if commit_due(staged, false) {
            let out = self.drive(node, Input::Commit);
            self.act(node, out.actions);
        } else if staged > 0 && !self.nodes[node].commit_scheduled {
            self.nodes[node].commit_scheduled = true;
            let life = self.nodes[node].incarnation;
            self.schedule(0, Event::Commit { node, life });
        }
    }

    fn note_arrivals(&mut self, node: usize, before: usize) {
        let now = self.now;
        let ids: Vec<RecordId> = self.nodes[node].set.records()[before..]
            .iter()
            .map(SignedRecord::id)
            .collect();
        for id in ids {
            let Some(&t) = self.tracked_index.get(&id) else {
                continue;
            };
            let tracked = &mut self.tracked[t];
            if tracked.arrival.len() <= node {
                tracked.arrival.resize(node + 1, u32::MAX);
            }
            if tracked.arrival[node] == u32::MAX {
                let took = now.saturating_sub(tracked.written_at);
                tracked.arrival[node] = u32::try_from(took).unwrap_or(u32::MAX - 1);
                self.nodes[node].tracked_held += 1;
                if tracked.writer != node {
                    self.stats.delivery_ms.push(took);
                }
            }
        }
    }

    fn sign(&mut self, node: usize, payload: Payload) -> SignedRecord {
        let now = self.now;
        let n = &mut self.nodes[node];
        let seq = n.next_seq;
        n.next_seq += 1;
        n.identity.sign(
            TEAM,
            Record {
                seq,
                timestamp_ms: now,
                origin: Origin::Person,
                payload,
            },
        )
    }

    fn attestation(node: usize, seq: u32, tag: &str) -> Payload {
        Payload::Attest(Attestation {
            patch: PatchId::new(&format!("N{node}S{seq}{tag}")).unwrap_or_else(|e| panic!("{e}")),
            ai: None,
            description: None,
            depends_on: vec![],
            conflicts_with: vec![],
            replaces: None,
            line_spans: vec![],
            contributions: Vec::new(),
        })
    }

    /// Stores records `node` signed in its own set and tells its engine, as `attrib record`
    /// and the node's `LocalWrite` do.
    fn write_records(&mut self, node: usize, records: Vec<SignedRecord>, track: bool) {
        let now = self.now;
        if track {
            for r in &records {
                let id = r.id();
                self.tracked_index.insert(id, self.tracked.len());
                let mut arrival = vec![u32::MAX; self.nodes.len()];
                arrival[node] = 0;
                self.tracked.push(Tracked {
                    written_at: now,
                    writer: node,
                    arrival,
                    copies: 0,
                });
                self.nodes[node].tracked_held += 1;
            }
            self.wrote.insert(node);
        }
        let n = &mut self.nodes[node];
        // Records a node signs itself are valid for its own set (a revoked writer's are
        // refused by it too, as the store would).
        let _ = n.set.ingest(&records, now);
        if n.life == Life::Up {
            let out = self.drive(node, Input::LocalWrites);
            self.act(node, out.actions);
        }
    }

    /// `node` writes `n` new records of its own, as `attrib record` would. Records of a
    /// revoked or hostile writer are not tracked (they must not converge).
    pub fn write(&mut self, node: usize, n: u32) -> Vec<RecordId> {
        let records: Vec<SignedRecord> = (0..n)
            .map(|_| {
                let seq = self.nodes[node].next_seq;
                let payload = Self::attestation(node, seq, "");
                self.sign(node, payload)
            })
            .collect();
        let ids = records.iter().map(SignedRecord::id).collect();
        let track = self.nodes[node].role == Role::Honest && !self.revoked.contains(&node);
        self.write_records(node, records, track);
        ids
    }

    /// The admin revokes `member`: its records up to the last one the admin holds stay valid,
    /// later ones are refused, and peers that learn of it drop its connections.
    pub fn revoke(&mut self, member: usize) {
        let key = self.members[member];
        let after_seq = self.nodes[ADMIN]
            .engine
            .heads()
            .get(&key)
            .and_then(|h| h.ranges.ranges().last().map(|r| r.1))
            .unwrap_or(0);
        let record = self.sign(
            ADMIN,
            Payload::Revoke {
                member: key,
                after_seq,
            },
        );
        self.revoked.insert(member);
        self.write_records(ADMIN, vec![record], false);
    }

    /// A new device joins: the admin grants it with a record (which sync carries to the
    /// others), and it starts and dials [`SimConfig::join_links`] running peers. Its own set
    /// knows the team's members and its own grant. Returns its node number.
    pub fn grant_new_member(&mut self) -> usize {
        let node = self.nodes.len();
        // Another seed than the starting members' ("grant" in ASCII), so keys never collide.
        let identity = identity_of(node, self.config.seed ^ 0x0067_7261_6e74);
        let key = identity.public();
        let record = self.sign(
            ADMIN,
            Payload::Grant {
                member: key,
                name: format!("node {node}"),
                email: None,
                admin: false,
            },
        );
        self.write_records(ADMIN, vec![record], false);
        let mut set =
            MemorySet::with_shared_members(TEAM, self.shared_members.clone(), self.config.verify)
                .with_admins([self.members[ADMIN]]);
        // The newcomer knows its own grant and the starting members; later grants reach it by
        // sync.
        set.add_member(key);
        self.members.push(key);
        self.nodes.push(Node {
            engine: new_engine(&self.config, &identity, &set),
            identity,
            role: Role::Honest,
            set,
            mesh: Mesh::default(),
            life: Life::NotStarted,
            incarnation: 0,
            up_since: self.now,
            next_seq: 1,
            group: 0,
            commit_scheduled: false,
            tracked_held: 0,
        });
        self.start(node);
        node
    }

    /// Splits the network: `group_of(node)` names each node's side. Connections across sides
    /// close (both ends see it) and are not redialled until [`Sim::heal`].
    pub fn partition(&mut self, group_of: impl Fn(usize) -> u32) {
        for (i, n) in self.nodes.iter_mut().enumerate() {
            n.group = group_of(i);
        }
        let mut cut: Vec<(usize, usize)> = self
            .conns
            .keys()
            .copied()
            .filter(|&(a, b)| self.nodes[a].group != self.nodes[b].group)
            .collect();
        cut.sort_unstable();
        for (a, b) in cut {
            self.close(a, b, false);
        }
    }

    /// Ends every partition: the cut links are dialled again (up a round trip later).
    pub fn heal(&mut self) {
        for n in &mut self.nodes {
            n.group = 0;
        }
        for (a, b) in self.links.clone() {
            if self.conn(a, b).is_none() && self.is_up(a) && self.is_up(b) {
                self.dial(a, b);
            }
        }
    }

    /// `node` crashes: its connections drop, and what was not written is lost (staged gossip,
    /// the engine's per-peer memory, the gossip caches); its store stays.
    pub fn crash(&mut self, node: usize) {
        self.stop(node, Life::Down);
        self.stats.crashes += 1;
    }

    /// `node` leaves for good.
    pub fn leave(&mut self, node: usize) {
        self.stop(node, Life::Left);
        self.stats.leaves += 1;
    }

    /// A crashed `node` starts again on its store and dials its links.
    pub fn restart(&mut self, node: usize) {
        if self.nodes[node].life == Life::Down {
            self.start(node);
            self.stats.restarts += 1;
        }
    }

    /// The next spare member starts and dials [`SimConfig::join_links`] running peers.
    /// `None` when no spare is left.
    pub fn join(&mut self) -> Option<usize> {
        let node = self.spare_next;
        if node >= self.config.nodes + self.config.spare_peers {
            return None;
        }
        self.spare_next += 1;
        self.start(node);
        self.stats.joins += 1;
        Some(node)
    }

    fn stop(&mut self, node: usize, life: Life) {
        if self.nodes[node].life != Life::Up {
            return;
        }
        for peer in self.connections(node) {
            self.close(node, peer, false);
        }
        let n = &mut self.nodes[node];
        n.life = life;
        n.incarnation += 1;
        n.commit_scheduled = false;
        n.mesh = Mesh::default();
    }

    fn start(&mut self, node: usize) {
        let fresh = self.nodes[node].life == Life::NotStarted;
        let n = &mut self.nodes[node];
        n.engine = new_engine(&self.config, &n.identity, &n.set);
        n.mesh = Mesh::default();
        n.life = Life::Up;
        n.incarnation += 1;
        n.up_since = self.now;
        if fresh && !self.links.iter().any(|&(a, b)| a == node || b == node) {
            // A newcomer knows a few running peers (from config or mDNS) and dials them.
            let mut running: Vec<usize> = (0..self.nodes.len())
                .filter(|&i| i != node && self.must_converge(i))
                .collect();
            self.rng.shuffle(&mut running);
            for peer in running.into_iter().take(self.config.join_links) {
                self.links.insert((node, peer));
            }
        }
        let mine: Vec<(usize, usize)> = self
            .links
            .iter()
            .copied()
            .filter(|&(a, b)| a == node || b == node)
            .collect();
        for (a, b) in mine {
            // The restarted node dials every link it knows, whichever side dialled before.
            let peer = if a == node { b } else { a };
            if self.is_up(peer) {
                self.dial(node, peer);
            }
        }
        self.start_timers(node);
    }

    /// Closes the connection between `a` and `b`; both engines and meshes are told. With
    /// `redial`, the link's dialler dials again after [`SimConfig::redial_ms`].
    fn close(&mut self, a: usize, b: usize, redial: bool) {
        if self.conns.remove(&key(a, b)).is_none() {
            return;
        }
        for (x, y) in [(a, b), (b, a)] {
            if self.is_up(x) {
                self.nodes[x].mesh.disconnected(y);
                let out = self.drive(x, Input::Disconnected { peer: y });
                self.act(x, out.actions);
            }
        }
        if redial {
            let (from, to) = if self.links.contains(&(b, a)) {
                (b, a)
            } else {
                (a, b)
            };
            let after = self.config.redial_ms;
            self.schedule(after, Event::Connect { from, to });
        }
    }

    /// Runs events for `ms` of virtual time.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        while let Some(Reverse(next)) = self.queue.peek() {
            if next.at > end {
                break;
            }
            let Some(Reverse(s)) = self.queue.pop() else {
                break;
            };
            self.now = s.at;
            self.handle(s.event);
        }
        self.now = end;
    }

    /// Runs until every node that must converge holds every tracked record, checking every
    /// `step_ms`; returns the virtual ms it took, or `None` if `max_ms` passed first.
    pub fn run_until_converged(&mut self, max_ms: u64, step_ms: u64) -> Option<u64> {
        let start = self.now;
        while self.now - start <= max_ms {
            if self.converged() {
                return Some(self.now - start);
            }
            self.run_for(step_ms);
        }
        None
    }

    /// Every running honest member (not revoked) holds every tracked record.
    pub fn converged(&self) -> bool {
        let total = self.tracked.len();
        (0..self.nodes.len())
            .filter(|&n| self.must_converge(n))
            .all(|n| self.nodes[n].tracked_held == total)
    }

    /// When tracked record number `record` (in writing order) was written, and by whom.
    pub fn tracked_write(&self, record: usize) -> Option<(u64, usize)> {
        self.tracked.get(record).map(|t| (t.written_at, t.writer))
    }

    /// When tracked record number `record` reached `node` (virtual ms since the epoch).
    pub fn arrived_at(&self, record: usize, node: usize) -> Option<u64> {
        let t = self.tracked.get(record)?;
        let ms = *t.arrival.get(node)?;
        (ms != u32::MAX).then(|| t.written_at + u64::from(ms))
    }

    /// Events waiting in the simulator's queue (messages in flight, timers).
    pub fn queued(&self) -> usize {
        self.queue.len()
    }

    /// Tracked records written so far.
    pub fn tracked(&self) -> usize {
        self.tracked.len()
    }

    /// Disconnects for misbehaviour, summed over every engine (honest runs have none).
    pub fn disconnects(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| n.engine.counters().disconnects)
            .sum()
    }

    /// Delivery of the tracked records written at or after `since` (virtual ms since the
    /// epoch), measured now, and the copies it took.
    pub fn delivery(&self, since: u64) -> Delivery {
        let mut times = Vec::new();
        let (mut pairs, mut missing) = (0u64, 0u64);
        let (mut copies, mut holders) = (0u64, 0u64);
        let mut worst = 0f64;
        let eligible: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| self.must_converge(n))
            .collect();
        for t in self.tracked.iter().filter(|t| t.written_at >= since) {
            let mut held = 0u64;
            for &n in &eligible {
                if n == t.writer {
                    continue;
                }
                let arrived = t.arrival.get(n).copied().unwrap_or(u32::MAX);
                if arrived != u32::MAX {
                    held += 1;
                }
                if self.nodes[n].up_since > t.written_at {
                    continue;
                }
                pairs += 1;
                if arrived == u32::MAX {
                    missing += 1;
                } else {
                    times.push(u64::from(arrived));
                }
            }
            copies += t.copies;
            holders += held;
            if held > 0 {
                worst = worst.max(t.copies as f64 / held as f64);
            }
        }
        times.sort_unstable();
        // Missing arrivals sort last: a percentile that lands on them is "not within the run".
        let at = |p: f64| -> Option<u64> {
            if pairs == 0 {
                return None;
            }
            let i = ((p / 100.0) * (pairs - 1) as f64).round() as usize;
            times.get(i).copied()
        };
        Delivery {
            pairs,
            missing,
            p50_ms: at(50.0),
            p99_ms: at(99.0),
            copies_per_record_per_peer: if holders == 0 {
                0.0
            } else {
                copies as f64 / holders as f64
            },
            worst_record_copies: worst,
        }
    }

    fn handle(&mut self, event: Event) {
        let now = self.now;
        match event {
            Event::Tick { node, life } => {
                if self.nodes[node].incarnation != life {
                    return;
                }
                let out = self.drive(node, Input::Tick);
                self.act(node, out.actions);
                let every = self.config.tick_ms;
                self.schedule(every, Event::Tick { node, life });
            }
            Event::Heartbeat { node, life } => {
                if self.nodes[node].incarnation != life {
                    return;
                }
                let controls = self.nodes[node].mesh.heartbeat(now, &mut self.rng);
                for (to, control) in controls {
                    self.send_control(node, to, control);
                }
                self.schedule(mesh_heartbeat(), Event::Heartbeat { node, life });
            }
            Event::Commit { node, life } => {
                if self.nodes[node].incarnation != life {
                    return;
                }
                self.nodes[node].commit_scheduled = false;
                if commit_due(self.nodes[node].engine.staged_len(), true) {
                    let out = self.drive(node, Input::Commit);
                    self.act(node, out.actions);
                }
            }
            Event::Misbehave { node, life } => {
                if self.nodes[node].incarnation != life {
                    return;
                }
                let again = self.misbehave(node);
                self.schedule(again, Event::Misbehave { node, life });
            }
            Event::Restart { node } => self.restart(node),
            Event::Churn => {
                if self.config.churn_per_min > 0.0 {
                    self.churn();
                    self.schedule(1_000, Event::Churn);
                }
            }
            Event::Connect { from, to } => self.connect(from, to),
            Event::Request {
                from,
                to,
                conn,
                id,
                bytes,
            } => {
                if self.conn(from, to) != Some(conn) {
                    return;
                }
                let out = self.drive(
                    to,
                    Input::Request {
                        peer: from,
                        bytes: &bytes,
                    },
                );
                if let Some(r) = out.response {
                    let len = r.len();
                    let event = Event::Response {
                        from: to,
                        to: from,
                        conn,
                        id,
                        bytes: r,
                    };
                    self.send(event, len);
                }
                self.act(to, out.actions);
            }
            Event::Response {
                from,
                to,
                conn,
                id,
                bytes,
            } => {
                // libp2p drops a response to a request it has already failed.
                if self.conn(from, to) != Some(conn) || !self.pending.remove(&id) {
                    return;
                }
                let out = self.drive(
                    to,
                    Input::Response {
                        peer: from,
                        bytes: &bytes,
                    },
                );
                self.act(to, out.actions);
            }
            Event::RequestTimeout { from, to, conn, id } => {
                if !self.pending.remove(&id) || self.conn(from, to) != Some(conn) {
                    return;
                }
                self.stats.request_failures += 1;
                let out = self.drive(from, Input::RequestFailed { peer: to });
                self.act(from, out.actions);
            }
            Event::Data {
                from,
                to,
                conn,
                msg,
            } => {
                if self.conn(from, to) == Some(conn) {
                    self.receive_data(from, to, msg);
                }
            }
            Event::Control {
                from,
                to,
                conn,
                control,
            } => {
                if self.conn(from, to) != Some(conn) {
                    return;
                }
                let (replies, data) = self.nodes[to].mesh.control(from, control, now);
                for (peer, c) in replies {
                    self.send_control(to, peer, c);
                }
                for msg in data {
                    self.send_data(to, from, msg);
                }
            }
        }
    }

    fn connect(&mut self, from: usize, to: usize) {
        let same_side = self.nodes[from].group == self.nodes[to].group;
        if !self.is_up(from) || !self.is_up(to) || !same_side || self.conn(from, to).is_some() {
            return;
        }
        let conn = self.next_conn;
        self.next_conn += 1;
        self.conns.insert(key(from, to), conn);
        for (me, peer, dialer) in [(from, to, true), (to, from, false)] {
            // Either side's gate may already have closed the connection.
            if self.conn(me, peer) != Some(conn) {
                return;
            }
            let peer_key = self.nodes[peer].identity.public();
            let out = self.drive(
                me,
                Input::Connected {
                    peer,
                    key: peer_key,
                    dialer,
                },
            );
            let refused = out
                .actions
                .iter()
                .any(|a| matches!(a, Action::Disconnect { peer: p, .. } if *p == peer));
            if !refused {
                // gossipsub learns of the peer's subscription once the connection is up.
                if let Some((p, c)) = self.nodes[me].mesh.connected(peer, dialer, self.now) {
                    self.send_control(me, p, c);
                }
            }
            self.act(me, out.actions);
        }
    }

    fn send_control(&mut self, from: usize, to: usize, control: Control) {
        let Some(conn) = self.conn(from, to) else {
            return;
        };
        self.stats.control += 1;
        let bytes = control.wire_bytes();
        let event = Event::Control {
            from,
            to,
            conn,
            control,
        };
        self.send(event, bytes);
    }

    fn send_data(&mut self, from: usize, to: usize, msg: MsgId) {
        let Some(conn) = self.conn(from, to) else {
            return;
        };
        let len = self.messages.get(&msg).map_or(0, Vec::len);
        self.stats.gossip += 1;
        let event = Event::Data {
            from,
            to,
            conn,
            msg,
        };
        self.send(event, len + RPC_OVERHEAD_BYTES);
    }

    /// Keeps a message's data under its id; notes which tracked record it carries.
    fn register(&mut self, bytes: Vec<u8>) -> MsgId {
        let id = msg_id(&bytes);
        if !self.messages.contains_key(&id) {
            if let Ok(g) = decode::<Gossip>(&bytes, MAX_GOSSIP_BYTES) {
                if let Ok(r) = g.record.into_signed(TEAM) {
                    if let Some(&t) = self.tracked_index.get(&r.id()) {
                        self.message_record.insert(id, t);
                    }
                }
            }
            self.messages.insert(id, bytes);
        }
        id
    }

    /// `node` publishes a message: seen and cached here, sent to every subscribed peer.
    fn publish(&mut self, node: usize, bytes: Vec<u8>) {
        let msg = self.register(bytes);
        let m = &mut self.nodes[node].mesh;
        m.see(msg);
        m.cache(msg);
        for to in m.publish_targets() {
            self.send_data(node, to, msg);
        }
    }

    /// A copy of message `msg` reaches `to` from `from`: gossipsub's receive path, then the
    /// engine's verdict decides whether it is forwarded.
    fn receive_data(&mut self, from: usize, to: usize, msg: MsgId) {
        if let Some(&t) = self.message_record.get(&msg) {
            if self.nodes[to].role == Role::Honest {
                self.tracked[t].copies += 1;
            }
        }
        let Some(bytes) = self.messages.get(&msg).cloned() else {
            return;
        };
        let first = !self.nodes[to].mesh.has_seen(msg);
        if first && bytes.len() > IDONTWANT_THRESHOLD_BYTES {
            for peer in self.nodes[to].mesh.idontwant_targets(from) {
                self.send_control(to, peer, Control::IDontWant(msg));
            }
        }
        if !first {
            return;
        }
        self.nodes[to].mesh.see(msg);
        let out = self.drive(
            to,
            Input::Gossip {
                peer: from,
                bytes: &bytes,
            },
        );
        if out.verdict == Some(GossipVerdict::Accept) {
            self.nodes[to].mesh.cache(msg);
            for peer in self.nodes[to].mesh.forward_targets(msg, from) {
                self.send_data(to, peer, msg);
            }
        }
        self.act(to, out.actions);
        self.after_gossip(to);
    }

    fn act(&mut self, node: usize, actions: Vec<Action<usize>>) {
        for a in actions {
            match a {
                Action::Request { peer, bytes } => {
                    // No connection: libp2p fails the request at once, and the engine, told
                    // of the closed connection already, has forgotten the peer.
                    let Some(conn) = self.conn(node, peer) else {
                        continue;
                    };
                    self.stats.requests += 1;
                    let id = self.next_request;
                    self.next_request += 1;
                    self.pending.insert(id);
                    let len = bytes.len();
                    let event = Event::Request {
                        from: node,
                        to: peer,
                        conn,
                        id,
                        bytes,
                    };
                    self.send(event, len);
                    let timeout = self.config.engine.request_timeout_ms;
                    self.schedule(
                        timeout,
                        Event::RequestTimeout {
                            from: node,
                            to: peer,
                            conn,
                            id,
                        },
                    );
                }
                Action::Publish { bytes } => self.publish(node, bytes),
                Action::Disconnect { peer, .. } => self.close(node, peer, true),
            }
        }
    }

    /// One round of churn: the share of [`SimConfig::churn_per_min`] that falls in a second.
    fn churn(&mut self) {
        let running: Vec<usize> = (0..self.nodes.len())
            .filter(|&n| n != ADMIN && self.must_converge(n))
            .collect();
        self.churn_debt += self.config.churn_per_min / 60.0 * running.len() as f64;
        while self.churn_debt >= 1.0 {
            self.churn_debt -= 1.0;
            let Some(&victim) = running.get(self.rng.below(running.len() as u64) as usize) else {
                return;
            };
            if !self.is_up(victim) {
                continue;
            }
            match self.rng.below(4) {
                // A writer does not leave: its records would have nowhere to come from.
                0 if !self.wrote.contains(&victim) => self.leave(victim),
                1 if self.join().is_some() => {}
                _ => {
                    self.crash(victim);
                    let (lo, hi) = self.config.downtime_ms;
                    let down = self.rng.between(lo, hi);
                    self.schedule(down, Event::Restart { node: victim });
                }
            }
        }
    }

    /// What a hostile node does now; returns when it acts again (ms).
    fn misbehave(&mut self, node: usize) -> u64 {
        let peers = self.connections(node);
        if peers.is_empty() {
            // Dropped by everyone (or not yet connected): nothing to do until a redial.
            return 500;
        }
        match self.nodes[node].role {
            Role::Honest => 60_000,
            Role::Forger => {
                // A record under an honest member's key, signed with the forger's own.
                let victim = self.rng.below(self.config.nodes as u64) as usize;
                let seq = self.nodes[node].next_seq;
                let payload = Self::attestation(victim, seq, "F");
                let mut r = self.sign(node, payload);
                r.signer = self.members[victim];
                let bytes = encode(&Gossip {
                    record: WireRecord::from_signed(&r),
                });
                let msg = self.register(bytes);
                for p in peers {
                    self.send_data(node, p, msg);
                }
                250
            }
            Role::Equivocator => {
                // Two versions of one sequence number, both sent to every peer.
                let seq = self.nodes[node].next_seq;
                let a = Self::attestation(node, seq, "A");
                let b = Self::attestation(node, seq, "B");
                let ra = self.sign(node, a);
                self.nodes[node].next_seq = seq;
                let rb = self.sign(node, b);
                for r in [ra, rb] {
                    let msg = self.register(encode(&Gossip {
                        record: WireRecord::from_signed(&r),
                    }));
                    for &p in &peers {
                        self.send_data(node, p, msg);
                    }
                }
                500
            }
            Role::Flooder => {
                // Junk that is no message of the protocol, a new one every time (gossipsub's
                // seen cache would drop repeats before validation).
                for _ in 0..20 {
                    let mut junk = vec![0xffu8; 48];
                    junk[..8].copy_from_slice(&self.rng.next_u64().to_le_bytes());
                    let msg = self.register(junk);
                    for &p in &peers {
                        self.send_data(node, p, msg);
                    }
                }
                100
            }
        }
    }
}

fn mesh_heartbeat() -> u64 {
    attrib_p2p_node::protocol::gossip::HEARTBEAT_MS
}

fn new_engine(config: &SimConfig, identity: &Identity, set: &MemorySet) -> Engine<usize> {
    // An in-memory set cannot fail to be read.
    Engine::new(config.engine.clone(), identity.public(), set).unwrap_or_else(|e| panic!("{e}"))
}

fn topology_links(n: usize, t: Topology, rng: &mut Rng) -> BTreeSet<(usize, usize)> {
    let mut set = BTreeSet::new();
    let mut add = |a: usize, b: usize| {
        if a != b && !set.contains(&(b, a)) {
            set.insert((a, b));
        }
    };
    match t {
        Topology::Line => (1..n).for_each(|i| add(i - 1, i)),
        Topology::Ring => (0..n).for_each(|i| add(i, (i + 1) % n)),
        Topology::Star => (1..n).for_each(|i| add(i, 0)),
        Topology::Full => (0..n).for_each(|i| (i + 1..n).for_each(|j| add(i, j))),
        Topology::Random { extra } => {
            (0..n).for_each(|i| add(i, (i + 1) % n));
            for i in 0..n {
                for _ in 0..extra {
                    add(i, rng.below(n as u64) as usize);
                }
            }
        }
    }
    set
}
