//! `attrib export` and `attrib import`: offline exchange as signed JSON Lines.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::{now_ms, Outcome, Payload, SignedRecord, Store};
use serde::Serialize;

use crate::args::{ExportArgs, ImportArgs};
use crate::context::{write_atomic, Ctx};

/// Records ingested per transaction, so a huge import neither holds everything in one
/// transaction nor commits per record.
const IMPORT_BATCH: usize = 20_000;

/// An export file, parsed line by line.
pub struct ParsedExport {
    pub records: Vec<SignedRecord>,
    /// Line number of each record.
    pub lines: Vec<usize>,
    /// Lines that are not records: `(line, why)`.
    pub malformed: Vec<(usize, String)>,
}

pub fn read_export(path: &Path) -> Result<ParsedExport> {
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        std::fs::File::open(path)
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
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
    pub accepted: usize,
    pub duplicate: usize,
    /// `(line, code, message)` of every refused line.
    pub refused: Vec<(usize, String, String)>,
}

impl ImportSummary {
    pub fn line(&self) -> String {
        format!(
            "accepted {}, already held {}, refused {}",
            self.accepted,
            self.duplicate,
            self.refused.len()
        )
    }
}

pub fn ingest_parsed(store: &Store, parsed: ParsedExport) -> Result<ImportSummary> {
    let mut summary = ImportSummary::default();
    for (n, why) in parsed.malformed {
        summary
            .refused
            .push((n, "malformed".into(), format!("malformed record: {why}")));
    }
    let now = now_ms();
    // Membership first: a grant in the same file must not depend on line order.
    let mut order: Vec<usize> = (0..parsed.records.len()).collect();
    order.sort_by_key(|&i| !parsed.records[i].record.payload.is_membership());
    for chunk in order.chunks(IMPORT_BATCH) {
        let batch: Vec<SignedRecord> = chunk.iter().map(|&i| parsed.records[i].clone()).collect();
        let outcomes = store.ingest(&batch, now)?;
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

pub fn import(ctx: &Ctx, out: &mut dyn Write, args: ImportArgs) -> Result<()> {
    let store = ctx.open_store()?;
    if store.snapshot()?.team().is_none() {
        bail!(
            "this store has no team yet; use `attrib init --join {}`",
            args.file.display()
        );
    }
    let parsed = read_export(&args.file)?;
    let summary = ingest_parsed(&store, parsed)?;
    if args.json {
        writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
    } else {
        writeln!(out, "{}", summary.line())?;
        for (line, _, why) in &summary.refused {
            writeln!(out, "  line {line}: {why}")?;
        }
    }
    out.flush()?;
    if !summary.refused.is_empty() {
        bail!(
            "{} record(s) refused (the others were imported); see the reasons above",
            summary.refused.len()
        );
    }
    Ok(())
}

/// Every record, membership first: genesis, then grants and revokes, then claims.
pub fn export_lines(store: &Store) -> Result<String> {
    let snap = store.snapshot()?;
    let mut records = snap.all_records()?;
    records.sort_by_key(|r| match r.record.payload {
        Payload::Genesis { .. } => 0,
        Payload::Grant { .. } | Payload::Revoke { .. } => 1,
        _ => 2,
    });
    let mut text = String::with_capacity(records.len() * 400);
    for r in &records {
        text.push_str(&to_json_line(r));
        text.push('\n');
    }
    Ok(text)
}

/// Writes the export to `path` atomically and returns the number of records.
pub fn export_to_file(ctx: &Ctx, path: &Path) -> Result<usize> {
    let text = export_lines(&ctx.open_store()?)?;
    write_atomic(path, text.as_bytes())?;
    Ok(text.lines().count())
}

pub fn export(ctx: &Ctx, out: &mut dyn Write, args: ExportArgs) -> Result<()> {
    match args.output {
        Some(path) => {
            let n = export_to_file(ctx, &path)?;
            eprintln!("wrote {n} signed records to {}", path.display());
        }
        None => out.write_all(export_lines(&ctx.open_store()?)?.as_bytes())?,
    }
    Ok(())
}
