//! A signed record as queries show it: the readable JSON shape of `log`, `show` and the
//! commands that print what they signed (the signed form is `attrib export`'s), and the
//! one-line summary of how a patch was written.

use attrib_overlay::model::format_milli;
use attrib_overlay::{Attestation, Contribution, Membership, Origin, Payload, SignedRecord};
use serde::Serialize;

use crate::members::author_name;
use crate::time::rfc3339;

/// Who signed a record.
#[derive(Clone, Debug, Serialize)]
pub struct AuthorView {
    /// The signer's key, hex.
    pub key: String,
    /// The signer's member name.
    pub name: String,
}

/// A record, readable.
#[derive(Clone, Debug, Serialize)]
pub struct RecordView {
    /// The record's id (blake3 of its signed bytes), hex.
    pub record_id: String,
    /// Who signed it.
    pub author: AuthorView,
    /// The signer's sequence number.
    pub seq: u32,
    /// When it was signed, RFC 3339.
    pub time: String,
    /// When it was signed, ms since the epoch.
    pub timestamp_ms: u64,
    /// Who produced it.
    pub origin: Origin,
    /// `attestation`, `review`, or the kind of a team record.
    pub kind: &'static str,
    /// What the record says, by kind.
    #[serde(flatten)]
    pub body: BodyView,
}

/// The kind-specific part of a [`RecordView`].
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum BodyView {
    /// An attestation's claim (boxed: it is several times the size of the others).
    Attestation(Box<AttestationView>),
    /// A review.
    Review(ReviewView),
    /// A team record (genesis, grant, revoke) or a retraction: its kind says enough.
    Other {},
}

/// How AI helped, readable.
#[derive(Clone, Debug, Serialize)]
pub struct AiView {
    /// The AI provider.
    pub provider: String,
    /// The AI model.
    pub model: String,
    /// How the AI contributed.
    pub suggestion_type: &'static str,
    /// The salted commitment to the prompt, hex.
    pub prompt_commitment: Option<String>,
    /// The author's confidence, 0 to 1.
    pub confidence: Option<f64>,
    /// Tokens produced.
    pub token_count: Option<u64>,
    /// Sampling temperature.
    pub temperature: Option<f64>,
    /// Token limit.
    pub max_tokens: Option<u32>,
    /// Nucleus sampling.
    pub top_p: Option<f64>,
    /// Seconds the author reviewed the AI's output.
    pub review_seconds: Option<u32>,
}

/// A line span, readable.
#[derive(Clone, Debug, Serialize)]
pub struct SpanView {
    /// The file, as the change recorded it.
    pub file: String,
    /// First line, 1-based.
    pub start: u32,
    /// Last line, inclusive.
    pub end: u32,
}

/// An attestation's claim, readable.
#[derive(Clone, Debug, Serialize)]
pub struct AttestationView {
    /// The patch id.
    pub patch: String,
    /// Whether AI helped.
    pub ai_assisted: bool,
    /// How AI helped.
    pub ai: Option<AiView>,
    /// Free text.
    pub description: Option<String>,
    /// Patches this one depends on.
    pub depends_on: Vec<String>,
    /// Patches this one conflicts with.
    pub conflicts_with: Vec<String>,
    /// The patch this one amends.
    pub replaces: Option<String>,
    /// AI-written lines among those the patch added.
    pub line_spans: Vec<SpanView>,
    /// Each AI session's part (from agent checkpoints), absent when there is none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contributions: Vec<ContributionView>,
}

/// A contribution, readable.
#[derive(Clone, Debug, Serialize)]
pub struct ContributionView {
    /// The model's provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// The agent tool.
    pub agent: String,
    /// The agent's session.
    pub session: Option<String>,
    /// How the session's part relates to the patch.
    pub suggestion_type: &'static str,
    /// The salted commitment to the prompt that led to these lines, hex.
    pub prompt_commitment: Option<String>,
    /// The lines it wrote.
    pub line_spans: Vec<SpanView>,
    /// How many lines that is.
    pub lines: u64,
}

impl ContributionView {
    /// The readable form of `c`.
    pub fn of(c: &Contribution) -> ContributionView {
        ContributionView {
            provider: c.provider.clone(),
            model: c.model.clone(),
            agent: c.agent.clone(),
            session: c.session.clone(),
            suggestion_type: c.suggestion_type.as_str(),
            prompt_commitment: c.prompt_commitment.map(|p| p.to_hex()),
            line_spans: spans(&c.line_spans),
            lines: span_lines(&c.line_spans),
        }
    }
}

/// What a listing adds after the main AI help of an attestation with contributions: the main
/// contribution's agent and how many other models (or, all by one model, other sessions)
/// helped, e.g. ` via claude-code +1 model`; empty without contributions.
pub fn contributions_brief(a: &Attestation) -> String {
    let Some(main) = a.main_contribution() else {
        return String::new();
    };
    let mut s = format!(" via {}", main.agent);
    let mut models: Vec<(&str, &str)> = a
        .contributions
        .iter()
        .map(|c| (c.provider.as_str(), c.model.as_str()))
        .filter(|m| *m != (main.provider.as_str(), main.model.as_str()))
        .collect();
    models.sort_unstable();
    models.dedup();
    let others = a.contributions.len() - 1;
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    if !models.is_empty() {
        s.push_str(&format!(" +{} model{}", models.len(), plural(models.len())));
    } else if others > 0 {
        s.push_str(&format!(" +{others} session{}", plural(others)));
    }
    s
}

fn spans(list: &[attrib_overlay::LineSpan]) -> Vec<SpanView> {
    list.iter()
        .map(|s| SpanView {
            file: s.file.clone(),
            start: s.start,
            end: s.end,
        })
        .collect()
}

pub use attrib_overlay::span_lines;

/// A review, readable.
#[derive(Clone, Debug, Serialize)]
pub struct ReviewView {
    /// The reviewed patch.
    pub patch: String,
    /// Seconds spent.
    pub seconds: u32,
    /// approve, request-changes or comment.
    pub verdict: &'static str,
    /// Free text.
    pub comment: Option<String>,
}

impl RecordView {
    /// The readable form of `r`, with member names from `m`.
    pub fn of(m: Option<&Membership>, r: &SignedRecord) -> RecordView {
        let (kind, body) = match &r.record.payload {
            Payload::Attest(a) => (
                "attestation",
                BodyView::Attestation(Box::new(AttestationView {
                    patch: a.patch.as_str().to_string(),
                    ai_assisted: a.ai.is_some(),
                    ai: a.ai.as_ref().map(|ai| AiView {
                        provider: ai.provider.clone(),
                        model: ai.model.clone(),
                        suggestion_type: ai.suggestion_type.as_str(),
                        prompt_commitment: ai.prompt_commitment.map(|c| c.to_hex()),
                        confidence: ai.confidence_permille.map(|c| f64::from(c) / 1000.0),
                        token_count: ai.token_count,
                        temperature: ai.temperature_milli.map(|t| f64::from(t) / 1000.0),
                        max_tokens: ai.max_tokens,
                        top_p: ai.top_p_milli.map(|t| f64::from(t) / 1000.0),
                        review_seconds: ai.review_seconds,
                    }),
                    description: a.description.clone(),
                    depends_on: a
                        .depends_on
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                    conflicts_with: a
                        .conflicts_with
                        .iter()
                        .map(|p| p.as_str().to_string())
                        .collect(),
                    replaces: a.replaces.as_ref().map(|p| p.as_str().to_string()),
                    line_spans: spans(&a.line_spans),
                    contributions: a.contributions.iter().map(ContributionView::of).collect(),
                })),
            ),
            Payload::Review(rv) => (
                "review",
                BodyView::Review(ReviewView {
                    patch: rv.patch.as_str().to_string(),
                    seconds: rv.seconds,
                    verdict: rv.verdict.as_str(),
                    comment: rv.comment.clone(),
                }),
            ),
            other => (other.kind(), BodyView::Other {}),
        };
        RecordView {
            record_id: r.id().to_hex(),
            author: AuthorView {
                key: r.signer.to_hex(),
                name: author_name(m, r),
            },
            seq: r.record.seq,
            time: rfc3339(r.record.timestamp_ms),
            timestamp_ms: r.record.timestamp_ms,
            origin: r.record.origin,
            kind,
            body,
        }
    }
}

/// The attribution column of a listing (`log`): `AI anthropic/claude-sonnet-4 partial 0.85`,
/// `human`, and for an attestation with contributions the main one's agent and how many other
/// models helped (`AI anthropic/claude-sonnet-4 partial via claude-code +1 model`); empty for a
/// record that is not an attestation.
pub fn ai_brief(r: &SignedRecord) -> String {
    let Payload::Attest(a) = &r.record.payload else {
        return String::new();
    };
    let Some(ai) = &a.ai else {
        return "human".to_string();
    };
    let mut s = ai_phrase(ai);
    s.push_str(&contributions_brief(a));
    s
}

/// `AI provider/model kind [confidence]`.
fn ai_phrase(ai: &attrib_overlay::AiAssistance) -> String {
    let mut s = format!(
        "AI {}/{} {}",
        ai.provider,
        ai.model,
        ai.suggestion_type.as_str()
    );
    if let Some(c) = ai.confidence_permille {
        s.push(' ');
        s.push_str(&format_milli(u32::from(c)));
    }
    s
}

/// A one-line description of how a patch was written: `AI anthropic/claude-sonnet-4 partial
/// 0.85`, `human`, or, for an attestation with several contributions, each of them with its
/// agent and lines (`AI anthropic/claude-sonnet-4 via claude-code 37 lines + acme/coder via
/// aider 10 lines`); empty for a record that is not an attestation.
pub fn ai_summary(r: &SignedRecord) -> String {
    match &r.record.payload {
        Payload::Attest(a) if !a.contributions.is_empty() => {
            let parts: Vec<String> = a
                .contributions
                .iter()
                .map(|c| {
                    let n = span_lines(&c.line_spans);
                    format!(
                        "{}/{} via {} {n} line{}",
                        c.provider,
                        c.model,
                        c.agent,
                        if n == 1 { "" } else { "s" }
                    )
                })
                .collect();
            format!("AI {}", parts.join(" + "))
        }
        Payload::Attest(a) => match &a.ai {
            None => "human".to_string(),
            Some(ai) => ai_phrase(ai),
        },
        _ => String::new(),
    }
}
