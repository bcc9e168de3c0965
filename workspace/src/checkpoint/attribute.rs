//! From the working log to an attestation's contributions, when a change is recorded.
//!
//! Every file the log knows is first brought up to date with the working copy: what changed
//! since the last checkpoint is a person's. Then each of the change's added lines takes the
//! owner of the line it is in the log, matched by text in order (the change's lines are
//! numbered in the file as recorded, and the working copy may have moved on since a plain
//! record). The agent lines become one contribution per session; the lines the change used are
//! settled, and a file with nothing left to attest leaves the log.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use anyhow::Result;
use attrib_overlay::{AiAssistance, Contribution, LineSpan, PromptCommitment, SuggestionType};

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
        s.advance(&line_hashes(&text), PERSON);
        out.push(s);
    }
    Ok(out)
}

/// The contributions of a change whose added lines are `added` (a plain record, found by
/// reconciliation), with the used lines settled in the log. Call under the log's lock.
pub fn attribute(log: &WorkingLog, root: &Path, added: &[Added<'_>]) -> Result<Attribution> {
    let files: Vec<&str> = {
        let mut f: Vec<&str> = added.iter().map(|a| a.file).collect();
        f.dedup();
        f
    };
    let states = current_states(log, root, |p| files.contains(&p))?;
    let mut spans = Spans::default();
    let store = log.states();
    for mut state in states {
        // The change's lines of this file, in order, matched to the log's lines by text: the
        // next line with the same text, from where the last match was.
        let mut cursor = 0;
        for a in added.iter().filter(|a| a.file == state.path) {
            let h = hash_line(a.text.as_bytes());
            let at = (cursor..state.lines.len()).find(|&i| state.lines[i].hash == h);
            let Some(i) = at else {
                continue;
            };
            cursor = i + 1;
            let owner = state.lines[i].owner;
            if owner != BASELINE {
                spans.add(&state, owner, &state.path.clone(), a.line);
                state.lines[i].owner = BASELINE;
            }
        }
        store.save(&state)?;
    }
    Ok(spans.finish())
}

/// The contributions of a record of the whole working copy (a wrapped record), before it runs:
/// every line the log holds for the files `keep` selects, numbered as in the working copy,
/// which is what the change records. [`settle`] after the record.
pub fn attribute_working_copy(
    log: &WorkingLog,
    root: &Path,
    keep: impl Fn(&str) -> bool,
) -> Result<(Attribution, Vec<FileState>)> {
    let states = current_states(log, root, keep)?;
    let mut spans = Spans::default();
    for state in &states {
        for (i, line) in state.lines.iter().enumerate() {
            if line.owner != BASELINE {
                spans.add(state, line.owner, &state.path, i as u32 + 1);
            }
        }
    }
    Ok((spans.finish(), states))
}

/// After a wrapped record: the states it attested are settled (their lines are in the signed
/// attestation now) and leave the log.
pub fn settle(log: &WorkingLog, states: Vec<FileState>) -> Result<()> {
    let store = log.states();
    for mut s in states {
        s.lines.iter_mut().for_each(|l| l.owner = BASELINE);
        store.save(&s)?;
    }
    Ok(())
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
