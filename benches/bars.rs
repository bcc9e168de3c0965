//! Every bar of docs/ARCHITECTURE.md in one run: the overlay benchmark (100k attestations by 20 authors),
//! the Pijul benchmark (a 1,000-change history), the git benchmark (blame and record), the
//! backfill benchmark (a 10,000-commit history), the audit benchmark (`verify FILE`, `check`), the agent-checkpoint benchmark, the network benchmark (10k-record catch-up,
//! a reconnect into a 100k-record store, 20-node gossip, node memory) and the serve benchmark
//! (`attrib serve` over 100k attestations: page latency under load, throughput, subscription
//! delay, memory), one after the other.
//! Each prints its rows: the figure, the reference measured in the same run, the ratio and the
//! bar.
//!
//! Run with `cargo bench -p attrib-cli --bench bars` (about ten minutes on 2 cores; needs
//! `pijul` 1.0.0-beta.26 and `ssh-agent`, which `.ci/run` installs). The scaling variables of the
//! benchmarks apply (`ATTRIB_BENCH_RECORDS`, `ATTRIB_BENCH_CHANGES`, `ATTRIB_BENCH_PAIRS`,
//! `ATTRIB_BENCH_GOSSIP_ROUNDS`, `ATTRIB_BENCH_SERVE_SECONDS`); each benchmark also runs alone under its own name.

// Each benchmark brings its own copy of `common`: they are written to run alone too.
#![allow(clippy::duplicate_mod)]

#[allow(dead_code)]
#[path = "audit.rs"]
mod audit;
#[allow(dead_code)]
#[path = "backfill.rs"]
mod backfill;
#[allow(dead_code)]
#[path = "checkpoints.rs"]
mod checkpoints;
#[allow(dead_code)]
#[path = "git.rs"]
mod git;
#[allow(dead_code)]
#[path = "../p2p-node/benches/network.rs"]
mod network;
#[allow(dead_code)]
#[path = "overlay.rs"]
mod overlay;
#[allow(dead_code)]
#[path = "pijul.rs"]
mod pijul;
#[allow(dead_code)]
#[path = "serve.rs"]
mod serve;

fn main() {
    // The network benchmark runs its 100k-record node in a child process: this binary, run
    // again with the child's variables set. Hand that straight over.
    if std::env::var_os(network::CHILD_DIR).is_some() {
        return network::main();
    }
    overlay::main();
    println!();
    pijul::main();
    println!();
    git::main();
    println!();
    backfill::main();
    println!();
    audit::main();
    println!();
    checkpoints::main();
    println!();
    network::main();
    println!();
    // Last: it fails the run when a response was wrong, after printing its rows.
    serve::main();
}
