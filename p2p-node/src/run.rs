//! Running a node in the foreground until it is told to stop: what `attrib node` does, minus
//! the printing.
//!
//! [`run_until`] spawns the node, polls its status, turns the changes into [`NodeEvent`]s
//! through a [`NodeWatch`] and hands each to a callback, redials configured peers that are
//! gone, and on shutdown saves the sync state and removes the status file (so that `attrib
//! peers` does not report a node that no longer runs).

use std::future::Future;
use std::time::{Duration, Instant};

use crate::names::MemberNames;
use crate::node::{spawn, NodeConfig, NodeError, STATUS_FILE};
use crate::watch::{NodeEvent, NodeWatch};

/// How long a node may take to open its first listening address before [`run_until`] gives up
/// with [`RunError::NotListening`] (a port in use, or an address this machine does not have).
pub const LISTEN_WITHIN: Duration = Duration::from_secs(10);

/// How often the status is polled while the node starts: people and tests wait for the
/// `listening on` line, and a connection made at start should show at once.
pub const FAST_POLL: Duration = Duration::from_millis(100);

/// How long after start the status is polled at [`FAST_POLL`].
pub const FAST_POLL_FOR: Duration = Duration::from_secs(5);

/// How often the status is polled after [`FAST_POLL_FOR`]: events then show within a second.
pub const SLOW_POLL: Duration = Duration::from_secs(1);

/// Why [`run_until`] ended with an error. Each displays as one line for the user.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The node could not start (the store, the key, an address that libp2p refuses).
    // The inner error is in the message, so it is not also a `source` (a `{:#}` chain would
    // print it twice).
    #[error("cannot start the node: {0}")]
    Start(NodeError),
    /// The node's task ended while it was being watched (its error says why).
    #[error("the node stopped: {0}")]
    Stopped(NodeError),
    /// No listen address came up within [`LISTEN_WITHIN`]. `asked` lists the addresses the
    /// configuration asked for; empty means the defaults (every interface, free ports).
    #[error(
        "could not listen on {} (in use, or not an address of this machine?)",
        listen_targets(.asked)
    )]
    NotListening {
        /// The configured listen addresses, as text.
        asked: Vec<String>,
    },
    /// Saving the sync state or stopping the node's task failed at shutdown.
    #[error("{0}")]
    Shutdown(NodeError),
    /// A termination signal handler could not be installed (see [`shutdown_signals`]).
    #[error("cannot watch for {signal}")]
    Signal {
        /// `SIGINT` or `SIGTERM`.
        signal: &'static str,
        /// What the runtime said.
        #[source]
        source: std::io::Error,
    },
}

/// What [`RunError::NotListening`] says the node tried to listen on.
fn listen_targets(asked: &[String]) -> String {
    if asked.is_empty() {
        "any address".to_string()
    } else {
        asked.join(", ")
    }
}

/// Spawns a node with `config` in the current tokio runtime (a multi-thread one: the node
/// writes to the store inside `block_in_place`) and runs it until `shutdown` resolves, calling
/// `on_event` with each [`NodeEvent`] in order.
///
/// The events: [`NodeEvent::Started`], then [`NodeEvent::SwarmKey`] if the config has a swarm
/// key, then what [`NodeWatch::update`] reports on each status poll, and
/// [`NodeEvent::Stopped`] after a clean shutdown. The status is polled every [`FAST_POLL`] for
/// the first [`FAST_POLL_FOR`], then every [`SLOW_POLL`]; configured peers (`config.peers`) are
/// redialled as [`crate::Redial`] paces it; member names for the events come from `names`.
///
/// Ends with an error when the node cannot start, stops by itself, or has no listen address
/// after [`LISTEN_WITHIN`]. Whatever the end, a node that started is shut down (its sync state
/// saved) and its status file removed before this returns.
pub async fn run_until<S, F>(
    config: NodeConfig,
    names: MemberNames,
    shutdown: S,
    mut on_event: F,
) -> Result<(), RunError>
where
    S: Future<Output = ()>,
    F: FnMut(NodeEvent),
{
    let store_dir = config.store_dir.clone();
    let swarm_key = config.swarm_key;
    let asked: Vec<String> = config.listen.iter().map(|a| a.to_string()).collect();
    let redial = config.peers.clone();
    let dialled_at = Instant::now();
    let handle = spawn(config).await.map_err(RunError::Start)?;
    let me = handle.peer_id.to_string();
    on_event(NodeEvent::Started {
        peer_id: me.clone(),
    });
    if let Some(k) = swarm_key {
        on_event(NodeEvent::SwarmKey {
            fingerprint: k.fingerprint().to_string(),
        });
    }

    let mut watch = NodeWatch::new(&me, names, &redial, dialled_at);
    let started = Instant::now();
    let mut poll = tokio::time::interval(FAST_POLL);
    tokio::pin!(shutdown);
    let result = loop {
        tokio::select! {
            _ = &mut shutdown => break Ok(()),
            _ = poll.tick() => {
                let status = match handle.status().await {
                    Ok(s) => s,
                    Err(e) => break Err(RunError::Stopped(e)),
                };
                let events = watch.update(&status);
                // Checked before this poll's events are delivered: a node that cannot listen
                // is reported as such, not as a half-working node.
                if !watch.is_listening() && started.elapsed() > LISTEN_WITHIN {
                    break Err(RunError::NotListening { asked });
                }
                for addr in watch.redials(Instant::now()) {
                    // A failed dial shows as no connection in a later status.
                    let _ = handle.dial(addr);
                }
                for event in events {
                    on_event(event);
                }
                if started.elapsed() > FAST_POLL_FOR && poll.period() < SLOW_POLL {
                    poll = tokio::time::interval(SLOW_POLL);
                    // A new interval ticks at once; the next poll is a full period away.
                    poll.reset();
                }
            }
        }
    };
    let stopped = handle.shutdown().await.map_err(RunError::Shutdown);
    // No node runs here any more: `attrib peers` must not show a stale status.
    let _ = std::fs::remove_file(store_dir.join(STATUS_FILE));
    result?;
    stopped?;
    on_event(NodeEvent::Stopped);
    Ok(())
}

/// A future that resolves on the first SIGINT or SIGTERM: the `shutdown` of [`run_until`] for
/// a node run from a terminal or a service manager.
///
/// The handlers are installed now, not when the future is first polled, so a signal that
/// arrives while the node starts is not lost. Must be called inside a tokio runtime.
#[cfg(unix)]
pub fn shutdown_signals() -> Result<impl Future<Output = ()>, RunError> {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).map_err(|source| RunError::Signal {
        signal: "SIGTERM",
        source,
    })?;
    let mut int = signal(SignalKind::interrupt()).map_err(|source| RunError::Signal {
        signal: "SIGINT",
        source,
    })?;
    Ok(async move {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    })
}
