//! Reading HEAD from the files git keeps, without running git: the fingerprint, and the fast
//! paths for "which branch" and "which commit" (each falls back to a git command when the
//! files do not say, e.g. with the reftable backend).
//!
//! Layout: `ROOT/.git` is the git directory, or a file `gitdir: PATH` in a linked worktree
//! (or a submodule). Branches, tags and `packed-refs` live in the *common* directory, named by
//! the git directory's `commondir` file when there is one; `HEAD` and the per-worktree refs
//! (`refs/worktree/`, `refs/bisect/`, `refs/rewritten/`) live in the git directory itself.

use std::collections::HashSet;
use std::fs;
use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use super::sha::is_object_id;

/// Where a repository's metadata is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct GitDirs {
    /// The worktree's own git directory (holds `HEAD`).
    pub git_dir: PathBuf,
    /// The directory shared by all worktrees (holds `refs/heads`, `packed-refs`, `objects`).
    pub common_dir: PathBuf,
}

impl GitDirs {
    /// The git directories of the repository whose root is `root`, or `None` when there is no
    /// readable `.git`.
    pub(crate) fn locate(root: &Path) -> Option<GitDirs> {
        let dot = root.join(".git");
        let meta = fs::metadata(&dot).ok()?;
        let git_dir = if meta.is_dir() {
            dot
        } else {
            let text = fs::read_to_string(&dot).ok()?;
            let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
            if target.is_empty() {
                return None;
            }
            root.join(target)
        };
        let common_dir = match fs::read_to_string(git_dir.join("commondir")) {
            Ok(text) => {
                let named = text.lines().next().unwrap_or("").trim();
                if named.is_empty() {
                    git_dir.clone()
                } else {
                    git_dir.join(named)
                }
            }
            Err(_) => git_dir.clone(),
        };
        Some(GitDirs {
            git_dir,
            common_dir,
        })
    }

    /// The file a loose ref is stored in.
    fn loose_ref(&self, name: &str) -> PathBuf {
        let per_worktree = !name.starts_with("refs/")
            || ["refs/worktree/", "refs/bisect/", "refs/rewritten/"]
                .iter()
                .any(|p| name.starts_with(p));
        let base = if per_worktree {
            &self.git_dir
        } else {
            &self.common_dir
        };
        base.join(name)
    }

    /// True when refs are kept in reftable files, which this module does not read.
    fn reftable(&self) -> bool {
        self.common_dir.join("reftable").is_dir()
    }

    /// The commits a shallow clone stops at (the `shallow` file), empty for a full clone.
    pub(crate) fn shallow(&self) -> HashSet<String> {
        fs::read_to_string(self.common_dir.join("shallow"))
            .map(|t| {
                t.lines()
                    .map(|l| l.trim().to_ascii_lowercase())
                    .filter(|l| is_object_id(l))
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// What HEAD is, as far as the files say.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Head {
    /// On a branch (`name` is the full ref, `refs/heads/main`), at `commit` — `None` when the
    /// branch has no commit yet (a new repository).
    Branch {
        name: String,
        commit: Option<String>,
    },
    /// Detached at a commit.
    Detached(String),
}

/// How deep symbolic refs are followed (git's own limit is 5).
const MAX_SYMREF_DEPTH: usize = 5;

/// HEAD from the files, or `None` when they do not say for sure (unreadable, reftable, an
/// unexpected shape): the caller then asks git.
pub(crate) fn read_head(dirs: &GitDirs) -> Option<Head> {
    if dirs.reftable() {
        return None;
    }
    let head = fs::read_to_string(dirs.git_dir.join("HEAD")).ok()?;
    let head = head.trim();
    if is_object_id(head) {
        return Some(Head::Detached(head.to_ascii_lowercase()));
    }
    let first = head.strip_prefix("ref:")?.trim().to_string();
    let mut name = first.clone();
    for _ in 0..MAX_SYMREF_DEPTH {
        match fs::read_to_string(dirs.loose_ref(&name)) {
            Ok(text) => {
                let text = text.trim();
                if is_object_id(text) {
                    return Some(Head::Branch {
                        name: first,
                        commit: Some(text.to_ascii_lowercase()),
                    });
                }
                name = text.strip_prefix("ref:")?.trim().to_string();
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                let commit = packed_ref(dirs, &name)?;
                return Some(Head::Branch {
                    name: first,
                    commit,
                });
            }
            Err(_) => return None,
        }
    }
    None
}

/// The commit `packed-refs` gives `name`: `Some(None)` when it has no such line (or there is
/// no `packed-refs`), `None` when it cannot be read.
fn packed_ref(dirs: &GitDirs, name: &str) -> Option<Option<String>> {
    let text = match fs::read_to_string(dirs.common_dir.join("packed-refs")) {
        Ok(t) => t,
        Err(e) if e.kind() == ErrorKind::NotFound => return Some(None),
        Err(_) => return None,
    };
    Some(packed_line(&text, name).map(|(id, _)| id.to_ascii_lowercase()))
}

/// The `ID NAME` line of `packed-refs` for `name`.
fn packed_line<'a>(text: &'a str, name: &str) -> Option<(&'a str, &'a str)> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with('^'))
        .filter_map(|l| l.split_once(' '))
        .find(|(id, n)| *n == name && is_object_id(id))
}

/// A digest of what HEAD points at, read from files only: `HEAD`, the loose ref it names (and
/// any symbolic refs after it), else its `packed-refs` line; with reftable, the table list.
/// It moves whenever HEAD's commit (or branch) may have moved. `None` when `.git` or `HEAD`
/// cannot be read.
pub(crate) fn fingerprint(root: &Path) -> Option<[u8; 32]> {
    let dirs = GitDirs::locate(root)?;
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"attrib/git-fingerprint/v1\0");
    let head = fs::read(dirs.git_dir.join("HEAD")).ok()?;
    feed(&mut hasher, b"HEAD", &head);
    if dirs.reftable() {
        // Every ref update rewrites `tables.list`: coarse, but never stale.
        let list = fs::read(dirs.common_dir.join("reftable").join("tables.list")).ok()?;
        feed(&mut hasher, b"reftable", &list);
        return Some(*hasher.finalize().as_bytes());
    }
    let mut target = String::from_utf8_lossy(&head)
        .trim()
        .strip_prefix("ref:")
        .map(|n| n.trim().to_string());
    let mut depth = 0;
    while let Some(name) = target.take() {
        depth += 1;
        if depth > MAX_SYMREF_DEPTH {
            break;
        }
        match fs::read(dirs.loose_ref(&name)) {
            Ok(bytes) => {
                feed(&mut hasher, b"loose", &bytes);
                target = String::from_utf8_lossy(&bytes)
                    .trim()
                    .strip_prefix("ref:")
                    .map(|n| n.trim().to_string());
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {
                // The loose ref wins when present, so only now does `packed-refs` matter.
                match fs::read_to_string(dirs.common_dir.join("packed-refs")) {
                    Ok(text) => {
                        let line = packed_line(&text, &name).map(|(id, _)| id).unwrap_or("");
                        feed(&mut hasher, b"packed", line.as_bytes());
                    }
                    Err(e) if e.kind() == ErrorKind::NotFound => {
                        feed(&mut hasher, b"unborn", name.as_bytes());
                    }
                    Err(_) => return None,
                }
            }
            Err(_) => return None,
        }
    }
    Some(*hasher.finalize().as_bytes())
}

/// One length-prefixed, labelled item of the fingerprint.
fn feed(hasher: &mut blake3::Hasher, label: &[u8], bytes: &[u8]) {
    hasher.update(label);
    hasher.update(&(bytes.len() as u64).to_le_bytes());
    hasher.update(bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "1111111111111111111111111111111111111111";
    const C2: &str = "2222222222222222222222222222222222222222";

    fn repo() -> (tempfile::TempDir, GitDirs) {
        let dir = tempfile::tempdir().unwrap();
        let git = dir.path().join(".git");
        fs::create_dir_all(git.join("refs/heads")).unwrap();
        fs::write(git.join("HEAD"), "ref: refs/heads/main\n").unwrap();
        let dirs = GitDirs::locate(dir.path()).unwrap();
        (dir, dirs)
    }

    #[test]
    fn head_is_read_from_loose_then_packed_refs() {
        let (dir, dirs) = repo();
        let unborn = Head::Branch {
            name: "refs/heads/main".into(),
            commit: None,
        };
        assert_eq!(read_head(&dirs), Some(unborn));
        let f0 = fingerprint(dir.path()).unwrap();

        fs::write(
            dirs.common_dir.join("packed-refs"),
            format!("# pack-refs with: peeled fully-peeled sorted\n{C1} refs/heads/main\n{C2} refs/tags/v1\n^{C1}\n"),
        )
        .unwrap();
        let packed = Head::Branch {
            name: "refs/heads/main".into(),
            commit: Some(C1.into()),
        };
        assert_eq!(read_head(&dirs), Some(packed));
        let f1 = fingerprint(dir.path()).unwrap();
        assert_ne!(f0, f1);

        // Another ref's packed line moving does not move the fingerprint.
        fs::write(
            dirs.common_dir.join("packed-refs"),
            format!("{C1} refs/heads/main\n{C1} refs/tags/v1\n"),
        )
        .unwrap();
        assert_eq!(fingerprint(dir.path()), Some(f1));

        fs::write(dirs.common_dir.join("refs/heads/main"), format!("{C2}\n")).unwrap();
        let loose = Head::Branch {
            name: "refs/heads/main".into(),
            commit: Some(C2.into()),
        };
        assert_eq!(read_head(&dirs), Some(loose));
        let f2 = fingerprint(dir.path()).unwrap();
        assert_ne!(f1, f2);
        assert_eq!(
            fingerprint(dir.path()),
            Some(f2),
            "stable when nothing moves"
        );

        fs::write(dirs.git_dir.join("HEAD"), format!("{C1}\n")).unwrap();
        assert_eq!(read_head(&dirs), Some(Head::Detached(C1.into())));
        assert_ne!(fingerprint(dir.path()), Some(f2));
    }

    #[test]
    fn a_linked_worktree_reads_its_head_and_the_common_refs() {
        let (dir, dirs) = repo();
        fs::write(
            dirs.common_dir.join("refs/heads/feature"),
            format!("{C2}\n"),
        )
        .unwrap();
        let wt_git = dirs.common_dir.join("worktrees/wt");
        fs::create_dir_all(&wt_git).unwrap();
        fs::write(wt_git.join("HEAD"), "ref: refs/heads/feature\n").unwrap();
        fs::write(wt_git.join("commondir"), "../..\n").unwrap();
        let wt = dir.path().join("wt");
        fs::create_dir_all(&wt).unwrap();
        fs::write(wt.join(".git"), format!("gitdir: {}\n", wt_git.display())).unwrap();

        let wdirs = GitDirs::locate(&wt).unwrap();
        assert_eq!(wdirs.git_dir, wt_git);
        assert_eq!(
            read_head(&wdirs),
            Some(Head::Branch {
                name: "refs/heads/feature".into(),
                commit: Some(C2.into())
            })
        );
        let before = fingerprint(&wt).unwrap();
        fs::write(
            dirs.common_dir.join("refs/heads/feature"),
            format!("{C1}\n"),
        )
        .unwrap();
        assert_ne!(fingerprint(&wt), Some(before));
    }

    #[test]
    fn nothing_is_read_outside_a_repository() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(GitDirs::locate(dir.path()), None);
        assert_eq!(fingerprint(dir.path()), None);
        fs::write(dir.path().join(".git"), "garbage\n").unwrap();
        assert_eq!(GitDirs::locate(dir.path()), None);
    }

    #[test]
    fn reftable_is_left_to_git() {
        let (dir, dirs) = repo();
        fs::create_dir_all(dirs.common_dir.join("reftable")).unwrap();
        fs::write(dirs.common_dir.join("reftable/tables.list"), "0x01.ref\n").unwrap();
        assert_eq!(read_head(&dirs), None);
        let f = fingerprint(dir.path()).unwrap();
        fs::write(dirs.common_dir.join("reftable/tables.list"), "0x02.ref\n").unwrap();
        assert_ne!(fingerprint(dir.path()), Some(f));
    }

    #[test]
    fn the_shallow_file_lists_boundary_commits() {
        let (_dir, dirs) = repo();
        assert!(dirs.shallow().is_empty());
        fs::write(dirs.common_dir.join("shallow"), format!("{C1}\n")).unwrap();
        assert!(dirs.shallow().contains(C1));
    }
}
