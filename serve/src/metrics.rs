//! Prometheus metrics (the `metrics` facade with its Prometheus exporter): query latency per
//! root field, subscriptions open, requests refused by the limits, and at each scrape the
//! store's and the node's figures.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Instant;

use metrics::{counter, gauge, histogram};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::App;

/// Histogram buckets of query latency, in seconds: fine below 5 ms, where the targets are.
const LATENCY_BUCKETS: [f64; 14] = [
    0.000_25, 0.000_5, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0,
];

/// The process's recorder, installed once (one process may serve several stores in tests).
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(&LATENCY_BUCKETS)
            // The buckets are valid (finite and increasing): building cannot fail on them.
            .unwrap_or_else(|_| PrometheusBuilder::new())
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's) keeps its place; ours
        // then renders nothing but the scrape-time gauges it is given.
        let _ = metrics::set_global_recorder(recorder);
        handle
    })
}

/// The text `/metrics` answers: the scrape-time figures set first.
pub fn render(app: &App) -> String {
    scrape_gauges(app);
    let h = handle();
    h.run_upkeep();
    h.render()
}

fn scrape_gauges(app: &App) {
    if let Ok(store) = app.ws.store() {
        if let Ok(snap) = store.snapshot() {
            if let Ok(n) = snap.record_count() {
                gauge!("attrib_records_held").set(n as f64);
            }
            gauge!("attrib_store_log_bytes").set(snap.log_len() as f64);
            let members = snap.membership().map_or(0, |m| m.members.len());
            gauge!("attrib_team_members").set(members as f64);
        }
    }
    let status = app.node_status().ok().flatten();
    gauge!("attrib_node_running").set(if status.is_some() { 1.0 } else { 0.0 });
    if let Some(s) = status {
        let info = crate::schema::reports::NodeInfo::of(&s);
        gauge!("attrib_node_peers").set(info.peers.len() as f64);
        gauge!("attrib_node_gossip_peers").set(info.gossip_peers as f64);
        gauge!("attrib_node_records_accepted").set(info.records_accepted as f64);
        gauge!("attrib_node_records_refused").set(info.records_refused as f64);
        gauge!("attrib_node_records_published").set(info.records_published as f64);
        gauge!("attrib_node_connections_refused").set(info.refused_connections as f64);
        let c = s.get("counters");
        for (key, name) in [
            ("requests_sent", "attrib_node_sync_requests_sent"),
            ("requests_answered", "attrib_node_sync_requests_answered"),
            ("bytes_sent", "attrib_node_sync_bytes_sent"),
            ("bytes_received", "attrib_node_sync_bytes_received"),
            ("records_duplicate", "attrib_node_records_duplicate"),
        ] {
            if let Some(v) = c.and_then(|c| c.get(key)).and_then(|v| v.as_u64()) {
                gauge!(name).set(v as f64);
            }
        }
        // Refusals by reason: the sync engine counts each offence by kind.
        if let Some(o) = c
            .and_then(|c| c.get("offences"))
            .and_then(|o| o.as_object())
        {
            for (kind, n) in o {
                if let Some(n) = n.as_u64() {
                    gauge!("attrib_node_offences", "reason" => kind.clone()).set(n as f64);
                }
            }
        }
    }
}

/// Counts a record the feed saw admitted.
pub fn admitted(kind: &'static str) {
    counter!("attrib_records_admitted_total", "kind" => kind).increment(1);
}

/// Counts a request the limits refused, by which limit.
pub fn limited(limit: &'static str) {
    counter!("attrib_requests_limited_total", "limit" => limit).increment(1);
}

/// Counts an HTTP request by route and status class.
pub fn request(route: &'static str, status: u16) {
    counter!("attrib_http_requests_total", "route" => route, "status" => status.to_string())
        .increment(1);
}

/// Counts a subscription while it is open.
pub struct SubscriptionGauge(&'static str);

impl SubscriptionGauge {
    /// One more `name` subscription open.
    pub fn new(name: &'static str) -> SubscriptionGauge {
        gauge!("attrib_subscriptions", "subscription" => name).increment(1.0);
        SubscriptionGauge(name)
    }
}

impl Drop for SubscriptionGauge {
    fn drop(&mut self) {
        gauge!("attrib_subscriptions", "subscription" => self.0).decrement(1.0);
    }
}

/// Runs a root field's resolver and records its time in `attrib_query_seconds{field=…}`: a
/// bounded label set (the schema's root fields), unlike client-chosen operation names. Timed
/// here rather than by a GraphQL extension, because any extension makes async-graphql send
/// every field of every object through the extension chain (a tenth of a page's cost).
pub async fn timed<T, F>(field: &'static str, resolve: F) -> async_graphql::Result<T>
where
    F: Future<Output = async_graphql::Result<T>>,
{
    let start = Instant::now();
    let out = resolve.await;
    histogram!("attrib_query_seconds", "field" => field, "ok" => if out.is_ok() { "true" } else { "false" })
        .record(start.elapsed().as_secs_f64());
    out
}
