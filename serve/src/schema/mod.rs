//! The GraphQL schema: queries ([`query`]), the one mutation a page needs (a review), and the
//! live feeds ([`SubscriptionRoot`]), with the limits every request meets.

pub mod query;
pub mod reports;
pub mod types;

use std::sync::Arc;

use async_graphql::{Context, Object, Result, Schema, Subscription};
use futures::Stream;

use crate::metrics::{timed, SubscriptionGauge};
use crate::App;
use types::{Claim, Review, Verdict};

/// The schema `attrib serve` answers.
pub type ApiSchema = Schema<query::QueryRoot, MutationRoot, SubscriptionRoot>;

/// Limits on what one request may ask, on by default (see [`crate::Limits`]).
pub fn build(app: Arc<App>) -> ApiSchema {
    let limits = app.limits;
    Schema::build(query::QueryRoot, MutationRoot, SubscriptionRoot)
        .data(app)
        .limit_depth(limits.max_depth)
        .limit_complexity(limits.max_complexity)
        .limit_recursive_depth(limits.max_depth * 2)
        .limit_directives(16)
        .finish()
}

/// The schema's SDL, for the README and for clients.
pub fn sdl() -> String {
    Schema::build(query::QueryRoot, MutationRoot, SubscriptionRoot)
        .finish()
        .sdl()
}

pub(crate) fn app<'c>(ctx: &Context<'c>) -> &'c Arc<App> {
    // The schema is only ever built by `build`, which puts the app in.
    ctx.data_unchecked::<Arc<App>>()
}

/// An error the client caused, as the one line it will read.
pub(crate) fn user_error(e: impl std::fmt::Display) -> async_graphql::Error {
    async_graphql::Error::new(e.to_string())
}

/// Runs `f` (store scans, a `pijul` process) on the blocking pool, so that requests on the
/// async workers are not held up by it.
pub(crate) async fn blocking<T, F>(f: F) -> Result<T>
where
    T: Send + 'static,
    F: FnOnce() -> anyhow::Result<T> + Send + 'static,
{
    match tokio::task::spawn_blocking(f).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(async_graphql::Error::new(format!("{e:#}"))),
        Err(_) => Err(async_graphql::Error::new(
            "the query failed inside the server",
        )),
    }
}

/// Marks a request that carried the server's token (see [`crate::http`]).
#[derive(Clone, Copy, Debug)]
pub struct Authorized(pub bool);

/// Signed writes a page may make, through the same rules as the CLI.
pub struct MutationRoot;

#[Object(name = "Mutation")]
impl MutationRoot {
    /// Signs and stores this server's device's review of a patch (`attrib review`): the patch
    /// must have an attestation by another member. Needs the server's token.
    async fn review(
        &self,
        ctx: &Context<'_>,
        patch: String,
        #[graphql(desc = "Seconds spent reviewing.")] seconds: u32,
        #[graphql(default_with = "Verdict::Approve")] verdict: Verdict,
        comment: Option<String>,
    ) -> Result<Review> {
        timed("review", async move {
            if !ctx.data_opt::<Authorized>().is_some_and(|a| a.0) {
                return Err(user_error(
                    "a mutation needs the server's token (Authorization: Bearer …; start the server with --token-file)",
                ));
            }
            let patch = attrib_overlay::PatchId::new(&patch).map_err(user_error)?;
            let app = app(ctx).clone();
            blocking(move || {
                let me = app.ws.identity()?;
                let input = attrib_workspace::review::ReviewInput {
                    seconds,
                    verdict: verdict.into(),
                    comment,
                };
                let rec = attrib_workspace::review::review(&app.ws, &me, patch, input)?;
                let snap = app.ws.store()?.snapshot()?;
                let view = attrib_query::records::RecordView::of(snap.membership(), &rec);
                Review::of(&view).ok_or_else(|| anyhow::anyhow!("the stored record is not a review"))
            })
            .await
        })
        .await
    }
}

/// Live feeds over WebSocket (`graphql-transport-ws`).
pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// Every attestation the store admits from now on, whoever wrote it: a command in another
    /// process, an import, a record arriving by gossip or sync.
    async fn attestations(&self, ctx: &Context<'_>) -> impl Stream<Item = Claim> {
        let app = app(ctx);
        feed(app.claims.subscribe(), app.stopping(), "attestations")
    }

    /// What the node this server runs (`--node`) does: connections, syncs, records received.
    async fn node_events(&self, ctx: &Context<'_>) -> impl Stream<Item = reports::NodeEvent> {
        let app = app(ctx);
        feed(app.node_events.subscribe(), app.stopping(), "nodeEvents")
    }
}

/// A broadcast channel as a subscription's stream: ends when the server stops; a subscriber
/// too slow to keep up skips what it missed rather than holding the others back.
fn feed<T: Clone + Send + 'static>(
    rx: tokio::sync::broadcast::Receiver<T>,
    stop: tokio::sync::watch::Receiver<bool>,
    name: &'static str,
) -> impl Stream<Item = T> {
    use tokio::sync::broadcast::error::RecvError;
    let gauge = SubscriptionGauge::new(name);
    futures::stream::unfold((rx, stop, gauge), |(mut rx, mut stop, gauge)| async move {
        loop {
            if *stop.borrow() {
                return None;
            }
            tokio::select! {
                got = rx.recv() => match got {
                    Ok(v) => return Some((v, (rx, stop, gauge))),
                    Err(RecvError::Lagged(_)) => continue,
                    Err(RecvError::Closed) => return None,
                },
                _ = stop.changed() => return None,
            }
        }
    })
}
