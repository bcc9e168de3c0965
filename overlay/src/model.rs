//! The data model: what a signed record says, and its canonical encoding.
//!
//! A [`Record`] is the body an author signs. Its canonical bytes are its postcard encoding (fixed
//! field order, varints, no maps), and decoding accepts only bytes that re-encode identically, so
//! every record has exactly one byte string and one id. Floats never appear: confidence is in
//! permille and sampling parameters in thousandths.

use serde::{Deserialize, Serialize};

use crate::error::FormatError;
use crate::ids::{PatchId, PromptCommitment, PublicKey};

/// Longest free-text field (description, review comment), in bytes.
pub const MAX_TEXT: usize = 4096;
/// Longest short field (provider, model, names, email), in bytes.
pub const MAX_NAME: usize = 256;
/// Most entries in a list field (dependencies, conflicts, line spans).
pub const MAX_LIST: usize = 1024;

/// What produced a record: a person at the keyboard, an agent's hook, a detector (trailers), or
/// an import of an unsigned foreign format. Agent claims and human attestations stay apart.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A person recorded or annotated the patch themselves (`attrib record`, `annotate`).
    Person,
    /// An AI agent's hook wrote the record: a claim by the tool, not a person's word.
    AgentHook,
    /// Inferred from the patch's metadata (commit-message trailers such as `Co-authored-by:`),
    /// so of lower confidence than a stated claim.
    Detected,
    /// Converted from an unsigned foreign format: the signer vouches for having imported it,
    /// not for what it says.
    Imported,
}

impl Origin {
    /// The origin as reports, exports and JSON spell it (the same as its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Person => "person",
            Origin::AgentHook => "agent-hook",
            Origin::Detected => "detected",
            Origin::Imported => "imported",
        }
    }
}

/// How the AI contributed to a patch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SuggestionType {
    /// The AI wrote the change as recorded.
    Complete,
    /// The AI wrote part of the change; the person wrote the rest.
    Partial,
    /// Person and AI wrote it together, turn by turn.
    Collaborative,
    /// The person wrote it after an AI's suggestion or explanation.
    Inspired,
    /// The AI reviewed a change the person wrote.
    Review,
    /// The AI restructured existing code without changing what it does.
    Refactor,
}

impl SuggestionType {
    /// Every suggestion type, in declaration order (for parsing, listings and tests).
    pub const ALL: [SuggestionType; 6] = [
        SuggestionType::Complete,
        SuggestionType::Partial,
        SuggestionType::Collaborative,
        SuggestionType::Inspired,
        SuggestionType::Review,
        SuggestionType::Refactor,
    ];
    /// The lowercase name used in flags, environment variables, JSON and CSV (`complete`, …);
    /// [`str::parse`] accepts it back, in any case.
    pub fn as_str(self) -> &'static str {
        match self {
            SuggestionType::Complete => "complete",
            SuggestionType::Partial => "partial",
            SuggestionType::Collaborative => "collaborative",
            SuggestionType::Inspired => "inspired",
            SuggestionType::Review => "review",
            SuggestionType::Refactor => "refactor",
        }
    }
}

impl std::str::FromStr for SuggestionType {
    type Err = FormatError;
    fn from_str(s: &str) -> Result<Self, FormatError> {
        SuggestionType::ALL
            .into_iter()
            .find(|t| t.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| {
                FormatError::new(format!(
                    "unknown suggestion type {:?}; expected one of complete, partial, collaborative, inspired, review, refactor",
                    crate::error::clip(s)
                ))
            })
    }
}

/// A reviewer's verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// The reviewer approves the patch as it is.
    Approve,
    /// The reviewer asks for changes before the patch is accepted.
    RequestChanges,
    /// A remark that neither approves nor blocks.
    Comment,
}

impl Verdict {
    /// The kebab-case name used in flags and output (`approve`, `request-changes`, `comment`).
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::RequestChanges => "request-changes",
            Verdict::Comment => "comment",
        }
    }
}

/// A range of lines, 1-based and inclusive, of the lines a patch adds to one file, numbered in
/// the file as the patch recorded it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct LineSpan {
    /// The file's path in the repository, as the VCS names it (`/`-separated, relative).
    pub file: String,
    /// First line of the span, counted from 1 in `file` as the patch recorded it (only lines
    /// the patch adds are meaningful; blame follows them to where they are now).
    pub start: u32,
    /// Last line of the span, inclusive; never less than `start`.
    pub end: u32,
}

/// How AI helped write a patch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AiAssistance {
    /// Who serves the model (`anthropic`, `openai`, …), as the user or agent named it; never
    /// empty.
    pub provider: String,
    /// The model's name as its provider spells it (`claude-sonnet-4`, …); never empty.
    pub model: String,
    /// How the AI's part relates to the patch.
    pub suggestion_type: SuggestionType,
    /// Salted blake3 commitment to the prompt; see [`crate::commit_prompt`].
    pub prompt_commitment: Option<PromptCommitment>,
    /// The author's confidence in the AI's part, 0..=1000 permille.
    pub confidence_permille: Option<u16>,
    /// Tokens the AI used for this patch (prompt and output), as the tool reported them.
    pub token_count: Option<u64>,
    /// Sampling temperature in thousandths (0.7 is 700).
    pub temperature_milli: Option<u32>,
    /// The output token limit the model ran with.
    pub max_tokens: Option<u32>,
    /// Nucleus sampling `top_p` in thousandths.
    pub top_p_milli: Option<u32>,
    /// Seconds a human spent reviewing the AI's output before recording.
    pub review_seconds: Option<u32>,
}

impl AiAssistance {
    /// AI help by `model` of `provider`, of the given kind, with nothing else said (no prompt
    /// commitment, confidence, tokens, parameters or review time).
    pub fn new(
        provider: impl Into<String>,
        model: impl Into<String>,
        suggestion_type: SuggestionType,
    ) -> AiAssistance {
        AiAssistance {
            provider: provider.into(),
            model: model.into(),
            suggestion_type,
            prompt_commitment: None,
            confidence_permille: None,
            token_count: None,
            temperature_milli: None,
            max_tokens: None,
            top_p_milli: None,
            review_seconds: None,
        }
    }
}

/// One AI tool session's part in a patch: which model, through which agent, wrote which of the
/// lines the patch adds. An attestation holds one per session; lines outside every
/// contribution's spans are the author's own.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Contribution {
    /// Who serves the model (`anthropic`, `openai`, …); never empty.
    pub provider: String,
    /// The model's name as its provider spells it; never empty.
    pub model: String,
    /// The agent tool that drove the model (`claude-code`, `codex`, `cursor`, `gemini-cli`, or
    /// what a generic hook names); never empty.
    pub agent: String,
    /// The agent's session id, as the agent reported it (none when it did not say).
    pub session: Option<String>,
    /// How the session's part relates to the patch.
    pub suggestion_type: SuggestionType,
    /// Salted commitment to the prompt that led to these lines, kept only when the author
    /// opted in (`track_prompts`); see [`crate::commit_prompt`].
    pub prompt_commitment: Option<PromptCommitment>,
    /// The lines of the patch this session wrote, numbered in each file as the patch recorded
    /// it; not empty.
    pub line_spans: Vec<LineSpan>,
}

/// One author's claim about one patch. The author is the record's signer; there is no field
/// that could name anyone else, which is what makes records author-owned.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Attestation {
    /// The patch attested, by the VCS's own id.
    pub patch: PatchId,
    /// `None`: written by a human without AI help.
    pub ai: Option<AiAssistance>,
    /// Free text about the patch, at most [`MAX_TEXT`] bytes.
    pub description: Option<String>,
    /// Patches this one needs, as the author or the VCS declared them (at most [`MAX_LIST`]).
    pub depends_on: Vec<PatchId>,
    /// Patches this one conflicts with (at most [`MAX_LIST`]).
    pub conflicts_with: Vec<PatchId>,
    /// The patch this one amends (its attribution was carried over).
    pub replaces: Option<PatchId>,
    /// Which added lines were AI-written; empty means "the whole patch" when `ai` is set and
    /// there are no `contributions`.
    pub line_spans: Vec<LineSpan>,
    /// Each AI session's part, with its own lines (from agent checkpoints). When present, `ai`
    /// names the contribution that wrote the most lines, `line_spans` is empty, and the lines
    /// outside every contribution are the author's. Records that predate contributions have
    /// none, and keep their canonical bytes (see [`Record::to_canonical`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub contributions: Vec<Contribution>,
}

impl Attestation {
    /// Every AI-written span the attestation names: its `line_spans`, or each contribution's.
    pub fn ai_spans(&self) -> impl Iterator<Item = &LineSpan> {
        self.line_spans
            .iter()
            .chain(self.contributions.iter().flat_map(|c| c.line_spans.iter()))
    }

    /// The contribution the attestation's `ai` names: of those by the same provider and model,
    /// the one that wrote the most lines (the first on a tie); `None` without contributions.
    /// Its agent is the one `stats --by agent` counts the patch for.
    pub fn main_contribution(&self) -> Option<&Contribution> {
        let ai = self.ai.as_ref();
        most_lines(
            self.contributions
                .iter()
                .filter(|c| ai.is_some_and(|ai| ai.provider == c.provider && ai.model == c.model)),
        )
        .or_else(|| most_lines(self.contributions.iter()))
    }
}

/// The contribution that wrote the most lines, the first of equals.
fn most_lines<'a>(list: impl Iterator<Item = &'a Contribution>) -> Option<&'a Contribution> {
    let mut best: Option<(&Contribution, u64)> = None;
    for c in list {
        let n = span_lines(&c.line_spans);
        if best.is_none_or(|(_, most)| n > most) {
            best = Some((c, n));
        }
    }
    best.map(|(c, _)| c)
}

/// How many lines spans cover.
pub fn span_lines(list: &[LineSpan]) -> u64 {
    // Stored spans are checked (start <= end); saturating keeps a bad one from panicking.
    list.iter()
        .map(|s| u64::from(s.end.saturating_sub(s.start)) + 1)
        .sum()
}

/// A member's review of a patch.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Review {
    /// The patch reviewed.
    pub patch: PatchId,
    /// Time the reviewer spent on it, in seconds.
    pub seconds: u32,
    /// What the reviewer concluded.
    pub verdict: Verdict,
    /// Free text, at most [`MAX_TEXT`] bytes.
    pub comment: Option<String>,
}

/// What a record says.
// Nearly every record is an attestation: boxing it to shrink the rare variants would put an
// allocation on the common path and a `Box` in every match.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Payload {
    /// Founds a team. Its record id is the team id; its signer is the first admin.
    Genesis {
        /// The team's display name; not empty.
        team_name: String,
        /// The founder's display name.
        founder_name: String,
        /// The founder's email, if given.
        founder_email: Option<String>,
    },
    /// An admin admits a device key (or updates its name or admin flag).
    Grant {
        /// The device key admitted.
        member: PublicKey,
        /// The member's display name.
        name: String,
        /// The member's email, if given.
        email: Option<String>,
        /// Whether the key may grant and revoke in turn.
        admin: bool,
    },
    /// An admin revokes a key: its records with `seq > after_seq` are rejected, earlier ones stay.
    Revoke {
        /// The device key revoked.
        member: PublicKey,
        /// The last sequence number of `member` that stays valid (what the admin had seen).
        after_seq: u32,
    },
    /// The signer's claim about a patch they wrote.
    Attest(Attestation),
    /// The signer's review of a patch (usually someone else's).
    Review(Review),
    /// The author's own tombstone for their attestation of `patch`. `author` must be the signer.
    Retract {
        /// The patch whose attestation is withdrawn.
        patch: PatchId,
        /// The attestation's author; a retraction naming anyone but its signer is refused.
        author: PublicKey,
    },
}

impl Payload {
    /// The payload's kind as a short stable word (`genesis`, `grant`, `revoke`, `attest`,
    /// `review`, `retract`), for output, JSON and audit findings.
    pub fn kind(&self) -> &'static str {
        match self {
            Payload::Genesis { .. } => "genesis",
            Payload::Grant { .. } => "grant",
            Payload::Revoke { .. } => "revoke",
            Payload::Attest(_) => "attest",
            Payload::Review(_) => "review",
            Payload::Retract { .. } => "retract",
        }
    }
    /// Membership records are evaluated by [`crate::team::Membership`], not placed in slots.
    pub fn is_membership(&self) -> bool {
        matches!(
            self,
            Payload::Genesis { .. } | Payload::Grant { .. } | Payload::Revoke { .. }
        )
    }
    /// The patch a record is about, if any.
    pub fn patch(&self) -> Option<&PatchId> {
        match self {
            Payload::Attest(a) => Some(&a.patch),
            Payload::Review(r) => Some(&r.patch),
            Payload::Retract { patch, .. } => Some(patch),
            _ => None,
        }
    }
}

/// The body an author signs.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Record {
    /// The signer's sequence number, strictly increasing per key. Two different records with the
    /// same signer and sequence number are equivocation.
    pub seq: u32,
    /// Milliseconds since the Unix epoch, as the signer's clock said.
    pub timestamp_ms: u64,
    /// What produced the record (a person, an agent hook, a detector, an import).
    pub origin: Origin,
    /// What the record says.
    pub payload: Payload,
}

impl Record {
    /// Canonical bytes: the postcard encoding of the record's canonical form (see
    /// `overlay/src/canonical.rs`: a record without contributions encodes as records always
    /// have).
    pub fn to_canonical(&self) -> Vec<u8> {
        crate::canonical::encode(self)
    }

    /// [`Record::to_canonical`] into `buf`, without allocating; `None` when it does not fit.
    pub fn to_canonical_in<'b>(&self, buf: &'b mut [u8]) -> Option<&'b mut [u8]> {
        crate::canonical::encode_into(self, buf)
    }

    /// Decodes canonical bytes, refusing anything that would not re-encode identically.
    pub fn from_canonical(bytes: &[u8]) -> Result<Record, FormatError> {
        let record = crate::canonical::decode(bytes)
            .map_err(|e| FormatError::new(format!("undecodable record body: {e}")))?;
        if record.to_canonical() != bytes {
            return Err(FormatError::new("record body is not in canonical form"));
        }
        record.validate()?;
        Ok(record)
    }

    /// Decodes bytes this process or an earlier one already checked with
    /// [`Record::from_canonical`] (the store's own log). Skips the re-encoding round trip that
    /// makes reads of the whole store slow; `attrib verify` still runs the full check.
    pub fn from_trusted(bytes: &[u8]) -> Result<Record, FormatError> {
        crate::canonical::decode(bytes)
            .map_err(|e| FormatError::new(format!("undecodable record body: {e}")))
    }

    /// Checks the limits and ranges that the types alone do not express.
    pub fn validate(&self) -> Result<(), FormatError> {
        fn text(what: &str, s: &str, max: usize) -> Result<(), FormatError> {
            if s.len() > max {
                return Err(FormatError::new(format!(
                    "{what} is {} bytes; the limit is {max}",
                    s.len()
                )));
            }
            if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(FormatError::new(format!("{what} has control characters")));
            }
            Ok(())
        }
        fn list<T>(what: &str, v: &[T]) -> Result<(), FormatError> {
            if v.len() > MAX_LIST {
                return Err(FormatError::new(format!(
                    "{what} has {} entries; the limit is {MAX_LIST}",
                    v.len()
                )));
            }
            Ok(())
        }
        match &self.payload {
            Payload::Genesis {
                team_name,
                founder_name,
                founder_email,
            } => {
                text("team name", team_name, MAX_NAME)?;
                if team_name.trim().is_empty() {
                    return Err(FormatError::new("team name is empty"));
                }
                text("founder name", founder_name, MAX_NAME)?;
                text(
                    "founder email",
                    founder_email.as_deref().unwrap_or(""),
                    MAX_NAME,
                )?;
            }
            Payload::Grant { name, email, .. } => {
                text("member name", name, MAX_NAME)?;
                text("member email", email.as_deref().unwrap_or(""), MAX_NAME)?;
            }
            Payload::Revoke { .. } | Payload::Retract { .. } => {}
            Payload::Attest(a) => {
                text(
                    "description",
                    a.description.as_deref().unwrap_or(""),
                    MAX_TEXT,
                )?;
                list("depends_on", &a.depends_on)?;
                list("conflicts_with", &a.conflicts_with)?;
                list("line_spans", &a.line_spans)?;
                list("contributions", &a.contributions)?;
                let spans: usize = a.contributions.iter().map(|c| c.line_spans.len()).sum();
                if a.line_spans.len() + spans > MAX_LIST {
                    return Err(FormatError::new(format!(
                        "the attestation names {} line spans; the limit is {MAX_LIST}",
                        a.line_spans.len() + spans
                    )));
                }
                for span in a.ai_spans() {
                    text("line span file", &span.file, MAX_NAME * 4)?;
                    if span.start == 0 || span.end < span.start {
                        return Err(FormatError::new(format!(
                            "line span {}-{} is not a 1-based inclusive range",
                            span.start, span.end
                        )));
                    }
                }
                for c in &a.contributions {
                    text("contribution provider", &c.provider, MAX_NAME)?;
                    text("contribution model", &c.model, MAX_NAME)?;
                    text("contribution agent", &c.agent, MAX_NAME)?;
                    text(
                        "contribution session",
                        c.session.as_deref().unwrap_or(""),
                        MAX_NAME,
                    )?;
                    if c.provider.trim().is_empty()
                        || c.model.trim().is_empty()
                        || c.agent.trim().is_empty()
                    {
                        return Err(FormatError::new(
                            "a contribution's provider, model and agent must not be empty",
                        ));
                    }
                    if c.line_spans.is_empty() {
                        return Err(FormatError::new("a contribution names no lines"));
                    }
                }
                if !a.contributions.is_empty() && (a.ai.is_none() || !a.line_spans.is_empty()) {
                    return Err(FormatError::new(
                        "an attestation with contributions names its main AI help and no spans of its own",
                    ));
                }
                if let Some(ai) = &a.ai {
                    text("provider", &ai.provider, MAX_NAME)?;
                    text("model", &ai.model, MAX_NAME)?;
                    if ai.provider.trim().is_empty() || ai.model.trim().is_empty() {
                        return Err(FormatError::new("AI provider and model must not be empty"));
                    }
                    if ai.confidence_permille.is_some_and(|c| c > 1000) {
                        return Err(FormatError::new("confidence must be between 0 and 1"));
                    }
                }
            }
            Payload::Review(r) => {
                text(
                    "review comment",
                    r.comment.as_deref().unwrap_or(""),
                    MAX_TEXT,
                )?;
            }
        }
        Ok(())
    }
}

/// Parses a confidence given as `0.85`, `85%` or `850‰`-free permille-safe decimal into permille.
pub fn parse_confidence(s: &str) -> Result<u16, FormatError> {
    let t = s.trim();
    let (num, scale) = match t.strip_suffix('%') {
        Some(p) => (p.trim(), 10.0),
        None => (t, 1000.0),
    };
    let v: f64 = num.parse().map_err(|_| {
        FormatError::new(format!(
            "confidence {:?} is not a number",
            crate::error::clip(s)
        ))
    })?;
    let permille = (v * scale).round();
    if !(0.0..=1000.0).contains(&permille) || !v.is_finite() {
        return Err(FormatError::new(format!(
            "confidence {:?} is out of range; give a value from 0 to 1 (or 0% to 100%)",
            crate::error::clip(s)
        )));
    }
    Ok(permille as u16)
}

/// Parses a decimal such as a temperature (`0.7`) into thousandths.
pub fn parse_milli(what: &str, s: &str) -> Result<u32, FormatError> {
    let v: f64 = s.trim().parse().map_err(|_| {
        FormatError::new(format!(
            "{what} {:?} is not a number",
            crate::error::clip(s)
        ))
    })?;
    if !v.is_finite() || !(0.0..=4_000_000.0).contains(&v) {
        return Err(FormatError::new(format!("{what} {v} is out of range")));
    }
    Ok((v * 1000.0).round() as u32)
}

/// Formats thousandths or permille as a decimal (`850` → `0.85`).
pub fn format_milli(v: u32) -> String {
    let mut s = String::new();
    // Writing to a String cannot fail.
    let _ = write_milli(&mut s, v);
    s
}

/// Writes thousandths as a decimal without allocating: `850` → `0.85`, `1000` → `1`.
pub fn write_milli(out: &mut impl std::fmt::Write, v: u32) -> std::fmt::Result {
    write!(out, "{}", v / 1000)?;
    let mut frac = v % 1000;
    if frac == 0 {
        return Ok(());
    }
    out.write_char('.')?;
    let mut div = 100;
    while frac > 0 {
        out.write_char((b'0' + (frac / div) as u8) as char)?;
        frac %= div;
        div /= 10;
    }
    Ok(())
}

/// A salted commitment to a prompt: `blake3(salt || prompt)` with a fresh 16-byte salt.
/// The salt stays with the author, who can later open the commitment by revealing both.
pub fn commit_prompt(prompt: &[u8]) -> Result<(PromptCommitment, [u8; 16]), getrandom::Error> {
    let mut salt = [0u8; 16];
    getrandom::getrandom(&mut salt)?;
    Ok((commit_prompt_with_salt(prompt, &salt), salt))
}

/// The commitment for a known salt; opening a commitment recomputes this.
pub fn commit_prompt_with_salt(prompt: &[u8], salt: &[u8; 16]) -> PromptCommitment {
    let mut h = blake3::Hasher::new_derive_key("attrib 2026 prompt commitment v1");
    h.update(salt);
    h.update(prompt);
    PromptCommitment(*h.finalize().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Record {
        Record {
            seq: 7,
            timestamp_ms: 1_790_000_000_000,
            origin: Origin::Person,
            payload: Payload::Attest(Attestation {
                patch: PatchId::new("P1").unwrap(),
                ai: Some(AiAssistance {
                    provider: "anthropic".into(),
                    model: "claude-sonnet-4".into(),
                    suggestion_type: SuggestionType::Partial,
                    prompt_commitment: None,
                    confidence_permille: Some(850),
                    token_count: Some(1200),
                    temperature_milli: None,
                    max_tokens: None,
                    top_p_milli: None,
                    review_seconds: Some(30),
                }),
                description: None,
                depends_on: vec![],
                conflicts_with: vec![],
                replaces: None,
                line_spans: vec![],
                contributions: vec![],
            }),
        }
    }

    #[test]
    fn canonical_round_trip_and_trailing_bytes_refused() {
        let r = sample();
        let bytes = r.to_canonical();
        assert_eq!(Record::from_canonical(&bytes).unwrap(), r);
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(Record::from_canonical(&longer).is_err());
        assert!(Record::from_canonical(&bytes[..bytes.len() - 1]).is_err());
    }

    #[test]
    fn out_of_range_confidence_is_refused() {
        let mut r = sample();
        if let Payload::Attest(a) = &mut r.payload {
            a.ai.as_mut().unwrap().confidence_permille = Some(1001);
        }
        assert!(Record::from_canonical(&r.to_canonical()).is_err());
    }

    #[test]
    fn confidence_parsing() {
        assert_eq!(parse_confidence("0.85").unwrap(), 850);
        assert_eq!(parse_confidence("85%").unwrap(), 850);
        assert_eq!(parse_confidence("1").unwrap(), 1000);
        assert!(parse_confidence("1.5").is_err());
        assert!(parse_confidence("-0.1").is_err());
        assert!(parse_confidence("high").is_err());
        assert!(parse_confidence("NaN").is_err());
        assert_eq!(format_milli(850), "0.85");
        assert_eq!(format_milli(1000), "1");
        assert_eq!(format_milli(0), "0");
    }
}
