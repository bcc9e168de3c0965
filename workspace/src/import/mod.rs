//! Imports: another member's signed export (JSON Lines, each record checked on its own), or
//! Agent Trace records from another tool, which this device attests as imported claims
//! ([`agent_trace`]), or the attribution Atomic keeps in its own changes ([`atomic`]), or
//! git-ai's notes in a git repository ([`git_ai`]). The three imports of foreign attribution sign
//! their claims the same way ([`sign`]).

pub mod agent_trace;
pub mod atomic;
pub mod git_ai;
mod sign;

use std::path::Path;

use anyhow::{bail, Result};
use attrib_overlay::exchange::from_json_line;
use attrib_overlay::{now_ms, Outcome, SignedRecord, Store};
use serde::Serialize;

pub use attrib_query::progress::Progress;

use crate::Workspace;

/// Records ingested per transaction, so a huge import neither holds everything in one
/// transaction nor commits per record.
const IMPORT_BATCH: usize = 20_000;

/// An export file, parsed line by line.
pub struct ParsedExport {
    /// The records, in file order.
    pub records: Vec<SignedRecord>,
    /// Line number of each record.
    pub lines: Vec<usize>,
    /// Lines that are not records: `(line, why)`.
    pub malformed: Vec<(usize, String)>,
}

/// Parses attrib's signed JSON Lines (`path` names the file in errors). A line that is not a
/// record is kept as malformed, so the others still import; a file with nothing in it fails.
pub fn parse_export(bytes: &[u8], path: &Path) -> Result<ParsedExport> {
    let mut parsed = ParsedExport {
        records: Vec::new(),
        lines: Vec::new(),
        malformed: Vec::new(),
    };
    for (i, line) in bytes.split(|b| *b == b'\n').enumerate() {
        let n = i + 1;
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let Ok(text) = std::str::from_utf8(line) else {
            parsed.malformed.push((n, "not UTF-8 text".into()));
            continue;
        };
        match from_json_line(text) {
            Ok(r) => {
                parsed.records.push(r);
                parsed.lines.push(n);
            }
            Err(e) => parsed.malformed.push((n, e.to_string())),
        }
    }
    if parsed.records.is_empty() && parsed.malformed.is_empty() {
        bail!("{} holds no records", path.display());
    }
    Ok(parsed)
}

/// What an import did.
#[derive(Serialize, Debug, Default)]
pub struct ImportSummary {
    /// Records newly stored.
    pub accepted: usize,
    /// Records the store held already.
    pub duplicate: usize,
    /// `(line, code, message)` of every refused line.
    pub refused: Vec<(usize, String, String)>,
}

impl ImportSummary {
    /// `accepted N, already held N, refused N`.
    pub fn line(&self) -> String {
        format!(
            "accepted {}, already held {}, refused {}",
            self.accepted,
            self.duplicate,
            self.refused.len()
        )
    }
}

/// Offers every parsed record to the store, membership first (a grant in the same file must
/// not depend on line order), in batches.
pub fn ingest_parsed(
    store: &Store,
    parsed: ParsedExport,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    progress.set_length(parsed.records.len() as u64);
    progress.set_message("importing signed records");
    let mut summary = ImportSummary::default();
    for (n, why) in parsed.malformed {
        summary
            .refused
            .push((n, "malformed".into(), format!("malformed record: {why}")));
    }
    let now = now_ms();
    let mut order: Vec<usize> = (0..parsed.records.len()).collect();
    order.sort_by_key(|&i| !parsed.records[i].record.payload.is_membership());
    for chunk in order.chunks(IMPORT_BATCH) {
        let batch: Vec<SignedRecord> = chunk.iter().map(|&i| parsed.records[i].clone()).collect();
        let outcomes = store.ingest(&batch, now)?;
        progress.inc(batch.len() as u64);
        for (&i, outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Outcome::Accepted => summary.accepted += 1,
                Outcome::Duplicate => summary.duplicate += 1,
                Outcome::Refused(why) => {
                    summary
                        .refused
                        .push((parsed.lines[i], why.code().into(), why.to_string()))
                }
            }
        }
    }
    summary.refused.sort();
    Ok(summary)
}

/// Imports a signed export into the workspace's store. `file` names the input in errors. Call
/// [`require_team`] first, before reading the input.
pub fn import_export(
    ws: &Workspace,
    bytes: &[u8],
    file: &Path,
    progress: &dyn Progress,
) -> Result<ImportSummary> {
    let parsed = parse_export(bytes, file)?;
    ingest_parsed(ws.store()?, parsed, progress)
}

/// An import needs a team to import into; `init --join` makes one from the same file.
pub fn require_team(ws: &Workspace, file: &Path) -> Result<()> {
    if ws.store()?.snapshot()?.team().is_none() {
        bail!(
            "this store has no team yet; use `attrib init --join {}`",
            file.display()
        );
    }
    Ok(())
}
