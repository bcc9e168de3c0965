//! The simulator's adversities, each against the real engine: churn, membership grants and
//! revokes, hostile members, lost requests, and gossipsub's mesh bounding the copies.

use attrib_p2p_node::protocol::gossip::{MESH_N, MESH_N_HIGH, MESH_OUTBOUND_MIN};
use attrib_simulations::{Hostile, Role, Sim, SimConfig, Topology, ADMIN};

/// Realistic links: 50–150 ms one way.
fn wan(nodes: usize, seed: u64) -> SimConfig {
    let mut config = SimConfig::new(nodes, Topology::Random { extra: 2 }, seed);
    config.latency_ms = (50, 150);
    config
}

#[test]
fn peers_that_crash_restart_leave_and_join_all_converge() {
    let mut config = wan(300, 21);
    config.churn_per_min = 0.6;
    config.spare_peers = 40;
    config.loss = 0.01;
    let mut sim = Sim::new(config);
    sim.run_for(3_000);
    for w in (0..300).step_by(15) {
        sim.write(w, 2);
        sim.run_for(500);
    }
    sim.run_for(5_000);
    let s = sim.stats.clone();
    eprintln!(
        "churn: {} crashes, {} restarts, {} leaves, {} joins",
        s.crashes, s.restarts, s.leaves, s.joins
    );
    assert!(s.crashes > 0 && s.restarts > 0 && s.leaves > 0 && s.joins > 0);
    // Churn stops; peers down come back and catch up from their kept stores.
    sim.set_churn(0.0);
    let took = sim.run_until_converged(60_000, 50);
    assert!(took.is_some(), "no convergence after churn");
    let joined: Vec<usize> = (300..340).filter(|&n| sim.is_up(n)).collect();
    assert!(!joined.is_empty());
    for n in joined {
        assert_eq!(sim.held(n), sim.tracked(), "joined peer {n} caught up");
    }
    assert_eq!(sim.disconnects(), 0);
}

#[test]
fn a_revoked_member_is_dropped_and_its_later_records_refused_while_a_granted_one_joins() {
    let mut sim = Sim::new(wan(100, 22));
    sim.run_for(3_000);
    let member = 37;
    let before = sim.write(member, 2);
    sim.write(5, 1);
    assert!(sim.run_until_converged(20_000, 50).is_some());

    sim.revoke(member);
    sim.run_for(5_000);
    assert!(
        sim.connections(member).is_empty(),
        "the revoked member keeps connections: {:?}",
        sim.connections(member)
    );
    let after = sim.write(member, 3);
    sim.run_for(10_000);
    for n in (0..100).filter(|&n| n != member) {
        let ids = sim.ids(n);
        assert!(
            before.iter().all(|id| ids.contains(id)),
            "earlier records stay"
        );
        assert!(
            after.iter().all(|id| !ids.contains(id)),
            "later ones are refused"
        );
    }
    assert!(sim.connections(member).is_empty());

    // A device granted now joins through three peers and converges both ways.
    let newcomer = sim.grant_new_member();
    sim.run_for(3_000);
    assert!(
        !sim.connections(newcomer).is_empty(),
        "granted member admitted"
    );
    let news = sim.write(newcomer, 2);
    sim.write(ADMIN, 1);
    assert!(sim.run_until_converged(20_000, 50).is_some());
    assert!(news.iter().all(|id| sim.ids(64).contains(id)));
    assert_eq!(sim.role(newcomer), Role::Honest);
}

#[test]
fn forgers_equivocators_and_flooders_are_dropped_while_honest_peers_converge() {
    let mut config = wan(200, 23);
    config.hostile = Hostile {
        forgers: 2,
        equivocators: 2,
        flooders: 2,
    };
    let mut sim = Sim::new(config);
    assert!(
        sim.config().verify,
        "forgers are only caught with signatures checked"
    );
    sim.run_for(2_000);
    for w in (0..190).step_by(19) {
        sim.write(w, 2);
        sim.run_for(200);
    }
    sim.run_for(8_000);
    let hostile: Vec<usize> = (194..200).collect();
    for &h in &hostile {
        assert_ne!(sim.role(h), Role::Honest);
        let honest_links: Vec<usize> = sim
            .connections(h)
            .into_iter()
            .filter(|&p| sim.role(p) == Role::Honest)
            .collect();
        assert!(
            honest_links.is_empty(),
            "{:?} {h} still connected to {honest_links:?}",
            sim.role(h)
        );
    }
    assert!(sim.disconnects() >= hostile.len() as u64);
    assert!(
        sim.run_until_converged(20_000, 50).is_some(),
        "honest peers converge"
    );
    // No honest peer dropped another.
    for (a, b) in sim.links() {
        if sim.role(a) == Role::Honest && sim.role(b) == Role::Honest {
            assert!(sim.connections(a).contains(&b), "{a}–{b} dropped");
        }
    }
}

#[test]
fn lost_requests_fail_by_the_transport_timeout_and_sync_still_converges() {
    let mut config = SimConfig::new(30, Topology::Random { extra: 1 }, 24);
    config.loss = 0.3;
    let mut sim = Sim::new(config);
    sim.run_for(1_000);
    for w in [1, 8, 15, 22] {
        sim.write(w, 3);
    }
    assert!(sim.run_until_converged(120_000, 100).is_some());
    let failed: u64 = (0..30).map(|n| sim.counters(n).request_failures).sum();
    assert!(sim.stats.request_failures > 0 && failed > 0);
}

#[test]
fn the_gossip_mesh_bounds_copies_even_when_everyone_is_connected() {
    let mut config = SimConfig::new(60, Topology::Full, 25);
    config.latency_ms = (50, 150);
    let mut sim = Sim::new(config);
    sim.run_for(3_000);
    // A GRAFT from a peer this node dialled is accepted even over MESH_N_HIGH (as gossipsub
    // does), until the next heartbeat prunes back to MESH_N.
    for n in 0..60 {
        let mesh = sim.mesh_peers(n);
        assert!(
            mesh.len() <= MESH_N_HIGH + MESH_OUTBOUND_MIN,
            "{n}: {mesh:?}"
        );
    }
    let degree = sim.mean_mesh_degree();
    assert!(degree <= MESH_N as f64 + 0.5, "mean mesh degree {degree}");
    let since = sim.now();
    for w in [3, 17, 29, 41] {
        sim.write(w, 5);
        sim.run_for(50);
    }
    sim.run_for(3_000);
    let d = sim.delivery(since);
    eprintln!("full mesh of 60: {d:?}");
    assert_eq!(d.missing, 0);
    // Flooding would bring 59 copies; the mesh brings about one per mesh peer, plus here the
    // publisher's own (it publishes to every peer, and here every peer is its neighbour).
    assert!(d.copies_per_record_per_peer <= MESH_N as f64 + 1.0, "{d:?}");
}
