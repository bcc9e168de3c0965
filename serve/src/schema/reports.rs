//! The object types of the larger answers: a patch's page (`attrib show`), stats, blame, the
//! team, the node and verification — each built from the read side's value of the same name.

use async_graphql::{Enum, SimpleObject};
use attrib_query::show::ShownJson;
use attrib_query::stats::{GroupStats as QueryGroupStats, StatsBy as QueryStatsBy, StatsReport};

use super::types::{Claim, Review};

/// A claim and what checking its signature found.
#[derive(SimpleObject, Clone, Debug)]
pub struct ShownClaim {
    /// The attestation.
    pub claim: Claim,
    /// The signature verifies.
    pub verified: bool,
    /// `signature ok, member`, `signature ok, key flagged for equivocation` or `BAD SIGNATURE`.
    pub status: String,
}

/// A review and what checking its signature found.
#[derive(SimpleObject, Clone, Debug)]
pub struct ShownReview {
    /// The review.
    pub review: Review,
    /// The signature verifies.
    pub verified: bool,
    /// What the check found.
    pub status: String,
}

/// Everything the team says about one patch (`attrib show --json`).
#[derive(SimpleObject, Clone, Debug)]
pub struct PatchDetail {
    /// The patch.
    pub patch: String,
    /// Some author says AI helped.
    pub ai_assisted: bool,
    /// Every author's current attestation, in key order.
    pub attestations: Vec<ShownClaim>,
    /// Every reviewer's current review, in key order.
    pub reviews: Vec<ShownReview>,
}

impl PatchDetail {
    /// The GraphQL form of `show`'s JSON value.
    pub fn of(s: &ShownJson) -> PatchDetail {
        let reviews = s.reviews.len() as u64;
        PatchDetail {
            patch: s.patch.clone(),
            ai_assisted: s.ai_assisted,
            attestations: s
                .attestations
                .iter()
                .filter_map(|v| {
                    Some(ShownClaim {
                        claim: Claim::of(&v.record, reviews)?,
                        verified: v.verified,
                        status: v.status.to_string(),
                    })
                })
                .collect(),
            reviews: s
                .reviews
                .iter()
                .filter_map(|v| {
                    Some(ShownReview {
                        review: Review::of(&v.record)?,
                        verified: v.verified,
                        status: v.status.to_string(),
                    })
                })
                .collect(),
        }
    }
}

/// A dimension stats groups by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum StatsBy {
    /// The AI provider.
    Provider,
    /// The provider/model.
    Model,
    /// The agent tool of the main contribution.
    Agent,
    /// The attesting member.
    Author,
    /// How the AI contributed.
    SuggestionType,
    /// The patch's month (UTC).
    Month,
    /// The patch's week (Monday to Sunday, UTC), labelled with its Monday.
    Week,
    /// The patch's day (UTC).
    Day,
}

impl From<StatsBy> for QueryStatsBy {
    fn from(b: StatsBy) -> Self {
        match b {
            StatsBy::Provider => QueryStatsBy::Provider,
            StatsBy::Model => QueryStatsBy::Model,
            StatsBy::Agent => QueryStatsBy::Agent,
            StatsBy::Author => QueryStatsBy::Author,
            StatsBy::SuggestionType => QueryStatsBy::SuggestionType,
            StatsBy::Month => QueryStatsBy::Month,
            StatsBy::Week => QueryStatsBy::Week,
            StatsBy::Day => QueryStatsBy::Day,
        }
    }
}

impl From<QueryStatsBy> for StatsBy {
    fn from(b: QueryStatsBy) -> Self {
        match b {
            QueryStatsBy::Provider => StatsBy::Provider,
            QueryStatsBy::Model => StatsBy::Model,
            QueryStatsBy::Agent => StatsBy::Agent,
            QueryStatsBy::Author => StatsBy::Author,
            QueryStatsBy::SuggestionType => StatsBy::SuggestionType,
            QueryStatsBy::Month => StatsBy::Month,
            QueryStatsBy::Week => StatsBy::Week,
            QueryStatsBy::Day => StatsBy::Day,
        }
    }
}

/// The figures of one group (or of everything).
#[derive(SimpleObject, Clone, Debug)]
pub struct GroupStats {
    /// Patches in the group.
    pub patches: u64,
    /// Of those, AI-assisted.
    pub ai: u64,
    /// Written without AI.
    pub human: u64,
    /// Attested by nobody.
    pub unattested: u64,
    /// `ai / patches`.
    pub ai_share: Option<f64>,
    /// Lines of the current tree the group's changes wrote (in a repository).
    pub lines: Option<u64>,
    /// Of those, AI-written.
    pub ai_lines: Option<u64>,
    /// `aiLines / lines`.
    pub ai_line_share: Option<f64>,
    /// Patches with at least one review.
    pub reviewed: u64,
    /// `reviewed / patches`.
    pub reviewed_share: Option<f64>,
    /// Mean stated confidence, 0 to 1.
    pub avg_confidence: Option<f64>,
    /// Claims that stated a confidence.
    pub confidence_count: u64,
    /// Mean review time, seconds.
    pub avg_review_seconds: Option<f64>,
    /// Patches with a review time.
    pub review_count: u64,
    /// Seconds authors say they spent reviewing the AI's output.
    pub author_review_seconds: u64,
    /// Seconds reviewers spent, by their reviews.
    pub reviewer_seconds: u64,
}

impl GroupStats {
    fn of(g: &QueryGroupStats) -> GroupStats {
        GroupStats {
            patches: g.patches,
            ai: g.ai,
            human: g.human,
            unattested: g.unattested,
            ai_share: g.ai_share,
            lines: g.lines,
            ai_lines: g.ai_lines,
            ai_line_share: g.ai_line_share,
            reviewed: g.reviewed,
            reviewed_share: g.reviewed_share,
            avg_confidence: g.avg_confidence,
            confidence_count: g.confidence_count,
            avg_review_seconds: g.avg_review_seconds,
            review_count: g.review_count,
            author_review_seconds: g.author_review_seconds,
            reviewer_seconds: g.reviewer_seconds,
        }
    }
}

/// One dimension's value for a group.
#[derive(SimpleObject, Clone, Debug)]
pub struct GroupKey {
    /// The dimension.
    pub by: StatsBy,
    /// Its value (`anthropic/claude-sonnet-4`, `2026-02`, a member's name, …).
    pub value: String,
}

/// A group and its figures.
#[derive(SimpleObject, Clone, Debug)]
pub struct StatsGroup {
    /// The group's value for each dimension asked for, in order.
    pub key: Vec<GroupKey>,
    /// Its figures.
    pub stats: GroupStats,
}

/// Patches by provider/model.
#[derive(SimpleObject, Clone, Debug)]
pub struct ModelCount {
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Patches it helped with.
    pub patches: u64,
    /// Lines of the current tree it wrote (in a repository).
    pub lines: Option<u64>,
}

/// Patches by agent tool.
#[derive(SimpleObject, Clone, Debug)]
pub struct AgentCount {
    /// The agent (`null`: claims that name none).
    pub agent: Option<String>,
    /// Patches.
    pub patches: u64,
    /// Lines of the current tree (in a repository).
    pub lines: Option<u64>,
}

/// The current tree's lines by who wrote them.
#[derive(SimpleObject, Clone, Debug)]
pub struct LinesSummary {
    /// Every line.
    pub total: u64,
    /// AI-written.
    pub ai: u64,
    /// Written by people.
    pub human: u64,
    /// From unattested changes.
    pub unattested: u64,
    /// Files counted.
    pub files: u64,
}

/// How much of the work AI did (`attrib stats --json`).
#[derive(SimpleObject, Clone, Debug)]
pub struct Stats {
    /// The channel counted, in a repository.
    pub channel: Option<String>,
    /// The dimensions grouped by.
    pub by: Vec<StatsBy>,
    /// Everything together.
    pub total: GroupStats,
    /// Each group, in the order `attrib stats` prints them.
    pub groups: Vec<StatsGroup>,
    /// The current tree's lines (in a repository).
    pub lines: Option<LinesSummary>,
    /// Patches and lines by provider/model.
    pub by_model: Vec<ModelCount>,
    /// Patches and lines by agent.
    pub by_agent: Vec<AgentCount>,
}

impl Stats {
    /// The GraphQL form of a stats report.
    pub fn of(r: &StatsReport) -> Stats {
        Stats {
            channel: r.channel.clone(),
            by: r.by.iter().map(|b| StatsBy::from(*b)).collect(),
            total: GroupStats::of(&r.total),
            groups: r
                .groups
                .iter()
                .map(|g| StatsGroup {
                    key: g
                        .group
                        .iter()
                        .map(|(by, value)| GroupKey {
                            by: (*by).into(),
                            value: value.clone(),
                        })
                        .collect(),
                    stats: GroupStats::of(&g.stats),
                })
                .collect(),
            lines: r.lines.as_ref().map(|l| LinesSummary {
                total: l.total,
                ai: l.ai,
                human: l.human,
                unattested: l.unattested,
                files: l.files,
            }),
            by_model: r
                .by_model
                .iter()
                .map(|m| ModelCount {
                    provider: m.provider.clone(),
                    model: m.model.clone(),
                    patches: m.patches,
                    lines: m.lines,
                })
                .collect(),
            by_agent: r
                .by_agent
                .iter()
                .map(|a| AgentCount {
                    agent: a.agent.clone(),
                    patches: a.patches,
                    lines: a.lines,
                })
                .collect(),
        }
    }
}

/// One line of `attrib blame --json` (or a conflict marker, with no line number).
#[derive(SimpleObject, Clone, Debug)]
pub struct BlameLine {
    /// The line number (`null` for a marker).
    pub line: Option<u64>,
    /// The change that inserted it.
    pub change: Option<String>,
    /// `ai`, `human`, `unattested`, …
    pub kind: Option<String>,
    /// The provider of the model that wrote it.
    pub provider: Option<String>,
    /// The model that wrote it.
    pub model: Option<String>,
    /// The agent that drove the model.
    pub agent: Option<String>,
    /// The agent's session.
    pub session: Option<String>,
    /// How the AI contributed.
    pub suggestion_type: Option<String>,
    /// The change has a review.
    pub reviewed: Option<bool>,
    /// The conflict this line is part of.
    pub conflict: Option<u64>,
    /// A conflict marker's kind.
    pub marker: Option<String>,
    /// The line's text.
    pub text: Option<String>,
}

/// Every line of a file with who wrote it.
#[derive(SimpleObject, Clone, Debug)]
pub struct Blame {
    /// The file, relative to the repository root.
    pub file: String,
    /// Its lines.
    pub lines: Vec<BlameLine>,
}

/// A member of the team.
#[derive(SimpleObject, Clone, Debug)]
pub struct Member {
    /// The device key, hex.
    pub key: String,
    /// The member's name.
    pub name: String,
    /// Their email.
    pub email: Option<String>,
    /// May admit and revoke members.
    pub admin: bool,
    /// Founded the team.
    pub founder: bool,
    /// Revoked: records after this sequence number do not count.
    pub revoked_after_seq: Option<u32>,
    /// Signed two records with one sequence number.
    pub equivocated: bool,
}

/// The team (`attrib team --json`).
#[derive(SimpleObject, Clone, Debug)]
pub struct Team {
    /// The team id, hex.
    pub team: String,
    /// Its name.
    pub name: String,
    /// Its members.
    pub members: Vec<Member>,
}

impl Team {
    /// The GraphQL form of the team.
    pub fn of(t: &attrib_query::members::Team) -> Team {
        Team {
            team: t.team.clone(),
            name: t.name.clone(),
            members: t
                .members
                .iter()
                .map(|m| Member {
                    key: m.key.clone(),
                    name: m.name.clone(),
                    email: m.email.clone(),
                    admin: m.admin,
                    founder: m.founder,
                    revoked_after_seq: m.revoked_after_seq,
                    equivocated: m.equivocated,
                })
                .collect(),
        }
    }
}

/// A connected peer.
#[derive(SimpleObject, Clone, Debug)]
pub struct Peer {
    /// Its peer id.
    pub peer_id: String,
    /// The member's name, when the key is a member's.
    pub name: Option<String>,
    /// Its misbehaviour score: 0 is well behaved.
    pub score: i64,
    /// A sync session is running.
    pub syncing: bool,
    /// A sync session completed since it connected.
    pub synced: bool,
    /// Sync sessions since it connected.
    pub sessions: u64,
    /// Records its sync responses brought.
    pub records_received: u64,
}

/// The node running on this store, from its status (`attrib peers --json`).
#[derive(SimpleObject, Clone, Debug)]
pub struct NodeInfo {
    /// Its peer id.
    pub peer_id: String,
    /// When the status was taken, ms since the epoch.
    pub at_ms: u64,
    /// Addresses it listens on.
    pub listen: Vec<String>,
    /// Connected member peers.
    pub peers: Vec<Peer>,
    /// Records received from peers that the store accepted.
    pub records_accepted: u64,
    /// Records received that the store refused.
    pub records_refused: u64,
    /// Records this node published.
    pub records_published: u64,
    /// Connections refused at the membership gate.
    pub refused_connections: u64,
    /// Peers on the team's gossip topic.
    pub gossip_peers: u64,
    /// Local records waiting for a first peer.
    pub outbox: u64,
}

impl NodeInfo {
    /// A node's status file, as the API shows it. The file is the node's; a field it lacks
    /// reads as zero rather than failing the query.
    pub fn of(s: &serde_json::Value) -> NodeInfo {
        let u = |v: &serde_json::Value, k: &str| v.get(k).and_then(|x| x.as_u64()).unwrap_or(0);
        let text = |v: &serde_json::Value, k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let counters = s.get("counters").cloned().unwrap_or_default();
        NodeInfo {
            peer_id: text(s, "peer_id"),
            at_ms: u(s, "at_ms"),
            listen: s
                .get("listen")
                .and_then(|l| l.as_array())
                .map(|l| {
                    l.iter()
                        .filter_map(|a| a.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            peers: s
                .get("peers")
                .and_then(|p| p.as_array())
                .map(|list| {
                    list.iter()
                        .map(|p| Peer {
                            peer_id: text(p, "peer_id"),
                            name: p.get("name").and_then(|n| n.as_str()).map(str::to_string),
                            score: p.get("score").and_then(|x| x.as_i64()).unwrap_or(0),
                            syncing: p.get("syncing").and_then(|x| x.as_bool()).unwrap_or(false),
                            synced: p.get("synced").and_then(|x| x.as_bool()).unwrap_or(false),
                            sessions: u(p, "sessions"),
                            records_received: u(p, "records_received"),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            records_accepted: u(&counters, "records_accepted"),
            records_refused: u(&counters, "records_refused"),
            records_published: u(&counters, "records_published"),
            refused_connections: u(&counters, "gated"),
            gossip_peers: u(s, "gossip_peers"),
            outbox: u(s, "outbox"),
        }
    }
}

/// Something the node did (the line `attrib node` prints for it).
#[derive(SimpleObject, Clone, Debug)]
pub struct NodeEvent {
    /// `started`, `listening`, `connected`, `synced`, `disconnected`, `received`, `refused`,
    /// `stopped`, …
    pub kind: String,
    /// The line `attrib node` prints.
    pub line: String,
    /// The peer it is about.
    pub peer: Option<String>,
    /// The member's name.
    pub name: Option<String>,
    /// A running total (`received`, `refused`).
    pub total: Option<u64>,
}

/// What `attrib verify` found.
#[derive(SimpleObject, Clone, Debug)]
pub struct Verification {
    /// Every signature and the whole view check out.
    pub ok: bool,
    /// Records checked.
    pub records: u64,
    /// Of those, valid.
    pub valid: u64,
    /// Current claims in the view.
    pub view_claims: u64,
    /// Authentic records not admitted (yet).
    pub held_not_admitted: u64,
    /// The problems, one phrase each.
    pub problems: Vec<String>,
}
