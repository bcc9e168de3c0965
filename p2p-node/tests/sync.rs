//! Two and three engines over an in-memory pipe: convergence under random writes, duplication
//! and reordering; the cost of catch-up and of a reconnect; equivocation; lost sync state.

mod common;

use attrib_overlay::*;
use attrib_p2p_node::protocol::*;
use common::*;
use proptest::prelude::*;

fn mem_net(n: u32, verify: bool) -> Net<MemorySet> {
    mem_net_with(n, verify, Config::default())
}

/// Anti-entropy alone: no offline writes are gossiped.
fn no_outbox() -> Config {
    Config {
        outbox_max: 0,
        ..Config::default()
    }
}

fn mem_net_with(n: u32, verify: bool, config: Config) -> Net<MemorySet> {
    let ids: Vec<Identity> = (0..n).map(identity).collect();
    let members: Vec<PublicKey> = ids.iter().map(|i| i.public()).collect();
    Net::new(
        ids.into_iter()
            .map(|id| (id, MemorySet::new(TEAM, members.clone(), verify)))
            .collect(),
        config,
    )
}

fn records_of(who: &Identity, seqs: std::ops::RangeInclusive<u32>) -> Vec<SignedRecord> {
    seqs.map(|s| attest(who, TEAM, s, &format!("P{s}")))
        .collect()
}

#[test]
fn two_nodes_exchange_everything_on_connect() {
    let mut net = mem_net(2, true);
    let a = records_of(&identity(0), 1..=30);
    let b = records_of(&identity(1), 1..=20);
    net.write(0, &a);
    net.write(1, &b);
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    assert_eq!(net.nodes[0].set.len(), 50);
    // One pull each way: nothing more was needed.
    assert_eq!(net.traffic.requests, 2);
    assert_eq!(net.nodes[0].engine.counters().records_accepted, 20);
}

#[test]
fn a_peer_that_only_lacks_records_is_caught_up_without_probing() {
    let mut net = mem_net(2, true);
    let history = records_of(&identity(0), 1..=30);
    net.write(0, &history);
    net.write(1, &history[..20]);
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    // Its digest differs only because it holds fewer numbers: one pull each way, no probe.
    assert_eq!(net.traffic.requests, 2);
}

#[test]
fn gossip_delivers_a_new_record_without_a_sync_round() {
    let mut net = mem_net(3, true);
    net.connect(0, 1);
    net.connect(1, 2);
    net.run();
    let before = net.traffic.requests;
    net.write(0, &records_of(&identity(0), 1..=1));
    net.run();
    assert!(net.converged());
    assert_eq!(net.nodes[2].set.len(), 1);
    assert_eq!(net.traffic.requests, before, "gossip alone carried it");
}

#[test]
fn writes_made_offline_reach_peers_on_connect_through_the_outbox() {
    let mut net = mem_net(2, true);
    net.write(0, &records_of(&identity(0), 1..=3));
    assert_eq!(net.nodes[0].engine.outbox_len(), 3);
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    assert_eq!(net.nodes[0].engine.outbox_len(), 0);
    assert_eq!(net.nodes[0].engine.counters().records_published, 3);
}

/// Signs `n` records spread over `authors` authors, seq 1.. each.
fn corpus(authors: u32, n: u32) -> Vec<SignedRecord> {
    let ids: Vec<Identity> = (0..authors).map(identity).collect();
    (0..n)
        .map(|i| {
            let who = &ids[(i % authors) as usize];
            attest(who, TEAM, i / authors + 1, &format!("PATCH{i:06}"))
        })
        .collect()
}

#[test]
fn catch_up_of_10k_records_costs_at_most_1_3_times_their_size() {
    let mut net = mem_net(20, false);
    net.nodes.truncate(2);
    let records = corpus(20, 10_000);
    let signed: usize = records.iter().map(|r| 32 + r.body.len() + 64).sum();
    net.write(0, &records);
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    let ratio = net.traffic.bytes as f64 / signed as f64;
    eprintln!(
        "catch-up: {} records, {} signed bytes, {} wire bytes, ratio {ratio:.3}, {} requests",
        records.len(),
        signed,
        net.traffic.bytes,
        net.traffic.requests
    );
    assert!(ratio <= 1.3, "wire/signed = {ratio}");
}

#[test]
fn reconnect_with_one_new_record_costs_two_round_trips_and_under_2_kb() {
    let mut net = mem_net(20, false);
    net.nodes.truncate(2);
    net.write(0, &corpus(20, 10_000));
    net.connect(0, 1);
    net.run();
    net.disconnect(0, 1);
    // One new record while apart; heads of 20 authors exist on both sides.
    net.write(0, &[attest(&identity(3), TEAM, 501, "NEW")]);
    let before = net.traffic.clone();
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    let requests = net.traffic.requests - before.requests;
    let bytes = net.traffic.bytes - before.bytes;
    eprintln!("reconnect: {requests} requests (one per side), {bytes} bytes in all");
    // Each side pulls once, concurrently: two round trips in all, one of wall time.
    assert!(requests <= 2, "{requests} requests");
    assert!(bytes <= 2048, "{bytes} bytes");
}

/// On a connection one side opened, the other pulls back only when the opener's heads show
/// something it lacks: a reconnect where only the listener has news is one exchange.
#[test]
fn the_listener_pulls_back_only_when_the_dialler_has_news() {
    // No outbox: the dialler's news must travel by the listener's pull, not by gossip.
    let mut net = mem_net_with(20, false, no_outbox());
    net.nodes.truncate(2);
    net.write(0, &corpus(20, 2_000));
    net.dial(1, 0);
    net.run();
    assert!(net.converged());
    net.disconnect(0, 1);

    // News only at the listener (0): the dialler's one pull brings it.
    net.write(0, &[attest(&identity(3), TEAM, 501, "AT-LISTENER")]);
    let before = net.traffic.clone();
    net.dial(1, 0);
    net.run();
    assert!(net.converged());
    assert_eq!(
        net.traffic.requests - before.requests,
        1,
        "one pull, none back"
    );
    net.disconnect(0, 1);

    // News only at the dialler (1): the listener sees it in the dialler's heads and pulls.
    net.write(1, &[attest(&identity(4), TEAM, 501, "AT-DIALLER")]);
    let before = net.traffic.clone();
    net.dial(1, 0);
    net.run();
    assert!(net.converged());
    assert_eq!(net.traffic.requests - before.requests, 2, "a pull each way");
}

/// A listener whose peer never pulls (an older node, a lost request) pulls by itself once
/// the grace period is over.
#[test]
fn a_listener_pulls_by_itself_when_the_dialler_stays_silent() {
    let mut net = mem_net(20, false);
    net.nodes.truncate(2);
    net.write(1, &[attest(&identity(4), TEAM, 501, "AT-DIALLER")]);
    // The dialler's pull is lost on the way.
    net.links.insert((0, 1));
    let (now, k0, k1) = (
        net.now,
        net.nodes[0].key.public(),
        net.nodes[1].key.public(),
    );
    let n = &mut net.nodes[1];
    drop(connect_in(&mut n.engine, 0, k0, true, now, &mut n.set));
    let acts = {
        let n = &mut net.nodes[0];
        connect_in(&mut n.engine, 1, k1, false, now, &mut n.set)
    };
    assert!(acts.iter().all(|a| !matches!(a, Action::Request { .. })));
    net.enqueue(0, acts);
    net.run();
    assert!(!net.converged());
    net.advance(Config::default().listener_grace_ms + 1_000);
    net.run();
    assert!(
        net.converged(),
        "the listener pulled after the grace period"
    );
}

#[test]
fn saved_memory_keeps_a_restart_cheap_and_lost_memory_costs_only_a_full_exchange() {
    let mut net = mem_net(20, false);
    net.nodes.truncate(2);
    net.write(0, &corpus(20, 2_000));
    net.connect(0, 1);
    net.run();
    // A periodic pull settles what each side last told the other.
    net.advance(Config::default().periodic_sync_ms);
    net.run();
    net.disconnect(0, 1);

    // Node 1 restarts with its saved memory: the reconnect is as cheap as ever.
    let saved = net.nodes[1].engine.save_memory();
    let mut fresh: Engine<usize> = Engine::new(
        Config::default(),
        net.nodes[1].key.public(),
        &net.nodes[1].set,
    )
    .unwrap();
    fresh.load_memory(&saved).unwrap();
    net.nodes[1].engine = fresh;
    let before = net.traffic.clone();
    net.connect(0, 1);
    net.run();
    let with_memory = net.traffic.bytes - before.bytes;
    net.disconnect(0, 1);

    // Node 1 restarts without it: node 0's deltas no longer apply; the fingerprint catches it
    // and the heads are resent whole. Still converges, at the cost of full heads.
    net.nodes[1].engine = Engine::new(
        Config::default(),
        net.nodes[1].key.public(),
        &net.nodes[1].set,
    )
    .unwrap();
    net.write(0, &[attest(&identity(5), TEAM, 101, "AFTER")]);
    let before = net.traffic.clone();
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    let without = net.traffic.bytes - before.bytes;
    eprintln!("restart: {with_memory} bytes with saved memory, {without} without");
    assert!(with_memory < 600, "{with_memory}");
    assert!(without > with_memory);
    assert!(net.traffic.requests - before.requests <= 4);
}

#[test]
fn equivocation_is_found_by_probing_and_both_versions_end_up_everywhere() {
    let mut net = mem_net_with(3, true, no_outbox());
    net.nodes.truncate(2);
    let liar = identity(2);
    let honest = records_of(&liar, 1..=40);
    net.write(0, &honest);
    net.write(1, &honest);
    // Two different records, both numbered 41 by the same key, each shown to one node only.
    let x = attest(&liar, TEAM, 41, "X");
    let y = attest(&liar, TEAM, 41, "Y");
    net.write(0, std::slice::from_ref(&x));
    net.write(1, std::slice::from_ref(&y));
    net.connect(0, 1);
    net.run();
    assert!(net.converged(), "both versions on both nodes");
    assert!(net.nodes[0].set.ids().contains(&y.id()));
    assert!(net.nodes[1].set.ids().contains(&x.id()));
    assert_eq!(net.nodes[0].set.len(), 42);
    assert!(
        net.traffic.requests > 2,
        "found by probing, not by the first exchange"
    );
}

#[test]
fn an_equivocation_deep_in_a_long_history_is_narrowed_down_not_resent() {
    let mut net = mem_net_with(2, false, no_outbox());
    let liar = identity(1);
    let mut history = records_of(&liar, 1..=3000);
    net.write(0, &history);
    let twin = attest(&liar, TEAM, 1234, "TWIN");
    history[1233] = twin.clone();
    net.write(1, &history);
    net.connect(0, 1);
    net.run();
    assert!(net.converged());
    let signed: u64 = 3000 * 150;
    assert!(
        net.traffic.bytes < signed / 10,
        "{} bytes: the probe fetched far more than the differing records",
        net.traffic.bytes
    );
}

#[test]
fn a_busy_responder_is_retried_later_not_punished() {
    let config = Config {
        request_burst: 1,
        request_per_sec: 0,
        ..Config::default()
    };
    let mut net = mem_net_with(2, true, config);
    net.connect(0, 1);
    net.run();
    net.write(1, &records_of(&identity(1), 1..=2));
    net.run();
    // The next periodic pulls find the responder out of request tokens.
    net.advance(Config::default().periodic_sync_ms);
    net.run();
    for n in &net.nodes {
        let c = n.engine.counters();
        assert_eq!(c.offences.get(&Offence::Unsolicited), None, "{c:?}");
    }
    assert!(net.nodes[0]
        .engine
        .counters()
        .offences
        .contains_key(&Offence::Flood));
    assert!(net.traffic.disconnects.is_empty());
    assert!(net.converged(), "gossip still delivered the writes");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Random writes at random nodes, with messages shuffled and duplicated, converge once the
    /// network settles and the periodic pull runs.
    #[test]
    fn three_nodes_converge_under_duplication_and_reordering(
        writes in proptest::collection::vec((0usize..3, 0u32..3, 1u32..6), 1..40),
        seed in any::<u64>(),
        topology in 0usize..3,
    ) {
        let mut net = mem_net(3, true);
        net.seed(seed);
        net.shuffle = true;
        net.duplicate = true;
        match topology {
            0 => { net.connect(0, 1); net.connect(1, 2); }
            1 => { net.connect(0, 1); net.connect(1, 2); net.connect(0, 2); }
            _ => { net.connect(0, 2); }
        }
        let mut next_seq = [1u32; 3];
        for (i, (node, author, n)) in writes.iter().enumerate() {
            let who = identity(*author);
            let s = next_seq[*author as usize];
            next_seq[*author as usize] += n;
            let recs: Vec<SignedRecord> = (s..s + n).map(|q| attest(&who, TEAM, q, &format!("W{i}-{q}"))).collect();
            // A node only writes as its own author would; others' records travel.
            net.write(*node, &recs);
            if i % 3 == 0 { net.run(); }
        }
        net.run();
        if topology == 2 {
            net.connect(1, 0);
        }
        for _ in 0..3 {
            net.advance(Config::default().periodic_sync_ms);
            net.run();
        }
        prop_assert!(net.converged());
        let total: u32 = next_seq.iter().map(|s| s - 1).sum();
        prop_assert_eq!(net.nodes[0].set.len() as u32, total);
        prop_assert!(net.traffic.disconnects.is_empty(), "{:?}", net.traffic.disconnects);
    }
}

/// The batching rule the node and the simulator share: nothing to write, nothing due; a full
/// batch at once; otherwise as soon as no input is waiting.
#[test]
fn staged_gossip_is_committed_when_the_batch_is_full_or_the_input_idle() {
    assert!(!commit_due(0, true));
    assert!(!commit_due(1, false));
    assert!(commit_due(1, true));
    assert!(!commit_due(MAX_STAGED - 1, false));
    assert!(commit_due(MAX_STAGED, false));
}

/// Far enough from the records' timestamps that none is in the future.
const NOW: u64 = u64::MAX / 4;

/// A set that counts the records `records_since` hands out (what start-up reads).
struct Counting<'a> {
    set: &'a MemorySet,
    read: std::cell::Cell<usize>,
}

impl RecordSet for Counting<'_> {
    fn team(&self) -> TeamId {
        self.set.team()
    }
    fn is_member(&self, key: &PublicKey) -> bool {
        self.set.is_member(key)
    }
    fn records_since(&self, cursor: u64, max: usize) -> Result<(Vec<SignedRecord>, u64), SetError> {
        let out = self.set.records_since(cursor, max)?;
        self.read.set(self.read.get() + out.0.len());
        Ok(out)
    }
    fn records_in(
        &self,
        spans: &[wire::SeqSpan],
        max_body_bytes: usize,
    ) -> Result<(Vec<SignedRecord>, bool), SetError> {
        self.set.records_in(spans, max_body_bytes)
    }
    fn ingest(&mut self, _: &[SignedRecord], _: u64) -> Result<Vec<Outcome>, SetError> {
        Err(SetError("read only".into()))
    }
    fn check(&self, records: &[SignedRecord], now_ms: u64) -> Result<Vec<Outcome>, SetError> {
        self.set.check(records, now_ms)
    }
}

#[test]
fn a_restart_reads_only_what_was_stored_since_the_saved_heads_and_never_trusts_foreign_ones() {
    let members: Vec<PublicKey> = (0..20).map(|i| identity(i).public()).collect();
    let mut set = MemorySet::new(TEAM, members.clone(), false);
    let all = corpus(20, 12_000);
    set.ingest(&all[..10_000], NOW).unwrap();
    assert_eq!(set.records_since(0, usize::MAX).unwrap().0.len(), 10_000);
    let me = identity(0).public();
    let saved = Engine::<usize>::new(Config::default(), me, &set)
        .unwrap()
        .save_memory();
    // Written while the node was down, by another process.
    set.ingest(&all[10_000..], NOW).unwrap();

    assert_eq!(set.records_since(0, usize::MAX).unwrap().0.len(), 12_000);
    let counting = Counting {
        set: &set,
        read: 0.into(),
    };
    let resumed = Engine::<usize>::resume(Config::default(), me, &counting, &saved).unwrap();
    let fresh = Engine::<usize>::new(Config::default(), me, &set).unwrap();
    assert_eq!(
        resumed.heads(),
        fresh.heads(),
        "the same heads as a full read"
    );
    // The last batch start-up had read (10,000 records in batches of 4,096) again, and the
    // 2,000 new records: not the 12,000.
    assert_eq!(counting.read.get(), (10_000 - 2 * 4_096) + 2_000);

    // Another set of the same team (a store replaced by another copy): its own heads.
    let mut other = MemorySet::new(TEAM, members.clone(), false);
    other.ingest(&corpus(20, 10_500)[500..], NOW).unwrap();
    let resumed = Engine::<usize>::resume(Config::default(), me, &other, &saved).unwrap();
    let fresh = Engine::<usize>::new(Config::default(), me, &other).unwrap();
    assert_eq!(
        resumed.heads(),
        fresh.heads(),
        "foreign heads are not trusted"
    );

    // A store restored from an older, shorter copy: read again from the start.
    let mut older = MemorySet::new(TEAM, members, false);
    older.ingest(&all[..9_000], NOW).unwrap();
    let resumed = Engine::<usize>::resume(Config::default(), me, &older, &saved).unwrap();
    let fresh = Engine::<usize>::new(Config::default(), me, &older).unwrap();
    assert_eq!(
        resumed.heads(),
        fresh.heads(),
        "stale heads are not trusted"
    );

    // Damaged state: a full read, no error.
    let resumed = Engine::<usize>::resume(Config::default(), me, &set, b"garbage").unwrap();
    assert_eq!(resumed.heads(), &fresh_heads(&set, me));
}

fn fresh_heads(set: &MemorySet, me: PublicKey) -> Heads {
    Engine::<usize>::new(Config::default(), me, set)
        .unwrap()
        .heads()
        .clone()
}
