//! What both binaries say on stderr besides errors: warnings, and what reconciliation did.

use anyhow::Result;
use attrib_overlay::Payload;
use attrib_query::records::ai_summary;
use attrib_workspace::reconcile::Cause;
use attrib_workspace::{Reconciled, Workspace};

use crate::progress::{Data, Progress};

/// Prints a warning on stderr.
pub fn warn(message: &str) {
    eprintln!("attrib: warning: {message}");
}

/// Reconciles the workspace with its repository's channel, and says on stderr what that did:
/// warnings, then a note per attestation it signed.
pub fn reconcile(ws: &Workspace) -> Result<Reconciled> {
    let progress = Progress::spinner("reconciling with the repository", Data::Stdout);
    let done = attrib_workspace::reconcile(ws)?;
    drop(progress);
    for w in &done.warnings {
        warn(w);
    }
    print_attested(&done);
    Ok(done)
}

/// A note on stderr per attestation reconciliation signed.
pub fn print_attested(done: &Reconciled) {
    for (record, cause) in &done.attested {
        if let Payload::Attest(a) = &record.record.payload {
            let how = match cause {
                Cause::CarriedOver { from } => format!("carried over from {from}, which it amends"),
                Cause::PreRecordHook => "from the pre-record hook's capture".to_string(),
                Cause::Checkpoints => "from agents' checkpoints".to_string(),
                Cause::Squashed { from } => format!(
                    "squashing {}",
                    from.iter()
                        .map(|p| p.to_string())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            eprintln!(
                "attrib: note: attested {} as {} ({how})",
                a.patch,
                ai_summary(record)
            );
        }
    }
}
