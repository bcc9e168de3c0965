//! The queries: each maps its arguments to the read side's call for the same CLI command and
//! converts the answer; nothing here decides what a query means.

use std::path::{Component, Path};

use async_graphql::{Context, Enum, Object, Result, SimpleObject};
use attrib_overlay::{now_ms, PatchId};
use attrib_query::filter::{Filter, ReviewFilter as QueryReviewFilter};
use attrib_query::listing::Cursor;
use attrib_query::log::LogQuery;
use attrib_query::time::{parse_when, TimeRange};

use super::reports::{Blame, BlameLine, NodeInfo, PatchDetail, Stats, StatsBy, Team, Verification};
use super::types::Claim;
use super::{app, blocking, user_error};

/// Which patches a review filter keeps.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReviewFilter {
    /// Every patch.
    #[default]
    Any,
    /// Patches with at least one review.
    Reviewed,
    /// Patches nobody reviewed.
    Unreviewed,
}

/// Where a page ends.
#[derive(SimpleObject, Clone, Debug)]
pub struct PageInfo {
    /// More claims pass the filters after this page.
    pub has_next_page: bool,
    /// Pass as `after` for the next page.
    pub end_cursor: Option<String>,
}

/// A claim and its place in the listing.
pub struct ClaimEdge<'a> {
    cursor: &'a str,
    node: &'a Claim,
}

/// A claim and its place in the listing.
#[Object]
impl<'a> ClaimEdge<'a> {
    /// Pass as `after` to continue after this claim.
    async fn cursor(&self) -> &str {
        self.cursor
    }

    /// The claim.
    async fn node(&self) -> &Claim {
        self.node
    }
}

/// A page of claims, newest first.
pub struct PatchConnection {
    claims: Vec<Claim>,
    cursors: Vec<String>,
    page_info: PageInfo,
}

/// A page of claims, newest first.
#[Object]
impl PatchConnection {
    /// The claims with their cursors.
    async fn edges(&self) -> Vec<ClaimEdge<'_>> {
        self.claims
            .iter()
            .zip(&self.cursors)
            .map(|(node, cursor)| ClaimEdge { cursor, node })
            .collect()
    }

    /// The claims alone.
    async fn nodes(&self) -> &[Claim] {
        &self.claims
    }

    /// Whether there is more.
    async fn page_info(&self) -> &PageInfo {
        &self.page_info
    }
}

/// The largest page a client may ask for.
pub const MAX_PAGE: usize = 500;

/// The read side's answers.
pub struct QueryRoot;

fn when(flag: &str, s: Option<String>) -> Result<Option<attrib_query::time::When>> {
    s.map(|s| parse_when(&s).map_err(|e| user_error(format!("{flag}: {e}"))))
        .transpose()
}

#[Object(name = "Query")]
impl QueryRoot {
    /// Attestations, newest first, with every filter of `attrib log` (the overlay's listing:
    /// one row per author's current claim).
    #[allow(clippy::too_many_arguments)]
    async fn patches(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 50, desc = "At most this many claims (up to 500).")] first: i32,
        #[graphql(desc = "The endCursor of the previous page.")] after: Option<String>,
        #[graphql(default)] ai_only: bool,
        #[graphql(default)] human_only: bool,
        #[graphql(desc = "A member's name or key.")] author: Option<String>,
        provider: Option<String>,
        model: Option<String>,
        #[graphql(desc = "complete, partial, refactor, …")] suggestion_type: Option<String>,
        #[graphql(desc = "0 to 1 (or 85%).")] min_confidence: Option<String>,
        #[graphql(desc = "A date, a time or an age (2026-01-31, 90d).")] since: Option<String>,
        until: Option<String>,
        #[graphql(default)] review: ReviewFilter,
    ) -> Result<PatchConnection> {
        crate::metrics::timed("patches", async move {
            let first = usize::try_from(first)
                .ok()
                .filter(|n| *n <= MAX_PAGE)
                .ok_or_else(|| user_error(format!("first must be from 0 to {MAX_PAGE}")))?;
            if ai_only && human_only {
                return Err(user_error("aiOnly and humanOnly exclude each other"));
            }
            let after = after
                .map(|c| Cursor::parse(&c))
                .transpose()
                .map_err(user_error)?;
            let suggestion_type = suggestion_type
                .map(|s| s.parse::<attrib_overlay::SuggestionType>())
                .transpose()
                .map_err(user_error)?;
            let min_confidence = min_confidence
                .map(|s| attrib_overlay::model::parse_confidence(&s))
                .transpose()
                .map_err(user_error)?;
            let range = TimeRange::new(when("since", since)?, when("until", until)?, now_ms())
                .map_err(user_error)?;
            let q = LogQuery {
                filter: Filter {
                    ai_only,
                    human_only,
                    author: None,
                    provider,
                    model,
                    suggestion_type,
                    min_confidence,
                    models: app(ctx).models()?,
                },
                author,
                range,
                review: match review {
                    ReviewFilter::Any => QueryReviewFilter::Any,
                    ReviewFilter::Reviewed => QueryReviewFilter::Reviewed,
                    ReviewFilter::Unreviewed => QueryReviewFilter::Unreviewed,
                },
                with_reviews: true,
                ..LogQuery::default()
            };
            let app = app(ctx).clone();
            // A page reads fifty records from a scan kept between requests: short enough for the
            // request's own thread.
            let snap = app.ws.store().map_err(user_error)?.snapshot()?;
            let page = app
                .listing
                .page(&snap, &q, after, first)
                .map_err(user_error)?;
            let mut claims = Vec::with_capacity(page.cursors.len());
            let mut cursors = Vec::with_capacity(page.cursors.len());
            for (view, cursor) in page.log.views()?.into_iter().zip(&page.cursors) {
                if let Some(claim) = Claim::of(&view.record, view.reviews as u64) {
                    claims.push(claim);
                    cursors.push(cursor.to_string());
                }
            }
            let end_cursor = page.cursors.last().map(|c| c.to_string());
            Ok(PatchConnection {
                claims,
                cursors,
                page_info: PageInfo {
                    has_next_page: page.has_next,
                    end_cursor,
                },
            })
        })
        .await
    }

    /// Every author's attestation and every review of one patch, with signature status
    /// (`attrib show`); `null` when the overlay knows nothing of it.
    async fn patch(&self, ctx: &Context<'_>, id: String) -> Result<Option<PatchDetail>> {
        crate::metrics::timed("patch", async move {
            let patch = PatchId::new(&id).map_err(user_error)?;
            let app = app(ctx).clone();
            blocking(move || {
                let snap = app.ws.store()?.snapshot()?;
                let view = snap.patch(&patch)?;
                if view.attestations.is_empty() && view.reviews.is_empty() {
                    return Ok(None);
                }
                let shown = attrib_query::show::show(&snap, &patch)?;
                Ok(Some(PatchDetail::of(&shown.json(&snap))))
            })
            .await
        })
        .await
    }

    /// How much of the work AI did (`attrib stats`): in a repository, of the current
    /// channel's changes and lines.
    async fn stats(
        &self,
        ctx: &Context<'_>,
        #[graphql(default)] by: Vec<StatsBy>,
        since: Option<String>,
        until: Option<String>,
    ) -> Result<Stats> {
        crate::metrics::timed("stats", async move {
            let range = TimeRange::new(when("since", since)?, when("until", until)?, now_ms())
                .map_err(user_error)?;
            let app = app(ctx).clone();
            let query = attrib_query::stats::StatsQuery {
                by: by.into_iter().map(Into::into).collect(),
                range,
                per_change: false,
                models: app.models()?,
            };
            blocking(move || app.stats(&query).map(|r| Stats::of(&r))).await
        })
        .await
    }

    /// For every line of a file (relative to the repository root), the change that inserted it
    /// and how that change was written (`attrib blame`).
    async fn blame(&self, ctx: &Context<'_>, path: String) -> Result<Blame> {
        crate::metrics::timed("blame", async move {
            let rel = Path::new(&path);
            if path.is_empty()
                || !rel
                    .components()
                    .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
            {
                return Err(user_error(format!(
                    "{path:?}: give a path relative to the repository root, without `..`"
                )));
            }
            let app = app(ctx).clone();
            let rel = rel.to_path_buf();
            blocking(move || {
                let blamed = app.blame(&rel)?;
                let lines = blamed
                    .json()
                    .into_iter()
                    .map(|r| BlameLine {
                        line: r.line.map(|n| n as u64),
                        change: r.change.map(str::to_string),
                        kind: r.attribution.as_ref().map(|a| a.kind.to_string()),
                        provider: r.provider.map(str::to_string),
                        model: r.model.map(str::to_string),
                        agent: r.agent.map(str::to_string),
                        session: r.session.map(str::to_string),
                        suggestion_type: r
                            .attribution
                            .as_ref()
                            .and_then(|a| a.suggestion_type.map(str::to_string)),
                        reviewed: r.attribution.as_ref().map(|a| a.reviewed),
                        conflict: r.conflict.map(|n| n as u64),
                        marker: r.marker.map(str::to_string),
                        text: r.text.map(str::to_string),
                    })
                    .collect();
                Ok(Blame {
                    file: blamed.file.clone(),
                    lines,
                })
            })
            .await
        })
        .await
    }

    /// The team and its members (`attrib team`).
    async fn members(&self, ctx: &Context<'_>) -> Result<Team> {
        crate::metrics::timed("members", async move {
            let snap = app(ctx).ws.store().map_err(user_error)?.snapshot()?;
            let team = attrib_query::members::team(&snap).map_err(user_error)?;
            Ok(Team::of(&team))
        })
        .await
    }

    /// The node running on this store (this process's with `--node`, or another's), from
    /// its status; `null` when none runs.
    async fn node(&self, ctx: &Context<'_>) -> Result<Option<NodeInfo>> {
        crate::metrics::timed("node", async move {
            let app = app(ctx).clone();
            blocking(move || Ok(app.node_status()?.map(|s| NodeInfo::of(&s)))).await
        })
        .await
    }

    /// Every signature and the whole view checked again from the records (`attrib verify`).
    async fn verify(&self, ctx: &Context<'_>) -> Result<Verification> {
        crate::metrics::timed("verify", async move {
            let app = app(ctx).clone();
            blocking(move || {
                let snap = app.ws.store()?.snapshot()?;
                let v = attrib_query::verify::verify(&snap)?;
                Ok(Verification {
                    ok: v.ok,
                    records: v.report.records as u64,
                    valid: v.report.valid as u64,
                    view_claims: v.report.view_claims as u64,
                    held_not_admitted: v.report.held_not_admitted as u64,
                    problems: v.problems(),
                })
            })
            .await
        })
        .await
    }
}
