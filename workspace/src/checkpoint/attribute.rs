//! From the working log to an attestation's contributions, when a change is recorded.
//!
//! Every file the log knows is first brought up to date with the working copy: what changed
//! since the last checkpoint is a person's. Then each of the change's added lines takes the
//! owner of the line it is in the log, matched by text in order (the change's lines are
//! numbered in the file as recorded, and the working copy may have moved on since a plain
//! record). The agent lines become one contribution per session; the lines the change used are
//! settled, and a file with nothing left to attest leaves the log.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::Path;

use anyhow::Result;
use attrib_overlay::{AiAssistance, Contribution, LineSpan, PromptCommitment, SuggestionType};

use similar::{capture_diff_slices, Algorithm, DiffOp};

use super::state::{hash_line, line_hashes, FileState, Owner, Writer, BASELINE, PERSON};
use super::WorkingLog;

/// What the log says about a change's lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Attribution {
    /// One per agent session, with the lines it wrote.
    pub contributions: Vec<Contribution>,
    /// Added lines a person wrote (seen between checkpoints).
    pub person_lines: u64,
    /// Added lines the agents wrote.
    pub agent_lines: u64,
}

impl Attribution {
    /// The AI help the attestation names as its main one: the contribution that wrote the most
    /// lines; `partial` when a person wrote lines of the change too, else `complete`.
    pub fn main_ai(&self) -> Option<AiAssistance> {
        let top = self.contributions.iter().max_by_key(|c| {
            c.line_spans
                .iter()
                .map(|s| u64::from(s.end - s.start + 1))
                .sum::<u64>()
        })?;
        let kind = if self.person_lines > 0 {
            SuggestionType::Partial
        } else {
            SuggestionType::Complete
        };
        let mut ai = AiAssistance::new(top.provider.clone(), top.model.clone(), kind);
        ai.prompt_commitment = top.prompt_commitment;
        Some(ai)
    }
}

/// One added line of a change, as the VCS reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Added<'a> {
    /// The file, relative to the repository root.
    pub file: &'a str,
    /// The line's number in the file as the change recorded it.
    pub line: u32,
    /// Its text.
    pub text: &'a str,
}

/// Collects lines into spans per writer.
#[derive(Default)]
struct Spans {
    by_writer: BTreeMap<WriterKey, Vec<LineSpan>>,
    person: u64,
    agent: u64,
}

type WriterKey = (
    String,
    String,
    String,
    Option<String>,
    Option<PromptCommitment>,
);

impl Spans {
    fn add(&mut self, state: &FileState, owner: Owner, file: &str, line: u32) {
        if owner == PERSON {
            self.person += 1;
            return;
        }
        let Some(w) = state.writer(owner) else {
            return;
        };
        self.agent += 1;
        let key = (
            w.agent.clone(),
            w.provider.clone(),
            w.model.clone(),
            w.session.clone(),
            w.prompt,
        );
        let spans = self.by_writer.entry(key).or_default();
        match spans.last_mut() {
            Some(s) if s.file == file && s.end.checked_add(1) == Some(line) => s.end = line,
            _ => spans.push(LineSpan {
                file: file.to_string(),
                start: line,
                end: line,
            }),
        }
    }

    fn finish(self) -> Attribution {
        Attribution {
            contributions: self
                .by_writer
                .into_iter()
                .map(
                    |((agent, provider, model, session, prompt_commitment), line_spans)| {
                        Contribution {
                            provider,
                            model,
                            agent,
                            session,
                            suggestion_type: SuggestionType::Complete,
                            prompt_commitment,
                            line_spans,
                        }
                    },
                )
                .collect(),
            person_lines: self.person,
            agent_lines: self.agent,
        }
    }
}

/// The log's states brought up to the working copy under `root` (a person's changes since the
/// last checkpoint), for the files `keep` selects.
fn current_states(
    log: &WorkingLog,
    root: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<Vec<FileState>> {
    let (states, _) = log.states().all()?;
    let mut out = Vec::new();
    for mut s in states.into_iter().filter(|s| keep(&s.path)) {
        let text = fs::read(root.join(&s.path)).unwrap_or_default();
        s.advance(&line_hashes(&text), PERSON, attrib_overlay::now_ms());
        out.push(s);
    }
    Ok(out)
}

/// The contributions of a change whose added lines are `added`, with the used lines settled
/// in the log. Call under the log's lock.
///
/// The change's added lines of each file are matched to the lines the log holds for someone
/// (not the baseline): first by aligning the two sequences (a longest common subsequence of
/// their texts, so order decides between equal lines where it can), then each line left over to
/// a remaining line of the same text. Pijul and the log may each place an inserted line that
/// equals an old one (a `}`, an empty line) on either side of it; the second pass makes that
/// choice not matter. Added lines that match nothing are lines the log never saw (the
/// author's); log lines that match nothing stay for a later change.
///
/// `recorded_ms` is when the change was recorded, when known: lines the log first saw after
/// it cannot be in it (reconciliation may find several new changes at once, and an older one
/// must not take a later one's `}`).
pub fn attribute(
    log: &WorkingLog,
    root: &Path,
    added: &[Added<'_>],
    recorded_ms: Option<u64>,
) -> Result<Attribution> {
    let mut files: Vec<&str> = added.iter().map(|a| a.file).collect();
    files.sort_unstable();
    files.dedup();
    let states = current_states(log, root, |p| files.binary_search(&p).is_ok())?;
    let mut spans = Spans::default();
    let store = log.states();
    for mut state in states {
        let adds: Vec<&Added<'_>> = added.iter().filter(|a| a.file == state.path).collect();
        let add_hashes: Vec<u64> = adds.iter().map(|a| hash_line(a.text.as_bytes())).collect();
        // The log's lines someone wrote: their indexes in the state, and their hashes.
        let pending: Vec<usize> = (0..state.lines.len())
            .filter(|&i| {
                let line = &state.lines[i];
                line.owner != BASELINE && recorded_ms.is_none_or(|r| line.seen_ms <= r)
            })
            .collect();
        let pending_hashes: Vec<u64> = pending.iter().map(|&i| state.lines[i].hash).collect();
        let mut matched: Vec<Option<usize>> = vec![None; adds.len()];
        let mut taken = vec![false; pending.len()];
        for op in capture_diff_slices(Algorithm::Myers, &add_hashes, &pending_hashes) {
            if let DiffOp::Equal {
                old_index,
                new_index,
                len,
            } = op
            {
                for k in 0..len {
                    matched[old_index + k] = Some(new_index + k);
                    taken[new_index + k] = true;
                }
            }
        }
        let mut free: HashMap<u64, Vec<usize>> = HashMap::new();
        for j in (0..pending.len()).rev().filter(|&j| !taken[j]) {
            free.entry(pending_hashes[j]).or_default().push(j);
        }
        for (k, slot) in matched.iter_mut().enumerate() {
            if slot.is_none() {
                *slot = free.get_mut(&add_hashes[k]).and_then(Vec::pop);
            }
        }
        for (a, slot) in adds.iter().zip(&matched) {
            if let Some(j) = slot {
                let i = pending[*j];
                spans.add(&state, state.lines[i].owner, &state.path.clone(), a.line);
                state.lines[i].owner = BASELINE;
            }
        }
        store.save(&state)?;
    }
    Ok(spans.finish())
}

/// [`attribute`] for the added lines as the VCS adapter reports them.
pub fn attribute_added(
    log: &WorkingLog,
    root: &Path,
    lines: &[attrib_vcs_adapter::pijul::AddedLine],
    recorded_ms: Option<u64>,
) -> Result<Attribution> {
    let added: Vec<Added<'_>> = lines
        .iter()
        .map(|l| Added {
            file: &l.file,
            line: l.line,
            text: &l.text,
        })
        .collect();
    attribute(log, root, &added, recorded_ms)
}

/// True when the log holds lines someone wrote in the files `keep` selects, as the working
/// copy is now (a record of them has agents' or a person's lines to attest).
pub fn has_lines(log: &WorkingLog, root: &Path, keep: impl Fn(&str) -> bool) -> Result<bool> {
    Ok(current_states(log, root, keep)?
        .iter()
        .any(|s| !s.is_settled()))
}

/// The writer of every contribution, for tests and reports.
pub fn writers(a: &Attribution) -> Vec<Writer> {
    a.contributions
        .iter()
        .map(|c| Writer {
            agent: c.agent.clone(),
            provider: c.provider.clone(),
            model: c.model.clone(),
            session: c.session.clone(),
            prompt: c.prompt_commitment,
        })
        .collect()
}
