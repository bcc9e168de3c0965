//! `attrib-node`: the peer-to-peer side of attrib, in its own binary so that the `attrib`
//! command people and agent hooks run all day starts without libp2p or an async runtime.
//! `attrib node`, `attrib sync` and `attrib peers` run it with their own arguments; it parses
//! the same grammar, and keeps the same error contract.

mod demo;
mod node;
mod peers;
mod serve;
mod sync;

use std::io::Write;
use std::process::ExitCode;

use anyhow::{bail, Result};
use attrib_cli::args::{Cli, Command};
use attrib_cli::errors;
use clap::Parser;

/// The node and the server allocate many small, short-lived values per message and per request
/// (GraphQL answers above all); mimalloc serves those faster than the system allocator. The slim
/// `attrib` keeps the system allocator: it starts in a millisecond and allocates little.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return ExitCode::from(errors::clap_error(e)),
    };
    // The node's own diagnostics (connections, sync sessions, refusals) go to stderr through
    // `tracing` when ATTRIB_LOG asks for them (e.g. ATTRIB_LOG=debug); the lines on stdout are
    // the stable interface.
    if let Ok(filter) = tracing_subscriber::EnvFilter::try_from_env("ATTRIB_LOG") {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
    }
    let mut out = std::io::stdout().lock();
    let result = run(cli, &mut out);
    ExitCode::from(errors::finish(result, &mut out))
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    // Usage errors found in the values (multiaddrs) keep the usage-error exit code.
    match cli.command {
        Command::DemoNetwork(a) => demo::run(out, &a.root),
        Command::Node(a) => {
            let ws = attrib_cli::start::workspace(cli.repo)?;
            node::run(&ws, out, a)
        }
        Command::Sync(a) => {
            let ws = attrib_cli::start::workspace(cli.repo)?;
            sync::run(&ws, out, a)
        }
        Command::Serve(a) => {
            let ws = attrib_cli::start::workspace(cli.repo)?;
            serve::run(ws, out, a)
        }
        Command::Peers(f) => {
            let ws = attrib_cli::start::workspace(cli.repo)?;
            peers::run(&ws, out, f.json)
        }
        _ => bail!(
            "attrib-node runs only `node`, `sync`, `peers` and `serve`; run `attrib` for the rest"
        ),
    }
}
