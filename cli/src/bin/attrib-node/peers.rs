//! `attrib peers`: the peers a running node is connected to, from the status file it rewrites
//! every second.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{now_ms, Store};
use attrib_workspace::Workspace;
use serde_json::Value;

use crate::node::names_of;

/// A status file older than this means no node is running (a node rewrites it every second).
const STALE_MS: u64 = 5_000;

/// The status of the node running on `store_dir`, if one is.
fn running_status(store_dir: &Path) -> Option<Value> {
    let status = attrib_p2p_node::read_status(store_dir)?;
    let at = status.get("at_ms")?.as_u64()?;
    (now_ms().saturating_sub(at) <= STALE_MS).then_some(status)
}

/// `attrib peers`.
pub fn run(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    let dir = ws.store_dir()?;
    let mut status = running_status(dir).ok_or_else(|| {
        anyhow!(
            "no node is running on the store in {} (start one with `attrib node`)",
            dir.display()
        )
    })?;
    let names = Store::open_existing(dir)
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
