//! The run behind the design's simulation bar, shared by the benchmark (10,000 peers) and the
//! tests (1,000 peers), so both measure the same thing.
//!
//! 50–150 ms links, 1 % loss, 5 % churn per minute (crashes with restarts, leaves, joins), a
//! ring plus two random chords per peer. Three phases:
//! 1. warm-up: connections, first syncs, the gossip mesh settles;
//! 2. delivery: writers spread over the network write records while churn goes on; then the
//!    share of (record, peer) pairs delivered, the 99th percentile of write-to-arrival time at
//!    every peer that was up all along, and the gossip copies received per record per peer;
//! 3. partition: the network splits in halves, both sides write, the partition heals, and the
//!    time until every running peer holds everything is split in two: until every record
//!    written apart has crossed to the other side (the reconnect's round trip, then sync
//!    round trips across the healed connections), and the transfer from there (gossip).

use crate::{Delivery, Sim, SimConfig, Topology};

/// The bars, from the design.
pub const DELIVERY_BAR_MS: u64 = 1_000;
/// See [`DELIVERY_BAR_MS`].
pub const COPIES_BAR: f64 = 3.0;
/// Round trips allowed after a heal until what was written apart crosses (the reconnect and the
/// pull), besides the transfer beyond.
pub const CATCH_UP_BAR_RTT: f64 = 2.0;

/// What the run measured.
#[derive(Clone, Debug)]
pub struct BarsReport {
    /// Peers at the start.
    pub peers: usize,
    /// The network's configuration.
    pub config: SimConfig,
    /// Phase 2.
    pub delivery: Delivery,
    /// Tracked records written in phase 2.
    pub records: usize,
    /// Phase 3: ms from the heal until every running peer holds every record (`None`: not
    /// within a minute).
    pub catch_up_ms: Option<u64>,
    /// The mean round trip of a link (ms).
    pub rtt_ms: u64,
    /// Phase 3: ms from the heal until every record written apart is held on the other side
    /// by at least one peer.
    pub cross_ms: Option<u64>,
    /// `cross_ms` in mean round trips: the reconnect's and the sync's.
    pub cross_rtt: Option<f64>,
    /// The mean gossipsub mesh degree at the end of phase 2.
    pub mesh_degree: f64,
    /// Churn events during the run: crashes, leaves, joins.
    pub churn_events: u64,
    /// Disconnects for misbehaviour (none in an honest run).
    pub disconnects: u64,
    /// Messages and bytes of the whole run, lost ones included.
    pub messages: u64,
    /// See `messages`.
    pub bytes: u64,
    /// Requests that timed out.
    pub request_failures: u64,
}

impl BarsReport {
    /// Does the run meet every bar?
    pub fn meets_bars(&self) -> bool {
        self.delivery.p99_ms.is_some_and(|p| p <= DELIVERY_BAR_MS)
            && self.delivery.copies_per_record_per_peer <= COPIES_BAR
            && self.cross_rtt.is_some_and(|r| r <= CATCH_UP_BAR_RTT)
            && self.catch_up_ms.is_some()
    }
}

/// The network of the bar: `peers` peers, 50–150 ms links, 1 % loss, 5 % churn per minute.
pub fn bars_config(peers: usize, seed: u64) -> SimConfig {
    let mut config = SimConfig::new(peers, Topology::Random { extra: 2 }, seed);
    config.latency_ms = (50, 150);
    config.loss = 0.01;
    config.churn_per_min = 0.05;
    // Enough spare members for the joins of a few minutes of churn.
    config.spare_peers = peers / 20 + 4;
    config
}

/// Runs the three phases at `peers` peers with `writers` writers of `per_writer` records each
/// (a writer down when its turn comes skips it).
pub fn run_bars(peers: usize, writers: usize, per_writer: u32, seed: u64) -> BarsReport {
    let config = bars_config(peers, seed);
    let mut sim = Sim::new(config.clone());
    // Phase 1: warm-up.
    sim.run_for(5_000);

    // Phase 2: writes spread over the network and over five seconds, churn going on.
    let since = sim.now();
    let step = (peers / writers.max(1)).max(1);
    let writers: Vec<usize> = (0..writers).map(|i| (i * step + 7) % peers).collect();
    // One record at a time, round robin over the writers: few authors keep every peer's
    // heads (and so the simulator's memory) small, and no record arrives in a burst.
    let writes = writers.len() as u64 * u64::from(per_writer);
    let gap = 5_000 / writes.max(1);
    for _ in 0..per_writer {
        for &w in &writers {
            if sim.is_up(w) {
                sim.write(w, 1);
            }
            sim.run_for(gap);
        }
    }
    sim.run_for(3_000);
    let delivery = sim.delivery(since);
    let records = sim.tracked();
    let mesh_degree = sim.mean_mesh_degree();

    // Phase 3: a partition in halves, writes on both sides, the heal.
    let half = peers / 2;
    let side = |i: usize| u32::from(i >= half && i < peers);
    sim.partition(side);
    let apart_from = sim.tracked();
    for &w in writers.iter().take(20) {
        if sim.is_up(w) {
            sim.write(w, 1);
        }
        sim.run_for(10);
    }
    sim.run_for(3_000);
    sim.heal();
    let healed_at = sim.now();
    let catch_up_ms = sim.run_until_converged(60_000, 10);
    let rtt_ms = config.mean_rtt_ms();
    // When the last record written apart first reached a running peer of the other side.
    let crossed: Option<u64> = (apart_from..sim.tracked())
        .map(|r| {
            let (_, writer) = sim.tracked_write(r)?;
            (0..sim.len())
                .filter(|&n| side(n) != side(writer) && sim.is_up(n))
                .filter_map(|n| sim.arrived_at(r, n))
                .min()
        })
        .collect::<Option<Vec<u64>>>()
        .and_then(|v| v.into_iter().max());
    let cross_ms = crossed.map(|t| t.saturating_sub(healed_at));
    let cross_rtt = cross_ms.map(|ms| ms as f64 / rtt_ms as f64);
    let s = &sim.stats;
    BarsReport {
        peers,
        config,
        delivery,
        records,
        catch_up_ms,
        rtt_ms,
        cross_ms,
        cross_rtt,
        mesh_degree,
        churn_events: s.crashes + s.leaves + s.joins,
        disconnects: sim.disconnects(),
        messages: s.messages,
        bytes: s.bytes,
        request_failures: s.request_failures,
    }
}

impl std::fmt::Display for BarsReport {
    /// The figures, each beside its bar.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let c = &self.config;
        let d = &self.delivery;
        writeln!(
            f,
            "peers {}, links {}–{} ms, loss {} %, churn {} % per minute, records {}",
            self.peers,
            c.latency_ms.0,
            c.latency_ms.1,
            c.loss * 100.0,
            c.churn_per_min * 100.0,
            self.records
        )?;
        let ms = |v: Option<u64>| v.map_or("not reached".to_string(), |v| format!("{v} ms"));
        writeln!(
            f,
            "delivery p99 {} (bar {DELIVERY_BAR_MS} ms); p50 {}; {} of {} (record, peer) pairs missing",
            ms(d.p99_ms),
            ms(d.p50_ms),
            d.missing,
            d.pairs
        )?;
        writeln!(
            f,
            "copies per record per peer {:.2} (bar {COPIES_BAR}); worst record {:.2}; mean mesh degree {:.2}",
            d.copies_per_record_per_peer, d.worst_record_copies, self.mesh_degree
        )?;
        match (self.catch_up_ms, self.cross_ms, self.cross_rtt) {
            (Some(t), Some(x), Some(r)) => writeln!(
                f,
                "catch-up after heal {t} ms = {x} ms to cross = {r:.1} round trips (reconnect and pull) + {} ms transfer (mean round trip {} ms; bar {CATCH_UP_BAR_RTT} RTT + transfer)",
                t.saturating_sub(x), self.rtt_ms
            )?,
            _ => writeln!(f, "catch-up after heal: not within 60 s (bar {CATCH_UP_BAR_RTT} RTT + transfer)")?,
        }
        write!(
            f,
            "churn events {}, disconnects {}, request failures {}, messages {}, bytes {}",
            self.churn_events, self.disconnects, self.request_failures, self.messages, self.bytes
        )
    }
}
