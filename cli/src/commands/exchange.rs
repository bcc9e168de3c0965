//! `attrib export` and `attrib import`: offline exchange as signed JSON Lines.

use std::io::{Read, Write};
use std::path::Path;

use anyhow::{bail, Context as _, Result};
use attrib_overlay::exchange::{from_json_line, to_json_line};
use attrib_overlay::{now_ms, Outcome, Payload, SignedRecord, Store};
use serde::Serialize;

use super::{agent_trace, csv_report};
use crate::args::{ExportArgs, ExportFormat, ImportArgs, ImportFormat};
use crate::context::{write_atomic, Ctx};
use crate::progress::{Data, Progress};

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

/// The bytes of a file, or of standard input for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
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
    Ok(bytes)
}

pub fn read_export(path: &Path) -> Result<ParsedExport> {
    parse_export(&read_input(path)?, path)
}

/// Parses attrib's signed JSON Lines.
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
    ingest_with_progress(store, parsed, &Progress::hidden())
}

fn ingest_with_progress(
    store: &Store,
    parsed: ParsedExport,
    progress: &Progress,
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
    // Membership first: a grant in the same file must not depend on line order.
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

pub fn import(ctx: &Ctx, out: &mut dyn Write, args: ImportArgs) -> Result<()> {
    let store = ctx.open_store()?;
    if store.snapshot()?.team().is_none() {
        bail!(
            "this store has no team yet; use `attrib init --join {}`",
            args.file.display()
        );
    }
    let progress = Progress::spinner("reading the import", Data::Stdout);
    let bytes = read_input(&args.file)?;
    let format = match args.format {
        ImportFormat::Auto if agent_trace::looks_like(&bytes) => ImportFormat::AgentTrace,
        ImportFormat::Auto => ImportFormat::Jsonl,
        f => f,
    };
    if format == ImportFormat::AgentTrace {
        // Everything is read and checked before this device signs anything.
        let name = if args.file.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            args.file.display().to_string()
        };
        let records = agent_trace::parse(&bytes, &name)?;
        let me = ctx.identity()?;
        let summary = agent_trace::import(ctx, &store, &me, &records, &progress)?;
        drop(progress);
        if args.json {
            writeln!(out, "{}", serde_json::to_string_pretty(&summary)?)?;
        } else {
            writeln!(out, "{}", summary.line())?;
        }
        return Ok(());
    }
    let parsed = parse_export(&bytes, &args.file)?;
    let summary = ingest_with_progress(&store, parsed, &progress)?;
    drop(progress);
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
    export_lines_with(store, Data::File)
}

fn export_lines_with(store: &Store, data: Data) -> Result<String> {
    let progress = Progress::spinner("reading the store", data);
    let snap = store.snapshot()?;
    let mut records = snap.all_records()?;
    progress.set_length(records.len() as u64);
    progress.set_message("writing signed records");
    records.sort_by_key(|r| match r.record.payload {
        Payload::Genesis { .. } => 0,
        Payload::Grant { .. } | Payload::Revoke { .. } => 1,
        _ => 2,
    });
    let mut text = String::with_capacity(records.len() * 400);
    for r in &records {
        text.push_str(&to_json_line(r));
        text.push('\n');
        progress.inc(1);
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
    let data = match args.output {
        Some(_) => Data::File,
        None => Data::Stdout,
    };
    let store = ctx.open_store()?;
    let (text, note) = match args.format {
        ExportFormat::Jsonl => {
            let text = export_lines_with(&store, data)?;
            let n = text.lines().count();
            (text, format!("{n} signed records"))
        }
        ExportFormat::Csv => {
            let (text, n) = csv_report::csv(&store, data)?;
            (text, format!("{n} attestations as CSV"))
        }
        ExportFormat::AgentTrace => {
            // In a Pijul repository, an attestation of a whole change exports the lines the
            // change added.
            let channel = ctx.channel_or_warn();
            let pijul = channel.as_ref().map(|c| &c.pijul);
            let e = agent_trace::export(&store, data, pijul)?;
            if e.without_spans > 0 {
                eprintln!(
                    "attrib: note: {} AI-assisted attestation(s) without line spans have no ranges to write and were left out (outside a Pijul repository, or changes it does not have)",
                    e.without_spans
                );
            }
            (e.text, format!("{} Agent Trace records", e.records))
        }
    };
    drop(store);
    match args.output {
        Some(path) => {
            write_atomic(&path, text.as_bytes())?;
            eprintln!("wrote {note} to {}", path.display());
        }
        None => out.write_all(text.as_bytes())?,
    }
    Ok(())
}
