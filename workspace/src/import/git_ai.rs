//! Importing git-ai's authorship notes (`refs/notes/ai`, schema `authorship/3.0.0`, read by
//! [`attrib_vcs_adapter::git_notes`]): the unsigned per-commit logs of the git attribution tool
//! git-ai become this device's imported claims.
//!
//! Every noted commit is named by its patch id (the git driver's [`Git::patch_ids`], one
//! batch), and attested by the importer's own key with origin `imported` and the source in the
//! description. Each AI session of the note (a `sessions` entry, or a legacy `prompts` one)
//! becomes one [`Contribution`]: the provider inferred from the model, the model, the agent
//! tool (git-ai's `claude` and `gemini` are attrib's `claude-code` and `gemini-cli`), the
//! tool's session id, and the session's lines per file as spans, merged where they touch. A
//! key the note does not describe is looked up in the repository's other notes, as git-ai
//! does after a cherry-pick. Lines of known humans and of unknown origin are the author's; the
//! claim is `partial` when there are such lines, or when the commit added more lines than the
//! sessions wrote, else `complete`.
//!
//! Like the Agent Trace import, a claim replaces only an earlier import of the importer's, never
//! an attestation they made themselves, and nothing is signed where a person attested the
//! change themselves. Importing again signs nothing new. A note that cannot be read, a note on
//! a commit the repository no longer has, or on a shallow clone's boundary commit (whose diff,
//! and so whose patch id, the clone cannot tell) is reported and the others are imported. When
//! two noted commits are the same change (a rebase or a cherry-pick leaves the old commit and
//! its note behind), the newest commit's note speaks for it.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::model::{MAX_LIST, MAX_TEXT};
use attrib_overlay::{
    span_lines, AiAssistance, Attestation, Contribution, LineSpan, PatchId, SuggestionType,
};
use attrib_vcs_adapter::git_notes::{
    AgentId, AuthorshipLog, GitNotes, HumanRecord, LineRange, Lookup, PromptRecord, RepoNotes,
    SessionRecord, Target, NOTES_REF,
};
use attrib_vcs_adapter::{Git, VcsKind};
use serde::Serialize;

use super::sign::{sign_claims, Fate, Signing};
use super::Progress;
use crate::checkpoint::payload::provider_of_model;
use crate::identity::DeviceIdentity;
use crate::Workspace;

/// The note printed when a repository has no git-ai notes.
pub const NO_NOTES: &str = "no git-ai notes in this repository";

/// How to import.
#[derive(Clone, Copy, Debug, Default)]
pub struct Options {
    /// Say what would be signed, and sign nothing.
    pub dry_run: bool,
}

/// A noted commit and the change it is.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Noted {
    /// The commit's full id.
    pub commit: String,
    /// Its patch id.
    pub patch: String,
}

/// A note that was not imported, and why.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The object the note is attached to.
    pub commit: String,
    /// Why it was not imported.
    pub reason: String,
}

/// What a git-ai import did (or, with `dry_run`, would do).
#[derive(Serialize, Debug, Default)]
pub struct Summary {
    /// Always `git-ai`.
    pub format: &'static str,
    /// Nothing was signed: the lists say what would have been.
    pub dry_run: bool,
    /// Notes read on `refs/notes/ai`.
    pub notes: usize,
    /// Commits attested now (new, or replacing an earlier import of yours).
    pub attested: Vec<Noted>,
    /// Commits whose earlier import already says exactly this.
    pub unchanged: Vec<Noted>,
    /// Commits you attested yourself: your attestation is kept.
    pub kept_own: Vec<Noted>,
    /// Commits a person attested themselves: nothing is signed over their word.
    pub kept_person: Vec<Noted>,
    /// Commits whose note names no AI lines (only known humans, or nothing).
    pub no_ai: Vec<Noted>,
    /// Older commits of a change a newer noted commit is (left behind by a rebase or a
    /// cherry-pick): the newer one's note speaks for the change.
    pub same_change: Vec<Noted>,
    /// Notes skipped: on a commit the repository no longer has, on another kind of object, on
    /// a shallow clone's boundary.
    pub skipped: Vec<Problem>,
    /// Notes that could not be read or attested.
    pub bad: Vec<Problem>,
    /// The repository is a shallow clone.
    pub shallow: bool,
    /// A note about the whole import ([`NO_NOTES`]), if any.
    pub note: Option<String>,
}

impl Summary {
    /// The summary as one line.
    pub fn line(&self) -> String {
        if let Some(note) = &self.note {
            return note.clone();
        }
        let (prefix, verb) = if self.dry_run {
            ("dry run: ", "would attest")
        } else {
            ("", "attested")
        };
        let mut s = format!(
            "{prefix}read {} git-ai note(s): {verb} {} commit(s) as imported claims, {} unchanged",
            self.notes,
            self.attested.len(),
            self.unchanged.len()
        );
        let mut add = |n: usize, what: &str| {
            if n > 0 {
                let _ = write!(s, ", {what}", what = what.replace('#', &n.to_string()));
            }
        };
        add(self.kept_own.len(), "kept your own attestation of #");
        add(self.kept_person.len(), "kept # attested by a person");
        add(self.no_ai.len(), "skipped # without AI lines");
        add(
            self.same_change.len(),
            "skipped # older commit(s) of the same change",
        );
        add(self.skipped.len(), "skipped # (see below)");
        add(self.bad.len(), "# unreadable (see below)");
        s
    }
}

/// Every session, prompt and human described by any note, for keys a note does not describe
/// itself (git-ai leaves those after a cherry-pick).
#[derive(Default)]
struct Described<'a> {
    sessions: HashMap<&'a str, &'a SessionRecord>,
    prompts: HashMap<&'a str, &'a PromptRecord>,
    humans: HashMap<&'a str, &'a HumanRecord>,
}

impl<'a> Described<'a> {
    fn of(notes: &'a RepoNotes) -> Described<'a> {
        let mut d = Described::default();
        for log in notes.notes.iter().filter_map(|n| n.log.as_ref().ok()) {
            for (k, v) in &log.sessions {
                d.sessions.entry(k).or_insert(v);
            }
            for (k, v) in &log.prompts {
                d.prompts.entry(k).or_insert(v);
            }
            for (k, v) in &log.humans {
                d.humans.entry(k).or_insert(v);
            }
        }
        d
    }

    fn lookup(&self, key: &attrib_vcs_adapter::git_notes::AttestationKey) -> Lookup<'a> {
        use attrib_vcs_adapter::git_notes::AttestationKey as K;
        let found = match key {
            K::Session { session, .. } => self
                .sessions
                .get(session.as_str())
                .map(|s| Lookup::Session(s)),
            K::Human(h) => self.humans.get(h.as_str()).map(|h| Lookup::Human(h)),
            K::Prompt(p) => self.prompts.get(p.as_str()).map(|p| Lookup::Prompt(p)),
        };
        found.unwrap_or(Lookup::Missing)
    }
}

/// attrib's name for git-ai's agent tool.
fn agent_name(tool: &str) -> String {
    let tool = tool.trim().to_ascii_lowercase();
    match tool.as_str() {
        "" => "unknown".to_string(),
        "claude" | "claude_code" => "claude-code".to_string(),
        "gemini" => "gemini-cli".to_string(),
        _ => tool,
    }
}

/// The provider and model a session names: `provider/model` split, else the provider inferred
/// from the model's name, else from the tool (Claude Code, Codex and Gemini CLI each run one
/// vendor's models).
fn provider_and_model(agent: &AgentId) -> (String, String) {
    let model = agent.model.trim();
    if let Some((p, m)) = model.split_once('/') {
        if !p.trim().is_empty() && !m.trim().is_empty() {
            return (p.trim().to_ascii_lowercase(), m.trim().to_string());
        }
    }
    let model = if model.is_empty() { "unknown" } else { model };
    let mut provider = provider_of_model(model);
    if provider == "unknown" {
        provider = match agent.tool.trim().to_ascii_lowercase().as_str() {
            "claude" | "claude_code" | "claude-code" => "anthropic",
            "codex" => "openai",
            "gemini" | "gemini-cli" => "google",
            _ => "unknown",
        };
    }
    (provider.to_string(), model.to_string())
}

/// Ranges per file, in the order the files first appear, each file's sorted and merged where
/// they overlap or touch.
fn spans(lines: &[(String, LineRange)]) -> Vec<LineSpan> {
    let mut files: Vec<(&str, Vec<LineRange>)> = Vec::new();
    for (file, range) in lines {
        match files.iter_mut().find(|(f, _)| f == file) {
            Some((_, ranges)) => ranges.push(*range),
            None => files.push((file, vec![*range])),
        }
    }
    let mut out = Vec::new();
    for (file, mut ranges) in files {
        ranges.sort();
        let mut merged: Vec<LineRange> = Vec::new();
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end.saturating_add(1) => {
                    last.end = last.end.max(r.end)
                }
                _ => merged.push(r),
            }
        }
        out.extend(merged.into_iter().map(|r| LineSpan {
            file: file.to_string(),
            start: r.start,
            end: r.end,
        }));
    }
    out
}

fn clip_text(mut s: String, max: usize) -> String {
    if s.len() > max {
        let mut cut = max.saturating_sub(3);
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

/// One AI session's lines, while a note is read.
struct Session<'a> {
    agent: &'a AgentId,
    lines: Vec<(String, LineRange)>,
}

/// The attestation a note amounts to: `Ok(None)` when it names no AI lines, `Err` (the reason)
/// when it cannot be attested.
fn attestation_of(
    patch: &PatchId,
    commit: &str,
    log: &AuthorshipLog,
    described: &Described<'_>,
    added: Option<u64>,
) -> Result<Option<Attestation>, String> {
    let mut sessions: Vec<Session<'_>> = Vec::new();
    let mut directors: BTreeSet<&str> = BTreeSet::new();
    let mut attributes: BTreeMap<&str, &str> = BTreeMap::new();
    let mut humans: BTreeSet<&str> = BTreeSet::new();
    let (mut human_lines, mut unknown_lines) = (0u64, 0u64);
    let (mut accepted, mut overridden, mut prompts) = (0u64, 0u64, 0usize);
    for authored in log.by_author() {
        let n: u64 = authored.lines.iter().map(|(_, r)| r.len()).sum();
        let lookup = match authored.lookup {
            Lookup::Missing => described.lookup(authored.key),
            found => found,
        };
        let (agent, director, attrs) = match lookup {
            Lookup::Missing => {
                unknown_lines += n;
                continue;
            }
            Lookup::Human(h) => {
                human_lines += n;
                if !h.author.trim().is_empty() {
                    humans.insert(h.author.trim());
                }
                continue;
            }
            Lookup::Session(s) => (&s.agent_id, &s.human_author, &s.custom_attributes),
            Lookup::Prompt(p) => {
                prompts += 1;
                accepted += u64::from(p.accepted_lines);
                overridden += u64::from(p.overriden_lines);
                (&p.agent_id, &p.human_author, &p.custom_attributes)
            }
        };
        if let Some(d) = director.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            directors.insert(d);
        }
        for (k, v) in attrs.iter().flatten() {
            attributes.entry(k).or_insert(v);
        }
        let lines = authored.lines.iter().map(|(f, r)| (f.to_string(), *r));
        // One contribution per session: a session's legacy prompt and its newer entries (the
        // same tool, conversation and model) are one.
        match sessions.iter_mut().find(|s| s.agent == agent) {
            Some(s) => s.lines.extend(lines),
            None => sessions.push(Session {
                agent,
                lines: lines.collect(),
            }),
        }
    }
    if sessions.is_empty() {
        return Ok(None);
    }
    let contributions: Vec<Contribution> = sessions
        .iter()
        .map(|s| {
            let (provider, model) = provider_and_model(s.agent);
            let session = s.agent.id.trim();
            Contribution {
                provider,
                model,
                agent: agent_name(&s.agent.tool),
                session: (!session.is_empty()).then(|| session.to_string()),
                suggestion_type: SuggestionType::Complete,
                prompt_commitment: None,
                line_spans: spans(&s.lines),
            }
        })
        .collect();
    let span_count: usize = contributions.iter().map(|c| c.line_spans.len()).sum();
    if span_count > MAX_LIST {
        return Err(format!(
            "the note names {span_count} line spans; attrib keeps at most {MAX_LIST} per change"
        ));
    }
    let ai_lines: u64 = contributions
        .iter()
        .map(|c| span_lines(&c.line_spans))
        .sum();
    let mut main = &contributions[0];
    for c in &contributions[1..] {
        if span_lines(&c.line_spans) > span_lines(&main.line_spans) {
            main = c;
        }
    }
    let partial = human_lines > 0 || unknown_lines > 0 || added.is_some_and(|a| a > ai_lines);
    let kind = if partial {
        SuggestionType::Partial
    } else {
        SuggestionType::Complete
    };

    let mut description =
        format!("imported claim (unsigned source): git-ai note on commit {commit}");
    if let Some(v) = log
        .git_ai_version
        .as_deref()
        .filter(|v| !v.trim().is_empty())
    {
        let _ = write!(description, " (git-ai {})", v.trim());
    }
    if !directors.is_empty() {
        let d: Vec<&str> = directors.into_iter().collect();
        let _ = write!(description, "; directed by {}", d.join(", "));
    }
    if human_lines > 0 {
        let _ = write!(description, "; {human_lines} line(s) by known humans");
        if !humans.is_empty() {
            let h: Vec<&str> = humans.into_iter().collect();
            let _ = write!(description, " ({})", h.join(", "));
        }
    }
    if unknown_lines > 0 {
        let _ = write!(
            description,
            "; {unknown_lines} line(s) by sessions no note describes"
        );
    }
    if prompts > 0 {
        let _ = write!(
            description,
            "; prompts' counts: {accepted} line(s) accepted, {overridden} overridden"
        );
    }
    if !attributes.is_empty() {
        let a: Vec<String> = attributes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(description, "; attributes {}", a.join(", "));
    }
    Ok(Some(Attestation {
        patch: patch.clone(),
        ai: Some(AiAssistance::new(
            main.provider.clone(),
            main.model.clone(),
            kind,
        )),
        description: Some(clip_text(description, MAX_TEXT)),
        depends_on: Vec::new(),
        conflicts_with: Vec::new(),
        replaces: None,
        line_spans: Vec::new(),
        contributions,
    }))
}

/// A note that may be attested: on a commit the clone has whole.
struct Candidate<'a> {
    commit: &'a str,
    time: i64,
    log: &'a AuthorshipLog,
}

/// Imports the git-ai notes of the workspace's git repository as this device's imported
/// claims, all in one transaction (see the module documentation).
pub fn import(
    ws: &Workspace,
    me: &DeviceIdentity,
    options: Options,
    progress: &dyn Progress,
) -> Result<Summary> {
    let mut summary = Summary {
        format: "git-ai",
        dry_run: options.dry_run,
        ..Summary::default()
    };
    let repo = ws.repository()?;
    if repo.kind != VcsKind::Git {
        bail!(
            "git-ai keeps its notes in git repositories; {} is a {} repository",
            repo.root.display(),
            repo.kind.name()
        );
    }
    let vcs = ws.vcs(&repo)?;
    progress.set_message("reading git-ai notes");
    let notes = GitNotes::new(vcs.binary_os(), &repo.root)
        .read()
        .with_context(|| format!("cannot read the git-ai notes ({NOTES_REF})"))?;
    summary.notes = notes.notes.len();
    summary.shallow = notes.shallow;
    if notes.notes.is_empty() {
        summary.note = Some(NO_NOTES.to_string());
        return Ok(summary);
    }

    // Which notes may be attested.
    let mut candidates: Vec<Candidate<'_>> = Vec::new();
    for n in &notes.notes {
        let problem = |reason: String| Problem {
            commit: n.commit.clone(),
            reason,
        };
        let time = match &n.target {
            Target::Missing => {
                summary.skipped.push(problem(
                    "the commit is no longer in the repository (rewritten and pruned)".into(),
                ));
                continue;
            }
            Target::NotACommit(kind) => {
                summary
                    .skipped
                    .push(problem(format!("the note is on a {kind}, not a commit")));
                continue;
            }
            Target::Commit { committer_time } => *committer_time,
        };
        if notes.shallow_boundary.contains(&n.commit) {
            summary.skipped.push(problem(
                "the commit is at the shallow clone's boundary: its parent is not here, so its change cannot be named (`git fetch --unshallow` brings it)".into(),
            ));
            continue;
        }
        match &n.log {
            Ok(log) => candidates.push(Candidate {
                commit: &n.commit,
                time,
                log,
            }),
            Err(e) => summary.bad.push(problem(format!("corrupt note: {e}"))),
        }
    }

    // The commits' patch ids in one batch, and what each added in one more process.
    let commits: Vec<String> = candidates.iter().map(|c| c.commit.to_string()).collect();
    let git = Git::new(&repo.root)
        .with_cache_dir(repo.attrib_dir())
        .with_binary(vcs.binary_os());
    progress.set_message("naming the noted commits");
    let patches = git
        .patch_ids(&commits)
        .context("cannot name the noted commits by their patch ids")?;
    let added = GitNotes::new(vcs.binary_os(), &repo.root)
        .added_line_counts(&commits)
        .context("cannot count the lines the noted commits added")?;

    // One note per change: the newest commit's (a rebase or a cherry-pick leaves the older
    // commit and its note behind).
    let mut by_patch: BTreeMap<PatchId, Vec<&Candidate<'_>>> = BTreeMap::new();
    for c in &candidates {
        let patch = patches
            .get(c.commit)
            .ok_or_else(|| anyhow!("the git driver named no patch for commit {}", c.commit))?;
        by_patch.entry(patch.clone()).or_default().push(c);
    }
    let described = Described::of(&notes);
    let mut planned: Vec<(Noted, Attestation)> = Vec::new();
    for (patch, mut group) in by_patch {
        group.sort_by(|a, b| b.time.cmp(&a.time).then(a.commit.cmp(b.commit)));
        let noted = |c: &Candidate<'_>| Noted {
            commit: c.commit.to_string(),
            patch: patch.as_str().to_string(),
        };
        let (newest, older) = group.split_first().ok_or_else(|| anyhow!("empty group"))?;
        summary.same_change.extend(older.iter().map(|c| noted(c)));
        match attestation_of(
            &patch,
            newest.commit,
            newest.log,
            &described,
            added.get(newest.commit).copied(),
        ) {
            Ok(Some(a)) => planned.push((noted(newest), a)),
            Ok(None) => summary.no_ai.push(noted(newest)),
            Err(reason) => summary.bad.push(Problem {
                commit: newest.commit.to_string(),
                reason,
            }),
        }
    }

    // Sign what is new.
    let how = Signing {
        dry_run: options.dry_run,
        keep_person: true,
        message: "storing imported claims",
    };
    sign_claims(ws, me, planned, how, progress, |noted, fate| {
        match fate {
            Fate::Attested => summary.attested.push(noted),
            Fate::Unchanged => summary.unchanged.push(noted),
            Fate::KeptOwn => summary.kept_own.push(noted),
            Fate::KeptPerson => summary.kept_person.push(noted),
            Fate::Invalid(e) => summary.bad.push(Problem {
                commit: noted.commit,
                reason: format!("cannot be attested: {e}"),
            }),
        }
        Ok(())
    })?;
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;
    use attrib_overlay::{Origin, Payload, Record};
    use attrib_vcs_adapter::git_notes::parse;

    const NOTE: &str = r#"src/main.rs
  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15-20
  s_c9883b05a2487d::t_a1b2c3d4e5f678 21,30-35
  h_31dce776f88375 42-50
src/lib.rs
  s_e7f2a90b31cc48::t_deadbeef012345 1-50
  abcd1234abcd1234 60-61
  0000000000000000 70
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.4.5",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {
    "abcd1234abcd1234": {
      "agent_id": {"tool": "cursor", "id": "old", "model": "gpt-4"},
      "human_author": "Developer <dev@example.com>",
      "total_additions": 2, "total_deletions": 0, "accepted_lines": 2, "overriden_lines": 1
    }
  },
  "humans": {"h_31dce776f88375": {"author": "Developer <dev@example.com>"}},
  "sessions": {
    "s_c9883b05a2487d": {
      "agent_id": {"tool": "cursor", "id": "6ef2", "model": "claude-sonnet-4-5-20250514"},
      "human_author": "dev@example.com"
    },
    "s_e7f2a90b31cc48": {
      "agent_id": {"tool": "claude", "id": "conv_abc", "model": "claude-opus-4-1"},
      "human_author": "dev@example.com",
      "custom_attributes": {"team": "backend"}
    }
  }
}"#;

    fn span(file: &str, start: u32, end: u32) -> LineSpan {
        LineSpan {
            file: file.into(),
            start,
            end,
        }
    }

    #[test]
    fn one_contribution_per_session_with_merged_spans() {
        let log = parse(NOTE).unwrap();
        let patch = PatchId::new("p1").unwrap();
        let d = Described::default();
        let a = attestation_of(&patch, "c0ffee", &log, &d, Some(80))
            .unwrap()
            .unwrap();
        type Row<'a> = (&'a str, &'a str, &'a str, Option<&'a str>, &'a [LineSpan]);
        let got: Vec<Row<'_>> = a
            .contributions
            .iter()
            .map(|c| {
                (
                    c.provider.as_str(),
                    c.model.as_str(),
                    c.agent.as_str(),
                    c.session.as_deref(),
                    c.line_spans.as_slice(),
                )
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (
                    "anthropic",
                    "claude-sonnet-4-5-20250514",
                    "cursor",
                    Some("6ef2"),
                    &[
                        span("src/main.rs", 1, 10),
                        span("src/main.rs", 15, 21),
                        span("src/main.rs", 30, 35)
                    ][..]
                ),
                (
                    "anthropic",
                    "claude-opus-4-1",
                    "claude-code",
                    Some("conv_abc"),
                    &[span("src/lib.rs", 1, 50)][..]
                ),
                (
                    "openai",
                    "gpt-4",
                    "cursor",
                    Some("old"),
                    &[span("src/lib.rs", 60, 61)][..]
                ),
            ]
        );
        // The session with the most lines names the AI help; human and unknown lines make it
        // partial.
        let ai = a.ai.as_ref().unwrap();
        assert_eq!(
            (ai.model.as_str(), ai.suggestion_type),
            ("claude-opus-4-1", SuggestionType::Partial)
        );
        assert_eq!(
            a.description.as_deref(),
            Some("imported claim (unsigned source): git-ai note on commit c0ffee (git-ai 1.4.5); directed by Developer <dev@example.com>, dev@example.com; 9 line(s) by known humans (Developer <dev@example.com>); 1 line(s) by sessions no note describes; prompts' counts: 2 line(s) accepted, 1 overridden; attributes team=backend")
        );
        let record = Record {
            seq: 1,
            timestamp_ms: 1,
            origin: Origin::Imported,
            payload: Payload::Attest(a),
        };
        record.validate().unwrap();
    }

    #[test]
    fn keys_described_elsewhere_and_whole_ai_commits() {
        // Only the session key, described in another note: complete when it wrote all the
        // commit added.
        let text = "a.rs\n  s_x::t_1 1-3\n  s_x::t_2 4\n---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"\",\"prompts\":{}}";
        let log = parse(text).unwrap();
        let other = parse(NOTE.replace("s_e7f2a90b31cc48", "s_x").as_str()).unwrap();
        let mut d = Described::default();
        for (k, v) in &other.sessions {
            d.sessions.insert(k, v);
        }
        let patch = PatchId::new("p2").unwrap();
        let a = attestation_of(&patch, "c", &log, &d, Some(4))
            .unwrap()
            .unwrap();
        assert_eq!(a.contributions.len(), 1);
        assert_eq!(a.contributions[0].line_spans, vec![span("a.rs", 1, 4)]);
        assert_eq!(a.contributions[0].agent, "claude-code");
        assert_eq!(
            a.ai.as_ref().unwrap().suggestion_type,
            SuggestionType::Complete
        );
        // More added than the session wrote: partial.
        let a = attestation_of(&patch, "c", &log, &d, Some(5))
            .unwrap()
            .unwrap();
        assert_eq!(a.ai.unwrap().suggestion_type, SuggestionType::Partial);
        // Not described anywhere, or only humans: nothing to claim.
        assert_eq!(
            attestation_of(&patch, "c", &log, &Described::default(), None),
            Ok(None)
        );
    }

    #[test]
    fn providers_and_agents() {
        let id = |tool: &str, model: &str| AgentId {
            tool: tool.into(),
            id: String::new(),
            model: model.into(),
        };
        assert_eq!(
            provider_and_model(&id("codex", "gpt-5-codex")),
            ("openai".into(), "gpt-5-codex".into())
        );
        assert_eq!(
            provider_and_model(&id("claude", "")),
            ("anthropic".into(), "unknown".into())
        );
        assert_eq!(
            provider_and_model(&id("gemini", "gemini-2.5-pro")),
            ("google".into(), "gemini-2.5-pro".into())
        );
        assert_eq!(
            provider_and_model(&id("opencode", "xai/grok-4")),
            ("xai".into(), "grok-4".into())
        );
        assert_eq!(
            provider_and_model(&id("cursor", "default")),
            ("unknown".into(), "default".into())
        );
        assert_eq!(agent_name("claude"), "claude-code");
        assert_eq!(agent_name("gemini"), "gemini-cli");
        assert_eq!(agent_name(" Cursor "), "cursor");
        assert_eq!(agent_name(""), "unknown");
    }
}
