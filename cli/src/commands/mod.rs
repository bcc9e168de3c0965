//! One module per subcommand: each maps its arguments to a library call and renders the
//! answer. What several commands print the same way lives here.

pub mod annotate;
pub mod backfill;
pub mod blame;
pub mod check;
pub mod checkpoint;
pub mod config;
pub mod demo;
pub mod docs;
pub mod export;
pub mod hook;
pub mod hooks;
pub mod identity;
pub mod import;
pub mod init;
pub mod log;
pub mod node;
pub mod record;
pub mod review;
pub mod show;
pub mod stats;
pub mod team;
pub mod verify;

use std::io::Write;

use anyhow::Result;
use attrib_overlay::{Payload, SignedRecord};
use attrib_query::records::{ai_summary, RecordView};
use attrib_workspace::Workspace;
use serde::Serialize;

pub use attrib_cli::notices::{reconcile, warn};

/// Prints `value` as `--json` does: pretty, keys in order, one trailing newline.
pub fn print_json(out: &mut dyn Write, value: &impl Serialize) -> Result<()> {
    let v = serde_json::to_value(value)?;
    serde_json::to_writer_pretty(&mut *out, &v)?;
    writeln!(out)?;
    Ok(())
}

/// Prints a record just written as `--json` asks.
pub fn print_record_json(out: &mut dyn Write, ws: &Workspace, signed: &SignedRecord) -> Result<()> {
    let snap = ws.store()?.snapshot()?;
    print_json(out, &RecordView::of(snap.membership(), signed))
}

/// Prints an attestation just written: its JSON, or `VERB PATCH as … (record #N, ID)`.
pub fn report_attestation(
    out: &mut dyn Write,
    ws: &Workspace,
    signed: &SignedRecord,
    verb: &str,
    json: bool,
) -> Result<()> {
    if json {
        return print_record_json(out, ws, signed);
    }
    let patch = match &signed.record.payload {
        Payload::Attest(a) => a.patch.as_str(),
        _ => "",
    };
    writeln!(
        out,
        "{verb} {patch} as {} (record #{}, {})",
        ai_summary(signed),
        signed.record.seq,
        signed.id().short()
    )?;
    Ok(())
}
