//! `attrib import FILE`: another member's signed export, or Agent Trace records; `attrib
//! import --from atomic`: the attribution Atomic keeps in its changes; `attrib import --from
//! git-ai`: git-ai's notes on the commits of a git repository.

use std::io::Write;

use anyhow::{bail, Result};
use attrib_query::agent_trace;
use attrib_workspace::files::read_input;
use attrib_workspace::import::{self, require_team};
use attrib_workspace::Workspace;

use attrib_cli::args::{ImportArgs, ImportFormat, ImportSource};
use attrib_cli::errors::UsageError;
use attrib_cli::progress::{Data, Progress};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: ImportArgs) -> Result<()> {
    if args.dry_run && args.from != Some(ImportSource::GitAi) {
        return Err(UsageError("--dry-run is for --from git-ai".into()).into());
    }
    super::reconcile(ws)?;
    let file = match (args.from, args.file) {
        (Some(ImportSource::GitAi), _) => return from_git_ai(ws, out, args.json, args.dry_run),
        (Some(ImportSource::Atomic), _) => return from_atomic(ws, out, args.json),
        (None, Some(file)) => file,
        (None, None) => bail!("name a file to import, or a source with --from"),
    };
    require_team(ws, &file)?;
    let progress = Progress::spinner("reading the import", Data::Stdout);
    let bytes = read_input(ws, &file)?;
    let format = match args.format {
        ImportFormat::Auto if agent_trace::looks_like(&bytes) => ImportFormat::AgentTrace,
        ImportFormat::Auto => ImportFormat::Jsonl,
        f => f,
    };
    if format == ImportFormat::AgentTrace {
        // Everything is read and checked before this device signs anything.
        let name = if file.as_os_str() == "-" {
            "standard input".to_string()
        } else {
            file.display().to_string()
        };
        let records = agent_trace::parse(&bytes, &name)?;
        let me = ws.identity()?;
        let summary = import::agent_trace::import(ws, &me, &records, &progress)?;
        drop(progress);
        if args.json {
            super::print_json(out, &summary)?;
        } else {
            writeln!(out, "{}", summary.line())?;
        }
        return Ok(());
    }
    let summary = import::import_export(ws, &bytes, &file, &progress)?;
    drop(progress);
    if args.json {
        super::print_json(out, &summary)?;
    } else {
        writeln!(out, "{}", summary.line())?;
        for (line, _, why) in &summary.refused {
            writeln!(out, "  line {line}: {why}")?;
        }
    }
    out.flush()?;
    if !summary.refused.is_empty() {
        bail!(
            "{} record(s) refused (the others were imported); see the reasons above",
            summary.refused.len()
        );
    }
    Ok(())
}

/// `--from atomic`: what Atomic says about the current channel's changes (one `atomic`
/// process), read before this device signs anything.
fn from_atomic(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    if ws.store()?.snapshot()?.team().is_none() {
        bail!("this store has no team yet; run `attrib init --team NAME` or `attrib init --join FILE` first");
    }
    let me = ws.identity()?;
    let progress = Progress::spinner("reading Atomic's attribution", Data::Stdout);
    let changes = import::atomic::read(ws)?;
    let summary = import::atomic::import(ws, &me, &changes, &progress)?;
    drop(progress);
    if json {
        super::print_json(out, &summary)?;
    } else {
        writeln!(out, "{}", summary.line())?;
    }
    Ok(())
}

/// `--from git-ai`: git-ai's notes (`refs/notes/ai`) on the repository's commits, read in a
/// few `git` processes before this device signs anything. A note that cannot be read is listed
/// and the others are imported; the command then fails with one line.
fn from_git_ai(ws: &Workspace, out: &mut dyn Write, json: bool, dry_run: bool) -> Result<()> {
    if ws.store()?.snapshot()?.team().is_none() {
        bail!("this store has no team yet; run `attrib init --team NAME` or `attrib init --join FILE` first");
    }
    let me = ws.identity()?;
    let progress = Progress::spinner("reading git-ai's notes", Data::Stdout);
    let options = import::git_ai::Options { dry_run };
    let summary = import::git_ai::import(ws, &me, options, &progress)?;
    drop(progress);
    if json {
        super::print_json(out, &summary)?;
    } else {
        writeln!(out, "{}", summary.line())?;
        for p in &summary.skipped {
            writeln!(out, "  skipped {}: {}", p.commit, p.reason)?;
        }
        for p in &summary.bad {
            writeln!(out, "  {}: {}", p.commit, p.reason)?;
        }
    }
    out.flush()?;
    if !summary.bad.is_empty() {
        bail!(
            "{} git-ai note(s) could not be imported (the others were); see the reasons above",
            summary.bad.len()
        );
    }
    Ok(())
}
