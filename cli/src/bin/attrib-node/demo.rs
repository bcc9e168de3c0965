//! `attrib demo`'s network act, run in this binary (it needs the network): three nodes in one
//! process on loopback, the demo's members, converging; a stranger refused.

use std::io::Write;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use attrib_cli::demo::{patch, workspace_of, MEMBERS};
use attrib_overlay::{AiAssistance, Origin, Store, SuggestionType};
use attrib_p2p_node::{Multiaddr, NodeConfig};
use attrib_query::records::ai_summary;
use attrib_workspace::claim::{attest, Claim};
use attrib_workspace::Workspace;

use crate::node::runtime;

fn node_error(e: attrib_p2p_node::NodeError) -> anyhow::Error {
    anyhow::anyhow!("{e}")
}

fn parse_multiaddr(s: &str) -> Result<Multiaddr> {
    attrib_p2p_node::parse_multiaddr(s).map_err(anyhow::Error::msg)
}

/// `attrib demo`'s network act: three nodes in this process on loopback (the members alice, bob
/// and carol in `root`, already in one team and holding the same records), records made while
/// carol's node is offline, all three converging, and a stranger's node refused.
pub fn run(out: &mut dyn Write, root: &Path) -> Result<()> {
    let [a, b, c] = MEMBERS;
    let (alice, bob, carol) = (
        workspace_of(root, a)?,
        workspace_of(root, b)?,
        workspace_of(root, c)?,
    );
    let members = [(a, &alice), (b, &bob), (c, &carol)];
    // A stranger holding a copy of the team's records, but no grant: taken before any node runs.
    let stranger_dir = root.join("mallory").join("store");
    std::fs::create_dir_all(&stranger_dir)?;
    let alice_dir = alice.store_dir()?;
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
    c.listen = vec![parse_multiaddr("/ip4/127.0.0.1/tcp/0")?];
    c.tick = Duration::from_millis(100);
    Ok(c)
}

async fn demo_node(
    ws: &Workspace,
    dial: Option<&Multiaddr>,
) -> Result<attrib_p2p_node::NodeHandle> {
    let mut c = demo_config(
        ws.store_dir()?.to_path_buf(),
        ws.identity()?.key.secret_bytes(),
    )?;
    c.peers.extend(dial.cloned());
    attrib_p2p_node::spawn(c).await.map_err(node_error)
}

/// A node's dialable loopback address, once it listens.
async fn demo_address(node: &attrib_p2p_node::NodeHandle) -> Result<Multiaddr> {
    for _ in 0..200 {
        if let Some(a) = node.status().await.map_err(node_error)?.listen.first() {
            return parse_multiaddr(&format!("{a}/p2p/{}", node.peer_id));
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    bail!("the demo's node never listened")
}

/// The view digest of a member's store, opened afresh (the nodes write to it meanwhile).
fn view_digest(ws: &Workspace) -> Result<String> {
    let store = Store::open_existing(ws.store_dir()?)?;
    let snap = store.snapshot()?;
    attrib_query::digest::view_digest(&snap)
}

/// Waits until every context shows the same view, and returns it with the time it took.
async fn demo_converge(ctxs: &[&Workspace]) -> Result<(String, Duration)> {
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

/// A member attests a synthetic patch, as `attrib annotate` would, and says so.
fn demo_annotate(
    out: &mut dyn Write,
    name: &str,
    ws: &Workspace,
    label: &str,
    model: &str,
) -> Result<()> {
    let me = ws.identity()?;
    let claim = Claim {
        ai: Some(AiAssistance::new(
            "anthropic",
            model,
            SuggestionType::Partial,
        )),
        description: Some(format!("{label}, written while the nodes run")),
        decided: true,
        ..Claim::new(Origin::Person)
    };
    let signed = attest(ws, &me, patch(label), claim)?;
    writeln!(
        out,
        "    {name:<5} attested {} as {} (record #{}, {})",
        patch(label),
        ai_summary(&signed),
        signed.record.seq,
        signed.id().short()
    )?;
    Ok(())
}

async fn demo_story(
    out: &mut dyn Write,
    members: [(&str, &Workspace); 3],
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
    for (name, ws) in members {
        writeln!(out, "    {name:<5} view {}", view_digest(ws)?)?;
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
