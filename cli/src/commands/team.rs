//! `attrib team show|add|revoke`.

use std::io::Write;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::{Origin, Payload, PublicKey};
use serde_json::json;

use super::{resolve_member, sign_and_store, tabular};
use crate::args::TeamCommand;
use crate::context::Ctx;

pub fn run(ctx: &Ctx, out: &mut dyn Write, cmd: TeamCommand) -> Result<()> {
    match cmd {
        TeamCommand::Show(f) => show(ctx, out, f.json),
        TeamCommand::Add {
            pubkey,
            name,
            email,
            admin,
        } => {
            let member: PublicKey = pubkey.parse().map_err(|e| anyhow!("{e}"))?;
            if name.trim().is_empty() {
                bail!("--name must not be empty");
            }
            let me = ctx.identity()?;
            let store = ctx.open_store()?;
            require_admin(&store, &me.public())?;
            sign_and_store(
                ctx,
                &store,
                &me,
                Origin::Person,
                Payload::Grant {
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
            let me = ctx.identity()?;
            let store = ctx.open_store()?;
            require_admin(&store, &me.public())?;
            let snap = store.snapshot()?;
            let key = resolve_member(&snap, &member)?;
            if !snap
                .membership()
                .is_some_and(|m| m.members.contains_key(&key))
            {
                bail!("{} is not a member of this team", key.short());
            }
            let after_seq = snap.next_seq(&key)?.saturating_sub(1);
            let name = snap
                .membership()
                .map(|m| m.name_of(&key))
                .unwrap_or_default();
            drop(snap);
            sign_and_store(
                ctx,
                &store,
                &me,
                Origin::Person,
                Payload::Revoke {
                    member: key,
                    after_seq,
                },
            )?;
            writeln!(
                out,
                "revoked {name} ({}): its {after_seq} record(s) so far stay, later ones will be refused",
                key.short()
            )?;
            Ok(())
        }
    }
}

fn require_admin(store: &attrib_overlay::Store, me: &PublicKey) -> Result<()> {
    let snap = store.snapshot()?;
    let m = snap
        .membership()
        .ok_or_else(|| anyhow!("this store has no team yet; run `attrib init` first"))?;
    if !m.is_admin(me) {
        bail!(
            "you are not an admin of team {:?}; ask an admin to do this",
            m.team_name
        );
    }
    Ok(())
}

fn show(ctx: &Ctx, out: &mut dyn Write, json: bool) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let m = snap
        .membership()
        .ok_or_else(|| anyhow!("this store has no team yet; run `attrib init` first"))?;
    let flagged = snap.equivocators();
    if json {
        let members: Vec<_> = m
            .members
            .values()
            .map(|x| {
                json!({
                    "key": x.key.to_hex(),
                    "name": x.name,
                    "email": x.email,
                    "admin": x.admin,
                    "founder": x.key == m.founder,
                    "revoked_after_seq": x.revoked_after,
                    "equivocated": flagged.contains(&x.key),
                })
            })
            .collect();
        let v = json!({"team": m.team.to_hex(), "name": m.team_name, "members": members});
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(out, "team {:?}  {}", m.team_name, m.team)?;
    let rows: Vec<Vec<String>> = m
        .members
        .values()
        .map(|x| {
            let mut role = if x.key == m.founder {
                "founder, admin".to_string()
            } else if x.admin {
                "admin".to_string()
            } else {
                "member".to_string()
            };
            if let Some(after) = x.revoked_after {
                role = format!("revoked after #{after}");
            }
            if flagged.contains(&x.key) {
                role.push_str(", EQUIVOCATED");
            }
            vec![
                x.name.clone(),
                x.email.clone().unwrap_or_default(),
                role,
                x.key.to_hex(),
            ]
        })
        .collect();
    write!(
        out,
        "{}",
        tabular::table(&["NAME", "EMAIL", "ROLE", "KEY"], &[], &rows)
    )?;
    Ok(())
}
