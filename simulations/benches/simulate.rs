//! The design's simulation bar: 10,000 peers (`ATTRIB_SIM_PEERS` overrides), 50–150 ms links,
//! 1 % loss, 5 % churn per minute; every figure printed beside its bar (see
//! `attrib_simulations::scenario`). Virtual time: the wall time is the simulator's, not the
//! protocol's. `cargo bench -p attrib-simulations --bench simulate`.

use attrib_simulations::scenario::run_bars;

fn main() {
    let peers = std::env::var("ATTRIB_SIM_PEERS")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|n| *n >= 20)
        .unwrap_or(10_000);
    let seed = std::env::var("ATTRIB_SIM_SEED")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .unwrap_or(1);
    // 20 writers of 10 records: 200 records reach every peer (2,000,000 deliveries at 10,000).
    let writers = 20.min(peers / 4);
    let started = std::time::Instant::now();
    let report = run_bars(peers, writers, 10, seed);
    println!("simulation, seed {seed}");
    println!("{report}");
    println!(
        "bars {}; wall time {:.1?}",
        if report.meets_bars() {
            "met"
        } else {
            "NOT met"
        },
        started.elapsed()
    );
}
