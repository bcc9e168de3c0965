//! `attrib identity new|show`.

use std::io::Write;

use anyhow::Result;
use attrib_workspace::identity::{identity_path, DeviceIdentity};
use attrib_workspace::Workspace;
use serde::Serialize;

pub fn new(
    ws: &Workspace,
    out: &mut dyn Write,
    name: Option<String>,
    email: Option<String>,
    force: bool,
    json: bool,
) -> Result<()> {
    let name = name.unwrap_or_else(default_name);
    let me = ws.create_identity(&name, email.as_deref(), force)?;
    print(ws, out, &me, json)
}

pub fn show(ws: &Workspace, out: &mut dyn Write, json: bool) -> Result<()> {
    let me = ws.identity()?;
    print(ws, out, &me, json)
}

#[derive(Serialize)]
struct IdentityJson<'a> {
    name: &'a str,
    email: Option<&'a str>,
    public_key: String,
    config_dir: String,
}

fn print(ws: &Workspace, out: &mut dyn Write, me: &DeviceIdentity, json: bool) -> Result<()> {
    if json {
        return super::print_json(
            out,
            &IdentityJson {
                name: &me.name,
                email: me.email.as_deref(),
                public_key: me.public().to_hex(),
                config_dir: ws.config_dir().display().to_string(),
            },
        );
    }
    writeln!(out, "name        {}", me.name)?;
    if let Some(e) = &me.email {
        writeln!(out, "email       {e}")?;
    }
    writeln!(out, "public key  {}", me.public())?;
    writeln!(
        out,
        "stored in   {}",
        identity_path(ws.config_dir()).display()
    )?;
    Ok(())
}

/// `$USER`, or "me".
pub fn default_name() -> String {
    std::env::var("USER")
        .ok()
        .filter(|u| !u.trim().is_empty())
        .unwrap_or_else(|| "me".to_string())
}
