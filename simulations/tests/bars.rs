//! The design's simulation bar at 1,000 peers: the same run as the benchmark
//! (`benches/simulate.rs`, 10,000 peers), asserted.

use attrib_simulations::scenario::{run_bars, CATCH_UP_BAR_RTT, COPIES_BAR, DELIVERY_BAR_MS};

#[test]
fn a_thousand_peers_meet_the_delivery_copies_and_catch_up_bars_under_loss_and_churn() {
    let report = run_bars(1_000, 20, 4, 1);
    eprintln!("{report}");
    let d = &report.delivery;
    assert!(d.pairs > 50_000, "the run measured too little: {d:?}");
    assert!(report.churn_events > 0, "churn must happen");
    let p99 = d
        .p99_ms
        .expect("over 1 % of (record, peer) pairs never delivered");
    assert!(p99 <= DELIVERY_BAR_MS, "delivery p99 {p99} ms");
    assert!(
        d.copies_per_record_per_peer <= COPIES_BAR,
        "{} copies per record per peer",
        d.copies_per_record_per_peer
    );
    let cross_rtt = report
        .cross_rtt
        .expect("records written apart never crossed");
    assert!(
        cross_rtt <= CATCH_UP_BAR_RTT,
        "records written apart took {cross_rtt:.1} round trips to cross after the heal"
    );
    assert!(
        report.catch_up_ms.is_some(),
        "no convergence after the heal"
    );
    assert_eq!(report.disconnects, 0, "an honest network drops nobody");
}
