//! `attrib init [--team NAME | --join FILE] [--install-hooks] [--agent-hooks AGENT,...]`.

use std::io::Write;

use anyhow::{anyhow, bail, Context as _, Result};
use attrib_workspace::agent_hooks::{self, Places, Prepared, Scope};
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
        Some(HookPlan::new(&ws.repository()?, &exe)?)
    } else {
        None
    };
    // The agents' settings files are read now too: one that cannot be read stops init before
    // anything is written.
    let places = Places::for_init(ws);
    let agent_hooks = if args.agent_hooks.is_empty() {
        None
    } else {
        let prompts = agent_hooks::track_prompts(ws)?;
        Some(super::hooks::prepare(
            places.as_ref().map_err(|e| anyhow!("{e:#}"))?,
            &args.agent_hooks,
            Scope::Project,
            prompts,
        )?)
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
        if args.team.is_none() && args.join.is_none() && (hooks.is_some() || agent_hooks.is_some())
        {
            if let Some(plan) = hooks {
                install_hooks(out, plan)?;
            }
            return finish_agent_hooks(out, places.ok(), agent_hooks);
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
    finish_agent_hooks(out, places.ok(), agent_hooks)
}

/// Installs the agent hooks asked for; when none were, ends with a hint naming the agents this
/// person seems to use (a `.claude`, `.codex`, … directory here or at home) that have none yet.
fn finish_agent_hooks(
    out: &mut dyn Write,
    places: Option<Places>,
    prepared: Option<Vec<Prepared>>,
) -> Result<()> {
    if let Some(prepared) = prepared {
        return super::hooks::apply(out, prepared);
    }
    // Only a hint: without a home directory or the binary's path there is none to give.
    let (Some(places), Ok(exe)) = (places, super::hooks::exe()) else {
        return Ok(());
    };
    let agents = agent_hooks::suggested(&places, &exe);
    if !agents.is_empty() {
        writeln!(
            out,
            "hint: to tell your lines from your agents', run `{}`",
            super::hooks::install_command(&agents, Scope::Project)
        )?;
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
