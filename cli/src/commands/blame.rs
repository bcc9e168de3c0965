//! `attrib blame FILE`: for every line, the change that inserted it and how that change was
//! written ([`attrib_query::blame`]), the credited lines read through the blame index
//! ([`attrib_query::blame_index`]) unless `--no-index`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use attrib_query::blame::{blame, blame_indexed, Row};
use attrib_query::blame_index::{BlameIndex, ChannelView};
use attrib_workspace::Workspace;

use attrib_cli::args::BlameArgs;
use attrib_cli::table::table;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: BlameArgs) -> Result<()> {
    let root = ws.repo_root()?;
    let rel = relative(ws.dir(), &root, &args.file)?;
    // Reconciling checks the binary's version once per installed binary, and gives the
    // channel order (no second `pijul log`).
    let mut rec = super::reconcile(ws)?;
    let channel = rec.channel()?.ok_or_else(|| {
        anyhow!(
            "blame needs the store inside the repository (.pijul/attrib, .atomic/attrib or .git/attrib); this one is in {}",
            ws.store_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    })?;
    let snap = ws.store()?.snapshot()?;
    let blamed = if args.no_index {
        blame(&snap, channel.vcs.as_ref(), &channel.positions(), &rel)?
    } else {
        // The index lives in the store directory (reconciliation found the channel, so the
        // store is inside the repository).
        let index = BlameIndex::at(ws.store_dir()?);
        let view = ChannelView {
            record: channel.current().map(|(_, record)| record),
            read_at: channel.tracker.fingerprint(),
        };
        blame_indexed(&snap, channel.vcs.as_ref(), view, &rel, &index)?.0
    };
    if args.json {
        return super::print_json(out, &blamed.json());
    }
    if blamed.rows.is_empty() {
        writeln!(out, "{} is empty", blamed.file)?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = blamed
        .rows
        .iter()
        .map(|r| match &r.row {
            Row::Line {
                line,
                change,
                conflict,
                text,
            } => {
                let short = change
                    .as_ref()
                    .map(|c| c.as_str().chars().take(10).collect())
                    .unwrap_or_else(|| "?".to_string());
                let mut a = r.attribution.as_ref().map(|a| a.text()).unwrap_or_default();
                if let Some(id) = conflict {
                    a.push_str(&format!(" [conflict {id}]"));
                }
                vec![line.to_string(), short, a, text.clone()]
            }
            Row::Marker { id, marker, sides } => {
                let mut t = format!("<<< conflict {id} {marker}");
                if !sides.is_empty() {
                    let s: Vec<String> =
                        sides.iter().map(|s| s.chars().take(10).collect()).collect();
                    t.push_str(&format!(" ({})", s.join(", ")));
                }
                vec![String::new(), String::new(), "CONFLICT".to_string(), t]
            }
        })
        .collect();
    out.write_all(table(&["LINE", "CHANGE", "ATTRIBUTION", "TEXT"], &[], &rows).as_bytes())?;
    Ok(())
}

/// FILE as a path relative to the repository root (FILE itself is relative to the working
/// directory, which may be below the root).
fn relative(dir: &Path, root: &Path, file: &Path) -> Result<PathBuf> {
    let absolute = dir.join(file);
    if let Ok(rel) = absolute.strip_prefix(root) {
        return Ok(normalize(rel));
    }
    let canon = |p: &Path| p.canonicalize().ok();
    if let (Some(f), Some(root)) = (canon(&absolute), canon(root)) {
        if let Ok(rel) = f.strip_prefix(&root) {
            return Ok(rel.to_path_buf());
        }
    }
    bail!(
        "{} is outside the repository {}",
        file.display(),
        root.display()
    )
}

/// Drops `.` components (`./src/a.rs` → `src/a.rs`).
fn normalize(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .collect()
}
