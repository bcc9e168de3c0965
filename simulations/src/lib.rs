//! Deterministic simulation of attrib's sync protocol at scale.
//!
//! Every simulated node runs the real [`attrib_p2p_node::protocol::Engine`], the same code the
//! libp2p node drives, over an in-memory [`MemorySet`]. The simulator replaces only the
//! network and the clock: messages travel with a seeded random latency, can be lost, links can
//! be cut into partitions and healed, and time is virtual, so thousands of peers and minutes of
//! protocol time run in seconds and every run with the same seed is the same run.
//!
//! Gossip is modelled as gossipsub forwards it: a node validates a message id once (seen
//! cache), and forwards it to its other neighbours only when the engine's verdict is Accept.

#![warn(missing_docs)]

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, HashSet};

use attrib_overlay::{
    Attestation, Identity, Origin, PatchId, Payload, PublicKey, Record, RecordId, SignedRecord,
    TeamId,
};
use attrib_p2p_node::protocol::{Action, Config, Engine, GossipVerdict, MemorySet, RecordSet};

pub mod rng;
use rng::Rng;

/// Virtual time starts here (ms since the epoch), so record timestamps look real.
pub const T0: u64 = 1_790_000_000_000;
const TEAM: TeamId = TeamId([0x5a; 32]);

/// How nodes are linked.
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

/// What to simulate.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Nodes in the network, numbered from 0.
    pub nodes: usize,
    /// How they are linked.
    pub topology: Topology,
    /// Seed of every random choice (links, latency, loss, tick offsets): the same seed and
    /// config give the same run.
    pub seed: u64,
    /// One-way latency of a message, uniform in this range (ms).
    pub latency_ms: (u64, u64),
    /// Probability that a message is lost.
    pub loss: f64,
    /// How often each node's engine is ticked (ms).
    pub tick_ms: u64,
    /// Check signatures on ingest (slow at thousands of nodes; the protocol does not depend
    /// on it).
    pub verify: bool,
    /// The sync engine's tunables, shortened from the real defaults so that minutes of
    /// protocol fit in a test (see [`SimConfig::new`]).
    pub engine: Config,
}

impl SimConfig {
    /// A network of `nodes` linked by `topology`, with 1–5 ms links, no loss, a 250 ms tick,
    /// no signature checks, and engine timers scaled down to virtual-time test runs.
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
        }
    }
}

#[derive(Clone, Debug)]
enum Event {
    Request {
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    Response {
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    Gossip {
        from: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    Tick {
        node: usize,
    },
    Connect {
        a: usize,
        b: usize,
    },
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

struct Node {
    identity: Identity,
    engine: Engine<usize>,
    set: MemorySet,
    /// gossipsub's seen cache: message ids (hash of the bytes) already validated here.
    seen: HashSet<[u8; 32]>,
    next_seq: u32,
    /// Partition group; links between groups carry nothing.
    group: u32,
}

/// Figures of a run.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Messages sent (requests, responses and gossip copies), lost ones included.
    pub messages: u64,
    /// Bytes of those messages, as the engines encoded them (no transport overhead).
    pub bytes: u64,
    /// Messages dropped by the random loss of [`SimConfig::loss`].
    pub lost: u64,
    /// Sync requests sent (responses are counted in `messages` only).
    pub requests: u64,
    /// Gossip copies sent (one per neighbour forwarded to).
    pub gossip: u64,
    /// For each (record, node that did not write it): ms from the write to its arrival.
    pub delivery_ms: Vec<u64>,
}

impl Stats {
    /// The `p`-th percentile of delivery latency (0..=100), if any record was delivered.
    pub fn delivery_percentile(&self, p: f64) -> Option<u64> {
        let mut v = self.delivery_ms.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let i = ((p / 100.0) * (v.len() - 1) as f64).round() as usize;
        v.get(i).copied()
    }
}

/// A simulated network.
pub struct Sim {
    config: SimConfig,
    nodes: Vec<Node>,
    /// Links of the topology, each once as (low, high).
    links: Vec<(usize, usize)>,
    /// Adjacency, for gossip forwarding.
    neighbours: Vec<Vec<usize>>,
    /// Links whose connection is up (both engines told).
    up: HashSet<(usize, usize)>,
    queue: BinaryHeap<Reverse<Scheduled>>,
    seq: u64,
    now: u64,
    rng: Rng,
    written_at: HashMap<RecordId, (u64, usize)>,
    /// What the run has cost and how fast records spread, so far.
    pub stats: Stats,
}

fn key(a: usize, b: usize) -> (usize, usize) {
    (a.min(b), a.max(b))
}

impl Sim {
    /// Builds the network and connects every link at time zero.
    pub fn new(config: SimConfig) -> Sim {
        let mut rng = Rng::new(config.seed);
        let identities: Vec<Identity> = (0..config.nodes)
            .map(|i| {
                let mut seed = [0u8; 32];
                seed[..8].copy_from_slice(&(i as u64).to_le_bytes());
                seed[8..16].copy_from_slice(&config.seed.to_le_bytes());
                Identity::from_secret(seed)
            })
            .collect();
        let members: Vec<PublicKey> = identities.iter().map(Identity::public).collect();
        let nodes = identities
            .into_iter()
            .map(|identity| {
                let set = MemorySet::new(TEAM, members.iter().copied(), config.verify);
                // An empty in-memory set cannot fail to be read.
                let engine = Engine::new(config.engine.clone(), identity.public(), &set)
                    .unwrap_or_else(|e| panic!("{e}"));
                Node {
                    identity,
                    engine,
                    set,
                    seen: HashSet::new(),
                    next_seq: 1,
                    group: 0,
                }
            })
            .collect();
        let links = topology_links(config.nodes, config.topology, &mut rng);
        let mut neighbours = vec![Vec::new(); config.nodes];
        for &(a, b) in &links {
            neighbours[a].push(b);
            neighbours[b].push(a);
        }
        let mut sim = Sim {
            config,
            nodes,
            links,
            neighbours,
            up: HashSet::new(),
            queue: BinaryHeap::new(),
            seq: 0,
            now: T0,
            rng,
            written_at: HashMap::new(),
            stats: Stats::default(),
        };
        for (a, b) in sim.links.clone() {
            sim.schedule(0, Event::Connect { a, b });
        }
        for node in 0..sim.nodes.len() {
            // Staggered, so that ticks do not all land on one instant.
            let offset = sim.rng.below(sim.config.tick_ms.max(1));
            sim.schedule(offset, Event::Tick { node });
        }
        sim
    }

    /// The virtual time, ms since the simulation started.
    pub fn now(&self) -> u64 {
        self.now
    }

    /// Nodes in the network.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether the network has no node.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// The topology's links, each once as `(low, high)` node numbers, up or cut.
    pub fn links(&self) -> &[(usize, usize)] {
        &self.links
    }

    /// Records held by `node`.
    pub fn held(&self, node: usize) -> usize {
        self.nodes[node].set.len()
    }

    /// The ids of the records held by `node`.
    pub fn ids(&self, node: usize) -> &HashSet<RecordId> {
        self.nodes[node].set.ids()
    }

    fn schedule(&mut self, after: u64, event: Event) {
        self.seq += 1;
        self.queue.push(Reverse(Scheduled {
            at: self.now + after,
            seq: self.seq,
            event,
        }));
    }

    /// Puts a message on the wire: lost by chance, else delivered after a random latency (the
    /// receiving side drops it if the link went down meanwhile).
    fn send(&mut self, event: Event, bytes: usize) {
        self.stats.messages += 1;
        self.stats.bytes += bytes as u64;
        if self.rng.chance(self.config.loss) {
            self.stats.lost += 1;
            return;
        }
        let (lo, hi) = self.config.latency_ms;
        let latency = lo + self.rng.below(hi.saturating_sub(lo) + 1);
        self.schedule(latency, event);
    }

    fn carries(&self, a: usize, b: usize) -> bool {
        self.up.contains(&key(a, b)) && self.nodes[a].group == self.nodes[b].group
    }

    /// `node` writes `n` new records of its own, as `attrib record` would.
    pub fn write(&mut self, node: usize, n: u32) -> Vec<RecordId> {
        let now = self.now;
        let n_ref = &mut self.nodes[node];
        let records: Vec<SignedRecord> = (0..n)
            .map(|_| {
                let seq = n_ref.next_seq;
                n_ref.next_seq += 1;
                n_ref.identity.sign(
                    TEAM,
                    Record {
                        seq,
                        timestamp_ms: now,
                        origin: Origin::Person,
                        payload: Payload::Attest(Attestation {
                            patch: PatchId::new(&format!("N{node}S{seq}"))
                                .unwrap_or_else(|e| panic!("{e}")),
                            ai: None,
                            description: None,
                            depends_on: vec![],
                            conflicts_with: vec![],
                            replaces: None,
                            line_spans: vec![],
                            contributions: Vec::new(),
                        }),
                    },
                )
            })
            .collect();
        let ids: Vec<RecordId> = records.iter().map(SignedRecord::id).collect();
        for id in &ids {
            self.written_at.insert(*id, (now, node));
        }
        let n = &mut self.nodes[node];
        // Records a node signs itself are always valid for its own set.
        let _ = n.set.ingest(&records, now);
        let actions = n.engine.local_writes(&n.set);
        self.act(node, actions);
        ids
    }

    /// Splits the network: `group_of(node)` names each node's side. Links across sides go
    /// down (both ends see the connection close).
    pub fn partition(&mut self, group_of: impl Fn(usize) -> u32) {
        for (i, n) in self.nodes.iter_mut().enumerate() {
            n.group = group_of(i);
        }
        let now = self.now;
        for (a, b) in self.links.clone() {
            if self.nodes[a].group != self.nodes[b].group && self.up.remove(&(a, b)) {
                self.nodes[a].engine.disconnected(&b, now);
                self.nodes[b].engine.disconnected(&a, now);
            }
        }
    }

    /// Ends every partition: the cut links reconnect after a latency.
    pub fn heal(&mut self) {
        for n in &mut self.nodes {
            n.group = 0;
        }
        for (a, b) in self.links.clone() {
            if !self.up.contains(&(a, b)) {
                let delay = self.config.latency_ms.1;
                self.schedule(delay, Event::Connect { a, b });
            }
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

    /// Runs until every node holds every record written, checking every `step_ms`; returns
    /// the virtual ms it took, or `None` if `max_ms` passed first.
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

    /// Every node holds every record written (and so, the sets being equal in size and all
    /// drawn from the written ones, the same set).
    pub fn converged(&self) -> bool {
        let total = self.written_at.len();
        self.nodes.iter().all(|n| n.set.len() == total)
            && self.nodes.iter().all(|n| {
                n.set
                    .ids()
                    .iter()
                    .all(|id| self.written_at.contains_key(id))
            })
    }

    /// Counters of every engine, summed offences and disconnects (honest runs have none).
    pub fn disconnects(&self) -> u64 {
        self.nodes
            .iter()
            .map(|n| n.engine.counters().disconnects)
            .sum()
    }

    fn handle(&mut self, event: Event) {
        let now = self.now;
        match event {
            Event::Tick { node } => {
                let n = &mut self.nodes[node];
                let actions = n.engine.tick(now, &n.set);
                self.act(node, actions);
                let every = self.config.tick_ms;
                self.schedule(every, Event::Tick { node });
            }
            Event::Connect { a, b } => {
                if self.nodes[a].group != self.nodes[b].group || !self.up.insert(key(a, b)) {
                    return;
                }
                let kb = self.nodes[b].identity.public();
                let n = &mut self.nodes[a];
                let actions = n.engine.connected(b, kb, now, &n.set);
                self.act(a, actions);
                let ka = self.nodes[a].identity.public();
                let n = &mut self.nodes[b];
                // `a` dialled: `b` pulls back only if `a`'s heads show it news.
                let actions = n.engine.accepted(a, ka, now, &n.set);
                self.act(b, actions);
            }
            Event::Request { from, to, bytes } => {
                if !self.carries(from, to) {
                    return;
                }
                let n = &mut self.nodes[to];
                let (response, actions) = n.engine.handle_request(&from, &bytes, now, &n.set);
                if let Some(r) = response {
                    let len = r.len();
                    self.send(
                        Event::Response {
                            from: to,
                            to: from,
                            bytes: r,
                        },
                        len,
                    );
                }
                self.act(to, actions);
            }
            Event::Response { from, to, bytes } => {
                if !self.carries(from, to) {
                    return;
                }
                let before = self.nodes[to].set.len();
                let n = &mut self.nodes[to];
                let actions = n.engine.handle_response(&from, &bytes, now, &mut n.set);
                self.note_arrivals(to, before);
                self.act(to, actions);
            }
            Event::Gossip { from, to, bytes } => {
                if !self.carries(from, to) {
                    return;
                }
                if !self.nodes[to].seen.insert(*blake3::hash(&bytes).as_bytes()) {
                    return;
                }
                let before = self.nodes[to].set.len();
                let n = &mut self.nodes[to];
                let (verdict, actions) = n.engine.handle_gossip(&from, &bytes, now, &mut n.set);
                self.note_arrivals(to, before);
                if verdict == GossipVerdict::Accept {
                    self.flood(to, Some(from), &bytes);
                }
                self.act(to, actions);
            }
        }
    }

    fn note_arrivals(&mut self, node: usize, before: usize) {
        let now = self.now;
        for r in &self.nodes[node].set.records()[before..] {
            if let Some((at, writer)) = self.written_at.get(&r.id()) {
                if *writer != node {
                    self.stats.delivery_ms.push(now - at);
                }
            }
        }
    }

    fn flood(&mut self, from: usize, except: Option<usize>, bytes: &[u8]) {
        self.nodes[from]
            .seen
            .insert(*blake3::hash(bytes).as_bytes());
        for to in self.neighbours[from].clone() {
            if Some(to) == except || !self.carries(from, to) {
                continue;
            }
            self.stats.gossip += 1;
            let event = Event::Gossip {
                from,
                to,
                bytes: bytes.to_vec(),
            };
            self.send(event, bytes.len());
        }
    }

    fn act(&mut self, node: usize, actions: Vec<Action<usize>>) {
        for a in actions {
            match a {
                Action::Request { peer, bytes } => {
                    if !self.carries(node, peer) {
                        continue;
                    }
                    self.stats.requests += 1;
                    let len = bytes.len();
                    let event = Event::Request {
                        from: node,
                        to: peer,
                        bytes,
                    };
                    self.send(event, len);
                }
                Action::Publish { bytes } => self.flood(node, None, &bytes),
                Action::Disconnect { peer, .. } => {
                    if self.up.remove(&key(node, peer)) {
                        let now = self.now;
                        self.nodes[node].engine.disconnected(&peer, now);
                        self.nodes[peer].engine.disconnected(&node, now);
                    }
                }
            }
        }
    }
}

fn topology_links(n: usize, t: Topology, rng: &mut Rng) -> Vec<(usize, usize)> {
    let mut set = std::collections::BTreeSet::new();
    let mut add = |a: usize, b: usize| {
        if a != b {
            set.insert(key(a, b));
        }
    };
    match t {
        Topology::Line => (1..n).for_each(|i| add(i - 1, i)),
        Topology::Ring => (0..n).for_each(|i| add(i, (i + 1) % n)),
        Topology::Star => (1..n).for_each(|i| add(0, i)),
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
    set.into_iter().collect()
}
