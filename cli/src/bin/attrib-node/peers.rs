//! `attrib peers`: the peers a running node is connected to, from the status file it rewrites
//! every second.

use std::io::Write;

use anyhow::{anyhow, Result};
use attrib_p2p_node::MemberNames;
use attrib_workspace::Workspace;
use serde_json::Value;

/// `attrib peers`.
pub fn run(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    let dir = ws.store_dir()?;
    let mut status = attrib_p2p_node::running_status(dir).ok_or_else(|| {
        anyhow!(
            "no node is running on the store in {} (start one with `attrib node`)",
            dir.display()
        )
    })?;
    let names = ws
        .store()
        .ok()
        .and_then(|s| s.snapshot().ok()?.membership().map(MemberNames::of))
        .unwrap_or_default();
    attrib_p2p_node::name_peers(&mut status, &names)?;
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
