//! attrib's service face: `attrib serve`.
//!
//! One process answers GraphQL over HTTP (queries, a review mutation, subscriptions over
//! WebSocket), serves the live dashboard at `/`, Prometheus metrics at `/metrics` and health
//! at `/healthz` and `/readyz`, and may run the peer-to-peer node beside them. Every answer
//! comes from the read side ([`attrib_query`]) and every write from the write side
//! ([`attrib_workspace`]) — the same calls the CLI makes; this crate admits requests, converts
//! values to GraphQL objects and streams what the store admits.
//!
//! - [`schema`]: the GraphQL schema and its limits (depth, complexity);
//! - [`http`]: routes, the bearer token, the per-client rate limit, the body limit;
//! - [`feed`]: the store followed for newly admitted attestations;
//! - [`metrics`]: the Prometheus exporter;
//! - [`server`]: binding, running with the node, draining on shutdown.

#![warn(missing_docs)]

mod app;
mod assets;
pub mod feed;
pub mod http;
pub mod metrics;
pub mod schema;
pub mod server;

pub use app::App;
pub use server::{serve, ServeConfig, ServeError, ServeEvent};

/// What one request and one client may ask. The defaults are on for every server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Deepest selection a query may nest (the dashboard's deepest is 6; introspection's 13).
    pub max_depth: usize,
    /// Most fields a query may select, counted by async-graphql's complexity rule.
    pub max_complexity: usize,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Requests per second one client address may make, sustained (0: no limit).
    pub rate_per_second: u32,
    /// Requests one client may make at once before the sustained rate applies.
    pub rate_burst: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_depth: 15,
            max_complexity: 5_000,
            max_body_bytes: 256 * 1024,
            rate_per_second: 2_000,
            rate_burst: 4_000,
        }
    }
}
