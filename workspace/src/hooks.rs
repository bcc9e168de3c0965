//! The Pijul pre-record hook: a plain `pijul record` (not wrapped by `attrib record`) must not
//! lose the AI session it was made in.
//!
//! `attrib init --install-hooks` adds `attrib hook pre-record` to the repository's personal
//! `.pijul/config.toml` (Atomic: `.atomic/config`) `[hooks] record` list. Pijul runs it before
//! every record (Atomic too, after putting its `--ai-*` flags into `ATOMIC_AI_*`), with the
//! recording shell's environment, so it sees the session's `ATTRIB_AI_*` / `ATOMIC_AI_*`
//! variables. It does not know the hash yet, so it only writes a *pending capture* (when, and
//! what the capture sources say); the next reconciliation ([`crate::reconcile`]) sees the new
//! change appear and attests it with the capture whose time matches the change's.
//!
//! Pijul keeps a hook's output to itself, so a failing hook explains itself on the terminal
//! (when there is one) and in `hook-error` beside the store, which the next `attrib` command
//! reports.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_overlay::{now_ms, AiAssistance, Origin};
use attrib_vcs_adapter::{Repository, VcsKind};
use serde::{Deserialize, Serialize};

use crate::capture::{capture, CaptureEnv, CaptureInput};
use crate::files::write_atomic;
use crate::Workspace;

/// Set by `attrib record` on the `pijul record` it runs: the wrapper attests the change itself.
pub const WRAPPED_ENV: &str = "ATTRIB_WRAPPED";
/// The pending captures, beside the store.
const PENDING_FILE: &str = "pending-captures.json";
/// The last hook failure, beside the store.
const ERROR_FILE: &str = "hook-error";
/// How the installed hook is recognised (and replaced when the binary moves).
const HOOK_ARGS: &str = "hook pre-record";
/// A change matches a capture taken at most this long before it (a record waits for nothing
/// after its hooks, but a slow disk or a big tree may take a while).
const MATCH_AFTER_MS: u64 = 10 * 60 * 1000;
/// Clock granularity slack: a change stamped just before the capture still matches.
const MATCH_BEFORE_MS: u64 = 2_000;
/// Captures no change claimed within a day were aborted records; they are dropped.
const STALE_MS: u64 = 24 * 60 * 60 * 1000;

/// What the hook saw before a record.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingCapture {
    /// When the hook ran.
    pub captured_ms: u64,
    /// How AI helped, as the capture sources said.
    pub ai: Option<AiAssistance>,
    /// A flag, variable or config key said whether AI helped (else trailers may).
    pub decided: bool,
    /// Who recorded (a person, or an agent that set `ATTRIB_ORIGIN=agent`).
    pub origin: Origin,
}

/// The pending captures of one repository.
pub struct Pending {
    path: PathBuf,
    items: Vec<PendingCapture>,
    dirty: bool,
}

impl Pending {
    /// The pending captures beside the store in `store_dir` (none when the file is absent).
    pub fn load(store_dir: &Path) -> Result<Pending> {
        let path = store_dir.join(PENDING_FILE);
        let items = match fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes).with_context(|| {
                format!(
                    "{} is damaged (delete it to drop the pending captures)",
                    path.display()
                )
            })?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        Ok(Pending {
            path,
            items,
            dirty: false,
        })
    }

    /// True when no capture is waiting for its change.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Adds a capture (saved by [`Pending::save`]).
    pub fn push(&mut self, capture: PendingCapture) {
        self.items.push(capture);
        self.dirty = true;
    }

    /// The capture for a change stamped `change_ms`: the latest one taken before it (Pijul runs
    /// the hook, then stamps the change), else, for a clock that stepped, the first one taken
    /// just after. It is removed, with any older ones (records that were aborted after their
    /// hook ran). Preferring "before" matters when two records follow each other closely: the
    /// second one's capture is taken within the slack after the first change's stamp.
    pub fn take_for(&mut self, change_ms: u64) -> Option<PendingCapture> {
        let before = self
            .items
            .iter()
            .enumerate()
            .filter(|(_, c)| {
                c.captured_ms <= change_ms
                    && change_ms <= c.captured_ms.saturating_add(MATCH_AFTER_MS)
            })
            .max_by_key(|(_, c)| c.captured_ms);
        let just_after = || {
            self.items
                .iter()
                .enumerate()
                .filter(|(_, c)| {
                    c.captured_ms > change_ms
                        && c.captured_ms <= change_ms.saturating_add(MATCH_BEFORE_MS)
                })
                .min_by_key(|(_, c)| c.captured_ms)
        };
        let best = before.or_else(just_after).map(|(i, _)| i)?;
        let chosen = self.items.remove(best);
        self.items.retain(|c| c.captured_ms > chosen.captured_ms);
        self.dirty = true;
        Some(chosen)
    }

    /// Writes the captures back, dropping those older than a day (aborted records); removes
    /// the file when none is left.
    pub fn save(&mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let now = now_ms();
        self.items
            .retain(|c| c.captured_ms.saturating_add(STALE_MS) > now);
        if self.items.is_empty() {
            match fs::remove_file(&self.path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => {
                    return Err(e).with_context(|| format!("cannot remove {}", self.path.display()))
                }
            }
        } else {
            write_atomic(&self.path, &serde_json::to_vec_pretty(&self.items)?)?;
        }
        self.dirty = false;
        Ok(())
    }
}

/// The last hook failure, if one happened since it was last reported; reporting clears it.
pub fn take_error(store_dir: &Path) -> Option<String> {
    let path = store_dir.join(ERROR_FILE);
    let text = fs::read_to_string(&path).ok()?;
    let _ = fs::remove_file(&path);
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// `attrib hook pre-record`: run by Pijul before each record. `wrapped` is set when the record
/// is `attrib record`'s own (it attests the change itself); `origin` is who records. Outside a
/// store it does nothing. On failure the reason is also kept in `hook-error` beside the store,
/// which the next reconciliation reports (Pijul keeps a hook's output to itself).
pub fn pre_record(ws: &Workspace, env: &CaptureEnv, wrapped: bool, origin: Origin) -> Result<()> {
    if wrapped {
        return Ok(());
    }
    // Not opening the store on purpose: the hook runs inside every record and must stay cheap.
    let Ok(store_dir) = ws.store_dir() else {
        return Ok(());
    };
    let captured = capture(ws, &CaptureInput::default(), env).and_then(|c| {
        let mut pending = Pending::load(store_dir)?;
        pending.push(PendingCapture {
            captured_ms: now_ms(),
            ai: c.ai,
            decided: c.decided,
            origin,
        });
        pending.save()
    });
    if let Err(e) = captured {
        let line = format!(
            "the attrib pre-record hook refused the record: {e:#} (fix it, or set ATTRIB_AI_ENABLED=false)"
        );
        let _ = write_atomic(&store_dir.join(ERROR_FILE), line.as_bytes());
        bail!("{line}");
    }
    Ok(())
}

/// The repository's personal Pijul config (`.pijul/config.toml`, or the older
/// `.pijul/config`), or Atomic's: `.atomic/config`, the only one Atomic reads its hooks from
/// (`atomic init` writes it with an empty `[hooks] record` list; a `config.toml` beside it is
/// ignored).
fn pijul_config_path(repo: &Repository) -> PathBuf {
    let dot = repo.dot_dir();
    let old = dot.join("config");
    if repo.kind == VcsKind::Atomic || old.is_file() {
        old
    } else {
        dot.join("config.toml")
    }
}

/// The hook command line for the binary `exe`, quoted for the shell Pijul runs it with.
fn hook_command(exe: &Path) -> Result<String> {
    let exe = exe.to_string_lossy();
    if exe.contains('\'') {
        bail!("the attrib binary's path {exe:?} contains a quote; install it elsewhere");
    }
    Ok(format!("'{exe}' {HOOK_ARGS}"))
}

/// The pre-record hook's installation, worked out but not yet written: `attrib init` plans it
/// before founding a team, so a Pijul config it cannot edit stops the command before anything
/// is created.
pub struct HookPlan {
    path: PathBuf,
    /// The config's new text; `None` when the hook is installed already.
    text: Option<String>,
}

impl HookPlan {
    /// Reads the repository's Pijul config at `root` and works out the edit: the hook, run by
    /// the `attrib` binary at `exe`, added (or moved to that path), other hooks and the file's
    /// formatting kept.
    ///
    /// git needs no hook: a plain `git commit` is picked up by reconciliation (or a running
    /// node) from the branch itself, so asking for one there is an error that says so.
    pub fn new(repo: &Repository, exe: &Path) -> Result<HookPlan> {
        if !repo.kind.is_pijul_family() {
            bail!(
                "--install-hooks is for Pijul and Atomic; in a git repository a plain `git commit` is picked up from the branch by the next attrib command or a running node, with no hook"
            );
        }
        let path = pijul_config_path(repo);
        let text = match fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
            Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
        };
        let mut doc: toml_edit::DocumentMut = text
            .parse()
            .map_err(|e: toml_edit::TomlError| anyhow!("{}: {}", path.display(), e.message()))?;
        let command = hook_command(exe)?;
        let hooks = doc
            .entry("hooks")
            .or_insert_with(|| toml_edit::Item::Table(toml_edit::Table::new()))
            .as_table_like_mut()
            .ok_or_else(|| anyhow!("{}: `hooks` is not a table", path.display()))?;
        let record = hooks
            .entry("record")
            .or_insert(toml_edit::value(toml_edit::Array::new()))
            .as_array_mut()
            .ok_or_else(|| anyhow!("{}: `hooks.record` is not a list", path.display()))?;
        if record.iter().any(|v| v.as_str() == Some(command.as_str())) {
            return Ok(HookPlan { path, text: None });
        }
        // An earlier install from another path is replaced, not doubled.
        record.retain(|v| !v.as_str().is_some_and(|s| s.ends_with(HOOK_ARGS)));
        record.push(command.as_str());
        Ok(HookPlan {
            path,
            text: Some(doc.to_string()),
        })
    }

    /// Writes the edit. Returns false when the hook was already there.
    pub fn apply(self) -> Result<bool> {
        match self.text {
            Some(text) => {
                write_atomic(&self.path, text.as_bytes())?;
                Ok(true)
            }
            None => Ok(false),
        }
    }
}

/// Adds (or updates) the pre-record hook in the repository at `root`. Returns false when it was
/// already there.
#[cfg(test)]
fn install(root: &Path) -> Result<bool> {
    let repo = Repository {
        root: root.to_path_buf(),
        kind: VcsKind::Pijul,
    };
    HookPlan::new(&repo, Path::new("/usr/local/bin/attrib"))?.apply()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn capture_at(ms: u64) -> PendingCapture {
        PendingCapture {
            captured_ms: ms,
            ai: None,
            decided: false,
            origin: Origin::Person,
        }
    }

    #[test]
    fn a_change_takes_the_latest_capture_before_it_and_older_ones_go() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        let mut p = Pending::load(dir.path()).unwrap();
        p.push(capture_at(now - 50_000)); // an aborted record
        p.push(capture_at(now - 10_000));
        p.push(capture_at(now + 5_000)); // a later record's
        assert_eq!(p.take_for(now).unwrap().captured_ms, now - 10_000);
        assert_eq!(p.items.len(), 1);
        // Too early for the remaining capture, and far too late for any.
        assert_eq!(p.take_for(now - 60_000), None);
        assert_eq!(p.take_for(now + 5_000 + MATCH_AFTER_MS + 1), None);
        p.save().unwrap();
        let mut back = Pending::load(dir.path()).unwrap();
        assert_eq!(back.items.len(), 1);
        assert!(back.take_for(now + 6_000).is_some());
        back.save().unwrap();
        assert!(!dir.path().join(PENDING_FILE).exists());
    }

    #[test]
    fn two_records_in_quick_succession_each_take_their_own_capture() {
        let dir = tempfile::tempdir().unwrap();
        let now = now_ms();
        let mut p = Pending::load(dir.path()).unwrap();
        let mut first = capture_at(now - 10);
        first.decided = true;
        p.push(first);
        p.push(capture_at(now + 400)); // the next record's hook, within the clock slack
        let got = p.take_for(now).unwrap();
        assert!(
            got.decided,
            "the first change takes the capture taken before it"
        );
        assert_eq!(p.take_for(now + 420).unwrap().captured_ms, now + 400);
        // A clock that stepped back: the capture just after the stamp still matches.
        p.push(capture_at(now + 1_000));
        assert_eq!(p.take_for(now + 200).unwrap().captured_ms, now + 1_000);
    }

    #[test]
    fn atomic_reads_its_hooks_from_dot_atomic_config() {
        let dir = tempfile::tempdir().unwrap();
        let dot = dir.path().join(".atomic");
        fs::create_dir_all(&dot).unwrap();
        let repo = Repository {
            root: dir.path().to_path_buf(),
            kind: VcsKind::Atomic,
        };
        let exe = Path::new("/usr/local/bin/attrib");
        // No config yet: it is created where Atomic reads it, not as `config.toml`.
        assert!(HookPlan::new(&repo, exe).unwrap().apply().unwrap());
        assert!(!dot.join("config.toml").exists());
        let text = fs::read_to_string(dot.join("config")).unwrap();
        assert!(text.contains("hook pre-record"), "{text}");
        // As `atomic clone` writes it: the remote is kept.
        fs::write(
            dot.join("config"),
            "default_remote = \"/r1\"\n[hooks]\nrecord = []\n",
        )
        .unwrap();
        assert!(HookPlan::new(&repo, exe).unwrap().apply().unwrap());
        assert!(!HookPlan::new(&repo, exe).unwrap().apply().unwrap());
        let doc: toml::Value =
            toml::from_str(&fs::read_to_string(dot.join("config")).unwrap()).unwrap();
        assert_eq!(doc["default_remote"].as_str(), Some("/r1"));
        assert_eq!(doc["hooks"]["record"].as_array().unwrap().len(), 1);
    }

    #[test]
    fn install_keeps_other_hooks_and_is_idempotent() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir_all(dir.path().join(".pijul")).unwrap();
        let cfg = dir.path().join(".pijul/config.toml");
        fs::write(
            &cfg,
            "# mine\n[hooks]\nrecord = [\"cargo fmt --check\", \"'/old/attrib' hook pre-record\"]\n",
        )
        .unwrap();
        assert!(install(dir.path()).unwrap());
        assert!(!install(dir.path()).unwrap());
        let text = fs::read_to_string(&cfg).unwrap();
        assert!(text.starts_with("# mine"), "{text}");
        let doc: toml::Value = toml::from_str(&text).unwrap();
        let list = doc["hooks"]["record"].as_array().unwrap();
        assert_eq!(list.len(), 2, "{text}");
        assert_eq!(list[0].as_str(), Some("cargo fmt --check"));
        assert!(list[1].as_str().unwrap().ends_with("' hook pre-record"));
        assert!(!text.contains("/old/attrib"));
    }
}
