//! `attrib node`, `attrib sync` and `attrib peers`: the command-line side of the peer-to-peer
//! node (`attrib-p2p-node`).
//!
//! Only these commands start a tokio runtime, so the others (`attrib record` above all) pay
//! nothing for the network at start-up.
//!
//! - `node` runs [`attrib_p2p_node::spawn`] on the repository's store in the foreground and
//!   prints, one line each and in a stable format: `peer id PEER_ID`, then
//!   `listening on ADDRESS/p2p/PEER_ID` for every address as it comes up, then events
//!   (`connected`, `synced with`, `disconnected`, `received N records from peers`,
//!   `refused N connections`). SIGINT or SIGTERM saves the sync state, removes the status
//!   file and exits 0. Records that other `attrib` processes write to the store while it runs
//!   are picked up on the node's next tick and pushed to the peers.
//! - `sync` runs [`attrib_p2p_node::sync_once_with`] against each peer given.
//! - `peers` reads the status file a running node rewrites every second.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{now_ms, Membership, Store};
use attrib_p2p_node::{Multiaddr, NodeConfig, NodeError, PreSharedKey};
use serde_json::Value;

use super::demo;
use crate::args::{NodeArgs, SyncArgs};
use crate::context::Ctx;

/// A status file older than this means no node is running (a node rewrites it every second).
const STALE_MS: u64 = 5_000;

/// How long a node may take to open its first listening address.
const LISTEN_WITHIN: Duration = Duration::from_secs(10);

/// clap's parser for `--peer` and `--listen`.
pub fn parse_multiaddr(s: &str) -> Result<Multiaddr, String> {
    s.parse::<Multiaddr>()
        .map_err(|e| format!("not a multiaddr ({e}); e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW…"))
}

fn config_addrs(list: Option<&Vec<String>>, key: &str) -> Result<Vec<Multiaddr>> {
    list.into_iter()
        .flatten()
        .map(|s| parse_multiaddr(s).map_err(|e| anyhow!("config [p2p] {key}: {s:?} is {e}")))
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
type Names = BTreeMap<String, String>;

fn names_of(m: &Membership) -> Names {
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

fn named(names: &Names, peer: &str) -> String {
    match names.get(peer) {
        Some(n) => format!("{peer} ({n})"),
        None => peer.to_string(),
    }
}

/// Checks that this device may sync this store (identity, store, team, membership) and builds
/// the node's config from it and the `[p2p]` config (without `listen`, `peers` and `mdns`,
/// which each command settles).
fn prepare(ctx: &Ctx) -> Result<(NodeConfig, Names)> {
    let me = ctx.identity()?;
    let dir = ctx.find_store_dir()?;
    let names = {
        let store = ctx.open_store()?;
        let snap = store.snapshot()?;
        let m = snap.membership().ok_or_else(|| {
            anyhow!(
                "this store has no team; run `attrib init --team NAME` or `attrib init --join FILE`"
            )
        })?;
        let key = me.public();
        match m.members.get(&key) {
            Some(x) if x.revoked_after.is_none() => {}
            Some(_) => bail!(
                "your key {} was revoked from this team; its devices refuse to sync with it",
                key.short()
            ),
            None => bail!(
                "your key {} is not a member of this team, so its devices would refuse you; ask an admin to run `attrib team add {} --name NAME`",
                key.short(),
                key.to_hex()
            ),
        }
        names_of(m)
    };
    let mut config = NodeConfig::new(dir, me.key.secret_bytes());
    if let Some(path) = &ctx.config()?.p2p.swarm_key_file {
        config.swarm_key = Some(read_swarm_key(path)?);
    }
    Ok((config, names))
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("cannot start the async runtime")
}

fn node_error(e: NodeError) -> anyhow::Error {
    anyhow!("{e}")
}

/// `attrib node`.
pub fn node(ctx: &Ctx, out: &mut dyn Write, args: NodeArgs) -> Result<()> {
    let (mut config, names) = prepare(ctx)?;
    let p2p = ctx.config()?.p2p.clone();
    config.listen = if args.listen.is_empty() {
        config_addrs(p2p.listen.as_ref(), "listen")?
    } else {
        args.listen
    };
    for addr in &config.listen {
        check_bindable(addr)?;
    }
    config.peers = args.peer;
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

/// `attrib sync`.
pub fn sync(ctx: &Ctx, out: &mut dyn Write, args: SyncArgs) -> Result<()> {
    let (config, names) = prepare(ctx)?;
    let peers = if args.peer.is_empty() {
        config_addrs(ctx.config()?.p2p.peers.as_ref(), "peers")?
    } else {
        args.peer
    };
    if peers.is_empty() {
        bail!("no peer to sync with: give --peer MULTIADDR, or set [p2p] peers in the config");
    }
    if args.timeout == 0 {
        bail!("--timeout must be at least 1 second");
    }
    let timeout = Duration::from_secs(args.timeout);
    let mut done = Vec::new();
    let mut failed = Vec::new();
    runtime()?.block_on(async {
        for peer in &peers {
            match attrib_p2p_node::sync_once_with(config.clone(), peer.clone(), timeout).await {
                Ok(s) => {
                    done.push((peer.clone(), s));
                    if args.once {
                        break;
                    }
                }
                Err(NodeError::Timeout { peer, seconds }) => failed.push(format!(
                    "{peer}: no sync within {seconds} s (is a node of this team running there, with the same swarm key?)"
                )),
                Err(e) => failed.push(format!("{peer}: {e}")),
            }
        }
    });
    if args.json {
        let rows: Vec<Value> = done
            .iter()
            .map(|(addr, s)| {
                let mut v = serde_json::to_value(s).unwrap_or(Value::Null);
                if let Value::Object(m) = &mut v {
                    m.insert("address".into(), addr.to_string().into());
                    if let Some(n) = names.get(&s.peer_id) {
                        m.insert("name".into(), n.clone().into());
                    }
                }
                v
            })
            .collect();
        serde_json::to_writer_pretty(&mut *out, &rows)?;
        writeln!(out)?;
    } else {
        for (_, s) in &done {
            writeln!(
                out,
                "synced with {} in {} ms: received {} new record{}{}, in {} round{}; {} bytes sent, {} bytes received.",
                named(&names, &s.peer_id),
                s.millis,
                s.records_received,
                if s.records_received == 1 { "" } else { "s" },
                if s.refused > 0 { format!(" ({} refused)", s.refused) } else { String::new() },
                s.rounds,
                if s.rounds == 1 { "" } else { "s" },
                s.bytes_sent,
                s.bytes_received,
            )?;
        }
    }
    match (done.is_empty(), failed.as_slice()) {
        (_, []) => Ok(()),
        (true, [one]) => bail!("sync with {one}"),
        (true, many) => bail!("sync failed with every peer: {}", many.join("; ")),
        // With --once the first success is enough.
        (false, _) if args.once => Ok(()),
        (false, some) => bail!(
            "sync failed with {} of {} peers: {}",
            some.len(),
            peers.len(),
            some.join("; ")
        ),
    }
}

/// The status of the node running on `store_dir`, if one is.
fn running_status(store_dir: &Path) -> Option<Value> {
    let status = attrib_p2p_node::read_status(store_dir)?;
    let at = status.get("at_ms")?.as_u64()?;
    (now_ms().saturating_sub(at) <= STALE_MS).then_some(status)
}

/// `attrib peers`.
pub fn peers(ctx: &Ctx, out: &mut dyn Write, json: bool) -> Result<()> {
    let dir = ctx.find_store_dir()?;
    let mut status = running_status(&dir).ok_or_else(|| {
        anyhow!(
            "no node is running on the store in {} (start one with `attrib node`)",
            dir.display()
        )
    })?;
    let names = Store::open(&dir)
        .ok()
        .and_then(|s| s.snapshot().ok()?.membership().map(names_of))
        .unwrap_or_default();
    let list = match status.get_mut("peers") {
        Some(Value::Array(list)) => list,
        _ => bail!("the node's status file has no peer list"),
    };
    for p in list.iter_mut() {
        let name = p
            .get("peer_id")
            .and_then(Value::as_str)
            .and_then(|id| names.get(id))
            .cloned();
        if let (Value::Object(m), Some(n)) = (p, name) {
            m.insert("name".into(), n.into());
        }
    }
    if json {
        serde_json::to_writer_pretty(&mut *out, &status)?;
        writeln!(out)?;
        return Ok(());
    }
    let text = |v: &Value, k: &str| v.get(k).map(value_text).unwrap_or_default();
    writeln!(out, "node {}", text(&status, "peer_id"))?;
    if let Some(Value::Array(addrs)) = status.get("listen") {
        for a in addrs {
            writeln!(out, "  listening on {}", value_text(a))?;
        }
    }
    let peers = status.get("peers").and_then(Value::as_array);
    match peers {
        Some(list) if !list.is_empty() => {
            writeln!(
                out,
                "{:<54} {:<12} {:>6} {:<8} {:>8} {:>8}",
                "PEER", "NAME", "SCORE", "STATE", "SESSIONS", "RECEIVED"
            )?;
            for p in list {
                let state = if p.get("syncing") == Some(&Value::Bool(true)) {
                    "syncing"
                } else if p.get("synced") == Some(&Value::Bool(true)) {
                    "synced"
                } else {
                    "waiting"
                };
                writeln!(
                    out,
                    "{:<54} {:<12} {:>6} {:<8} {:>8} {:>8}",
                    text(p, "peer_id"),
                    text(p, "name"),
                    text(p, "score"),
                    state,
                    text(p, "sessions"),
                    text(p, "records_received"),
                )?;
            }
        }
        _ => writeln!(out, "no peers connected")?,
    }
    if let Some(c) = status.get("counters") {
        writeln!(
            out,
            "records received {}, refused {}, published {}; connections refused {}; outbox {}",
            text(c, "records_accepted"),
            text(c, "records_refused"),
            text(c, "records_published"),
            text(c, "gated"),
            text(&status, "outbox"),
        )?;
    }
    Ok(())
}

fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `attrib demo`'s network act: three nodes in this process on loopback (`members` are alice,
/// bob and carol, already in one team and holding the same records), records made while
/// carol's node is offline, all three converging, and a stranger's node refused.
pub fn demo_act(out: &mut dyn Write, root: &Path, members: [(&str, &Ctx); 3]) -> Result<()> {
    // A stranger holding a copy of the team's records, but no grant: taken before any node runs.
    let stranger_dir = root.join("mallory").join("store");
    std::fs::create_dir_all(&stranger_dir)?;
    let alice_dir = members[0].1.find_store_dir()?;
    std::fs::copy(
        alice_dir.join(attrib_overlay::store::STORE_FILE),
        stranger_dir.join(attrib_overlay::store::STORE_FILE),
    )?;
    let mallory = attrib_overlay::Identity::generate()?;
    runtime()?.block_on(demo_story(
        out,
        members,
        stranger_dir,
        mallory.secret_bytes(),
    ))
}

fn demo_config(store_dir: std::path::PathBuf, secret: [u8; 32]) -> Result<NodeConfig> {
    let mut c = NodeConfig::new(store_dir, secret);
    c.mdns = false;
    c.listen = vec![parse_multiaddr("/ip4/127.0.0.1/tcp/0").map_err(anyhow::Error::msg)?];
    c.tick = Duration::from_millis(100);
    Ok(c)
}

async fn demo_node(ctx: &Ctx, dial: Option<&Multiaddr>) -> Result<attrib_p2p_node::NodeHandle> {
    let mut c = demo_config(ctx.find_store_dir()?, ctx.identity()?.key.secret_bytes())?;
    c.peers.extend(dial.cloned());
    attrib_p2p_node::spawn(c).await.map_err(node_error)
}

/// A node's dialable loopback address, once it listens.
async fn demo_address(node: &attrib_p2p_node::NodeHandle) -> Result<Multiaddr> {
    for _ in 0..200 {
        if let Some(a) = node.status().await.map_err(node_error)?.listen.first() {
            return parse_multiaddr(&format!("{a}/p2p/{}", node.peer_id))
                .map_err(anyhow::Error::msg);
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("the demo's node never listened")
}

/// The [`demo::view_digest`] of `ctx`'s store, opened as it is (no Pijul reconciliation).
fn view_digest(ctx: &Ctx) -> Result<String> {
    demo::view_digest(&Store::open(&ctx.find_store_dir()?)?)
}

/// Waits until every context shows the same view, and returns it with the time it took.
async fn demo_converge(ctxs: &[&Ctx]) -> Result<(String, Duration)> {
    let start = Instant::now();
    loop {
        let digests = ctxs
            .iter()
            .map(|c| view_digest(c))
            .collect::<Result<Vec<_>>>()?;
        if digests.iter().all(|d| *d == digests[0]) {
            return Ok((digests[0].clone(), start.elapsed()));
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("the demo's nodes did not converge within 30 s: {digests:?}");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn demo_patch(label: &str) -> String {
    let digest = blake3::hash(format!("attrib demo network patch {label}").as_bytes());
    let mut raw = [0u8; 33];
    raw[1..].copy_from_slice(digest.as_bytes());
    attrib_overlay::PatchId::from_change_hash(&raw).to_string()
}

fn demo_annotate(
    out: &mut dyn Write,
    name: &str,
    ctx: &Ctx,
    label: &str,
    model: &str,
) -> Result<()> {
    write!(out, "    {name:<5} ")?;
    super::annotate::annotate(
        ctx,
        out,
        crate::args::AnnotateArgs {
            patch: demo_patch(label),
            capture: crate::args::CaptureArgs {
                ai_provider: Some("anthropic".into()),
                ai_model: Some(model.into()),
                ..Default::default()
            },
            description: Some(format!("{label}, written while the nodes run")),
            depends_on: vec![],
            conflicts_with: vec![],
            ai_lines: vec![],
            origin: crate::args::OriginArg::Human,
            json: false,
        },
    )
}

async fn demo_story(
    out: &mut dyn Write,
    members: [(&str, &Ctx); 3],
    stranger_dir: std::path::PathBuf,
    stranger_secret: [u8; 32],
) -> Result<()> {
    let [(a_name, alice), (b_name, bob), (c_name, carol)] = members;
    let a = demo_node(alice, None).await?;
    let a_addr = demo_address(&a).await?;
    writeln!(out, "    {a_name}'s node listens on {a_addr}")?;
    let b = demo_node(bob, Some(&a_addr)).await?;
    let b_addr = demo_address(&b).await?;
    writeln!(
        out,
        "    {b_name}'s node dials {a_name}'s; {c_name}'s node is offline"
    )?;

    demo_annotate(out, a_name, alice, "net-1", "claude-sonnet-4")?;
    demo_annotate(out, b_name, bob, "net-2", "claude-opus-4")?;
    let (view, took) = demo_converge(&[alice, bob]).await?;
    writeln!(
        out,
        "    {a_name} and {b_name} hold the same view {view}, {} ms after the last write: pushed on gossip",
        took.as_millis()
    )?;

    demo_annotate(out, c_name, carol, "net-3", "claude-haiku-4")?;
    writeln!(
        out,
        "    ({c_name} wrote that offline; now her node dials {b_name}'s)"
    )?;
    let c = demo_node(carol, Some(&b_addr)).await?;
    let (view, took) = demo_converge(&[alice, bob, carol]).await?;
    writeln!(
        out,
        "    all three converge in {} ms: catch-up on connect, and {c_name}'s record reaches {a_name} through {b_name}",
        took.as_millis()
    )?;
    for (name, ctx) in members {
        writeln!(out, "    {name:<5} view {}", view_digest(ctx)?)?;
    }

    let before = a.status().await.map_err(node_error)?.counters.gated;
    let mut s = demo_config(stranger_dir, stranger_secret)?;
    s.peers = vec![a_addr.clone()];
    let stranger = attrib_p2p_node::spawn(s).await.map_err(node_error)?;
    writeln!(
        out,
        "    mallory, with a copy of the team's records but no grant, dials {a_name}'s node:"
    )?;
    let start = Instant::now();
    loop {
        let status = a.status().await.map_err(node_error)?;
        if status.counters.gated > before {
            let still = status
                .peers
                .iter()
                .any(|p| p.peer_id == stranger.peer_id.to_string());
            writeln!(
                out,
                "    -> refused: not a member of the team; the connection is closed{}",
                if still { " (still listed!)" } else { "" }
            )?;
            if still {
                bail!("the stranger's node is still connected");
            }
            break;
        }
        if start.elapsed() > Duration::from_secs(30) {
            bail!("the stranger's node was never refused");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let after = view_digest(alice)?;
    writeln!(out, "    {a_name}'s view is unchanged: {after}")?;
    if after != view {
        bail!("the stranger changed the view");
    }
    for n in [stranger, c, b, a] {
        n.shutdown().await.map_err(node_error)?;
    }
    Ok(())
}
