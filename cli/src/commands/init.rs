//! `attrib init [--team NAME | --join FILE] [--install-hooks]`.

use std::io::Write;

use anyhow::{bail, Context as _, Result};
use attrib_workspace::hooks::HookPlan;
use attrib_workspace::{files::read_input, team, Workspace};

use super::identity::default_name;
use attrib_cli::args::InitArgs;
use attrib_cli::progress::{Data, Progress};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: InitArgs) -> Result<()> {
    // Planned first: hooks asked for outside a Pijul repository, or in one whose Pijul config
    // cannot be edited, must not leave a store or a team behind.
    let hooks = if args.install_hooks {
        let exe = std::env::current_exe().context("cannot find the attrib binary's path")?;
        Some(HookPlan::new(ws.repo_root()?, &exe)?)
    } else {
        None
    };
    let me = if ws.has_identity() {
        ws.identity()?
    } else {
        let name = args.name.clone().unwrap_or_else(default_name);
        let me = ws.create_identity(&name, args.email.as_deref(), false)?;
        writeln!(out, "created identity {} ({})", me.name, me.public())?;
        me
    };
    if let Some(held) = team::existing(ws)? {
        if args.team.is_none() && args.join.is_none() {
            if let Some(plan) = hooks {
                return install_hooks(out, plan);
            }
        }
        bail!(
            "{} already holds team {:?} ({}); nothing to do",
            held.dir.display(),
            held.name,
            held.team.short()
        );
    }
    if let Some(file) = &args.join {
        let bytes = read_input(ws, file)?;
        let progress = Progress::spinner("importing the team's records", Data::Stdout);
        let joined = team::join(ws, &me, &bytes, file, &progress)?;
        drop(progress);
        writeln!(
            out,
            "joined team {:?} ({}) in {}",
            joined.name,
            joined.team.short(),
            joined.dir.display()
        )?;
        writeln!(out, "{}", joined.summary.line())?;
        if !joined.member {
            writeln!(
                out,
                "note: you are not a member yet; ask an admin to run `attrib team add {} --name {}`",
                me.public(),
                me.name
            )?;
        }
    } else {
        let name = args.team.unwrap_or_else(|| {
            ws.dir()
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or("team")
                .to_string()
        });
        let founded = team::found(ws, &me, &name)?;
        writeln!(
            out,
            "founded team {:?} ({}) in {}",
            founded.name,
            founded.team.short(),
            founded.dir.display()
        )?;
        writeln!(out, "you ({}) are its first admin", me.name)?;
    }
    if let Some(plan) = hooks {
        install_hooks(out, plan)?;
    }
    Ok(())
}

fn install_hooks(out: &mut dyn Write, plan: HookPlan) -> Result<()> {
    if plan.apply()? {
        writeln!(
            out,
            "installed the pre-record hook: a plain `pijul record` now keeps its AI context"
        )?;
    } else {
        writeln!(out, "the pre-record hook is already installed")?;
    }
    Ok(())
}
