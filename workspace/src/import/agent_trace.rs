//! Importing Agent Trace records (another tool's unsigned claims, [`attrib_query::agent_trace`]):
//! each patch they name (by `metadata["dev.attrib"].change`, else `vcs.revision`) is attested by
//! the importer's own key with origin `imported` and the source in the description: the
//! AI-written ranges become line spans, the contributor's `model_id` (`provider/model`) the AI
//! model. When the AI ranges of a patch come from several conversations (by url: one per AI session,
//! as attrib exports an attestation with contributions), each conversation and model becomes a
//! contribution: its agent tool, session, suggestion type and prompt commitment from attrib's
//! `dev.attrib.contributions` entry the conversation names, else the record's tool and the
//! conversation's url. Such a claim replaces only an earlier import of the importer's, never an
//! attestation they made themselves. The whole file is read and checked before anything is signed, and
//! everything is stored in one transaction: a malformed file imports nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::model::MAX_LIST;
use attrib_overlay::{
    AiAssistance, Attestation, Contribution, LineSpan, PatchId, PromptCommitment, SuggestionType,
};
use attrib_query::agent_trace::{
    contribution_of, patch_of, split_model_id, vendor, ContributorType, TraceRecord, WHOLE_CHANGE,
};
use serde::Serialize;
use serde_json::{Map, Value};

use super::sign::sign_by_patch;
use super::Progress;
use crate::identity::DeviceIdentity;
use crate::Workspace;

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
    /// The AI ranges by conversation and model, in the order they were found.
    conversations: Vec<Conv>,
}

/// One conversation's AI ranges by one model: a contribution, when a patch has several.
struct Conv {
    /// The conversation (its url; empty for those without one) and the model id.
    key: (String, String),
    /// Where to list it: the record's position in the file, then the index of attrib's own
    /// contribution entry (others after, in the order found).
    order: (usize, usize),
    /// attrib's `dev.attrib.contributions` entry the conversation names.
    entry: Option<Map<String, Value>>,
    /// The record's tool, other than attrib.
    tool: Option<String>,
    url: Option<String>,
    mixed: bool,
    spans: Vec<LineSpan>,
}

impl Group {
    /// The patch's AI ranges come from several conversations, or from contributions attrib
    /// exported: they become contributions.
    fn per_session(&self) -> bool {
        if self.conversations.iter().any(|c| c.entry.is_some()) {
            return true;
        }
        let mut keys: Vec<&str> = self
            .conversations
            .iter()
            .map(|c| c.key.0.as_str())
            .collect();
        keys.sort_unstable();
        keys.dedup();
        keys.len() > 1
    }

    /// The contributions, one per conversation and model.
    fn contributions(&self) -> Vec<Contribution> {
        let mut convs: Vec<&Conv> = self.conversations.iter().collect();
        convs.sort_by_key(|c| c.order);
        convs
            .into_iter()
            .map(|c| {
                let get = |k: &str| {
                    c.entry
                        .as_ref()
                        .and_then(|e| e.get(k))
                        .and_then(Value::as_str)
                        .filter(|v| !v.trim().is_empty())
                };
                let (provider, model) = match (get("provider"), get("model")) {
                    (Some(p), Some(m)) => (p.to_string(), m.to_string()),
                    _ => split_model_id(&c.key.1),
                };
                let kind = get("suggestion_type")
                    .and_then(|t| t.parse().ok())
                    .or(self.suggestion_type)
                    .unwrap_or(if c.mixed {
                        SuggestionType::Collaborative
                    } else {
                        SuggestionType::Complete
                    });
                Contribution {
                    provider,
                    model,
                    agent: get("agent")
                        .map(str::to_string)
                        .or_else(|| c.tool.clone())
                        .unwrap_or_else(|| "unknown".to_string()),
                    session: get("session")
                        .map(str::to_string)
                        .or_else(|| c.url.clone().filter(|_| c.entry.is_none())),
                    suggestion_type: kind,
                    prompt_commitment: get("prompt_commitment")
                        .and_then(|p| p.parse::<PromptCommitment>().ok()),
                    line_spans: c.spans.clone(),
                }
            })
            .collect()
    }
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
    /// Always `agent-trace`.
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
    /// The summary as one line.
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
    if (g.ai || g.mixed) && !g.whole && g.per_session() {
        return Some(with_contributions(patch, g, description));
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
        let kind = g.suggestion_type.unwrap_or(if g.ai {
            SuggestionType::Complete
        } else {
            SuggestionType::Collaborative
        });
        Some(AiAssistance {
            confidence_permille: g.confidence,
            token_count: g.token_count,
            ..AiAssistance::new(provider, model, kind)
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
        contributions: Vec::new(),
    })
}

/// The attestation of a group whose AI ranges are contributions: the one that wrote the most
/// lines names the AI help.
fn with_contributions(patch: &PatchId, g: &Group, mut description: String) -> Attestation {
    let contributions = g.contributions();
    let lines = |c: &Contribution| -> u64 {
        c.line_spans
            .iter()
            .map(|s| u64::from(s.end.saturating_sub(s.start)) + 1)
            .sum()
    };
    let mut main: Option<&Contribution> = None;
    for c in &contributions {
        if main.is_none_or(|m| lines(c) > lines(m)) {
            main = Some(c);
        }
    }
    let ai = main.map(|m| AiAssistance {
        prompt_commitment: m.prompt_commitment,
        confidence_permille: g.confidence,
        token_count: g.token_count,
        ..AiAssistance::new(
            m.provider.clone(),
            m.model.clone(),
            g.suggestion_type.unwrap_or(m.suggestion_type),
        )
    });
    if let Some(d) = &g.description {
        let _ = write!(description, "; {d}");
    }
    Attestation {
        patch: patch.clone(),
        description: Some(clip_text(description, attrib_overlay::model::MAX_TEXT)),
        ai,
        depends_on: Vec::new(),
        conflicts_with: Vec::new(),
        replaces: None,
        line_spans: Vec::new(),
        contributions,
    }
}

/// Groups the records by patch and turns each group into an attestation.
fn plan(records: &[(String, TraceRecord)], summary: &mut Summary) -> Result<Vec<Attestation>> {
    let mut groups: BTreeMap<PatchId, Group> = BTreeMap::new();
    for (position, (at, r)) in records.iter().enumerate() {
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
        let tool = r
            .tool
            .as_ref()
            .and_then(|t| t.name.clone())
            .filter(|n| n != "attrib" && !n.trim().is_empty());
        for f in &r.files {
            for c in &f.conversations {
                let entry = contribution_of(r, c);
                let index = c
                    .url
                    .as_deref()
                    .and_then(|u| u.rsplit_once(':'))
                    .and_then(|(_, i)| i.parse::<usize>().ok())
                    .filter(|_| entry.is_some());
                // Conversations without a url cannot be told apart (one may span several
                // files): together they are one session.
                let conversation = c.url.clone().unwrap_or_default();
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
                            *g.lines_by_model.entry(model.clone()).or_default() +=
                                range.end_line - range.start_line + 1;
                            let span = LineSpan {
                                file: f.path.clone(),
                                start: range.start_line as u32,
                                end: range.end_line as u32,
                            };
                            g.spans.insert(span.clone());
                            let key = (conversation.clone(), model);
                            let found = g.conversations.len();
                            let conv = match g.conversations.iter().position(|c| c.key == key) {
                                Some(i) => &mut g.conversations[i],
                                None => {
                                    g.conversations.push(Conv {
                                        key,
                                        order: (position, index.unwrap_or(usize::MAX)),
                                        entry: entry.cloned(),
                                        tool: tool.clone(),
                                        url: c.url.clone(),
                                        mixed: false,
                                        spans: Vec::new(),
                                    });
                                    &mut g.conversations[found]
                                }
                            };
                            conv.mixed |= kind == ContributorType::Mixed;
                            if !conv.spans.contains(&span) {
                                conv.spans.push(span);
                            }
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
    ws: &Workspace,
    me: &DeviceIdentity,
    records: &[(String, TraceRecord)],
    progress: &dyn Progress,
) -> Result<Summary> {
    let mut summary = Summary {
        format: "agent-trace",
        records: records.len(),
        ..Summary::default()
    };
    let planned = plan(records, &mut summary)?;
    let signed = sign_by_patch(
        ws,
        me,
        planned,
        "storing imported claims",
        progress,
        |p, why| anyhow!("patch {p}: cannot be attested: {why}"),
    )?;
    summary.attested = signed.attested;
    summary.unchanged = signed.unchanged;
    summary.kept_own = signed.kept_own;
    Ok(summary)
}
