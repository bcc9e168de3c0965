//! The one interface every patch store is driven through: [`Vcs`], implemented by the
//! [`crate::Pijul`] driver (for Pijul and its fork Atomic) and by [`crate::Git`].
//!
//! The rest of attrib (tracker, reconciliation, record, blame, stats, backfill) speaks only this
//! trait, so a rule written once holds for every store. What differs between stores stays in
//! their drivers: how a change is named (Pijul's change hash, git's `patch-id --stable`), what
//! "the channel" is (a Pijul channel, git's checked-out branch), and how its state is fingerprinted
//! cheaply.

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::fmt;
use std::path::{Path, PathBuf};

use attrib_overlay::PatchId;

use crate::error::VcsError;
use crate::pijul::{AddedLine, Amend, ChangeInfo, ChangeSummary, ChannelLog, CreditEntry};

/// Which patch store a repository is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VcsKind {
    /// Pijul: `.pijul/`, the `pijul` binary.
    Pijul,
    /// Atomic, Pijul's fork with attribution of its own: `.atomic/`, the `atomic` binary.
    Atomic,
    /// git: `.git/` (a directory, or a file in a linked worktree), the `git` binary.
    Git,
}

impl VcsKind {
    /// Every kind, in the order discovery prefers them when one directory holds several.
    pub const ALL: [VcsKind; 3] = [VcsKind::Pijul, VcsKind::Atomic, VcsKind::Git];

    /// The repository's metadata directory in its root: `.pijul`, `.atomic`, `.git`.
    pub fn dot_dir(self) -> &'static str {
        match self {
            VcsKind::Pijul => ".pijul",
            VcsKind::Atomic => ".atomic",
            VcsKind::Git => ".git",
        }
    }

    /// The binary run when nothing else is configured.
    pub fn default_binary(self) -> &'static str {
        match self {
            VcsKind::Pijul => "pijul",
            VcsKind::Atomic => "atomic",
            VcsKind::Git => "git",
        }
    }

    /// The name people know it by, for messages.
    pub fn name(self) -> &'static str {
        match self {
            VcsKind::Pijul => "Pijul",
            VcsKind::Atomic => "Atomic",
            VcsKind::Git => "git",
        }
    }

    /// The origin tag of a claim imported from this store's own attribution (`atomic`, `git`).
    pub fn as_str(self) -> &'static str {
        match self {
            VcsKind::Pijul => "pijul",
            VcsKind::Atomic => "atomic",
            VcsKind::Git => "git",
        }
    }

    /// True for the stores whose changes are Pijul changes (Pijul and Atomic).
    pub fn is_pijul_family(self) -> bool {
        matches!(self, VcsKind::Pijul | VcsKind::Atomic)
    }

    /// True when `dir` holds this kind's metadata directory.
    pub fn is_root(self, dir: &Path) -> bool {
        let dot = dir.join(self.dot_dir());
        match self {
            // A linked worktree or a submodule has a `.git` file pointing elsewhere.
            VcsKind::Git => dot.exists(),
            _ => dot.is_dir(),
        }
    }
}

impl fmt::Display for VcsKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A repository found by [`discover`]: its root and which store it is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Repository {
    /// The directory holding the metadata directory.
    pub root: PathBuf,
    /// Which store.
    pub kind: VcsKind,
}

impl Repository {
    /// The metadata directory: `ROOT/.pijul`, `ROOT/.atomic`, `ROOT/.git`.
    pub fn dot_dir(&self) -> PathBuf {
        self.root.join(self.kind.dot_dir())
    }

    /// Where attrib keeps its store inside the repository: `.pijul/attrib`, `.atomic/attrib`,
    /// `.git/attrib` — or `ROOT/.attrib` in a linked git worktree, whose `.git` is a file.
    pub fn attrib_dir(&self) -> PathBuf {
        let dot = self.dot_dir();
        if dot.is_dir() {
            dot.join("attrib")
        } else {
            self.root.join(".attrib")
        }
    }

    /// The repository a store directory belongs to: `ROOT/.pijul/attrib` (or `.atomic`, `.git`)
    /// is ROOT's, and `ROOT/.attrib` is ROOT's when ROOT is a linked git worktree. `None` for a
    /// store kept outside any repository.
    pub fn of_store(store_dir: &Path) -> Option<Repository> {
        let parent = store_dir.parent()?;
        let name = parent.file_name()?;
        if let Some(kind) = VcsKind::ALL.into_iter().find(|k| name == k.dot_dir()) {
            let root = parent.parent()?.to_path_buf();
            return Some(Repository { root, kind });
        }
        if store_dir.file_name()? == ".attrib" && parent.join(".git").is_file() {
            return Some(Repository {
                root: parent.to_path_buf(),
                kind: VcsKind::Git,
            });
        }
        None
    }
}

/// The nearest repository at or above `dir`: the first directory (walking up) that holds
/// `.pijul`, `.atomic` or `.git`, so a Pijul repository inside a git checkout is found as
/// Pijul. One directory holding several prefers Pijul, then Atomic, then git.
pub fn discover(dir: &Path) -> Option<Repository> {
    dir.ancestors().find_map(|d| {
        VcsKind::ALL
            .into_iter()
            .find(|k| k.is_root(d))
            .map(|kind| Repository {
                root: d.to_path_buf(),
                kind,
            })
    })
}

/// A patch store driven through its own binary. Every call runs one (or, for a batch, a
/// fixed few) of the store's processes in the repository and reads its machine-readable
/// output; every failure is a [`VcsError`].
///
/// "The channel" is the line of history the working copy is on: a Pijul/Atomic channel, or
/// git's checked-out branch (HEAD). A change is named by a [`PatchId`] that survives the
/// store's own rewriting where it can: Pijul's change hash, git's stable patch id.
pub trait Vcs: Send + Sync + fmt::Debug {
    /// Which store this is.
    fn kind(&self) -> VcsKind;

    /// The repository's root.
    fn repo(&self) -> &Path;

    /// The binary as configured (a name looked up on `PATH`, or a path).
    fn binary_os(&self) -> &OsStr;

    /// The same driver, setting the environment variable `key` for every call it makes.
    fn with_env(&self, key: &OsStr, value: &OsStr) -> Box<dyn Vcs>;

    /// The binary's name as configured, for messages.
    fn binary(&self) -> String {
        self.binary_os().to_string_lossy().into_owned()
    }

    /// Fails with a clear error unless the binary is installed and of a supported version;
    /// returns the version.
    fn check_version(&self) -> Result<String, VcsError>;

    /// A digest of the store's on-disk state that moves whenever the channel may have: read
    /// before anything else in a scan, so an unchanged fingerprint means nothing to do. `None`
    /// when it cannot be read (every scan then asks the store).
    fn fingerprint(&self) -> Option<[u8; 32]>;

    /// The channel the working copy is on.
    fn current_channel(&self) -> Result<String, VcsError>;

    /// The channel in one read: its state and every change, oldest first, with descriptions.
    fn channel_log(&self) -> Result<ChannelLog, VcsError>;

    /// The channel's changes, oldest first (descriptions may be left out).
    fn log(&self) -> Result<Vec<ChangeInfo>, VcsError> {
        Ok(self.channel_log()?.changes)
    }

    /// The `n` newest changes with their headers, newest first.
    fn newest(&self, n: usize) -> Result<Vec<ChangeInfo>, VcsError>;

    /// The `n` newest changes with the channel's state after each, newest first (a store with
    /// a root change may include it).
    fn top(&self, n: usize) -> Result<Vec<(PatchId, Option<String>)>, VcsError>;

    /// The channel's state id, `None` for an empty channel.
    fn state(&self) -> Result<Option<String>, VcsError> {
        Ok(self.top(1)?.into_iter().next().and_then(|(_, s)| s))
    }

    /// The changes after the state `since` (all of them for `None`), oldest first.
    fn changes_since(&self, since: Option<&str>) -> Result<Vec<ChangeInfo>, VcsError>;

    /// Records a change: `pijul record ARGS…`, `git commit ARGS…`. `on_hash` is called with
    /// the new change's id as soon as it is known, possibly while the store still commits.
    fn record_with(
        &self,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<PatchId, VcsError>;

    /// Amends `target` (the newest change by default) with `ARGS…`; returns the replaced and
    /// the new id.
    fn record_amend_with(
        &self,
        target: Option<&PatchId>,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<Amend, VcsError>;

    /// Takes a change off the channel, keeping its edits in the working copy.
    fn unrecord(&self, hash: &PatchId) -> Result<(), VcsError>;

    /// The lines `hash` added, with their line numbers in the file as it was recorded.
    fn added_lines(&self, hash: &PatchId) -> Result<Vec<AddedLine>, VcsError>;

    /// The lines `hash` added and the files it touched. The default reads the added lines
    /// and names no files (`touched: None`: take it to touch every file); the Pijul driver
    /// reads both from one `pijul change`.
    fn change_summary(&self, hash: &PatchId) -> Result<ChangeSummary, VcsError> {
        Ok(ChangeSummary {
            touched: None,
            added: self.added_lines(hash)?,
        })
    }

    /// The changes `hash` depends on.
    fn dependencies(&self, hash: &PatchId) -> Result<Vec<PatchId>, VcsError>;

    /// The tracked files of the working copy, relative to the repository.
    fn tracked_files(&self) -> Result<Vec<PathBuf>, VcsError>;

    /// Per-line owners of `file` (relative to the repository), as runs of lines naming the
    /// changes that touched them; [`CreditEntry::inserter`] picks the one that inserted them.
    fn credit(&self, file: &Path) -> Result<Vec<CreditEntry>, VcsError>;

    /// What [`Vcs::credit`] of `file` reads of the working copy, as a digest taken without a
    /// process: with [`Vcs::fingerprint`], everything a credit's answer depends on, so equal
    /// pairs mean an equal answer (`attrib blame`'s index relies on that). The default is the
    /// working file's bytes (git blames the working file: uncommitted lines show); `None` when
    /// the file cannot be read, and then nothing may be assumed.
    fn working_stamp(&self, file: &Path) -> Option<[u8; 32]> {
        file_digest(&self.repo().join(file))
    }

    /// The changes on another channel of the repository (Pijul/Atomic: `log --channel NAME
    /// --hash-only`). A store without named channels says so.
    fn hashes_on(&self, channel: &str) -> Result<Vec<PatchId>, VcsError> {
        Err(VcsError::Unsupported(format!(
            "{} has no channel named {channel:?} to compare with; give a range of its own",
            self.kind()
        )))
    }

    /// The state (git: the commit id) a revision the user named resolves to, `None` when it
    /// names nothing. Stores whose states are not named by users say so.
    fn resolve_state(&self, revision: &str) -> Result<Option<String>, VcsError> {
        Err(VcsError::Unsupported(format!(
            "{revision:?} names a git revision (BASE..HEAD is a git range); in a {} repository give --since DATE or --not-on CHANNEL",
            self.kind()
        )))
    }

    /// Which of `departed` (changes that left the channel in the same scan in which `new`
    /// arrived) `new` squashes: a run of them whose combined diff is exactly `new`'s, oldest
    /// first; empty when `new` is no squash of them. Only git rewrites history this way: Pijul
    /// changes commute and are never squashed, so the default says none.
    fn squashed_into(&self, new: &PatchId, departed: &[PatchId]) -> Result<Vec<PatchId>, VcsError> {
        let _ = (new, departed);
        Ok(Vec::new())
    }

    /// A change's position in channel order for every change of `log` — what
    /// [`CreditEntry::inserter`] needs. The default numbers them as given.
    fn positions(&self, log: &[ChangeInfo]) -> HashMap<PatchId, usize> {
        log.iter()
            .enumerate()
            .map(|(i, c)| (c.hash.clone(), i))
            .collect()
    }
}

/// The blake3 digest of a file's bytes, `None` when it cannot be read (or is no file).
pub fn file_digest(path: &Path) -> Option<[u8; 32]> {
    let bytes = std::fs::read(path).ok()?;
    Some(*blake3::hash(&bytes).as_bytes())
}

/// Arguments as the trait takes them, from anything a caller has.
pub fn os_args<I, S>(args: I) -> Vec<OsString>
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    args.into_iter().map(|a| a.as_ref().to_owned()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_repository_wins() {
        let dir = tempfile::tempdir().unwrap();
        let outer = dir.path();
        std::fs::create_dir(outer.join(".git")).unwrap();
        let inner = outer.join("sub");
        std::fs::create_dir_all(inner.join(".pijul")).unwrap();
        let deeper = inner.join("src");
        std::fs::create_dir_all(&deeper).unwrap();
        assert_eq!(
            discover(&deeper),
            Some(Repository {
                root: inner.clone(),
                kind: VcsKind::Pijul
            })
        );
        assert_eq!(discover(outer).map(|r| r.kind), Some(VcsKind::Git));
        std::fs::create_dir_all(outer.join("a/.atomic")).unwrap();
        assert_eq!(
            discover(&outer.join("a")).map(|r| r.kind),
            Some(VcsKind::Atomic)
        );
        assert_eq!(
            discover(&outer.join("a")).unwrap().attrib_dir(),
            outer.join("a/.atomic/attrib")
        );
    }

    #[test]
    fn nothing_is_found_outside_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        // The temp dir may itself sit inside a checkout; only a found root inside it matters.
        let found = discover(dir.path());
        assert!(found.is_none_or(|r| !r.root.starts_with(dir.path())));
    }
}
