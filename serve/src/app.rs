//! [`App`]: what every request shares — the workspace, the listing cache, the live feeds, the
//! limits — and the calls that need the repository's channel (stats with lines, blame).

use std::path::Path;
use std::sync::Arc;

use anyhow::{anyhow, Result};
use attrib_overlay::now_ms;
use attrib_query::listing::ListingCache;
use attrib_query::stats::{StatsQuery, StatsReport};
use attrib_workspace::Workspace;
use tokio::sync::{broadcast, watch};

use crate::schema::reports::NodeEvent;
use crate::schema::types::Claim;
use crate::Limits;

/// How many feed items a slow subscriber may fall behind before it skips ahead.
const FEED_BACKLOG: usize = 1024;

/// The state every request shares.
pub struct App {
    /// The workspace served: its store, identity (for mutations) and repository.
    pub ws: Arc<Workspace>,
    /// Listing scans kept until the store grows.
    pub listing: ListingCache,
    /// Newly admitted attestations, for the `attestations` subscription.
    pub claims: broadcast::Sender<Claim>,
    /// The in-process node's events, for the `nodeEvents` subscription.
    pub node_events: broadcast::Sender<NodeEvent>,
    /// What one request and one client may ask.
    pub limits: Limits,
    stop: watch::Sender<bool>,
    /// The model registry, built once from the config ([`App::models`]).
    models: std::sync::OnceLock<attrib_query::models::ModelRegistry>,
}

impl App {
    /// The shared state for serving `ws`.
    pub fn new(ws: Arc<Workspace>, limits: Limits) -> App {
        App {
            ws,
            listing: ListingCache::new(),
            claims: broadcast::channel(FEED_BACKLOG).0,
            node_events: broadcast::channel(FEED_BACKLOG).0,
            limits,
            stop: watch::channel(false).0,
            models: std::sync::OnceLock::new(),
        }
    }

    /// The registry stats and listings name models by: the built-in table with the config's
    /// `[models]` aliases over it, as the CLI has it.
    pub fn models(&self) -> Result<attrib_query::models::ModelRegistry> {
        if let Some(m) = self.models.get() {
            return Ok(m.clone());
        }
        let m = self.ws.config()?.model_registry();
        Ok(self.models.get_or_init(|| m).clone())
    }

    /// Tells every live feed and WebSocket that the server is stopping.
    pub fn stop(&self) {
        self.stop.send_replace(true);
    }

    /// Resolves (changes) when the server starts to stop.
    pub fn stopping(&self) -> watch::Receiver<bool> {
        self.stop.subscribe()
    }

    /// `attrib stats`: reconciled with the repository's channel first, as the CLI does, so
    /// that line counts are the current tree's.
    pub fn stats(&self, query: &StatsQuery) -> Result<StatsReport> {
        let ws = &self.ws;
        let mut rec = attrib_workspace::reconcile(ws)?;
        log_reconciled(&rec);
        let snap = ws.store()?.snapshot()?;
        let store_dir = ws.store_dir()?;
        let (channel, warning) = rec.channel_or_warning();
        if let Some(w) = warning {
            tracing::warn!("{w}");
        }
        let source = channel.as_deref().and_then(|c| c.stats_source(store_dir));
        attrib_query::stats::stats(&snap, source, query)
    }

    /// `attrib blame PATH`, `rel` relative to the repository's root.
    pub fn blame(&self, rel: &Path) -> Result<attrib_query::blame::Blame> {
        let ws = &self.ws;
        ws.repo_root()?;
        let mut rec = attrib_workspace::reconcile(ws)?;
        log_reconciled(&rec);
        let channel = rec.channel()?.ok_or_else(|| {
            anyhow!("blame needs the store inside the repository (.pijul/attrib, .atomic/attrib or .git/attrib)")
        })?;
        let snap = ws.store()?.snapshot()?;
        attrib_query::blame::blame(&snap, channel.vcs.as_ref(), &channel.positions(), rel)
    }

    /// The status of the node running on this store (this process's or another's), with
    /// member names on its peers; `None` when no node runs.
    pub fn node_status(&self) -> Result<Option<serde_json::Value>> {
        let dir = self.ws.store_dir()?;
        let Some(mut status) = attrib_p2p_node::status_file::running_status_at(dir, now_ms())
        else {
            return Ok(None);
        };
        let snap = self.ws.store()?.snapshot()?;
        if let Some(m) = snap.membership() {
            // A status without a peer list still says the node runs.
            let _ = attrib_p2p_node::name_peers(&mut status, &attrib_p2p_node::MemberNames::of(m));
        }
        Ok(Some(status))
    }
}

/// What reconciling for a query did, in the server's log.
fn log_reconciled(rec: &attrib_workspace::reconcile::Reconciled) {
    for w in &rec.warnings {
        tracing::warn!("{w}");
    }
    for (record, _) in &rec.attested {
        tracing::info!(record = %record.id().to_hex(), "reconciliation attested a change");
    }
}
