//! `attrib node`: runs the peer-to-peer node on the workspace's store in the foreground and
//! prints, one line each and in a stable format: `peer id PEER_ID`, then
//! `listening on ADDRESS/p2p/PEER_ID` for every address as it comes up, then events
//! (`connected`, `synced with`, `disconnected`, `received N records from peers`,
//! `refused N connections`). SIGINT or SIGTERM saves the sync state, removes the status file
//! and exits 0. Records that other `attrib` processes write to the store while it runs are
//! picked up on the node's next tick and pushed to the peers.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context as _, Result};
use attrib_cli::args::NodeArgs;
use attrib_cli::errors::UsageError;
use attrib_overlay::Membership;
use attrib_p2p_node::{Multiaddr, NodeConfig, NodeError, PreSharedKey};
use attrib_workspace::signing::{require_admitted, Purpose};
use attrib_workspace::Workspace;

/// How long a node may take to open its first listening address.
const LISTEN_WITHIN: Duration = Duration::from_secs(10);

/// A multiaddr given with `flag`; a malformed one is a usage error.
pub fn parse_multiaddr(flag: &str, s: &str) -> Result<Multiaddr> {
    s.parse::<Multiaddr>().map_err(|e| {
        anyhow!(UsageError(format!(
            "invalid value '{s}' for '{flag} <MULTIADDR>': not a multiaddr ({e}); e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…"
        )))
    })
}

/// The multiaddrs given with `flag`.
pub fn parse_multiaddrs(flag: &str, list: &[String]) -> Result<Vec<Multiaddr>> {
    list.iter().map(|s| parse_multiaddr(flag, s)).collect()
}

/// The multiaddrs of a config key.
pub fn config_addrs(list: Option<&Vec<String>>, key: &str) -> Result<Vec<Multiaddr>> {
    list.into_iter()
        .flatten()
        .map(|s| {
            s.parse::<Multiaddr>().map_err(|e| {
                anyhow!("config [p2p] {key}: {s:?} is not a multiaddr ({e}); e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…")
            })
        })
        .collect()
}

/// Reads a libp2p swarm key file (`/key/swarm/psk/1.0.0/`, `/base16/`, 64 hex digits).
pub fn read_swarm_key(path: &Path) -> Result<PreSharedKey> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the swarm key file {}", path.display()))?;
    text.parse::<PreSharedKey>().map_err(|e| {
        use attrib_p2p_node::KeyParseError as K;
        let why = match e {
            K::InvalidKeyFile => "it does not have the three lines of a key file",
            K::InvalidKeyType => "its first line is not /key/swarm/psk/1.0.0/",
            K::InvalidKeyEncoding => "its second line is not /base16/",
            K::InvalidKeyLength => "its key is not 64 hex digits",
            K::InvalidKeyChar(_) => "its key has a character that is not a hex digit",
        };
        anyhow!("{} is not a swarm key: {why}", path.display())
    })
}

/// Fails with the system's reason when `addr` (`/ip4|ip6/…/tcp|udp/PORT…`) names an address
/// this machine cannot bind, before the node starts (libp2p reports it without the reason).
fn check_bindable(addr: &Multiaddr) -> Result<()> {
    let text = addr.to_string();
    let parts: Vec<&str> = text.split('/').collect();
    let (ip, proto, port) = match parts.as_slice() {
        ["", "ip4" | "ip6", ip, proto @ ("tcp" | "udp"), port, ..] => (*ip, *proto, *port),
        _ => return Ok(()),
    };
    let (Ok(ip), Ok(port)) = (ip.parse::<std::net::IpAddr>(), port.parse::<u16>()) else {
        return Ok(());
    };
    let result = if proto == "tcp" {
        std::net::TcpListener::bind((ip, port)).map(drop)
    } else {
        std::net::UdpSocket::bind((ip, port)).map(drop)
    };
    result.map_err(|e| anyhow!("cannot listen on {addr}: {e}"))
}

/// Member names by peer id, for output.
pub type Names = BTreeMap<String, String>;

pub fn names_of(m: &Membership) -> Names {
    m.members
        .values()
        .filter_map(|x| {
            Some((
                attrib_p2p_node::peer_id_of(&x.key)?.to_string(),
                x.name.clone(),
            ))
        })
        .collect()
}

pub fn named(names: &Names, peer: &str) -> String {
    match names.get(peer) {
        Some(n) => format!("{peer} ({n})"),
        None => peer.to_string(),
    }
}

/// Checks that this device may sync this store (identity, store, team, membership) and builds
/// the node's config from it and the `[p2p]` config (without `listen`, `peers` and `mdns`,
/// which each command settles).
pub fn prepare(ws: &Workspace) -> Result<(NodeConfig, Names)> {
    let me = ws.identity()?;
    let dir = ws.store_dir()?.to_path_buf();
    attrib_cli::notices::reconcile(ws)?;
    let names = {
        let snap = ws.store()?.snapshot()?;
        require_admitted(&snap, &me.public(), Purpose::Sync)?;
        snap.membership().map(names_of).unwrap_or_default()
    };
    let mut config = NodeConfig::new(dir, me.key.secret_bytes());
    if let Some(path) = &ws.config()?.p2p.swarm_key_file {
        config.swarm_key = Some(read_swarm_key(path)?);
    }
    Ok((config, names))
}

pub fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

pub fn node_error(e: NodeError) -> anyhow::Error {
    anyhow!("{e}")
}

/// `attrib node`.
pub fn run(ws: &Workspace, out: &mut dyn Write, args: NodeArgs) -> Result<()> {
    let listen = parse_multiaddrs("--listen", &args.listen)?;
    let peers = parse_multiaddrs("--peer", &args.peer)?;
    let (mut config, names) = prepare(ws)?;
    let p2p = ws.config()?.p2p.clone();
    config.listen = if listen.is_empty() {
        config_addrs(p2p.listen.as_ref(), "listen")?
    } else {
        listen
    };
    for addr in &config.listen {
        check_bindable(addr)?;
    }
    config.peers = peers;
    config
        .peers
        .extend(config_addrs(p2p.peers.as_ref(), "peers")?);
    config.mdns = !args.no_mdns && p2p.mdns.unwrap_or(true);
    runtime()?.block_on(run_node(out, config, names))
}

/// Best-effort output: a closed stdout must not stop the node.
macro_rules! say {
    ($out:expr, $($arg:tt)*) => {{
        let _ = writeln!($out, $($arg)*);
        let _ = $out.flush();
    }};
}

async fn run_node(out: &mut dyn Write, config: NodeConfig, names: Names) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).context("cannot watch for SIGTERM")?;
    let mut int = signal(SignalKind::interrupt()).context("cannot watch for SIGINT")?;
    let store_dir = config.store_dir.clone();
    let keyed = config.swarm_key;
    let asked: Vec<String> = config.listen.iter().map(|a| a.to_string()).collect();
    let mut redial: Vec<Redial> = config.peers.iter().map(Redial::new).collect();
    let handle = attrib_p2p_node::spawn(config)
        .await
        .map_err(|e| anyhow!("cannot start the node: {e}"))?;
    let me = handle.peer_id.to_string();
    say!(out, "peer id {me}");
    if let Some(k) = keyed {
        say!(
            out,
            "swarm key {} (TCP only: QUIC cannot carry a swarm key)",
            k.fingerprint()
        );
    }

    let started = Instant::now();
    let mut addrs = BTreeSet::new();
    let mut peers: BTreeMap<String, bool> = BTreeMap::new();
    let mut received = 0u64;
    let mut gated = 0u64;
    let mut poll = tokio::time::interval(Duration::from_millis(100));
    let result = loop {
        tokio::select! {
            _ = term.recv() => break Ok(()),
            _ = int.recv() => break Ok(()),
            _ = poll.tick() => {
                let status = match handle.status().await {
                    Ok(s) => s,
                    Err(e) => break Err(anyhow!("the node stopped: {e}")),
                };
                for a in &status.listen {
                    if addrs.insert(a.clone()) {
                        say!(out, "listening on {a}/p2p/{me}");
                    }
                }
                if addrs.is_empty() && started.elapsed() > LISTEN_WITHIN {
                    let what = if asked.is_empty() { "any address".to_string() } else { asked.join(", ") };
                    break Err(anyhow!("could not listen on {what} (in use, or not an address of this machine?)"));
                }
                let now: BTreeMap<String, bool> = status
                    .peers
                    .iter()
                    .map(|p| (p.peer_id.clone(), p.info.synced))
                    .collect();
                for (p, synced) in &now {
                    match peers.get(p) {
                        None => say!(out, "connected {}", named(&names, p)),
                        Some(false) if *synced => {}
                        _ => continue,
                    }
                    if *synced {
                        say!(out, "synced with {}", named(&names, p));
                    }
                }
                for p in peers.keys().filter(|p| !now.contains_key(*p)) {
                    say!(out, "disconnected {}", named(&names, p));
                }
                for r in &mut redial {
                    if let Some(addr) = r.due(&now) {
                        let _ = handle.dial(addr);
                    }
                }
                peers = now;
                let c = &status.counters;
                if c.records_accepted != received {
                    received = c.records_accepted;
                    say!(out, "received {received} records from peers");
                }
                if c.gated != gated {
                    gated = c.gated;
                    say!(out, "refused {gated} connections (not a member of the team, or banned)");
                }
                // Fast at first (tests and people wait for the address), then once a second.
                if started.elapsed() > Duration::from_secs(5) && poll.period() < Duration::from_secs(1) {
                    poll = tokio::time::interval(Duration::from_secs(1));
                    poll.reset();
                }
            }
        }
    };
    let stopped = handle.shutdown().await.map_err(node_error);
    // No node runs here any more: `attrib peers` must not show a stale status.
    let _ = std::fs::remove_file(store_dir.join(attrib_p2p_node::node::STATUS_FILE));
    result?;
    stopped?;
    say!(out, "stopped; sync state saved");
    Ok(())
}

/// A configured peer that is dialled again while it is not connected (after a partition, or
/// when it restarts), with a growing pause between attempts. An address without `/p2p/PEER_ID`
/// is dialled again only while no peer at all is connected.
struct Redial {
    addr: Multiaddr,
    peer: Option<String>,
    next: Instant,
    pause: Duration,
}

impl Redial {
    const FIRST: Duration = Duration::from_secs(2);
    const MOST: Duration = Duration::from_secs(30);

    fn new(addr: &Multiaddr) -> Redial {
        let text = addr.to_string();
        let peer = text
            .rsplit_once("/p2p/")
            .map(|(_, id)| id.split('/').next().unwrap_or(id).to_string());
        Redial {
            addr: addr.clone(),
            peer,
            // The node dials every configured peer as it starts.
            next: Instant::now() + Redial::FIRST,
            pause: Redial::FIRST,
        }
    }

    /// The address to dial now, if it is time to.
    fn due(&mut self, connected: &BTreeMap<String, bool>) -> Option<Multiaddr> {
        let up = match &self.peer {
            Some(p) => connected.contains_key(p),
            None => !connected.is_empty(),
        };
        let now = Instant::now();
        if up {
            self.pause = Redial::FIRST;
            self.next = now + Redial::FIRST;
            return None;
        }
        if now < self.next {
            return None;
        }
        self.next = now + self.pause;
        self.pause = (self.pause * 2).min(Redial::MOST);
        Some(self.addr.clone())
    }
}
