//! Agent Trace v0.1 (<https://agent-trace.dev>, the open record format for AI-written code):
//! `attrib export --format agent-trace` and `attrib import` of such records.
//!
//! **Export.** One trace record per current attestation that has line spans, as JSON Lines
//! (the reference implementation's `traces.jsonl`): `files → conversations → contributor
//! {type, model_id} → ranges {start_line, end_line}`. In a Pijul repository an AI-assisted
//! attestation without spans (it covers its whole change) is exported too, with the lines the
//! change added (`pijul change`) as its ranges and `dev.attrib.lines = "all-added"`, which an
//! import reads back as a claim on the whole change. The record's `id` is a UUID (version 8)
//! derived from the signed record's id, so exporting twice writes the same file. The spec's
//! `vcs.type` is one of git, jj, hg or svn, so a Pijul change hash cannot go there: it goes in
//! `metadata["dev.attrib"].change`, with the author, origin, suggestion type, confidence and
//! the signed record's id. Every record validates against `schemas/agent-trace-0.1.schema.json`
//! (the spec's schema).
//!
//! **Import.** Trace records are unsigned claims by some other tool. Each patch they name (by
//! `metadata["dev.attrib"].change`, else `vcs.revision`) is attested by the importer's own key
//! with origin `imported` and the source in the description: the AI-written ranges become line
//! spans, the contributor's `model_id` (`provider/model`) the AI model. Such a claim replaces
//! only an earlier import of the importer's, never an attestation they made themselves. The
//! whole file is read and checked before anything is signed, and everything is stored in one
//! transaction: a malformed file imports nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::time::{Duration, UNIX_EPOCH};

use anyhow::{anyhow, bail, Result};
use attrib_overlay::model::MAX_LIST;
use attrib_overlay::{
    now_ms, AiAssistance, Attestation, AttestationQuery, LineSpan, Origin, Outcome, PatchId,
    Payload, Record, SignedRecord, Store, SuggestionType,
};
use attrib_vcs_adapter::pijul::AddedLine;
use attrib_vcs_adapter::{Pijul, VcsError};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::check_can_sign;
use super::csv_report::origin_str;
use crate::context::{Ctx, Me};
use crate::progress::{Data, Progress};
use crate::render;

/// The version written in exported records (the schema's `major.minor` form).
pub const VERSION: &str = "0.1";
/// The vendor key of attrib's own metadata.
pub const VENDOR: &str = "dev.attrib";
/// `dev.attrib.lines` of a record whose ranges are every line its change added (the
/// attestation covers the whole change).
pub const WHOLE_CHANGE: &str = "all-added";
/// Longest `model_id` the spec allows.
const MAX_MODEL_ID: usize = 250;

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TraceRecord {
    pub version: String,
    pub id: String,
    pub timestamp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vcs: Option<Vcs>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool: Option<Tool>,
    pub files: Vec<TraceFile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<Map<String, Value>>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Vcs {
    #[serde(rename = "type")]
    pub kind: String,
    pub revision: String,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Tool {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct TraceFile {
    pub path: String,
    pub conversations: Vec<Conversation>,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Conversation {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
    pub ranges: Vec<Range>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<Value>>,
}

#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct Contributor {
    #[serde(rename = "type")]
    pub kind: ContributorType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model_id: Option<String>,
}

#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ContributorType {
    Human,
    Ai,
    Mixed,
    Unknown,
}

#[derive(Serialize, Deserialize, Debug, Clone)]
pub struct Range {
    pub start_line: u64,
    pub end_line: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contributor: Option<Contributor>,
}

// ------------------------------------------------------------------------------------ export

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
    let mut id = format!("{}/{}", ai.provider, ai.model);
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
        let range = Range {
            start_line: u64::from(span.start),
            end_line: u64::from(span.end),
            content_hash: None,
            contributor: None,
        };
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
    let mut ours = Map::new();
    ours.insert("change".into(), json!(a.patch.as_str()));
    ours.insert(
        "author".into(),
        json!({ "key": r.signer.to_hex(), "name": render::author_name(m, r) }),
    );
    ours.insert("origin".into(), json!(origin_str(r.record.origin)));
    if a.line_spans.is_empty() {
        // The claim covers the whole change: these are all the lines it added.
        ours.insert("lines".into(), json!(WHOLE_CHANGE));
    }
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
    let mut metadata = Map::new();
    if let Some(c) = a.ai.as_ref().and_then(|ai| ai.confidence_permille) {
        metadata.insert("confidence".into(), json!(f64::from(c) / 1000.0));
    }
    metadata.insert(VENDOR.into(), Value::Object(ours));
    Some(TraceRecord {
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
    })
}

/// What an Agent Trace export wrote.
pub struct Exported {
    pub text: String,
    pub records: usize,
    /// AI-assisted attestations without line spans whose change's lines could not be read
    /// (outside a Pijul repository, or a change the repository does not have).
    pub without_spans: usize,
}

/// Every current attestation with ranges as one trace record per line, oldest first. An
/// AI-assisted attestation without line spans covers its whole change: with `changes` (the
/// Pijul repository), its ranges are the lines the change added (`pijul change`).
pub fn export(store: &Store, data: Data, changes: Option<&Pijul>) -> Result<Exported> {
    let snap = store.snapshot()?;
    let m = snap.membership();
    let mut rows = snap.attestation_rows(&AttestationQuery::default())?;
    rows.reverse();
    let progress = Progress::new("writing Agent Trace records", Some(rows.len() as u64), data);
    let mut out = Exported {
        text: String::new(),
        records: 0,
        without_spans: 0,
    };
    for row in &rows {
        let r = snap.record_at(row.offset)?;
        progress.inc(1);
        let whole = match (&r.record.payload, changes) {
            (Payload::Attest(a), Some(pijul)) if a.ai.is_some() && a.line_spans.is_empty() => {
                match pijul.added_lines(&a.patch) {
                    Ok(lines) => Some(added_ranges(&lines)),
                    Err(VcsError::UnknownChange(_)) => None,
                    Err(e) => return Err(anyhow!("cannot read the lines of {}: {e}", a.patch)),
                }
            }
            _ => None,
        };
        match trace_of(&r, m, whole.as_deref()) {
            Some(t) => {
                out.text.push_str(&serde_json::to_string(&t)?);
                out.text.push('\n');
                out.records += 1;
            }
            None => {
                if matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some()) {
                    out.without_spans += 1;
                }
            }
        }
    }
    Ok(out)
}

// ------------------------------------------------------------------------------------ import

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

/// Everything the file says about one patch.
#[derive(Default)]
struct Group {
    /// Lines per model id (`""`: AI without a model id).
    lines_by_model: BTreeMap<String, u64>,
    spans: BTreeSet<LineSpan>,
    /// Every record says its ranges are all the lines its change added.
    whole: bool,
    /// Records seen.
    records: usize,
    mixed: bool,
    ai: bool,
    human: bool,
    sources: BTreeSet<String>,
    tools: BTreeSet<String>,
    authors: BTreeSet<String>,
    suggestion_type: Option<SuggestionType>,
    confidence: Option<u16>,
    token_count: Option<u64>,
    description: Option<String>,
}

fn vendor(r: &TraceRecord) -> Option<&Map<String, Value>> {
    r.metadata.as_ref()?.get(VENDOR)?.as_object()
}

/// The patch a record is about: attrib's own `change`, else the VCS revision.
fn patch_of(r: &TraceRecord) -> Option<String> {
    vendor(r)
        .and_then(|v| v.get("change"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .or_else(|| r.vcs.as_ref().map(|v| v.revision.clone()))
}

fn confidence_from(v: Option<&Value>) -> Option<u16> {
    let c = v?.as_f64()?;
    (0.0..=1.0)
        .contains(&c)
        .then(|| (c * 1000.0).round() as u16)
}

/// What an Agent Trace import did.
#[derive(Serialize, Debug, Default)]
pub struct Summary {
    pub format: &'static str,
    /// Trace records read.
    pub records: usize,
    /// Patches attested now (new, or replacing an earlier import of yours).
    pub attested: Vec<String>,
    /// Patches whose earlier import already says exactly this.
    pub unchanged: Vec<String>,
    /// Patches you attested yourself: your attestation is kept.
    pub kept_own: Vec<String>,
    /// Records that name no revision to attribute.
    pub skipped_no_revision: usize,
    /// Patches whose ranges are all of unknown origin.
    pub skipped_unknown: Vec<String>,
}

impl Summary {
    pub fn line(&self) -> String {
        let mut s = format!(
            "read {} Agent Trace record(s): attested {} patch(es) as imported claims, {} unchanged",
            self.records,
            self.attested.len(),
            self.unchanged.len()
        );
        if !self.kept_own.is_empty() {
            let _ = write!(s, ", kept your own attestation of {}", self.kept_own.len());
        }
        if self.skipped_no_revision > 0 {
            let _ = write!(
                s,
                ", skipped {} without a revision",
                self.skipped_no_revision
            );
        }
        if !self.skipped_unknown.is_empty() {
            let _ = write!(
                s,
                ", skipped {} of unknown origin",
                self.skipped_unknown.len()
            );
        }
        s
    }
}

fn clip_text(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max.saturating_sub(3);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// Builds the attestation a group of records amounts to (`None`: nothing to claim).
fn attestation_of(patch: &PatchId, g: &Group) -> Option<Attestation> {
    let mut description = String::from("imported claim (unsigned source): Agent Trace ");
    let ids: Vec<&str> = g.sources.iter().map(String::as_str).collect();
    let _ = write!(
        description,
        "{} {}",
        if ids.len() == 1 { "record" } else { "records" },
        ids.join(", ")
    );
    if !g.tools.is_empty() {
        let tools: Vec<&str> = g.tools.iter().map(String::as_str).collect();
        let _ = write!(description, " by {}", tools.join(", "));
    }
    if !g.authors.is_empty() {
        let a: Vec<&str> = g.authors.iter().map(String::as_str).collect();
        let _ = write!(description, "; attested there by {}", a.join(", "));
    }
    let ai = if g.ai || g.mixed {
        // The model that wrote the most lines names the claim; the others are noted.
        let (top, _) = g
            .lines_by_model
            .iter()
            .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))?;
        let (provider, model) = split_model_id(top);
        let others: Vec<&str> = g
            .lines_by_model
            .keys()
            .filter(|k| *k != top && !k.is_empty())
            .map(String::as_str)
            .collect();
        if !others.is_empty() {
            let _ = write!(description, "; ranges also by {}", others.join(", "));
        }
        Some(AiAssistance {
            provider,
            model,
            suggestion_type: g.suggestion_type.unwrap_or(if g.ai {
                SuggestionType::Complete
            } else {
                SuggestionType::Collaborative
            }),
            prompt_commitment: None,
            confidence_permille: g.confidence,
            token_count: g.token_count,
            temperature_milli: None,
            max_tokens: None,
            top_p_milli: None,
            review_seconds: None,
        })
    } else if g.human {
        None
    } else {
        return None;
    };
    if let Some(d) = &g.description {
        let _ = write!(description, "; {d}");
    }
    Some(Attestation {
        patch: patch.clone(),
        description: Some(clip_text(description, attrib_overlay::model::MAX_TEXT)),
        // Ranges that are the whole change's lines say "the whole patch": no spans.
        line_spans: if ai.is_some() && !g.whole {
            g.spans.iter().cloned().collect()
        } else {
            Vec::new()
        },
        ai,
        depends_on: Vec::new(),
        conflicts_with: Vec::new(),
        replaces: None,
    })
}

/// Groups the records by patch and turns each group into an attestation.
fn plan(records: &[(String, TraceRecord)], summary: &mut Summary) -> Result<Vec<Attestation>> {
    let mut groups: BTreeMap<PatchId, Group> = BTreeMap::new();
    for (at, r) in records {
        let Some(patch) = patch_of(r) else {
            summary.skipped_no_revision += 1;
            continue;
        };
        let patch = PatchId::new(&patch).map_err(|e| anyhow!("{at}: {e}"))?;
        let g = groups.entry(patch).or_default();
        g.sources.insert(r.id.clone());
        let ours = vendor(r);
        let whole = ours.and_then(|o| o.get("lines")).and_then(Value::as_str) == Some(WHOLE_CHANGE);
        g.whole = (g.records == 0 || g.whole) && whole;
        g.records += 1;
        if let Some(t) = &r.tool {
            let name = t.name.as_deref().unwrap_or("unknown tool");
            g.tools.insert(match &t.version {
                Some(v) => format!("{name} {v}"),
                None => name.to_string(),
            });
        }
        let get = |k: &str| ours.and_then(|o| o.get(k));
        if let Some(st) = get("suggestion_type").and_then(Value::as_str) {
            let st: SuggestionType = st.parse().map_err(|e| anyhow!("{at}: {e}"))?;
            g.suggestion_type.get_or_insert(st);
        }
        let conf = confidence_from(get("confidence"))
            .or_else(|| confidence_from(r.metadata.as_ref().and_then(|m| m.get("confidence"))));
        if let Some(c) = conf {
            g.confidence.get_or_insert(c);
        }
        if let Some(t) = get("token_count").and_then(Value::as_u64) {
            g.token_count.get_or_insert(t);
        }
        if let Some(d) = get("description").and_then(Value::as_str) {
            g.description.get_or_insert_with(|| d.to_string());
        }
        if let Some(a) = get("author") {
            let name = a.get("name").and_then(Value::as_str).unwrap_or("?");
            let key = a.get("key").and_then(Value::as_str).unwrap_or("");
            g.authors
                .insert(format!("{name} ({})", key.get(..12).unwrap_or(key)));
        }
        for f in &r.files {
            for c in &f.conversations {
                for range in &c.ranges {
                    let who = range.contributor.as_ref().or(c.contributor.as_ref());
                    let kind = who.map_or(ContributorType::Unknown, |w| w.kind);
                    match kind {
                        ContributorType::Ai | ContributorType::Mixed => {
                            if kind == ContributorType::Ai {
                                g.ai = true;
                            } else {
                                g.mixed = true;
                            }
                            let model = who.and_then(|w| w.model_id.clone()).unwrap_or_default();
                            *g.lines_by_model.entry(model).or_default() +=
                                range.end_line - range.start_line + 1;
                            g.spans.insert(LineSpan {
                                file: f.path.clone(),
                                start: range.start_line as u32,
                                end: range.end_line as u32,
                            });
                        }
                        ContributorType::Human => g.human = true,
                        ContributorType::Unknown => {}
                    }
                }
            }
        }
        if g.spans.len() > MAX_LIST && !g.whole {
            bail!(
                "{at}: more than {MAX_LIST} AI ranges for one patch; attrib keeps at most {MAX_LIST}"
            );
        }
    }
    let mut out = Vec::new();
    for (patch, g) in &groups {
        match attestation_of(patch, g) {
            Some(a) => out.push(a),
            None => summary.skipped_unknown.push(patch.as_str().to_string()),
        }
    }
    Ok(out)
}

/// Imports parsed trace records as this device's imported claims, all in one transaction.
pub fn import(
    ctx: &Ctx,
    store: &Store,
    me: &Me,
    records: &[(String, TraceRecord)],
    progress: &Progress,
) -> Result<Summary> {
    let mut summary = Summary {
        format: "agent-trace",
        records: records.len(),
        ..Summary::default()
    };
    let planned = plan(records, &mut summary)?;
    check_can_sign(ctx, store, me)?;
    let snap = store.snapshot()?;
    let team = snap
        .team()
        .ok_or_else(|| anyhow!("this store has no team yet"))?;
    let mut seq = ctx.next_seq(&snap, me)?;
    let now = now_ms();
    let mut batch = Vec::new();
    for a in planned {
        let p = a.patch.as_str().to_string();
        if let Some(mine) = snap.patch(&a.patch)?.attestations.get(&me.public()) {
            if mine.record.origin != Origin::Imported {
                summary.kept_own.push(p);
                continue;
            }
            if matches!(&mine.record.payload, Payload::Attest(old) if *old == a) {
                summary.unchanged.push(p);
                continue;
            }
        }
        let record = Record {
            seq,
            timestamp_ms: now,
            origin: Origin::Imported,
            payload: Payload::Attest(a),
        };
        record
            .validate()
            .map_err(|e| anyhow!("patch {p}: cannot be attested: {e}"))?;
        batch.push(me.key.sign(team, record));
        summary.attested.push(p);
        seq = seq
            .checked_add(1)
            .ok_or_else(|| anyhow!("your sequence numbers are exhausted"))?;
    }
    drop(snap);
    if batch.is_empty() {
        return Ok(summary);
    }
    progress.set_length(batch.len() as u64);
    progress.set_message("storing imported claims");
    let outcomes = store.ingest(&batch, now)?;
    progress.inc(batch.len() as u64);
    for (r, o) in batch.iter().zip(outcomes) {
        match o {
            Outcome::Accepted => {}
            Outcome::Duplicate => {}
            Outcome::Refused(why) => bail!(
                "the store refused your imported claim of {}: {why}",
                r.record.payload.patch().map_or("?", PatchId::as_str)
            ),
        }
    }
    ctx.remember_seq(&team.to_hex(), seq - 1)?;
    Ok(summary)
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
