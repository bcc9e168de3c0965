//! A deterministic in-memory network for driving engines in tests: messages are queued and
//! delivered in order, or shuffled and duplicated; gossip is flooded with a seen-cache the way
//! gossipsub forwards accepted messages.
#![allow(dead_code)]

use std::collections::{HashSet, VecDeque};

use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::*;
use attrib_p2p_node::protocol::*;

pub const T0: u64 = 1_790_000_000_000;

/// A connection to `peer` (key `key`) is up at `engine`'s node; `dialer`: this node opened it.
pub fn connect_in<S: RecordSet>(
    engine: &mut Engine<usize>,
    peer: usize,
    key: PublicKey,
    dialer: bool,
    now: u64,
    set: &mut S,
) -> Vec<Action<usize>> {
    engine
        .handle(Input::Connected { peer, key, dialer }, now, set)
        .actions
}

/// A sync request from `peer`: the response and the actions.
pub fn request_in<S: RecordSet>(
    engine: &mut Engine<usize>,
    peer: usize,
    bytes: &[u8],
    now: u64,
    set: &mut S,
) -> (Option<Vec<u8>>, Vec<Action<usize>>) {
    let out = engine.handle(Input::Request { peer, bytes }, now, set);
    (out.response, out.actions)
}

/// A sync response from `peer`.
pub fn response_in<S: RecordSet>(
    engine: &mut Engine<usize>,
    peer: usize,
    bytes: &[u8],
    now: u64,
    set: &mut S,
) -> Vec<Action<usize>> {
    engine
        .handle(Input::Response { peer, bytes }, now, set)
        .actions
}

/// A gossip message from `peer`, validated, then committed at once (the pipe delivers one
/// message at a time, so its input is idle after each: `commit_due(_, true)`).
pub fn gossip_in<S: RecordSet>(
    engine: &mut Engine<usize>,
    peer: usize,
    bytes: &[u8],
    now: u64,
    set: &mut S,
) -> (GossipVerdict, Vec<Action<usize>>) {
    let out = engine.handle(Input::Gossip { peer, bytes }, now, set);
    let mut actions = out.actions;
    if commit_due(engine.staged_len(), true) {
        actions.extend(engine.handle(Input::Commit, now, set).actions);
    }
    let verdict = out.verdict.expect("a gossip input has a verdict");
    (verdict, actions)
}

pub fn identity(n: u32) -> Identity {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    seed[31] = 0xa7;
    Identity::from_secret(seed)
}

pub fn attest(who: &Identity, team: TeamId, seq: u32, patch: &str) -> SignedRecord {
    who.sign(
        team,
        Record {
            seq,
            timestamp_ms: T0 + seq as u64,
            origin: Origin::Person,
            payload: Payload::Attest(Attestation {
                patch: PatchId::new(patch).unwrap(),
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
}

pub fn genesis(founder: &Identity) -> SignedRecord {
    founder.sign(
        GENESIS_TEAM,
        Record {
            seq: 1,
            timestamp_ms: T0,
            origin: Origin::Person,
            payload: Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "founder".into(),
                founder_email: None,
            },
        },
    )
}

pub fn grant(admin: &Identity, team: TeamId, seq: u32, member: &Identity) -> SignedRecord {
    admin.sign(
        team,
        Record {
            seq,
            timestamp_ms: T0 + seq as u64,
            origin: Origin::Person,
            payload: Payload::Grant {
                member: member.public(),
                name: "m".into(),
                email: None,
                admin: false,
            },
        },
    )
}

pub const TEAM: TeamId = TeamId([7; 32]);

#[derive(Clone, Debug)]
pub enum Msg {
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
}

pub struct Node<S> {
    pub key: Identity,
    pub engine: Engine<usize>,
    pub set: S,
    seen: HashSet<[u8; 32]>,
}

/// Counts of one run.
#[derive(Clone, Debug, Default)]
pub struct Traffic {
    pub requests: u64,
    pub responses: u64,
    pub gossip: u64,
    pub bytes: u64,
    pub disconnects: Vec<(usize, usize, Offence)>,
}

pub struct Net<S> {
    pub nodes: Vec<Node<S>>,
    pub links: HashSet<(usize, usize)>,
    pub queue: VecDeque<Msg>,
    pub now: u64,
    pub traffic: Traffic,
    rng: u64,
    pub shuffle: bool,
    pub duplicate: bool,
}

impl<S: RecordSet> Net<S> {
    pub fn new(nodes: Vec<(Identity, S)>, config: Config) -> Net<S> {
        let nodes = nodes
            .into_iter()
            .map(|(key, set)| Node {
                engine: Engine::new(config.clone(), key.public(), &set).unwrap(),
                key,
                set,
                seen: HashSet::new(),
            })
            .collect();
        Net {
            nodes,
            links: HashSet::new(),
            queue: VecDeque::new(),
            now: T0,
            traffic: Traffic::default(),
            rng: 0x9e37_79b9_7f4a_7c15,
            shuffle: false,
            duplicate: false,
        }
    }

    pub fn seed(&mut self, seed: u64) {
        self.rng = seed | 1;
    }

    fn next_random(&mut self) -> u64 {
        // xorshift64*: deterministic, good enough to shuffle a queue.
        self.rng ^= self.rng >> 12;
        self.rng ^= self.rng << 25;
        self.rng ^= self.rng >> 27;
        self.rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A connection between `a` and `b` that both treat as their own: each pulls at once.
    pub fn connect(&mut self, a: usize, b: usize) {
        self.link(a, b, false);
    }

    /// A connection `a` opens to `b`: `a` pulls at once, `b` only if `a`'s heads show
    /// something it lacks (as the libp2p node does with a dialler and a listener).
    pub fn dial(&mut self, a: usize, b: usize) {
        self.link(a, b, true);
    }

    fn link(&mut self, a: usize, b: usize, b_accepts: bool) {
        self.links.insert((a.min(b), a.max(b)));
        let (ka, kb) = (self.nodes[a].key.public(), self.nodes[b].key.public());
        let now = self.now;
        let acts = {
            let n = &mut self.nodes[a];
            connect_in(&mut n.engine, b, kb, true, now, &mut n.set)
        };
        self.enqueue(a, acts);
        let acts = {
            let n = &mut self.nodes[b];
            connect_in(&mut n.engine, a, ka, !b_accepts, now, &mut n.set)
        };
        self.enqueue(b, acts);
    }

    pub fn disconnect(&mut self, a: usize, b: usize) {
        self.links.remove(&(a.min(b), a.max(b)));
        let now = self.now;
        for (x, y) in [(a, b), (b, a)] {
            let n = &mut self.nodes[x];
            n.engine
                .handle(Input::Disconnected { peer: y }, now, &mut n.set);
        }
        self.queue.retain(|m| {
            let (f, t) = match m {
                Msg::Request { from, to, .. }
                | Msg::Response { from, to, .. }
                | Msg::Gossip { from, to, .. } => (*from, *to),
            };
            !((f == a && t == b) || (f == b && t == a))
        });
    }

    pub fn linked(&self, a: usize, b: usize) -> bool {
        self.links.contains(&(a.min(b), a.max(b)))
    }

    pub fn neighbours(&self, a: usize) -> Vec<usize> {
        let mut v: Vec<usize> = self
            .links
            .iter()
            .filter_map(|&(x, y)| {
                if x == a {
                    Some(y)
                } else if y == a {
                    Some(x)
                } else {
                    None
                }
            })
            .collect();
        v.sort_unstable();
        v
    }

    pub fn enqueue(&mut self, from: usize, actions: Vec<Action<usize>>) {
        for a in actions {
            match a {
                Action::Request { peer, bytes } => {
                    self.traffic.requests += 1;
                    self.traffic.bytes += bytes.len() as u64;
                    self.queue.push_back(Msg::Request {
                        from,
                        to: peer,
                        bytes,
                    });
                }
                Action::Publish { bytes } => {
                    self.nodes[from]
                        .seen
                        .insert(*blake3::hash(&bytes).as_bytes());
                    for to in self.neighbours(from) {
                        self.send_gossip(from, to, bytes.clone());
                    }
                }
                Action::Disconnect { peer, offence } => {
                    self.traffic.disconnects.push((from, peer, offence));
                    self.disconnect(from, peer);
                }
            }
        }
    }

    fn send_gossip(&mut self, from: usize, to: usize, bytes: Vec<u8>) {
        self.traffic.gossip += 1;
        self.traffic.bytes += bytes.len() as u64;
        self.queue.push_back(Msg::Gossip { from, to, bytes });
    }

    /// Delivers one message. Returns false when the queue is empty.
    pub fn step(&mut self) -> bool {
        if self.shuffle && self.queue.len() > 1 {
            let i = (self.next_random() % self.queue.len() as u64) as usize;
            self.queue.swap(0, i);
        }
        let Some(msg) = self.queue.pop_front() else {
            return false;
        };
        if self.duplicate && self.next_random().is_multiple_of(4) {
            self.queue.push_back(msg.clone());
        }
        let now = self.now;
        match msg {
            Msg::Request { from, to, bytes } => {
                if !self.linked(from, to) {
                    return true;
                }
                let (resp, acts) = {
                    let n = &mut self.nodes[to];
                    request_in(&mut n.engine, from, &bytes, now, &mut n.set)
                };
                if let Some(resp) = resp {
                    self.traffic.responses += 1;
                    self.traffic.bytes += resp.len() as u64;
                    self.queue.push_back(Msg::Response {
                        from: to,
                        to: from,
                        bytes: resp,
                    });
                }
                self.enqueue(to, acts);
            }
            Msg::Response { from, to, bytes } => {
                if !self.linked(from, to) {
                    return true;
                }
                let acts = {
                    let n = &mut self.nodes[to];
                    response_in(&mut n.engine, from, &bytes, now, &mut n.set)
                };
                self.enqueue(to, acts);
            }
            Msg::Gossip { from, to, bytes } => {
                if !self.linked(from, to) {
                    return true;
                }
                // gossipsub's seen-cache: a message id is validated once per node.
                if !self.nodes[to].seen.insert(*blake3::hash(&bytes).as_bytes()) {
                    return true;
                }
                let (verdict, acts) = {
                    let n = &mut self.nodes[to];
                    gossip_in(&mut n.engine, from, &bytes, now, &mut n.set)
                };
                if verdict == GossipVerdict::Accept {
                    for next in self.neighbours(to) {
                        if next != from {
                            self.send_gossip(to, next, bytes.clone());
                        }
                    }
                }
                self.enqueue(to, acts);
            }
        }
        true
    }

    /// Delivers messages until none is left (bounded).
    pub fn run(&mut self) {
        for _ in 0..1_000_000 {
            if !self.step() {
                return;
            }
        }
        panic!("the network did not go quiet");
    }

    /// Advances time by `ms` and ticks every node.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        for i in 0..self.nodes.len() {
            let now = self.now;
            let acts = {
                let n = &mut self.nodes[i];
                n.engine.handle(Input::Tick, now, &mut n.set).actions
            };
            self.enqueue(i, acts);
        }
    }

    /// Writes records at node `i` straight into its set, as a local `attrib` command would.
    pub fn write(&mut self, i: usize, records: &[SignedRecord]) {
        let now = self.now;
        let acts = {
            let n = &mut self.nodes[i];
            let out = n.set.ingest(records, now).unwrap();
            assert!(
                out.iter().all(|o| matches!(
                    o,
                    Outcome::Accepted | Outcome::Refused(Refusal::Equivocation { .. })
                )),
                "{out:?}"
            );
            n.engine.handle(Input::LocalWrites, now, &mut n.set).actions
        };
        self.enqueue(i, acts);
    }
}

impl Net<MemorySet> {
    pub fn converged(&self) -> bool {
        self.nodes
            .windows(2)
            .all(|w| w[0].set.ids() == w[1].set.ids())
    }
}
