//! Agent Trace v0.1 (<https://agent-trace.dev>, the open record format for AI-written code):
//! the format, each attestation as a trace record ([`trace_of`]), and reading records.
//!
//! **Export.** One trace record per current attestation that has line spans, as JSON Lines
//! (the reference implementation's `traces.jsonl`): `files → conversations → contributor
//! {type, model_id} → ranges {start_line, end_line}`. In a Pijul repository an AI-assisted
//! attestation without spans (it covers its whole change) is exported too, with the lines the
//! change added (`pijul change`) as its ranges and `dev.attrib.lines = "all-added"`, which an
//! import reads back as a claim on the whole change. An attestation with contributions (one per
//! AI session) has one conversation per contribution in each file it wrote, with the
//! contribution's model and ranges; its `url` (`urn:x-attrib:contribution:RECORD:N`) names
//! entry N of `dev.attrib.contributions`, which holds the contribution's agent tool, session,
//! suggestion type and prompt commitment. The record's `id` is a UUID (version 8)
//! derived from the signed record's id, so exporting twice writes the same file. The spec's
//! `vcs.type` is one of git, jj, hg or svn, so a Pijul change hash cannot go there: it goes in
//! `metadata["dev.attrib"].change`, with the author, origin, suggestion type, confidence and
//! the signed record's id. Every record validates against `schemas/agent-trace-0.1.schema.json`
//! (the spec's schema).
//!
//! **Reading.** [`parse`] reads JSON Lines, one record, or an array of records, and checks what
//! the schema checks that serde's types do not. Importing them as claims is the write side's
//! (`attrib_workspace::import::agent_trace`).

use std::time::{Duration, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{AiAssistance, LineSpan, Payload, SignedRecord};
use attrib_vcs_adapter::pijul::AddedLine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::members::author_name;

/// The version written in exported records (the schema's `major.minor` form).
pub const VERSION: &str = "0.1";
/// The vendor key of attrib's own metadata.
pub const VENDOR: &str = "dev.attrib";
/// `dev.attrib.lines` of a record whose ranges are every line its change added (the
/// attestation covers the whole change).
pub const WHOLE_CHANGE: &str = "all-added";
/// Longest `model_id` the spec allows.
const MAX_MODEL_ID: usize = 250;
/// How a conversation's `url` names one of the record's contributions: this prefix, the
/// signed record's id, `:`, and the contribution's index in `dev.attrib.contributions`.
pub const CONTRIBUTION_URN: &str = "urn:x-attrib:contribution:";

/// One trace record: which lines of which files a contributor wrote.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TraceRecord {
    /// The spec version, `MAJOR.MINOR`.
    pub version: String,
    /// The record's UUID.
    pub id: String,
    /// When the record was made, RFC 3339.
    pub timestamp: String,
    /// The revision the ranges are about (git, jj, hg or svn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcs: Option<Vcs>,
    /// The tool that wrote the record.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
    /// The files and their ranges.
    pub files: Vec<TraceFile>,
    /// Free metadata; attrib's own is under `dev.attrib`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

/// A VCS revision.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Vcs {
    /// `git`, `jj`, `hg` or `svn`.
    #[serde(rename = "type")]
    pub kind: String,
    /// The revision id.
    pub revision: String,
}

/// The tool that wrote a record.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Tool {
    /// Its name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Its version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

/// One file of a record.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TraceFile {
    /// The file's path in the repository.
    pub path: String,
    /// Who wrote which ranges.
    pub conversations: Vec<Conversation>,
}

/// One conversation (an agent session, a person) and the ranges it wrote.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Conversation {
    /// Where the conversation can be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Who wrote the ranges (a range may name its own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
    /// The line ranges.
    pub ranges: Vec<Range>,
    /// Related resources, kept as they are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<Value>>,
}

/// Who wrote a range.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    /// A human, an AI, both, or unknown.
    #[serde(rename = "type")]
    pub kind: ContributorType,
    /// The model, `provider/model` (models.dev's convention).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

/// The kinds of contributor.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContributorType {
    /// A person.
    Human,
    /// An AI.
    Ai,
    /// A person and an AI together.
    Mixed,
    /// Not known.
    Unknown,
}

/// A run of lines.
#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Range {
    /// First line, 1-based.
    pub start_line: u64,
    /// Last line, inclusive.
    pub end_line: u64,
    /// A hash of the lines' content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    /// Who wrote this range, when not the conversation's contributor.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
}

/// A UUID (RFC 9562 version 8, custom) from a record id: the same record always gets the same
/// trace id.
pub fn uuid_from(bytes: &[u8; 32]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(&bytes[..16]);
    b[6] = (b[6] & 0x0f) | 0x80;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex::encode(b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// `provider/model`, the models.dev convention the spec uses for `model_id`.
pub fn model_id(ai: &AiAssistance) -> String {
    model_id_of(&ai.provider, &ai.model)
}

/// `provider/model`, cut to the spec's longest `model_id`.
pub fn model_id_of(provider: &str, model: &str) -> String {
    let mut id = format!("{provider}/{model}");
    if id.len() > MAX_MODEL_ID {
        let mut cut = MAX_MODEL_ID;
        while !id.is_char_boundary(cut) {
            cut -= 1;
        }
        id.truncate(cut);
    }
    id
}

/// The lines a change added, as ranges: runs of consecutive line numbers per file, in the
/// order the change adds them.
pub fn added_ranges(lines: &[AddedLine]) -> Vec<LineSpan> {
    let mut out: Vec<LineSpan> = Vec::new();
    for l in lines {
        match out.last_mut() {
            Some(last) if last.file == l.file && last.end.checked_add(1) == Some(l.line) => {
                last.end = l.line;
            }
            _ => out.push(LineSpan {
                file: l.file.clone(),
                start: l.line,
                end: l.line,
            }),
        }
    }
    out
}

/// The trace record of one attestation: its line spans, or (`whole`) the lines its change
/// added, for an attestation that covers the whole change. `None` without any range.
pub fn trace_of(
    r: &SignedRecord,
    m: Option<&attrib_overlay::Membership>,
    whole: Option<&[LineSpan]>,
) -> Option<TraceRecord> {
    let Payload::Attest(a) = &r.record.payload else {
        return None;
    };
    if !a.contributions.is_empty() {
        return Some(with_contributions(r, a, m));
    }
    let spans: &[LineSpan] = match whole {
        Some(w) if a.line_spans.is_empty() => w,
        _ => &a.line_spans,
    };
    if spans.is_empty() {
        return None;
    }
    let contributor = match &a.ai {
        Some(ai) => Contributor {
            kind: ContributorType::Ai,
            model_id: Some(model_id(ai)),
        },
        None => Contributor {
            kind: ContributorType::Human,
            model_id: None,
        },
    };
    // Files in the order the attestation first names them; each file's ranges in order.
    let mut files: Vec<TraceFile> = Vec::new();
    for span in spans {
        let range = range_of(span);
        match files.iter_mut().find(|f| f.path == span.file) {
            Some(f) => f.conversations[0].ranges.push(range),
            None => files.push(TraceFile {
                path: span.file.clone(),
                conversations: vec![Conversation {
                    url: None,
                    contributor: Some(contributor.clone()),
                    ranges: vec![range],
                    related: None,
                }],
            }),
        }
    }
    let mut ours = vendor_of(r, a, m);
    if a.line_spans.is_empty() {
        // The claim covers the whole change: these are all the lines it added.
        ours.insert("lines".into(), json!(WHOLE_CHANGE));
    }
    Some(record_of(r, a, files, ours))
}

/// A span as a trace range.
fn range_of(span: &LineSpan) -> Range {
    Range {
        start_line: u64::from(span.start),
        end_line: u64::from(span.end),
        content_hash: None,
        contributor: None,
    }
}

/// The trace record of an attestation with contributions: in each file, one conversation per
/// contribution that wrote lines there, in the contributions' order.
fn with_contributions(
    r: &SignedRecord,
    a: &attrib_overlay::Attestation,
    m: Option<&attrib_overlay::Membership>,
) -> TraceRecord {
    let record_id = r.id().to_hex();
    let mut files: Vec<TraceFile> = Vec::new();
    let mut listed = Vec::with_capacity(a.contributions.len());
    for (i, c) in a.contributions.iter().enumerate() {
        let url = format!("{CONTRIBUTION_URN}{record_id}:{i}");
        for span in &c.line_spans {
            let file = match files.iter().position(|f| f.path == span.file) {
                Some(k) => &mut files[k],
                None => {
                    files.push(TraceFile {
                        path: span.file.clone(),
                        conversations: Vec::new(),
                    });
                    let last = files.len() - 1;
                    &mut files[last]
                }
            };
            match file
                .conversations
                .iter_mut()
                .find(|conv| conv.url.as_deref() == Some(url.as_str()))
            {
                Some(conv) => conv.ranges.push(range_of(span)),
                None => file.conversations.push(Conversation {
                    url: Some(url.clone()),
                    contributor: Some(Contributor {
                        kind: ContributorType::Ai,
                        model_id: Some(model_id_of(&c.provider, &c.model)),
                    }),
                    ranges: vec![range_of(span)],
                    related: None,
                }),
            }
        }
        let mut entry = Map::new();
        entry.insert("agent".into(), json!(c.agent));
        if let Some(s) = &c.session {
            entry.insert("session".into(), json!(s));
        }
        entry.insert("provider".into(), json!(c.provider));
        entry.insert("model".into(), json!(c.model));
        entry.insert("suggestion_type".into(), json!(c.suggestion_type.as_str()));
        if let Some(p) = &c.prompt_commitment {
            entry.insert("prompt_commitment".into(), json!(p.to_hex()));
        }
        listed.push(Value::Object(entry));
    }
    let mut ours = vendor_of(r, a, m);
    ours.insert("contributions".into(), Value::Array(listed));
    record_of(r, a, files, ours)
}

/// attrib's own metadata about an attestation (`dev.attrib`), without `lines` and
/// `contributions`.
fn vendor_of(
    r: &SignedRecord,
    a: &attrib_overlay::Attestation,
    m: Option<&attrib_overlay::Membership>,
) -> Map<String, Value> {
    let mut ours = Map::new();
    ours.insert("change".into(), json!(a.patch.as_str()));
    ours.insert(
        "author".into(),
        json!({ "key": r.signer.to_hex(), "name": author_name(m, r) }),
    );
    ours.insert("origin".into(), json!(r.record.origin.as_str()));
    if let Some(ai) = &a.ai {
        ours.insert("provider".into(), json!(ai.provider));
        ours.insert("model".into(), json!(ai.model));
        ours.insert("suggestion_type".into(), json!(ai.suggestion_type.as_str()));
        if let Some(c) = ai.confidence_permille {
            ours.insert("confidence".into(), json!(f64::from(c) / 1000.0));
        }
        if let Some(t) = ai.token_count {
            ours.insert("token_count".into(), json!(t));
        }
    }
    if let Some(d) = &a.description {
        ours.insert("description".into(), json!(d));
    }
    ours.insert("record_id".into(), json!(r.id().to_hex()));
    ours.insert("team".into(), json!(r.team.to_hex()));
    ours
}

/// The trace record of `r` (the attestation `a`) with its files and attrib's metadata.
fn record_of(
    r: &SignedRecord,
    a: &attrib_overlay::Attestation,
    files: Vec<TraceFile>,
    ours: Map<String, Value>,
) -> TraceRecord {
    let mut metadata = Map::new();
    if let Some(c) = a.ai.as_ref().and_then(|ai| ai.confidence_permille) {
        metadata.insert("confidence".into(), json!(f64::from(c) / 1000.0));
    }
    metadata.insert(VENDOR.into(), Value::Object(ours));
    TraceRecord {
        version: VERSION.into(),
        id: uuid_from(&r.id().0),
        timestamp: humantime::format_rfc3339_millis(
            UNIX_EPOCH + Duration::from_millis(r.record.timestamp_ms),
        )
        .to_string(),
        vcs: None,
        tool: Some(Tool {
            name: Some("attrib".into()),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
        files,
        metadata: Some(metadata),
    }
}

// Reading records.

/// Does this look like Agent Trace rather than attrib's signed lines? Looks at the first JSON
/// value: an array, or an object with `files` and no `signature`.
pub fn looks_like(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        return true;
    }
    let first = trimmed.lines().next().unwrap_or("");
    let value = serde_json::from_str::<Value>(first)
        .ok()
        .or_else(|| serde_json::from_str::<Value>(trimmed).ok());
    matches!(value, Some(Value::Object(o)) if o.contains_key("files") && !o.contains_key("signature"))
}

/// Reads trace records: JSON Lines, one (pretty-printed) record, or an array of records. Each
/// comes with where it was (`line N` or `record N`). Any malformed record fails the whole file.
pub fn parse(bytes: &[u8], name: &str) -> Result<Vec<(String, TraceRecord)>> {
    let text = std::str::from_utf8(bytes).map_err(|_| anyhow!("{name} is not UTF-8 text"))?;
    let trimmed = text.trim();
    if trimmed.is_empty() {
        bail!("{name} holds no records");
    }
    let mut found = Vec::new();
    let whole: Option<Value> = serde_json::from_str(trimmed).ok();
    match whole {
        Some(Value::Array(items)) => {
            for (i, v) in items.into_iter().enumerate() {
                found.push((format!("record {}", i + 1), v));
            }
        }
        Some(v @ Value::Object(_)) => found.push(("record 1".to_string(), v)),
        Some(_) => bail!("{name}: expected Agent Trace records (JSON objects)"),
        None => {
            for (i, line) in text.lines().enumerate() {
                if line.trim().is_empty() {
                    continue;
                }
                let v: Value = serde_json::from_str(line)
                    .map_err(|e| anyhow!("{name} line {}: not JSON: {e}", i + 1))?;
                found.push((format!("line {}", i + 1), v));
            }
        }
    }
    if found.is_empty() {
        bail!("{name} holds no records");
    }
    let mut out = Vec::with_capacity(found.len());
    for (at, v) in found {
        let record: TraceRecord = serde_json::from_value(v)
            .map_err(|e| anyhow!("{name} {at}: not an Agent Trace record: {e}"))?;
        check(&record).map_err(|e| anyhow!("{name} {at}: {e}"))?;
        out.push((at, record));
    }
    Ok(out)
}

fn is_uuid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5
        && parts
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// The checks the schema makes that serde's types do not.
fn check(r: &TraceRecord) -> Result<()> {
    let v: Vec<&str> = r.version.split('.').collect();
    if !(2..=3).contains(&v.len())
        || v.iter()
            .any(|p| p.is_empty() || !p.chars().all(|c| c.is_ascii_digit()))
    {
        bail!("version {:?} is not MAJOR.MINOR", r.version);
    }
    if !is_uuid(&r.id) {
        bail!("id {:?} is not a UUID", r.id);
    }
    humantime::parse_rfc3339_weak(&r.timestamp)
        .map_err(|e| anyhow!("timestamp {:?} is not RFC 3339: {e}", r.timestamp))?;
    for f in &r.files {
        if f.path.trim().is_empty() {
            bail!("a file has an empty path");
        }
        for c in &f.conversations {
            for range in &c.ranges {
                if range.start_line == 0 || range.end_line < range.start_line {
                    bail!(
                        "{}: range {}-{} is not 1-based with start <= end",
                        f.path,
                        range.start_line,
                        range.end_line
                    );
                }
                if range.end_line > u64::from(u32::MAX) {
                    bail!("{}: line {} is out of range", f.path, range.end_line);
                }
            }
            for k in [&c.contributor]
                .into_iter()
                .flatten()
                .chain(c.ranges.iter().filter_map(|r| r.contributor.as_ref()))
            {
                if k.model_id.as_ref().is_some_and(|m| m.len() > MAX_MODEL_ID) {
                    bail!("a model_id is longer than {MAX_MODEL_ID} bytes");
                }
            }
        }
    }
    Ok(())
}

/// `provider/model` split, or a provider guessed from a bare model name.
pub fn split_model_id(id: &str) -> (String, String) {
    if let Some((p, m)) = id.split_once('/') {
        if !p.trim().is_empty() && !m.trim().is_empty() {
            return (p.to_string(), m.to_string());
        }
    }
    let guess = [
        ("claude", "anthropic"),
        ("gpt-", "openai"),
        ("o1", "openai"),
        ("o3", "openai"),
        ("o4", "openai"),
        ("gemini", "google"),
    ]
    .iter()
    .find(|(prefix, _)| id.starts_with(prefix))
    .map_or("unknown", |(_, p)| p);
    let model = if id.trim().is_empty() { "unknown" } else { id };
    (guess.to_string(), model.to_string())
}

/// attrib's own metadata in a record (`metadata["dev.attrib"]`).
pub fn vendor(r: &TraceRecord) -> Option<&Map<String, Value>> {
    r.metadata.as_ref()?.get(VENDOR)?.as_object()
}

/// The contribution a conversation names (`url` = [`CONTRIBUTION_URN`]`RECORD:N`), as its
/// entry in the record's `dev.attrib.contributions`; `None` for any other conversation.
pub fn contribution_of<'a>(r: &'a TraceRecord, c: &Conversation) -> Option<&'a Map<String, Value>> {
    let rest = c.url.as_deref()?.strip_prefix(CONTRIBUTION_URN)?;
    let (_, index) = rest.rsplit_once(':')?;
    let index: usize = index.parse().ok()?;
    vendor(r)?
        .get("contributions")?
        .as_array()?
        .get(index)?
        .as_object()
}

/// The patch a record is about: attrib's own `change`, else the VCS revision.
pub fn patch_of(r: &TraceRecord) -> Option<String> {
    vendor(r)
        .and_then(|v| v.get("change"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| r.vcs.as_ref().map(|v| v.revision.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuid_is_version_8_and_stable() {
        let id = uuid_from(&[0xab; 32]);
        assert_eq!(id, "abababab-abab-8bab-abab-abababababab");
        assert!(is_uuid(&id));
        assert!(!is_uuid("abababab-abab-8bab-abab-ababababab"));
    }

    #[test]
    fn model_ids_split() {
        assert_eq!(
            split_model_id("anthropic/claude-sonnet-4"),
            ("anthropic".into(), "claude-sonnet-4".into())
        );
        assert_eq!(split_model_id("gpt-4o"), ("openai".into(), "gpt-4o".into()));
        assert_eq!(
            split_model_id("mystery"),
            ("unknown".into(), "mystery".into())
        );
        assert_eq!(split_model_id("a/b/c"), ("a".into(), "b/c".into()));
    }

    #[test]
    fn detection() {
        assert!(looks_like(b"[{\"version\":\"0.1\"}]"));
        assert!(looks_like(b"{\"version\":\"0.1\",\"files\":[]}\n"));
        assert!(looks_like(
            b"{\n  \"version\": \"0.1\",\n  \"files\": []\n}\n"
        ));
        assert!(!looks_like(
            b"{\"id\":\"00\",\"signature\":\"ab\",\"payload\":{}}\n"
        ));
        assert!(!looks_like(b"garbage"));
    }
}
