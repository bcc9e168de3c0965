//! `attrib hooks install|status|uninstall` ([`attrib_workspace::agent_hooks`]).

use std::io::Write;
use std::path::PathBuf;

use anyhow::{Context as _, Result};
use attrib_workspace::agent_hooks::{
    self, Agent, Coverage, HookStatus, Installed, Places, Prepared, Removed, Scope,
};
use attrib_workspace::Workspace;
use serde::Serialize;

use attrib_cli::args::{AgentArg, HooksCommand};
use attrib_cli::table::{table, Align};

pub fn run(ws: &Workspace, out: &mut dyn Write, cmd: HooksCommand) -> Result<()> {
    let places = Places::of(ws)?;
    match cmd {
        HooksCommand::Install(a) => {
            let prompts = a.prompts || agent_hooks::track_prompts(ws)?;
            let scope = scope(a.target.user);
            let prepared = prepare(&places, &a.target.agent, scope, prompts)?;
            apply(out, prepared)
        }
        HooksCommand::Uninstall(a) => {
            let scope = scope(a.user);
            for agent in AgentArg::agents(&a.agent) {
                report_removed(out, &agent_hooks::uninstall(&places, agent, scope)?)?;
            }
            Ok(())
        }
        HooksCommand::Status(f) => {
            // A config that cannot be read must not hide the answer: prompts count as off.
            let prompts = agent_hooks::track_prompts(ws).unwrap_or(false);
            let all = agent_hooks::status(&places, &exe()?, prompts);
            if f.json {
                return super::print_json(
                    out,
                    &StatusJson {
                        repository: places.project.clone(),
                        home: places.home.clone(),
                        prompts,
                        hooks: all,
                    },
                );
            }
            print_status(out, &places, &all)
        }
    }
}

/// The running binary, which the hooks run: by the name it has on `PATH` when that is a link to
/// it, since a package manager's link (`/opt/homebrew/bin/attrib`) outlives an upgrade and the
/// versioned file it points to does not.
pub fn exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the attrib binary's path")?;
    let real = exe.canonicalize().unwrap_or_else(|_| exe.clone());
    let name = exe.file_name().unwrap_or_default().to_owned();
    let on_path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .filter(|dir| dir.is_absolute())
        .map(|dir| dir.join(&name))
        .find(|candidate| candidate.canonicalize().is_ok_and(|c| c == real));
    Ok(on_path.unwrap_or(exe))
}

fn scope(user: bool) -> Scope {
    if user {
        Scope::User
    } else {
        Scope::Project
    }
}

/// Works out every agent's file before writing any: one file that cannot be read stops the
/// command with nothing changed.
pub fn prepare(
    places: &Places,
    agents: &[AgentArg],
    scope: Scope,
    prompts: bool,
) -> Result<Vec<Prepared>> {
    let exe = exe()?;
    AgentArg::agents(agents)
        .into_iter()
        .map(|agent| agent_hooks::prepare(places, agent, scope, &exe, prompts))
        .collect()
}

/// Writes what [`prepare`] worked out and says what it did.
pub fn apply(out: &mut dyn Write, prepared: Vec<Prepared>) -> Result<()> {
    for p in prepared {
        report_installed(out, &p.apply()?)?;
    }
    Ok(())
}

fn report_installed(out: &mut dyn Write, done: &Installed) -> Result<()> {
    let verb = match (done.changed, done.updated) {
        (false, _) => "already installed",
        (true, true) => "updated",
        (true, false) => "installed",
    };
    writeln!(
        out,
        "{verb} {} hooks ({}) in {}",
        done.agent,
        done.events.join(", "),
        done.path.display()
    )?;
    if let Some(note) = done.note {
        writeln!(out, "note: {note}")?;
    }
    Ok(())
}

fn report_removed(out: &mut dyn Write, removed: &Removed) -> Result<()> {
    if removed.events.is_empty() {
        writeln!(
            out,
            "no {} hooks of attrib's in {} (nothing to do)",
            removed.agent,
            removed.path.display()
        )?;
    } else {
        writeln!(
            out,
            "removed {} hooks ({}) from {}",
            removed.agent,
            removed.events.join(", "),
            removed.path.display()
        )?;
    }
    Ok(())
}

#[derive(Serialize)]
struct StatusJson {
    /// The repository whose settings were looked at (`null` outside one).
    repository: Option<PathBuf>,
    home: PathBuf,
    /// Whether the prompt event counts as needed (the config's `ai.track_prompts`).
    prompts: bool,
    hooks: Vec<HookStatus>,
}

fn print_status(out: &mut dyn Write, places: &Places, all: &[HookStatus]) -> Result<()> {
    let rows: Vec<Vec<String>> = all
        .iter()
        .map(|s| {
            let state = match (&s.error, s.installed) {
                (Some(_), _) => "unreadable",
                (None, Coverage::All) => "installed",
                (None, Coverage::Some) => "partly",
                (None, Coverage::None) => "no",
            };
            let state = if s.outdated {
                format!("{state} (outdated)")
            } else {
                state.to_string()
            };
            vec![
                s.agent.to_string(),
                s.scope.as_str().to_string(),
                state,
                s.events.join(", "),
                s.path.display().to_string(),
            ]
        })
        .collect();
    out.write_all(
        table(
            &["AGENT", "SCOPE", "HOOKS", "EVENTS", "FILE"],
            &[Align::Left; 5],
            &rows,
        )
        .as_bytes(),
    )?;
    for s in all {
        if let Some(e) = &s.error {
            writeln!(out, "error: {e}")?;
        }
        if !s.missing.is_empty() && s.installed != Coverage::None {
            writeln!(
                out,
                "{} ({}) lacks {}: run `{}`",
                s.agent,
                s.scope.as_str(),
                s.missing.join(", "),
                install_command(&[s.agent], s.scope)
            )?;
        } else if s.outdated {
            writeln!(
                out,
                "{} ({}) runs another command or matcher: run `{}` to update it",
                s.agent,
                s.scope.as_str(),
                install_command(&[s.agent], s.scope)
            )?;
        }
    }
    // The trust note once per agent, for the agents whose hook is installed.
    let mut noted = Vec::new();
    for s in all {
        if let (Some(note), false) = (s.note, noted.contains(&s.agent)) {
            writeln!(out, "note: {note}")?;
            noted.push(s.agent);
        }
    }
    if places.project.is_none() {
        writeln!(
            out,
            "not in a repository: only your home directory's settings are shown"
        )?;
    }
    Ok(())
}

/// The command line that installs `agents`' hooks in `scope`.
pub fn install_command(agents: &[Agent], scope: Scope) -> String {
    let names: Vec<&str> = agents.iter().map(|a| a.name()).collect();
    let user = if scope == Scope::User { " --user" } else { "" };
    format!("attrib hooks install --agent {}{user}", names.join(","))
}
