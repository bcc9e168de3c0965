//! `attrib stats [--json]`: how much of the work AI did.
//!
//! - **Patches**: in a Pijul repository, the current channel's changes; elsewhere, the
//!   overlay's attested patches. A patch is AI-assisted when any of its authors says so.
//! - **Lines** (Pijul only): every line of the current tree, credited to the change that
//!   inserted it (as `attrib blame` does), counted by that change's attribution. When an
//!   attestation marks only some of a change's lines in a file as AI-written (line spans), at
//!   most that many of its lines there count as AI, the rest as human.
//!
//! Crediting every tracked file runs `pijul credit` once per file, so the per-change line counts
//! are kept beside the store for the channel state they were computed at.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, Result};
use attrib_overlay::peek::peek_attestation;
use attrib_overlay::{AttestationQuery, PatchId, Payload, Snapshot};
use attrib_vcs_adapter::{CreditEntry, Pijul};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::changes::{self, ChangeEntry};
use crate::args::StatsArgs;
use crate::context::{write_atomic, Ctx};
use crate::render;

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

impl Tally {
    fn share(&self, n: u64) -> String {
        if self.total == 0 {
            "-".to_string()
        } else {
            format!("{:.1}%", n as f64 * 100.0 / self.total as f64)
        }
    }
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

/// How a change counts: its class and, when AI, its provider/model and per-file span limits.
struct Class {
    kind: Kind,
    model: Option<(String, String)>,
    /// AI-written line budget per file (from line spans); absent: every line is AI's.
    span_lines: HashMap<String, u64>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Ai,
    Human,
    Unattested,
}

fn classify(entry: &ChangeEntry) -> Class {
    if entry.attestations.is_empty() {
        return Class {
            kind: Kind::Unattested,
            model: None,
            span_lines: HashMap::new(),
        };
    }
    let human = Class {
        kind: Kind::Human,
        model: None,
        span_lines: HashMap::new(),
    };
    let Some(r) = entry.ai_claim() else {
        return human;
    };
    let Payload::Attest(a) = &r.record.payload else {
        return human;
    };
    let ai = a.ai.as_ref();
    let mut span_lines: HashMap<String, u64> = HashMap::new();
    for s in &a.line_spans {
        let file = s.file.trim_start_matches("./").to_string();
        *span_lines.entry(file).or_default() += u64::from(s.end - s.start + 1);
    }
    Class {
        kind: Kind::Ai,
        model: ai.map(|ai| (ai.provider.clone(), ai.model.clone())),
        span_lines,
    }
}

pub fn run(ctx: &Ctx, out: &mut dyn Write, args: StatsArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let channel = ctx.channel_or_warn();
    let Some(followed) = channel.as_ref().filter(|f| f.tracker.current().is_some()) else {
        return overlay_stats(out, &snap, args.json);
    };
    let Some((name, record)) = followed.tracker.current() else {
        return overlay_stats(out, &snap, args.json);
    };
    let entries = changes::entries(&snap, record, false)?;
    let classes: HashMap<PatchId, Class> = entries
        .iter()
        .map(|e| (e.hash.clone(), classify(e)))
        .collect();

    let mut patches = Tally::default();
    let mut by_model: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    for c in classes.values() {
        patches.total += 1;
        match c.kind {
            Kind::Ai => patches.ai += 1,
            Kind::Human => patches.human += 1,
            Kind::Unattested => patches.unattested += 1,
        }
        if let Some(m) = &c.model {
            by_model.entry(m.clone()).or_default().0 += 1;
        }
    }

    let store_dir = ctx.find_store_dir()?;
    let credit = line_credit(&followed.pijul, &store_dir, record)?;
    let mut lines = Tally {
        unattested: credit.unknown,
        total: credit.unknown,
        ..Tally::default()
    };
    for (hash, files) in &credit.counts {
        let class = classes.get(hash);
        for (file, &n) in files {
            lines.total += n;
            match class {
                Some(class) if class.kind == Kind::Ai => {
                    let ai_n = class
                        .span_lines
                        .get(file)
                        .map_or(n, |&budget| budget.min(n));
                    lines.ai += ai_n;
                    lines.human += n - ai_n;
                    if let Some(m) = &class.model {
                        by_model.entry(m.clone()).or_default().1 += ai_n;
                    }
                }
                Some(class) if class.kind == Kind::Human => lines.human += n,
                _ => lines.unattested += n,
            }
        }
    }

    if args.json {
        let v = json!({
            "scope": "channel",
            "channel": name,
            "patches": patches,
            "lines": {
                "total": lines.total,
                "ai": lines.ai,
                "human": lines.human,
                "unattested": lines.unattested,
                "files": credit.files,
                "skipped_files": credit.skipped,
            },
            "by_model": by_model.iter().map(|((p, m), (np, nl))| json!({
                "provider": p, "model": m, "patches": np, "lines": nl,
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "channel {name:?}: {} changes, {} lines in {} file{}",
        patches.total,
        lines.total,
        credit.files,
        if credit.files == 1 { "" } else { "s" }
    )?;
    let rows = vec![
        tally_row("AI-assisted", &patches, patches.ai, &lines, lines.ai),
        tally_row("human", &patches, patches.human, &lines, lines.human),
        tally_row(
            "unattested",
            &patches,
            patches.unattested,
            &lines,
            lines.unattested,
        ),
    ];
    out.write_all(render::table(&["", "CHANGES", "SHARE", "LINES", "SHARE"], &rows).as_bytes())?;
    if !by_model.is_empty() {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = by_model
            .iter()
            .map(|((p, m), (np, nl))| {
                vec![
                    format!("{p}/{m}"),
                    np.to_string(),
                    patches.share(*np),
                    nl.to_string(),
                    lines.share(*nl),
                ]
            })
            .collect();
        out.write_all(
            render::table(&["AI MODEL", "CHANGES", "SHARE", "LINES", "SHARE"], &rows).as_bytes(),
        )?;
    }
    if !credit.skipped.is_empty() {
        writeln!(
            out,
            "({} files could not be credited and are not counted: {})",
            credit.skipped.len(),
            credit.skipped.join(", ")
        )?;
    }
    Ok(())
}

fn tally_row(label: &str, patches: &Tally, np: u64, lines: &Tally, nl: u64) -> Vec<String> {
    vec![
        label.to_string(),
        np.to_string(),
        patches.share(np),
        nl.to_string(),
        lines.share(nl),
    ]
}

/// Outside a Pijul repository: the overlay's attested patches, read from the index without
/// decoding whole records.
fn overlay_stats(out: &mut dyn Write, snap: &Snapshot<'_>, json_out: bool) -> Result<()> {
    let rows = snap.attestation_rows(&AttestationQuery::default())?;
    // patch → (any AI, the first AI claim's provider/model)
    let mut patches: HashMap<String, Option<(String, String)>> = HashMap::new();
    for row in &rows {
        let body = snap.body(row)?;
        let p = peek_attestation(&body).ok_or_else(|| {
            anyhow!(
                "the store is damaged: log entry at {} is not an attestation",
                row.offset
            )
        })?;
        let slot = patches.entry(p.patch.to_string()).or_default();
        if let (None, Some(ai)) = (&slot, &p.ai) {
            *slot = Some((ai.provider.to_string(), ai.model.to_string()));
        }
    }
    let mut tally = Tally::default();
    let mut by_model: BTreeMap<(String, String), u64> = BTreeMap::new();
    for model in patches.values() {
        tally.total += 1;
        match model {
            Some(m) => {
                tally.ai += 1;
                *by_model.entry(m.clone()).or_default() += 1;
            }
            None => tally.human += 1,
        }
    }
    if json_out {
        let v = json!({
            "scope": "overlay",
            "patches": tally,
            "lines": null,
            "by_model": by_model.iter().map(|((p, m), n)| json!({
                "provider": p, "model": m, "patches": n, "lines": null,
            })).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(
        out,
        "{} attested patches (not a Pijul repository: no line counts)",
        tally.total
    )?;
    let rows = vec![
        vec![
            "AI-assisted".to_string(),
            tally.ai.to_string(),
            tally.share(tally.ai),
        ],
        vec![
            "human".to_string(),
            tally.human.to_string(),
            tally.share(tally.human),
        ],
    ];
    out.write_all(render::table(&["", "PATCHES", "SHARE"], &rows).as_bytes())?;
    if !by_model.is_empty() {
        writeln!(out)?;
        let rows: Vec<Vec<String>> = by_model
            .iter()
            .map(|((p, m), n)| vec![format!("{p}/{m}"), n.to_string(), tally.share(*n)])
            .collect();
        out.write_all(render::table(&["AI MODEL", "PATCHES", "SHARE"], &rows).as_bytes())?;
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
        classify(&ChangeEntry {
            hash: PatchId::new("TEST").unwrap(),
            info: None,
            place: changes::Place::Channel,
            attestations: records,
            reviews: 0,
        })
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
    fn shares_are_percentages_of_the_total() {
        let t = Tally {
            total: 3,
            ai: 1,
            human: 2,
            unattested: 0,
        };
        assert_eq!(t.share(1), "33.3%");
        assert_eq!(Tally::default().share(0), "-");
    }
}
