//! The Pijul driver: runs the `pijul` binary (or Atomic's `atomic`, which has the same command
//! shapes) in a repository and reads its machine-readable output.
//!
//! Every call runs with `PAGER=cat` and `NO_COLOR=1`, stdin closed (nothing may wait on a
//! prompt), and turns any failure into a [`VcsError`] naming the command and the first line of
//! its stderr.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::UNIX_EPOCH;

use attrib_overlay::PatchId;
use serde::{Deserialize, Serialize};

use crate::error::VcsError;
use crate::reconcile::{is_root, Observation, ObservedChange};
use crate::vcs::{Vcs, VcsKind};

/// The binary run when the config names none.
pub const DEFAULT_BINARY: &str = "pijul";
/// Versions this driver knows the output of: `pijul 1.0.0-beta.x`.
pub const SUPPORTED_VERSIONS: &str = "1.0.0-beta.";

/// A driver for one repository.
#[derive(Clone, Debug)]
pub struct Pijul {
    kind: VcsKind,
    bin: OsString,
    repo: PathBuf,
    env: Vec<(OsString, OsString)>,
    version_prefix: Option<String>,
    /// Atomic's credit names changes by prefix: their full hashes, read once and kept.
    pub(crate) prefixes: crate::atomic::Prefixes,
}

/// One change of the channel, from `pijul log --output-format json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeInfo {
    /// The change's 53-character base32 hash: its patch id.
    pub hash: PatchId,
    /// The change's message (first line of its description).
    pub message: String,
    /// Authors as Pijul prints them: `Name (login) <email>` when the identity is known locally,
    /// else the signing key.
    pub authors: Vec<String>,
    /// The change's own timestamp, RFC 3339, as Pijul printed it.
    pub timestamp: String,
    /// The same timestamp in milliseconds since the Unix epoch, when it parses.
    pub timestamp_ms: Option<u64>,
    /// The rest of the change's description after the message, when it was asked for (it
    /// carries trailers such as `Co-authored-by:`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

impl ChangeInfo {
    /// A change known only by its hash (and maybe its message): an empty timestamp marks it,
    /// and it has no stamp.
    pub fn unknown(hash: PatchId, message: &str) -> Self {
        ChangeInfo {
            hash,
            message: message.to_string(),
            authors: Vec::new(),
            timestamp: String::new(),
            timestamp_ms: None,
            description: None,
        }
    }

    /// Authors and timestamp: what `pijul record --amend` carries over to the new change.
    pub fn stamp(&self) -> String {
        format!("{}|{}", self.timestamp, self.authors.join(","))
    }
}

/// One item of `pijul credit --output-format json`: replaying the items in order rebuilds the file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "lowercase")]
pub enum CreditEntry {
    /// A run of lines with the same attribution.
    Line {
        /// 1-based first line of the run.
        #[serde(rename = "startLine")]
        start_line: usize,
        /// How many consecutive lines the run covers.
        #[serde(rename = "lineCount")]
        line_count: usize,
        /// Every change that introduced an edge pointing at these lines: the change that inserted
        /// the content *and* changes that only touched its edges (see [`CreditEntry::inserter`]).
        changes: Vec<String>,
        /// The conflict these lines belong to, if any.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        conflict: Option<usize>,
        /// The lines' text, joined with their line endings.
        content: String,
    },
    /// A conflict boundary: `start`, `separator` or `end`.
    Conflict {
        /// Which boundary: `start`, `separator` or `end`.
        marker: String,
        /// The conflict's number, shared by its boundaries and its lines' `conflict`.
        id: usize,
        /// The changes Pijul names for the conflict's sides (listed at its `start`).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        sides: Vec<String>,
    },
}

impl CreditEntry {
    /// The change that inserted these lines' content, given each change's position in channel
    /// order (oldest first, e.g. the index in [`Pijul::log`]).
    ///
    /// Pijul credits a line to every change that introduced an edge pointing at it, so a change
    /// inserting a line above also shows up. Any change that adds an edge to a line knows that
    /// line, so it depends on the change that inserted it: the inserter is the *earliest* of the
    /// listed changes in channel order. Changes missing from `positions` are skipped.
    pub fn inserter(&self, positions: &HashMap<PatchId, usize>) -> Option<PatchId> {
        let CreditEntry::Line { changes, .. } = self else {
            return None;
        };
        changes
            .iter()
            .filter_map(|c| PatchId::new(c).ok())
            .filter_map(|p| positions.get(&p).map(|&i| (i, p)))
            .min_by_key(|(i, _)| *i)
            .map(|(_, p)| p)
    }
}

/// A channel's state and changes, as one `pijul log --state --description` call reads them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChannelLog {
    /// The state after the latest change (`None` for an empty channel).
    pub state: Option<String>,
    /// The changes in channel order, oldest first, root left out.
    pub changes: Vec<ChangeInfo>,
}

impl ChannelLog {
    /// What [`crate::Seen::reconcile`] compares. Pijul 1.0.0-beta.26 keeps an amend's lineage
    /// (`replaces`) inside the change file and no command prints it, so it is not read here: an
    /// amend is recognised from the wrapped [`Pijul::record_amend`] (a
    /// [`crate::Hint::Amended`]) or from its stamp (an amend keeps the authors and timestamp of
    /// the change it replaces).
    pub fn observation(&self) -> Observation {
        Observation {
            state: self.state.clone(),
            changes: self
                .changes
                .iter()
                .map(|c| ObservedChange {
                    stamp: Some(c.stamp()),
                    hash: c.hash.clone(),
                    replaces: Vec::new(),
                })
                .collect(),
        }
    }
}

/// A line a change added, where it was when the change was recorded.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedLine {
    /// The file's path in the repository, as Pijul prints it.
    pub file: String,
    /// 1-based line number in the file as recorded.
    pub line: u32,
    /// The line's content, without the `+ ` marker and the line ending.
    pub text: String,
}

/// Reads the `+ ` lines of `pijul change`'s hunks: `N. Edit in "FILE":LINE …` and
/// `N. Replacement in "FILE":LINE …` number their added lines from LINE; `N. File addition:
/// "NAME" in "DIR" …` from 1. Other hunks add no lines of a file.
pub fn parse_added_lines(text: &str) -> Vec<AddedLine> {
    let mut out = Vec::new();
    // The current hunk's file and next line number, if it adds lines.
    let mut current: Option<(String, u32)> = None;
    let mut in_hunks = false;
    for raw in text.lines() {
        if raw.starts_with("# Hunks") {
            in_hunks = true;
            continue;
        }
        if !in_hunks {
            continue;
        }
        let header = raw
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, rest)| rest);
        if let Some(rest) = header {
            current = hunk_target(rest);
            continue;
        }
        if let (Some(text), Some((file, line))) = (raw.strip_prefix("+ "), current.as_mut()) {
            out.push(AddedLine {
                file: file.clone(),
                line: *line,
                text: text.to_string(),
            });
            // A header's line number comes from the change's text: no overflow past u32::MAX
            // (found with its fuzz target; git's diff reader saturates the same way).
            *line = line.saturating_add(1);
        } else if raw == "+" {
            if let Some((file, line)) = current.as_mut() {
                out.push(AddedLine {
                    file: file.clone(),
                    line: *line,
                    text: String::new(),
                });
                *line = line.saturating_add(1);
            }
        }
    }
    out
}

/// What one change did, read from one `pijul change HASH`: the lines it added and the files it
/// touched. A change never changes once recorded (its hash is its content), so a caller may
/// keep this forever (`attrib blame`'s index does).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeSummary {
    /// The paths (as recorded) whose content or name a hunk of the change edits, adds or
    /// deletes; `None` when a hunk does not say which file in a way read here (a move, a name
    /// conflict's resolution, a root hunk, or a kind this reader does not know): the change
    /// must then be taken to touch every file.
    pub touched: Option<Vec<String>>,
    /// The lines it added ([`parse_added_lines`]).
    pub added: Vec<AddedLine>,
}

/// Reads a [`ChangeSummary`] from `pijul change`'s text: the added lines as
/// [`parse_added_lines`] does, and each hunk header's file.
pub fn parse_change_summary(text: &str) -> ChangeSummary {
    let mut touched = Some(Vec::new());
    let mut in_hunks = false;
    for raw in text.lines() {
        if raw.starts_with("# ") {
            in_hunks = raw.starts_with("# Hunks");
            continue;
        }
        if !in_hunks {
            continue;
        }
        let Some(rest) = raw
            .split_once(". ")
            .filter(|(n, _)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|(_, rest)| rest)
        else {
            continue;
        };
        match (hunk_file(rest), touched.as_mut()) {
            (Some(file), Some(list)) => {
                if !list.contains(&file) {
                    list.push(file);
                }
            }
            // One hunk that names no file this reader can be sure of: every file, then.
            (None, _) => touched = None,
            (Some(_), None) => {}
        }
    }
    ChangeSummary {
        touched,
        added: parse_added_lines(text),
    }
}

/// The file a hunk header edits, for the hunk kinds whose first quoted string is the file's
/// whole path (`Edit in "F":…`, `File deletion: "F" …`) or that add one (`File addition:
/// "NAME" in "DIR"`). A move names a path and a new *name*, and a name conflict's resolution
/// several names: those, and any kind not listed, give `None`.
fn hunk_file(header: &str) -> Option<String> {
    const PATH_FIRST: [&str; 8] = [
        "Edit in ",
        "Replacement in ",
        "File deletion: ",
        "File un-deletion: ",
        "Solving an order conflict in ",
        "Un-solving an order conflict in ",
        "Resurrecting zombie lines in ",
        "File addition: ",
    ];
    let kind = PATH_FIRST.iter().find(|k| header.starts_with(*k))?;
    let rest = &header[kind.len()..];
    let (first, after) = quoted_escaped(rest)?;
    if *kind != "File addition: " {
        return Some(first);
    }
    let (dir, _) = quoted_escaped(after.trim_start().strip_prefix("in ")?)?;
    Some(if dir.is_empty() {
        first
    } else {
        format!("{dir}/{first}")
    })
}

/// A string as Pijul quotes it (`"a\"b"`: backslash escapes `\n \r \t \b \f \\ \"`) at the
/// start of `s`, and what follows it; `None` when `s` does not start with a complete one.
fn quoted_escaped(s: &str) -> Option<(String, &str)> {
    let s = s.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return Some((out, &s[i + 1..])),
            '\\' => {
                let (_, e) = chars.next()?;
                out.push(match e {
                    'n' => '\n',
                    'r' => '\r',
                    't' => '\t',
                    'b' => '\u{08}',
                    'f' => '\u{0C}',
                    other => other,
                });
            }
            c => out.push(c),
        }
    }
    None
}

/// The file and first line number of a hunk header that adds lines.
fn hunk_target(header: &str) -> Option<(String, u32)> {
    let quoted = |s: &str| -> Option<(String, String)> {
        let s = s.strip_prefix('"')?;
        let end = s.find('"')?;
        Some((s[..end].to_string(), s[end + 1..].to_string()))
    };
    if let Some(rest) = header
        .strip_prefix("Edit in ")
        .or_else(|| header.strip_prefix("Replacement in "))
    {
        let (file, after) = quoted(rest)?;
        let line: u32 = after
            .strip_prefix(':')?
            .split_whitespace()
            .next()?
            .parse()
            .ok()?;
        return Some((file, line));
    }
    if let Some(rest) = header.strip_prefix("File addition: ") {
        let (name, after) = quoted(rest)?;
        let (dir, _) = quoted(after.trim_start().strip_prefix("in ")?)?;
        let file = if dir.is_empty() {
            name
        } else {
            format!("{dir}/{name}")
        };
        return Some((file, 1));
    }
    None
}

/// The outcome of a wrapped `record --amend`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Amend {
    /// The change the amend replaced (it leaves the channel).
    pub old: PatchId,
    /// The change the amend recorded in its place (its attribution carries over from `old`).
    pub new: PatchId,
}

impl Pijul {
    /// A driver for the repository at (or above) `repo`, running `pijul` from PATH.
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        Pijul {
            kind: VcsKind::Pijul,
            bin: DEFAULT_BINARY.into(),
            repo: repo.into(),
            env: Vec::new(),
            version_prefix: Some(SUPPORTED_VERSIONS.to_string()),
            prefixes: Default::default(),
        }
    }

    /// A driver for an Atomic repository (`.atomic/`, the `atomic` binary, any version).
    pub fn atomic(repo: impl Into<PathBuf>) -> Self {
        let mut atomic = Pijul::new(repo)
            .with_binary(VcsKind::Atomic.default_binary())
            .accept_versions(None);
        atomic.kind = VcsKind::Atomic;
        atomic
    }

    /// Which store this drives: Pijul, or its fork Atomic.
    pub fn kind(&self) -> VcsKind {
        self.kind
    }

    /// Runs another binary with the same command shapes, e.g. `atomic` (a name on PATH or a path).
    pub fn with_binary(mut self, bin: impl Into<OsString>) -> Self {
        self.bin = bin.into();
        self
    }

    /// Sets an environment variable for every call (e.g. `HOME`, `SSH_AUTH_SOCK`).
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Which versions [`Pijul::check_version`] accepts: those starting with `prefix`, or any
    /// with `None` (for forks such as Atomic that number their releases differently).
    pub fn accept_versions(mut self, prefix: Option<&str>) -> Self {
        self.version_prefix = prefix.map(str::to_string);
        self
    }

    /// The repository directory commands run in.
    pub fn repo(&self) -> &Path {
        &self.repo
    }

    /// The binary's name as configured, for messages.
    pub fn binary(&self) -> String {
        self.bin.to_string_lossy().into_owned()
    }

    /// The binary as configured (a name looked up on `PATH`, or a path).
    pub fn binary_os(&self) -> &OsStr {
        &self.bin
    }

    fn command<I, S>(&self, args: I) -> (Command, String)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = Command::new(&self.bin);
        let mut shown = self.binary();
        for a in args {
            shown.push(' ');
            shown.push_str(&a.as_ref().to_string_lossy());
            cmd.arg(a);
        }
        cmd.current_dir(&self.repo)
            .env("PAGER", "cat")
            .env("NO_COLOR", "1")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null());
        (cmd, shown)
    }

    /// Runs the binary with `args` in the repository; a non-zero exit is an error.
    pub fn run<I, S>(&self, args: I) -> Result<Output, VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let (mut cmd, shown) = self.command(args);
        let out = cmd.output().map_err(|e| self.spawn_error(e))?;
        self.succeeded(&shown, out)
    }

    /// `out` if the binary exited with success, else the error its stderr names.
    fn succeeded(&self, shown: &str, out: Output) -> Result<Output, VcsError> {
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.classify(shown.to_string(), &out))
        }
    }

    fn spawn_error(&self, e: std::io::Error) -> VcsError {
        if e.kind() == std::io::ErrorKind::NotFound && self.kind == VcsKind::Atomic {
            // `Missing` tells how to install Pijul; Atomic is built from its own sources.
            VcsError::Spawn {
                bin: self.binary(),
                cause: std::io::Error::new(
                    e.kind(),
                    "it was not found: install Atomic (castingclouds/atomic, `cargo install --path atomic` in its sources) or point `[vcs] binary` or ATTRIB_VCS_BINARY at it",
                ),
            }
        } else if e.kind() == std::io::ErrorKind::NotFound {
            VcsError::Missing { bin: self.binary() }
        } else {
            VcsError::Spawn {
                bin: self.binary(),
                cause: e,
            }
        }
    }

    fn classify(&self, cmd: String, out: &Output) -> VcsError {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut line = first_line(&stderr);
        if self.kind == VcsKind::Atomic && stderr.contains("any identities configured") {
            // Atomic then starts asking for one, on a terminal it does not have.
            line = "Atomic has no identity to sign changes with: create one with `atomic identity new` (it asks on a terminal)".to_string();
        }
        if stderr.contains("No Pijul repository found") || stderr.contains("repository found") {
            return VcsError::NotARepo {
                path: self.repo.clone(),
            };
        }
        let status = match out.status.code() {
            Some(c) => format!("exit {c}"),
            None => "killed by a signal".to_string(),
        };
        VcsError::Failed {
            cmd,
            status,
            stderr: if line.is_empty() {
                "no error message".to_string()
            } else {
                line
            },
        }
    }

    pub(crate) fn stdout(&self, args: &[&str]) -> Result<String, VcsError> {
        let out = self.run(args)?;
        String::from_utf8(out.stdout).map_err(|_| VcsError::Parse {
            cmd: self.shown(args),
            reason: "output is not UTF-8".to_string(),
        })
    }

    pub(crate) fn shown(&self, args: &[&str]) -> String {
        let mut s = self.binary();
        for a in args {
            s.push(' ');
            s.push_str(a);
        }
        s
    }

    /// The version the binary reports (`pijul 1.0.0-beta.26` → `1.0.0-beta.26`).
    pub fn version(&self) -> Result<String, VcsError> {
        let text = self.stdout(&["--version"])?;
        let version = text
            .lines()
            .next()
            .unwrap_or("")
            .split_whitespace()
            .last()
            .ok_or_else(|| VcsError::Parse {
                cmd: self.shown(&["--version"]),
                reason: "empty output".to_string(),
            })?;
        Ok(version.to_string())
    }

    /// Fails with a clear error unless the binary is installed and of a supported version.
    pub fn check_version(&self) -> Result<String, VcsError> {
        let version = self.version()?;
        match &self.version_prefix {
            Some(prefix) if !version.starts_with(prefix.as_str()) => Err(VcsError::WrongVersion {
                bin: self.binary(),
                found: version,
                wanted: format!("{prefix}x"),
            }),
            _ => Ok(version),
        }
    }

    /// `pijul init` in the repository directory.
    pub fn init(&self) -> Result<(), VcsError> {
        self.run(["init"]).map(drop)
    }

    /// `pijul add PATHS…`.
    pub fn add<I, S>(&self, paths: I) -> Result<(), VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = std::iter::once(OsString::from("add"))
            .chain(paths.into_iter().map(|p| p.as_ref().to_owned()))
            .collect();
        self.run(args).map(drop)
    }

    /// `pijul record ARGS…` (pass at least `-a -m MSG` or a `--from-change` file: there is no
    /// terminal to open an editor on). Returns the new change's hash from the `Hash:` line.
    pub fn record<I, S>(&self, args: I) -> Result<PatchId, VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.record_with(args, |_| {})
    }

    /// [`Pijul::record`], calling `on_hash` with the new change's hash as soon as the `Hash:`
    /// line arrives, while the binary is still running.
    ///
    /// Pijul prints that line once the change is hashed and saved to `.pijul/changes`, and
    /// only then applies it to the channel and syncs its pristine: work that takes a
    /// millisecond or two, which the caller can overlap with its own (signing and storing an
    /// attestation, say). The callback runs at most once, on the reading thread; the
    /// binary's output is read on while it runs (a pipe holds far more than is left to come).
    ///
    /// The call still fails when the binary does: a caller whose `on_hash` ran must then
    /// treat the change as saved but perhaps not on the channel.
    pub fn record_with<I, S>(
        &self,
        args: I,
        on_hash: impl FnOnce(&PatchId),
    ) -> Result<PatchId, VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<OsString> = std::iter::once(OsString::from("record"))
            .chain(args.into_iter().map(|a| a.as_ref().to_owned()))
            .collect();
        let (mut cmd, shown) = self.command(&args);
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.spawn_error(std::io::Error::other("its output could not be piped")));
        };
        let read = std::thread::scope(|s| {
            // Stderr is drained on its own thread so that neither pipe can fill up and stall
            // the binary while the other is read.
            let errors = s.spawn(move || {
                let mut bytes = Vec::new();
                stderr.read_to_end(&mut bytes).map(|_| bytes)
            });
            let printed = read_until_hash(stdout, on_hash);
            let errors = errors.join().unwrap_or_else(|_| Ok(Vec::new()));
            printed.and_then(|out| errors.map(|err| (out, err)))
        });
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        let (stdout, stderr) = read.map_err(|e| self.spawn_error(e))?;
        let out = Output {
            status,
            stdout,
            stderr,
        };
        let out = self.succeeded(&shown, out)?;
        parse_record_output(&shown, &out.stdout, &out.stderr)
    }

    /// `pijul record --amend[=TARGET] ARGS…`: amends `target` (the channel's latest change by
    /// default). Returns the replaced and the new hash, so the caller can hint reconciliation.
    pub fn record_amend<I, S>(&self, target: Option<&PatchId>, args: I) -> Result<Amend, VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.record_amend_with(target, args, |_| {})
    }

    /// [`Pijul::record_amend`], with `on_hash` called as in [`Pijul::record_with`].
    pub fn record_amend_with<I, S>(
        &self,
        target: Option<&PatchId>,
        args: I,
        on_hash: impl FnOnce(&PatchId),
    ) -> Result<Amend, VcsError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let old =
            match target {
                Some(t) => t.clone(),
                None => self.log()?.pop().map(|c| c.hash).ok_or_else(|| {
                    VcsError::UnknownChange("(latest: the channel is empty)".into())
                })?,
            };
        let mut full: Vec<OsString> = vec![format!("--amend={}", old.as_str()).into()];
        full.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        let new = self.record_with(full, on_hash)?;
        Ok(Amend { old, new })
    }

    /// `pijul unrecord HASH` (the working copy keeps the change's edits).
    pub fn unrecord(&self, hash: &PatchId) -> Result<(), VcsError> {
        match self.run(["unrecord", hash.as_str()]) {
            Err(VcsError::Failed { stderr, .. }) if looks_unknown(&stderr) => {
                Err(VcsError::UnknownChange(hash.to_string()))
            }
            other => other.map(drop),
        }
    }

    /// The current channel's changes in channel order, oldest first, from
    /// `pijul log --output-format json`. The root change (no message, no author) is left out.
    pub fn log(&self) -> Result<Vec<ChangeInfo>, VcsError> {
        let args = ["log", "--output-format", "json"];
        let text = self.stdout(&args)?;
        let mut changes = parse_log(&self.shown(&args), &text)?;
        changes.reverse();
        Ok(changes)
    }

    /// The current channel's `n` newest changes with their metadata, newest first (root left
    /// out): one short `log --limit N --output-format json`.
    pub fn newest(&self, n: usize) -> Result<Vec<ChangeInfo>, VcsError> {
        let limit = n.to_string();
        let args = ["log", "--limit", &limit, "--output-format", "json"];
        let text = self.stdout(&args)?;
        parse_log(&self.shown(&args), &text)
    }

    /// The current channel's change hashes, oldest first, root left out.
    pub fn hashes(&self) -> Result<Vec<PatchId>, VcsError> {
        Ok(self.log()?.into_iter().map(|c| c.hash).collect())
    }

    /// The current channel's state id (the Merkle state after its latest change), or `None`
    /// for a channel without changes. Equal states mean equal sets of changes: this is the
    /// cheap check before a full reconciliation.
    pub fn state(&self) -> Result<Option<String>, VcsError> {
        Ok(self.top(1)?.into_iter().next().and_then(|(_, state)| state))
    }

    /// The current channel's `n` newest changes with the state after each, newest first (the
    /// root change included): one short `log --state --limit N`.
    pub fn top(&self, n: usize) -> Result<Vec<(PatchId, Option<String>)>, VcsError> {
        let limit = n.to_string();
        let args = [
            "log",
            "--state",
            "--limit",
            &limit,
            "--output-format",
            "json",
        ];
        let text = self.stdout(&args)?;
        let cmd = self.shown(&args);
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let raw = log_entries(text).map_err(|e| VcsError::Parse {
            cmd: cmd.clone(),
            reason: e.to_string(),
        })?;
        raw.into_iter()
            .map(|r| Ok((parse_hash(&cmd, &r.hash)?, r.state)))
            .collect()
    }

    /// The channel the working copy is on (`pijul channel` marks it with `*`).
    pub fn current_channel(&self) -> Result<String, VcsError> {
        let text = self.stdout(&["channel"])?;
        text.lines()
            .find_map(|l| {
                l.trim_start()
                    .strip_prefix('*')
                    .map(|n| n.trim().to_string())
            })
            .ok_or_else(|| VcsError::Parse {
                cmd: self.shown(&["channel"]),
                reason: "no channel is marked current".to_string(),
            })
    }

    /// The current channel in one call: its state and every change (oldest first, root left
    /// out) with its full description.
    pub fn channel_log(&self) -> Result<ChannelLog, VcsError> {
        let args = ["log", "--state", "--description", "--output-format", "json"];
        let text = self.stdout(&args)?;
        let (state, mut changes) = parse_log_with_state(&self.shown(&args), &text)?;
        changes.reverse();
        Ok(ChannelLog { state, changes })
    }

    /// The channel now, for [`crate::Seen::reconcile`]: its state and its changes in order.
    pub fn observe(&self) -> Result<Observation, VcsError> {
        Ok(self.channel_log()?.observation())
    }

    /// The lines `hash` added, with their line numbers in the file as it was recorded (from
    /// `pijul change HASH`).
    pub fn added_lines(&self, hash: &PatchId) -> Result<Vec<AddedLine>, VcsError> {
        let text = match self.stdout(&["change", hash.as_str()]) {
            Err(VcsError::Failed { stderr, .. }) if looks_unknown(&stderr) => {
                return Err(VcsError::UnknownChange(hash.to_string()))
            }
            other => other?,
        };
        Ok(parse_added_lines(&text))
    }

    /// The lines `hash` added and the files it touched, from one `pijul change HASH`.
    pub fn change_summary(&self, hash: &PatchId) -> Result<ChangeSummary, VcsError> {
        let text = match self.stdout(&["change", hash.as_str()]) {
            Err(VcsError::Failed { stderr, .. }) if looks_unknown(&stderr) => {
                return Err(VcsError::UnknownChange(hash.to_string()))
            }
            other => other?,
        };
        Ok(parse_change_summary(&text))
    }

    /// The tracked files of the working copy (`pijul list`, directories left out), relative to
    /// the repository.
    pub fn tracked_files(&self) -> Result<Vec<PathBuf>, VcsError> {
        let text = self.stdout(&["list"])?;
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(PathBuf::from)
            .filter(|p| self.repo.join(p).is_file())
            .collect())
    }

    /// `pijul credit --output-format json FILE` (`file` relative to the repository).
    pub fn credit(&self, file: &Path) -> Result<Vec<CreditEntry>, VcsError> {
        let file = file.to_string_lossy();
        if self.kind == VcsKind::Atomic {
            // `atomic credit` prints text only (no `--output-format`).
            return self.atomic_credit(&file);
        }
        let args = ["credit", "--output-format", "json", file.as_ref()];
        let text = self.stdout(&args)?;
        serde_json::from_str(text.trim()).map_err(|e| VcsError::Parse {
            cmd: self.shown(&args),
            reason: e.to_string(),
        })
    }

    /// The changes `hash` depends on, from the `# Dependencies` section of `pijul change HASH`.
    pub fn dependencies(&self, hash: &PatchId) -> Result<Vec<PatchId>, VcsError> {
        let text = match self.stdout(&["change", hash.as_str()]) {
            Err(VcsError::Failed { stderr, .. }) if looks_unknown(&stderr) => {
                return Err(VcsError::UnknownChange(hash.to_string()))
            }
            other => other?,
        };
        Ok(parse_dependencies(&text))
    }

    /// The changes after the state `since` (every change for `None`), oldest first, from one
    /// `log --state`: the changes printed newer than the one whose state is `since`.
    pub fn changes_since(&self, since: Option<&str>) -> Result<Vec<ChangeInfo>, VcsError> {
        let args = ["log", "--state", "--description", "--output-format", "json"];
        let text = self.stdout(&args)?;
        let cmd = self.shown(&args);
        let text = text.trim();
        if text.is_empty() {
            return Ok(Vec::new());
        }
        let raw = log_entries(text).map_err(|e| VcsError::Parse {
            cmd: cmd.clone(),
            reason: e.to_string(),
        })?;
        let cut = match since {
            None => raw.len(),
            Some(s) => raw
                .iter()
                .position(|r| r.state.as_deref() == Some(s))
                .ok_or_else(|| VcsError::UnknownChange(format!("(state {s})")))?,
        };
        let mut raw = raw;
        raw.truncate(cut);
        let mut changes = changes_of(&cmd, raw)?;
        changes.reverse();
        Ok(changes)
    }
}

/// The hashes listed under `# Dependencies` in `pijul change`'s text (`[2] HASH`, `[3]+HASH`).
pub fn parse_dependencies(text: &str) -> Vec<PatchId> {
    let mut out = Vec::new();
    let mut inside = false;
    for line in text.lines() {
        if line.starts_with('#') {
            inside = line.trim() == "# Dependencies";
            continue;
        }
        if !inside {
            continue;
        }
        let Some(rest) = line.trim().strip_prefix('[') else {
            continue;
        };
        let Some((_, after)) = rest.split_once(']') else {
            continue;
        };
        let token = after
            .trim_start_matches(['+', '*', ' '])
            .split_whitespace()
            .next();
        if let Some(hash) = token.and_then(|t| PatchId::new(t).ok()) {
            if !is_root(&hash) && !out.contains(&hash) {
                out.push(hash);
            }
        }
    }
    out
}

impl Vcs for Pijul {
    fn kind(&self) -> VcsKind {
        self.kind
    }
    fn repo(&self) -> &Path {
        &self.repo
    }
    fn binary_os(&self) -> &OsStr {
        &self.bin
    }
    fn with_env(&self, key: &OsStr, value: &OsStr) -> Box<dyn Vcs> {
        Box::new(self.clone().with_env(key, value))
    }
    fn check_version(&self) -> Result<String, VcsError> {
        Pijul::check_version(self)
    }
    fn fingerprint(&self) -> Option<[u8; 32]> {
        crate::tracker::pristine_fingerprint(&self.repo.join(self.kind.dot_dir()))
    }
    fn current_channel(&self) -> Result<String, VcsError> {
        Pijul::current_channel(self)
    }
    fn channel_log(&self) -> Result<ChannelLog, VcsError> {
        Pijul::channel_log(self)
    }
    fn log(&self) -> Result<Vec<ChangeInfo>, VcsError> {
        Pijul::log(self)
    }
    fn newest(&self, n: usize) -> Result<Vec<ChangeInfo>, VcsError> {
        Pijul::newest(self, n)
    }
    fn top(&self, n: usize) -> Result<Vec<(PatchId, Option<String>)>, VcsError> {
        Pijul::top(self, n)
    }
    fn changes_since(&self, since: Option<&str>) -> Result<Vec<ChangeInfo>, VcsError> {
        Pijul::changes_since(self, since)
    }
    fn record_with(
        &self,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<PatchId, VcsError> {
        Pijul::record_with(self, args, on_hash)
    }
    fn record_amend_with(
        &self,
        target: Option<&PatchId>,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<Amend, VcsError> {
        Pijul::record_amend_with(self, target, args, on_hash)
    }
    fn unrecord(&self, hash: &PatchId) -> Result<(), VcsError> {
        Pijul::unrecord(self, hash)
    }
    fn added_lines(&self, hash: &PatchId) -> Result<Vec<AddedLine>, VcsError> {
        Pijul::added_lines(self, hash)
    }
    fn dependencies(&self, hash: &PatchId) -> Result<Vec<PatchId>, VcsError> {
        Pijul::dependencies(self, hash)
    }
    fn change_summary(&self, hash: &PatchId) -> Result<ChangeSummary, VcsError> {
        Pijul::change_summary(self, hash)
    }
    fn working_stamp(&self, file: &Path) -> Option<[u8; 32]> {
        if self.kind != VcsKind::Pijul {
            // Atomic's `credit` is another program's: whether it reads the working file is
            // not checked here, so its answer is taken to depend on the file's bytes too.
            return crate::vcs::file_digest(&self.repo.join(file));
        }
        // `pijul credit` prints the channel's file, not the working copy's (an unrecorded
        // edit does not show), but fails when the working file is gone: only that is read.
        self.repo
            .join(file)
            .is_file()
            .then(|| *blake3::hash(b"attrib/pijul-credit-input/v1: a file").as_bytes())
    }
    fn tracked_files(&self) -> Result<Vec<PathBuf>, VcsError> {
        Pijul::tracked_files(self)
    }
    fn credit(&self, file: &Path) -> Result<Vec<CreditEntry>, VcsError> {
        Pijul::credit(self, file)
    }
    fn hashes_on(&self, channel: &str) -> Result<Vec<PatchId>, VcsError> {
        let args = ["log", "--channel", channel, "--hash-only"];
        let text = self.stdout(&args)?;
        text.split_whitespace()
            .map(|h| parse_hash(&self.shown(&args), h))
            .collect()
    }
}

/// The first non-empty line of a command's stderr, without Pijul's `Error: ` prefix.
pub fn first_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    line.strip_prefix("Error: ").unwrap_or(line).to_string()
}

pub(crate) fn looks_unknown(stderr: &str) -> bool {
    let s = stderr.to_ascii_lowercase();
    s.contains("not found") || s.contains("unknown") || s.contains("no change")
}

fn parse_hash(cmd: &str, text: &str) -> Result<PatchId, VcsError> {
    PatchId::new(text.trim()).map_err(|e| VcsError::Parse {
        cmd: cmd.to_string(),
        reason: format!("not a change hash: {e}"),
    })
}

/// Reads the `Hash: …` line `pijul record` prints; no such line means nothing was recorded.
pub fn parse_record_output(cmd: &str, stdout: &[u8], stderr: &[u8]) -> Result<PatchId, VcsError> {
    let stdout = String::from_utf8_lossy(stdout);
    if let Some(h) = stdout.lines().find_map(hash_line) {
        return parse_hash(cmd, h);
    }
    let stderr = String::from_utf8_lossy(stderr);
    if stderr.contains("Nothing to record") || stdout.contains("Nothing to record") {
        return Err(VcsError::NothingToRecord);
    }
    Err(VcsError::Parse {
        cmd: cmd.to_string(),
        reason: "no `Hash:` line in the output".to_string(),
    })
}

/// The hash text of a `Hash: …` line of `record`, or `None` for any other line.
fn hash_line(line: &str) -> Option<&str> {
    line.trim().strip_prefix("Hash:").map(str::trim)
}

/// Reads `record`'s stdout to its end, calling `on_hash` as soon as a `Hash:` line with a
/// well-formed hash has arrived. Returns every byte read.
fn read_until_hash(stdout: impl Read, on_hash: impl FnOnce(&PatchId)) -> std::io::Result<Vec<u8>> {
    let mut reader = BufReader::new(stdout);
    let mut bytes = Vec::new();
    let mut on_hash = Some(on_hash);
    loop {
        let start = bytes.len();
        if reader.read_until(b'\n', &mut bytes)? == 0 {
            return Ok(bytes);
        }
        let line = String::from_utf8_lossy(&bytes[start..]);
        // Only the first `Hash:` line counts, as in `parse_record_output`: so when the call
        // succeeds, `on_hash` has run.
        if let Some(h) = hash_line(&line) {
            if let (Some(call), Ok(hash)) = (on_hash.take(), PatchId::new(h)) {
                call(&hash);
            }
        }
    }
}

#[derive(Deserialize)]
struct RawLogEntry {
    hash: String,
    #[serde(default)]
    authors: Vec<String>,
    #[serde(default)]
    timestamp: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    state: Option<String>,
    /// Set on an Atomic tag, which `atomic log` lists among the changes (named by the state it
    /// tags, with no state of its own).
    #[serde(default)]
    consolidated_changes: Option<serde_json::Value>,
}

/// The entries of a JSON log, Atomic's tags left out: they are not changes.
fn log_entries(text: &str) -> serde_json::Result<Vec<RawLogEntry>> {
    let mut raw: Vec<RawLogEntry> = serde_json::from_str(text)?;
    raw.retain(|r| r.consolidated_changes.is_none());
    Ok(raw)
}

/// Parses `pijul log --output-format json` (newest first, as Pijul prints it).
pub fn parse_log(cmd: &str, text: &str) -> Result<Vec<ChangeInfo>, VcsError> {
    parse_log_with_state(cmd, text).map(|(_, changes)| changes)
}

/// Parses `pijul log --state --output-format json`: the newest entry's state (the channel's),
/// and the changes newest first.
pub fn parse_log_with_state(
    cmd: &str,
    text: &str,
) -> Result<(Option<String>, Vec<ChangeInfo>), VcsError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok((None, Vec::new()));
    }
    let raw = log_entries(text).map_err(|e| VcsError::Parse {
        cmd: cmd.to_string(),
        reason: e.to_string(),
    })?;
    let state = raw.first().and_then(|r| r.state.clone());
    Ok((state, changes_of(cmd, raw)?))
}

/// The changes of raw log entries, in the order given, root left out.
fn changes_of(cmd: &str, raw: Vec<RawLogEntry>) -> Result<Vec<ChangeInfo>, VcsError> {
    let mut out = Vec::with_capacity(raw.len());
    for r in raw {
        let hash = parse_hash(cmd, &r.hash)?;
        // The root change: `Hash::None` in old versions; since beta.26 a real change minted at
        // the first record, with no message and no author (a recorded change always has a
        // message: Pijul refuses to record one without).
        if is_root(&hash) || (r.message.is_empty() && r.authors.is_empty()) {
            continue;
        }
        out.push(ChangeInfo {
            hash,
            timestamp_ms: parse_timestamp_ms(&r.timestamp),
            timestamp: r.timestamp,
            message: r.message,
            authors: r.authors,
            description: r.description.filter(|d| !d.trim().is_empty()),
        });
    }
    Ok(out)
}

/// RFC 3339 (`2025-01-02T03:04:05.678Z`) to milliseconds since the epoch.
pub fn parse_timestamp_ms(text: &str) -> Option<u64> {
    let t = humantime::parse_rfc3339_weak(text.trim()).ok()?;
    let d = t.duration_since(UNIX_EPOCH).ok()?;
    u64::try_from(d.as_millis()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const H1: &str = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
    const H2: &str = "SXEYMYF7P4RZMZ46WPL4IZUTSQ2ATBWYZX7QNVDHBLHAKLTCBHHQC";

    /// A pipe whose writer prints `Hash: H1`, then waits (up to 5 s) for the reader to have
    /// called back before printing the rest and closing: a reader that waited for the end of
    /// the output would only call back after the timeout.
    #[test]
    fn the_hash_is_handed_over_before_the_output_ends() {
        use std::io::Write;
        use std::sync::mpsc;
        use std::time::Duration;
        let (rx, mut tx) = std::io::pipe().unwrap();
        let (called_tx, called_rx) = mpsc::channel::<PatchId>();
        let writer = std::thread::spawn(move || {
            writeln!(tx, "Hash: {H1}").unwrap();
            let early = called_rx.recv_timeout(Duration::from_secs(5));
            writeln!(tx, "Hash: {H2}\nmore output").unwrap();
            early
        });
        let bytes = read_until_hash(rx, |h| called_tx.send(h.clone()).unwrap()).unwrap();
        let early = writer.join().unwrap();
        assert_eq!(early.map(|h| h.to_string()).as_deref(), Ok(H1));
        // Everything was read (the callback, `FnOnce`, cannot run for the second hash).
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.ends_with("more output\n"), "{text}");
    }

    #[test]
    fn a_malformed_first_hash_is_not_handed_over() {
        let mut calls = 0;
        let out = format!("Hash: not a hash!\nHash: {H1}\n");
        read_until_hash(out.as_bytes(), |_| calls += 1).unwrap();
        assert_eq!(
            calls, 0,
            "the first Hash line decides, as in parse_record_output"
        );
        assert!(parse_record_output("pijul record", out.as_bytes(), b"").is_err());
    }

    #[test]
    fn record_output_yields_the_hash() {
        let out = format!("Hash: {H1}\n");
        assert_eq!(
            parse_record_output("pijul record", out.as_bytes(), b"")
                .unwrap()
                .as_str(),
            H1
        );
        assert!(matches!(
            parse_record_output("pijul record", b"", b"Nothing to record\n"),
            Err(VcsError::NothingToRecord)
        ));
        assert!(matches!(
            parse_record_output("pijul record", b"what\n", b""),
            Err(VcsError::Parse { .. })
        ));
        assert!(matches!(
            parse_record_output("pijul record", b"Hash: not a hash!\n", b""),
            Err(VcsError::Parse { .. })
        ));
    }

    #[test]
    fn log_json_parses_and_skips_the_root() {
        let text = format!(
            r#"[{{"hash":"{H2}","authors":["Ada (ada) <ada@example.org>"],"timestamp":"2025-01-02T03:04:05.678901Z","message":"second"}},
               {{"hash":"{H1}","authors":[],"timestamp":"2025-01-01T00:00:00Z","message":"first"}},
               {{"hash":"AA","authors":[],"timestamp":"1970-01-01T00:00:00Z","message":""}},
               {{"hash":"YMVN5MMCDFP5YOBYCGUJPWHERR6YTBJX4HUZTY76LKBLHPC2AODQC","authors":[],"timestamp":"2025-01-01T00:00:00Z","message":""}}]"#
        );
        let log = parse_log("pijul log", &text).unwrap();
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].hash.as_str(), H2);
        assert_eq!(log[0].message, "second");
        assert_eq!(log[0].authors, vec!["Ada (ada) <ada@example.org>"]);
        assert_eq!(log[0].timestamp_ms, Some(1_735_787_045_678));
        assert_eq!(log[1].timestamp_ms, Some(1_735_689_600_000));
        assert!(parse_log("pijul log", "").unwrap().is_empty());
        assert!(parse_log("pijul log", "[]").unwrap().is_empty());
        assert!(matches!(
            parse_log("pijul log", "{oops"),
            Err(VcsError::Parse { .. })
        ));
    }

    #[test]
    fn credit_json_parses_and_the_earliest_change_owns_a_line() {
        let text = format!(
            r#"[{{"type":"line","startLine":1,"lineCount":1,"changes":["{H2}","{H1}"],"content":"a\n"}},
               {{"type":"conflict","marker":"start","id":0,"sides":["{H1}"]}},
               {{"type":"line","startLine":2,"lineCount":2,"changes":["{H2}"],"conflict":0,"content":"b\nc\n"}}]"#
        );
        let entries: Vec<CreditEntry> = serde_json::from_str(&text).unwrap();
        assert_eq!(entries.len(), 3);
        let positions: HashMap<PatchId, usize> = [
            (PatchId::new(H1).unwrap(), 0),
            (PatchId::new(H2).unwrap(), 1),
        ]
        .into_iter()
        .collect();
        assert_eq!(entries[0].inserter(&positions).unwrap().as_str(), H1);
        assert_eq!(entries[1].inserter(&positions), None);
        assert_eq!(entries[2].inserter(&positions).unwrap().as_str(), H2);
    }

    #[test]
    fn added_lines_carry_their_recorded_line_numbers() {
        let text = r#"message = "x"

# Hunks

1. File addition: "g.rs" in "src" "UTF-8"
  up 2.1, new 5:30
+ fn a() {}
+

2. Edit in "f":2 3.1 "UTF-8"
  up 2.69, new 0:5, down 2.69
+ NEW1

3. Replacement in "f":5 3.1 "UTF-8"
- old
+ NEW2
+ NEW3
"#;
        let lines = parse_added_lines(text);
        let got: Vec<(&str, u32, &str)> = lines
            .iter()
            .map(|l| (l.file.as_str(), l.line, l.text.as_str()))
            .collect();
        assert_eq!(
            got,
            vec![
                ("src/g.rs", 1, "fn a() {}"),
                ("src/g.rs", 2, ""),
                ("f", 2, "NEW1"),
                ("f", 5, "NEW2"),
                ("f", 6, "NEW3"),
            ]
        );
        assert!(parse_added_lines("no hunks here\n+ x\n").is_empty());
    }

    #[test]
    fn change_summaries_name_every_file_a_hunk_touches() {
        let text = r#"message = "x"

# Dependencies
[2] MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC # one

# Hunks

1. Edit in "src/f.txt":2 3.18 "UTF-8"
B:BD 3.21 -> 3.21:23/3
- b

2. Replacement in "src/f.txt":5 3.1 "UTF-8"
- old
+ NEW

3. File addition: "k.txt" in "" "UTF-8"
  up 2.1, new 5:34
+ y

4. File addition: "g \"q\".rs" in "src" "UTF-8"
  up 2.1, new 35:40

5. File deletion: "old.txt" 4.1 "UTF-8"
- y
"#;
        let s = parse_change_summary(text);
        assert_eq!(
            s.touched.as_deref(),
            Some(
                &[
                    "src/f.txt".to_string(),
                    "k.txt".to_string(),
                    "src/g \"q\".rs".to_string(),
                    "old.txt".to_string()
                ][..]
            )
        );
        assert_eq!(s.added, parse_added_lines(text));
        // A move (a path and a new name) or a kind not read here: every file, then.
        let moved = format!("{text}\n6. Moved: \"g.txt\" \"h.txt\"  2.1\nup 2.1, down 3.59\n");
        assert_eq!(parse_change_summary(&moved).touched, None);
        let unknown = format!("{text}\n6. Solving a name conflict in \"a\" 2.1: x\n");
        assert_eq!(parse_change_summary(&unknown).touched, None);
        // No hunks: nothing touched.
        assert_eq!(
            parse_change_summary("message = \"m\"\n").touched,
            Some(Vec::new())
        );
    }

    #[test]
    fn added_lines_past_the_last_line_number_do_not_overflow() {
        // Found with the fuzz target (fuzz/corpus/pijul_change/regression-line-overflow): a
        // hunk that starts at u32::MAX and adds lines panicked on the overflow in debug builds.
        let text = "# Hunks\n\n1. Edit in \"a.txt\":4294967295 2.0 \"UTF-8\"\n+ x\n+\n+ y\n";
        let lines: Vec<u32> = parse_added_lines(text).iter().map(|l| l.line).collect();
        assert_eq!(lines, [u32::MAX; 3]);
    }

    #[test]
    fn stderr_first_line_drops_the_prefix() {
        assert_eq!(first_line("\n  Error: boom\nmore"), "boom");
        assert_eq!(first_line(""), "");
    }

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let p = Pijul::new(".").with_binary("attrib-no-such-pijul-binary");
        let err = p.check_version().unwrap_err();
        assert!(matches!(err, VcsError::Missing { .. }), "{err}");
        assert!(err.to_string().contains("cargo install pijul"));
    }

    #[test]
    fn a_wrong_version_is_refused() {
        // `echo --version` prints either "--version" or coreutils' version: not 1.0.0-beta.x.
        let p = Pijul::new(".").with_binary("echo");
        let err = p.check_version().unwrap_err();
        assert!(matches!(err, VcsError::WrongVersion { .. }), "{err}");
        assert!(p.accept_versions(None).check_version().is_ok());
    }
}
