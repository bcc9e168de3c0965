//! `attrib export [--format jsonl|csv|agent-trace|in-toto] [-o FILE]`.

use std::io::Write;

use anyhow::Result;
use attrib_query::export;
use attrib_workspace::files::write_atomic;
use attrib_workspace::Workspace;

use attrib_cli::args::{ExportArgs, ExportFormat};
use attrib_cli::progress::{Data, Progress};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: ExportArgs) -> Result<()> {
    let data = match args.output {
        Some(_) => Data::File,
        None => Data::Stdout,
    };
    let mut rec = super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let progress = Progress::spinner("reading the store", data);
    let (bytes, note) = match args.format {
        ExportFormat::Jsonl => {
            let (text, n) = export::jsonl(&snap, &progress)?;
            (text.into_bytes(), format!("{n} signed records"))
        }
        ExportFormat::Csv => {
            let (bytes, n) = export::csv::csv(&snap, &progress)?;
            (bytes, format!("{n} attestations as CSV"))
        }
        ExportFormat::AgentTrace => {
            // In a Pijul repository, an attestation of a whole change exports the lines the
            // change added.
            let (channel, warning) = rec.channel_or_warning();
            if let Some(w) = warning {
                super::warn(&w);
            }
            let pijul = channel.as_deref().map(|c| c.vcs.as_ref());
            let e = export::agent_trace::export(&snap, pijul, &progress)?;
            if e.without_spans > 0 {
                eprintln!(
                    "attrib: note: {} AI-assisted attestation(s) without line spans have no ranges to write and were left out (outside a repository, or changes it does not have)",
                    e.without_spans
                );
            }
            (
                e.text.into_bytes(),
                format!("{} Agent Trace records", e.records),
            )
        }
        ExportFormat::InToto => {
            // Each statement is signed with this device's key.
            let identity = ws.identity()?;
            let e = export::in_toto::export(&snap, &identity.key, &progress)?;
            (
                e.text.into_bytes(),
                format!("{} signed in-toto statements", e.statements),
            )
        }
    };
    drop(progress);
    match args.output {
        Some(path) => {
            write_atomic(&ws.resolve(&path), &bytes)?;
            eprintln!("wrote {note} to {}", path.display());
        }
        None => out.write_all(&bytes)?,
    }
    Ok(())
}
