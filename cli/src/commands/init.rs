//! `attrib init [--team NAME | --join FILE] [--install-hooks]`.

use std::io::Write;

use anyhow::{bail, Context as _, Result};
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{now_ms, Origin, Outcome, Payload, Record, Store};

use super::identity::default_name;
use super::{exchange, hook};
use crate::args::InitArgs;
use crate::context::Ctx;
use crate::vcs;

pub fn run(ctx: &Ctx, out: &mut dyn Write, args: InitArgs) -> Result<()> {
    // Planned first: hooks asked for outside a Pijul repository, or in one whose Pijul config
    // cannot be edited, must not leave a store or a team behind.
    let mut hooks = if args.install_hooks {
        Some(hook::HookPlan::new(&vcs::repo_root(ctx)?)?)
    } else {
        None
    };
    let me = if ctx.has_identity() {
        ctx.identity()?
    } else {
        let me = ctx.create_identity(
            &args.name.clone().unwrap_or_else(default_name),
            args.email.as_deref(),
            false,
        )?;
        writeln!(out, "created identity {} ({})", me.name, me.public())?;
        me
    };
    let dir = ctx.new_store_dir();
    if dir.join(attrib_overlay::store::STORE_FILE).exists() {
        let store = Store::open(&dir)?;
        let snap = store.snapshot()?;
        if let Some(m) = snap.membership() {
            if args.team.is_none() && args.join.is_none() {
                if let Some(plan) = hooks.take() {
                    return install_hooks(out, plan);
                }
            }
            bail!(
                "{} already holds team {:?} ({}); nothing to do",
                dir.display(),
                m.team_name,
                m.team.short()
            );
        }
    }
    if let Some(file) = &args.join {
        // Read and check the export before creating anything, so a bad file leaves no store.
        let parsed = exchange::read_export(file)?;
        if !parsed
            .records
            .iter()
            .any(|r| matches!(r.record.payload, Payload::Genesis { .. }))
        {
            bail!(
                "{} has no team genesis record; export it from a member's store",
                file.display()
            );
        }
        let existed = dir.exists();
        let store =
            Store::open(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let summary = exchange::ingest_parsed(&store, parsed)?;
        let snap = store.snapshot()?;
        if snap.membership().is_none() && !existed {
            // Every genesis in the file was refused (forged, malformed): leave no store behind.
            drop(snap);
            drop(store);
            let _ = std::fs::remove_dir_all(&dir);
            bail!("{}: the team genesis was refused", file.display());
        }
        let Some(m) = snap.membership() else {
            bail!("{}: the team genesis was refused", file.display());
        };
        writeln!(
            out,
            "joined team {:?} ({}) in {}",
            m.team_name,
            m.team.short(),
            dir.display()
        )?;
        writeln!(out, "{}", summary.line())?;
        if !m.members.contains_key(&me.public()) {
            writeln!(
                out,
                "note: you are not a member yet; ask an admin to run `attrib team add {} --name {}`",
                me.public(),
                me.name
            )?;
        }
        if let Some(plan) = hooks {
            install_hooks(out, plan)?;
        }
        return Ok(());
    }
    let team_name = args.team.unwrap_or_else(|| {
        ctx.cwd
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("team")
            .to_string()
    });
    let genesis = me.key.sign(
        GENESIS_TEAM,
        Record {
            seq: 1,
            timestamp_ms: now_ms(),
            origin: Origin::Person,
            payload: Payload::Genesis {
                team_name: team_name.clone(),
                founder_name: me.name.clone(),
                founder_email: me.email.clone(),
            },
        },
    );
    genesis.record.validate()?;
    let store = Store::open(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
    match store
        .ingest(std::slice::from_ref(&genesis), now_ms())?
        .pop()
    {
        Some(Outcome::Accepted) => {}
        other => bail!("could not found the team: {other:?}"),
    }
    let team = genesis.team_id();
    ctx.remember_seq(&team.to_hex(), 1)?;
    writeln!(
        out,
        "founded team {team_name:?} ({}) in {}",
        team.short(),
        dir.display()
    )?;
    writeln!(out, "you ({}) are its first admin", me.name)?;
    if let Some(plan) = hooks {
        install_hooks(out, plan)?;
    }
    Ok(())
}

fn install_hooks(out: &mut dyn Write, plan: hook::HookPlan) -> Result<()> {
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
