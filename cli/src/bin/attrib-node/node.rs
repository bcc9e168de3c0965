//! `attrib node`: runs the peer-to-peer node on the workspace's store in the foreground
//! ([`attrib_p2p_node::run_until`]) and prints each [`attrib_p2p_node::NodeEvent`] as its line:
//! `peer id PEER_ID`, `listening on ADDRESS/p2p/PEER_ID` per address, then `connected`,
//! `synced with`, `disconnected`, `received N records from peers`, `refused N connections`.
//! SIGINT or SIGTERM saves the sync state and exits 0.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::{anyhow, Context as _, Result};
use attrib_cli::args::NodeArgs;
use attrib_cli::errors::UsageError;
use attrib_p2p_node::{MemberNames, Multiaddr, NodeConfig};
use attrib_workspace::signing::{require_admitted, Purpose};
use attrib_workspace::Workspace;

/// The multiaddrs given with `flag`; a malformed one is a usage error.
pub fn parse_multiaddrs(flag: &str, list: &[String]) -> Result<Vec<Multiaddr>> {
    list.iter()
        .map(|s| {
            attrib_p2p_node::parse_multiaddr(s).map_err(|why| {
                anyhow!(UsageError(format!(
                    "invalid value '{s}' for '{flag} <MULTIADDR>': {why}"
                )))
            })
        })
        .collect()
}

/// The multiaddrs of a `[p2p]` config key.
pub fn config_addrs(list: Option<&Vec<String>>, key: &str) -> Result<Vec<Multiaddr>> {
    list.into_iter()
        .flatten()
        .map(|s| {
            attrib_p2p_node::parse_multiaddr(s)
                .map_err(|why| anyhow!("config [p2p] {key}: {s:?} is {why}"))
        })
        .collect()
}

/// Checks that this device may sync this store (identity, store, team, membership) and builds
/// the node's config from it and the `[p2p]` config (without `listen`, `peers` and `mdns`,
/// which each command settles).
pub fn prepare(ws: &Workspace) -> Result<(NodeConfig, MemberNames)> {
    let me = ws.identity()?;
    let dir = ws.store_dir()?.to_path_buf();
    attrib_cli::notices::reconcile(ws)?;
    let names = {
        let snap = ws.store()?.snapshot()?;
        require_admitted(&snap, &me.public(), Purpose::Sync)?;
        snap.membership().map(MemberNames::of).unwrap_or_default()
    };
    let mut config = NodeConfig::new(dir, me.key.secret_bytes());
    if let Some(path) = &ws.config()?.p2p.swarm_key_file {
        config.swarm_key = Some(attrib_p2p_node::read_swarm_key(path)?);
    }
    Ok((config, names))
}

/// The async runtime the node commands run in: two workers, as the machine's cores allow.
pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

/// The node's whole config: [`prepare`]'s, with the listen addresses and peers given on the
/// command line (else the config's `[p2p]` ones) and mDNS unless turned off.
pub fn configure(
    ws: &Workspace,
    listen: &[String],
    peers: &[String],
    no_mdns: bool,
) -> Result<(NodeConfig, MemberNames)> {
    let listen = parse_multiaddrs("--listen", listen)?;
    let peers = parse_multiaddrs("--peer", peers)?;
    let (mut config, names) = prepare(ws)?;
    let p2p = ws.config()?.p2p.clone();
    config.listen = if listen.is_empty() {
        config_addrs(p2p.listen.as_ref(), "listen")?
    } else {
        listen
    };
    for addr in &config.listen {
        attrib_p2p_node::check_bindable(addr)?;
    }
    config.peers = peers;
    config
        .peers
        .extend(config_addrs(p2p.peers.as_ref(), "peers")?);
    config.mdns = !no_mdns && p2p.mdns.unwrap_or(true);
    Ok((config, names))
}

/// `attrib node`.
pub fn run(ws: &Workspace, out: &mut dyn Write, args: NodeArgs) -> Result<()> {
    let (config, names) = configure(ws, &args.listen, &args.peer, args.no_mdns)?;
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| follow_channel(ws, &stop));
        let ran = runtime().and_then(|rt| {
            rt.block_on(async {
                let shutdown = attrib_p2p_node::shutdown_signals()?;
                attrib_p2p_node::run_until(config, names, shutdown, |event| {
                    // Best effort: a closed stdout must not stop the node.
                    let _ = writeln!(out, "{event}");
                    let _ = out.flush();
                })
                .await
            })
            .map_err(anyhow::Error::from)
        });
        stop.store(true, Ordering::Relaxed);
        ran
    })
}

/// How often the node looks at the repository's channel. A plain `pijul record` is attested
/// (from agents' checkpoints or the pre-record hook's capture) within this and the time the
/// attestation takes; an unchanged channel costs one `stat` of the pristine and a read of the
/// tracker.
const FOLLOW_EVERY: Duration = Duration::from_millis(250);

/// Reconciles the workspace with its channel every [`FOLLOW_EVERY`] until `stop`, so that
/// changes recorded without attrib are attested while the node runs, with no process added to
/// the record itself. Says on stderr what it signed; a warning is said once, not every tick.
pub fn follow_channel(ws: &Workspace, stop: &AtomicBool) {
    let mut said: Vec<String> = Vec::new();
    while !stop.load(Ordering::Relaxed) {
        std::thread::sleep(FOLLOW_EVERY);
        let warnings = match attrib_workspace::reconcile(ws) {
            Ok(done) => {
                attrib_cli::notices::print_attested(&done);
                let mut w = done.warnings;
                if let Err(e) = done.channel {
                    w.push(format!("the channel is not followed: {e}"));
                }
                w
            }
            Err(e) => vec![format!("the channel is not followed: {e:#}")],
        };
        for w in warnings.iter().filter(|w| !said.contains(w)) {
            attrib_cli::notices::warn(w);
        }
        said = warnings;
    }
}
