//! `attrib config get|set|unset|list` ([`attrib_workspace::config`]).

use std::io::Write;

use anyhow::Result;
use attrib_workspace::config::{self, Change, Scope};
use attrib_workspace::Workspace;

use attrib_cli::args::ConfigCommand;
use attrib_cli::table::{table, Align};

fn scope(in_repo: bool) -> Scope {
    if in_repo {
        Scope::Repo
    } else {
        Scope::User
    }
}

pub fn run(ws: &Workspace, out: &mut dyn Write, cmd: ConfigCommand) -> Result<()> {
    match cmd {
        ConfigCommand::Get { key, user, in_repo } => {
            let only = match (user, in_repo) {
                (true, _) => Some(Scope::User),
                (_, true) => Some(Scope::Repo),
                _ => None,
            };
            for line in config::get(ws, &key, only)? {
                writeln!(out, "{line}")?;
            }
        }
        ConfigCommand::Set {
            key,
            value,
            in_repo,
            ..
        } => report(
            out,
            &key,
            config::set(ws, &key, Some(&value), scope(in_repo))?,
        )?,
        ConfigCommand::Unset { key, in_repo, .. } => {
            report(out, &key, config::set(ws, &key, None, scope(in_repo))?)?
        }
        ConfigCommand::List { json } => {
            let listing = config::list(ws)?;
            if json {
                return super::print_json(out, &listing);
            }
            let cells: Vec<Vec<String>> = listing
                .keys
                .iter()
                .map(|k| {
                    let source = if k.source == "unset" { "" } else { k.source };
                    vec![
                        k.key.to_string(),
                        k.text.clone(),
                        source.to_string(),
                        k.description.to_string(),
                    ]
                })
                .collect();
            out.write_all(
                table(
                    &["KEY", "VALUE", "FROM", "MEANING"],
                    &[Align::Left; 4],
                    &cells,
                )
                .as_bytes(),
            )?;
            for f in listing.files.iter().rev() {
                writeln!(out, "{} config: {}", f.scope.as_str(), f.path)?;
            }
        }
    }
    Ok(())
}

fn report(out: &mut dyn Write, key: &str, change: Change) -> Result<()> {
    match change {
        Change::Set(path) => writeln!(out, "set {key} in {}", path.display())?,
        Change::Unset(path) => writeln!(out, "unset {key} in {}", path.display())?,
        Change::NotSet(path) => writeln!(
            out,
            "{key} is not set in {} (nothing to do)",
            path.display()
        )?,
    }
    Ok(())
}
