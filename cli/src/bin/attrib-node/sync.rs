//! `attrib sync`: one catch-up with each peer given, without a running node, then a summary.

use std::io::Write;
use std::time::Duration;

use anyhow::{bail, Result};
use attrib_cli::args::SyncArgs;
use attrib_p2p_node::NodeError;
use attrib_workspace::Workspace;
use serde_json::Value;

use crate::node::{config_addrs, parse_multiaddrs, prepare, runtime};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: SyncArgs) -> Result<()> {
    let given = parse_multiaddrs("--peer", &args.peer)?;
    let (config, names) = prepare(ws)?;
    let peers = if given.is_empty() {
        config_addrs(ws.config()?.p2p.peers.as_ref(), "peers")?
    } else {
        given
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
                        m.insert("name".into(), n.into());
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
                names.label(&s.peer_id),
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
