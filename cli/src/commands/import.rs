//! `attrib import FILE`: another member's signed export, or Agent Trace records.

use std::io::Write;

use anyhow::{bail, Result};
use attrib_query::agent_trace;
use attrib_workspace::files::read_input;
use attrib_workspace::import::{self, require_team};
use attrib_workspace::Workspace;

use attrib_cli::args::{ImportArgs, ImportFormat};
use attrib_cli::progress::{Data, Progress};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: ImportArgs) -> Result<()> {
    super::reconcile(ws)?;
    require_team(ws, &args.file)?;
    let progress = Progress::spinner("reading the import", Data::Stdout);
    let bytes = read_input(ws, &args.file)?;
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
        let me = ws.identity()?;
        let summary = import::agent_trace::import(ws, &me, &records, &progress)?;
        drop(progress);
        if args.json {
            super::print_json(out, &summary)?;
        } else {
            writeln!(out, "{}", summary.line())?;
        }
        return Ok(());
    }
    let summary = import::import_export(ws, &bytes, &args.file, &progress)?;
    drop(progress);
    if args.json {
        super::print_json(out, &summary)?;
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
