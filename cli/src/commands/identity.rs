//! `attrib identity new|show`.

use std::io::Write;

use anyhow::Result;
use serde_json::json;

use crate::context::{Ctx, Me};

pub fn new(
    ctx: &Ctx,
    out: &mut dyn Write,
    name: Option<String>,
    email: Option<String>,
    force: bool,
    json: bool,
) -> Result<()> {
    let name = name.unwrap_or_else(default_name);
    let me = ctx.create_identity(&name, email.as_deref(), force)?;
    print(ctx, out, &me, json)
}

pub fn show(ctx: &Ctx, out: &mut dyn Write, json: bool) -> Result<()> {
    let me = ctx.identity()?;
    print(ctx, out, &me, json)
}

fn print(ctx: &Ctx, out: &mut dyn Write, me: &Me, json: bool) -> Result<()> {
    if json {
        let v = json!({
            "name": me.name,
            "email": me.email,
            "public_key": me.public().to_hex(),
            "config_dir": ctx.config_dir.display().to_string(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
    } else {
        writeln!(out, "name        {}", me.name)?;
        if let Some(e) = &me.email {
            writeln!(out, "email       {e}")?;
        }
        writeln!(out, "public key  {}", me.public())?;
        writeln!(
            out,
            "stored in   {}",
            ctx.config_dir.join("identity.toml").display()
        )?;
    }
    Ok(())
}

/// `$USER`, or "me".
pub fn default_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "me".to_string())
}
