//! `attrib stats`: how much of the work AI did, grouped `--by` provider, model, author,
//! suggestion type or month, over a `--since`/`--until` range; as a table, JSON or CSV.
//!
//! - **Patches**: in a Pijul repository, the current channel's changes; elsewhere, the
//!   overlay's attested patches (and those it knows only from reviews, as unattested). A patch
//!   is AI-assisted when any of its authors says so; its AI claim is the first such.
//! - **Lines** (Pijul only): every line of the current tree, credited to the change that
//!   inserted it (as `attrib blame` does), counted by that change's attribution. When an
//!   attestation marks only some of a change's lines in a file as AI-written (line spans), at
//!   most that many of its lines there count as AI, the rest as human.
//! - **Reviewed**: patches with at least one member's current review. **Review time**: per
//!   patch with any, the author's stated review of the AI output plus the reviewers' time.
//!
//! Crediting every tracked file runs `pijul credit` once per file, so the per-change line counts
//! are kept beside the store for the channel state they were computed at. Outside Pijul the
//! overlay is read from its index and the records' canonical bytes (no full decode), so stats
//! over 100k attestations stays within tens of milliseconds.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use attrib_overlay::model::format_milli;

use attrib_overlay::{
    now_ms, PatchId, Payload, Snapshot, StoredBody, SuggestionType, ViewKind, ViewRow,
};
use attrib_vcs_adapter::{CreditEntry, Pijul};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::changes::{self, ChangeEntry};
use super::filter::{PatchKey, TimeRange};
use super::tabular::{self, Align};
use crate::args::{StatsArgs, StatsBy};
use crate::context::{write_atomic, Ctx};

/// The line counts beside the store.
const LINES_FILE: &str = "line-credit.json";

/// How many patches (or lines) fall in each class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub total: u64,
    pub ai: u64,
    pub human: u64,
    pub unattested: u64,
}

/// Lines of the current tree per inserting change and file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct LineCredit {
    /// The channel state the counts are for.
    state: String,
    counts: BTreeMap<PatchId, BTreeMap<String, u64>>,
    /// Lines whose inserter is not on the channel's log (the root change).
    unknown: u64,
    files: u64,
    /// Files `pijul credit` could not read (binary files, for one).
    skipped: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ai,
    Human,
    Unattested,
}

/// Group value of a human patch, and of an unattested one, in any dimension.
const HUMAN: u32 = u32::MAX - 1;
const UNATTESTED: u32 = u32::MAX;
/// Dimensions are at most these five; a group key holds one value per `--by`.
const MAX_DIMS: usize = 5;

/// One patch as stats counts it.
#[derive(Clone, Debug)]
struct Unit {
    time_ms: u64,
    kind: Kind,
    /// Indices into the snapshot's authors: the attesting members.
    author: u32,
    more_authors: Vec<u32>,
    /// Index into [`Names::models`] when AI-assisted.
    model: u32,
    suggestion: Option<SuggestionType>,
    confidence: Option<u16>,
    /// The author's stated review of the AI output, in seconds.
    self_review: Option<u32>,
    reviews: u32,
    reviewer_seconds: u64,
    /// Lines of the current tree this change inserted, and how many of them count as AI's.
    lines: u64,
    ai_lines: u64,
}

impl Unit {
    fn new(time_ms: u64, kind: Kind) -> Unit {
        Unit {
            time_ms,
            kind,
            author: UNATTESTED,
            more_authors: Vec::new(),
            model: UNATTESTED,
            suggestion: None,
            confidence: None,
            self_review: None,
            reviews: 0,
            reviewer_seconds: 0,
            lines: 0,
            ai_lines: 0,
        }
    }

    fn add_author(&mut self, a: u32) {
        if self.author == UNATTESTED {
            self.author = a;
        } else if self.author != a && !self.more_authors.contains(&a) {
            self.more_authors.push(a);
        }
    }
}

/// Provider/model names behind [`Unit::model`], interned, with each model's provider.
#[derive(Default)]
struct Names {
    models: Vec<(String, String)>,
    providers: Vec<String>,
    /// Index into `providers` of each model's provider.
    model_provider: Vec<u32>,
    last: usize,
}

impl Names {
    fn model(&mut self, provider: &str, model: &str) -> u32 {
        let hit = |m: &(String, String)| m.0 == provider && m.1 == model;
        if self.models.get(self.last).is_some_and(hit) {
            return self.last as u32;
        }
        let i = match self.models.iter().position(hit) {
            Some(i) => i,
            None => {
                self.models.push((provider.to_string(), model.to_string()));
                let p = match self.providers.iter().position(|x| x == provider) {
                    Some(p) => p,
                    None => {
                        self.providers.push(provider.to_string());
                        self.providers.len() - 1
                    }
                };
                self.model_provider.push(p as u32);
                self.models.len() - 1
            }
        };
        self.last = i;
        i as u32
    }
}

/// What every group (and the total) adds up.
#[derive(Clone, Copy, Debug, Default)]
struct Acc {
    patches: u64,
    ai: u64,
    human: u64,
    unattested: u64,
    lines: u64,
    ai_lines: u64,
    /// Lines of unattested changes (for the JSON form's `lines` summary).
    unattested_lines: u64,
    reviewed: u64,
    confidence_sum: u64,
    confidence_n: u64,
    author_review_seconds: u64,
    reviewer_seconds: u64,
    /// Patches with any review time, and that time.
    review_patches: u64,
    review_seconds: u64,
}

impl Acc {
    fn add(&mut self, u: &Unit) {
        self.patches += 1;
        match u.kind {
            Kind::Ai => self.ai += 1,
            Kind::Human => self.human += 1,
            Kind::Unattested => self.unattested += 1,
        }
        self.lines += u.lines;
        self.ai_lines += u.ai_lines;
        if u.kind == Kind::Unattested {
            self.unattested_lines += u.lines;
        }
        if u.reviews > 0 {
            self.reviewed += 1;
        }
        if let Some(c) = u.confidence {
            self.confidence_sum += u64::from(c);
            self.confidence_n += 1;
        }
        let own = u.self_review.map(u64::from);
        self.author_review_seconds += own.unwrap_or(0);
        self.reviewer_seconds += u.reviewer_seconds;
        if own.is_some() || u.reviews > 0 {
            self.review_patches += 1;
            self.review_seconds += own.unwrap_or(0) + u.reviewer_seconds;
        }
    }

    fn avg_confidence(&self) -> Option<f64> {
        (self.confidence_n > 0)
            .then(|| (self.confidence_sum as f64 / self.confidence_n as f64).round() / 1000.0)
    }

    fn avg_review(&self) -> Option<f64> {
        (self.review_patches > 0).then(|| {
            (self.review_seconds as f64 / self.review_patches as f64 * 10.0).round() / 10.0
        })
    }

    fn json(&self, with_lines: bool) -> Value {
        let lines = |v: u64| if with_lines { json!(v) } else { Value::Null };
        json!({
            "patches": self.patches,
            "ai": self.ai,
            "human": self.human,
            "unattested": self.unattested,
            "ai_share": tabular::ratio(self.ai, self.patches),
            "lines": lines(self.lines),
            "ai_lines": lines(self.ai_lines),
            "ai_line_share": if with_lines { json!(tabular::ratio(self.ai_lines, self.lines)) } else { Value::Null },
            "reviewed": self.reviewed,
            "reviewed_share": tabular::ratio(self.reviewed, self.patches),
            "avg_confidence": self.avg_confidence(),
            "confidence_count": self.confidence_n,
            "avg_review_seconds": self.avg_review(),
            "review_count": self.review_patches,
            "author_review_seconds": self.author_review_seconds,
            "reviewer_seconds": self.reviewer_seconds,
        })
    }

    /// The CSV fields after the group's, in [`CSV_FIELDS`] order.
    fn csv(&self, with_lines: bool) -> Vec<String> {
        let opt = |v: Option<f64>| v.map(|x| x.to_string()).unwrap_or_default();
        let lines = |v: String| if with_lines { v } else { String::new() };
        vec![
            self.patches.to_string(),
            self.ai.to_string(),
            self.human.to_string(),
            self.unattested.to_string(),
            opt(tabular::ratio(self.ai, self.patches)),
            lines(self.lines.to_string()),
            lines(self.ai_lines.to_string()),
            lines(opt(tabular::ratio(self.ai_lines, self.lines))),
            self.reviewed.to_string(),
            opt(tabular::ratio(self.reviewed, self.patches)),
            opt(self.avg_confidence()),
            self.confidence_n.to_string(),
            opt(self.avg_review()),
            self.review_patches.to_string(),
            self.author_review_seconds.to_string(),
            self.reviewer_seconds.to_string(),
        ]
    }

    /// The table cells after the group's.
    fn cells(&self, with_lines: bool) -> Vec<String> {
        let mut v = vec![
            self.patches.to_string(),
            self.ai.to_string(),
            tabular::percent(self.ai, self.patches),
        ];
        if with_lines {
            v.push(self.lines.to_string());
            v.push(self.ai_lines.to_string());
            v.push(tabular::percent(self.ai_lines, self.lines));
        }
        v.push(tabular::percent(self.reviewed, self.patches));
        v.push(if self.confidence_n > 0 {
            let avg = (self.confidence_sum as f64 / self.confidence_n as f64).round();
            format_milli(avg as u32)
        } else {
            "-".to_string()
        });
        v.push(
            self.avg_review()
                .map_or_else(|| "-".to_string(), tabular::duration),
        );
        v
    }
}

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

impl StatsBy {
    fn name(self) -> &'static str {
        match self {
            StatsBy::Provider => "provider",
            StatsBy::Model => "model",
            StatsBy::Author => "author",
            StatsBy::SuggestionType => "suggestion_type",
            StatsBy::Month => "month",
        }
    }

    fn title(self) -> &'static str {
        match self {
            StatsBy::Provider => "PROVIDER",
            StatsBy::Model => "MODEL",
            StatsBy::Author => "AUTHOR",
            StatsBy::SuggestionType => "SUGGESTION TYPE",
            StatsBy::Month => "MONTH",
        }
    }
}

/// Months since January 1970 of a time (UTC).
fn month_index(ms: u64) -> u32 {
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = (ms / 86_400_000) as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    ((year - 1970) * 12 + month - 1).max(0) as u32
}

/// A multiply-rotate hasher for the small integer keys of the group map (the standard
/// SipHash is most of the cost of grouping 100k patches).
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl std::hash::Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.write_u64(u64::from_le_bytes(w));
        }
        for &b in chunks.remainder() {
            self.write_u64(u64::from(b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(u64::from(i));
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

type Groups = HashMap<[u32; MAX_DIMS], Acc, std::hash::BuildHasherDefault<KeyHasher>>;

/// The running totals: every patch is added once, to the total and to its groups.
struct Agg<'a> {
    dims: &'a [StatsBy],
    range: TimeRange,
    names: Names,
    total: Acc,
    groups: Groups,
    /// The legacy by-model breakdown of the JSON form: AI patches and AI lines per model.
    by_model: BTreeMap<u32, (u64, u64)>,
}

impl Agg<'_> {
    fn add(&mut self, u: &Unit) {
        if !self.range.contains(u.time_ms) {
            return;
        }
        self.total.add(u);
        let groups = &mut self.groups;
        keys_of(u, self.dims, &self.names.model_provider, |key| {
            groups.entry(key).or_default().add(u)
        });
        if u.kind == Kind::Ai {
            let slot = self.by_model.entry(u.model).or_default();
            slot.0 += 1;
            slot.1 += u.ai_lines;
        }
    }
}

pub fn run(ctx: &Ctx, out: &mut dyn Write, args: StatsArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let range = TimeRange::new(args.since, args.until, now_ms())?;
    let mut dims: Vec<StatsBy> = Vec::new();
    for d in &args.by {
        if !dims.contains(d) {
            dims.push(*d);
        }
    }
    if dims.is_empty() {
        dims.push(StatsBy::Model);
    }
    let mut agg = Agg {
        dims: &dims,
        range,
        names: Names::default(),
        total: Acc::default(),
        groups: Groups::default(),
        by_model: BTreeMap::new(),
    };
    let channel = {
        let channel = ctx.channel_or_warn();
        match channel
            .as_ref()
            .and_then(|f| f.tracker.current().map(|c| (f, c)))
        {
            Some((followed, (name, record))) => {
                let store_dir = ctx.find_store_dir()?;
                let credit = line_credit(&followed.pijul, &store_dir, record)?;
                channel_units(&snap, record, &credit, &mut agg)?;
                Some((name.to_string(), credit))
            }
            None => {
                overlay_units(&snap, &mut agg)?;
                None
            }
        }
    };
    report(out, &snap, agg, channel, &args)
}

/// A patch being put together from its view entries.
struct Building {
    key: Option<PatchKey>,
    unit: Unit,
    attested: bool,
    /// The signer of the AI claim that speaks for the patch: the smallest key among the AI
    /// claims, as in a channel's listing, so every replica picks the same one.
    ai_signer: Option<attrib_overlay::PublicKey>,
}

impl Building {
    fn new(key: Option<PatchKey>) -> Building {
        Building {
            key,
            unit: Unit::new(0, Kind::Unattested),
            attested: false,
            ai_signer: None,
        }
    }

    fn attestation(
        &mut self,
        snap: &Snapshot<'_>,
        row: &ViewRow,
        ai: Option<&attrib_overlay::peek::AiPeek<'_>>,
        names: &mut Names,
    ) {
        let u = &mut self.unit;
        if self.attested {
            u.time_ms = u.time_ms.min(row.timestamp_ms);
        } else {
            // The first attestation: the patch's time is its attestations', not its reviews'.
            u.time_ms = row.timestamp_ms;
            u.kind = Kind::Human;
            self.attested = true;
        }
        u.add_author(row.author);
        let Some(ai) = ai else {
            return;
        };
        let signer = snap.authors().get(row.author as usize).copied();
        if u.kind == Kind::Ai && self.ai_signer.is_some() && signer >= self.ai_signer {
            return;
        }
        self.ai_signer = signer;
        u.kind = Kind::Ai;
        u.model = names.model(ai.provider, ai.model);
        u.suggestion = Some(ai.suggestion_type);
        u.confidence = ai.confidence_permille;
        u.self_review = ai.review_seconds;
    }

    fn review(&mut self, time_ms: u64, seconds: u32) {
        let u = &mut self.unit;
        if !self.attested {
            u.time_ms = if u.reviews == 0 {
                time_ms
            } else {
                u.time_ms.min(time_ms)
            };
        }
        u.reviews += 1;
        u.reviewer_seconds += u64::from(seconds);
    }
}

fn peek_row<'b>(
    body: &'b StoredBody<'_>,
    row: &ViewRow,
) -> Result<attrib_overlay::peek::AttestationPeek<'b>> {
    body.peek_attestation().ok_or_else(|| {
        anyhow!(
            "the store is damaged: log entry at {} is not an attestation",
            row.offset
        )
    })
}

/// Outside a Pijul repository: the overlay's patches, in one pass over the view index (a
/// patch's entries are adjacent), reading only the canonical bytes each entry needs.
fn overlay_units(snap: &Snapshot<'_>, agg: &mut Agg<'_>) -> Result<()> {
    let mut group: Vec<ViewRow> = Vec::new();
    let mut building: Vec<Building> = Vec::new();
    let mut flush = |group: &[ViewRow], agg: &mut Agg<'_>| -> Result<()> {
        // Nearly every index key holds one patch: its entries need no id comparison.
        let single = group.len() == 1;
        building.clear();
        for row in group {
            let at = |key: PatchKey, building: &mut Vec<Building>| -> usize {
                match building.iter().position(|b| b.key.as_ref() == Some(&key)) {
                    Some(i) => i,
                    None => {
                        building.push(Building::new(Some(key)));
                        building.len() - 1
                    }
                }
            };
            match row.kind {
                // A patch's only entry, a human attestation: the index says all there is.
                ViewKind::Attestation { ai: false } if single => {
                    building.push(Building::new(None));
                    building[0].attestation(snap, row, None, &mut agg.names);
                }
                ViewKind::Attestation { .. } => {
                    let body = snap.stored_body(row.offset)?;
                    let p = peek_row(&body, row)?;
                    let i = if single {
                        building.push(Building::new(None));
                        0
                    } else {
                        at(PatchKey::of_ref(&p.patch), &mut building)
                    };
                    building[i].attestation(snap, row, p.ai.as_ref(), &mut agg.names);
                }
                ViewKind::Review => {
                    let body = snap.stored_body(row.offset)?;
                    let rv = body.peek_review().ok_or_else(|| {
                        anyhow!(
                            "the store is damaged: log entry at {} is not a review",
                            row.offset
                        )
                    })?;
                    let i = at(PatchKey::of_ref(&rv.patch), &mut building);
                    building[i].review(rv.timestamp_ms, rv.seconds);
                }
                ViewKind::Other => {}
            }
        }
        for b in &building {
            agg.add(&b.unit);
        }
        Ok(())
    };
    for row in snap.view_rows()? {
        let row = row?;
        if group.first().is_some_and(|g| g.patch_key != row.patch_key) {
            flush(&group, agg)?;
            group.clear();
        }
        group.push(row);
    }
    if !group.is_empty() {
        flush(&group, agg)?;
    }
    Ok(())
}

/// In a Pijul repository: the current channel's changes, with the tree's lines.
fn channel_units(
    snap: &Snapshot<'_>,
    record: &attrib_vcs_adapter::ChannelRecord,
    credit: &LineCredit,
    agg: &mut Agg<'_>,
) -> Result<()> {
    let authors = snap.authors();
    for entry in changes::entries(snap, record, false)? {
        let (mut u, spans) = classify(&entry, &mut agg.names);
        for r in &entry.attestations {
            if let Some(a) = authors.iter().position(|k| *k == r.signer) {
                u.add_author(a as u32);
            }
        }
        u.reviews = entry.reviews as u32;
        u.reviewer_seconds = entry.review_seconds;
        if let Some(files) = credit.counts.get(&entry.hash) {
            for (file, &n) in files {
                u.lines += n;
                if u.kind == Kind::Ai {
                    u.ai_lines += spans.get(file).map_or(n, |&budget| budget.min(n));
                }
            }
        }
        agg.add(&u);
    }
    Ok(())
}

/// How a change counts, and its AI-written line budget per file (from line spans; a file
/// without spans: every line is AI's).
fn classify(entry: &ChangeEntry, names: &mut Names) -> (Unit, HashMap<String, u64>) {
    let mut spans: HashMap<String, u64> = HashMap::new();
    let kind = if entry.attestations.is_empty() {
        Kind::Unattested
    } else {
        Kind::Human
    };
    let mut u = Unit::new(entry.time_ms(), kind);
    let Some(r) = entry.ai_claim() else {
        return (u, spans);
    };
    let Payload::Attest(a) = &r.record.payload else {
        return (u, spans);
    };
    if let Some(ai) = &a.ai {
        u.kind = Kind::Ai;
        u.model = names.model(&ai.provider, &ai.model);
        u.suggestion = Some(ai.suggestion_type);
        u.confidence = ai.confidence_permille;
        u.self_review = ai.review_seconds;
    }
    for s in &a.line_spans {
        let file = s.file.trim_start_matches("./").to_string();
        *spans.entry(file).or_default() += u64::from(s.end - s.start + 1);
    }
    (u, spans)
}

/// Calls `f` with each group key a patch falls in: one, or one per author when grouped by
/// author.
fn keys_of(u: &Unit, dims: &[StatsBy], model_provider: &[u32], mut f: impl FnMut([u32; MAX_DIMS])) {
    let special = match u.kind {
        Kind::Ai => None,
        Kind::Human => Some(HUMAN),
        Kind::Unattested => Some(UNATTESTED),
    };
    let per_author = dims.contains(&StatsBy::Author);
    let authors = std::iter::once(u.author).chain(u.more_authors.iter().copied());
    for author in authors.take(if per_author { usize::MAX } else { 1 }) {
        let mut key = [0u32; MAX_DIMS];
        for (slot, d) in key.iter_mut().zip(dims) {
            *slot = match d {
                StatsBy::Provider => special
                    .unwrap_or_else(|| model_provider.get(u.model as usize).copied().unwrap_or(0)),
                StatsBy::Model => special.unwrap_or(u.model),
                StatsBy::Author => author,
                StatsBy::SuggestionType => special.unwrap_or_else(|| {
                    u.suggestion
                        .and_then(|t| SuggestionType::ALL.iter().position(|x| *x == t))
                        .unwrap_or(0) as u32
                }),
                StatsBy::Month => month_index(u.time_ms),
            };
        }
        f(key);
    }
}

/// A group value as printed.
fn label(d: StatsBy, v: u32, snap: &Snapshot<'_>, names: &Names) -> String {
    match v {
        HUMAN => return "(human)".to_string(),
        UNATTESTED => return "(unattested)".to_string(),
        _ => {}
    }
    match d {
        StatsBy::Provider => names.providers.get(v as usize).cloned().unwrap_or_default(),
        StatsBy::Model => names
            .models
            .get(v as usize)
            .map(|(p, m)| format!("{p}/{m}"))
            .unwrap_or_default(),
        StatsBy::Author => snap
            .authors()
            .get(v as usize)
            .map(|k| {
                snap.membership()
                    .map_or_else(|| k.short(), |m| m.name_of(k))
            })
            .unwrap_or_default(),
        StatsBy::SuggestionType => SuggestionType::ALL
            .get(v as usize)
            .map(|t| t.as_str().to_string())
            .unwrap_or_default(),
        StatsBy::Month => format!("{:04}-{:02}", 1970 + v / 12, v % 12 + 1),
    }
}

fn report(
    out: &mut dyn Write,
    snap: &Snapshot<'_>,
    agg: Agg<'_>,
    channel: Option<(String, LineCredit)>,
    args: &StatsArgs,
) -> Result<()> {
    let Agg {
        dims,
        range,
        names,
        total,
        groups,
        by_model,
    } = agg;
    let with_lines = channel.is_some();
    let by_model: BTreeMap<&(String, String), (u64, u64)> = by_model
        .into_iter()
        .filter_map(|(m, v)| Some((names.models.get(m as usize)?, v)))
        .collect();
    // Groups in order of their values as printed, the (human) and (unattested) groups last.
    let mut rows: Vec<(Vec<(bool, String)>, Acc)> = groups
        .into_iter()
        .map(|(key, acc)| {
            let labels = dims
                .iter()
                .zip(key)
                .map(|(d, v)| (v >= HUMAN, label(*d, v, snap, &names)))
                .collect();
            (labels, acc)
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));

    let patches = Tally {
        total: total.patches,
        ai: total.ai,
        human: total.human,
        unattested: total.unattested,
    };
    if args.json {
        let mut v = json!({
            "scope": if with_lines { "channel" } else { "overlay" },
            "range": range.json(),
            "by": dims.iter().map(|d| d.name()).collect::<Vec<_>>(),
            "patches": patches,
            "lines": Value::Null,
            "by_model": by_model.iter().map(|((p, m), (np, nl))| json!({
                "provider": p, "model": m, "patches": np,
                "lines": if with_lines { json!(nl) } else { Value::Null },
            })).collect::<Vec<_>>(),
            "total": total.json(with_lines),
            "groups": rows.iter().map(|(labels, acc)| {
                let mut row = acc.json(with_lines);
                let group: serde_json::Map<String, Value> = dims
                    .iter()
                    .zip(labels)
                    .map(|(d, (_, l))| (d.name().to_string(), json!(l)))
                    .collect();
                row["group"] = Value::Object(group);
                row
            }).collect::<Vec<_>>(),
        });
        if let Some((name, credit)) = &channel {
            // Lines whose inserter is not a change on the log (the root) count as unattested,
            // over the whole history only.
            let unknown = if range.is_all() { credit.unknown } else { 0 };
            v["channel"] = json!(name);
            v["lines"] = json!({
                "total": total.lines + unknown,
                "ai": total.ai_lines,
                "human": total.lines - total.ai_lines - total.unattested_lines,
                "unattested": total.unattested_lines + unknown,
                "files": credit.files,
                "skipped_files": credit.skipped,
            });
        }
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    if args.csv {
        let mut text = String::new();
        let mut header: Vec<&str> = vec!["row"];
        header.extend(dims.iter().map(|d| d.name()));
        header.extend(CSV_FIELDS);
        tabular::csv_record(&mut text, header);
        for (labels, acc) in &rows {
            let mut fields = vec!["group".to_string()];
            fields.extend(labels.iter().map(|(_, l)| l.clone()));
            fields.extend(acc.csv(with_lines));
            tabular::csv_record(&mut text, fields.iter().map(String::as_str));
        }
        let mut fields = vec!["total".to_string()];
        fields.extend(dims.iter().map(|_| String::new()));
        fields.extend(total.csv(with_lines));
        tabular::csv_record(&mut text, fields.iter().map(String::as_str));
        out.write_all(text.as_bytes())?;
        return Ok(());
    }

    let mut scope = match &channel {
        Some((name, credit)) => format!(
            "channel {name:?}: {} changes, {} lines in {} file{}",
            total.patches,
            total.lines + if range.is_all() { credit.unknown } else { 0 },
            credit.files,
            if credit.files == 1 { "" } else { "s" }
        ),
        None => format!(
            "{} patch{} in the overlay (not a Pijul repository: no line counts)",
            total.patches,
            if total.patches == 1 { "" } else { "es" }
        ),
    };
    if let Some(s) = range.since {
        scope.push_str(&format!(", since {}", crate::render::time(s)));
    }
    if let Some(u) = range.until {
        scope.push_str(&format!(", until {}", crate::render::time(u)));
    }
    writeln!(out, "{scope}")?;
    let mut header: Vec<&str> = dims.iter().map(|d| d.title()).collect();
    header.extend(["PATCHES", "AI", "AI SHARE"]);
    if with_lines {
        header.extend(["LINES", "AI LINES", "AI LINE SHARE"]);
    }
    header.extend(["REVIEWED", "AVG CONFIDENCE", "AVG REVIEW"]);
    let mut align = vec![Align::Left; dims.len()];
    align.resize(header.len(), Align::Right);
    let mut cells: Vec<Vec<String>> = rows
        .iter()
        .map(|(labels, acc)| {
            let mut row: Vec<String> = labels.iter().map(|(_, l)| l.clone()).collect();
            row.extend(acc.cells(with_lines));
            row
        })
        .collect();
    let mut last = vec![String::new(); dims.len()];
    last[0] = "total".to_string();
    last.extend(total.cells(with_lines));
    cells.push(last);
    out.write_all(tabular::table(&header, &align, &cells).as_bytes())?;
    if let Some((_, credit)) = &channel {
        if !credit.skipped.is_empty() {
            writeln!(
                out,
                "({} files could not be credited and are not counted: {})",
                credit.skipped.len(),
                credit.skipped.join(", ")
            )?;
        }
    }
    Ok(())
}

/// The current tree's lines per inserting change, from the file kept for this channel state or
/// by crediting every tracked file (two at a time).
fn line_credit(
    pijul: &Pijul,
    store_dir: &Path,
    record: &attrib_vcs_adapter::ChannelRecord,
) -> Result<LineCredit> {
    let path = store_dir.join(LINES_FILE);
    if let Some(state) = &record.state {
        if let Ok(bytes) = std::fs::read(&path) {
            if let Ok(kept) = serde_json::from_slice::<LineCredit>(&bytes) {
                if &kept.state == state {
                    return Ok(kept);
                }
            }
        }
    }
    let positions = record.positions();
    let files = pijul.tracked_files()?;
    let credits: Vec<(PathBuf, Option<Vec<CreditEntry>>)> = std::thread::scope(|s| {
        let workers = 2.min(files.len().max(1));
        let chunks: Vec<&[PathBuf]> = files.chunks(files.len().div_ceil(workers).max(1)).collect();
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                s.spawn(move || {
                    chunk
                        .iter()
                        .map(|f| (f.clone(), pijul.credit(f).ok()))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    let mut credit = LineCredit {
        state: record.state.clone().unwrap_or_default(),
        ..LineCredit::default()
    };
    for (file, entries) in credits {
        let name = file.to_string_lossy().into_owned();
        let Some(entries) = entries else {
            credit.skipped.push(name);
            continue;
        };
        credit.files += 1;
        for e in &entries {
            let CreditEntry::Line { line_count, .. } = e else {
                continue;
            };
            let n = *line_count as u64;
            match e.inserter(&positions) {
                Some(h) => {
                    *credit
                        .counts
                        .entry(h)
                        .or_default()
                        .entry(name.clone())
                        .or_default() += n
                }
                None => credit.unknown += n,
            }
        }
    }
    if record.state.is_some() {
        write_atomic(&path, &serde_json::to_vec(&credit)?)?;
    }
    Ok(credit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attrib_overlay::{Attestation, Identity, Origin, Record, SignedRecord};

    fn kind_of(records: Vec<SignedRecord>) -> Kind {
        classify(
            &ChangeEntry {
                hash: PatchId::new("TEST").unwrap(),
                info: None,
                place: changes::Place::Channel,
                attestations: records,
                reviews: 0,
                review_seconds: 0,
            },
            &mut Names::default(),
        )
        .0
        .kind
    }

    fn attestation(ai: bool) -> SignedRecord {
        let key = Identity::from_secret([3; 32]);
        key.sign(
            attrib_overlay::signed::GENESIS_TEAM,
            Record {
                seq: 2,
                timestamp_ms: 1,
                origin: Origin::Person,
                payload: Payload::Attest(Attestation {
                    patch: PatchId::new("TEST").unwrap(),
                    ai: ai.then(|| attrib_overlay::AiAssistance {
                        provider: "p".into(),
                        model: "m".into(),
                        suggestion_type: attrib_overlay::SuggestionType::Partial,
                        prompt_commitment: None,
                        confidence_permille: None,
                        token_count: None,
                        temperature_milli: None,
                        max_tokens: None,
                        top_p_milli: None,
                        review_seconds: None,
                    }),
                    description: None,
                    depends_on: vec![],
                    conflicts_with: vec![],
                    replaces: None,
                    line_spans: vec![],
                }),
            },
        )
    }

    #[test]
    fn any_ai_claim_makes_a_change_ai_assisted() {
        assert!(kind_of(vec![]) == Kind::Unattested);
        assert!(kind_of(vec![attestation(false)]) == Kind::Human);
        assert!(kind_of(vec![attestation(false), attestation(true)]) == Kind::Ai);
    }

    #[test]
    fn months_count_from_1970() {
        assert_eq!(month_index(0), 0);
        // 2026-01-31T00:00:00Z and 2026-02-01T00:00:00Z
        assert_eq!(month_index(1_769_817_600_000), 56 * 12);
        assert_eq!(month_index(1_769_904_000_000), 56 * 12 + 1);
    }

    #[test]
    fn review_time_adds_the_author_and_the_reviewers() {
        let mut acc = Acc::default();
        let mut u = Unit::new(0, Kind::Ai);
        u.self_review = Some(60);
        u.reviews = 1;
        u.reviewer_seconds = 120;
        acc.add(&u);
        acc.add(&Unit::new(0, Kind::Human));
        assert_eq!(acc.avg_review(), Some(180.0));
        assert_eq!(acc.reviewed, 1);
        assert_eq!(acc.patches, 2);
    }
}
