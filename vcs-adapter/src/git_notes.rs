//! git-ai's authorship notes: the unsigned per-commit logs the git-ai tool keeps on
//! `refs/notes/ai` (schema `authorship/3.0.0`), parsed into typed values, and every note of a
//! repository read in a fixed number of `git` processes.
//!
//! A note has two sections split by a line that is exactly `---`:
//!
//! ```text
//! src/main.rs
//!   s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15-20
//!   h_31dce776f88375 35-40
//! "src/my file.rs"
//!   abcd1234abcd1234 5
//! ---
//! {"schema_version": "authorship/3.0.0", "base_commit_sha": "…", "prompts": {…},
//!  "sessions": {…}, "humans": {…}}
//! ```
//!
//! Above the divider, per file (a path at the start of a line, in double quotes when it holds
//! whitespace), one line per author indented by exactly two spaces: an attestation key and the
//! lines, 1-based and inclusive, in the file as the commit recorded it (`1,2,19-222`). The key
//! says where its author is described in the JSON below: `s_SESSION::t_TRACE` in `sessions`
//! (one AI agent session; a trace per checkpoint), `h_HASH` in `humans` (a person an IDE
//! extension saw typing), anything else in `prompts` (a legacy AI session, with line counts).
//! Lines no key names are of unknown origin.
//!
//! [`parse`] reads one note and fails with a [`NoteError`] (never a panic) on anything that is
//! not such a note, or on another schema version. [`GitNotes::read`] reads all of a
//! repository's notes with `git notes --ref=ai list`, one `git cat-file --batch` and one
//! `git rev-parse`; [`GitNotes::added_line_counts`] counts what commits added with one
//! `git log`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use serde::Deserialize;
use serde_json::Value;

use crate::error::VcsError;
use crate::pijul::first_line;

/// The notes ref git-ai writes its authorship logs to.
pub const NOTES_REF: &str = "refs/notes/ai";

/// The one schema version this module reads (`schema_version` in the metadata).
pub const SCHEMA_VERSION: &str = "authorship/3.0.0";

/// The line between the attestation section and the JSON metadata.
const DIVIDER: &str = "---";

/// Why a note could not be read. Every message says what was wrong and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The note is not UTF-8 text.
    #[error("the note is not UTF-8 text")]
    NotUtf8,
    /// No line is exactly `---`.
    #[error("the note has no `---` line between its attestations and its metadata")]
    NoDivider,
    /// A line of the attestation section is neither a file path nor an entry.
    #[error("line {line}: {reason}: {text:?}")]
    BadLine {
        /// The line's number in the note, from 1.
        line: usize,
        /// What is wrong with it.
        reason: String,
        /// The line, clipped.
        text: String,
    },
    /// The metadata is not the JSON object the schema describes.
    #[error("the metadata is not valid: {0}")]
    BadMetadata(String),
    /// The metadata names another schema version.
    #[error("schema version {found:?} is not supported (attrib reads {SCHEMA_VERSION:?})")]
    UnknownVersion {
        /// The version the note names.
        found: String,
    },
    /// The note's blob could not be read from the repository.
    #[error("the note's blob {blob} is missing from the repository")]
    MissingBlob {
        /// The blob's id.
        blob: String,
    },
}

/// A range of lines, 1-based and inclusive (`start == end` for a single line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LineRange {
    /// First line, from 1.
    pub start: u32,
    /// Last line, inclusive; never less than `start`.
    pub end: u32,
}

impl LineRange {
    /// How many lines the range holds.
    pub fn len(&self) -> u64 {
        u64::from(self.end - self.start) + 1
    }

    /// Never true: a range holds at least one line (here for clippy's `len_without_is_empty`).
    pub fn is_empty(&self) -> bool {
        false
    }
}

/// Whose lines an entry names: the prefix of its attestation key routes it to a metadata map.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AttestationKey {
    /// `s_SESSION::t_TRACE`: an AI agent session (`sessions[SESSION]`), one checkpoint of it.
    Session {
        /// The session id, `s_…` (the key before `::`).
        session: String,
        /// The trace id, `t_…` (after `::`), when the key has one.
        trace: Option<String>,
    },
    /// `h_HASH`: a known human author (`humans[h_HASH]`).
    Human(String),
    /// A bare hash: a legacy AI session (`prompts[HASH]`).
    Prompt(String),
}

impl AttestationKey {
    /// Routes a key by its prefix.
    pub fn parse(key: &str) -> AttestationKey {
        if key.starts_with("s_") {
            let (session, trace) = match key.split_once("::") {
                Some((s, t)) => (s, Some(t.to_string())),
                None => (key, None),
            };
            AttestationKey::Session {
                session: session.to_string(),
                trace,
            }
        } else if key.starts_with("h_") {
            AttestationKey::Human(key.to_string())
        } else {
            AttestationKey::Prompt(key.to_string())
        }
    }

    /// The key of the metadata entry it names: the session id, the human hash, the prompt hash.
    pub fn id(&self) -> &str {
        match self {
            AttestationKey::Session { session, .. } => session,
            AttestationKey::Human(h) | AttestationKey::Prompt(h) => h,
        }
    }
}

/// One entry line: an author's lines in one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Whose lines.
    pub key: AttestationKey,
    /// The lines, as the note lists them.
    pub ranges: Vec<LineRange>,
}

/// One file of the attestation section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAttestation {
    /// The path, relative to the repository, without the quotes the note may put around it.
    pub path: String,
    /// Its entries, in note order (a later entry wins a line two name).
    pub entries: Vec<Entry>,
}

/// The agent behind an AI session.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct AgentId {
    /// The agent tool (`cursor`, `claude`, `codex`, `gemini`, `copilot`, …).
    #[serde(default)]
    pub tool: String,
    /// The session (conversation) id in the tool's own terms.
    #[serde(default)]
    pub id: String,
    /// The model as the tool reported it.
    #[serde(default)]
    pub model: String,
}

/// A legacy AI session (`prompts`), with its line counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct PromptRecord {
    /// The agent.
    pub agent_id: AgentId,
    /// The person who prompted it, as git-ai recorded them (an email or `Name <email>`).
    #[serde(default)]
    pub human_author: Option<String>,
    /// Where the conversation's transcript is kept, if anywhere.
    #[serde(default)]
    pub messages_url: Option<String>,
    /// Lines the session added.
    #[serde(default)]
    pub total_additions: u32,
    /// Lines the session deleted.
    #[serde(default)]
    pub total_deletions: u32,
    /// Lines of the session's that the commit kept.
    #[serde(default)]
    pub accepted_lines: u32,
    /// Lines of the session's that a person changed afterwards (the schema's spelling).
    #[serde(default)]
    pub overriden_lines: u32,
    /// Key-value pairs from the user's git-ai configuration.
    #[serde(default)]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

/// An AI agent session (`sessions`): the agent and who directed it, no counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct SessionRecord {
    /// The agent.
    pub agent_id: AgentId,
    /// The person who directed the session.
    #[serde(default)]
    pub human_author: Option<String>,
    /// Key-value pairs from the user's git-ai configuration.
    #[serde(default)]
    pub custom_attributes: Option<BTreeMap<String, String>>,
}

/// A person an IDE extension saw typing (`humans`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
pub struct HumanRecord {
    /// Their git identity, `Name <email>`.
    #[serde(default)]
    pub author: String,
}

/// One authorship log: the note git-ai keeps for one commit.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuthorshipLog {
    /// The attestation section, per file in note order (files without entries left out).
    pub files: Vec<FileAttestation>,
    /// Always [`SCHEMA_VERSION`] (anything else is refused).
    pub schema_version: String,
    /// The git-ai version that wrote the note.
    pub git_ai_version: Option<String>,
    /// The commit the log was computed against (empty when the note does not say).
    pub base_commit_sha: String,
    /// Legacy AI sessions by hash.
    pub prompts: BTreeMap<String, PromptRecord>,
    /// Known humans by `h_` hash.
    pub humans: BTreeMap<String, HumanRecord>,
    /// AI sessions by `s_` id.
    pub sessions: BTreeMap<String, SessionRecord>,
}

/// What an attestation key names in a log's metadata.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup<'a> {
    /// An AI session.
    Session(&'a SessionRecord),
    /// A legacy AI session.
    Prompt(&'a PromptRecord),
    /// A known human.
    Human(&'a HumanRecord),
    /// Nothing in this log (git-ai leaves such a key when a cherry-pick brought lines whose
    /// author is described in another commit's note).
    Missing,
}

/// All the lines one author (session, prompt or human) has in a log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Authored<'a> {
    /// The first key naming the author (its trace is the first checkpoint's).
    pub key: &'a AttestationKey,
    /// Every trace id the author's entries carry, in note order.
    pub traces: Vec<&'a str>,
    /// `(file, range)` in note order.
    pub lines: Vec<(&'a str, LineRange)>,
    /// What the key names in this log.
    pub lookup: Lookup<'a>,
}

impl AuthorshipLog {
    /// What `key` names in this log's metadata.
    pub fn lookup(&self, key: &AttestationKey) -> Lookup<'_> {
        let found = match key {
            AttestationKey::Session { session, .. } => {
                self.sessions.get(session).map(Lookup::Session)
            }
            AttestationKey::Human(h) => self.humans.get(h).map(Lookup::Human),
            AttestationKey::Prompt(p) => self.prompts.get(p).map(Lookup::Prompt),
        };
        found.unwrap_or(Lookup::Missing)
    }

    /// The log per author: every session, prompt and human with all their lines, in the order
    /// the note first names them (a session's checkpoints together).
    pub fn by_author(&self) -> Vec<Authored<'_>> {
        let mut out: Vec<Authored<'_>> = Vec::new();
        let mut index: HashMap<(u8, &str), usize> = HashMap::new();
        for file in &self.files {
            for entry in &file.entries {
                let kind = match entry.key {
                    AttestationKey::Session { .. } => 0,
                    AttestationKey::Human(_) => 1,
                    AttestationKey::Prompt(_) => 2,
                };
                let i = *index.entry((kind, entry.key.id())).or_insert_with(|| {
                    out.push(Authored {
                        key: &entry.key,
                        traces: Vec::new(),
                        lines: Vec::new(),
                        lookup: self.lookup(&entry.key),
                    });
                    out.len() - 1
                });
                let a = &mut out[i];
                if let AttestationKey::Session { trace: Some(t), .. } = &entry.key {
                    if !a.traces.contains(&t.as_str()) {
                        a.traces.push(t);
                    }
                }
                a.lines
                    .extend(entry.ranges.iter().map(|r| (file.path.as_str(), *r)));
            }
        }
        out
    }
}

/// The metadata as the note spells it; absent and `null` maps are empty.
#[derive(Deserialize)]
struct RawMetadata {
    schema_version: String,
    #[serde(default)]
    git_ai_version: Option<String>,
    #[serde(default)]
    base_commit_sha: Option<String>,
    #[serde(default)]
    prompts: Option<BTreeMap<String, PromptRecord>>,
    #[serde(default)]
    humans: Option<BTreeMap<String, HumanRecord>>,
    #[serde(default)]
    sessions: Option<BTreeMap<String, SessionRecord>>,
}

fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut cut = MAX;
    while !s.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}…", &s[..cut])
}

/// Parses one note's bytes (see [`parse`]).
pub fn parse_bytes(bytes: &[u8]) -> Result<AuthorshipLog, NoteError> {
    parse(std::str::from_utf8(bytes).map_err(|_| NoteError::NotUtf8)?)
}

/// Parses one authorship log, refusing anything but schema [`SCHEMA_VERSION`].
pub fn parse(text: &str) -> Result<AuthorshipLog, NoteError> {
    let lines: Vec<&str> = text.lines().collect();
    let divider = lines
        .iter()
        .position(|l| *l == DIVIDER)
        .ok_or(NoteError::NoDivider)?;
    let json = lines[divider + 1..].join("\n");
    let value: Value = serde_json::from_str(&json).map_err(|e| {
        NoteError::BadMetadata(if json.trim().is_empty() {
            "there is nothing after the `---` line".to_string()
        } else {
            e.to_string()
        })
    })?;
    let Some(object) = value.as_object() else {
        return Err(NoteError::BadMetadata(
            "it is not a JSON object".to_string(),
        ));
    };
    match object.get("schema_version") {
        Some(Value::String(v)) if v == SCHEMA_VERSION => {}
        Some(Value::String(v)) => return Err(NoteError::UnknownVersion { found: clip(v) }),
        Some(_) => {
            return Err(NoteError::BadMetadata(
                "`schema_version` is not a string".to_string(),
            ))
        }
        None => {
            return Err(NoteError::BadMetadata(
                "it has no `schema_version`".to_string(),
            ))
        }
    }
    let meta: RawMetadata =
        serde_json::from_value(value).map_err(|e| NoteError::BadMetadata(e.to_string()))?;
    Ok(AuthorshipLog {
        files: parse_attestations(&lines[..divider])?,
        schema_version: meta.schema_version,
        git_ai_version: meta.git_ai_version,
        base_commit_sha: meta.base_commit_sha.unwrap_or_default(),
        prompts: meta.prompts.unwrap_or_default(),
        humans: meta.humans.unwrap_or_default(),
        sessions: meta.sessions.unwrap_or_default(),
    })
}

fn parse_attestations(lines: &[&str]) -> Result<Vec<FileAttestation>, NoteError> {
    let mut files: Vec<FileAttestation> = Vec::new();
    let mut current: Option<FileAttestation> = None;
    for (i, raw) in lines.iter().enumerate() {
        let n = i + 1;
        let line = raw.trim_end();
        if line.is_empty() {
            continue;
        }
        let bad = |reason: &str| NoteError::BadLine {
            line: n,
            reason: reason.to_string(),
            text: clip(line),
        };
        if let Some(entry) = line.strip_prefix("  ") {
            let (key, ranges) = entry
                .split_once(' ')
                .ok_or_else(|| bad("an entry is a key, a space and line ranges"))?;
            if key.is_empty() {
                return Err(bad("an entry is indented by exactly two spaces"));
            }
            let ranges = parse_ranges(ranges).map_err(|why| bad(&why))?;
            let file = current
                .as_mut()
                .ok_or_else(|| bad("an entry comes before any file path"))?;
            file.entries.push(Entry {
                key: AttestationKey::parse(key),
                ranges,
            });
        } else if line.starts_with(char::is_whitespace) {
            return Err(bad(
                "a file path starts the line and an entry is indented by two spaces",
            ));
        } else {
            if let Some(done) = current.take().filter(|f| !f.entries.is_empty()) {
                files.push(done);
            }
            let path = match line.strip_prefix('"').and_then(|l| l.strip_suffix('"')) {
                Some(quoted) => quoted,
                None => line,
            };
            if path.is_empty() {
                return Err(bad("a file path is empty"));
            }
            current = Some(FileAttestation {
                path: path.to_string(),
                entries: Vec::new(),
            });
        }
    }
    if let Some(done) = current.filter(|f| !f.entries.is_empty()) {
        files.push(done);
    }
    Ok(files)
}

/// `1,2,19-222` → ranges; lines count from 1 and a range never runs backwards.
fn parse_ranges(text: &str) -> Result<Vec<LineRange>, String> {
    let number = |s: &str| -> Result<u32, String> {
        let n: u32 = s
            .parse()
            .map_err(|_| format!("{:?} is not a line number", clip(s)))?;
        if n == 0 {
            return Err("line numbers count from 1".to_string());
        }
        Ok(n)
    };
    let mut out = Vec::new();
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let range = match part.split_once('-') {
            Some((a, b)) => {
                let (start, end) = (number(a)?, number(b)?);
                if end < start {
                    return Err(format!("the range {part} runs backwards"));
                }
                LineRange { start, end }
            }
            None => {
                let line = number(part)?;
                LineRange {
                    start: line,
                    end: line,
                }
            }
        };
        out.push(range);
    }
    if out.is_empty() {
        return Err("an entry names no lines".to_string());
    }
    Ok(out)
}

/// What a note is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// A commit of the repository, with its committer time (seconds since the epoch).
    Commit {
        /// The committer time, for choosing between commits of the same change.
        committer_time: i64,
    },
    /// An object the repository no longer has (a commit rewritten and pruned).
    Missing,
    /// Another kind of object (`blob`, `tree`, `tag`).
    NotACommit(String),
}

/// One note of the repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoNote {
    /// The object the note is attached to (a commit's full id).
    pub commit: String,
    /// The note's blob.
    pub blob: String,
    /// What `commit` is in the repository.
    pub target: Target,
    /// The note, parsed.
    pub log: Result<AuthorshipLog, NoteError>,
}

/// Every git-ai note of a repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoNotes {
    /// The notes, in `git notes list` order (by annotated object).
    pub notes: Vec<RepoNote>,
    /// The repository is a shallow clone.
    pub shallow: bool,
    /// The commits at the shallow clone's boundary (their parents are not in the clone, so
    /// their diffs, and so their patch ids, cannot be told).
    pub shallow_boundary: BTreeSet<String>,
}

/// Runs `git` in one repository: the reader of its notes.
#[derive(Clone, Debug)]
pub struct GitNotes {
    bin: OsString,
    repo: PathBuf,
    env: Vec<(OsString, OsString)>,
}

impl GitNotes {
    /// A reader running the `git` binary `bin` (a name on PATH or a path) in `repo`.
    pub fn new(bin: impl Into<OsString>, repo: impl Into<PathBuf>) -> GitNotes {
        GitNotes {
            bin: bin.into(),
            repo: repo.into(),
            env: Vec::new(),
        }
    }

    /// The same reader, setting the environment variable `key` for every `git` it runs.
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> GitNotes {
        self.env.push((key.into(), value.into()));
        self
    }

    fn command(&self, args: &[&str]) -> (Command, String) {
        let mut cmd = Command::new(&self.bin);
        cmd.arg("-C")
            .arg(&self.repo)
            .args(args)
            .env("GIT_PAGER", "cat")
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("GIT_OPTIONAL_LOCKS", "0")
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let shown = format!("{} {}", self.bin.to_string_lossy(), args.join(" "));
        (cmd, shown)
    }

    fn shown(&self, args: &[&str]) -> String {
        format!("{} {}", self.bin.to_string_lossy(), args.join(" "))
    }

    fn spawn_error(&self, cause: std::io::Error) -> VcsError {
        VcsError::Spawn {
            bin: self.bin.to_string_lossy().into_owned(),
            cause,
        }
    }

    fn run(&self, args: &[&str]) -> Result<Vec<u8>, VcsError> {
        let (mut cmd, shown) = self.command(args);
        let out = cmd.output().map_err(|e| self.spawn_error(e))?;
        check(&shown, out)
    }

    /// Runs git with `input` on its standard input (written from a thread, so a large answer
    /// cannot deadlock against a large question).
    fn run_with_input(&self, args: &[&str], input: Vec<u8>) -> Result<Vec<u8>, VcsError> {
        let (mut cmd, shown) = self.command(args);
        let mut child = cmd
            .stdin(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let writer = child.stdin.take().map(|mut stdin| {
            std::thread::spawn(move || {
                // A git that exits early closes the pipe; its exit status tells why.
                let _ = stdin.write_all(&input);
            })
        });
        let out = child.wait_with_output().map_err(|e| self.spawn_error(e))?;
        if let Some(w) = writer {
            let _ = w.join();
        }
        check(&shown, out)
    }
}

fn check(shown: &str, out: Output) -> Result<Vec<u8>, VcsError> {
    if out.status.success() {
        return Ok(out.stdout);
    }
    let line = first_line(&String::from_utf8_lossy(&out.stderr));
    Err(VcsError::Failed {
        cmd: shown.to_string(),
        status: match out.status.code() {
            Some(c) => format!("exit {c}"),
            None => "killed by a signal".to_string(),
        },
        stderr: if line.is_empty() {
            "no error message".to_string()
        } else {
            line
        },
    })
}

fn text(cmd: &str, bytes: Vec<u8>) -> Result<String, VcsError> {
    String::from_utf8(bytes).map_err(|_| VcsError::Parse {
        cmd: cmd.to_string(),
        reason: "output is not UTF-8".to_string(),
    })
}

fn is_object_id(s: &str) -> bool {
    (s.len() == 40 || s.len() == 64) && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One object of `git cat-file --batch`'s answer.
enum Object<'a> {
    Found { kind: &'a str, body: &'a [u8] },
    Missing,
}

/// Splits `git cat-file --batch`'s answer into one object per id asked, in order.
fn batch_objects<'a>(
    cmd: &str,
    mut out: &'a [u8],
    asked: &[&str],
) -> Result<Vec<Object<'a>>, VcsError> {
    let bad = |reason: String| VcsError::Parse {
        cmd: cmd.to_string(),
        reason,
    };
    let mut objects = Vec::with_capacity(asked.len());
    for id in asked {
        let nl = out
            .iter()
            .position(|b| *b == b'\n')
            .ok_or_else(|| bad(format!("the answer ends before object {id}")))?;
        let header = std::str::from_utf8(&out[..nl])
            .map_err(|_| bad("a header is not UTF-8".to_string()))?;
        out = &out[nl + 1..];
        let fields: Vec<&str> = header.split(' ').collect();
        match fields.as_slice() {
            [oid, "missing" | "ambiguous"] if oid == id => objects.push(Object::Missing),
            [oid, kind, size] if oid == id => {
                let size: usize = size
                    .parse()
                    .map_err(|_| bad(format!("bad object size in {header:?}")))?;
                if size >= out.len() || out[size] != b'\n' {
                    return Err(bad(format!("object {id} is cut short")));
                }
                objects.push(Object::Found {
                    kind,
                    body: &out[..size],
                });
                out = &out[size + 1..];
            }
            _ => {
                return Err(bad(format!(
                    "unexpected header {:?} for {id}",
                    clip(header)
                )))
            }
        }
    }
    Ok(objects)
}

/// The committer time of a commit object (0 when it has none).
fn committer_time(body: &[u8]) -> i64 {
    let text = String::from_utf8_lossy(body);
    text.lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| l.strip_prefix("committer "))
        .and_then(|l| l.rsplit(' ').nth(1))
        .and_then(|t| t.parse().ok())
        .unwrap_or(0)
}

impl GitNotes {
    /// Reads every note on [`NOTES_REF`]: `git notes --ref=ai list` (note → object), then one `git cat-file --batch` for every note
    /// blob and annotated object, then one `git rev-parse` for the shallow state. A repository
    /// without the ref has no notes (and costs one process). A note that cannot be parsed is kept
    /// with its [`NoteError`]; only a failing `git` is an error.
    pub fn read(&self) -> Result<RepoNotes, VcsError> {
        let list_args = ["notes", "--ref=ai", "list"];
        let list_cmd = self.shown(&list_args);
        let listing = text(&list_cmd, self.run(&list_args)?)?;
        let mut pairs: Vec<(&str, &str)> = Vec::new();
        for line in listing.lines().filter(|l| !l.trim().is_empty()) {
            match line.split_once(' ') {
                Some((blob, object)) if is_object_id(blob) && is_object_id(object) => {
                    pairs.push((blob, object))
                }
                _ => {
                    return Err(VcsError::Parse {
                        cmd: list_cmd,
                        reason: format!("unexpected line {:?}", clip(line)),
                    })
                }
            }
        }
        if pairs.is_empty() {
            return Ok(RepoNotes::default());
        }

        // Every note blob, then every annotated object, in one process.
        let mut asked: Vec<&str> = pairs.iter().map(|(b, _)| *b).collect();
        asked.extend(pairs.iter().map(|(_, o)| *o));
        let mut input = Vec::with_capacity(asked.len() * 41);
        for id in &asked {
            input.extend_from_slice(id.as_bytes());
            input.push(b'\n');
        }
        let batch_args = ["cat-file", "--batch"];
        let batch_cmd = self.shown(&batch_args);
        let answer = self.run_with_input(&batch_args, input)?;
        let objects = batch_objects(&batch_cmd, &answer, &asked)?;
        let (blobs, targets) = objects.split_at(pairs.len());

        let notes = pairs
            .iter()
            .zip(blobs.iter().zip(targets))
            .map(|((blob, commit), (note, target))| RepoNote {
                commit: commit.to_string(),
                blob: blob.to_string(),
                target: match target {
                    Object::Found {
                        kind: "commit",
                        body,
                    } => Target::Commit {
                        committer_time: committer_time(body),
                    },
                    Object::Found { kind, .. } => Target::NotACommit(kind.to_string()),
                    Object::Missing => Target::Missing,
                },
                log: match note {
                    Object::Found { kind: "blob", body } => parse_bytes(body),
                    Object::Found { kind, .. } => Err(NoteError::BadMetadata(format!(
                        "the note is a {kind}, not a blob"
                    ))),
                    Object::Missing => Err(NoteError::MissingBlob {
                        blob: blob.to_string(),
                    }),
                },
            })
            .collect();

        let shallow_args = [
            "rev-parse",
            "--is-shallow-repository",
            "--git-path",
            "shallow",
        ];
        let shallow_cmd = self.shown(&shallow_args);
        let answer = text(&shallow_cmd, self.run(&shallow_args)?)?;
        let mut lines = answer.lines();
        let shallow = lines.next().map(str::trim) == Some("true");
        let mut shallow_boundary = BTreeSet::new();
        if let (true, Some(path)) = (shallow, lines.next()) {
            let path = self.repo.join(path.trim());
            let file = std::fs::read_to_string(&path).map_err(|cause| VcsError::Io {
                what: format!("read {}", path.display()),
                cause,
            })?;
            shallow_boundary.extend(
                file.lines()
                    .map(str::trim)
                    .filter(|l| is_object_id(l))
                    .map(str::to_string),
            );
        }
        Ok(RepoNotes {
            notes,
            shallow,
            shallow_boundary,
        })
    }

    /// How many lines each of `commits` added (over all its files, against its first parent;
    /// merges and commits whose diff git does not count are left out), with one `git log`.
    pub fn added_line_counts(&self, commits: &[String]) -> Result<HashMap<String, u64>, VcsError> {
        let mut counts = HashMap::new();
        if commits.is_empty() {
            return Ok(counts);
        }
        let args = [
            "log",
            "--no-walk=unsorted",
            "--stdin",
            "--numstat",
            "--no-color",
            "--no-renames",
            "--no-show-signature",
            "--format=tformat:@%H",
        ];
        let cmd = self.shown(&args);
        let mut input = Vec::new();
        for c in commits {
            input.extend_from_slice(c.as_bytes());
            input.push(b'\n');
        }
        let out = self.run_with_input(&args, input)?;
        let out = String::from_utf8_lossy(&out);
        let mut current: Option<&str> = None;
        for line in out.lines() {
            if let Some(id) = line.strip_prefix('@') {
                current = Some(id.trim());
                counts.entry(id.trim().to_string()).or_insert(0);
                continue;
            }
            let Some(id) = current else {
                continue;
            };
            let mut fields = line.split('\t');
            let (Some(added), Some(_), Some(_)) = (fields.next(), fields.next(), fields.next())
            else {
                continue;
            };
            // Binary files count `-`: no lines.
            if let Ok(n) = added.parse::<u64>() {
                *counts.entry(id.to_string()).or_insert(0) += n;
            } else if added != "-" {
                return Err(VcsError::Parse {
                    cmd,
                    reason: format!("unexpected line {:?}", clip(line)),
                });
            }
        }
        Ok(counts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn r(start: u32, end: u32) -> LineRange {
        LineRange { start, end }
    }

    /// git-ai's own test `test_serialize_deserialize_roundtrip`, as its snapshot has the note
    /// (re-typed): non-hex keys, no sessions or humans.
    const ROUNDTRIP: &str = "src/file.xyz\n  xyzAbc 1,2,19-222\n  123456 400-405\nsrc/file2.xyz\n  123456 1-111,245,260\n---\n{\n  \"schema_version\": \"authorship/3.0.0\",\n  \"git_ai_version\": \"development\",\n  \"base_commit_sha\": \"abc123\",\n  \"prompts\": {}\n}";

    /// git-ai's `test_file_names_with_spaces` snapshot: quoted paths and a legacy prompt with
    /// `human_author: null`.
    const SPACES: &str = "\"src/my file.rs\"\n  c9883b05a2487d6d 1-10\n\"docs/README (copy).md\"\n  c9883b05a2487d6d 5\ntest/file-with-dashes.js\n  c9883b05a2487d6d 20-25\n---\n{\n  \"schema_version\": \"authorship/3.0.0\",\n  \"git_ai_version\": \"development\",\n  \"base_commit_sha\": \"\",\n  \"prompts\": {\n    \"c9883b05a2487d6d\": {\n      \"agent_id\": {\n        \"tool\": \"cursor\",\n        \"id\": \"session_123\",\n        \"model\": \"claude-3-sonnet\"\n      },\n      \"human_author\": null,\n      \"total_additions\": 0,\n      \"total_deletions\": 0,\n      \"accepted_lines\": 0,\n      \"overriden_lines\": 0\n    }\n  }\n}";

    /// The standard's complete example in the sessions format (section 1.2.5).
    const SESSIONS: &str = r#"src/main.rs
  s_c9883b05a2487d::t_9f8e7d6c5b4a32 1-10,15-20
  s_c9883b05a2487d::t_a1b2c3d4e5f678 25,30-35
  h_31dce776f88375 42-50
src/lib.rs
  s_e7f2a90b31cc48::t_deadbeef012345 1-50
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.4.5",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {},
  "humans": {
    "h_31dce776f88375": {
      "author": "Developer <dev@example.com>"
    }
  },
  "sessions": {
    "s_c9883b05a2487d": {
      "agent_id": {
        "tool": "cursor",
        "id": "6ef2299e-a67f-432b-aa80-3d2fb4d28999",
        "model": "claude-sonnet-4-5-20250514"
      },
      "human_author": "dev@example.com"
    },
    "s_e7f2a90b31cc48": {
      "agent_id": {
        "tool": "claude",
        "id": "conv_abc123def456",
        "model": "claude-sonnet-4-5-20250514"
      },
      "human_author": "dev@example.com",
      "custom_attributes": {
        "team": "backend"
      }
    }
  }
}"#;

    /// The standard's legacy example (section 1.2.6), with the deprecated `messages` array a
    /// note from before v1.3.4 still carries.
    const LEGACY: &str = r#"src/main.rs
  abcd1234abcd1234 1-10,15-20
  ef0b5678ef0b5678 25,30-35
src/lib.rs
  abcd1234abcd1234 1-50
---
{
  "schema_version": "authorship/3.0.0",
  "git_ai_version": "1.0.23",
  "base_commit_sha": "7734793b756b3921c88db5375a8c156e9532447b",
  "prompts": {
    "abcd1234abcd1234": {
      "agent_id": {
        "tool": "cursor",
        "id": "6ef2299e-a67f-432b-aa80-3d2fb4d28999",
        "model": "claude-4.5-opus"
      },
      "human_author": "Developer <dev@example.com>",
      "messages": [],
      "total_additions": 25,
      "total_deletions": 5,
      "accepted_lines": 20,
      "overriden_lines": 0
    },
    "ef0b5678ef0b5678": {
      "agent_id": {
        "tool": "cursor",
        "id": "a1b2c3d4-e5f6-7890-abcd-ef1234567890",
        "model": "claude-3-sonnet"
      },
      "human_author": "Developer <dev@example.com>",
      "total_additions": 6,
      "total_deletions": 0,
      "accepted_lines": 6,
      "overriden_lines": 0
    }
  }
}"#;

    #[test]
    fn git_ai_roundtrip_snapshot_parses_as_git_ai_reads_it() {
        let log = parse(ROUNDTRIP).unwrap();
        assert_eq!(log.schema_version, SCHEMA_VERSION);
        assert_eq!(log.git_ai_version.as_deref(), Some("development"));
        assert_eq!(log.base_commit_sha, "abc123");
        assert!(log.prompts.is_empty() && log.sessions.is_empty() && log.humans.is_empty());
        assert_eq!(
            log.files,
            vec![
                FileAttestation {
                    path: "src/file.xyz".into(),
                    entries: vec![
                        Entry {
                            key: AttestationKey::Prompt("xyzAbc".into()),
                            ranges: vec![r(1, 1), r(2, 2), r(19, 222)],
                        },
                        Entry {
                            key: AttestationKey::Prompt("123456".into()),
                            ranges: vec![r(400, 405)],
                        },
                    ],
                },
                FileAttestation {
                    path: "src/file2.xyz".into(),
                    entries: vec![Entry {
                        key: AttestationKey::Prompt("123456".into()),
                        ranges: vec![r(1, 111), r(245, 245), r(260, 260)],
                    }],
                },
            ]
        );
        // Neither key is described in this note.
        let authors = log.by_author();
        assert_eq!(authors.len(), 2);
        assert!(authors.iter().all(|a| a.lookup == Lookup::Missing));
        assert_eq!(
            authors[1].lines,
            vec![
                ("src/file.xyz", r(400, 405)),
                ("src/file2.xyz", r(1, 111)),
                ("src/file2.xyz", r(245, 245)),
                ("src/file2.xyz", r(260, 260)),
            ]
        );
    }

    #[test]
    fn quoted_paths_and_a_legacy_prompt() {
        let log = parse(SPACES).unwrap();
        let paths: Vec<&str> = log.files.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "src/my file.rs",
                "docs/README (copy).md",
                "test/file-with-dashes.js"
            ]
        );
        let p = &log.prompts["c9883b05a2487d6d"];
        assert_eq!(
            p.agent_id,
            AgentId {
                tool: "cursor".into(),
                id: "session_123".into(),
                model: "claude-3-sonnet".into()
            }
        );
        assert_eq!(p.human_author, None);
        let authors = log.by_author();
        assert_eq!(authors.len(), 1);
        assert_eq!(authors[0].lookup, Lookup::Prompt(p));
        let total: u64 = authors[0].lines.iter().map(|(_, r)| r.len()).sum();
        assert_eq!(total, 10 + 1 + 6);
    }

    #[test]
    fn sessions_traces_and_known_humans_are_routed_by_prefix() {
        let log = parse(SESSIONS).unwrap();
        assert_eq!(log.git_ai_version.as_deref(), Some("1.4.5"));
        assert_eq!(
            log.files[0].entries[0].key,
            AttestationKey::Session {
                session: "s_c9883b05a2487d".into(),
                trace: Some("t_9f8e7d6c5b4a32".into())
            }
        );
        let authors = log.by_author();
        assert_eq!(authors.len(), 3);
        // One session, two checkpoints, all its lines together.
        assert_eq!(authors[0].key.id(), "s_c9883b05a2487d");
        assert_eq!(authors[0].traces, ["t_9f8e7d6c5b4a32", "t_a1b2c3d4e5f678"]);
        assert_eq!(
            authors[0].lines,
            vec![
                ("src/main.rs", r(1, 10)),
                ("src/main.rs", r(15, 20)),
                ("src/main.rs", r(25, 25)),
                ("src/main.rs", r(30, 35)),
            ]
        );
        let Lookup::Session(s) = authors[0].lookup else {
            panic!("{:?}", authors[0].lookup)
        };
        assert_eq!(s.agent_id.tool, "cursor");
        assert_eq!(s.agent_id.model, "claude-sonnet-4-5-20250514");
        assert_eq!(s.human_author.as_deref(), Some("dev@example.com"));
        assert_eq!(
            authors[1].key,
            &AttestationKey::Human("h_31dce776f88375".into())
        );
        assert_eq!(
            authors[1].lookup,
            Lookup::Human(&HumanRecord {
                author: "Developer <dev@example.com>".into()
            })
        );
        assert_eq!(authors[1].lines, vec![("src/main.rs", r(42, 50))]);
        let Lookup::Session(s) = authors[2].lookup else {
            panic!("{:?}", authors[2].lookup)
        };
        assert_eq!(s.agent_id.tool, "claude");
        assert_eq!(
            s.custom_attributes
                .as_ref()
                .and_then(|c| c.get("team"))
                .map(String::as_str),
            Some("backend")
        );
        assert_eq!(authors[2].lines, vec![("src/lib.rs", r(1, 50))]);
    }

    #[test]
    fn legacy_prompts_keep_their_counts_and_ignore_the_old_messages() {
        let log = parse(LEGACY).unwrap();
        let p = &log.prompts["abcd1234abcd1234"];
        assert_eq!(
            (
                p.total_additions,
                p.total_deletions,
                p.accepted_lines,
                p.overriden_lines
            ),
            (25, 5, 20, 0)
        );
        assert_eq!(
            p.human_author.as_deref(),
            Some("Developer <dev@example.com>")
        );
        let authors = log.by_author();
        assert_eq!(authors.len(), 2);
        assert_eq!(
            authors[0].lines,
            vec![
                ("src/main.rs", r(1, 10)),
                ("src/main.rs", r(15, 20)),
                ("src/lib.rs", r(1, 50)),
            ]
        );
    }

    #[test]
    fn a_note_as_git_notes_stores_it() {
        // `git notes add -m` ends the note with a newline; CRLF and trailing blanks are read too.
        let with_newline = format!("{SESSIONS}\n");
        assert_eq!(parse(&with_newline).unwrap(), parse(SESSIONS).unwrap());
        let crlf = SESSIONS.replace('\n', "\r\n");
        assert_eq!(parse(&crlf).unwrap(), parse(SESSIONS).unwrap());
        // An empty attestation section (a commit git-ai saw no AI lines in).
        let empty = parse("---\n{\"schema_version\":\"authorship/3.0.0\",\"base_commit_sha\":\"x\",\"prompts\":{}}").unwrap();
        assert!(empty.files.is_empty());
        assert!(empty.by_author().is_empty());
    }

    #[test]
    fn corrupt_notes_are_errors_that_say_why() {
        let meta = "---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{}}";
        let cases: Vec<(String, &str)> = vec![
            ("just some text".into(), "no `---` line"),
            ("a.rs\n  k 1-2\n---\n".into(), "nothing after"),
            ("a.rs\n  k 1-2\n---\n{not json".into(), "metadata is not valid"),
            ("a.rs\n  k 1-2\n---\n[1,2]".into(), "not a JSON object"),
            ("a.rs\n  k 1-2\n---\n{}".into(), "no `schema_version`"),
            ("---\n{\"schema_version\":3}".into(), "not a string"),
            (
                "---\n{\"schema_version\":\"authorship/2.0.0\"}".into(),
                "\"authorship/2.0.0\" is not supported",
            ),
            (
                "---\n{\"schema_version\":\"authorship/3.0.0\",\"prompts\":{\"k\":{\"agent_id\":5}}}".into(),
                "metadata is not valid",
            ),
            (format!("  k 1-2\n{meta}"), "line 1: an entry comes before any file path"),
            (format!("a.rs\n  k\n{meta}"), "line 2: an entry is a key"),
            (format!("a.rs\n  k 0-3\n{meta}"), "count from 1"),
            (format!("a.rs\n  k 9-3\n{meta}"), "runs backwards"),
            (format!("a.rs\n  k 1-x\n{meta}"), "\"x\" is not a line number"),
            (format!("a.rs\n  k 99999999999\n{meta}"), "is not a line number"),
            (format!("a.rs\n  k ,\n{meta}"), "names no lines"),
            (format!("a.rs\n   k 1\n{meta}"), "exactly two spaces"),
            (format!("a.rs\n\tk 1\n{meta}"), "a file path starts the line"),
            (format!("\"\"\n  k 1\n{meta}"), "a file path is empty"),
        ];
        for (note, want) in cases {
            let err = parse(&note).expect_err(&note).to_string();
            assert!(err.contains(want), "{note:?}: {err:?} should say {want:?}");
        }
        assert_eq!(parse_bytes(b"\xff\xfe---"), Err(NoteError::NotUtf8));
    }

    #[test]
    fn object_batches_are_split_by_size_not_by_lines() {
        let a = "a".repeat(40);
        let b = "b".repeat(40);
        let c = "c".repeat(40);
        let answer = format!("{a} blob 7\nx\ny\n---\n{b} missing\n{c} commit 3\nabc\n");
        let objects =
            batch_objects("git cat-file --batch", answer.as_bytes(), &[&a, &b, &c]).unwrap();
        assert!(matches!(objects[0], Object::Found { kind: "blob", body } if body == b"x\ny\n---"));
        assert!(matches!(objects[1], Object::Missing));
        assert!(matches!(objects[2], Object::Found { kind: "commit", .. }));
        let short = format!("{a} blob 70\nx\n");
        assert!(batch_objects("git cat-file --batch", short.as_bytes(), &[&a]).is_err());
        assert!(batch_objects("git cat-file --batch", b"", &[&a]).is_err());
    }

    /// The real git (`ATTRIB_TEST_GIT`, else /usr/local/bin/git, else `git` on PATH).
    fn git_bin() -> String {
        std::env::var("ATTRIB_TEST_GIT")
            .ok()
            .filter(|g| !g.is_empty())
            .or_else(|| {
                Path::new("/usr/local/bin/git")
                    .exists()
                    .then(|| "/usr/local/bin/git".to_string())
            })
            .unwrap_or_else(|| "git".to_string())
    }

    /// Runs git in `dir` with a private HOME and no system config; its trimmed stdout.
    fn sh(home: &Path, dir: &Path, args: &[&str]) -> String {
        let out = Command::new(git_bin())
            .arg("-C")
            .arg(dir)
            .args(args)
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ann")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_NAME", "Ann")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn commit(home: &Path, dir: &Path, file: &str, text: &str, when: &str) -> String {
        std::fs::write(dir.join(file), text).unwrap();
        sh(home, dir, &["add", file]);
        let date = format!("{when} +0000");
        let out = Command::new(git_bin())
            .arg("-C")
            .arg(dir)
            .args(["commit", "-q", "-m", file])
            .env("HOME", home)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Ann")
            .env("GIT_AUTHOR_EMAIL", "ann@example.com")
            .env("GIT_COMMITTER_NAME", "Ann")
            .env("GIT_COMMITTER_EMAIL", "ann@example.com")
            .env("GIT_AUTHOR_DATE", &date)
            .env("GIT_COMMITTER_DATE", &date)
            .output()
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        sh(home, dir, &["rev-parse", "HEAD"])
    }

    #[test]
    fn every_note_of_a_real_repository_is_read_in_a_few_processes() {
        let tmp = tempfile::tempdir().unwrap();
        let home = tmp.path().join("home");
        let repo = tmp.path().join("repo");
        std::fs::create_dir_all(&home).unwrap();
        std::fs::create_dir_all(&repo).unwrap();
        sh(&home, &repo, &["init", "-q", "-b", "main"]);
        let reader = GitNotes::new(git_bin(), &repo)
            .with_env("HOME", &home)
            .with_env("GIT_CONFIG_NOSYSTEM", "1");
        let a = commit(&home, &repo, "a.txt", "1\n2\n3\n", "1700000000");
        // No notes ref at all: nothing, and no error.
        assert_eq!(reader.read().unwrap(), RepoNotes::default());

        let b = commit(&home, &repo, "b.txt", "x\ny\n\0bin", "1700000100");
        let c = commit(&home, &repo, "c.txt", "gone\n", "1700000200");
        let good = SESSIONS.replace("src/main.rs", "a.txt");
        sh(&home, &repo, &["notes", "--ref=ai", "add", "-m", &good, &a]);
        sh(
            &home,
            &repo,
            &["notes", "--ref=ai", "add", "-m", "not a note", &b],
        );
        sh(
            &home,
            &repo,
            &["notes", "--ref=ai", "add", "-m", ROUNDTRIP, &c],
        );
        let blob = sh(&home, &repo, &["rev-parse", "HEAD:a.txt"]);
        sh(
            &home,
            &repo,
            &["notes", "--ref=ai", "add", "-m", ROUNDTRIP, &blob],
        );
        // C is rewritten away and pruned; its note stays behind.
        sh(&home, &repo, &["reset", "-q", "--hard", &b]);
        sh(&home, &repo, &["reflog", "expire", "--expire=now", "--all"]);
        sh(&home, &repo, &["gc", "-q", "--prune=now"]);

        let notes = reader.read().unwrap();
        assert!(!notes.shallow);
        let on = |id: &str| notes.notes.iter().find(|n| n.commit == id).unwrap();
        assert_eq!(notes.notes.len(), 4);
        assert_eq!(
            on(&a).target,
            Target::Commit {
                committer_time: 1_700_000_000
            }
        );
        assert_eq!(on(&a).log, parse(&good));
        assert_eq!(on(&a).log.as_ref().unwrap().files[0].path, "a.txt");
        assert_eq!(on(&b).log, Err(NoteError::NoDivider));
        assert_eq!(on(&c).target, Target::Missing);
        assert!(on(&c).log.is_ok());
        assert_eq!(on(&blob).target, Target::NotACommit("blob".into()));

        // What each commit added, in one process (the binary file counts no lines).
        let counts = reader.added_line_counts(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(counts.get(&a), Some(&3));
        assert_eq!(counts.get(&b), Some(&0));

        // A shallow clone with the notes fetched: A is beyond its history, B its boundary.
        let shallow = tmp.path().join("shallow");
        let url = format!("file://{}", repo.display());
        sh(
            &home,
            tmp.path(),
            &["clone", "-q", "--depth", "1", &url, "shallow"],
        );
        sh(
            &home,
            &shallow,
            &["fetch", "-q", "origin", "refs/notes/ai:refs/notes/ai"],
        );
        let notes = GitNotes::new(git_bin(), &shallow)
            .with_env("HOME", &home)
            .with_env("GIT_CONFIG_NOSYSTEM", "1")
            .read()
            .unwrap();
        assert!(notes.shallow);
        assert!(notes.shallow_boundary.contains(&b), "{notes:?}");
        let on = |id: &str| notes.notes.iter().find(|n| n.commit == id).unwrap();
        assert_eq!(on(&a).target, Target::Missing);
        assert!(matches!(on(&b).target, Target::Commit { .. }));
    }

    #[test]
    fn committer_time_is_read_from_the_commit_header() {
        let body = b"tree 4b82\nparent 1234\nauthor A <a@b> 100 +0000\ncommitter C <c@d> 1796402356 +0200\n\ncommitter 5 +0000\n";
        assert_eq!(committer_time(body), 1_796_402_356);
        assert_eq!(committer_time(b"garbage"), 0);
    }
}
