//! Writing: `git commit` (record and amend) and taking HEAD's commit off (unrecord).
//!
//! A record is timed against a bare `git commit`, so it adds as little as it can: the process
//! that will name the new commit (`git diff-tree --stdin`) is started *before* `git commit`,
//! so that its start-up overlaps the commit, and is then handed the new commit's id, read
//! from the ref files (no process). The patch id is computed in-process from its output, and
//! the new entry is appended to the map's journal (a few bytes, no rewrite).

use std::ffi::OsString;
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Stdio};

use attrib_overlay::PatchId;

use super::map::Entry;
use super::patch_id::{CommitSplitter, DIFF_ARGS, DIFF_CONFIG};
use super::refs::{self, GitDirs, Head};
use super::run::{os, Access};
use super::sha::is_object_id;
use super::{patch_id_or_commit, Git};
use crate::error::VcsError;
use crate::pijul::Amend;

impl Git {
    /// `git commit ARGS…`, then names the new commit.
    pub(super) fn record(
        &self,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<PatchId, VcsError> {
        let before = self.head_from_files();
        let mut full = os(&["commit"]);
        full.extend(args.iter().cloned());
        let patch = self.commit(&full, before)?;
        on_hash(&patch);
        Ok(patch)
    }

    /// `git commit --amend ARGS…` (with `--no-edit` unless the arguments choose the message);
    /// `target` must be `None` or HEAD's patch id.
    pub(super) fn amend(
        &self,
        target: Option<&PatchId>,
        args: &[OsString],
        on_hash: &mut dyn FnMut(&PatchId),
    ) -> Result<Amend, VcsError> {
        let head = self
            .head_commit()?
            .ok_or_else(|| VcsError::UnknownChange("(latest: the branch has no commit)".into()))?;
        let old = self
            .patch_ids(std::slice::from_ref(&head))?
            .remove(&head)
            .ok_or_else(|| VcsError::UnknownChange(head.clone()))?;
        if let Some(t) = target {
            if t != &old {
                return Err(self.refused(
                    "commit --amend",
                    format!(
                        "change {t} is not HEAD's commit ({old}): git amends only the newest commit; use git rebase -i for older ones"
                    ),
                ));
            }
        }
        let mut full = os(&["commit", "--amend"]);
        if !chooses_message(args) {
            full.push("--no-edit".into());
        }
        full.extend(args.iter().cloned());
        let new = self.commit(&full, Some(Some(head)))?;
        on_hash(&new);
        Ok(Amend { old, new })
    }

    /// Takes HEAD's commit off the branch, keeping its edits staged: `git reset --soft HEAD~1`,
    /// done as `git update-ref HEAD PARENT COMMIT` so that a commit landing meanwhile is never
    /// lost. A root commit's branch is deleted (`git update-ref -d HEAD COMMIT`), leaving a
    /// branch without commits; on a detached HEAD that would delete HEAD itself, so it is
    /// refused.
    pub(super) fn take_off(&self, hash: &PatchId) -> Result<(), VcsError> {
        let Some(found) = self.find_on_head(hash)? else {
            return Err(VcsError::UnknownChange(hash.to_string()));
        };
        if found.depth > 0 {
            return Err(self.refused(
                "reset --soft HEAD~1",
                format!(
                    "change {hash} is {} commit(s) below HEAD: only HEAD's commit can be taken off; use git rebase to remove older ones",
                    found.depth
                ),
            ));
        }
        let message = "attrib: unrecord (reset --soft HEAD~1)";
        let args: Vec<&str> = match found.parents.first() {
            Some(parent) => vec!["update-ref", "-m", message, "HEAD", parent, &found.commit],
            None => {
                if self.branch()?.is_none() {
                    return Err(self.refused(
                        "update-ref -d HEAD",
                        "a detached HEAD at a root commit cannot be taken off: check out a branch first".into(),
                    ));
                }
                vec!["update-ref", "-m", message, "-d", "HEAD", &found.commit]
            }
        };
        self.run(&[], &args, Access::Write).map(drop)
    }

    /// Runs `git commit ARGS…` (`args` starts with `commit`), then names the commit it made.
    /// `before` is HEAD's commit before, when the files said, to tell "nothing happened" when
    /// git's output does not say which commit it made (`--quiet`, `--dry-run`).
    fn commit(
        &self,
        args: &[OsString],
        before: Option<Option<String>>,
    ) -> Result<PatchId, VcsError> {
        // Started first, so that its start-up overlaps the commit. Dropped unused on failure
        // (its stdin closes: it exits having printed nothing).
        let differ = Differ::spawn(self)?;
        let (mut cmd, shown) = self.command(&[], args, Access::Write);
        let out = cmd.output().map_err(|e| self.spawn_error(e))?;
        if !out.status.success() {
            differ.abandon();
            if nothing_to_commit(&out.stdout) || nothing_to_commit(&out.stderr) {
                return Err(VcsError::NothingToRecord);
            }
            return Err(self.classify(&shown, &out));
        }
        let abbrev = summary_commit(&out.stdout);
        let after = self.head_from_files();
        if abbrev.is_none() && before.is_some() && before == after {
            differ.abandon();
            return Err(VcsError::NothingToRecord);
        }
        // The files name the full id (git wrote the ref last); the summary line, when there is
        // one, confirms that it is the commit this call made.
        let commit = match (after.flatten(), abbrev.as_deref()) {
            (Some(full), Some(a)) if full.starts_with(&a.to_ascii_lowercase()) => full,
            (Some(full), None) => full,
            (_, rev) => self.full_id(rev.unwrap_or("HEAD"))?,
        };
        let (commit, patch) = differ.name(self, &commit)?;
        self.map.insert_one(
            commit,
            Entry {
                patch: patch.clone(),
                shallow: false,
            },
        );
        Ok(patch)
    }

    /// The full id of the commit `rev` names (`git rev-parse`).
    fn full_id(&self, rev: &str) -> Result<String, VcsError> {
        let spec = format!("{rev}^{{commit}}");
        let out = self.run(&[], &["rev-parse", "--verify", &spec], Access::Read)?;
        let id = String::from_utf8_lossy(&out.stdout)
            .trim()
            .to_ascii_lowercase();
        if is_object_id(&id) {
            Ok(id)
        } else {
            Err(VcsError::Parse {
                cmd: format!("{} rev-parse --verify {spec}", self.binary_name()),
                reason: format!("{id:?} is not a commit id"),
            })
        }
    }

    /// HEAD's commit from the files only (`None`: they do not say).
    pub(super) fn head_from_files(&self) -> Option<Option<String>> {
        GitDirs::locate(&self.repo)
            .and_then(|d| refs::read_head(&d))
            .map(|h| match h {
                Head::Detached(c) => Some(c),
                Head::Branch { commit, .. } => commit,
            })
    }

    /// An operation refused before running git, as a one-line error naming it.
    pub(super) fn refused(&self, what: &str, why: String) -> VcsError {
        VcsError::Failed {
            cmd: format!("{} {what}", self.binary_name()),
            status: "not run".into(),
            stderr: why,
        }
    }
}

/// A `git diff-tree --stdin` started ahead of the commit it will be asked about.
struct Differ {
    child: Child,
    stdin: ChildStdin,
}

impl Differ {
    fn spawn(git: &Git) -> Result<Differ, VcsError> {
        let mut args: Vec<&str> = vec!["diff-tree", "--stdin", "--always"];
        args.extend_from_slice(DIFF_ARGS);
        let (mut cmd, _) = git.command(DIFF_CONFIG, &args, Access::Read);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| git.spawn_error(e))?;
        match child.stdin.take() {
            Some(stdin) => Ok(Differ { child, stdin }),
            None => {
                let _ = child.kill();
                let _ = child.wait();
                Err(git.spawn_error(std::io::Error::other("its stdin could not be opened")))
            }
        }
    }

    /// Closes its stdin without asking anything, and reaps it.
    fn abandon(mut self) {
        drop(self.stdin);
        let _ = self.child.wait();
    }

    /// `commit`'s full id and patch id.
    fn name(mut self, git: &Git, commit: &str) -> Result<(String, PatchId), VcsError> {
        let shown = format!("{} diff-tree --stdin -p --root {commit}", git.binary_name());
        // One short line fits in the pipe: writing cannot wait on git's output.
        let written = writeln!(self.stdin, "{commit}");
        drop(self.stdin);
        let (Some(stdout), Some(mut stderr)) = (self.child.stdout.take(), self.child.stderr.take())
        else {
            let _ = self.child.kill();
            let _ = self.child.wait();
            return Err(git.spawn_error(std::io::Error::other("its output could not be piped")));
        };
        let mut split = CommitSplitter::default();
        let read = std::thread::scope(|s| {
            let errors = s.spawn(move || {
                let mut bytes = Vec::new();
                stderr.read_to_end(&mut bytes).map(|_| bytes)
            });
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            let printed = loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) => break Ok(()),
                    Ok(_) => split.line(&line),
                    Err(e) => break Err(e),
                }
            };
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
            let errors = errors.join().unwrap_or_else(|_| Ok(Vec::new()));
            printed.and(errors)
        });
        let status = self.child.wait().map_err(|e| git.spawn_error(e))?;
        let stderr = read.map_err(|e| git.spawn_error(e))?;
        git.succeeded(
            &shown,
            std::process::Output {
                status,
                stdout: Vec::new(),
                stderr,
            },
        )?;
        written.map_err(|e| git.spawn_error(e))?;
        let mut found = split.finish();
        match (found.pop(), found.is_empty()) {
            (Some((c, id)), true) if c == commit => {
                let patch = patch_id_or_commit(&shown, id, &c)?;
                Ok((c, patch))
            }
            _ => Err(VcsError::Parse {
                cmd: shown,
                reason: "expected exactly the one commit asked about".into(),
            }),
        }
    }
}

/// True when `git commit`'s output says there was nothing to commit.
fn nothing_to_commit(out: &[u8]) -> bool {
    let text = String::from_utf8_lossy(out);
    [
        "nothing to commit",
        "nothing added to commit",
        "no changes added to commit",
    ]
    .iter()
    .any(|m| text.contains(m))
}

/// The abbreviated commit id of `git commit`'s summary line, `[main (root-commit) 1a2b3c4]
/// subject` or `[detached HEAD 1a2b3c4] subject`.
fn summary_commit(stdout: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(stdout);
    let rest = text.lines().find_map(|l| l.strip_prefix('['))?;
    rest.match_indices(']').find_map(|(i, _)| {
        let inside = &rest[..i];
        let (_, word) = inside.rsplit_once(' ')?;
        (word.len() >= 4 && word.bytes().all(|b| b.is_ascii_hexdigit())).then(|| word.to_string())
    })
}

/// True when `git commit ARGS` says where the message comes from (or asks for the editor), so
/// an amend must not add `--no-edit`.
fn chooses_message(args: &[OsString]) -> bool {
    const LONG: [&str; 8] = [
        "message",
        "file",
        "reuse-message",
        "reedit-message",
        "fixup",
        "squash",
        "edit",
        "no-edit",
    ];
    for arg in args {
        let Some(a) = arg.to_str() else { continue };
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or("");
            // git takes any unambiguous prefix of a long option.
            if name.len() >= 2 && LONG.iter().any(|l| l.starts_with(name)) {
                return true;
            }
            continue;
        }
        if let Some(short) = a.strip_prefix('-') {
            for ch in short.chars() {
                match ch {
                    'm' | 'F' | 'C' | 'c' | 'e' => return true,
                    // Options whose value follows attached: the rest is that value.
                    't' | 'S' | 'u' => break,
                    _ => {}
                }
            }
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_names_the_commit() {
        assert_eq!(
            summary_commit(b"[main (root-commit) 4df136f] root\n 1 file changed\n").as_deref(),
            Some("4df136f")
        );
        assert_eq!(
            summary_commit(b"[detached HEAD 836dfee] det\n").as_deref(),
            Some("836dfee")
        );
        assert_eq!(
            summary_commit(b"[fix]weird 5f6c1a3] [x] y\n").as_deref(),
            Some("5f6c1a3")
        );
        assert_eq!(summary_commit(b"nothing here\n"), None);
        assert_eq!(summary_commit(b"[main] no id\n"), None);
    }

    #[test]
    fn an_amend_keeps_its_message_unless_told() {
        let has = |a: &[&str]| chooses_message(&os(a));
        assert!(!has(&[]));
        assert!(!has(&["-a"]));
        assert!(has(&["-m", "x"]));
        assert!(has(&["-am", "x"]));
        assert!(has(&["--message=x"]));
        assert!(has(&["--mess", "x"]));
        assert!(has(&["-F", "f"]));
        assert!(has(&["-C", "HEAD"]));
        assert!(has(&["--no-edit"]));
        assert!(!has(&["-tmpl"]), "-t takes the rest as its value");
        assert!(!has(&["--reset-author"]));
        assert!(!has(&["--", "-m"]));
    }

    #[test]
    fn nothing_to_commit_is_recognised() {
        assert!(nothing_to_commit(
            b"On branch main\nnothing to commit, working tree clean\n"
        ));
        assert!(nothing_to_commit(
            b"no changes added to commit (use \"git add\" and/or \"git commit -a\")\n"
        ));
        assert!(!nothing_to_commit(b"[main 1234567] x\n"));
    }
}
