//! The current tree's lines per inserting change: every tracked file credited (`pijul credit`,
//! as `blame` does, two files at a time), kept beside the store for the channel state it was
//! computed at, so a second `stats` on an unchanged channel reads one file.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Result;
use attrib_overlay::PatchId;
use attrib_vcs_adapter::{CreditEntry, Vcs};
use serde::{Deserialize, Serialize};

use attrib_overlay::files::write_atomic;

/// The line counts beside the store.
const LINES_FILE: &str = "line-credit.json";

/// Lines of the current tree per inserting change and file.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct LineCredit {
    /// The channel state the counts are for.
    pub state: String,
    /// Lines per inserting change and file.
    pub counts: BTreeMap<PatchId, BTreeMap<String, u64>>,
    /// Lines whose inserter is not on the channel's log (the root change).
    pub unknown: u64,
    pub files: u64,
    /// Files `pijul credit` could not read (binary files, for one).
    pub skipped: Vec<String>,
}

/// The current tree's lines per inserting change, from the file kept for this channel state or
/// by crediting every tracked file (two at a time).
pub(super) fn line_credit(
    pijul: &dyn Vcs,
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
        // A cache: where the store's directory cannot be written, the next run counts again.
        let _ = write_atomic(&path, &serde_json::to_vec(&credit)?);
    }
    Ok(credit)
}
