//! A wrapped record: runs `pijul record ARGS` through the VCS adapter and attests the new change
//! in the same step.
//!
//! Everything that could make the attestation fail (no identity, no store, no team, a key the
//! team does not admit, bad capture flags) is checked *before* Pijul records ([`plan`], then
//! [`RecordPlan::run`] once the channel is reconciled), so in the usual cases a change never
//! ends up recorded but unattested. The attestation is signed and stored as soon as Pijul prints
//! the new hash, while Pijul still applies the change and syncs its pristine.

use std::ffi::{OsStr, OsString};
use std::sync::mpsc;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{now_ms, Origin, PatchId, SignedRecord};
use attrib_vcs_adapter::{Repository, VcsError, VcsKind};

use crate::capture::{CaptureEnv, CaptureInput};
use crate::checkpoint::{attribute_added, has_lines, WorkingLog};
use crate::claim::{attest, own_claim, Claim};
use crate::hooks::WRAPPED_ENV;
use crate::identity::DeviceIdentity;
use crate::reconcile::{resolve_change, Channel, Reconciled, RECONCILE_LOCK};
use crate::signing::{check_can_sign, sign_in_slot, SIGNING_LOCK};
use crate::Workspace;

/// What a wrapped record is asked to do.
pub struct RecordRequest {
    /// How AI helped, from flags.
    pub capture: CaptureInput,
    /// The capture variables of the recording environment.
    pub env: CaptureEnv,
    /// A description for the attestation (the change message is Pijul's).
    pub description: Option<String>,
    /// Who records.
    pub origin: Origin,
    /// Arguments for `pijul record` (a message is required: there is no terminal for an
    /// editor; `--all` is added unless given).
    pub pijul_args: Vec<OsString>,
}

/// A record whose arguments were checked, ready to run once the channel is reconciled.
pub struct RecordPlan {
    request: RecordRequest,
    repo: Repository,
    seen: PassThrough,
    bin: String,
    me: DeviceIdentity,
}

/// A change recorded and attested.
pub struct Recorded {
    /// The new change.
    pub hash: PatchId,
    /// The change it amends, for an amend.
    pub amended: Option<PatchId>,
    /// Its attestation, signed and stored.
    pub record: SignedRecord,
    /// Things the user should know (the tracker could not be saved).
    pub warnings: Vec<String>,
}

/// Checks what can be checked before the channel is read: a Pijul repository, a change
/// message, an identity.
pub fn plan(ws: &Workspace, request: RecordRequest) -> Result<RecordPlan> {
    // A clear error when this is no repository, before anything else.
    let repo = ws.repository()?;
    let seen = scan(&request.pijul_args, repo.kind);
    let bin = ws.vcs(&repo)?.binary();
    if seen.message.is_none() && !seen.from_change && seen.amend.is_none() {
        bail!(
            "a change message is required (there is no terminal for {bin}'s editor): add it after `--`, e.g. `attrib record … -- -m \"Fix the parser\"`"
        );
    }
    let me = ws.identity()?;
    Ok(RecordPlan {
        request,
        repo,
        seen,
        bin,
        me,
    })
}

/// What the pass-through arguments ask of `pijul record`.
#[derive(Debug, Default, PartialEq, Eq)]
struct PassThrough {
    /// The `-m`/`--message` text, if given.
    message: Option<String>,
    /// The `--description` text, if given.
    description: Option<String>,
    all: bool,
    from_change: bool,
    /// `--amend` (`Some(None)`: the latest change) or `--amend=HASH` / `--amend HASH`.
    amend: Option<Option<String>>,
    /// The arguments without `--amend` and its value (the driver adds the resolved target).
    rest: Vec<OsString>,
    /// The paths named (a record of part of the working copy).
    paths: Vec<String>,
}

/// Scans `pijul record`'s arguments (its grammar: `-a`/`--all`, `-m`/`--message MSG`, long
/// options, then paths) — or `git commit`'s, for git — for what attrib needs to know. Stops at
/// the store's own `--`.
fn scan(args: &[OsString], kind: VcsKind) -> PassThrough {
    let git = kind == VcsKind::Git;
    let mut seen = PassThrough::default();
    let mut i = 0;
    let mut literal = false;
    // The value of the option at `i`, given inline (`--x=V`, `-mV`) or as the next argument.
    let value_of = |i: &mut usize, inline: Option<&str>| -> Option<String> {
        match inline {
            Some(v) => Some(v.to_string()),
            None => {
                *i += 1;
                args.get(*i).map(|a| a.to_string_lossy().into_owned())
            }
        }
    };
    while i < args.len() {
        let raw = &args[i];
        let a = raw.to_string_lossy().into_owned();
        if literal {
            seen.rest.push(raw.clone());
            seen.paths.push(a);
            i += 1;
            continue;
        }
        if a == "--" {
            literal = true;
            seen.rest.push(raw.clone());
            i += 1;
            continue;
        }
        let start = i;
        if let Some(long) = a.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v)),
                None => (long, None),
            };
            match name {
                "message" => seen.message = value_of(&mut i, inline),
                "description" => seen.description = value_of(&mut i, inline),
                "all" => seen.all = true,
                "from-change" => {
                    seen.from_change = true;
                    value_of(&mut i, inline);
                }
                // git takes the message from a file or another commit.
                "file" | "reuse-message" | "reedit-message" if git => {
                    seen.from_change = true;
                    value_of(&mut i, inline);
                }
                "amend" if git => {
                    seen.amend = Some(None);
                    i += 1;
                    continue;
                }
                "amend" => {
                    // An optional value: `--amend=HASH`, or a following argument that is not
                    // an option (as Pijul's parser takes it).
                    let target = match inline {
                        Some(v) => Some(v.to_string()),
                        None => match args.get(i + 1).map(|n| n.to_string_lossy()) {
                            Some(n) if !n.starts_with('-') => {
                                i += 1;
                                Some(n.into_owned())
                            }
                            _ => None,
                        },
                    };
                    seen.amend = Some(target);
                    i += 1;
                    continue;
                }
                "repository" | "channel" | "author" | "timestamp" | "identity" | "algorithm"
                | "config" => {
                    value_of(&mut i, inline);
                }
                // Atomic's own: its attribution flags and `--working-copy` take a value.
                "working-copy" | "ai-provider" | "ai-model" | "ai-suggestion-type"
                | "ai-confidence"
                    if kind == VcsKind::Atomic =>
                {
                    value_of(&mut i, inline);
                }
                _ => {}
            }
        } else if let Some(cluster) = a.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (at, c) in cluster.char_indices() {
                match c {
                    'a' => seen.all = true,
                    'F' | 'C' | 'c' if git => {
                        let inline = &cluster[at + 1..];
                        seen.from_change = true;
                        value_of(&mut i, (!inline.is_empty()).then_some(inline));
                        break;
                    }
                    'm' => {
                        let inline = &cluster[at + 1..];
                        seen.message = value_of(&mut i, (!inline.is_empty()).then_some(inline));
                        break;
                    }
                    _ => break,
                }
            }
        } else {
            seen.paths.push(a.clone());
        }
        seen.rest
            .extend(args[start..=i.min(args.len() - 1)].iter().cloned());
        i += 1;
    }
    seen
}

/// The change an `--amend` names: a unique prefix of a change on the channel, or the
/// channel's latest change.
fn amend_target(channel: Option<&Channel>, target: Option<&str>) -> Result<PatchId> {
    match target {
        Some(t) => resolve_change(channel, t, true),
        None => channel
            .and_then(|f| f.current())
            .and_then(|(_, record)| record.changes.last())
            .map(|c| c.hash.clone())
            .ok_or_else(|| anyhow!("--amend: the channel has no change to amend")),
    }
}

impl RecordPlan {
    /// Records and attests, on the channel `reconciled` read (call [`crate::reconcile`] after
    /// [`plan`]).
    pub fn run(self, ws: &Workspace, reconciled: &mut Reconciled) -> Result<Recorded> {
        let RecordPlan {
            request,
            repo,
            seen,
            bin,
            me,
        } = self;
        let store = ws.store()?;
        // Held until the change is recorded, attested and noted: a running node's
        // reconciliation then finds the change already attested rather than racing to.
        let _one_reconciler = crate::files::lock(&ws.store_dir()?.join(RECONCILE_LOCK)).ok();
        // The slot is chosen now and signed in once Pijul prints the hash; no other process of
        // this user may take the same number meanwhile (see `signing::sign_and_store`).
        let signing = crate::files::lock(&ws.seq_dir().join(SIGNING_LOCK))?;
        let slot = check_can_sign(ws, &me)?;
        let mut claim = Claim::capture(
            ws,
            &request.capture,
            &request.env,
            request.description,
            request.origin,
        )?;
        let mut channel = reconciled.channel()?;
        let replaced = match &seen.amend {
            Some(target) => Some(amend_target(channel.as_deref(), target.as_deref())?),
            None => None,
        };
        let mut message = seen.message.clone().unwrap_or_default();
        if let Some(old) = &replaced {
            // An amend keeps the attribution of the change it replaces, unless a capture source
            // says otherwise now; without -m, Pijul keeps the old message too.
            if !claim.decided {
                if let Some(mut own) = own_claim(ws, &me, old)? {
                    own.description = claim.description.take().or(own.description);
                    claim = own;
                }
            }
            claim.replaces = Some(old.clone());
            if seen.message.is_none() {
                if let Some((_, record)) = channel.as_deref().and_then(|f| f.current()) {
                    message = record
                        .info(old)
                        .map(|c| c.message.clone())
                        .unwrap_or_default();
                }
            }
        }
        let mut text = message.clone();
        if let Some(d) = &seen.description {
            text.push_str("\n\n");
            text.push_str(d);
        }
        claim.detect_from(&text);
        // Lines agents wrote since the last record, from their checkpoints: the log is held
        // under its lock until the record is done, so no checkpoint lands in between. When it
        // has lines of the files this record takes, the attestation waits for Pijul: its lines
        // are then matched against the change's own added lines, as for a plain record (Pijul
        // may place an inserted `}` before or after an old one; only the change says which).
        let log = WorkingLog::of_store(ws.store_dir()?);
        let mut from_log = false;
        let _log_lock = if !request.capture.no_ai && log.has_states() {
            let lock = log.lock()?;
            let paths = &seen.paths;
            let keep = |file: &str| {
                paths.is_empty()
                    || paths.iter().any(|p| {
                        let p = p.trim_start_matches("./").trim_end_matches('/');
                        file == p || file.starts_with(&format!("{p}/"))
                    })
            };
            from_log = has_lines(&log, &repo.root, keep)?;
            Some(lock)
        } else {
            None
        };

        let mut pass: Vec<OsString> = Vec::with_capacity(seen.rest.len() + 1);
        if repo.kind == VcsKind::Pijul && !seen.all && !seen.from_change {
            // Without --all Pijul opens an editor to pick hunks (an amend too), and there is no
            // terminal for it. Atomic has no --all (it refuses it): it records every tracked
            // change and opens an editor only when asked (`-e`).
            pass.push("--all".into());
        }
        pass.extend(seen.rest);
        // Our own pre-record hook must not also capture what this command attests itself.
        let wrapped = (OsStr::new(WRAPPED_ENV), OsStr::new("1"));
        let pijul = match channel.as_deref() {
            Some(f) => f.vcs.with_env(wrapped.0, wrapped.1),
            None => {
                // A store outside the repository (made before `pijul init`): no tracker to keep.
                let p = ws.vcs(&repo)?;
                p.check_version()?;
                p.with_env(wrapped.0, wrapped.1)
            }
        };
        // Pijul stamps the change while it runs: this window stands for its timestamp until the
        // header is read (see `PendingHeader`), which keeps a second process off this command.
        let started_ms = now_ms().saturating_sub(1);
        let seq_dir = ws.seq_dir();
        let mut claim = Some(claim);
        // Set once Pijul has printed the new hash: the hash, and its attestation, signed and
        // stored while Pijul still applies the change and syncs its pristine.
        let mut early: Option<(PatchId, Result<SignedRecord>)> = None;
        let (recorded, counted, noted) = std::thread::scope(|s| {
            // The counter is raised while Pijul runs: see `Slot::remember`.
            let counted = s.spawn(|| slot.remember(&seq_dir));
            // The tracker's part runs beside the attestation's: it decodes the channel's record
            // while Pijul runs, notes the change once its hash is out, and saves all but the
            // fingerprint Pijul's commit will change.
            let (hash_tx, hash_rx) = mpsc::channel::<(PatchId, u64)>();
            let (message, replaced) = (&message, replaced.as_ref());
            let noting = channel.as_deref_mut().map(|f| {
                s.spawn(move || {
                    f.tracker.current();
                    let (hash, stamped_by) = hash_rx.recv().ok()?;
                    note(f, &hash, message, (started_ms, stamped_by), replaced);
                    Some(())
                })
            });
            let mut on_hash = |hash: &PatchId| {
                let _ = hash_tx.send((hash.clone(), now_ms() + 1));
                if from_log {
                    // Signed once Pijul is done and the change's lines can be read.
                    return;
                }
                let signed = match claim.take() {
                    Some(c) => {
                        let (origin, payload) = c.into_payload(hash.clone());
                        sign_in_slot(store, &me, slot, origin, payload)
                    }
                    None => Err(anyhow!("the claim was already used")),
                };
                early = Some((hash.clone(), signed));
            };
            let recorded = match replaced {
                Some(old) => pijul
                    .record_amend_with(Some(old), &pass, &mut on_hash)
                    .map(|a| a.new),
                None => pijul.record_with(&pass, &mut on_hash),
            };
            drop(hash_tx);
            let noted = noting.map(|t| t.join().ok().flatten().is_some());
            (recorded, counted.join(), noted)
        });
        // The fallback below signs through `attest`, which takes the lock itself.
        drop(signing);
        counted.map_err(|_| anyhow!("raising the sequence counter panicked"))??;
        let hash = match recorded {
            Ok(h) => h,
            Err(e) => {
                if let Some((patch, Ok(_))) = &early {
                    // Pijul saved the change and printed its hash, then failed: the change may
                    // not be on the channel, but its attestation is stored (and true).
                    bail!(
                        "{bin} record saved change {patch}, then failed: {e}; its attestation is stored, and `{bin} log` shows whether the change is on the channel"
                    );
                }
                return Err(match e {
                    VcsError::NothingToRecord => anyhow!(
                        "{bin} record: nothing to record (no changes in tracked files; `{bin} add` new files first); no attestation written"
                    ),
                    VcsError::Failed { stderr, .. } if stderr.starts_with("Hook ") => anyhow!(
                        "{bin} record stopped: a pre-record hook failed ({stderr}); nothing was recorded"
                    ),
                    e => anyhow!(e),
                });
            }
        };
        let mut warnings = Vec::new();
        if from_log {
            if let Some(c) = claim.take() {
                let attributed = pijul
                    .added_lines(&hash)
                    .map_err(anyhow::Error::from)
                    .and_then(|lines| attribute_added(&log, &repo.root, &lines, None));
                claim = Some(match attributed {
                    Ok(a) => c.with_attribution(a),
                    Err(e) => {
                        warnings.push(format!(
                            "the agents' lines could not be matched to the change ({e:#}); it is attested without them"
                        ));
                        c
                    }
                });
            }
        }
        // Every successful record prints its hash, so these two are only fallbacks (and the
        // way a change with agents' lines is attested).
        let signed = match (early, claim.take()) {
            (Some((_, signed)), _) => signed,
            (None, Some(c)) => attest(ws, &me, hash.clone(), c),
            (None, None) => Err(anyhow!("the claim was already used")),
        };
        if let Some(f) = channel {
            if noted != Some(true) {
                note(
                    f,
                    &hash,
                    &message,
                    (started_ms, now_ms() + 1),
                    replaced.as_ref(),
                );
            }
            // The change and its attestation are in: the tracker is a cache the next command
            // can rebuild, so failing to write it must not fail this record.
            if let Err(e) = f
                .tracker
                .note_pristine(pijul.as_ref())
                .and_then(|()| f.tracker.save())
            {
                warnings.push(format!("{e}; the next command reads the channel again"));
            }
        }
        let record = signed.map_err(|e| {
            anyhow!(
                "{bin} recorded {hash}, but attesting it failed: {e:#}; attest it with `attrib annotate {hash} …`"
            )
        })?;
        Ok(Recorded {
            hash,
            amended: replaced,
            record,
            warnings,
        })
    }
}

/// Notes a recorded change in the tracker and saves it, leaving only the pristine's
/// fingerprint for after Pijul has exited.
fn note(
    f: &mut Channel,
    hash: &PatchId,
    message: &str,
    window: (u64, u64),
    replaced: Option<&PatchId>,
) {
    f.tracker
        .note_recorded(hash.clone(), message, window, replaced);
    // A failed save leaves the tracker dirty: it is tried again, and reported, after Pijul.
    let _ = f.tracker.save_before_pristine();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(args: &[&str]) -> PassThrough {
        scan(
            &args.iter().map(OsString::from).collect::<Vec<_>>(),
            VcsKind::Pijul,
        )
    }

    fn rest(s: &PassThrough) -> Vec<String> {
        s.rest
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn finds_the_message_and_all_flags() {
        let s = scan_str(&["-m", "msg"]);
        assert!(s.message.as_deref() == Some("msg") && !s.all);
        let s = scan_str(&["-am", "msg", "src/"]);
        assert!(s.message.as_deref() == Some("msg") && s.all);
        assert_eq!(rest(&s), ["-am", "msg", "src/"]);
        assert_eq!(scan_str(&["-mhello"]).message.as_deref(), Some("hello"));
        assert!(scan_str(&["--message=hello", "-a"]).all);
        assert_eq!(scan_str(&["--message", "x"]).message.as_deref(), Some("x"));
        assert!(scan_str(&["--all", "--message", "-a"]).all);
        // A value is not a flag: `--author -m` names an author called "-m".
        assert!(scan_str(&["--author", "-m", "file"]).message.is_none());
        // The message's own text is skipped.
        assert!(!scan_str(&["-m", "-a"]).all);
        assert!(scan_str(&["src/lib.rs"]).message.is_none());
        assert!(scan_str(&["--", "-m", "x"]).message.is_none());
        assert!(scan_str(&["--from-change", "f"]).from_change);
        assert_eq!(
            scan_str(&["-m", "s", "--description", "body"])
                .description
                .as_deref(),
            Some("body")
        );
    }

    #[test]
    fn atomics_own_flags_take_their_values() {
        let args: Vec<OsString> = [
            "-m",
            "x",
            "--ai-provider",
            "openai",
            "--ai-model=gpt-5",
            "--ai-confidence",
            "0.9",
            "src/",
        ]
        .iter()
        .map(OsString::from)
        .collect();
        let s = scan(&args, VcsKind::Atomic);
        assert_eq!(s.message.as_deref(), Some("x"));
        assert_eq!(s.paths, ["src/"]);
        assert_eq!(s.rest, args);
        // Pijul has no such flags: its words are paths there.
        assert_eq!(scan(&args, VcsKind::Pijul).paths, ["openai", "0.9", "src/"]);
    }

    #[test]
    fn amend_and_its_optional_target_leave_the_pass_through() {
        let s = scan_str(&["--amend"]);
        assert_eq!(s.amend, Some(None));
        assert!(s.rest.is_empty());
        let s = scan_str(&["--amend=ABC", "-m", "x"]);
        assert_eq!(s.amend, Some(Some("ABC".into())));
        assert_eq!(rest(&s), ["-m", "x"]);
        let s = scan_str(&["--amend", "ABC", "-a"]);
        assert_eq!(s.amend, Some(Some("ABC".into())));
        assert_eq!(rest(&s), ["-a"]);
        let s = scan_str(&["--amend", "-m", "new"]);
        assert_eq!(s.amend, Some(None));
        assert_eq!(rest(&s), ["-m", "new"]);
        assert_eq!(scan_str(&["-m", "x"]).amend, None);
    }
}
