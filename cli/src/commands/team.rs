//! `attrib team show|add|revoke`.

use std::io::Write;

use anyhow::{anyhow, Result};
use attrib_overlay::PublicKey;
use attrib_workspace::team::{self, Grant};
use attrib_workspace::Workspace;

use attrib_cli::args::TeamCommand;
use attrib_cli::table::table;

pub fn run(ws: &Workspace, out: &mut dyn Write, cmd: TeamCommand) -> Result<()> {
    match cmd {
        TeamCommand::Show(f) => show(ws, out, f.json),
        TeamCommand::Add {
            pubkey,
            name,
            email,
            admin,
        } => {
            let member: PublicKey = pubkey.parse().map_err(|e| anyhow!("{e}"))?;
            let me = ws.identity()?;
            super::reconcile(ws)?;
            team::grant(
                ws,
                &me,
                Grant {
                    member,
                    name: name.clone(),
                    email,
                    admin,
                },
            )?;
            writeln!(
                out,
                "added {name} ({}){}",
                member.short(),
                if admin { " as admin" } else { "" }
            )?;
            Ok(())
        }
        TeamCommand::Revoke { member } => {
            let me = ws.identity()?;
            super::reconcile(ws)?;
            let r = team::revoke(ws, &me, &member)?;
            writeln!(
                out,
                "revoked {} ({}): its {} record(s) so far stay, later ones will be refused",
                r.name,
                r.key.short(),
                r.after_seq
            )?;
            Ok(())
        }
    }
}

fn show(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let team = attrib_query::members::team(&snap)?;
    if json {
        return super::print_json(out, &team);
    }
    writeln!(out, "team {:?}  {}", team.name, team.team)?;
    let rows: Vec<Vec<String>> = team
        .members
        .iter()
        .map(|x| {
            let mut role = if x.founder {
                "founder, admin".to_string()
            } else if x.admin {
                "admin".to_string()
            } else {
                "member".to_string()
            };
            if let Some(after) = x.revoked_after_seq {
                role = format!("revoked after #{after}");
            }
            if x.equivocated {
                role.push_str(", EQUIVOCATED");
            }
            vec![
                x.name.clone(),
                x.email.clone().unwrap_or_default(),
                role,
                x.key.clone(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        table(&["NAME", "EMAIL", "ROLE", "KEY"], &[], &rows)
    )?;
    Ok(())
}
