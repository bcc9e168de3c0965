//! The sans-I/O sync state machine: messages and time in, messages and decisions out.
//!
//! One [`Engine`] per node, and one way in: [`Engine::handle`] takes an [`Input`] (a peer
//! connected or left, a request, a response or a failed request, a gossip message, a tick, local
//! writes, the moment to commit staged gossip) with the current time, and returns an [`Output`]:
//! [`Action`]s (requests to send, records to publish, peers to drop), the response to a request
//! and the verdict on a gossip message. Its driver (the libp2p node, the simulator, a test pipe)
//! turns network events into inputs and outputs into network calls. The engine never blocks on
//! the network and never reads a clock, so the simulator drives exactly this code, through
//! exactly this entry point, with virtual time. When to commit is decided by [`commit_due`],
//! which the node and the simulator share.
//!
//! **Protocol.** Anti-entropy is *pull only*: a node sends a peer its heads (per author: the
//! sequence numbers it holds and a digest, see [`super::heads`]); the peer answers with every
//! record the requester lacks and with its own heads. Both sides pull when they connect and
//! then every [`Config::periodic_sync_ms`], so after one round trip each way both hold the
//! union, and nobody ever sends a record the other already told it it holds. New local records
//! are also pushed eagerly on gossip; the [`GossipVerdict`] tells the gossip layer whether to
//! forward a message (Accept) or punish its source (Reject).
//!
//! **Reconnects cost what is new.** Heads travel as deltas: per peer and per direction the
//! engine remembers the heads it last sent and the heads it last received ([`Engine::save_memory`]
//! persists them). A delta names only the authors that changed and carries a fingerprint of the
//! sender's whole heads; a receiver whose copy does not reproduce the fingerprint answers
//! "resend in full", so lost state costs one extra round trip, never a wrong answer.
//!
//! **Equivocation.** Two different records under one sequence number look the same in ranges
//! but not in digests. When a peer's heads claim nothing we lack yet the digests differ, the
//! requester probes: the responder returns the digests of 16 buckets of the author's range, and
//! the requester narrows down to buckets of at most [`LEAF`] numbers, whose records it asks for
//! whole. The store keeps both versions as evidence and flags the key.

use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::sync::Arc;

use attrib_overlay::{Outcome, PublicKey, RecordId, SignedRecord, TeamId};
use serde::{Deserialize, Serialize};
use tracing::{debug, info, warn};

use super::heads::{add_record, delta, digest_of, fingerprint, xor_into, Digest, Heads};
use super::score::{Bucket, Counters, Offence};
use super::set::{RecordSet, SetError};
use super::wire::{
    decode, encode, status_response, Gossip, HeadsUpdate, ProbeAnswer, SeqSpan, Status,
    SyncRequest, SyncResponse, Validate, WireError, WireRecord, MAX_GOSSIP_BYTES,
    MAX_MESSAGE_BYTES, MAX_WANTS,
};

/// A probe bucket this small is fetched whole instead of split again.
pub const LEAF: u64 = 16;

/// Tunables. The defaults suit a real network; the simulator shortens the timers.
#[derive(Clone, Debug)]
pub struct Config {
    /// Pull from every connected peer this often, besides on connect.
    pub periodic_sync_ms: u64,
    /// A request unanswered this long has failed.
    pub request_timeout_ms: u64,
    /// Wait this long before pulling again after a failure or a busy answer.
    pub retry_ms: u64,
    /// Most wire bytes of records in one response; the rest follows in further rounds.
    pub response_budget_bytes: usize,
    /// Most rounds in one sync session (a session ends when nothing is left to ask for).
    pub max_rounds: u32,
    /// A peer whose score falls to this is disconnected and banned.
    pub disconnect_below: i64,
    /// How long a disconnected misbehaving peer's key stays banned, in ms.
    pub ban_ms: u64,
    /// Score points a peer regains per second of good behaviour, up to 0.
    pub recovery_per_sec: i64,
    /// Gossip messages a peer may send at once before its rate limit applies.
    pub gossip_burst: u32,
    /// Gossip messages per second a peer may sustain; beyond it each message is a flood
    /// offence.
    pub gossip_per_sec: u32,
    /// Sync requests a peer may send at once before its rate limit applies.
    pub request_burst: u32,
    /// Sync requests per second a peer may sustain; beyond it the peer is answered "busy" and
    /// charged a flood offence.
    pub request_per_sec: u32,
    /// Already-held records a peer may gossip before it counts as replaying.
    pub replay_burst: u32,
    /// Already-held gossip records per second a peer may sustain before each counts as a
    /// replay offence.
    pub replay_per_sec: u32,
    /// Most local records kept for publishing while no peer is connected.
    pub outbox_max: usize,
    /// A sync response that brings at most this many new records has them published on gossip
    /// too: after a partition heals, the few records that cross the healed link then flood the
    /// rest of the partition at once instead of one periodic pull per hop. Larger catch-ups
    /// are not re-gossiped (their peers pull them as well, and the flood would double the bytes).
    pub regossip_max: usize,
    /// Most peers whose sync state is remembered.
    pub remembered_peers: usize,
    /// On a connection the peer opened, wait this long for its first pull before pulling
    /// ourselves: its request carries its heads, and when they show nothing we lack, our own
    /// pull (a substream, a request and a response) is skipped.
    pub listener_grace_ms: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            periodic_sync_ms: 30_000,
            request_timeout_ms: 10_000,
            retry_ms: 2_000,
            response_budget_bytes: 4 << 20,
            max_rounds: 64,
            disconnect_below: -100,
            ban_ms: 10 * 60 * 1000,
            recovery_per_sec: 1,
            gossip_burst: 1000,
            gossip_per_sec: 200,
            request_burst: 30,
            request_per_sec: 5,
            replay_burst: 500,
            replay_per_sec: 50,
            outbox_max: 256,
            regossip_max: 64,
            remembered_peers: 1024,
            listener_grace_ms: 2_000,
        }
    }
}

/// Most validated gossip records held back from the store at once: past it the driver commits
/// even while messages keep arriving (see [`commit_due`]).
pub const MAX_STAGED: usize = 256;

/// The batching rule for gossip writes, shared by every driver: commit the staged records once
/// there are [`MAX_STAGED`] of them, or as soon as the driver has no input waiting
/// (`input_idle`), so that a burst of messages is forwarded message by message and written in
/// one durable commit, and a lone message is written at once.
pub fn commit_due(staged: usize, input_idle: bool) -> bool {
    staged > 0 && (input_idle || staged >= MAX_STAGED)
}

/// Something that happened to the node, for [`Engine::handle`]. Byte payloads are borrowed:
/// the engine decodes them and keeps nothing of them.
#[derive(Clone, Debug)]
pub enum Input<'a, P> {
    /// A connection to `peer`, whose device key is `key`, is up. `dialer`: this node opened
    /// it, and pulls at once; otherwise it waits up to [`Config::listener_grace_ms`] for the
    /// peer's pull, whose heads may show that no pull back is needed.
    Connected {
        /// The driver's name for the peer.
        peer: P,
        /// Its device key (the gate checks membership and bans).
        key: PublicKey,
        /// This node dialled.
        dialer: bool,
    },
    /// The connection to `peer` is gone (closed by either side, or after a Disconnect).
    Disconnected {
        /// The peer.
        peer: P,
    },
    /// A sync request from `peer`; the answer is [`Output::response`] (none for garbage: the
    /// stream is just closed).
    Request {
        /// The peer asking.
        peer: P,
        /// The request as received.
        bytes: &'a [u8],
    },
    /// The response to this node's request to `peer`.
    Response {
        /// The peer answering.
        peer: P,
        /// The response as received.
        bytes: &'a [u8],
    },
    /// The request to `peer` failed (the transport's timeout, a closed stream).
    RequestFailed {
        /// The peer asked.
        peer: P,
    },
    /// A gossip message that `peer` delivered (the propagation source). Judged without
    /// writing: the verdict is [`Output::verdict`], and a valid record is staged until
    /// [`Input::Commit`].
    Gossip {
        /// The peer that delivered it.
        peer: P,
        /// The message's data.
        bytes: &'a [u8],
    },
    /// Time passes: starts due sessions, times out requests, publishes records other processes
    /// wrote, drops peers the membership no longer admits. Every few hundred milliseconds.
    Tick,
    /// Records were written locally (by this process or another `attrib` command): publish
    /// them, or keep them in the outbox while no peer is connected.
    LocalWrites,
    /// Write the staged gossip records in one batch; see [`commit_due`] for when.
    Commit,
}

/// What the driver must do after an input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Output<P> {
    /// Requests to send, messages to publish, peers to drop, in order.
    pub actions: Vec<Action<P>>,
    /// For [`Input::Request`]: the response to send back, if any.
    pub response: Option<Vec<u8>>,
    /// For [`Input::Gossip`]: what the gossip layer should do with the message.
    pub verdict: Option<GossipVerdict>,
}

impl<P> Output<P> {
    fn actions(actions: Vec<Action<P>>) -> Output<P> {
        Output {
            actions,
            response: None,
            verdict: None,
        }
    }
}

/// What the driver must do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action<P> {
    /// Send a sync request to `peer`; hand its response back as [`Input::Response`] or its
    /// failure as [`Input::RequestFailed`].
    Request {
        /// The peer to ask.
        peer: P,
        /// The encoded request.
        bytes: Vec<u8>,
    },
    /// Publish a gossip message on the team's topic.
    Publish {
        /// The encoded gossip message.
        bytes: Vec<u8>,
    },
    /// Close the connection to `peer` (it is banned for [`Config::ban_ms`]).
    Disconnect {
        /// The peer to drop.
        peer: P,
        /// Why: the offence that exhausted its score, or the gate's reason.
        offence: Offence,
    },
}

/// What the gossip layer should do with a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GossipVerdict {
    /// New and valid: deliver and forward.
    Accept,
    /// Not forwarded, no penalty (already held, or refused for a reason an honest relay can
    /// have: a grant not yet seen, clock skew, another version of an equivocation).
    Ignore,
    /// Invalid: not forwarded, and the gossip layer should punish the source.
    Reject,
}

/// A peer's standing, for `attrib peers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PeerInfo {
    /// The peer's device key.
    pub key: PublicKey,
    /// Its misbehaviour score: 0 for a well-behaved peer, falling with each offence and
    /// recovering over time; at [`Config::disconnect_below`] it is dropped.
    pub score: i64,
    /// A sync session is running with this peer.
    pub syncing: bool,
    /// At least one sync session with this peer has completed since it connected.
    pub synced: bool,
    /// Sync sessions started with this peer since it connected.
    pub sessions: u64,
    /// Request/response rounds completed with it since it connected.
    pub rounds: u64,
    /// New records its sync responses brought since it connected (gossip not included).
    pub records_received: u64,
}

/// What is remembered about a peer between connections, per direction. Invariant: `*_told` is
/// what this node last sent the peer on that channel (requests or responses) and `*_heard` what
/// it last received and verified; a delta is always taken against `*_told` and applied to the
/// peer's `*_heard`, and the fingerprint catches any disagreement between the two.
#[derive(Clone, Debug, Default)]
struct Memory {
    req_told: Option<Arc<Heads>>,
    req_heard: Option<Heads>,
    resp_told: Option<Arc<Heads>>,
    resp_heard: Option<Heads>,
    last_seen_ms: u64,
}

/// [`Memory`] as saved to disk.
#[derive(Serialize, Deserialize)]
struct SavedPeer {
    key: PublicKey,
    req_told: Option<Heads>,
    req_heard: Option<Heads>,
    resp_told: Option<Heads>,
    resp_heard: Option<Heads>,
    last_seen_ms: u64,
}

#[derive(Serialize, Deserialize)]
struct SavedMemory {
    team: TeamId,
    peers: Vec<SavedPeer>,
    /// The local heads and how far into the set they reach, so that a restart reads only what
    /// was stored since instead of every record (at a million records, seconds and every page
    /// of the store).
    heads: Option<SavedHeads>,
}

/// The heads as of `cursor`, with an anchor that ties them to the set they were read from.
#[derive(Serialize, Deserialize)]
struct SavedHeads {
    heads: Heads,
    cursor: u64,
    anchor: Option<Anchor>,
}

/// The last batch read into the heads: where it started, how many records it had and the id
/// of its first. A set that returns that batch again, starting with that record and ending
/// at the saved cursor, is the same append-only set (or a longer copy of it), so the saved
/// heads are its heads up to the cursor. Anything else (another store, one restored from an
/// older copy) and the heads are read again from the start.
#[derive(Clone, Copy, Serialize, Deserialize)]
struct Anchor {
    cursor: u64,
    len: u32,
    first: RecordId,
}

impl Validate for SavedMemory {
    fn validate(&self) -> Result<(), String> {
        Ok(())
    }
}

/// The one outstanding request to a peer. Invariant: at most one per peer, so responses need
/// no matching beyond `round`.
#[derive(Clone, Debug)]
struct InFlight {
    round: u32,
    sent_at: u64,
    wants: Vec<SeqSpan>,
}

/// A run of rounds with one peer, from a pull until nothing is left to ask for.
#[derive(Clone, Debug, Default)]
struct Session {
    rounds: u32,
    /// Spans to fetch whole next round (probe leaves).
    wants: Vec<SeqSpan>,
    /// Spans whose bucket digests to ask for next round.
    probes: Vec<SeqSpan>,
    /// The peer's heads copy is lost: ask it to send them whole.
    ask_full_heads: bool,
    /// For the session's diagnostics only: new records it brought, and the bytes of its
    /// requests and responses.
    records_received: u64,
    bytes_sent: u64,
    bytes_received: u64,
}

struct Peer {
    key: PublicKey,
    score: i64,
    score_at: u64,
    gossip: Bucket,
    requests: Bucket,
    replays: Bucket,
    in_flight: Option<InFlight>,
    /// When the next session starts, if none is running.
    next_sync_at: u64,
    session: Option<Session>,
    /// Per author, the (our digest, their digest) pair last probed, so that a difference that
    /// is on the peer's side (it lacks our version) is probed once, not every round.
    probed: HashMap<PublicKey, (Digest, Digest)>,
    /// The peer opened this connection and its first pull has not arrived yet.
    awaiting_pull: bool,
    stats: PeerInfo,
}

/// The sync state machine of one node. `P` is the driver's name for a connection's peer.
pub struct Engine<P> {
    config: Config,
    team: TeamId,
    local_key: PublicKey,
    /// What the local set holds. Invariant: equals the heads of every record the set returned
    /// from `records_since` up to `cursor`, which is everything it holds.
    heads: Arc<Heads>,
    fingerprint: [u8; 16],
    cursor: u64,
    /// The start of the last non-empty batch `records_since` returned, saved with the heads.
    anchor: Option<Anchor>,
    peers: HashMap<P, Peer>,
    memory: HashMap<PublicKey, Memory>,
    banned: HashMap<PublicKey, u64>,
    /// Local records written while no peer was connected, published when one connects.
    outbox: Vec<SignedRecord>,
    /// Gossip records validated (and forwarded) but not yet written: see [`Input::Commit`].
    staged: Vec<SignedRecord>,
    counters: Counters,
    next_round: u32,
    /// Start-up has read the set: from now on, records that did not come from a peer are local
    /// writes to publish.
    started: bool,
    /// A membership record reached the set: connected peers are gated again before the input
    /// returns (a revoked member is dropped at once, not at its next connection).
    membership_changed: bool,
}

/// What one ingest did.
#[derive(Clone, Debug, Default)]
struct Ingested {
    accepted: u64,
    /// Positions of the accepted records in the batch.
    accepted_at: Vec<usize>,
}

impl<P: Clone + Eq + Ord + Hash + std::fmt::Debug> Engine<P> {
    /// An engine for the replica `set`, whose own device key is `local_key`. Reads every record
    /// once to build the heads.
    pub fn new<S: RecordSet>(
        config: Config,
        local_key: PublicKey,
        set: &S,
    ) -> Result<Engine<P>, SetError> {
        let mut e = Engine::new_empty(config, local_key, set);
        // Everything already stored is old news: anti-entropy carries it, gossip does not.
        e.absorb(set, None)?;
        e.started = true;
        Ok(e)
    }

    /// An engine that has read nothing of `set` yet.
    fn new_empty<S: RecordSet>(config: Config, local_key: PublicKey, set: &S) -> Engine<P> {
        Engine {
            config,
            team: set.team(),
            local_key,
            heads: Arc::new(Heads::new()),
            fingerprint: fingerprint(&Heads::new()),
            cursor: 0,
            anchor: None,
            peers: HashMap::new(),
            memory: HashMap::new(),
            banned: HashMap::new(),
            outbox: Vec::new(),
            staged: Vec::new(),
            counters: Counters::default(),
            next_round: 1,
            started: false,
            membership_changed: false,
        }
    }

    /// An engine for `set` that starts from state [`Engine::save_memory`] wrote: the peers'
    /// sync memory, and the local heads when they still describe `set` (then only the records
    /// stored since the save are read). Damaged or foreign state costs what [`Engine::new`]
    /// costs, never a wrong answer.
    pub fn resume<S: RecordSet>(
        config: Config,
        local_key: PublicKey,
        set: &S,
        saved: &[u8],
    ) -> Result<Engine<P>, SetError> {
        let Ok(saved) = decode::<SavedMemory>(saved, usize::MAX) else {
            return Engine::new(config, local_key, set);
        };
        if saved.team != set.team() {
            return Engine::new(config, local_key, set);
        }
        let mut e = Engine::new_empty(config, local_key, set);
        if let Some(h) = saved.heads {
            if e.anchored(set, &h)? {
                e.fingerprint = fingerprint(&h.heads);
                e.heads = Arc::new(h.heads);
                e.cursor = h.cursor;
                e.anchor = h.anchor;
            }
        }
        e.absorb(set, None)?;
        e.started = true;
        e.restore_peers(saved.peers);
        Ok(e)
    }

    /// The team the replica belongs to; messages of any other team are refused.
    pub fn team(&self) -> TeamId {
        self.team
    }

    /// What the local replica holds, per author (kept current as records arrive).
    pub fn heads(&self) -> &Heads {
        &self.heads
    }

    /// What the engine has done and refused since it was created.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// The tunables it runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Local records waiting for a first peer to be published to.
    pub fn outbox_len(&self) -> usize {
        self.outbox.len()
    }

    /// The standing of a connected peer; `None` when it is not connected (or was refused).
    pub fn peer(&self, p: &P) -> Option<PeerInfo> {
        self.peers.get(p).map(|peer| {
            let mut info = peer.stats.clone();
            info.score = peer.score;
            info.syncing = peer.session.is_some();
            info
        })
    }

    /// Every connected peer with its standing, sorted by the driver's peer name.
    pub fn peers(&self) -> Vec<(P, PeerInfo)> {
        let mut out: Vec<(P, PeerInfo)> = self
            .peers
            .keys()
            .filter_map(|p| Some((p.clone(), self.peer(p)?)))
            .collect();
        out.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        out
    }

    /// The one entry point: what happened (`input`) at `now`, against the local replica `set`.
    /// Returns what the driver must do. Every driver (the libp2p node, the simulator, the
    /// tests' pipes) goes through here, so they all run the same sequence of decisions.
    pub fn handle<S: RecordSet>(
        &mut self,
        input: Input<'_, P>,
        now: u64,
        set: &mut S,
    ) -> Output<P> {
        let mut out = match input {
            Input::Connected { peer, key, dialer } => {
                let actions = if dialer {
                    self.connected(peer, key, now, set)
                } else {
                    self.accepted(peer, key, now, set)
                };
                Output::actions(actions)
            }
            Input::Disconnected { peer } => {
                self.disconnected(&peer, now);
                Output::actions(Vec::new())
            }
            Input::Request { peer, bytes } => {
                let (response, actions) = self.handle_request(&peer, bytes, now, set);
                Output {
                    actions,
                    response,
                    verdict: None,
                }
            }
            Input::Response { peer, bytes } => {
                Output::actions(self.handle_response(&peer, bytes, now, set))
            }
            Input::RequestFailed { peer } => {
                self.request_failed(&peer, now);
                Output::actions(Vec::new())
            }
            Input::Gossip { peer, bytes } => {
                let (verdict, actions) = self.validate_gossip(&peer, bytes, now, set);
                Output {
                    actions,
                    response: None,
                    verdict: Some(verdict),
                }
            }
            Input::Tick => {
                // Another process may have changed the membership: gate again on every tick.
                self.membership_changed = true;
                Output::actions(self.tick(now, set))
            }
            Input::LocalWrites => Output::actions(self.local_writes(set)),
            Input::Commit => {
                self.commit(now, set);
                Output::actions(Vec::new())
            }
        };
        if std::mem::take(&mut self.membership_changed) {
            out.actions.extend(self.regate(set, now));
        }
        out
    }

    /// Drops connected peers whose key the membership no longer admits (revoked).
    fn regate<S: RecordSet>(&mut self, set: &S, now: u64) -> Vec<Action<P>> {
        let mut gone: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, p)| !set.is_member(&p.key))
            .map(|(name, _)| name.clone())
            .collect();
        gone.sort_unstable();
        gone.into_iter()
            .filter_map(|peer| {
                let p = self.peers.remove(&peer)?;
                warn!(?peer, key = %p.key, "peer no longer a member; disconnected");
                self.remember(p.key, now);
                self.counters.gated += 1;
                Some(Action::Disconnect {
                    peer,
                    offence: Offence::NotMemberPeer,
                })
            })
            .collect()
    }

    /// Is `key` banned at `now`?
    pub fn is_banned(&self, key: &PublicKey, now: u64) -> bool {
        self.banned.get(key).is_some_and(|until| *until > now)
    }

    /// A connection to `peer`, whose device key is `key`, is up and this node opened it (or
    /// cannot tell). Refuses non-members, banned keys and this node's own key; otherwise starts
    /// a sync session and flushes the outbox.
    fn connected<S: RecordSet>(
        &mut self,
        peer: P,
        key: PublicKey,
        now: u64,
        set: &S,
    ) -> Vec<Action<P>> {
        let mut actions = match self.admit(peer.clone(), key, now, set) {
            Ok(actions) => actions,
            Err(refused) => return refused,
        };
        actions.extend(self.start_round(&peer, now));
        actions
    }

    /// A connection `peer` opened to this node is up. The same gate as a dialled connection,
    /// but this side's pull waits for the peer's: when the heads in its first request show
    /// nothing this node lacks, no pull is needed at all (a reconnect then costs one exchange).
    /// If no request comes within [`Config::listener_grace_ms`], this side pulls anyway.
    fn accepted<S: RecordSet>(
        &mut self,
        peer: P,
        key: PublicKey,
        now: u64,
        set: &S,
    ) -> Vec<Action<P>> {
        let actions = match self.admit(peer.clone(), key, now, set) {
            Ok(actions) => actions,
            Err(refused) => return refused,
        };
        if let Some(p) = self.peers.get_mut(&peer) {
            p.awaiting_pull = true;
            p.next_sync_at = now + self.config.listener_grace_ms;
        }
        actions
    }

    /// The gate of a new connection; on success the peer's state and the outbox's flush.
    fn admit<S: RecordSet>(
        &mut self,
        peer: P,
        key: PublicKey,
        now: u64,
        set: &S,
    ) -> Result<Vec<Action<P>>, Vec<Action<P>>> {
        let refuse = if self.is_banned(&key, now) {
            Some(Offence::Banned)
        } else if key == self.local_key || !set.is_member(&key) {
            Some(Offence::NotMemberPeer)
        } else {
            None
        };
        if let Some(offence) = refuse {
            warn!(?peer, %key, offence = offence.code(), "connection refused");
            self.counters.gated += 1;
            *self.counters.offences.entry(offence).or_default() += 1;
            return Err(vec![Action::Disconnect { peer, offence }]);
        }
        let c = &self.config;
        self.peers.insert(
            peer,
            Peer {
                key,
                score: 0,
                score_at: now,
                gossip: Bucket::new(c.gossip_burst, now),
                requests: Bucket::new(c.request_burst, now),
                replays: Bucket::new(c.replay_burst, now),
                in_flight: None,
                next_sync_at: now,
                session: None,
                probed: HashMap::new(),
                awaiting_pull: false,
                stats: PeerInfo {
                    key,
                    score: 0,
                    syncing: false,
                    synced: false,
                    sessions: 0,
                    rounds: 0,
                    records_received: 0,
                },
            },
        );
        self.remember(key, now);
        Ok(self.flush_outbox())
    }

    /// The connection to `peer` is gone (closed by either side, or after a Disconnect).
    fn disconnected(&mut self, peer: &P, now: u64) {
        if let Some(p) = self.peers.remove(peer) {
            self.remember(p.key, now);
        }
    }

    /// Time passes: starts due sessions, times out requests, and publishes records that other
    /// processes wrote to the local set. Call it every few hundred milliseconds.
    fn tick<S: RecordSet>(&mut self, now: u64, set: &S) -> Vec<Action<P>> {
        let mut actions = self.local_writes(set);
        let mut due: Vec<P> = self
            .peers
            .iter()
            .filter(|(_, p)| match &p.in_flight {
                Some(f) => now.saturating_sub(f.sent_at) >= self.config.request_timeout_ms,
                None => p.session.is_none() && now >= p.next_sync_at,
            })
            .map(|(k, _)| k.clone())
            .collect();
        // Peer order must not depend on the hash map's seed: the simulator replays runs.
        due.sort_unstable();
        for p in due {
            let timed_out = self.peers.get(&p).is_some_and(|x| x.in_flight.is_some());
            if timed_out {
                self.request_failed(&p, now);
            } else {
                actions.extend(self.start_round(&p, now));
            }
        }
        actions
    }

    /// Records written locally (by this process through the set, or by another `attrib`
    /// command) since the engine last looked: published on gossip, or kept in the outbox while
    /// no peer is connected.
    fn local_writes<S: RecordSet>(&mut self, set: &S) -> Vec<Action<P>> {
        match self.absorb(set, None) {
            Ok(fresh) => self.queue(fresh),
            Err(_) => self.counters.store_errors += 1,
        }
        if self.peers.is_empty() {
            return Vec::new();
        }
        self.flush_outbox()
    }

    /// Adds local records to the outbox. Past its bound they are dropped from it: anti-entropy
    /// on the next connection still delivers them.
    fn queue(&mut self, fresh: Vec<SignedRecord>) {
        let room = self.config.outbox_max.saturating_sub(self.outbox.len());
        self.outbox.extend(fresh.into_iter().take(room));
    }

    fn flush_outbox(&mut self) -> Vec<Action<P>> {
        self.counters.records_published += self.outbox.len() as u64;
        self.outbox
            .drain(..)
            .map(|r| Action::Publish {
                bytes: encode(&Gossip {
                    record: WireRecord::from_signed(&r),
                }),
            })
            .collect()
    }

    /// A request to `peer` failed (timeout, closed stream). The next session starts after
    /// [`Config::retry_ms`], sending full heads since the peer may not have seen the delta.
    fn request_failed(&mut self, peer: &P, now: u64) {
        // A failure reported for a request the engine already gave up on (its own timeout in
        // `tick` and the transport's can both fire) changes nothing.
        let Some(p) = self.peers.get_mut(peer).filter(|p| p.in_flight.is_some()) else {
            return;
        };
        self.counters.request_failures += 1;
        debug!(
            ?peer,
            retry_ms = self.config.retry_ms,
            "sync request failed; session abandoned"
        );
        p.in_flight = None;
        p.session = None;
        p.next_sync_at = now + self.config.retry_ms;
        if let Some(m) = self.memory.get_mut(&p.key) {
            m.req_told = None;
        }
    }

    /// A sync request from `peer`. Returns the response to send back (none when the request
    /// was garbage: the stream is just closed) and any actions.
    fn handle_request<S: RecordSet>(
        &mut self,
        peer: &P,
        bytes: &[u8],
        now: u64,
        set: &S,
    ) -> (Option<Vec<u8>>, Vec<Action<P>>) {
        self.counters.bytes_received += bytes.len() as u64;
        let Some(p) = self.peers.get_mut(peer) else {
            return (None, Vec::new());
        };
        let (burst, rate) = (self.config.request_burst, self.config.request_per_sec);
        if !p.requests.take(burst, rate, now) {
            let actions = self.penalise(peer, Offence::Flood, now);
            return (Some(self.reply(status_response(0, Status::Busy))), actions);
        }
        let req = match decode::<SyncRequest>(bytes, MAX_MESSAGE_BYTES) {
            Ok(r) => r,
            Err(e) => return (None, self.penalise(peer, offence_of(&e), now)),
        };
        if req.team != self.team {
            let actions = self.penalise(peer, Offence::WrongTeam, now);
            let resp = status_response(req.round, Status::WrongTeam);
            return (Some(self.reply(resp)), actions);
        }
        let key = p.key;
        let mem = self.memory.entry(key).or_default();
        let Some(theirs) = req.heads.apply(mem.req_heard.as_ref()) else {
            mem.req_heard = None;
            let resp = status_response(req.round, Status::ResendFullHeads);
            return (Some(self.reply(resp)), Vec::new());
        };
        // Everything we hold that their heads do not, then what they asked for by name.
        let empty = Default::default();
        let mut spans: Vec<SeqSpan> = Vec::new();
        for (author, mine) in self.heads.iter() {
            let their_ranges = theirs.get(author).map_or(&empty, |h| &h.ranges);
            for (first, last) in mine.ranges.minus(their_ranges) {
                spans.push(SeqSpan {
                    author: *author,
                    first,
                    last,
                });
            }
        }
        // The first pull on a connection the peer opened: pull back only if its heads show
        // something this node lacks (a number it does not hold, or the same numbers with another
        // digest, which a probe must look into).
        let pull_back = std::mem::take(&mut p.awaiting_pull).then(|| {
            theirs
                .iter()
                .any(|(author, h)| match self.heads.get(author) {
                    None => !h.ranges.is_empty(),
                    Some(m) => {
                        !h.ranges.minus(&m.ranges).is_empty()
                            || (h.ranges == m.ranges && h.digest != m.digest)
                    }
                })
        });
        mem.req_heard = Some(theirs);
        spans.extend(
            req.wants
                .iter()
                .filter(|w| self.heads.contains_key(&w.author)),
        );
        let budget = self.config.response_budget_bytes;
        let (records, complete) = match set.records_in(&spans, budget) {
            Ok(x) => x,
            Err(_) => {
                self.counters.store_errors += 1;
                return (
                    Some(self.reply(status_response(req.round, Status::Busy))),
                    Vec::new(),
                );
            }
        };
        let mut wire = Vec::with_capacity(records.len());
        let mut used = 0usize;
        let mut more = !complete;
        for r in &records {
            let w = WireRecord::from_signed(r);
            // Four bytes cover a record's length prefixes on the wire.
            if !wire.is_empty() && used + w.signed_len() + 4 > budget {
                more = true;
                break;
            }
            used += w.signed_len() + 4;
            wire.push(w);
        }
        // The requester will hold what we send (an honest one; a refusal on its side shows up as
        // a fingerprint mismatch later). Both sides fold the sent records into their copy of its
        // heads, so its next delta names only what changed besides.
        if let Some(h) = self.memory.get_mut(&key).and_then(|m| m.req_heard.as_mut()) {
            for r in &records[..wire.len()] {
                add_record(h, r.signer, r.record.seq, &r.id());
            }
        }
        let mut probe_answers = Vec::new();
        for span in req.probes.iter().take(MAX_WANTS) {
            match self.bucket_digests(set, span) {
                Ok(digests) => probe_answers.push(ProbeAnswer {
                    span: *span,
                    digests,
                }),
                Err(_) => self.counters.store_errors += 1,
            }
        }
        let mem = self.memory.entry(key).or_default();
        let heads = match (&mem.resp_told, req.send_full_heads) {
            (Some(told), false) => {
                HeadsUpdate::new(false, delta(&self.heads, told), self.fingerprint)
            }
            _ => HeadsUpdate::new(true, full(&self.heads), self.fingerprint),
        };
        mem.resp_told = Some(self.heads.clone());
        self.counters.requests_answered += 1;
        debug!(
            ?peer,
            round = req.round,
            records_sent = wire.len(),
            more,
            "sync request answered"
        );
        let resp = SyncResponse {
            round: req.round,
            status: Status::Ok,
            heads: Some(heads),
            records: wire,
            more,
            probe_answers,
        };
        let actions = match pull_back {
            Some(true) => self.start_round(peer, now).into_iter().collect(),
            Some(false) => {
                // Its heads hold nothing new for us: this side is in sync without a pull.
                if let Some(p) = self.peers.get_mut(peer) {
                    if p.session.is_none() && p.in_flight.is_none() {
                        p.stats.synced = true;
                        p.next_sync_at = now + self.config.periodic_sync_ms;
                    }
                }
                Vec::new()
            }
            None => Vec::new(),
        };
        (Some(self.reply(resp)), actions)
    }

    /// The response to this node's request to `peer`. Ingests the records, updates what it
    /// knows of the peer, and starts the next round at once when something is left to ask for.
    fn handle_response<S: RecordSet>(
        &mut self,
        peer: &P,
        bytes: &[u8],
        now: u64,
        set: &mut S,
    ) -> Vec<Action<P>> {
        self.counters.bytes_received += bytes.len() as u64;
        let Some(p) = self.peers.get_mut(peer) else {
            return Vec::new();
        };
        let resp = match decode::<SyncResponse>(bytes, MAX_MESSAGE_BYTES) {
            Ok(r) => r,
            Err(e) => {
                p.in_flight = None;
                p.session = None;
                p.next_sync_at = now + self.config.retry_ms;
                return self.penalise(peer, offence_of(&e), now);
            }
        };
        let in_flight = match p.in_flight.take() {
            Some(f) if f.round == resp.round => f,
            // A rate-limited responder answers before decoding, so without our round.
            Some(f) if resp.round == 0 && resp.status == Status::Busy => f,
            other => {
                p.in_flight = other;
                // A late answer to a request this node gave up on is no fault; an answer to a
                // request it never sent is.
                if resp.round == 0 || resp.round >= self.next_round {
                    return self.penalise(peer, Offence::Unsolicited, now);
                }
                return Vec::new();
            }
        };
        let key = p.key;
        p.stats.rounds += 1;
        if let Some(s) = p.session.as_mut() {
            s.bytes_received += bytes.len() as u64;
        }
        let mut again = false;
        match resp.status {
            Status::Ok => {}
            Status::ResendFullHeads => {
                if let Some(m) = self.memory.get_mut(&key) {
                    m.req_told = None;
                }
                return self.continue_or_finish(peer, true, now);
            }
            Status::WrongTeam => return self.penalise(peer, Offence::WrongTeam, now),
            Status::Busy => {
                debug!(
                    ?peer,
                    retry_ms = self.config.retry_ms,
                    "peer busy; sync retried later"
                );
                p.session = None;
                p.next_sync_at = now + self.config.retry_ms;
                return Vec::new();
            }
        }
        let mem = self.memory.entry(key).or_default();
        if let Some(update) = &resp.heads {
            match update.apply(mem.resp_heard.as_ref()) {
                Some(h) => mem.resp_heard = Some(h),
                None => {
                    mem.resp_heard = None;
                    if let Some(s) = p.session.as_mut() {
                        s.ask_full_heads = true;
                    }
                    again = true;
                }
            }
        }

        // Records: only those the request asked for, explicitly or by lacking them.
        let told = mem.req_told.clone();
        // The responder folds what it sent into its copy of our heads; do the same to ours.
        let mut predicted = told.as_deref().cloned();
        let mut actions = Vec::new();
        let mut records = Vec::with_capacity(resp.records.len());
        let mut offences = Vec::new();
        for w in resp.records {
            let r = match w.into_signed(self.team) {
                Ok(r) => r,
                Err(_) => {
                    offences.push(Offence::Malformed);
                    continue;
                }
            };
            if let Some(h) = predicted.as_mut() {
                add_record(h, r.signer, r.record.seq, &r.id());
            }
            let wanted = in_flight
                .wants
                .iter()
                .any(|s| s.author == r.signer && (s.first..=s.last).contains(&r.record.seq));
            let claimed_held = told.as_ref().is_some_and(|t| {
                t.get(&r.signer)
                    .is_some_and(|h| h.ranges.contains(r.record.seq))
            });
            if claimed_held && !wanted {
                offences.push(Offence::Replay);
                continue;
            }
            records.push(r);
        }
        if let Some(m) = self.memory.get_mut(&key) {
            m.req_told = predicted.map(Arc::new);
        }
        let done = self.ingest(key, &records, now, set, false, &mut offences);
        let accepted = done.accepted;
        for o in offences {
            actions.extend(self.penalise(peer, o, now));
        }
        // Published to every subscribed peer; pointless when the only one is the sender.
        let others = self.peers.keys().any(|p| p != peer);
        if others && !resp.more && accepted as usize <= self.config.regossip_max {
            for &i in &done.accepted_at {
                actions.push(Action::Publish {
                    bytes: encode(&Gossip {
                        record: WireRecord::from_signed(&records[i]),
                    }),
                });
            }
        }
        if !self.peers.contains_key(peer) {
            return actions;
        }
        if let Some(p) = self.peers.get_mut(peer) {
            p.stats.records_received += accepted;
            if let Some(s) = p.session.as_mut() {
                s.records_received += accepted;
            }
        }
        if resp.more && accepted > 0 {
            again = true;
        }

        // Probe answers: narrow each differing bucket down to leaves, then fetch the leaves.
        let mut wants = Vec::new();
        let mut probes = Vec::new();
        for answer in &resp.probe_answers {
            let Ok(mine) = self.bucket_digests(set, &answer.span) else {
                self.counters.store_errors += 1;
                continue;
            };
            for ((bucket, a), b) in answer
                .span
                .buckets()
                .into_iter()
                .zip(&mine)
                .zip(&answer.digests)
            {
                if a != b {
                    if bucket.count() <= LEAF {
                        wants.push(bucket);
                    } else {
                        probes.push(bucket);
                    }
                }
            }
        }
        // Authors whose numbers the peer holds exactly as we do, but with another digest: two
        // versions of some number, probe. (Where the numbers differ, the digests must: a peer
        // that lacks some of ours pulls them, and probes itself once its numbers match.)
        if let (Some(p), Some(theirs)) = (
            self.peers.get_mut(peer),
            self.memory.get(&key).and_then(|m| m.resp_heard.as_ref()),
        ) {
            for (author, t) in theirs {
                let Some(mine) = self.heads.get(author) else {
                    continue;
                };
                let (Some(first), Some(last)) =
                    (t.ranges.ranges().first(), t.ranges.ranges().last())
                else {
                    continue;
                };
                let pair = (mine.digest, t.digest);
                if mine.digest != t.digest
                    && t.ranges == mine.ranges
                    && p.probed.get(author) != Some(&pair)
                {
                    p.probed.insert(*author, pair);
                    probes.push(SeqSpan {
                        author: *author,
                        first: first.0,
                        last: last.1,
                    });
                }
            }
            if let Some(s) = p.session.as_mut() {
                again |= !wants.is_empty() || !probes.is_empty();
                s.wants.extend(wants);
                s.probes.extend(probes);
            }
        }
        actions.extend(self.continue_or_finish(peer, again, now));
        actions
    }

    /// A gossip message from `peer` (the source that delivered it), judged without writing:
    /// the verdict comes from [`RecordSet::check`] against the set and the records already
    /// staged, so the gossip layer can forward a valid record before it is durable here. A
    /// record the store would keep (new, or kept as evidence) is staged until
    /// [`Input::Commit`]; a membership change is committed at once, so that the next check
    /// sees the membership it makes.
    fn validate_gossip<S: RecordSet>(
        &mut self,
        peer: &P,
        bytes: &[u8],
        now: u64,
        set: &mut S,
    ) -> (GossipVerdict, Vec<Action<P>>) {
        self.counters.bytes_received += bytes.len() as u64;
        let Some(p) = self.peers.get_mut(peer) else {
            return (GossipVerdict::Ignore, Vec::new());
        };
        let key = p.key;
        let (burst, rate) = (self.config.gossip_burst, self.config.gossip_per_sec);
        if !p.gossip.take(burst, rate, now) {
            return (
                GossipVerdict::Ignore,
                self.penalise(peer, Offence::Flood, now),
            );
        }
        let msg = match decode::<Gossip>(bytes, MAX_GOSSIP_BYTES) {
            Ok(m) => m,
            Err(e) => {
                return (
                    GossipVerdict::Reject,
                    self.penalise(peer, offence_of(&e), now),
                )
            }
        };
        let record = match msg.record.into_signed(self.team) {
            Ok(r) => r,
            Err(_) => {
                return (
                    GossipVerdict::Reject,
                    self.penalise(peer, Offence::Malformed, now),
                )
            }
        };
        let outcome = match self.predict(&record, now, set) {
            Ok(o) => o,
            Err(_) => {
                self.counters.store_errors += 1;
                return (GossipVerdict::Ignore, Vec::new());
            }
        };
        let mut offences = Vec::new();
        let verdict = match &outcome {
            Outcome::Accepted => GossipVerdict::Accept,
            Outcome::Duplicate => {
                self.counters.records_duplicate += 1;
                let (burst, rate) = (self.config.replay_burst, self.config.replay_per_sec);
                if let Some(p) = self.peers.get_mut(peer) {
                    if !p.replays.take(burst, rate, now) {
                        offences.push(Offence::Replay);
                    }
                }
                GossipVerdict::Ignore
            }
            Outcome::Refused(why) => {
                offences.extend(Offence::of_refusal(why, record.signer == key));
                if offences
                    .iter()
                    .any(|o| o.weight() >= Offence::Flood.weight())
                {
                    GossipVerdict::Reject
                } else {
                    GossipVerdict::Ignore
                }
            }
        };
        debug!(
            ?peer,
            ?verdict,
            signer = %record.signer,
            seq = record.record.seq,
            outcome = outcome_code(&outcome),
            "gossip validated"
        );
        // What the store appends to its log: new records, and authentic ones it keeps as
        // evidence or until a grant admits them. The rest is refused here and now.
        let kept = match &outcome {
            Outcome::Accepted => true,
            Outcome::Duplicate => false,
            Outcome::Refused(why) => matches!(
                why,
                attrib_overlay::Refusal::NonMember
                    | attrib_overlay::Refusal::Revoked { .. }
                    | attrib_overlay::Refusal::NotAdmin
                    | attrib_overlay::Refusal::Equivocation { .. }
            ),
        };
        if kept {
            let membership = record.record.payload.is_membership();
            self.staged.push(record);
            if membership {
                self.commit(now, set);
            }
        } else if matches!(outcome, Outcome::Refused(_)) {
            self.counters.records_refused += 1;
        }
        let mut actions = Vec::new();
        for o in offences {
            actions.extend(self.penalise(peer, o, now));
        }
        (verdict, actions)
    }

    /// How many validated gossip records wait for [`Input::Commit`] (see [`commit_due`]).
    pub fn staged_len(&self) -> usize {
        self.staged.len()
    }

    /// Writes the staged gossip records to the set, in one batch (one durable commit for a
    /// burst of messages). The driver calls it once no message is waiting, so that forwarding
    /// is never held up by the disk. A record that reached the set meanwhile by another path
    /// is just a duplicate.
    fn commit<S: RecordSet>(&mut self, now: u64, set: &mut S) {
        if self.staged.is_empty() {
            return;
        }
        let records = std::mem::take(&mut self.staged);
        // Offences were charged when the records were validated.
        self.store_records(&records, now, set, "gossip");
    }

    /// What ingesting `record` would do now: the set's own [`RecordSet::check`], corrected for
    /// records staged but not yet written.
    fn predict<S: RecordSet>(
        &self,
        record: &SignedRecord,
        now: u64,
        set: &S,
    ) -> Result<Outcome, SetError> {
        let outcome = set
            .check(std::slice::from_ref(record), now)?
            .pop()
            .unwrap_or(Outcome::Duplicate);
        if matches!(
            outcome,
            Outcome::Duplicate | Outcome::Refused(attrib_overlay::Refusal::Equivocation { .. })
        ) {
            return Ok(outcome);
        }
        let id = record.id();
        let mut same_seq = self
            .staged
            .iter()
            .filter(|s| s.signer == record.signer && s.record.seq == record.record.seq);
        Ok(match same_seq.next() {
            Some(s) if s.id() == id => Outcome::Duplicate,
            Some(_) => Outcome::Refused(attrib_overlay::Refusal::Equivocation {
                seq: record.record.seq,
            }),
            None => outcome,
        })
    }

    /// The per-peer sync state, for saving next to the store.
    pub fn save_memory(&self) -> Vec<u8> {
        let peers = self
            .memory
            .iter()
            .map(|(key, m)| SavedPeer {
                key: *key,
                req_told: m.req_told.as_deref().cloned(),
                req_heard: m.req_heard.clone(),
                resp_told: m.resp_told.as_deref().cloned(),
                resp_heard: m.resp_heard.clone(),
                last_seen_ms: m.last_seen_ms,
            })
            .collect();
        encode(&SavedMemory {
            team: self.team,
            peers,
            heads: Some(SavedHeads {
                heads: (*self.heads).clone(),
                cursor: self.cursor,
                anchor: self.anchor,
            }),
        })
    }

    /// Restores the peers' sync memory saved by [`Engine::save_memory`] (not the heads: see
    /// [`Engine::resume`]). State of another team is ignored.
    pub fn load_memory(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        let saved: SavedMemory = decode(bytes, usize::MAX)?;
        if saved.team != self.team {
            return Ok(());
        }
        self.restore_peers(saved.peers);
        Ok(())
    }

    fn restore_peers(&mut self, peers: Vec<SavedPeer>) {
        for s in peers {
            self.memory.insert(
                s.key,
                Memory {
                    req_told: s.req_told.map(Arc::new),
                    req_heard: s.req_heard,
                    resp_told: s.resp_told.map(Arc::new),
                    resp_heard: s.resp_heard,
                    last_seen_ms: s.last_seen_ms,
                },
            );
        }
    }

    /// Whether saved heads describe `set`: the anchor's record is still where it was.
    fn anchored<S: RecordSet>(&self, set: &S, h: &SavedHeads) -> Result<bool, SetError> {
        Ok(match h.anchor {
            None => h.cursor == 0,
            Some(a) if a.cursor < h.cursor => {
                let (batch, next) = set.records_since(a.cursor, a.len as usize)?;
                next == h.cursor && batch.first().is_some_and(|r| r.id() == a.first)
            }
            Some(_) => false,
        })
    }

    // ----- internals -----

    fn reply(&mut self, resp: SyncResponse) -> Vec<u8> {
        let bytes = encode(&resp);
        self.counters.bytes_sent += bytes.len() as u64;
        bytes
    }

    /// Starts the next round of `peer`'s session (a new session if none is running).
    fn start_round(&mut self, peer: &P, now: u64) -> Option<Action<P>> {
        let p = self.peers.get_mut(peer)?;
        if p.in_flight.is_some() {
            return None;
        }
        if p.session.is_none() {
            p.stats.sessions += 1;
            debug!(?peer, session = p.stats.sessions, "sync session started");
        }
        let session = p.session.get_or_insert_with(Session::default);
        session.rounds += 1;
        let mem = self.memory.entry(p.key).or_default();
        let heads = match &mem.req_told {
            Some(told) => HeadsUpdate::new(false, delta(&self.heads, told), self.fingerprint),
            None => HeadsUpdate::new(true, full(&self.heads), self.fingerprint),
        };
        mem.req_told = Some(self.heads.clone());
        let round = self.next_round;
        self.next_round = self.next_round.wrapping_add(1).max(1);
        let n = session.wants.len().min(MAX_WANTS);
        let wants: Vec<SeqSpan> = session.wants.drain(..n).collect();
        let n = session.probes.len().min(MAX_WANTS);
        let probes: Vec<SeqSpan> = session.probes.drain(..n).collect();
        let req = SyncRequest {
            team: self.team,
            round,
            heads,
            send_full_heads: mem.resp_heard.is_none() || session.ask_full_heads,
            wants: wants.clone(),
            probes,
        };
        session.ask_full_heads = false;
        p.in_flight = Some(InFlight {
            round,
            sent_at: now,
            wants,
        });
        let bytes = encode(&req);
        session.bytes_sent += bytes.len() as u64;
        self.counters.requests_sent += 1;
        self.counters.bytes_sent += bytes.len() as u64;
        Some(Action::Request {
            peer: peer.clone(),
            bytes,
        })
    }

    /// After a response: another round, or the end of the session.
    fn continue_or_finish(&mut self, peer: &P, again: bool, now: u64) -> Vec<Action<P>> {
        let Some(p) = self.peers.get_mut(peer) else {
            return Vec::new();
        };
        let rounds = p.session.as_ref().map_or(0, |s| s.rounds);
        let leftovers = p
            .session
            .as_ref()
            .is_some_and(|s| !s.wants.is_empty() || !s.probes.is_empty());
        if (again || leftovers) && rounds < self.config.max_rounds {
            return self.start_round(peer, now).into_iter().collect();
        }
        if let Some(s) = p.session.take() {
            // A periodic session that found nothing is routine: info only for the first one
            // on a connection and for sessions that brought records.
            if s.records_received > 0 || !p.stats.synced {
                info!(
                    ?peer,
                    rounds = s.rounds,
                    records_received = s.records_received,
                    bytes_sent = s.bytes_sent,
                    bytes_received = s.bytes_received,
                    "sync session finished"
                );
            } else {
                debug!(
                    ?peer,
                    rounds = s.rounds,
                    bytes_sent = s.bytes_sent,
                    bytes_received = s.bytes_received,
                    "sync session finished"
                );
            }
        }
        p.stats.synced = true;
        p.next_sync_at = now + self.config.periodic_sync_ms;
        Vec::new()
    }

    /// Ingests records received from `peer` and records the offences their refusals imply.
    /// Returns how many were accepted as new.
    fn ingest<S: RecordSet>(
        &mut self,
        key: PublicKey,
        records: &[SignedRecord],
        now: u64,
        set: &mut S,
        via_gossip: bool,
        offences: &mut Vec<Offence>,
    ) -> Ingested {
        let (done, outcomes) = self.store_records(records, now, set, "sync");
        for (r, outcome) in records.iter().zip(&outcomes) {
            if let Outcome::Refused(why) = outcome {
                // A catch-up may deliver a member's records before the grant that admits
                // them (the store keeps them, bounded, until it comes): no fault in sync.
                let timing = matches!(
                    why,
                    attrib_overlay::Refusal::NonMember | attrib_overlay::Refusal::Revoked { .. }
                );
                if via_gossip || !timing {
                    offences.extend(Offence::of_refusal(why, r.signer == key));
                }
            }
        }
        done
    }

    /// Writes records that came from peers to the set, counts the outcomes, and folds what the
    /// set stored into the heads (queueing records other processes wrote meanwhile). `source`
    /// (`"sync"` or `"gossip"`) only labels the diagnostics.
    fn store_records<S: RecordSet>(
        &mut self,
        records: &[SignedRecord],
        now: u64,
        set: &mut S,
        source: &'static str,
    ) -> (Ingested, Vec<Outcome>) {
        let mut done = Ingested::default();
        if records.is_empty() {
            return (done, Vec::new());
        }
        let outcomes = match set.ingest(records, now) {
            Ok(o) => o,
            Err(e) => {
                warn!(source, records = records.len(), error = %e, "store error while ingesting");
                self.counters.store_errors += 1;
                return (done, Vec::new());
            }
        };
        let (mut duplicates, mut refused) = (0u64, 0u64);
        for (i, (outcome, r)) in outcomes.iter().zip(records).enumerate() {
            match outcome {
                Outcome::Accepted => {
                    done.accepted += 1;
                    done.accepted_at.push(i);
                    self.counters.records_accepted += 1;
                    self.membership_changed |= r.record.payload.is_membership();
                }
                Outcome::Duplicate => {
                    duplicates += 1;
                    self.counters.records_duplicate += 1;
                }
                Outcome::Refused(why) => {
                    refused += 1;
                    self.counters.records_refused += 1;
                    debug!(
                        source,
                        signer = %r.signer,
                        seq = r.record.seq,
                        reason = why.code(),
                        "record refused"
                    );
                }
            }
        }
        debug!(
            source,
            accepted = done.accepted,
            duplicates,
            refused,
            "records stored"
        );
        let remote: HashSet<RecordId> = records.iter().map(SignedRecord::id).collect();
        let fresh = match self.absorb(set, Some(&remote)) {
            Ok(f) => f,
            Err(_) => {
                self.counters.store_errors += 1;
                Vec::new()
            }
        };
        // Records another process wrote meanwhile: published with the next local writes.
        self.queue(fresh);
        (done, outcomes)
    }

    /// Reads what the set stored since the cursor into the heads. Returns the records that did
    /// not come from a peer (`remote`); with `remote` `None`, none are returned (start-up).
    fn absorb<S: RecordSet>(
        &mut self,
        set: &S,
        remote: Option<&HashSet<RecordId>>,
    ) -> Result<Vec<SignedRecord>, SetError> {
        let mut fresh = Vec::new();
        let mut changed = false;
        loop {
            let (records, next) = set.records_since(self.cursor, 4096)?;
            let Some(first) = records.first() else {
                break;
            };
            self.anchor = Some(Anchor {
                cursor: self.cursor,
                len: records.len() as u32,
                first: first.id(),
            });
            let heads = Arc::make_mut(&mut self.heads);
            for r in records {
                let id = r.id();
                changed |= add_record(heads, r.signer, r.record.seq, &id);
                let from_peer = remote.is_some_and(|ids| ids.contains(&id));
                if self.started && !from_peer {
                    fresh.push(r);
                }
            }
            self.cursor = next;
        }
        if changed {
            self.fingerprint = fingerprint(&self.heads);
        }
        Ok(fresh)
    }

    /// The digests of `span`'s buckets in the local set.
    fn bucket_digests<S: RecordSet>(
        &self,
        set: &S,
        span: &SeqSpan,
    ) -> Result<Vec<Digest>, SetError> {
        let buckets = span.buckets();
        let mut digests = vec![[0u8; 8]; buckets.len()];
        let (records, _) = set.records_in(std::slice::from_ref(span), usize::MAX)?;
        for r in records {
            let i = buckets.partition_point(|b| b.last < r.record.seq);
            if let Some(d) = digests.get_mut(i) {
                xor_into(d, &digest_of(&r.id()));
            }
        }
        Ok(digests)
    }

    fn remember(&mut self, key: PublicKey, now: u64) {
        self.memory.entry(key).or_default().last_seen_ms = now;
        if self.memory.len() > self.config.remembered_peers {
            let connected: HashSet<PublicKey> = self.peers.values().map(|p| p.key).collect();
            if let Some(oldest) = self
                .memory
                .iter()
                .filter(|(k, _)| !connected.contains(*k))
                .min_by_key(|(_, m)| m.last_seen_ms)
                .map(|(k, _)| *k)
            {
                self.memory.remove(&oldest);
            }
        }
    }

    /// Charges `peer` for an offence; disconnects and bans it when its score runs out.
    fn penalise(&mut self, peer: &P, offence: Offence, now: u64) -> Vec<Action<P>> {
        *self.counters.offences.entry(offence).or_default() += 1;
        let Some(p) = self.peers.get_mut(peer) else {
            return Vec::new();
        };
        let regained =
            (now.saturating_sub(p.score_at) / 1000) as i64 * self.config.recovery_per_sec;
        p.score = (p.score + regained).min(0) - offence.weight();
        p.score_at = now;
        if p.score > self.config.disconnect_below {
            // Light offences are what an honest peer can commit by timing alone (see
            // `Offence::weight`): not worth a warning.
            if offence.weight() >= Offence::Flood.weight() {
                warn!(
                    ?peer,
                    offence = offence.code(),
                    score = p.score,
                    "peer misbehaved"
                );
            } else {
                debug!(
                    ?peer,
                    offence = offence.code(),
                    score = p.score,
                    "peer offence"
                );
            }
            return Vec::new();
        }
        warn!(
            ?peer,
            key = %p.key,
            offence = offence.code(),
            score = p.score,
            ban_ms = self.config.ban_ms,
            "peer disconnected and banned"
        );
        let key = p.key;
        self.peers.remove(peer);
        self.banned.insert(key, now + self.config.ban_ms);
        self.counters.disconnects += 1;
        vec![Action::Disconnect {
            peer: peer.clone(),
            offence,
        }]
    }
}

fn full(heads: &Heads) -> Vec<(PublicKey, super::heads::AuthorHeads)> {
    heads.iter().map(|(k, v)| (*k, v.clone())).collect()
}

/// A short code for an ingest outcome, for diagnostics: `accepted`, `duplicate`, or the
/// refusal's own code.
fn outcome_code(o: &Outcome) -> &'static str {
    match o {
        Outcome::Accepted => "accepted",
        Outcome::Duplicate => "duplicate",
        Outcome::Refused(why) => why.code(),
    }
}

fn offence_of(e: &WireError) -> Offence {
    match e {
        WireError::Oversize { .. } => Offence::Oversize,
        WireError::Malformed(_) => Offence::Malformed,
        WireError::Version(_) | WireError::Undecodable(_) => Offence::Undecodable,
    }
}
