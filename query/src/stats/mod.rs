//! `stats`: how much of the work AI did, grouped by provider, model, agent tool, author,
//! suggestion type or month, over a time range.
//!
//! - **Patches**: in a Pijul repository, the current channel's changes; elsewhere, the
//!   overlay's attested patches (and those it knows only from reviews, as unattested). A patch
//!   is AI-assisted when the attestation that speaks for it says so
//!   ([`attrib_overlay::view::speaks_before`]).
//! - **Lines** (Pijul only): every line of the current tree, credited to the change that
//!   inserted it (as `blame` does), counted by that change's attribution. When an attestation
//!   marks only some of a change's lines in a file as AI-written (line spans), at most that
//!   many of its lines there count as AI, the rest as human. An attestation with contributions
//!   (one per AI session) counts each contribution's lines the same way, file by file, for its
//!   model and agent tool; the change's other lines are its author's.
//! - **Groups** hold patches: a patch falls in the group of the AI help its attestation names
//!   (with contributions, the one that wrote the most lines). The `by_model` and `by_agent`
//!   breakdowns split the lines among every contribution, and count a patch once for each model
//!   (agent) that wrote part of it.
//! - **Reviewed**: patches with at least one member's current review. **Review time**: per
//!   patch with any, the author's stated review of the AI output plus the reviewers' time.

mod aggregate;
mod channel;
mod lines;
mod overlay;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Result};
use attrib_overlay::{Snapshot, SuggestionType};
use attrib_vcs_adapter::{ChannelRecord, Vcs};
use serde::Serialize;

use crate::csv::{ratio, CsvOut};
use crate::members::name_of;
use crate::models::ModelRegistry;
use crate::time::{month_label, TimeRange};
use aggregate::{Agg, Groups, Names, HUMAN, NO_AGENT, SPECIAL, UNATTESTED};

/// A dimension stats groups by (`attrib stats --by`; with the `clap` feature, the grammar's
/// value, so the command line and the library cannot disagree).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum StatsBy {
    /// The AI provider (human and unattested patches form their own groups).
    Provider,
    /// The AI provider/model.
    Model,
    /// The agent tool of the main contribution (claude-code, codex, …; "(no agent)" when the
    /// claim names none).
    Agent,
    /// The attesting member (a patch attested by several members counts for each).
    Author,
    /// How the AI contributed (complete, partial, …).
    SuggestionType,
    /// The patch's month (UTC), from the change's time or its first attestation's.
    Month,
    /// The patch's week (Monday to Sunday, UTC), labelled with its Monday.
    Week,
    /// The patch's day (UTC).
    Day,
}

impl StatsBy {
    /// The dimension's name in JSON and CSV.
    pub fn name(self) -> &'static str {
        match self {
            StatsBy::Provider => "provider",
            StatsBy::Model => "model",
            StatsBy::Agent => "agent",
            StatsBy::Author => "author",
            StatsBy::SuggestionType => "suggestion_type",
            StatsBy::Month => "month",
            StatsBy::Week => "week",
            StatsBy::Day => "day",
        }
    }
}

/// What stats counts.
#[derive(Clone, Debug, Default)]
pub struct StatsQuery {
    /// The dimensions, in order (repeats are dropped; none means by model).
    pub by: Vec<StatsBy>,
    /// Only patches in this range.
    pub range: TimeRange,
    /// Also report each change's lines (a Pijul repository only).
    pub per_change: bool,
    /// The registry that names models: groups, `by_model` and the provider dimension use the
    /// canonical `provider/model` of each recorded spelling (default: the built-in table).
    pub models: ModelRegistry,
}

/// The current channel, for stats in a Pijul repository.
pub struct StatsChannel<'a> {
    /// The channel's name.
    pub name: &'a str,
    /// What attrib knows of the channel.
    pub record: &'a ChannelRecord,
    /// The repository's driver, to credit the tree's lines.
    pub vcs: &'a dyn Vcs,
    /// Where the line counts are kept between runs (the store's directory).
    pub cache_dir: &'a Path,
}

/// What a group (or the total) adds up, as raw counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    /// Patches.
    pub patches: u64,
    /// AI-assisted patches.
    pub ai: u64,
    /// Patches written without AI.
    pub human: u64,
    /// Patches nobody attested.
    pub unattested: u64,
    /// Lines of the current tree the group's changes inserted (Pijul only).
    pub lines: u64,
    /// Of those, lines that count as AI-written.
    pub ai_lines: u64,
    /// Lines of unattested changes.
    pub unattested_lines: u64,
    /// Patches with at least one review.
    pub reviewed: u64,
    /// Sum of the stated confidences, permille.
    pub confidence_sum: u64,
    /// AI claims that state a confidence.
    pub confidence_n: u64,
    /// Seconds the authors say they reviewed the AI's output.
    pub author_review_seconds: u64,
    /// Seconds the reviewers spent.
    pub reviewer_seconds: u64,
    /// Patches with any review time.
    pub review_patches: u64,
    /// Their review time, author's and reviewers' together.
    pub review_seconds: u64,
}

impl Counts {
    /// The average stated confidence, permille, rounded.
    pub fn avg_confidence_permille(&self) -> Option<u32> {
        (self.confidence_n > 0)
            .then(|| (self.confidence_sum as f64 / self.confidence_n as f64).round() as u32)
    }

    /// The average stated confidence, 0 to 1, to three places.
    pub fn avg_confidence(&self) -> Option<f64> {
        (self.confidence_n > 0)
            .then(|| (self.confidence_sum as f64 / self.confidence_n as f64).round() / 1000.0)
    }

    /// Review time per patch that has any, to a tenth of a second.
    pub fn avg_review_seconds(&self) -> Option<f64> {
        (self.review_patches > 0).then(|| {
            (self.review_seconds as f64 / self.review_patches as f64 * 10.0).round() / 10.0
        })
    }
}

/// A group's (or the total's) figures as reported: counts and shares; line figures are `None`
/// outside a Pijul repository.
#[derive(Clone, Debug, Serialize)]
pub struct GroupStats {
    /// Patches.
    pub patches: u64,
    /// AI-assisted patches.
    pub ai: u64,
    /// Patches written without AI.
    pub human: u64,
    /// Patches nobody attested.
    pub unattested: u64,
    /// AI-assisted share of the patches, to four places.
    pub ai_share: Option<f64>,
    /// Lines of the current tree.
    pub lines: Option<u64>,
    /// AI-written lines among them.
    pub ai_lines: Option<u64>,
    /// Their share.
    pub ai_line_share: Option<f64>,
    /// Reviewed patches.
    pub reviewed: u64,
    /// Their share.
    pub reviewed_share: Option<f64>,
    /// Average stated confidence.
    pub avg_confidence: Option<f64>,
    /// Claims that state one.
    pub confidence_count: u64,
    /// Review time per patch that has any.
    pub avg_review_seconds: Option<f64>,
    /// Patches with review time.
    pub review_count: u64,
    /// The authors' stated review of the AI output, seconds in all.
    pub author_review_seconds: u64,
    /// The reviewers' time, seconds in all.
    pub reviewer_seconds: u64,
    /// The raw counts.
    #[serde(skip)]
    pub counts: Counts,
}

impl GroupStats {
    fn of(c: Counts, with_lines: bool) -> GroupStats {
        GroupStats {
            patches: c.patches,
            ai: c.ai,
            human: c.human,
            unattested: c.unattested,
            ai_share: ratio(c.ai, c.patches),
            lines: with_lines.then_some(c.lines),
            ai_lines: with_lines.then_some(c.ai_lines),
            ai_line_share: if with_lines {
                ratio(c.ai_lines, c.lines)
            } else {
                None
            },
            reviewed: c.reviewed,
            reviewed_share: ratio(c.reviewed, c.patches),
            avg_confidence: c.avg_confidence(),
            confidence_count: c.confidence_n,
            avg_review_seconds: c.avg_review_seconds(),
            review_count: c.review_patches,
            author_review_seconds: c.author_review_seconds,
            reviewer_seconds: c.reviewer_seconds,
            counts: c,
        }
    }
}

/// One group of a [`StatsReport`].
#[derive(Clone, Debug, Serialize)]
pub struct Group {
    /// The group's value in each dimension, as printed: `anthropic/claude-sonnet-4`,
    /// `(human)`, `(unattested)`, `2026-02`, a member name.
    #[serde(serialize_with = "group_map")]
    pub group: Vec<(StatsBy, String)>,
    /// Its figures.
    #[serde(flatten)]
    pub stats: GroupStats,
}

fn group_map<S: serde::Serializer>(v: &[(StatsBy, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut m = s.serialize_map(Some(v.len()))?;
    for (d, label) in v {
        m.serialize_entry(d.name(), label)?;
    }
    m.end()
}

/// Patches by class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Every patch.
    pub total: u64,
    /// AI-assisted.
    pub ai: u64,
    /// Written without AI.
    pub human: u64,
    /// Nobody attested.
    pub unattested: u64,
}

/// The lines of the current tree (Pijul only).
#[derive(Clone, Debug, Serialize)]
pub struct LinesSummary {
    /// Every line (over the whole history: lines of the root change count as unattested).
    pub total: u64,
    /// AI-written.
    pub ai: u64,
    /// Written without AI.
    pub human: u64,
    /// Inserted by unattested changes.
    pub unattested: u64,
    /// Files credited.
    pub files: u64,
    /// Files `pijul credit` could not read, which are not counted.
    pub skipped_files: Vec<String>,
}

/// AI-assisted patches and lines of one model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelCount {
    /// The provider (canonical).
    pub provider: String,
    /// The model (canonical).
    pub model: String,
    /// AI-assisted patches the model wrote part of.
    pub patches: u64,
    /// AI-written lines (Pijul only).
    pub lines: Option<u64>,
    /// The spellings the records use for it (`provider/model` as recorded), sorted; absent
    /// when the only one is the canonical id itself.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub spellings: Vec<String>,
}

/// A model name the registry does not know, as recorded (`stats --unknown-models`): it is
/// grouped under its own name, trimmed and lowercased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UnknownModel {
    /// `provider/model` as recorded.
    pub spelling: String,
    /// The recorded provider.
    pub provider: String,
    /// The recorded model.
    pub model: String,
    /// The `provider/model` stats groups it under.
    pub grouped_as: String,
    /// AI-assisted patches in range that name it (as `by_model` counts them).
    pub patches: u64,
}

/// AI-assisted patches and lines of one agent tool.
#[derive(Clone, Debug, Serialize)]
pub struct AgentCount {
    /// The agent tool; `null` for AI help whose claim names none.
    pub agent: Option<String>,
    /// AI-assisted patches the agent wrote part of.
    pub patches: u64,
    /// AI-written lines (Pijul only).
    pub lines: Option<u64>,
}

/// The lines of one change one model wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ModelLines {
    /// The provider.
    pub provider: String,
    /// The model.
    pub model: String,
    /// Lines of the current tree.
    pub lines: u64,
}

/// The lines of one change one agent tool wrote.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgentLines {
    /// The agent tool; `null` when the claim names none.
    pub agent: Option<String>,
    /// Lines of the current tree.
    pub lines: u64,
}

/// One change's lines of the current tree (`stats --per-change`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangeStats {
    /// The change hash.
    pub change: String,
    /// The change's time, RFC 3339.
    pub time: String,
    /// `ai`, `human` or `unattested`, by the attestation that speaks for it.
    pub kind: &'static str,
    /// Lines of the current tree it inserted.
    pub lines: u64,
    /// Of those, AI-written.
    pub ai_lines: u64,
    /// Of those, written by the author (0 for an unattested change).
    pub human_lines: u64,
    /// The AI lines by model.
    pub by_model: Vec<ModelLines>,
    /// The AI lines by agent tool.
    pub by_agent: Vec<AgentLines>,
}

/// The answer of [`stats`].
#[derive(Clone, Debug, Serialize)]
pub struct StatsReport {
    /// `channel` in a Pijul repository, else `overlay`.
    pub scope: &'static str,
    /// The channel counted, in a Pijul repository.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub channel: Option<String>,
    /// The time range counted.
    pub range: TimeRange,
    /// The dimensions, by name.
    #[serde(serialize_with = "dim_names")]
    pub by: Vec<StatsBy>,
    /// Patches by class.
    pub patches: Tally,
    /// Lines by class (Pijul only).
    pub lines: Option<LinesSummary>,
    /// AI-assisted patches and lines per model.
    pub by_model: Vec<ModelCount>,
    /// AI-assisted patches and lines per agent tool, the claims that name none last.
    pub by_agent: Vec<AgentCount>,
    /// The model names the registry does not know, most patches first; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unknown_models: Vec<UnknownModel>,
    /// Each change in range, newest first (`--per-change`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub changes: Option<Vec<ChangeStats>>,
    /// Every patch in range.
    pub total: GroupStats,
    /// The groups, in order of their values as printed, `(human)`, `(no agent)` and
    /// `(unattested)` last.
    pub groups: Vec<Group>,
}

fn dim_names<S: serde::Serializer>(v: &[StatsBy], s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(v.iter().map(|d| d.name()))
}

/// The CSV columns after a group's values.
const CSV_FIELDS: [&str; 16] = [
    "patches",
    "ai",
    "human",
    "unattested",
    "ai_share",
    "lines",
    "ai_lines",
    "ai_line_share",
    "reviewed",
    "reviewed_share",
    "avg_confidence",
    "confidence_count",
    "avg_review_seconds",
    "review_count",
    "author_review_seconds",
    "reviewer_seconds",
];

/// Counts the snapshot's patches, or the channel's changes and tree lines.
pub fn stats(
    snap: &Snapshot<'_>,
    channel: Option<StatsChannel<'_>>,
    q: &StatsQuery,
) -> Result<StatsReport> {
    if q.per_change && channel.is_none() {
        bail!("--per-change counts the lines of the current tree: run it in a repository (Pijul, Atomic or git)");
    }
    let counted = match channel {
        Some(c) => {
            let credit = lines::line_credit(c.vcs, c.cache_dir, c.record)?;
            Some((c.name, c.record, credit))
        }
        None => None,
    };
    count(snap, counted, q)
}

/// [`stats`] once the tree's lines are credited: `channel` is the channel's name, what attrib
/// knows of it, and its lines per inserting change.
fn count(
    snap: &Snapshot<'_>,
    channel: Option<(&str, &ChannelRecord, lines::LineCredit)>,
    q: &StatsQuery,
) -> Result<StatsReport> {
    count_with(snap, channel, q, true)
}

/// [`count`], reading the store's sums outside a repository when `sums` and they can answer,
/// else scanning the view (the tests compare the two).
fn count_with(
    snap: &Snapshot<'_>,
    channel: Option<(&str, &ChannelRecord, lines::LineCredit)>,
    q: &StatsQuery,
    sums: bool,
) -> Result<StatsReport> {
    let mut dims: Vec<StatsBy> = Vec::new();
    for d in &q.by {
        if !dims.contains(d) {
            dims.push(*d);
        }
    }
    if dims.is_empty() {
        dims.push(StatsBy::Model);
    }
    let mut agg = Agg {
        dims: &dims,
        range: q.range,
        names: Names::new(q.models.clone()),
        total: Counts::default(),
        groups: Groups::default(),
        by_model: BTreeMap::new(),
        by_agent: BTreeMap::new(),
        by_spelling: Vec::new(),
    };
    let (counted, changes) = match channel {
        Some((name, record, credit)) => {
            let changes = channel::channel_units(snap, record, &credit, &mut agg, q.per_change)?;
            (Some((name.to_string(), credit)), changes)
        }
        None => {
            if !(sums && overlay::overlay_sums(snap, &mut agg)?) {
                overlay::overlay_units(snap, &mut agg)?;
            }
            (None, Vec::new())
        }
    };
    let mut r = report(snap, agg, counted, &dims);
    if q.per_change {
        r.changes = Some(changes);
    }
    Ok(r)
}

/// A group value as printed.
fn label(d: StatsBy, v: u32, snap: &Snapshot<'_>, names: &Names) -> String {
    match v {
        HUMAN => return "(human)".to_string(),
        UNATTESTED => return "(unattested)".to_string(),
        NO_AGENT if d == StatsBy::Agent => return "(no agent)".to_string(),
        _ => {}
    }
    match d {
        StatsBy::Provider => names.providers.get(v as usize).cloned().unwrap_or_default(),
        StatsBy::Model => names
            .models
            .get(v as usize)
            .map(|(p, m)| format!("{p}/{m}"))
            .unwrap_or_default(),
        StatsBy::Agent => names.agents.get(v as usize).cloned().unwrap_or_default(),
        StatsBy::Author => snap
            .authors()
            .get(v as usize)
            .map(|k| name_of(snap.membership(), k))
            .unwrap_or_default(),
        StatsBy::SuggestionType => SuggestionType::ALL
            .get(v as usize)
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        StatsBy::Month => month_label(v),
        StatsBy::Week => crate::time::week_label(v),
        StatsBy::Day => crate::time::day_label(v),
    }
}

fn report(
    snap: &Snapshot<'_>,
    agg: Agg<'_>,
    channel: Option<(String, lines::LineCredit)>,
    dims: &[StatsBy],
) -> StatsReport {
    let Agg {
        range,
        names,
        total,
        groups,
        by_model,
        by_agent,
        by_spelling,
        ..
    } = agg;
    let with_lines = channel.is_some();
    // Groups in order of their values as printed, the (human), (no agent) and (unattested) groups last.
    let mut rows: Vec<(Vec<(bool, String)>, Counts)> = groups
        .into_iter()
        .map(|(key, acc)| {
            let labels = dims
                .iter()
                .zip(key)
                .map(|(d, v)| (v >= SPECIAL, label(*d, v, snap, &names)))
                .collect();
            (labels, acc)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    let (spellings, unknown_models) = spellings(&names, &by_spelling);
    let by_model: BTreeMap<&(String, String), (u64, u64, Vec<String>)> = by_model
        .into_iter()
        .filter_map(|(m, (np, nl))| {
            let list = spellings.get(&m).cloned().unwrap_or_default();
            Some((names.models.get(m as usize)?, (np, nl, list)))
        })
        .collect();
    // Agents by name, the claims that name none last.
    let mut by_agent: Vec<(Option<&String>, (u64, u64))> = by_agent
        .into_iter()
        .map(|(a, v)| (names.agents.get(a as usize), v))
        .collect();
    by_agent.sort_by(|a, b| (a.0.is_none(), a.0).cmp(&(b.0.is_none(), b.0)));
    let lines = channel.as_ref().map(|(_, credit)| {
        // Lines whose inserter is not a change on the log (the root) count as unattested, over
        // the whole history only.
        let unknown = if range.is_all() { credit.unknown } else { 0 };
        LinesSummary {
            total: total.lines + unknown,
            ai: total.ai_lines,
            human: total.lines - total.ai_lines - total.unattested_lines,
            unattested: total.unattested_lines + unknown,
            files: credit.files,
            skipped_files: credit.skipped.clone(),
        }
    });
    StatsReport {
        scope: if with_lines { "channel" } else { "overlay" },
        channel: channel.map(|(name, _)| name),
        range,
        by: dims.to_vec(),
        patches: Tally {
            total: total.patches,
            ai: total.ai,
            human: total.human,
            unattested: total.unattested,
        },
        lines,
        by_model: by_model
            .into_iter()
            .map(|((p, m), (np, nl, spellings))| ModelCount {
                provider: p.clone(),
                model: m.clone(),
                patches: np,
                lines: with_lines.then_some(nl),
                spellings,
            })
            .collect(),
        by_agent: by_agent
            .into_iter()
            .map(|(a, (np, nl))| AgentCount {
                agent: a.cloned(),
                patches: np,
                lines: with_lines.then_some(nl),
            })
            .collect(),
        unknown_models,
        changes: None,
        total: GroupStats::of(total, with_lines),
        groups: rows
            .into_iter()
            .map(|(labels, acc)| Group {
                group: dims.iter().zip(labels).map(|(d, (_, l))| (*d, l)).collect(),
                stats: GroupStats::of(acc, with_lines),
            })
            .collect(),
    }
}

/// `provider/model`, or the model alone without a provider.
fn joined(provider: &str, model: &str) -> String {
    if provider.is_empty() {
        model.to_string()
    } else {
        format!("{provider}/{model}")
    }
}

/// From the patches counted per recorded spelling: each canonical model's spellings (left
/// empty when the only one is the canonical id), and the spellings the registry does not know.
fn spellings(
    names: &Names,
    by_spelling: &[u64],
) -> (BTreeMap<u32, Vec<String>>, Vec<UnknownModel>) {
    let mut per_model: BTreeMap<u32, Vec<String>> = BTreeMap::new();
    let mut unknown = Vec::new();
    for (s, &patches) in names.spellings.iter().zip(by_spelling) {
        if patches == 0 {
            continue;
        }
        let spelling = joined(&s.provider, &s.model);
        let grouped_as = names
            .models
            .get(s.canonical as usize)
            .map(|(p, m)| joined(p, m))
            .unwrap_or_default();
        if !s.known {
            unknown.push(UnknownModel {
                spelling: spelling.clone(),
                provider: s.provider.clone(),
                model: s.model.clone(),
                grouped_as: grouped_as.clone(),
                patches,
            });
        }
        per_model.entry(s.canonical).or_default().push(spelling);
    }
    for (m, list) in per_model.iter_mut() {
        list.sort();
        list.dedup();
        let id = names
            .models
            .get(*m as usize)
            .map(|(p, m)| joined(p, m))
            .unwrap_or_default();
        if list.iter().all(|s| *s == id) {
            list.clear();
        }
    }
    unknown.sort_by(|a, b| {
        b.patches
            .cmp(&a.patches)
            .then_with(|| a.spelling.cmp(&b.spelling))
    });
    (per_model, unknown)
}

impl StatsReport {
    /// `stats --unknown-models --csv`: a row per model name the registry does not know.
    pub fn unknown_models_csv(&self) -> Result<Vec<u8>> {
        let mut out = CsvOut::new();
        out.record(["spelling", "provider", "model", "grouped_as", "patches"])?;
        for u in &self.unknown_models {
            let patches = u.patches.to_string();
            out.record([
                u.spelling.as_str(),
                u.provider.as_str(),
                u.model.as_str(),
                u.grouped_as.as_str(),
                patches.as_str(),
            ])?;
        }
        out.finish()
    }

    /// True when line figures were counted (a Pijul repository).
    pub fn with_lines(&self) -> bool {
        self.lines.is_some()
    }

    /// The report as `stats --csv` writes it: a row per group, then the total.
    pub fn csv(&self) -> Result<Vec<u8>> {
        let mut out = CsvOut::new();
        let mut header: Vec<&str> = vec!["row"];
        header.extend(self.by.iter().map(|d| d.name()));
        header.extend(CSV_FIELDS);
        out.record(header)?;
        for g in &self.groups {
            let mut fields = vec!["group".to_string()];
            fields.extend(g.group.iter().map(|(_, l)| l.clone()));
            fields.extend(csv_fields(&g.stats));
            out.record(&fields)?;
        }
        let mut fields = vec!["total".to_string()];
        fields.extend(self.by.iter().map(|_| String::new()));
        fields.extend(csv_fields(&self.total));
        out.record(&fields)?;
        out.finish()
    }
}

/// The CSV fields after the group's, in [`CSV_FIELDS`] order.
fn csv_fields(s: &GroupStats) -> Vec<String> {
    let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
    let int = |v: Option<u64>| v.map(|x| x.to_string()).unwrap_or_default();
    vec![
        s.patches.to_string(),
        s.ai.to_string(),
        s.human.to_string(),
        s.unattested.to_string(),
        opt(s.ai_share),
        int(s.lines),
        int(s.ai_lines),
        opt(s.ai_line_share),
        s.reviewed.to_string(),
        opt(s.reviewed_share),
        opt(s.avg_confidence),
        s.confidence_count.to_string(),
        opt(s.avg_review_seconds),
        s.review_count.to_string(),
        s.author_review_seconds.to_string(),
        s.reviewer_seconds.to_string(),
    ]
}
