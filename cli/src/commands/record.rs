//! `attrib record [capture flags] -- ARGS`: runs `pijul record ARGS` through the VCS adapter and
//! attests the new change in the same step.
//!
//! Everything that could make the attestation fail (no identity, no store, no team, a key the
//! team does not admit, bad capture flags) is checked *before* Pijul records, so in the usual
//! cases a change never ends up recorded but unattested.

use std::ffi::OsString;
use std::io::Write;

use anyhow::{anyhow, bail, Result};
use attrib_vcs_adapter::VcsError;

use super::annotate::{attest, report_attestation, Claim};
use super::check_can_sign;
use crate::args::RecordArgs;
use crate::context::Ctx;
use crate::vcs::driver;

/// What the pass-through arguments ask of `pijul record`.
#[derive(Debug, Default, PartialEq, Eq)]
struct PassThrough {
    message: bool,
    all: bool,
    from_change: bool,
    amend: bool,
}

/// Scans `pijul record`'s arguments (its grammar: `-a`/`--all`, `-m`/`--message MSG`, long
/// options, then paths) for what attrib needs to know. Stops at Pijul's own `--`.
fn scan(args: &[OsString]) -> PassThrough {
    let mut seen = PassThrough::default();
    let mut skip_value = false;
    for a in args {
        if skip_value {
            skip_value = false;
            continue;
        }
        let a = a.to_string_lossy();
        if a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            let (name, has_value) = match long.split_once('=') {
                Some((n, _)) => (n, true),
                None => (long, false),
            };
            match name {
                "message" => {
                    seen.message = true;
                    skip_value = !has_value;
                }
                "all" => seen.all = true,
                "from-change" => {
                    seen.from_change = true;
                    skip_value = !has_value;
                }
                // `--amend` takes an optional value; `--amend=HASH` is the unambiguous form.
                "amend" => seen.amend = true,
                "repository" | "channel" | "description" | "author" | "timestamp" | "identity"
                | "algorithm" | "config" => skip_value = !has_value,
                _ => {}
            }
        } else if let Some(cluster) = a.strip_prefix('-').filter(|c| !c.is_empty()) {
            for (i, c) in cluster.char_indices() {
                match c {
                    'a' => seen.all = true,
                    'm' => {
                        seen.message = true;
                        // `-mMSG` carries its value; `-m MSG` takes the next argument.
                        skip_value = i + 1 == cluster.len();
                        break;
                    }
                    _ => break,
                }
            }
        }
    }
    seen
}

pub fn run(ctx: &Ctx, out: &mut dyn Write, args: RecordArgs) -> Result<()> {
    let pijul = driver(ctx)?;
    let bin = pijul.binary();
    let seen = scan(&args.pijul_args);
    if seen.amend {
        bail!(
            "attrib record does not wrap --amend yet: run `{bin} record --amend …`, then `attrib annotate NEW_HASH …`"
        );
    }
    if !seen.message && !seen.from_change {
        bail!(
            "a change message is required (there is no terminal for {bin}'s editor): add it after `--`, e.g. `attrib record … -- -m \"Fix the parser\"`"
        );
    }
    // Everything the attestation needs, before anything is recorded.
    let me = ctx.identity()?;
    let store = ctx.open_store()?;
    check_can_sign(ctx, &store, &me)?;
    pijul.check_version()?;
    let claim = Claim::capture(ctx, &args.capture, args.description, args.origin)?;

    let mut pass: Vec<OsString> = Vec::with_capacity(args.pijul_args.len() + 1);
    if !seen.all && !seen.from_change {
        // Without --all Pijul opens an editor to pick hunks, and there is no terminal for it.
        pass.push("--all".into());
    }
    pass.extend(args.pijul_args);
    let hash = match pijul.record(&pass) {
        Ok(h) => h,
        Err(VcsError::NothingToRecord) => bail!(
            "{bin} record: nothing to record (no changes in tracked files; `{bin} add` new files first); no attestation written"
        ),
        Err(e) => return Err(anyhow!(e)),
    };
    let signed = attest(ctx, &store, &me, hash.clone(), claim).map_err(|e| {
        anyhow!(
            "{bin} recorded {hash}, but attesting it failed: {e:#}; attest it with `attrib annotate {hash} …`"
        )
    })?;
    report_attestation(out, &store, &signed, "recorded", args.json)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_str(args: &[&str]) -> PassThrough {
        scan(&args.iter().map(OsString::from).collect::<Vec<_>>())
    }

    #[test]
    fn finds_the_message_and_all_flags() {
        let s = scan_str(&["-m", "msg"]);
        assert!(s.message && !s.all);
        let s = scan_str(&["-am", "msg", "src/"]);
        assert!(s.message && s.all);
        assert!(scan_str(&["-mhello"]).message);
        assert!(scan_str(&["--message=hello", "-a"]).all);
        assert!(scan_str(&["--message", "x"]).message);
        assert!(scan_str(&["--all", "--message", "-a"]).all);
        // A value is not a flag: `--author -m` names an author called "-m".
        assert!(!scan_str(&["--author", "-m", "file"]).message);
        // The message's own text is skipped.
        assert!(!scan_str(&["-m", "-a"]).all);
        assert!(!scan_str(&["src/lib.rs"]).message);
        assert!(!scan_str(&["--", "-m", "x"]).message);
        assert!(scan_str(&["--from-change", "f"]).from_change);
        assert!(scan_str(&["--amend"]).amend);
        assert!(scan_str(&["--amend=ABC", "-m", "x"]).amend);
    }
}
