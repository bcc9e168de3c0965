//! `attrib serve`: the GraphQL API, the live dashboard and the metrics
//! ([`attrib_serve::serve`]), with the node in the same process when `--node` asks for it.
//! Prints `serving http://ADDRESS/` once it listens, the node's lines with `--node`, and
//! `stopped` after a drain; SIGINT or SIGTERM drains and exits 0.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::{bail, Context as _, Result};
use attrib_cli::args::ServeArgs;
use attrib_serve::{Limits, ServeConfig, ServeEvent};
use attrib_workspace::Workspace;

use crate::node;

/// The token in `path`: its first line, trimmed.
fn read_token(path: &Path) -> Result<String> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the token file {}", path.display()))?;
    let token = text.lines().next().unwrap_or_default().trim();
    if token.len() < 16 {
        bail!(
            "the token in {} is {} characters; use at least 16 (e.g. `head -c 24 /dev/urandom | base64 > FILE`)",
            path.display(),
            token.len()
        );
    }
    Ok(token.to_string())
}

/// `attrib serve`.
pub fn run(ws: Workspace, out: &mut dyn Write, args: ServeArgs) -> Result<()> {
    let token = args.token_file.as_deref().map(read_token).transpose()?;
    let node = if args.node {
        Some(node::configure(
            &ws,
            &args.node_listen,
            &args.peer,
            args.no_mdns,
        )?)
    } else {
        None
    };
    let config = ServeConfig {
        listen: args.listen,
        token,
        limits: Limits {
            rate_per_second: args.rate_limit,
            rate_burst: args.rate_limit.saturating_mul(2),
            ..Limits::default()
        },
        node,
    };
    let follow = config.node.is_some();
    let ws = Arc::new(ws);
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        // With the node, the server attests plain records as `attrib node` does.
        if follow {
            s.spawn(|| node::follow_channel(&ws, &stop));
        }
        let ran = node::runtime().and_then(|rt| {
            rt.block_on(async {
                let shutdown = attrib_p2p_node::shutdown_signals()?;
                attrib_serve::serve(ws.clone(), config, shutdown, |event| {
                    // Best effort: a closed stdout must not stop the server.
                    let _ = match event {
                        ServeEvent::Listening(addr) => writeln!(out, "serving http://{addr}/"),
                        ServeEvent::Node(e) => writeln!(out, "{e}"),
                        ServeEvent::Stopped => writeln!(out, "stopped"),
                    };
                    let _ = out.flush();
                })
                .await
                .map_err(anyhow::Error::from)
            })
        });
        stop.store(true, Ordering::Relaxed);
        ran
    })
}
