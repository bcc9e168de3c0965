//! The API's object types: the read side's values ([`attrib_query`]'s JSON views) as GraphQL
//! objects, field for field (camelCase where the CLI's JSON says snake_case), so that a query
//! and `attrib … --json` answer with the same values.

use async_graphql::{Enum, SimpleObject};
use attrib_query::records::{
    AiView, AttestationView, BodyView, ContributionView, RecordView, ReviewView, SpanView,
};

/// A member's device key and name.
#[derive(SimpleObject, Clone, Debug)]
pub struct Author {
    /// The ed25519 public key, hex.
    pub key: String,
    /// The member's name (the key's short form for a key the team does not know).
    pub name: String,
}

/// Lines `start..=end` of `file`.
#[derive(SimpleObject, Clone, Debug)]
pub struct Span {
    /// The file, relative to the repository root.
    pub file: String,
    /// First line (1-based).
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
}

/// How AI helped with a patch, as its author claims.
#[derive(SimpleObject, Clone, Debug)]
pub struct Ai {
    /// The model's provider (`anthropic`).
    pub provider: String,
    /// The model (`claude-sonnet-4`).
    pub model: String,
    /// `complete`, `partial`, `refactor`, …
    pub suggestion_type: String,
    /// The salted commitment to the prompt, hex.
    pub prompt_commitment: Option<String>,
    /// The author's confidence, 0 to 1.
    pub confidence: Option<f64>,
    /// Tokens the model produced.
    pub token_count: Option<u64>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// The token limit.
    pub max_tokens: Option<u32>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Seconds the author spent reviewing the model's output.
    pub review_seconds: Option<u32>,
}

/// One agent session's part of a patch.
#[derive(SimpleObject, Clone, Debug)]
pub struct Contribution {
    /// The model's provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// The agent tool (`claude-code`, `codex`, …).
    pub agent: String,
    /// The agent's session id.
    pub session: Option<String>,
    /// How the agent contributed.
    pub suggestion_type: String,
    /// The salted commitment to the session's prompts, hex.
    pub prompt_commitment: Option<String>,
    /// The lines the session wrote.
    pub line_spans: Vec<Span>,
    /// How many lines those are.
    pub lines: u64,
}

/// An attestation: one author's signed claim about who wrote a patch and how AI helped (a row
/// of `attrib log --json`).
#[derive(SimpleObject, Clone, Debug)]
pub struct Claim {
    /// The record's id (blake3 of the signed message), hex.
    pub record_id: String,
    /// Who signed it.
    pub author: Author,
    /// The signer's sequence number.
    pub seq: u32,
    /// When it was signed, RFC 3339.
    pub time: String,
    /// When it was signed, ms since the epoch.
    pub timestamp_ms: u64,
    /// Who produced it: `person`, `agent-hook`, `detector` or `import`.
    pub origin: String,
    /// The patch (VCS change id).
    pub patch: String,
    /// The author says AI helped.
    pub ai_assisted: bool,
    /// How AI helped, when it did.
    pub ai: Option<Ai>,
    /// The author's description.
    pub description: Option<String>,
    /// Patches this one depends on.
    pub depends_on: Vec<String>,
    /// Patches this one conflicts with.
    pub conflicts_with: Vec<String>,
    /// The patch this one replaces (an amend).
    pub replaces: Option<String>,
    /// The AI-written lines.
    pub line_spans: Vec<Span>,
    /// Each agent session's part.
    pub contributions: Vec<Contribution>,
    /// How many members reviewed the patch.
    pub reviews: u64,
}

/// A member's signed review of a patch.
#[derive(SimpleObject, Clone, Debug)]
pub struct Review {
    /// The record's id, hex.
    pub record_id: String,
    /// The reviewer.
    pub author: Author,
    /// The reviewer's sequence number.
    pub seq: u32,
    /// When it was signed, RFC 3339.
    pub time: String,
    /// When it was signed, ms since the epoch.
    pub timestamp_ms: u64,
    /// Who produced it.
    pub origin: String,
    /// The reviewed patch.
    pub patch: String,
    /// Seconds spent reviewing.
    pub seconds: u32,
    /// `approve`, `request-changes` or `comment`.
    pub verdict: String,
    /// Free text.
    pub comment: Option<String>,
}

/// What a review says of the patch.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// The reviewer approves it as it is.
    Approve,
    /// The reviewer asks for changes first.
    RequestChanges,
    /// A remark that neither approves nor blocks.
    Comment,
}

impl From<Verdict> for attrib_overlay::Verdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Approve => attrib_overlay::Verdict::Approve,
            Verdict::RequestChanges => attrib_overlay::Verdict::RequestChanges,
            Verdict::Comment => attrib_overlay::Verdict::Comment,
        }
    }
}

fn origin(v: &RecordView) -> String {
    v.origin.as_str().to_string()
}

fn author(v: &RecordView) -> Author {
    Author {
        key: v.author.key.clone(),
        name: v.author.name.clone(),
    }
}

fn spans(list: &[SpanView]) -> Vec<Span> {
    list.iter()
        .map(|s| Span {
            file: s.file.clone(),
            start: s.start,
            end: s.end,
        })
        .collect()
}

fn ai(a: &AiView) -> Ai {
    Ai {
        provider: a.provider.clone(),
        model: a.model.clone(),
        suggestion_type: a.suggestion_type.to_string(),
        prompt_commitment: a.prompt_commitment.clone(),
        confidence: a.confidence,
        token_count: a.token_count,
        temperature: a.temperature,
        max_tokens: a.max_tokens,
        top_p: a.top_p,
        review_seconds: a.review_seconds,
    }
}

fn contribution(c: &ContributionView) -> Contribution {
    Contribution {
        provider: c.provider.clone(),
        model: c.model.clone(),
        agent: c.agent.clone(),
        session: c.session.clone(),
        suggestion_type: c.suggestion_type.to_string(),
        prompt_commitment: c.prompt_commitment.clone(),
        line_spans: spans(&c.line_spans),
        lines: c.lines,
    }
}

impl Claim {
    /// The claim `v` shows, with its patch's review count; `None` when `v` is not an
    /// attestation.
    pub fn of(v: &RecordView, reviews: u64) -> Option<Claim> {
        let BodyView::Attestation(a) = &v.body else {
            return None;
        };
        let a: &AttestationView = a;
        Some(Claim {
            record_id: v.record_id.clone(),
            author: author(v),
            seq: v.seq,
            time: v.time.clone(),
            timestamp_ms: v.timestamp_ms,
            origin: origin(v),
            patch: a.patch.clone(),
            ai_assisted: a.ai_assisted,
            ai: a.ai.as_ref().map(ai),
            description: a.description.clone(),
            depends_on: a.depends_on.clone(),
            conflicts_with: a.conflicts_with.clone(),
            replaces: a.replaces.clone(),
            line_spans: spans(&a.line_spans),
            contributions: a.contributions.iter().map(contribution).collect(),
            reviews,
        })
    }
}

impl Review {
    /// The review `v` shows; `None` when `v` is not a review.
    pub fn of(v: &RecordView) -> Option<Review> {
        let BodyView::Review(r) = &v.body else {
            return None;
        };
        let r: &ReviewView = r;
        Some(Review {
            record_id: v.record_id.clone(),
            author: author(v),
            seq: v.seq,
            time: v.time.clone(),
            timestamp_ms: v.timestamp_ms,
            origin: origin(v),
            patch: r.patch.clone(),
            seconds: r.seconds,
            verdict: r.verdict.to_string(),
            comment: r.comment.clone(),
        })
    }
}
