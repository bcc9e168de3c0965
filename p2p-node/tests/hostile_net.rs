//! A member turned hostile, over real sockets: six honest nodes (`spawn`, loopback TCP) and one
//! member, mallory, whose key the team admitted but who speaks the protocols with a raw libp2p
//! swarm of its own (gossipsub on the team's topic, the sync request-response protocol, the
//! same framing) and lies. Each honest node meets another kind of lie: forged signatures,
//! equivocation with mallory's own key, a gossip flood, malformed messages (gossip and sync),
//! future-dated records (gossip and a sync response), and records of a revoked key. Every
//! honest node scores mallory down, counts the offence, drops and bans it; meanwhile the honest
//! nodes keep gossiping and pulling among themselves and converge on every honest record
//! without holding any of the lies.
//!
//! Only the public node API (`spawn`, `NodeConfig`, `NodeHandle`, `NodeStatus`) and the public
//! wire types are used. Every wait polls with a deadline.

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::*;
use attrib_p2p_node::protocol::wire::{
    decode, encode, Gossip, HeadsUpdate, SeqSpan, Status, SyncRequest, SyncResponse, WireRecord,
    MAX_MESSAGE_BYTES,
};
use attrib_p2p_node::protocol::{Config, Offence};
use attrib_p2p_node::{spawn, NodeConfig, NodeHandle, NodeStatus, SyncCodec};
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, TopicHash};
use libp2p::request_response::{self, ProtocolSupport, ResponseChannel};
use libp2p::swarm::{NetworkBehaviour, SwarmEvent};
use libp2p::{identity, noise, tcp, yamux, Multiaddr, PeerId, StreamProtocol};
use tokio::sync::{mpsc, oneshot};

/// Generous for a busy 2-core machine; a passing run takes seconds.
const LIMIT: Duration = Duration::from_secs(40);

// ---------------------------------------------------------------- records

fn identity(n: u32) -> Identity {
    let mut seed = [0u8; 32];
    seed[..4].copy_from_slice(&n.to_le_bytes());
    seed[31] = 0x6e;
    Identity::from_secret(seed)
}

fn sign(
    who: &Identity,
    team: TeamId,
    seq: u32,
    timestamp_ms: u64,
    payload: Payload,
) -> SignedRecord {
    who.sign(
        team,
        Record {
            seq,
            timestamp_ms,
            origin: Origin::Person,
            payload,
        },
    )
}

fn attest_at(who: &Identity, team: TeamId, seq: u32, patch: &str, at: u64) -> SignedRecord {
    sign(
        who,
        team,
        seq,
        at,
        Payload::Attest(Attestation {
            patch: PatchId::new(patch).expect("a patch id"),
            ai: None,
            description: None,
            depends_on: vec![],
            conflicts_with: vec![],
            replaces: None,
            line_spans: vec![],
            contributions: Vec::new(),
        }),
    )
}

fn attest(who: &Identity, team: TeamId, seq: u32, patch: &str) -> SignedRecord {
    attest_at(who, team, seq, patch, now_ms() - 60_000 + seq as u64)
}

fn forged(r: &SignedRecord) -> SignedRecord {
    let mut f = r.clone();
    f.signature[10] ^= 1;
    f
}

fn gossip(r: &SignedRecord) -> Vec<u8> {
    encode(&Gossip {
        record: WireRecord::from_signed(r),
    })
}

// ---------------------------------------------------------------- the hostile swarm

#[derive(NetworkBehaviour)]
struct Mallory {
    gossipsub: gossipsub::Behaviour,
    sync: request_response::Behaviour<SyncCodec>,
}

/// What the hostile swarm has seen so far.
#[derive(Clone, Debug, Default)]
struct Seen {
    /// Connected to the victim now.
    connected: bool,
    /// Connections closed so far.
    closed: u64,
    /// The topic the victim subscribed to (the team's), once its subscription arrived.
    topic: Option<TopicHash>,
    /// Sync requests the victim sent.
    requests: u64,
}

type Answer = Box<dyn FnMut(&SyncRequest) -> SyncResponse + Send>;

enum Cmd {
    Dial(Multiaddr),
    Publish(Vec<u8>, oneshot::Sender<Result<(), String>>),
    Request(PeerId, Vec<u8>),
    /// Answer every held request, and every later one, with what the function makes of it.
    Answer(Answer),
}

/// A swarm with mallory's key, run in a task of its own; the test steers it by commands.
struct Hostile {
    commands: mpsc::UnboundedSender<Cmd>,
    seen: Arc<Mutex<Seen>>,
}

impl Hostile {
    fn start(key: &Identity) -> Hostile {
        let keypair =
            identity::Keypair::ed25519_from_bytes(key.secret_bytes()).expect("an ed25519 key");
        let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
            .with_tokio()
            .with_tcp(
                tcp::Config::default(),
                noise::Config::new,
                yamux::Config::default,
            )
            .expect("tcp")
            .with_behaviour(|_| {
                let config = gossipsub::ConfigBuilder::default()
                    .validation_mode(gossipsub::ValidationMode::Anonymous)
                    .max_transmit_size(64 * 1024)
                    .heartbeat_interval(Duration::from_millis(500))
                    .message_id_fn(|m| {
                        gossipsub::MessageId::from(blake3::hash(&m.data).as_bytes().to_vec())
                    })
                    .build()
                    .expect("gossipsub config");
                Mallory {
                    gossipsub: gossipsub::Behaviour::new(
                        gossipsub::MessageAuthenticity::Anonymous,
                        config,
                    )
                    .expect("gossipsub"),
                    sync: request_response::Behaviour::with_codec(
                        SyncCodec,
                        [(
                            StreamProtocol::new(attrib_p2p_node::node::SYNC_PROTOCOL),
                            ProtocolSupport::Full,
                        )],
                        request_response::Config::default()
                            .with_request_timeout(Duration::from_secs(30)),
                    ),
                }
            })
            .expect("behaviour")
            .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(120)))
            .build();
        let (tx, mut rx) = mpsc::unbounded_channel::<Cmd>();
        let seen = Arc::new(Mutex::new(Seen::default()));
        let state = Arc::clone(&seen);
        tokio::spawn(async move {
            let mut held: Vec<(SyncRequest, ResponseChannel<Vec<u8>>)> = Vec::new();
            let mut answer: Option<Answer> = None;
            loop {
                tokio::select! {
                    event = swarm.select_next_some() => match event {
                        SwarmEvent::ConnectionEstablished { .. } => {
                            let mut s = state.lock().unwrap();
                            s.connected = true;
                        }
                        SwarmEvent::ConnectionClosed { num_established: 0, .. } => {
                            let mut s = state.lock().unwrap();
                            s.connected = false;
                            s.closed += 1;
                        }
                        SwarmEvent::Behaviour(MalloryEvent::Gossipsub(
                            gossipsub::Event::Subscribed { topic, .. },
                        )) => {
                            // Join whatever topic the victim announces: the team's.
                            let _ = swarm
                                .behaviour_mut()
                                .gossipsub
                                .subscribe(&IdentTopic::new(topic.as_str()));
                            state.lock().unwrap().topic = Some(topic);
                        }
                        SwarmEvent::Behaviour(MalloryEvent::Sync(
                            request_response::Event::Message {
                                message: request_response::Message::Request { request, channel, .. },
                                ..
                            },
                        )) => {
                            if let Ok(req) = decode::<SyncRequest>(&request, MAX_MESSAGE_BYTES) {
                                state.lock().unwrap().requests += 1;
                                match answer.as_mut() {
                                    Some(f) => {
                                        let r = encode(&f(&req));
                                        let _ = swarm.behaviour_mut().sync.send_response(channel, r);
                                    }
                                    None => held.push((req, channel)),
                                }
                            }
                        }
                        _ => {}
                    },
                    command = rx.recv() => match command {
                        None => return,
                        Some(Cmd::Dial(addr)) => {
                            let _ = swarm.dial(addr);
                        }
                        Some(Cmd::Publish(bytes, reply)) => {
                            let topic = state.lock().unwrap().topic.clone();
                            let result = match topic {
                                Some(t) => swarm
                                    .behaviour_mut()
                                    .gossipsub
                                    .publish(t, bytes)
                                    .map(|_| ())
                                    .map_err(|e| e.to_string()),
                                None => Err("no topic yet".into()),
                            };
                            let _ = reply.send(result);
                        }
                        Some(Cmd::Request(peer, bytes)) => {
                            swarm.behaviour_mut().sync.send_request(&peer, bytes);
                        }
                        Some(Cmd::Answer(mut f)) => {
                            for (req, channel) in held.drain(..) {
                                let r = encode(&f(&req));
                                let _ = swarm.behaviour_mut().sync.send_response(channel, r);
                            }
                            answer = Some(f);
                        }
                    },
                }
            }
        });
        Hostile { commands: tx, seen }
    }

    fn seen(&self) -> Seen {
        self.seen.lock().unwrap().clone()
    }

    fn dial(&self, addr: &Multiaddr) {
        self.commands
            .send(Cmd::Dial(addr.clone()))
            .expect("the swarm runs");
    }

    /// Publishes on the team's topic; an error once no peer is left to take it.
    async fn try_publish(&self, bytes: Vec<u8>) -> Result<(), String> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Cmd::Publish(bytes, tx))
            .expect("the swarm runs");
        rx.await.expect("the swarm answers")
    }

    async fn publish(&self, bytes: Vec<u8>) {
        self.try_publish(bytes)
            .await
            .expect("gossipsub took the message");
    }

    fn request(&self, peer: PeerId, bytes: Vec<u8>) {
        self.commands
            .send(Cmd::Request(peer, bytes))
            .expect("the swarm runs");
    }

    fn answer(&self, f: impl FnMut(&SyncRequest) -> SyncResponse + Send + 'static) {
        self.commands
            .send(Cmd::Answer(Box::new(f)))
            .expect("the swarm runs");
    }
}

// ---------------------------------------------------------------- waiting and reading

/// Polls `f` until it holds, or panics after [`LIMIT`] naming `what`.
async fn until<F, Fut>(what: &str, mut f: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let start = Instant::now();
    while !f().await {
        assert!(start.elapsed() < LIMIT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(node: &NodeHandle) -> NodeStatus {
    node.status().await.expect("the node runs")
}

async fn offences(node: &NodeHandle, o: Offence) -> u64 {
    status(node)
        .await
        .counters
        .offences
        .get(&o)
        .copied()
        .unwrap_or(0)
}

/// Mallory's score at `node`, or `None` once it is no longer a peer there.
async fn score_of(node: &NodeHandle, peer: &PeerId) -> Option<i64> {
    let id = peer.to_string();
    status(node)
        .await
        .peers
        .into_iter()
        .find(|p| p.peer_id == id)
        .map(|p| p.info.score)
}

async fn address(node: &NodeHandle) -> Multiaddr {
    let start = Instant::now();
    loop {
        if let Some(a) = status(node).await.listen.first() {
            return format!("{a}/p2p/{}", node.peer_id)
                .parse()
                .expect("a multiaddr");
        }
        assert!(start.elapsed() < LIMIT, "the node never listened");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

// ---------------------------------------------------------------- the attacks

/// Mallory connects to `victim` alone and waits until it may gossip there: its connection is
/// admitted and the victim's subscription has arrived.
async fn approach(
    attack: &str,
    victim: &NodeHandle,
    addr: &Multiaddr,
    mallory: &Identity,
) -> Hostile {
    let h = Hostile::start(mallory);
    h.dial(addr);
    let (me, hr) = (peer_of(mallory), &h);
    until(
        &format!("{attack}: mallory admitted and subscribed"),
        move || async move { hr.seen().topic.is_some() && score_of(victim, &me).await.is_some() },
    )
    .await;
    h
}

/// Waits until `victim` has dropped mallory, then shows the ban: a redial is refused at once.
async fn assert_dropped_and_banned(
    attack: &str,
    victim: &NodeHandle,
    addr: &Multiaddr,
    h: &Hostile,
    me: &PeerId,
) {
    until(
        &format!("{attack}: mallory disconnected"),
        move || async move { !h.seen().connected && score_of(victim, me).await.is_none() },
    )
    .await;
    let s = status(victim).await;
    assert_eq!(
        s.counters.disconnects, 1,
        "{attack}: only mallory was dropped: {s:?}"
    );
    let gated = s.counters.gated;
    h.dial(addr);
    until(
        &format!("{attack}: mallory's redial refused"),
        move || async move { status(victim).await.counters.gated > gated },
    )
    .await;
    until(
        &format!("{attack}: the refused connection closed"),
        move || async move {
            let seen = h.seen();
            !seen.connected && seen.closed >= 2
        },
    )
    .await;
    assert!(offences(victim, Offence::Banned).await >= 1);
    assert!(
        score_of(victim, me).await.is_none(),
        "a banned key is no peer"
    );
}

fn peer_of(who: &Identity) -> PeerId {
    attrib_p2p_node::peer_id_of(&who.public()).expect("an ed25519 key")
}

struct World {
    team: TeamId,
    honest: Vec<Identity>,
    mallory: Identity,
    /// A member the founder revoked after their first record.
    rex: Identity,
}

/// The team: a founder (who runs no node), six honest members, mallory, and rex, whom the
/// founder revoked after rex's first record. Returns the team and its membership records.
fn world() -> (World, Vec<SignedRecord>) {
    let founder = identity(1);
    let honest: Vec<Identity> = (0..6).map(|i| identity(10 + i)).collect();
    let mallory = identity(66);
    let rex = identity(77);
    let g = sign(
        &founder,
        GENESIS_TEAM,
        1,
        now_ms() - 120_000,
        Payload::Genesis {
            team_name: "acme".into(),
            founder_name: "founder".into(),
            founder_email: None,
        },
    );
    let team = g.team_id();
    let mut setup = vec![g];
    for who in honest.iter().chain([&mallory, &rex]) {
        let seq = setup.len() as u32 + 1;
        setup.push(sign(
            &founder,
            team,
            seq,
            now_ms() - 110_000,
            Payload::Grant {
                member: who.public(),
                name: "m".into(),
                email: None,
                admin: false,
            },
        ));
    }
    let seq = setup.len() as u32 + 1;
    setup.push(sign(
        &founder,
        team,
        seq,
        now_ms() - 100_000,
        Payload::Revoke {
            member: rex.public(),
            after_seq: 1,
        },
    ));
    let w = World {
        team,
        honest,
        mallory,
        rex,
    };
    (w, setup)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_turned_hostile_is_dropped_by_every_honest_node_which_converge_without_its_lies() {
    let (w, setup) = world();

    // Each honest member starts with three records of its own, and writes a fourth while
    // mallory attacks.
    let mut honest_records = Vec::new();
    let dirs: Vec<tempfile::TempDir> = w
        .honest
        .iter()
        .enumerate()
        .map(|(i, who)| {
            let own: Vec<SignedRecord> = (1..=3)
                .map(|s| attest(who, w.team, s, &format!("H{i}-{s}")))
                .collect();
            honest_records.extend(own.iter().cloned());
            let dir = tempfile::tempdir().expect("a temp dir");
            let store = Store::open(dir.path()).expect("a store");
            let mut records = setup.clone();
            records.extend(own);
            store.ingest(&records, now_ms()).expect("the setup");
            dir
        })
        .collect();
    let mut nodes: Vec<NodeHandle> = Vec::new();
    let mut addrs: Vec<Multiaddr> = Vec::new();
    for (i, who) in w.honest.iter().enumerate() {
        let mut c = NodeConfig::new(dirs[i].path().to_path_buf(), who.secret_bytes());
        c.mdns = false;
        c.listen = vec!["/ip4/127.0.0.1/tcp/0".parse().expect("a multiaddr")];
        c.tick = Duration::from_millis(50);
        c.sync = Config {
            // Quick pulls, so evidence that only anti-entropy carries spreads within the test.
            periodic_sync_ms: 2_000,
            ..Config::default()
        };
        if i == FLOOD {
            // A tight gossip rate limit at the node the flood targets (the default lets 1000
            // messages through before it applies).
            c.sync.gossip_burst = 30;
            c.sync.gossip_per_sec = 1;
        }
        // Each honest node dials the two before it.
        for back in 1..=2 {
            if i >= back {
                c.peers.push(addrs[i - back].clone());
            }
        }
        let node = spawn(c).await.expect("the node starts");
        addrs.push(address(&node).await);
        nodes.push(node);
    }

    let w = &w;
    let (nodes_ref, addrs_ref) = (&nodes, &addrs);
    let attack = |i: usize| async move {
        let (victim, addr) = (&nodes_ref[i], &addrs_ref[i]);
        match i {
            FORGE => forge(w, victim, addr).await,
            EQUIVOCATE => equivocate(w, victim, addr).await,
            FLOOD => flood(w, victim, addr).await,
            MALFORMED => malformed(w, victim, addr).await,
            FUTURE => future(w, victim, addr).await,
            _ => revoked(w, victim, addr).await,
        }
    };
    // All six at once; meanwhile every honest member writes a new record through its node.
    let writes = async {
        for (i, who) in w.honest.iter().enumerate() {
            let r = attest(who, w.team, 4, &format!("H{i}-4"));
            assert_eq!(
                nodes_ref[i].ingest(vec![r.clone()]).await.expect("ingest"),
                vec![Outcome::Accepted]
            );
            honest_records.push(r);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let (lies, ()) = tokio::join!(futures::future::join_all((0..6).map(attack)), writes);
    let lies: Vec<SignedRecord> = lies.into_iter().flatten().collect();

    // Convergence: every honest record in every honest view, the same view everywhere, and
    // mallory's equivocation known everywhere (its evidence travels by anti-entropy alone).
    let wanted: HashSet<RecordId> = honest_records.iter().map(SignedRecord::id).collect();
    let mallory_key = w.mallory.public();
    let view = |i: usize| -> (HashSet<RecordId>, bool) {
        let store = Store::open(dirs[i].path()).expect("the store opens");
        let snap = store.snapshot().expect("a snapshot");
        let ids = snap
            .view_records()
            .expect("the view")
            .iter()
            .map(SignedRecord::id)
            .collect();
        (ids, snap.equivocators().contains(&mallory_key))
    };
    let start = Instant::now();
    loop {
        let views: Vec<(HashSet<RecordId>, bool)> = (0..nodes.len()).map(view).collect();
        let complete = views
            .iter()
            .all(|(v, flagged)| *flagged && wanted.is_subset(v));
        if complete && views.windows(2).all(|p| p[0].0 == p[1].0) {
            break;
        }
        assert!(
            start.elapsed() < LIMIT,
            "the honest nodes never converged: (honest records of {}, view size, mallory \
             flagged) per node: {:?}",
            wanted.len(),
            views
                .iter()
                .map(|(v, f)| (v.intersection(&wanted).count(), v.len(), *f))
                .collect::<Vec<_>>(),
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for (i, n) in nodes.iter().enumerate() {
        let c = status(n).await.counters;
        eprintln!(
            "node {i}: offences {:?}, disconnects {}, gated {}, accepted {}, refused {}",
            c.offences, c.disconnects, c.gated, c.records_accepted, c.records_refused
        );
    }
    for n in nodes {
        n.shutdown().await.expect("a clean stop");
    }

    // None of the lies is held anywhere: no forged or future-dated record in any log; in any
    // view, no record of rex's (a store may keep them as evidence, outside the view) and at
    // most one of mallory's versions of its #1 (the others are evidence).
    let lie_ids: HashSet<RecordId> = lies.iter().map(SignedRecord::id).collect();
    let rex_key = w.rex.public();
    for (i, dir) in dirs.iter().enumerate() {
        let store = Store::open(dir.path()).expect("the store opens");
        let snap = store.snapshot().expect("a snapshot");
        let held = snap.all_records().expect("the log");
        let bad: Vec<_> = held.iter().filter(|r| lie_ids.contains(&r.id())).collect();
        assert!(bad.is_empty(), "node {i} holds lies: {bad:?}");
        let view = snap.view_records().expect("the view");
        assert!(
            !view.iter().any(|r| r.signer == rex_key),
            "node {i} shows a revoked key's record"
        );
        let versions = view
            .iter()
            .filter(|r| r.signer == mallory_key && r.record.seq == 1)
            .count();
        assert!(
            versions <= 1,
            "node {i} shows {versions} versions of mallory's #1"
        );
        // The flood past the rate limit was never taken in, here or anywhere.
        let flooded = held
            .iter()
            .filter(|r| r.signer == mallory_key && FLOOD_SEQS.contains(&r.record.seq))
            .count();
        assert!(
            flooded <= FLOOD_SEQS.len() - 10,
            "node {i} holds {flooded} flood records"
        );
    }
}

const FORGE: usize = 0;
const EQUIVOCATE: usize = 1;
const FLOOD: usize = 2;
const MALFORMED: usize = 3;
const FUTURE: usize = 4;
/// Mallory's sequence numbers in the flood: more than the burst and ten floods past it.
const FLOOD_SEQS: std::ops::Range<u32> = 100..170;

/// Two records of an honest member with broken signatures: the first costs half the score,
/// the second the connection. Returns the forgeries.
async fn forge(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("forge", victim, addr, &w.mallory).await;
    let fakes: Vec<SignedRecord> = (1..=2)
        .map(|k| forged(&attest(&w.honest[1], w.team, 50 + k, &format!("FORGED{k}"))))
        .collect();
    h.publish(gossip(&fakes[0])).await;
    until("the first forgery charged", move || async move {
        offences(victim, Offence::BadSignature).await == 1
    })
    .await;
    let score = score_of(victim, &me).await.expect("still connected");
    assert!(score <= -50, "one forgery costs 50: {score}");
    h.publish(gossip(&fakes[1])).await;
    assert_dropped_and_banned("forge", victim, addr, &h, &me).await;
    assert_eq!(offences(victim, Offence::BadSignature).await, 2);
    fakes
}

/// Mallory signs three different records as its own #1: the first is news, the other two
/// equivocations. Returns the two the view must not show.
async fn equivocate(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("equivocate", victim, addr, &w.mallory).await;
    let versions: Vec<SignedRecord> = ["M1", "M1-TWIN", "M1-THIRD"]
        .iter()
        .map(|p| attest(&w.mallory, w.team, 1, p))
        .collect();
    // In order on one stream: the first is news, the others are equivocations.
    h.publish(gossip(&versions[0])).await;
    h.publish(gossip(&versions[1])).await;
    until("the equivocation charged", move || async move {
        offences(victim, Offence::Equivocation).await == 1
    })
    .await;
    assert!(score_of(victim, &me).await.expect("still connected") <= -50);
    h.publish(gossip(&versions[2])).await;
    assert_dropped_and_banned("equivocate", victim, addr, &h, &me).await;
    assert_eq!(offences(victim, Offence::Equivocation).await, 2);
    // The twins are kept as evidence; what must not happen is a lie winning a view somewhere
    // and another elsewhere, which the convergence check covers. Nothing to add here.
    Vec::new()
}

/// Sixty valid records of mallory's own, as fast as gossipsub takes them: the rate limit
/// lets the burst through and charges every message past it until mallory is dropped.
async fn flood(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("flood", victim, addr, &w.mallory).await;
    for s in FLOOD_SEQS {
        let r = attest(&w.mallory, w.team, s, &format!("FLOOD{s}"));
        if h.try_publish(gossip(&r)).await.is_err() {
            break; // dropped already
        }
    }
    assert_dropped_and_banned("flood", victim, addr, &h, &me).await;
    let floods = offences(victim, Offence::Flood).await;
    assert!((10..=15).contains(&floods), "{floods} flood offences");
    Vec::new()
}

/// A record whose body is not canonical, on gossip, then a sync request whose span ends before
/// it starts: each breaks the format's rules and costs half the score.
async fn malformed(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("malformed", victim, addr, &w.mallory).await;
    let real = attest(&w.mallory, w.team, 200, "MALFORMED");
    let mut bent = WireRecord::from_signed(&real);
    bent.body.push(b' ');
    h.publish(encode(&Gossip { record: bent })).await;
    until("the malformed gossip charged", move || async move {
        offences(victim, Offence::Malformed).await == 1
    })
    .await;
    assert!(score_of(victim, &me).await.expect("still connected") <= -50);
    let backwards = SyncRequest {
        team: w.team,
        round: 1,
        heads: HeadsUpdate::new(true, vec![], [0; 16]),
        send_full_heads: true,
        wants: vec![SeqSpan {
            author: w.honest[0].public(),
            first: 9,
            last: 2,
        }],
        probes: vec![],
    };
    h.request(victim.peer_id, encode(&backwards));
    assert_dropped_and_banned("malformed", victim, addr, &h, &me).await;
    assert_eq!(offences(victim, Offence::Malformed).await, 2);
    Vec::new()
}

/// Records of mallory's dated a day ahead: ten on gossip (a light offence each, as clock skew
/// would be), then sixty in the answer to the victim's pull, which ends it.
async fn future(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("future", victim, addr, &w.mallory).await;
    let ahead = now_ms() + 24 * 3600 * 1000;
    let records: Vec<SignedRecord> = (1000..1070)
        .map(|s| attest_at(&w.mallory, w.team, s, &format!("FUTURE{s}"), ahead))
        .collect();
    for r in &records[..10] {
        h.publish(gossip(r)).await;
    }
    until("ten future-dated records charged", move || async move {
        offences(victim, Offence::FutureTimestamp).await == 10
    })
    .await;
    let score = score_of(victim, &me).await.expect("still connected");
    assert!(
        (-20..=-1).contains(&score),
        "light offences, light cost: {score}"
    );
    // The victim pulls from mallory (its grace for mallory's own pull runs out): the answer
    // carries the rest.
    let rest: Vec<WireRecord> = records[10..].iter().map(WireRecord::from_signed).collect();
    h.answer(move |req| SyncResponse {
        round: req.round,
        status: Status::Ok,
        heads: None,
        records: rest.clone(),
        more: false,
        probe_answers: vec![],
    });
    assert_dropped_and_banned("future", victim, addr, &h, &me).await;
    assert!(h.seen().requests >= 1, "the victim pulled");
    let n = offences(victim, Offence::FutureTimestamp).await;
    assert!(n >= 60, "{n} future-timestamp offences");
    records
}

/// Records of rex, whom the founder revoked after rex's first record, relayed by mallory on
/// gossip: each a light offence (an honest relay may not have seen the revocation yet), but
/// one who keeps at it is dropped.
async fn revoked(w: &World, victim: &NodeHandle, addr: &Multiaddr) -> Vec<SignedRecord> {
    let me = peer_of(&w.mallory);
    let h = approach("revoked", victim, addr, &w.mallory).await;
    let records: Vec<SignedRecord> = (2..80)
        .map(|s| attest(&w.rex, w.team, s, &format!("REX{s}")))
        .collect();
    for r in &records[..10] {
        h.publish(gossip(r)).await;
    }
    until("ten revoked-key records charged", move || async move {
        offences(victim, Offence::Revoked).await == 10
    })
    .await;
    let score = score_of(victim, &me).await.expect("still connected");
    assert!(
        (-20..=-1).contains(&score),
        "light offences, light cost: {score}"
    );
    for r in &records[10..] {
        if h.try_publish(gossip(r)).await.is_err() {
            break; // dropped already
        }
    }
    assert_dropped_and_banned("revoked", victim, addr, &h, &me).await;
    let n = offences(victim, Offence::Revoked).await;
    assert!(n >= 50, "{n} revoked-key offences");
    // Not lies about content (the store may keep them as evidence): checked against views.
    Vec::new()
}
