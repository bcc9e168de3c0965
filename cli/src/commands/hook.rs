//! `attrib hook pre-record`: run by Pijul before each record (installed by `attrib init
//! --install-hooks`); see [`attrib_workspace::hooks`].

use std::io::Write;

use anyhow::Result;
use attrib_overlay::Origin;
use attrib_workspace::capture::CaptureEnv;
use attrib_workspace::hooks::{pre_record as keep_pending, WRAPPED_ENV};
use attrib_workspace::Workspace;

pub fn pre_record(ws: &Workspace) -> Result<()> {
    let wrapped = std::env::var_os(WRAPPED_ENV).is_some();
    let origin = match std::env::var("ATTRIB_ORIGIN").as_deref() {
        Ok("agent") => Origin::AgentHook,
        _ => Origin::Person,
    };
    let kept = keep_pending(ws, &CaptureEnv::from_process(), wrapped, origin);
    if let Err(e) = &kept {
        // Pijul swallows a hook's stderr: say it where the person recording can see it.
        if let Ok(mut tty) = std::fs::OpenOptions::new().write(true).open("/dev/tty") {
            let _ = writeln!(tty, "attrib: {e:#}");
        }
    }
    kept
}
