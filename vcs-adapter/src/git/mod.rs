//! The git driver: runs the `git` binary in a repository and names each commit by its stable
//! patch id (`git patch-id --stable` of its diff), so a rebase or a cherry-pick keeps the name
//! a commit's attestation is keyed by.
//!
//! What git's notions become here:
//! - **a change** is a commit on the checked-out branch (everything reachable from HEAD), oldest
//!   first in topological order;
//! - **its id** is the commit's stable patch id, 40 hex characters (64 in a SHA-256
//!   repository), computed in-process exactly as `git patch-id --stable` computes it from
//!   `git diff-tree -p --root --full-index` (see `patch_id.rs` and `tests/git.rs`). A merge
//!   commit, or a commit whose diff is empty, has no patch id: its **commit id** names it
//!   instead. A shallow clone's boundary commit has no parent to diff against, so its id is
//!   that of its whole tree (it changes if the clone is deepened; the cache knows);
//! - **the channel** is the checked-out branch's name, or `HEAD` on a detached HEAD; **its
//!   state** is HEAD's commit id, `None` before the first commit;
//! - **record** is `git commit ARGS…`, **amend** `git commit --amend ARGS…` (HEAD only), and
//!   **unrecord** takes HEAD's commit off the branch, leaving its edits staged (`git reset
//!   --soft`); deeper history is git's business (`git rebase`);
//! - **credit** is `git blame --porcelain` of the working file.
//!
//! Commit → patch id answers are kept in a map (in memory, and with
//! [`Git::with_cache_dir`] in [`CACHE_FILE`]) and computed for every unknown commit of a call at
//! once, by one `git diff-tree --stdin` process: reading a history of thousands of commits
//! costs one process, once.
//!
//! Every call runs one `git` process (a few for amend and unrecord) with `GIT_PAGER=cat`,
//! `PAGER=cat`, `LC_ALL=C`, `GIT_TERMINAL_PROMPT=0`, colour off, stdin closed and, for reads,
//! `GIT_OPTIONAL_LOCKS=0`; `git commit` also gets `GIT_EDITOR=:` (nothing may wait on an editor
//! that has no terminal: pass `-m`). A failure is one [`VcsError`] naming the command and the
//! first line of git's stderr.

mod blame;
mod diff;
mod log;
mod map;
mod patch_id;
mod record;
mod refs;
mod run;
mod sha;

use std::collections::{HashMap, HashSet};
use std::ffi::{OsStr, OsString};
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use attrib_overlay::PatchId;

use crate::error::VcsError;
use crate::pijul::{AddedLine, Amend, ChangeInfo, ChannelLog, CreditEntry};
use crate::vcs::{Vcs, VcsKind};

pub use map::{CACHE_FILE, JOURNAL_FILE};

use log::{RawCommit, LOG_ARGS};
use map::{Entry, PatchMap};
use patch_id::{CommitSplitter, StablePatchId, DIFF_ARGS, DIFF_CONFIG};
use refs::{GitDirs, Head};
use run::Access;
use sha::{is_object_id, Algo};

/// The oldest git this driver accepts (major, minor): 2.25 has every option it passes.
pub const MIN_VERSION: (u32, u32) = (2, 25);

/// How many of the newest commits are looked at first when a patch id is searched on HEAD
/// (the commit just recorded, amended or unrecorded is almost always among them).
const FIRST_LOOK: usize = 16;

/// A driver for one git repository.
#[derive(Clone, Debug)]
pub struct Git {
    bin: OsString,
    repo: PathBuf,
    /// Where the commit → patch-id map is kept between runs (beside attrib's store), if anywhere.
    cache: Option<PathBuf>,
    env: Vec<(OsString, OsString)>,
    /// The commit → patch-id map, shared by this driver's clones.
    map: Arc<PatchMap>,
}

impl Git {
    /// A driver for the repository whose root is `repo`, running `git` from PATH.
    pub fn new(repo: impl Into<PathBuf>) -> Self {
        Git {
            bin: VcsKind::Git.default_binary().into(),
            repo: repo.into(),
            cache: None,
            env: Vec::new(),
            map: Arc::new(PatchMap::new(None)),
        }
    }

    /// Runs another `git` binary (a name on PATH or a path).
    pub fn with_binary(mut self, bin: impl Into<OsString>) -> Self {
        self.bin = bin.into();
        self
    }

    /// Keeps the commit → patch-id map in `dir` between runs ([`CACHE_FILE`], and
    /// [`JOURNAL_FILE`] for the commits recorded since). Written best effort: a directory that
    /// cannot be written only costs recomputing.
    pub fn with_cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        let dir = dir.into();
        self.map = Arc::new(PatchMap::new(Some(dir.clone())));
        self.cache = Some(dir);
        self
    }

    /// Sets an environment variable for every call (e.g. `HOME`, `GIT_AUTHOR_NAME`).
    pub fn with_env(mut self, key: impl Into<OsString>, value: impl Into<OsString>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// The directory the map is kept in, if any.
    pub fn cache_dir(&self) -> Option<&Path> {
        self.cache.as_deref()
    }

    /// The version `git --version` reports (`git version 2.47.3` → `2.47.3`).
    pub fn version(&self) -> Result<String, VcsError> {
        let out = self.run(&[], &["--version"], Access::Read)?;
        let text = String::from_utf8_lossy(&out.stdout);
        text.split_whitespace()
            .nth(2)
            .map(str::to_string)
            .ok_or_else(|| VcsError::Parse {
                cmd: format!("{} --version", self.binary_name()),
                reason: format!("unexpected output {:?}", text.trim()),
            })
    }

    /// The patch id of each of `commits` (full commit ids), computing those not known yet in
    /// one `git diff-tree --stdin` batch. The answer is keyed by the ids as given.
    pub fn patch_ids(&self, commits: &[String]) -> Result<HashMap<String, PatchId>, VcsError> {
        let dirs = GitDirs::locate(&self.repo);
        let shallow = || dirs.as_ref().map(GitDirs::shallow).unwrap_or_default();
        let mut inner = self.map.lock(&shallow);
        let mut out = HashMap::with_capacity(commits.len());
        let mut unknown = Vec::new();
        let mut asked = HashSet::new();
        for c in commits {
            let key = c.to_ascii_lowercase();
            if !is_object_id(&key) {
                return Err(VcsError::UnknownChange(c.clone()));
            }
            match inner.get(&key) {
                Some(e) => {
                    out.insert(c.clone(), e.patch.clone());
                }
                None => {
                    if asked.insert(key.clone()) {
                        unknown.push(key);
                    }
                }
            }
        }
        if unknown.is_empty() {
            return Ok(out);
        }
        let (shown, computed) = self.compute_patch_ids(&unknown)?;
        let boundary = shallow();
        let mut found: HashMap<String, Entry> = HashMap::with_capacity(computed.len());
        for (commit, id) in computed {
            let patch = patch_id_or_commit(&shown, id, &commit)?;
            let shallow = boundary.contains(&commit);
            found.insert(commit, Entry { patch, shallow });
        }
        for c in commits {
            if out.contains_key(c) {
                continue;
            }
            let entry = found
                .get(&c.to_ascii_lowercase())
                .ok_or_else(|| VcsError::Parse {
                    cmd: shown.clone(),
                    reason: format!("nothing was printed for commit {c}"),
                })?;
            out.insert(c.clone(), entry.patch.clone());
        }
        self.map
            .insert_batch(&mut inner, found.into_iter().collect());
        Ok(out)
    }

    /// The newest commit reachable from HEAD whose patch id is `patch`, if any.
    pub fn commit_of(&self, patch: &PatchId) -> Result<Option<String>, VcsError> {
        Ok(self.find_on_head(patch)?.map(|f| f.commit))
    }

    /// The patch id of the combined diff `git diff FIRST^ LAST` — what a squash of the commits
    /// `FIRST..=LAST` would be named. `first` may be a root commit (its diff then starts from
    /// the empty tree). `None` when the combined diff is empty.
    pub fn combined_patch_id(&self, first: &str, last: &str) -> Result<Option<PatchId>, VcsError> {
        for rev in [first, last] {
            if rev.is_empty() || rev.starts_with('-') {
                return Err(VcsError::UnknownChange(rev.to_string()));
            }
        }
        let (first_full, parents) = self.commit_with_parents(first)?;
        let algo = Algo::from_hex_len(first_full.len()).ok_or_else(|| VcsError::Parse {
            cmd: "git rev-list".into(),
            reason: format!("{first_full:?} is not a commit id"),
        })?;
        let base = match parents.first() {
            Some(p) => p.clone(),
            None => empty_tree(algo).to_string(),
        };
        let mut args: Vec<&str> = vec!["diff-tree"];
        args.extend_from_slice(DIFF_ARGS);
        args.extend_from_slice(&[base.as_str(), last]);
        let mut id = StablePatchId::new(algo);
        let shown = format!("{} diff-tree {base} {last}", self.binary_name());
        self.stream(DIFF_CONFIG, &args, b"", &mut |l| id.line(l))
            .map_err(|e| unknown_revision(e, last))?;
        id.finish()
            .map(|hex| PatchId::new(&hex))
            .transpose()
            .map_err(|e| VcsError::Parse {
                cmd: shown,
                reason: e.to_string(),
            })
    }

    /// Runs one `git diff-tree --stdin` over `commits`: each commit with its patch id (`None`
    /// for an empty diff), and the command as shown in messages.
    fn compute_patch_ids(&self, commits: &[String]) -> Result<(String, Computed), VcsError> {
        let mut input = Vec::with_capacity(commits.len() * 41);
        for c in commits {
            input.extend_from_slice(c.as_bytes());
            input.push(b'\n');
        }
        let mut args: Vec<&str> = vec!["diff-tree", "--stdin", "--always"];
        args.extend_from_slice(DIFF_ARGS);
        let mut split = CommitSplitter::default();
        self.stream(DIFF_CONFIG, &args, &input, &mut |l| split.line(l))?;
        let shown = format!("{} diff-tree --stdin -p --root", self.binary_name());
        Ok((shown, split.finish()))
    }

    /// HEAD's commit id, `None` before the first commit: from the files when they say, else
    /// `git rev-parse`.
    fn head_commit(&self) -> Result<Option<String>, VcsError> {
        match GitDirs::locate(&self.repo).and_then(|d| refs::read_head(&d)) {
            Some(Head::Detached(c)) => return Ok(Some(c)),
            Some(Head::Branch { commit, .. }) => return Ok(commit),
            None => {}
        }
        let (shown, out) = self.run_raw(
            &[],
            &["rev-parse", "-q", "--verify", "HEAD^{commit}"],
            Access::Read,
        )?;
        if out.status.success() {
            let id = String::from_utf8_lossy(&out.stdout)
                .trim()
                .to_ascii_lowercase();
            return if is_object_id(&id) {
                Ok(Some(id))
            } else {
                Err(VcsError::Parse {
                    cmd: shown,
                    reason: format!("{id:?} is not a commit id"),
                })
            };
        }
        // `-q --verify` fails silently exactly when HEAD names no commit yet.
        if out.status.code() == Some(1) && out.stderr.is_empty() {
            return Ok(None);
        }
        Err(self.classify(&shown, &out))
    }

    /// The branch HEAD is on (`refs/heads/main`), `None` on a detached HEAD.
    fn branch(&self) -> Result<Option<String>, VcsError> {
        match GitDirs::locate(&self.repo).and_then(|d| refs::read_head(&d)) {
            Some(Head::Branch { name, .. }) => return Ok(Some(name)),
            Some(Head::Detached(_)) => return Ok(None),
            None => {}
        }
        let (shown, out) = self.run_raw(&[], &["symbolic-ref", "-q", "HEAD"], Access::Read)?;
        if out.status.success() {
            let name = String::from_utf8_lossy(&out.stdout).trim().to_string();
            return Ok(Some(name));
        }
        if out.status.code() == Some(1) {
            return Ok(None);
        }
        Err(self.classify(&shown, &out))
    }

    /// True when the files say HEAD's branch has no commit yet.
    fn known_unborn(&self) -> bool {
        matches!(
            GitDirs::locate(&self.repo).and_then(|d| refs::read_head(&d)),
            Some(Head::Branch { commit: None, .. })
        )
    }

    /// `git log` in [`log::FORMAT`] with `extra` options, of `range` (HEAD when `None`). An
    /// empty list before the first commit.
    fn read_log(&self, extra: &[&str], range: Option<&str>) -> Result<Vec<RawCommit>, VcsError> {
        if range.is_none() && self.known_unborn() {
            return Ok(Vec::new());
        }
        let mut args: Vec<&str> = LOG_ARGS.to_vec();
        args.extend_from_slice(extra);
        if let Some(r) = range {
            args.extend_from_slice(&[r, "--"]);
        }
        let (shown, out) = self.run_raw(&[], &args, Access::Read)?;
        if !out.status.success() {
            let stderr = String::from_utf8_lossy(&out.stderr);
            if range.is_none() && log::is_unborn_error(&stderr) {
                return Ok(Vec::new());
            }
            return Err(self.classify(&shown, &out));
        }
        log::parse_log(&shown, &out.stdout)
    }

    /// The changes of `commits`, in the order given.
    fn changes_of(&self, commits: &[RawCommit]) -> Result<Vec<ChangeInfo>, VcsError> {
        let ids: Vec<String> = commits.iter().map(|c| c.commit.clone()).collect();
        let patches = self.patch_ids(&ids)?;
        commits
            .iter()
            .map(|c| {
                let patch = patches
                    .get(&c.commit)
                    .cloned()
                    .ok_or_else(|| VcsError::UnknownChange(c.commit.clone()))?;
                Ok(c.change(patch))
            })
            .collect()
    }

    /// The newest commit on HEAD carrying `patch`: how far below HEAD it is, and its parents.
    /// The newest [`FIRST_LOOK`] commits are looked at first, then the rest of the history.
    fn find_on_head(&self, patch: &PatchId) -> Result<Option<Found>, VcsError> {
        let Some(head) = self.head_commit()? else {
            return Ok(None);
        };
        let first = FIRST_LOOK.to_string();
        let skip = format!("--skip={FIRST_LOOK}");
        let looks: [Vec<&str>; 2] = [
            vec!["rev-list", "--parents", "--max-count", &first, &head],
            vec!["rev-list", "--parents", &skip, &head],
        ];
        for (round, args) in looks.iter().enumerate() {
            let out = self.run(&[], args, Access::Read)?;
            let text = String::from_utf8_lossy(&out.stdout);
            let rows: Vec<Vec<String>> = text
                .lines()
                .map(|l| l.split_whitespace().map(str::to_ascii_lowercase).collect())
                .filter(|r: &Vec<String>| !r.is_empty())
                .collect();
            let commits: Vec<String> = rows.iter().map(|r| r[0].clone()).collect();
            let ids = self.patch_ids(&commits)?;
            for (i, row) in rows.iter().enumerate() {
                if ids.get(&row[0]) == Some(patch) {
                    return Ok(Some(Found {
                        depth: round * FIRST_LOOK + i,
                        commit: row[0].clone(),
                        parents: row[1..].to_vec(),
                    }));
                }
            }
            if rows.len() < FIRST_LOOK {
                break;
            }
        }
        Ok(None)
    }

    /// A commit carrying `patch`: the newest on HEAD, else any the map knows (a commit that
    /// left the branch, e.g. the one an amend replaced).
    fn resolve(&self, patch: &PatchId) -> Result<String, VcsError> {
        // The change just recorded, the usual question: no walk of the history.
        if let Some(head) = self.head_commit()? {
            let ids = self.patch_ids(std::slice::from_ref(&head))?;
            if ids.get(&head) == Some(patch) {
                return Ok(head);
            }
        }
        if let Some(found) = self.find_on_head(patch)? {
            return Ok(found.commit);
        }
        let dirs = GitDirs::locate(&self.repo);
        let shallow = || dirs.as_ref().map(GitDirs::shallow).unwrap_or_default();
        let inner = self.map.lock(&shallow);
        let mut known: Vec<&str> = inner.commits_of(patch).collect();
        known.sort_unstable();
        known
            .first()
            .map(|c| c.to_string())
            .ok_or_else(|| VcsError::UnknownChange(patch.to_string()))
    }

    /// The full id and parents of the commit `rev` names (`git rev-list --parents -n 1`).
    fn commit_with_parents(&self, rev: &str) -> Result<(String, Vec<String>), VcsError> {
        let args = ["rev-list", "--parents", "-n", "1", rev, "--"];
        let out = self
            .run(&[], &args, Access::Read)
            .map_err(|e| unknown_revision(e, rev))?;
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        let mut words = text.split_whitespace().map(str::to_string);
        let commit = words
            .next()
            .filter(|c| is_object_id(c))
            .ok_or_else(|| VcsError::UnknownChange(rev.to_string()))?;
        Ok((commit, words.collect()))
    }
}

impl Git {
    /// Which of `departed` the commit named `new` squashes (see [`Vcs::squashed_into`]): the
    /// departed commits are found in the map (it remembers commits that left the branch), put
    /// in their ancestry order with one `git rev-list --no-walk --parents`, and every run of
    /// two or more consecutive ones is compared with `new` by the patch id of its combined
    /// diff, longest runs first.
    fn squash_run(&self, new: &PatchId, departed: &[PatchId]) -> Result<Vec<PatchId>, VcsError> {
        /// More than this many departed commits are not searched (a big history rewrite).
        const MAX_DEPARTED: usize = 16;
        let commits: Vec<(String, PatchId)> = {
            let dirs = GitDirs::locate(&self.repo);
            let shallow = || dirs.as_ref().map(GitDirs::shallow).unwrap_or_default();
            let inner = self.map.lock(&shallow);
            departed
                .iter()
                .filter_map(|p| {
                    inner
                        .commits_of(p)
                        .next()
                        .map(|c| (c.to_string(), p.clone()))
                })
                .collect()
        };
        if commits.len() < 2 || commits.len() > MAX_DEPARTED {
            return Ok(Vec::new());
        }
        let mut args: Vec<&str> = vec!["rev-list", "--no-walk=unsorted", "--parents"];
        args.extend(commits.iter().map(|(c, _)| c.as_str()));
        args.push("--");
        let out = self.run(&[], &args, Access::Read)?;
        let text = String::from_utf8_lossy(&out.stdout).to_ascii_lowercase();
        let parent: HashMap<String, String> = text
            .lines()
            .filter_map(|l| {
                let mut words = l.split_whitespace();
                Some((words.next()?.to_string(), words.next()?.to_string()))
            })
            .collect();
        // The chain: start at the commit whose parent is not departed, follow children.
        let child: HashMap<&str, &str> = parent
            .iter()
            .map(|(c, p)| (p.as_str(), c.as_str()))
            .collect();
        let is_departed = |c: &str| commits.iter().any(|(d, _)| d == c);
        let Some(mut at) = commits
            .iter()
            .map(|(c, _)| c.as_str())
            .find(|c| parent.get(*c).is_none_or(|p| !is_departed(p)))
        else {
            return Ok(Vec::new());
        };
        let mut chain = vec![at];
        while let Some(next) = child.get(at).filter(|c| is_departed(c)) {
            chain.push(next);
            at = next;
        }
        for len in (2..=chain.len()).rev() {
            for start in 0..=chain.len() - len {
                let run = &chain[start..start + len];
                if self.combined_patch_id(run[0], run[len - 1])?.as_ref() == Some(new) {
                    return Ok(run
                        .iter()
                        .filter_map(|c| commits.iter().find(|(d, _)| d == c))
                        .map(|(_, p)| p.clone())
                        .collect());
                }
            }
        }
        Ok(Vec::new())
    }
}

/// Commits with their patch ids as [`CommitSplitter`] gives them (`None`: an empty diff).
type Computed = Vec<(String, Option<String>)>;

/// A commit found on HEAD by [`Git::find_on_head`].
struct Found {
    /// 0 for HEAD itself.
    depth: usize,
    commit: String,
    parents: Vec<String>,
}

/// The id a commit goes by: its patch id, or its own id when its diff is empty.
fn patch_id_or_commit(cmd: &str, id: Option<String>, commit: &str) -> Result<PatchId, VcsError> {
    let text = id.as_deref().unwrap_or(commit);
    PatchId::new(text).map_err(|e| VcsError::Parse {
        cmd: cmd.to_string(),
        reason: e.to_string(),
    })
}

/// git's empty tree, which every repository knows without storing it.
fn empty_tree(algo: Algo) -> &'static str {
    match algo {
        Algo::Sha1 => "4b825dc642cb6eb9a060e54bf8d69288fbee4904",
        Algo::Sha256 => "6ef19b41225c5369f1c104d45d8d85efa9b057b53b14b4b9b939dd74decc5321",
    }
}

/// A failure to find `rev` as [`VcsError::UnknownChange`]; any other failure as it is.
fn unknown_revision(e: VcsError, rev: &str) -> VcsError {
    match &e {
        VcsError::Failed { stderr, .. }
            if [
                "bad revision",
                "unknown revision",
                "bad object",
                "Invalid revision",
                "not a valid",
            ]
            .iter()
            .any(|m| stderr.contains(m)) =>
        {
            VcsError::UnknownChange(rev.to_string())
        }
        _ => e,
    }
}

/// True when `file`'s last byte is a newline (or it cannot be read: the usual case).
fn ends_with_newline(file: &Path) -> bool {
    let Ok(mut f) = std::fs::File::open(file) else {
        return true;
    };
    if f.seek(SeekFrom::End(-1)).is_err() {
        return true;
    }
    let mut last = [0u8; 1];
    f.read_exact(&mut last).map_or(true, |()| last[0] == b'\n')
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

impl Vcs for Git {
    fn squashed_into(&self, new: &PatchId, departed: &[PatchId]) -> Result<Vec<PatchId>, VcsError> {
        self.squash_run(new, departed)
    }

    fn resolve_state(&self, revision: &str) -> Result<Option<String>, VcsError> {
        if revision.is_empty() || revision.starts_with('-') {
            return Ok(None);
        }
        let spec = format!("{revision}^{{commit}}");
        let args = ["rev-parse", "--verify", "--quiet", spec.as_str()];
        let (_, out) = self.run_raw(&[], &args, Access::Read)?;
        let commit = String::from_utf8_lossy(&out.stdout)
            .trim()
            .to_ascii_lowercase();
        Ok((out.status.success() && is_object_id(&commit)).then_some(commit))
    }

    fn kind(&self) -> VcsKind {
        VcsKind::Git
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
        let version = self.version()?;
        let mut parts = version.split('.').map(|p| {
            p.chars()
                .take_while(char::is_ascii_digit)
                .collect::<String>()
                .parse::<u32>()
                .ok()
        });
        let found = (parts.next().flatten(), parts.next().flatten());
        match found {
            (Some(major), Some(minor)) if (major, minor) >= MIN_VERSION => Ok(version),
            _ => Err(VcsError::WrongVersion {
                bin: self.binary_name(),
                found: version,
                wanted: format!("git {}.{} or newer", MIN_VERSION.0, MIN_VERSION.1),
            }),
        }
    }

    /// blake3 over `HEAD`, the loose ref it names (else its `packed-refs` line): no process.
    fn fingerprint(&self) -> Option<[u8; 32]> {
        refs::fingerprint(&self.repo)
    }

    fn current_channel(&self) -> Result<String, VcsError> {
        Ok(match self.branch()? {
            Some(name) => name
                .strip_prefix("refs/heads/")
                .map(str::to_string)
                .unwrap_or(name),
            None => "HEAD".to_string(),
        })
    }

    fn channel_log(&self) -> Result<ChannelLog, VcsError> {
        let commits = self.read_log(&["--reverse", "--topo-order"], None)?;
        let changes = self.changes_of(&commits)?;
        Ok(ChannelLog {
            state: commits.last().map(|c| c.commit.clone()),
            changes,
        })
    }

    /// `git log -n N`, newest first. Without `--topo-order` git streams the newest commits
    /// without walking the whole history; the order is the commit dates', which is the
    /// channel's except around merges of concurrent lines.
    fn newest(&self, n: usize) -> Result<Vec<ChangeInfo>, VcsError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let limit = format!("--max-count={n}");
        let commits = self.read_log(&[&limit], None)?;
        self.changes_of(&commits)
    }

    /// The `n` newest commits (as [`Vcs::newest`] orders them), each with its own id as the
    /// state after it.
    fn top(&self, n: usize) -> Result<Vec<(PatchId, Option<String>)>, VcsError> {
        if n == 0 {
            return Ok(Vec::new());
        }
        let limit = format!("--max-count={n}");
        let commits = self.read_log(&[&limit], None)?;
        let ids: Vec<String> = commits.iter().map(|c| c.commit.clone()).collect();
        let patches = self.patch_ids(&ids)?;
        ids.into_iter()
            .map(|c| {
                let p = patches
                    .get(&c)
                    .cloned()
                    .ok_or_else(|| VcsError::UnknownChange(c.clone()))?;
                Ok((p, Some(c)))
            })
            .collect()
    }

    fn state(&self) -> Result<Option<String>, VcsError> {
        self.head_commit()
    }

    /// The commits in `since..HEAD`, oldest first. `since` must be a state this driver gave
    /// (a full commit id) and an ancestor of HEAD, else [`VcsError::UnknownChange`].
    fn changes_since(&self, since: Option<&str>) -> Result<Vec<ChangeInfo>, VcsError> {
        let Some(since) = since else {
            return Ok(self.channel_log()?.changes);
        };
        let unknown = || VcsError::UnknownChange(format!("(state {since})"));
        let since_id = since.to_ascii_lowercase();
        if !is_object_id(&since_id) || self.known_unborn() {
            return Err(unknown());
        }
        let range = format!("{since_id}..HEAD");
        let commits = self
            .read_log(&["--reverse", "--topo-order"], Some(&range))
            .map_err(|e| match unknown_revision(e, since) {
                VcsError::UnknownChange(_) => unknown(),
                other => other,
            })?;
        // `since` is an ancestor of HEAD exactly when it is HEAD or the parent of a commit in
        // the range: otherwise the branch was rewritten and `since` is not on it any more.
        let on_branch = if commits.is_empty() {
            self.head_commit()?.as_deref() == Some(since_id.as_str())
        } else {
            commits.iter().any(|c| c.parents.contains(&since_id))
        };
        if !on_branch {
            return Err(unknown());
        }
        self.changes_of(&commits)
    }

    /// `git commit ARGS…`; the new commit is named by one `git diff-tree`, started before the
    /// commit so that its start-up overlaps it.
    fn record_with(
        &self,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<PatchId, VcsError> {
        self.record(args, on_hash)
    }

    /// `git commit --amend ARGS…` (with `--no-edit` unless the arguments choose the message).
    /// git can only amend HEAD: `target` must be `None` or HEAD's patch id.
    fn record_amend_with(
        &self,
        target: Option<&PatchId>,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<Amend, VcsError> {
        self.amend(target, args, on_hash)
    }

    /// Takes HEAD's commit off the branch, keeping its edits staged (as `git reset --soft
    /// HEAD~1`); a commit further down is refused (that is `git rebase`'s job).
    fn unrecord(&self, hash: &PatchId) -> Result<(), VcsError> {
        self.take_off(hash)
    }

    /// The `+` lines of the commit's `-U0` diff against its first parent (a merge adds none).
    fn added_lines(&self, hash: &PatchId) -> Result<Vec<AddedLine>, VcsError> {
        let commit = self.resolve(hash)?;
        let args = [
            "diff-tree",
            "-p",
            "--root",
            "--no-commit-id",
            "--unified=0",
            "--no-renames",
            "--no-color",
            "--no-ext-diff",
            "--no-textconv",
            "--src-prefix=a/",
            "--dst-prefix=b/",
            &commit,
            "--",
        ];
        let out = self
            .run(&["core.quotePath=true"], &args, Access::Read)
            .map_err(|e| match unknown_revision(e, hash.as_str()) {
                VcsError::UnknownChange(_) => VcsError::UnknownChange(hash.to_string()),
                other => other,
            })?;
        Ok(diff::parse_added_lines(&out.stdout))
    }

    /// The patch ids of the commit's parents (none for a root or a shallow boundary).
    fn dependencies(&self, hash: &PatchId) -> Result<Vec<PatchId>, VcsError> {
        let parents = match self.find_on_head(hash)? {
            Some(found) => found.parents,
            None => {
                let commit = self.resolve(hash)?;
                self.commit_with_parents(&commit)
                    .map_err(|e| match e {
                        VcsError::UnknownChange(_) => VcsError::UnknownChange(hash.to_string()),
                        other => other,
                    })?
                    .1
            }
        };
        let ids = self.patch_ids(&parents)?;
        let mut out: Vec<PatchId> = Vec::with_capacity(parents.len());
        for p in &parents {
            if let Some(id) = ids.get(p) {
                if !out.contains(id) {
                    out.push(id.clone());
                }
            }
        }
        Ok(out)
    }

    fn tracked_files(&self) -> Result<Vec<PathBuf>, VcsError> {
        let out = self.run(&[], &["ls-files", "-z"], Access::Read)?;
        Ok(out
            .stdout
            .split(|&b| b == 0)
            .filter(|p| !p.is_empty())
            .map(path_of)
            .filter(|p| self.repo.join(p).is_file())
            .collect())
    }

    /// `git blame --porcelain -- FILE` (the working file, so uncommitted lines show, with no
    /// change), every named commit's patch id filled in one batch.
    fn credit(&self, file: &Path) -> Result<Vec<CreditEntry>, VcsError> {
        let args: Vec<&OsStr> = vec![
            OsStr::new("blame"),
            OsStr::new("--porcelain"),
            OsStr::new("--no-ignore-revs-file"),
            OsStr::new("--"),
            file.as_os_str(),
        ];
        let out = self.run(&[], &args, Access::Read)?;
        let shown = format!(
            "{} blame --porcelain -- {}",
            self.binary_name(),
            file.display()
        );
        let lines = blame::parse_porcelain(&shown, &out.stdout)?;
        let mut commits: Vec<String> = lines
            .iter()
            .filter(|l| !blame::is_uncommitted(&l.commit))
            .map(|l| l.commit.clone())
            .collect();
        commits.sort_unstable();
        commits.dedup();
        let patches = self.patch_ids(&commits)?;
        let newline = ends_with_newline(&self.repo.join(file));
        Ok(blame::credit_entries(&lines, &patches, newline))
    }
}

/// The readers of git's output on bytes from outside, for the fuzz targets (`fuzz/`); not an API.
#[doc(hidden)]
pub mod fuzzing {
    use super::*;

    /// `git blame --porcelain` output as [`Vcs::credit`] reads it (no patch ids known).
    pub fn blame(out: &[u8]) -> Result<Vec<CreditEntry>, VcsError> {
        blame::parse_porcelain("git blame", out)
            .map(|l| blame::credit_entries(&l, &HashMap::new(), true))
    }

    /// `git log -z` output read into commits, each as the change it becomes.
    pub fn log(out: &[u8]) -> Result<Vec<ChangeInfo>, VcsError> {
        let commits = log::parse_log("git log", out)?;
        commits
            .iter()
            .map(|c| patch_id_or_commit("git log", None, &c.commit).map(|p| c.change(p)))
            .collect()
    }

    /// A `-U0` diff's added lines, and `git diff-tree` output split into commits' patch ids.
    pub fn diff(out: &[u8]) -> (Vec<AddedLine>, Vec<(String, Option<String>)>) {
        let mut split = CommitSplitter::default();
        out.split_inclusive(|&b| b == b'\n')
            .for_each(|l| split.line(l));
        (diff::parse_added_lines(out), split.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_binary_is_a_clear_error() {
        let g = Git::new(".").with_binary("attrib-no-such-git-binary");
        let err = g.check_version().unwrap_err();
        assert!(matches!(err, VcsError::Missing { .. }), "{err}");
    }

    #[test]
    fn a_wrong_version_is_refused() {
        // `echo --version` prints "--version": no version number.
        let err = Git::new(".")
            .with_binary("echo")
            .check_version()
            .unwrap_err();
        assert!(
            matches!(err, VcsError::Parse { .. } | VcsError::WrongVersion { .. }),
            "{err}"
        );
    }
}
