//! `blame`: for every line of a file in the current channel, the change that inserted its
//! content (`pijul credit` through the VCS adapter, narrowed to the inserter: a change that
//! only inserts a line above or below does not take the credit) and how that change was
//! written, from the overlay: AI, human or unattested, per line when an attestation's line
//! spans say which of the change's lines are AI-written.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{PatchId, Payload, Snapshot};
use attrib_vcs_adapter::{CreditEntry, Pijul, VcsError};
use serde::Serialize;

/// How the change that inserted a line was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    /// How the line was written.
    pub kind: Kind,
    /// The AI provider, for AI-assisted changes.
    pub provider: Option<String>,
    /// The AI model.
    pub model: Option<String>,
    /// How the AI contributed.
    pub suggestion_type: Option<String>,
    /// The change has at least one review.
    pub reviewed: bool,
    /// The AI-written line spans of this file, as recorded (for [`Kind::AiPartial`]).
    pub spans: Vec<(u32, u32)>,
}

/// How a line was written.
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
    /// Written without AI.
    Human,
    /// Nobody attested the change.
    Unattested,
}

impl Kind {
    /// `ai`, `human` or `unattested`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Ai | Kind::AiPartial | Kind::AiLine => "ai",
            Kind::Human | Kind::HumanInAi => "human",
            Kind::Unattested => "unattested",
        }
    }
}

impl Attribution {
    /// A line of a change nobody attested.
    pub fn unattested(reviewed: bool) -> Self {
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
    pub fn text(&self) -> String {
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

    /// Which of the change's lines are AI-written, for JSON: `all`, `partial` (spans that
    /// could not be traced), `this` line, the `others`, or none.
    pub fn ai_lines(&self) -> Option<&'static str> {
        match self.kind {
            Kind::Ai => Some("all"),
            Kind::AiPartial => Some("partial"),
            Kind::AiLine => Some("this"),
            Kind::HumanInAi => Some("others"),
            _ => None,
        }
    }
}

/// One row of the blame: a line of the file, or a conflict marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Row {
    /// A line of the file.
    Line {
        /// Its number, 1-based.
        line: usize,
        /// The change that inserted it (`None`: not on the channel's log, the root change).
        change: Option<PatchId>,
        /// The conflict the line belongs to, if any.
        conflict: Option<usize>,
        /// Its text.
        text: String,
    },
    /// A conflict marker.
    Marker {
        /// The conflict's number.
        id: usize,
        /// `start`, `separator` or `end`.
        marker: String,
        /// The changes on each side.
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
    // Several authors may attest one change: the one that speaks for it is what blame shows.
    let Some(Payload::Attest(a)) = view.speaker().map(|r| &r.record.payload) else {
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

/// True when a span's file names `file` (with or without a leading `./`).
pub fn same_file(span_file: &str, file: &str) -> bool {
    let norm = |s: &str| s.trim_start_matches("./").to_string();
    norm(span_file) == norm(file)
}

/// One row of a [`Blame`]: a line with its attribution, or a conflict marker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlameRow {
    /// The line or marker.
    pub row: Row,
    /// How the line was written (`None` for a marker).
    pub attribution: Option<Attribution>,
}

/// The blame of one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Blame {
    /// The file, relative to the repository root, as shown.
    pub file: String,
    /// Its rows, in order.
    pub rows: Vec<BlameRow>,
}

/// A [`BlameRow`] as JSON.
#[derive(Serialize)]
pub struct BlameRowJson<'a> {
    /// The line number (`null` for a marker).
    pub line: Option<usize>,
    /// The inserting change.
    pub change: Option<&'a str>,
    /// How the line was written.
    pub attribution: Option<AttributionJson<'a>>,
    /// The conflict the line or marker belongs to.
    pub conflict: Option<usize>,
    /// The marker kind, for a marker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub marker: Option<&'a str>,
    /// The sides of a conflict, for a marker.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sides: Option<&'a [String]>,
    /// The line's text (`null` for a marker).
    pub text: Option<&'a str>,
}

/// An [`Attribution`] as JSON.
#[derive(Serialize)]
pub struct AttributionJson<'a> {
    /// `ai`, `human` or `unattested`.
    pub kind: &'static str,
    /// The AI provider.
    pub provider: Option<&'a str>,
    /// The AI model.
    pub model: Option<&'a str>,
    /// How the AI contributed.
    pub suggestion_type: Option<&'a str>,
    /// The change has a review.
    pub reviewed: bool,
    /// Which of the change's lines are AI-written ([`Attribution::ai_lines`]).
    pub ai_lines: Option<&'static str>,
}

impl Attribution {
    /// The JSON form.
    pub fn json(&self) -> AttributionJson<'_> {
        AttributionJson {
            kind: self.kind.as_str(),
            provider: self.provider.as_deref(),
            model: self.model.as_deref(),
            suggestion_type: self.suggestion_type.as_deref(),
            reviewed: self.reviewed,
            ai_lines: self.ai_lines(),
        }
    }
}

impl Blame {
    /// The JSON form: one object per row.
    pub fn json(&self) -> Vec<BlameRowJson<'_>> {
        self.rows
            .iter()
            .map(|r| match &r.row {
                Row::Line {
                    line,
                    change,
                    conflict,
                    text,
                } => BlameRowJson {
                    line: Some(*line),
                    change: change.as_ref().map(|c| c.as_str()),
                    attribution: r.attribution.as_ref().map(Attribution::json),
                    conflict: *conflict,
                    marker: None,
                    sides: None,
                    text: Some(text),
                },
                Row::Marker { id, marker, sides } => BlameRowJson {
                    line: None,
                    change: None,
                    attribution: None,
                    conflict: Some(*id),
                    marker: Some(marker),
                    sides: Some(sides),
                    text: None,
                },
            })
            .collect()
    }
}

/// Blames `rel` (a path relative to the repository root) on the channel whose change order is
/// `positions`, with attributions from the snapshot.
pub fn blame(
    snap: &Snapshot<'_>,
    pijul: &Pijul,
    positions: &HashMap<PatchId, usize>,
    rel: &Path,
) -> Result<Blame> {
    let shown = rel.display().to_string();
    let entries = match pijul.credit(rel) {
        Ok(e) => e,
        Err(VcsError::Failed { stderr, .. }) if stderr.contains("Path not found") => {
            if pijul.repo().join(rel).exists() {
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
    let rows = rows(&entries, positions);
    let file_key = rel.to_string_lossy().into_owned();
    let mut cache: HashMap<PatchId, Attribution> = HashMap::new();
    // For changes with line spans in this file: current line → AI-written?
    let mut traced: HashMap<PatchId, HashMap<usize, bool>> = HashMap::new();
    let mut attr_of = |p: &Option<PatchId>, line: usize| -> Result<Attribution> {
        let Some(p) = p else {
            return Ok(Attribution::unattested(false));
        };
        let a = match cache.get(p) {
            Some(a) => a.clone(),
            None => {
                let a = attribution(snap, p, &file_key)?;
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
        let in_span = traced.get(p).and_then(|m| m.get(&line)).copied();
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
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let attribution = match row {
            Row::Line { line, change, .. } => Some(attr_of(change, *line)?),
            Row::Marker { .. } => None,
        };
        out.push(BlameRow {
            row: row.clone(),
            attribution,
        });
    }
    Ok(Blame {
        file: shown,
        rows: out,
    })
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
