//! `blame`: for every line of a file in the current channel, the change that inserted its
//! content (`pijul credit` through the VCS adapter, narrowed to the inserter: a change that
//! only inserts a line above or below does not take the credit) and how that change was
//! written, from the overlay: AI, human or unattested, per line when the attestation says which
//! of the change's lines AI wrote — each contribution's lines (one per AI session, with its
//! model and agent tool; the lines outside every contribution are the author's), or the line
//! spans of an attestation that predates contributions.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{Attestation, PatchId, Payload, Snapshot};
use attrib_vcs_adapter::pijul::AddedLine;
use attrib_vcs_adapter::{CreditEntry, Vcs, VcsError};
use serde::Serialize;

use crate::blame_index::{BlameIndex, ChannelView, Source};

/// How a line was written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attribution {
    /// How the line was written.
    pub kind: Kind,
    /// The AI provider, for AI-assisted changes.
    pub provider: Option<String>,
    /// The AI model.
    pub model: Option<String>,
    /// The agent tool that drove the model, when the attestation names one (contributions).
    pub agent: Option<String>,
    /// The agent's session, when it said.
    pub session: Option<String>,
    /// How the AI contributed.
    pub suggestion_type: Option<String>,
    /// The change has at least one review.
    pub reviewed: bool,
}

/// How a line was written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// AI-assisted, the whole change.
    Ai,
    /// AI-assisted, and the attestation says which added lines of this file AI wrote; this line
    /// could not be traced back to one of the change's added lines.
    AiPartial,
    /// An AI-written line: in the attestation's line spans, or a contribution's.
    AiLine,
    /// A line the author wrote in a change other lines of which are AI-written (outside every
    /// span or contribution).
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

    /// True for the kinds whose line counts as AI-written.
    pub fn is_ai(self) -> bool {
        matches!(self, Kind::Ai | Kind::AiPartial | Kind::AiLine)
    }
}

impl Attribution {
    /// A line of a change nobody attested.
    pub fn unattested(reviewed: bool) -> Self {
        Attribution::plain(Kind::Unattested, reviewed)
    }

    /// A line of `kind` with no AI named.
    fn plain(kind: Kind, reviewed: bool) -> Self {
        Attribution {
            kind,
            provider: None,
            model: None,
            agent: None,
            session: None,
            suggestion_type: None,
            reviewed,
        }
    }

    /// The attribution column of the text table: `AI anthropic/claude-sonnet-4 complete`, with
    /// ` via claude-code` when the line's contribution names its agent tool.
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
                let mut s = format!(
                    "{head} {}/{} {}",
                    self.provider.as_deref().unwrap_or("?"),
                    self.model.as_deref().unwrap_or("?"),
                    self.suggestion_type.as_deref().unwrap_or("?")
                );
                if let Some(agent) = &self.agent {
                    s.push_str(" via ");
                    s.push_str(agent);
                }
                s
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

    /// Who wrote the line, when AI did: `(provider, model, agent, session)`; `None` for a line
    /// a person wrote or nobody attested.
    pub fn writer(&self) -> Option<(&str, &str, Option<&str>, Option<&str>)> {
        if !self.kind.is_ai() {
            return None;
        }
        Some((
            self.provider.as_deref()?,
            self.model.as_deref()?,
            self.agent.as_deref(),
            self.session.as_deref(),
        ))
    }
}

/// What the overlay says about the lines one change added to one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChangeLines {
    /// Every line's attribution when nothing is said per line, and else the attribution of a
    /// line that cannot be traced back to one of the change's added lines.
    pub whole: Attribution,
    /// Who wrote which of the lines the change added to the file (numbered as recorded): each
    /// contribution with lines there, or the AI help with the attestation's own line spans.
    /// Empty when nothing is said per line.
    pub writers: Vec<(Attribution, Vec<(u32, u32)>)>,
    /// A traced line outside every writer's spans: the author's own.
    pub outside: Attribution,
}

impl ChangeLines {
    /// All the change's lines in the file are `a`.
    fn all(a: Attribution) -> ChangeLines {
        ChangeLines {
            outside: a.clone(),
            whole: a,
            writers: Vec::new(),
        }
    }

    /// The change's lines in the file need tracing to be told apart.
    pub fn per_line(&self) -> bool {
        !self.writers.is_empty()
    }
}

/// How the lines `a` (an attestation, `None`: nobody attested) says its change added to `file`
/// were written.
pub fn change_lines(a: Option<&Attestation>, file: &str, reviewed: bool) -> ChangeLines {
    let Some(a) = a else {
        return ChangeLines::all(Attribution::unattested(reviewed));
    };
    let Some(ai) = &a.ai else {
        return ChangeLines::all(Attribution::plain(Kind::Human, reviewed));
    };
    let main = a.main_contribution();
    let of_ai = |kind| Attribution {
        kind,
        provider: Some(ai.provider.clone()),
        model: Some(ai.model.clone()),
        agent: main.map(|c| c.agent.clone()),
        session: main.and_then(|c| c.session.clone()),
        suggestion_type: Some(ai.suggestion_type.as_str().to_string()),
        reviewed,
    };
    let in_file = |spans: &[attrib_overlay::LineSpan]| -> Vec<(u32, u32)> {
        spans
            .iter()
            .filter(|s| same_file(&s.file, file))
            .map(|s| (s.start, s.end))
            .collect()
    };
    if a.contributions.is_empty() {
        // An attestation from before contributions: its spans in this file, or (none here) the
        // whole change, as it always was.
        let spans = in_file(&a.line_spans);
        if spans.is_empty() {
            return ChangeLines::all(of_ai(Kind::Ai));
        }
        return ChangeLines {
            whole: of_ai(Kind::AiPartial),
            writers: vec![(of_ai(Kind::AiLine), spans)],
            outside: of_ai(Kind::HumanInAi),
        };
    }
    let writers: Vec<(Attribution, Vec<(u32, u32)>)> = a
        .contributions
        .iter()
        .filter_map(|c| {
            let spans = in_file(&c.line_spans);
            (!spans.is_empty()).then(|| {
                let by = Attribution {
                    kind: Kind::AiLine,
                    provider: Some(c.provider.clone()),
                    model: Some(c.model.clone()),
                    agent: Some(c.agent.clone()),
                    session: c.session.clone(),
                    suggestion_type: Some(c.suggestion_type.as_str().to_string()),
                    reviewed,
                };
                (by, spans)
            })
        })
        .collect();
    // Contributions name every AI-written line: a file none of them touches is the author's.
    let outside = Attribution {
        agent: None,
        session: None,
        ..of_ai(Kind::HumanInAi)
    };
    if writers.is_empty() {
        return ChangeLines::all(outside);
    }
    ChangeLines {
        whole: of_ai(Kind::AiPartial),
        writers,
        outside,
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

/// What the overlay says about the lines `patch` added to `file`: the attestation that speaks
/// for the change ([`attrib_overlay::view::speaks_before`]), if any.
pub fn attribution(snap: &Snapshot<'_>, patch: &PatchId, file: &str) -> Result<ChangeLines> {
    let view = snap.patch(patch)?;
    let reviewed = !view.reviews.is_empty();
    // Several authors may attest one change: the one that speaks for it is what blame shows.
    let a = match view.speaker().map(|r| &r.record.payload) {
        Some(Payload::Attest(a)) => Some(a),
        _ => None,
    };
    Ok(change_lines(a, file, reviewed))
}

/// Which writer wrote each of `change`'s current lines in the file, by line number now: its
/// added lines (with their line numbers as recorded, which is what spans count) are matched in
/// order against the lines it still owns, so lines deleted since, and lines other changes
/// inserted around them, do not shift the answer. `Some(i)`: in `writers[i]`'s spans (the
/// first that has it); `None`: outside every span. Lines that match nothing are left out.
pub fn map_writers(
    added: &[(u32, &str)],
    owned: &[(usize, &str)],
    writers: &[&[(u32, u32)]],
) -> HashMap<usize, Option<usize>> {
    let mut out = HashMap::new();
    let mut next = 0;
    for &(now, text) in owned {
        let Some(k) = added[next..].iter().position(|(_, t)| *t == text) else {
            continue;
        };
        let recorded = added[next + k].0;
        next += k + 1;
        let by = writers
            .iter()
            .position(|spans| spans.iter().any(|&(a, b)| a <= recorded && recorded <= b));
        out.insert(now, by);
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
    /// The AI provider of the model that wrote the line; `null` for a line a person wrote, a
    /// line nobody attested, and a marker.
    pub provider: Option<&'a str>,
    /// The model that wrote the line (`null` when not AI-written).
    pub model: Option<&'a str>,
    /// The agent tool that drove it, when the attestation names one (contributions).
    pub agent: Option<&'a str>,
    /// The agent's session, when it said.
    pub session: Option<&'a str>,
    /// How the line's change was written.
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
    /// The AI provider (of the change's AI help, for a line its author wrote).
    pub provider: Option<&'a str>,
    /// The AI model.
    pub model: Option<&'a str>,
    /// The agent tool, when the attestation names one.
    pub agent: Option<&'a str>,
    /// The agent's session.
    pub session: Option<&'a str>,
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
            agent: self.agent.as_deref(),
            session: self.session.as_deref(),
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
                } => {
                    let writer = r.attribution.as_ref().and_then(Attribution::writer);
                    BlameRowJson {
                        line: Some(*line),
                        change: change.as_ref().map(|c| c.as_str()),
                        provider: writer.map(|w| w.0),
                        model: writer.map(|w| w.1),
                        agent: writer.and_then(|w| w.2),
                        session: writer.and_then(|w| w.3),
                        attribution: r.attribution.as_ref().map(Attribution::json),
                        conflict: *conflict,
                        marker: None,
                        sides: None,
                        text: Some(text),
                    }
                }
                Row::Marker { id, marker, sides } => BlameRowJson {
                    line: None,
                    change: None,
                    provider: None,
                    model: None,
                    agent: None,
                    session: None,
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

/// Attributes the lines of `rows` (of `file`, relative to the repository root) from the
/// snapshot. `added_lines` reads the lines a change added (`pijul change`); it is called once per
/// change whose lines in the file must be traced one by one.
pub fn attribute_rows(
    snap: &Snapshot<'_>,
    rows: Vec<Row>,
    file: &str,
    mut added_lines: impl FnMut(&PatchId) -> Result<Vec<AddedLine>>,
) -> Result<Vec<BlameRow>> {
    let mut cache: HashMap<PatchId, ChangeLines> = HashMap::new();
    // For changes traced line by line in this file: current line → writer (None: the author).
    let mut traced: HashMap<PatchId, HashMap<usize, Option<usize>>> = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate() {
        let Row::Line { line, change, .. } = row else {
            out.push(BlameRow {
                row: row.clone(),
                attribution: None,
            });
            continue;
        };
        let Some(p) = change else {
            out.push(BlameRow {
                row: row.clone(),
                attribution: Some(Attribution::unattested(false)),
            });
            continue;
        };
        if !cache.contains_key(p) {
            cache.insert(p.clone(), attribution(snap, p, file)?);
        }
        let Some(lines) = cache.get(p) else {
            continue;
        };
        if lines.per_line() && !traced.contains_key(p) {
            let added = added_lines(p)?;
            let added: Vec<(u32, &str)> = added
                .iter()
                .filter(|l| same_file(&l.file, file))
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
            let spans: Vec<&[(u32, u32)]> =
                lines.writers.iter().map(|(_, s)| s.as_slice()).collect();
            traced.insert(p.clone(), map_writers(&added, &owned, &spans));
        }
        let a = match traced.get(p).and_then(|m| m.get(line)) {
            Some(Some(w)) => lines.writers.get(*w).map_or(&lines.whole, |(a, _)| a),
            Some(None) => &lines.outside,
            None => &lines.whole,
        };
        out.push(BlameRow {
            row: rows[i].clone(),
            attribution: Some(a.clone()),
        });
    }
    Ok(out)
}

/// The rows of `rel` (a path relative to the repository root) as the store credits them now,
/// each line credited to its inserter by `positions` (each change's place in channel order);
/// a file the store does not know is one clear error.
pub fn credited_rows(
    vcs: &dyn Vcs,
    positions: &HashMap<PatchId, usize>,
    rel: &Path,
) -> Result<Vec<Row>> {
    let shown = rel.display().to_string();
    let entries = match vcs.credit(rel) {
        Ok(e) => e,
        Err(VcsError::Failed { stderr, .. }) if stderr.contains("Path not found") => {
            if vcs.repo().join(rel).exists() {
                bail!(
                    "{shown} is not tracked in the current channel (`{} add {shown}` and record it first)",
                    vcs.binary()
                )
            }
            bail!("{shown}: no such file in the repository or the current channel")
        }
        Err(VcsError::Failed { stderr, .. }) if stderr.contains("No such file") => {
            bail!("{shown}: no such file in the repository")
        }
        Err(e) => return Err(anyhow!(e)),
    };
    Ok(rows(&entries, positions))
}

/// Blames `rel` (a path relative to the repository root) on the channel whose change order is
/// `positions`, with attributions from the snapshot: the store credits the file every time.
pub fn blame(
    snap: &Snapshot<'_>,
    pijul: &dyn Vcs,
    positions: &HashMap<PatchId, usize>,
    rel: &Path,
) -> Result<Blame> {
    let rows = credited_rows(pijul, positions, rel)?;
    let file_key = rel.to_string_lossy().into_owned();
    let rows = attribute_rows(snap, rows, &file_key, |p| {
        pijul.added_lines(p).map_err(|e| anyhow!(e))
    })?;
    Ok(Blame {
        file: rel.display().to_string(),
        rows,
    })
}

/// [`blame`] through the index ([`BlameIndex`]): the credited rows from the index when the
/// store and the file did not move since they were kept (no process at all), and each
/// change's added lines from the index too; the attributions are read from the snapshot every
/// time (records arrive by sync while the channel stands still). Also says where the rows came
/// from.
pub fn blame_indexed(
    snap: &Snapshot<'_>,
    vcs: &dyn Vcs,
    view: ChannelView<'_>,
    rel: &Path,
    index: &BlameIndex,
) -> Result<(Blame, Source)> {
    let (rows, source) = index.rows(vcs, view, rel)?;
    let file_key = rel.to_string_lossy().into_owned();
    let rows = attribute_rows(snap, rows, &file_key, |p| {
        index.added_lines(vcs, p).map_err(|e| anyhow!(e))
    })?;
    let blamed = Blame {
        file: rel.display().to_string(),
        rows,
    };
    Ok((blamed, source))
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
        let m = map_writers(&added, &owned, &[&[(4, 5)]]);
        assert_eq!(m.get(&10), Some(&None));
        assert_eq!(m.get(&11), Some(&Some(0)));
        assert_eq!(m.get(&13), Some(&None));
        // A line the change does not seem to have added stays unmapped.
        let m = map_writers(&added, &[(1, "zzz")], &[&[(4, 5)]]);
        assert!(m.is_empty());
        // Several writers: each line goes to the one whose spans hold it.
        let m = map_writers(&added, &owned, &[&[(3, 3)], &[(4, 6)]]);
        assert_eq!(m.get(&10), Some(&Some(0)));
        assert_eq!(m.get(&11), Some(&Some(1)));
        assert_eq!(m.get(&13), Some(&Some(1)));
    }

    #[test]
    fn spans_match_the_file_with_or_without_dot_slash() {
        assert!(same_file("./src/a.rs", "src/a.rs"));
        assert!(!same_file("src/b.rs", "src/a.rs"));
    }
}
