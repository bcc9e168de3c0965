//! `attrib blame FILE [--json]`: for every line of FILE in the current channel, the change that
//! inserted its content (`pijul credit` through the VCS adapter, narrowed to the inserter) and
//! that change's attribution from the overlay.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{PatchId, Payload, Snapshot};
use attrib_vcs_adapter::{CreditEntry, VcsError};
use serde_json::{json, Value};

use super::tabular;
use crate::args::BlameArgs;
use crate::context::Ctx;
use crate::vcs;

/// How the change that inserted a line was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    pub kind: Kind,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub suggestion_type: Option<String>,
    /// The change has at least one review.
    pub reviewed: bool,
    /// The AI-written line spans of this file, as recorded (for [`Kind::AiPartial`]).
    pub spans: Vec<(u32, u32)>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// AI-assisted, the whole change.
    Ai,
    /// AI-assisted, and the attestation marks only some added lines of this file as AI-written
    /// (line spans); this line could not be traced back to one of the change's added lines.
    AiPartial,
    /// An AI-written line: in the attestation's line spans.
    AiLine,
    /// A line the author wrote in a change whose other lines are AI-written (outside the spans).
    HumanInAi,
    Human,
    Unattested,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Ai | Kind::AiPartial | Kind::AiLine => "ai",
            Kind::Human | Kind::HumanInAi => "human",
            Kind::Unattested => "unattested",
        }
    }
}

impl Attribution {
    fn unattested(reviewed: bool) -> Self {
        Attribution {
            kind: Kind::Unattested,
            provider: None,
            model: None,
            suggestion_type: None,
            reviewed,
            spans: Vec::new(),
        }
    }

    /// The attribution column of the text table.
    fn text(&self) -> String {
        let mut s = match self.kind {
            Kind::Human => "human".to_string(),
            Kind::Unattested => "unattested".to_string(),
            Kind::HumanInAi => format!(
                "human (in an AI-assisted change: {}/{})",
                self.provider.as_deref().unwrap_or("?"),
                self.model.as_deref().unwrap_or("?"),
            ),
            Kind::Ai | Kind::AiPartial | Kind::AiLine => {
                let head = match self.kind {
                    Kind::AiPartial => "partially AI (spans)",
                    _ => "AI",
                };
                format!(
                    "{head} {}/{} {}",
                    self.provider.as_deref().unwrap_or("?"),
                    self.model.as_deref().unwrap_or("?"),
                    self.suggestion_type.as_deref().unwrap_or("?")
                )
            }
        };
        if self.reviewed {
            s.push_str(", reviewed");
        }
        s
    }

    fn json(&self) -> Value {
        json!({
            "kind": self.kind.as_str(),
            "provider": self.provider,
            "model": self.model,
            "suggestion_type": self.suggestion_type,
            "reviewed": self.reviewed,
            "ai_lines": match self.kind {
                Kind::Ai => json!("all"),
                Kind::AiPartial => json!("partial"),
                Kind::AiLine => json!("this"),
                Kind::HumanInAi => json!("others"),
                _ => Value::Null,
            },
        })
    }
}

/// One row of the blame: a line of the file, or a conflict marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    Line {
        line: usize,
        change: Option<PatchId>,
        /// The conflict the line belongs to, if any.
        conflict: Option<usize>,
        text: String,
    },
    Marker {
        id: usize,
        marker: String,
        sides: Vec<String>,
    },
}

/// Splits `pijul credit`'s entries into one row per line (and one per conflict marker), each
/// line credited to its inserter given each change's position in channel order.
pub fn rows(entries: &[CreditEntry], positions: &HashMap<PatchId, usize>) -> Vec<Row> {
    let mut out = Vec::new();
    for e in entries {
        match e {
            CreditEntry::Line {
                start_line,
                line_count,
                conflict,
                content,
                ..
            } => {
                let change = e.inserter(positions);
                let mut texts = content
                    .split_inclusive('\n')
                    .map(|l| l.trim_end_matches('\n').trim_end_matches('\r'));
                // Pijul's count is authoritative; content with fewer lines pads with empty text.
                let count = (*line_count).max(1);
                for i in 0..count {
                    out.push(Row::Line {
                        line: start_line + i,
                        change: change.clone(),
                        conflict: *conflict,
                        text: texts.next().unwrap_or("").to_string(),
                    });
                }
            }
            CreditEntry::Conflict { marker, id, sides } => out.push(Row::Marker {
                id: *id,
                marker: marker.clone(),
                sides: sides.clone(),
            }),
        }
    }
    out
}

/// The attribution of `patch` in the overlay, for lines of `file`.
pub fn attribution(snap: &Snapshot<'_>, patch: &PatchId, file: &str) -> Result<Attribution> {
    let view = snap.patch(patch)?;
    let reviewed = !view.reviews.is_empty();
    let attests: Vec<_> = view
        .attestations
        .values()
        .filter_map(|r| match &r.record.payload {
            Payload::Attest(a) => Some(a),
            _ => None,
        })
        .collect();
    // Several authors may attest one change: an AI claim by any of them is what blame shows.
    let chosen = attests
        .iter()
        .find(|a| a.ai.is_some())
        .or_else(|| attests.first());
    let Some(a) = chosen else {
        return Ok(Attribution::unattested(reviewed));
    };
    Ok(match &a.ai {
        None => Attribution {
            kind: Kind::Human,
            provider: None,
            model: None,
            suggestion_type: None,
            reviewed,
            spans: Vec::new(),
        },
        Some(ai) => {
            let spans: Vec<(u32, u32)> = a
                .line_spans
                .iter()
                .filter(|s| same_file(&s.file, file))
                .map(|s| (s.start, s.end))
                .collect();
            Attribution {
                kind: if spans.is_empty() {
                    Kind::Ai
                } else {
                    Kind::AiPartial
                },
                provider: Some(ai.provider.clone()),
                model: Some(ai.model.clone()),
                suggestion_type: Some(ai.suggestion_type.as_str().to_string()),
                reviewed,
                spans,
            }
        }
    })
}

/// Which of `change`'s current lines in the file are AI-written, by line number now: its added
/// lines (with their line numbers as recorded, which is what spans count) are matched in order
/// against the lines it still owns, so lines deleted since, and lines other changes inserted
/// around them, do not shift the answer. Lines that match nothing are left out.
pub fn map_spans(
    added: &[(u32, &str)],
    owned: &[(usize, &str)],
    spans: &[(u32, u32)],
) -> HashMap<usize, bool> {
    let mut out = HashMap::new();
    let mut next = 0;
    for &(now, text) in owned {
        let Some(k) = added[next..].iter().position(|(_, t)| *t == text) else {
            continue;
        };
        let recorded = added[next + k].0;
        next += k + 1;
        out.insert(
            now,
            spans.iter().any(|&(a, b)| a <= recorded && recorded <= b),
        );
    }
    out
}

fn same_file(span_file: &str, file: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").to_string();
    norm(span_file) == norm(file)
}

/// FILE as a path relative to the repository root (FILE itself is relative to the working
/// directory, which may be below the root).
fn relative(ctx: &Ctx, root: &Path, file: &Path) -> Result<PathBuf> {
    let absolute = ctx.cwd.join(file);
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

pub fn run(ctx: &Ctx, out: &mut dyn Write, args: BlameArgs) -> Result<()> {
    let root = vcs::repo_root(ctx)?;
    let rel = relative(ctx, &root, &args.file)?;
    let shown = rel.display().to_string();
    // Opening the store reconciles it with the channel (and checks the binary's version once
    // per installed binary): the channel order comes from there, not from another `pijul log`.
    let store = ctx.open_store()?;
    let channel = ctx.channel()?.ok_or_else(|| {
        anyhow!(
            "blame needs the store inside the Pijul repository (.pijul/attrib); this one is in {}",
            ctx.find_store_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_default()
        )
    })?;
    let pijul = channel.pijul.clone();
    let positions = channel
        .tracker
        .current()
        .map(|(_, record)| record.positions())
        .unwrap_or_default();
    drop(channel);
    let entries = match pijul.credit(&rel) {
        Ok(e) => e,
        Err(VcsError::Failed { stderr, .. }) if stderr.contains("Path not found") => {
            if root.join(&rel).exists() {
                bail!(
                    "{shown} is not tracked in the current channel (`{} add {shown}` and record it first)",
                    pijul.binary()
                )
            }
            bail!("{shown}: no such file in the repository or the current channel")
        }
        Err(VcsError::Failed { stderr, .. }) if stderr.contains("No such file") => {
            bail!("{shown}: no such file in the repository")
        }
        Err(e) => return Err(anyhow!(e)),
    };
    let rows = rows(&entries, &positions);

    let snap = store.snapshot()?;
    let file_key = rel.to_string_lossy().into_owned();
    let mut cache: HashMap<PatchId, Attribution> = HashMap::new();
    // For changes with line spans in this file: current line → AI-written?
    let mut traced: HashMap<PatchId, HashMap<usize, bool>> = HashMap::new();
    let mut attr_of = |p: &Option<PatchId>, line: Option<usize>| -> Result<Attribution> {
        let Some(p) = p else {
            return Ok(Attribution::unattested(false));
        };
        let a = match cache.get(p) {
            Some(a) => a.clone(),
            None => {
                let a = attribution(&snap, p, &file_key)?;
                cache.insert(p.clone(), a.clone());
                a
            }
        };
        if a.kind != Kind::AiPartial {
            return Ok(a);
        }
        if !traced.contains_key(p) {
            let added = pijul.added_lines(p).map_err(|e| anyhow!(e))?;
            let added: Vec<(u32, &str)> = added
                .iter()
                .filter(|l| same_file(&l.file, &file_key))
                .map(|l| (l.line, l.text.as_str()))
                .collect();
            let owned: Vec<(usize, &str)> = rows
                .iter()
                .filter_map(|r| match r {
                    Row::Line {
                        line, change, text, ..
                    } if change.as_ref() == Some(p) => Some((*line, text.as_str())),
                    _ => None,
                })
                .collect();
            traced.insert(p.clone(), map_spans(&added, &owned, &a.spans));
        }
        let in_span = line.and_then(|l| traced.get(p).and_then(|m| m.get(&l)).copied());
        Ok(match in_span {
            Some(true) => Attribution {
                kind: Kind::AiLine,
                ..a
            },
            Some(false) => Attribution {
                kind: Kind::HumanInAi,
                ..a
            },
            None => a,
        })
    };

    if args.json {
        let mut v = Vec::with_capacity(rows.len());
        for row in &rows {
            v.push(match row {
                Row::Line {
                    line,
                    change,
                    conflict,
                    text,
                } => json!({
                    "line": line,
                    "change": change.as_ref().map(|c| c.as_str()),
                    "attribution": attr_of(change, Some(*line))?.json(),
                    "conflict": conflict,
                    "text": text,
                }),
                Row::Marker { id, marker, sides } => json!({
                    "line": Value::Null,
                    "change": Value::Null,
                    "attribution": Value::Null,
                    "conflict": id,
                    "marker": marker,
                    "sides": sides,
                    "text": Value::Null,
                }),
            });
        }
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
    }
    if rows.is_empty() {
        writeln!(out, "{shown} is empty")?;
        return Ok(());
    }
    let mut table = Vec::with_capacity(rows.len());
    for row in &rows {
        table.push(match row {
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
                let mut a = attr_of(change, Some(*line))?.text();
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
        });
    }
    out.write_all(
        tabular::table(&["LINE", "CHANGE", "ATTRIBUTION", "TEXT"], &[], &table).as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
    const H2: &str = "SXEYMYF7P4RZMZ46WPL4IZUTSQ2ATBWYZX7QNVDHBLHAKLTCBHHQC";

    #[test]
    fn rows_split_runs_credit_inserters_and_keep_conflicts() {
        let text = format!(
            r#"[{{"type":"line","startLine":1,"lineCount":2,"changes":["{H2}","{H1}"],"content":"a\nb\n"}},
               {{"type":"conflict","marker":"start","id":0,"sides":["{H1}","{H2}"]}},
               {{"type":"line","startLine":3,"lineCount":1,"changes":["{H2}"],"conflict":0,"content":"c"}},
               {{"type":"line","startLine":4,"lineCount":1,"changes":["UNKNOWN"],"conflict":0,"content":"d\n"}},
               {{"type":"conflict","marker":"end","id":0}}]"#
        );
        let entries: Vec<CreditEntry> = serde_json::from_str(&text).unwrap();
        let positions: HashMap<PatchId, usize> = [
            (PatchId::new(H1).unwrap(), 0),
            (PatchId::new(H2).unwrap(), 1),
        ]
        .into_iter()
        .collect();
        let rows = rows(&entries, &positions);
        assert_eq!(rows.len(), 6);
        let h1 = Some(PatchId::new(H1).unwrap());
        let h2 = Some(PatchId::new(H2).unwrap());
        assert_eq!(
            rows[1],
            Row::Line {
                line: 2,
                change: h1,
                conflict: None,
                text: "b".into()
            }
        );
        assert!(matches!(&rows[2], Row::Marker { id: 0, marker, .. } if marker == "start"));
        assert_eq!(
            rows[3],
            Row::Line {
                line: 3,
                change: h2,
                conflict: Some(0),
                text: "c".into()
            }
        );
        assert!(matches!(&rows[4], Row::Line { change: None, .. }));
    }

    #[test]
    fn spans_are_traced_through_deletions_and_insertions() {
        // The change added lines 3-6 (as recorded); spans mark 4-5 as AI-written.
        let added = [(3, "a"), (4, "b"), (5, "c"), (6, "d")];
        // Since then "c" was deleted, and other changes moved the rest down.
        let owned = [(10, "a"), (11, "b"), (13, "d")];
        let m = map_spans(&added, &owned, &[(4, 5)]);
        assert_eq!(m.get(&10), Some(&false));
        assert_eq!(m.get(&11), Some(&true));
        assert_eq!(m.get(&13), Some(&false));
        // A line the change does not seem to have added stays unmapped.
        let m = map_spans(&added, &[(1, "zzz")], &[(4, 5)]);
        assert!(m.is_empty());
    }

    #[test]
    fn spans_match_the_file_with_or_without_dot_slash() {
        assert!(same_file("./src/a.rs", "src/a.rs"));
        assert!(!same_file("src/b.rs", "src/a.rs"));
    }
}
