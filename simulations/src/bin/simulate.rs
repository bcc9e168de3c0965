//! `simulate`: runs one simulated network and prints what happened.
//!
//! ```text
//! simulate [--nodes N] [--topology line|ring|star|random|full] [--seed S] [--loss P]
//!          [--writers W] [--records R] [--partition]
//! ```
//! With `--partition`, the network is split in two halves while the writers write, then
//! healed; the figures are the time to converge after the heal.

use attrib_simulations::{Sim, SimConfig, Topology};

fn main() {
    if let Err(e) = run() {
        eprintln!("simulate: {e}");
        std::process::exit(2);
    }
}

fn run() -> Result<(), String> {
    let mut nodes = 200usize;
    let mut topology = Topology::Random { extra: 2 };
    let mut seed = 1u64;
    let mut loss = 0.0f64;
    let mut writers = 10usize;
    let mut records = 5u32;
    let mut partition = false;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--nodes" => nodes = value()?.parse().map_err(|e| format!("--nodes: {e}"))?,
            "--seed" => seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--loss" => loss = value()?.parse().map_err(|e| format!("--loss: {e}"))?,
            "--writers" => writers = value()?.parse().map_err(|e| format!("--writers: {e}"))?,
            "--records" => records = value()?.parse().map_err(|e| format!("--records: {e}"))?,
            "--partition" => partition = true,
            "--topology" => {
                topology = match value()?.as_str() {
                    "line" => Topology::Line,
                    "ring" => Topology::Ring,
                    "star" => Topology::Star,
                    "full" => Topology::Full,
                    "random" => Topology::Random { extra: 2 },
                    other => return Err(format!("unknown topology {other:?}")),
                }
            }
            "-h" | "--help" => {
                println!("simulate [--nodes N] [--topology line|ring|star|random|full] [--seed S] [--loss P] [--writers W] [--records R] [--partition]");
                return Ok(());
            }
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    if nodes < 2 || writers == 0 {
        return Err("need at least 2 nodes and 1 writer".into());
    }
    let mut config = SimConfig::new(nodes, topology, seed);
    config.loss = loss;
    let started = std::time::Instant::now();
    let mut sim = Sim::new(config);
    sim.run_for(500);
    if partition {
        sim.partition(|i| u32::from(i >= nodes / 2));
    }
    let step = (nodes / writers.min(nodes)).max(1);
    for w in (0..nodes).step_by(step).take(writers) {
        sim.write(w, records);
        sim.run_for(5);
    }
    if partition {
        sim.run_for(3_000);
        sim.heal();
    }
    let took = sim.run_until_converged(600_000, 10);
    println!(
        "nodes {nodes}, links {}, topology {topology:?}, seed {seed}, loss {loss}",
        sim.links().len()
    );
    match took {
        Some(ms) => println!(
            "converged {ms} ms (virtual) after the last {}",
            if partition { "heal" } else { "write" }
        ),
        None => println!("did NOT converge within 600 s (virtual)"),
    }
    let s = &sim.stats;
    println!(
        "messages {}, lost {}, requests {}, gossip {}, bytes {}",
        s.messages, s.lost, s.requests, s.gossip, s.bytes
    );
    if let (Some(p50), Some(p99)) = (s.delivery_percentile(50.0), s.delivery_percentile(99.0)) {
        println!("delivery latency p50 {p50} ms, p99 {p99} ms (virtual)");
    }
    println!(
        "disconnects {}, wall time {:.2?}",
        sim.disconnects(),
        started.elapsed()
    );
    if took.is_none() {
        return Err("no convergence".into());
    }
    Ok(())
}
