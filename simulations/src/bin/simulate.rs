//! `simulate`: runs one simulated network and prints what happened.
//!
//! ```text
//! simulate [--nodes N] [--topology line|ring|star|random|full] [--seed S] [--loss P]
//!          [--latency LO..HI] [--churn P] [--writers W] [--records R] [--partition]
//!          [--revoke K] [--grant K] [--forgers K] [--equivocators K] [--flooders K]
//! ```
//! With `--partition`, the network is split in two halves while the writers write, then
//! healed; the figures are the time to converge after the heal. `--revoke K` has the admin
//! revoke K members before the writes (their later records must be refused and their
//! connections dropped); `--grant K` has it grant K new devices, which join and converge.
//!
//! A usage error prints clap's message and exits 2; a run that does not converge prints its
//! figures, then `simulate: no convergence` on stderr, and exits 2 too.

use attrib_simulations::{Hostile, Sim, SimConfig, Topology};
use clap::{Parser, ValueEnum};

/// Runs one simulated network of attrib nodes (the real sync engine, virtual time and links)
/// and prints how long it took to converge, and at what cost.
#[derive(Parser, Debug)]
#[command(name = "simulate")]
struct Args {
    /// Nodes in the network (at least 2).
    #[arg(long, value_name = "N", default_value_t = 200, value_parser = count_at_least(2))]
    nodes: usize,
    /// How the nodes are linked; `random` is a ring plus two random chords per node.
    #[arg(long, value_name = "TOPOLOGY", value_enum, default_value_t = TopologyArg::Random)]
    topology: TopologyArg,
    /// Seed of every random choice: the same seed gives the same run.
    #[arg(long, value_name = "S", default_value_t = 1)]
    seed: u64,
    /// Probability that a message is lost, from 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    loss: f64,
    /// One-way latency of a message, uniform in LO..HI milliseconds.
    #[arg(long, value_name = "LO..HI", default_value = "1..5", value_parser = latency_range)]
    latency: (u64, u64),
    /// Share of the peers that churn per minute (crash and restart, leave, or join), 0 to 1.
    #[arg(long, value_name = "P", default_value_t = 0.0, value_parser = probability)]
    churn: f64,
    /// Members the admin revokes before the writes.
    #[arg(long, value_name = "K", default_value_t = 0)]
    revoke: usize,
    /// New devices the admin grants before the writes.
    #[arg(long, value_name = "K", default_value_t = 0)]
    grant: usize,
    /// Hostile members that gossip forged records (turns signature checks on).
    #[arg(long, value_name = "K", default_value_t = 0)]
    forgers: usize,
    /// Hostile members that sign two records with one sequence number.
    #[arg(long, value_name = "K", default_value_t = 0)]
    equivocators: usize,
    /// Hostile members that flood junk gossip.
    #[arg(long, value_name = "K", default_value_t = 0)]
    flooders: usize,
    /// Nodes that write records, spread evenly over the network (at least 1).
    #[arg(long, value_name = "W", default_value_t = 10, value_parser = count_at_least(1))]
    writers: usize,
    /// Records each writer writes.
    #[arg(long, value_name = "R", default_value_t = 5)]
    records: u32,
    /// Split the network in two halves while the writers write, then heal it; the figures
    /// are then the time to converge after the heal.
    #[arg(long)]
    partition: bool,
}

/// `--topology`'s values: [`Topology`] without its parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum TopologyArg {
    Line,
    Ring,
    Star,
    Random,
    Full,
}

impl From<TopologyArg> for Topology {
    fn from(t: TopologyArg) -> Topology {
        match t {
            TopologyArg::Line => Topology::Line,
            TopologyArg::Ring => Topology::Ring,
            TopologyArg::Star => Topology::Star,
            TopologyArg::Random => Topology::Random { extra: 2 },
            TopologyArg::Full => Topology::Full,
        }
    }
}

/// A count of at least `min` (clap's own range parser would print the range's upper end,
/// `usize::MAX`, in its message).
fn count_at_least(min: usize) -> impl Fn(&str) -> Result<usize, String> + Clone + Send + Sync {
    move |s| {
        let n: usize = s.parse().map_err(|e| format!("{e}"))?;
        if n >= min {
            Ok(n)
        } else {
            Err(format!("{n} is less than {min}"))
        }
    }
}

/// A latency range `LO..HI` in milliseconds, `LO <= HI`.
fn latency_range(s: &str) -> Result<(u64, u64), String> {
    let (lo, hi) = s
        .split_once("..")
        .ok_or_else(|| format!("{s}: expected LO..HI, e.g. 50..150"))?;
    let lo: u64 = lo.trim().parse().map_err(|e| format!("{lo}: {e}"))?;
    let hi: u64 = hi.trim().parse().map_err(|e| format!("{hi}: {e}"))?;
    if lo <= hi {
        Ok((lo, hi))
    } else {
        Err(format!("{lo} is more than {hi}"))
    }
}

/// A probability: a number in [0, 1] (NaN is not one).
fn probability(s: &str) -> Result<f64, String> {
    let p: f64 = s.parse().map_err(|e| format!("{e}"))?;
    if (0.0..=1.0).contains(&p) {
        Ok(p)
    } else {
        Err(format!("{p} is not a probability from 0 to 1"))
    }
}

fn main() {
    // Usage errors exit 2 with clap's message; `--help` exits 0.
    let args = Args::parse();
    if let Err(e) = run(args) {
        eprintln!("simulate: {e}");
        std::process::exit(2);
    }
}

fn run(args: Args) -> Result<(), String> {
    let Args {
        nodes,
        topology,
        seed,
        loss,
        latency,
        churn,
        revoke,
        grant,
        forgers,
        equivocators,
        flooders,
        writers,
        records,
        partition,
    } = args;
    let topology = Topology::from(topology);
    let mut config = SimConfig::new(nodes, topology, seed);
    config.loss = loss;
    config.latency_ms = latency;
    config.churn_per_min = churn;
    config.spare_peers = (nodes as f64 * churn).ceil() as usize * 4;
    config.hostile = Hostile {
        forgers,
        equivocators,
        flooders,
    };
    let honest = nodes.saturating_sub(config.hostile.total());
    if honest < 2 + revoke {
        return Err(format!(
            "{nodes} nodes leave too few honest ones for {} hostile and {revoke} revoked",
            config.hostile.total()
        ));
    }
    let started = std::time::Instant::now();
    let mut sim = Sim::new(config);
    sim.run_for(2 * latency.1 + 500);
    // Revoked: the honest nodes just below the hostile ones (never the admin, node 0).
    for member in (honest - revoke)..honest {
        sim.revoke(member);
    }
    for _ in 0..grant {
        sim.grant_new_member();
    }
    if partition {
        sim.partition(|i| u32::from(i >= nodes / 2));
    }
    let step = (honest / writers.min(honest)).max(1);
    for w in (0..honest).step_by(step).take(writers) {
        sim.write(w, records);
        sim.run_for(5);
    }
    if partition {
        sim.run_for(3_000);
        sim.heal();
    }
    let since = attrib_simulations::T0;
    let took = sim.run_until_converged(600_000, 10);
    println!(
        "nodes {nodes}, links {}, topology {topology:?}, seed {seed}, loss {loss}, latency {}..{} ms, churn {churn}/min",
        sim.links().len(),
        latency.0,
        latency.1
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
    let d = sim.delivery(since);
    println!(
        "copies per record per peer {:.2}, mean mesh degree {:.2}, request failures {}",
        d.copies_per_record_per_peer,
        sim.mean_mesh_degree(),
        s.request_failures
    );
    println!(
        "churn: {} crashes, {} restarts, {} leaves, {} joins",
        s.crashes, s.restarts, s.leaves, s.joins
    );
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

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_flags_are_well_formed() {
        Args::command().debug_assert();
    }

    #[test]
    fn defaults_are_those_of_the_hand_parser() {
        let a = Args::try_parse_from(["simulate"]).expect("parses");
        assert_eq!(a.nodes, 200);
        assert_eq!(Topology::from(a.topology), Topology::Random { extra: 2 });
        assert_eq!((a.seed, a.loss, a.writers, a.records), (1, 0.0, 10, 5));
        assert_eq!((a.latency, a.churn), ((1, 5), 0.0));
        assert_eq!((a.revoke, a.grant), (0, 0));
        assert_eq!((a.forgers, a.equivocators, a.flooders), (0, 0, 0));
        assert!(!a.partition);
    }

    #[test]
    fn every_flag_parses() {
        let a = Args::try_parse_from([
            "simulate",
            "--nodes",
            "50",
            "--topology",
            "star",
            "--seed",
            "7",
            "--loss",
            "0.01",
            "--writers",
            "3",
            "--records",
            "2",
            "--partition",
            "--latency",
            "50..150",
            "--churn",
            "0.05",
            "--revoke",
            "1",
            "--grant",
            "2",
            "--forgers",
            "1",
            "--equivocators",
            "2",
            "--flooders",
            "3",
        ])
        .expect("parses");
        assert_eq!((a.latency, a.churn), ((50, 150), 0.05));
        assert_eq!((a.revoke, a.grant), (1, 2));
        assert_eq!((a.forgers, a.equivocators, a.flooders), (1, 2, 3));
        assert_eq!(a.nodes, 50);
        assert_eq!(Topology::from(a.topology), Topology::Star);
        assert_eq!((a.seed, a.loss, a.writers, a.records), (7, 0.01, 3, 2));
        assert!(a.partition);
    }

    #[test]
    fn usage_errors_exit_2() {
        for bad in [
            &["simulate", "--nodes", "1"][..],
            &["simulate", "--writers", "0"],
            &["simulate", "--topology", "mesh"],
            &["simulate", "--loss", "2"],
            &["simulate", "--latency", "150..50"],
            &["simulate", "--latency", "50"],
            &["simulate", "--churn", "-1"],
            &["simulate", "--nodes"],
            &["simulate", "--bogus"],
        ] {
            let e = Args::try_parse_from(bad).expect_err("refused");
            assert_eq!(e.exit_code(), 2, "{bad:?}");
        }
        let help = Args::try_parse_from(["simulate", "--help"]).expect_err("help");
        assert_eq!(help.exit_code(), 0);
    }
}
