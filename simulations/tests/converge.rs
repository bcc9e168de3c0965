//! The protocol at scale, under virtual time: small topologies, loss, partitions of a thousand
//! peers, and determinism.

use attrib_simulations::{Sim, SimConfig, Topology};

/// Writes a few records at a spread of nodes, some of them at once.
fn write_spread(sim: &mut Sim, writers: &[usize], per_writer: u32) {
    for &w in writers {
        sim.write(w, per_writer);
        sim.run_for(7);
    }
}

#[test]
fn twenty_nodes_converge_in_a_line_a_ring_and_a_star() {
    for topology in [Topology::Line, Topology::Ring, Topology::Star] {
        let mut sim = Sim::new(SimConfig::new(20, topology, 1));
        sim.run_for(1_000);
        write_spread(&mut sim, &[0, 5, 10, 19], 3);
        let took = sim.run_until_converged(30_000, 10);
        let p99 = sim.stats.delivery_percentile(99.0);
        eprintln!("{topology:?}: converged after {took:?} ms, delivery p99 {p99:?} ms");
        assert!(took.is_some(), "{topology:?} did not converge");
        assert_eq!(sim.held(7), 12);
        assert_eq!(sim.disconnects(), 0);
        let took = took.unwrap();
        if topology == Topology::Star {
            // The hub's gossip mesh holds only a few of its leaves (gossipsub's mesh_n_high):
            // the rest get records by IHAVE/IWANT or, past the message cache, by the periodic
            // pull.
            let periodic = SimConfig::new(20, topology, 1).engine.periodic_sync_ms;
            assert!(took < periodic + 1_000, "{topology:?}: {took} ms");
        } else {
            // Gossip carries new records: well before the 5 s periodic pull could.
            assert!(took < 1_000, "{topology:?}: {took} ms");
        }
    }
}

#[test]
fn twenty_nodes_converge_despite_lost_messages() {
    let mut config = SimConfig::new(20, Topology::Random { extra: 1 }, 2);
    config.loss = 0.1;
    let mut sim = Sim::new(config);
    sim.run_for(1_000);
    write_spread(&mut sim, &[1, 2, 3, 4, 5, 6], 5);
    let took = sim.run_until_converged(120_000, 50);
    eprintln!(
        "10% loss: converged after {took:?} ms; {} of {} messages lost",
        sim.stats.lost, sim.stats.messages
    );
    assert!(took.is_some());
    assert!(sim.stats.lost > 0, "the test must actually lose messages");
}

#[test]
fn a_thousand_peers_converge_after_a_partition_heals() {
    let mut sim = Sim::new(SimConfig::new(1000, Topology::Random { extra: 2 }, 3));
    sim.run_for(500);
    let cut = |i: usize| u32::from(i >= 500);
    sim.partition(cut);
    // Both sides keep writing while apart, and converge within their side.
    let writers: Vec<usize> = (0..40).map(|i| i * 25 + 3).collect();
    write_spread(&mut sim, &writers, 2);
    // Gossip spreads the records within each side, except to a peer whose mesh the cut
    // emptied and that grafted again after the writes: the periodic pull (5 s here) brings it
    // what it missed.
    sim.run_for(6_000);
    assert!(!sim.converged(), "a partition must keep the sides apart");
    assert_eq!(sim.held(0), 40);
    assert_eq!(sim.ids(0), sim.ids(499), "one side converged within itself");
    assert_eq!(sim.ids(500), sim.ids(999), "so did the other");
    assert!(sim.ids(0).is_disjoint(sim.ids(500)));

    sim.heal();
    let took = sim.run_until_converged(120_000, 100);
    eprintln!(
        "1000 peers: converged {took:?} ms after the heal; {} messages, {} bytes",
        sim.stats.messages, sim.stats.bytes
    );
    assert!(took.is_some(), "did not converge after the heal");
    assert_eq!(sim.held(999), 80);
    assert_eq!(sim.disconnects(), 0);
}

#[test]
fn the_same_seed_gives_the_same_run() {
    let run = |seed| {
        let mut config = SimConfig::new(50, Topology::Random { extra: 1 }, seed);
        config.loss = 0.05;
        let mut sim = Sim::new(config);
        write_spread(&mut sim, &[3, 9, 27], 4);
        sim.run_for(20_000);
        (
            sim.stats.messages,
            sim.stats.bytes,
            sim.stats.lost,
            sim.stats.delivery_ms.clone(),
        )
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}
