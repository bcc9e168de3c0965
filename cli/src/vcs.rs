//! The Pijul repository a command works in: shared by every command that drives the VCS
//! (`attrib record`, `attrib blame`).

use std::ffi::{OsStr, OsString};
use std::path::Path;

use anyhow::{bail, Result};
use attrib_vcs_adapter::{Pijul, DEFAULT_BINARY};

use crate::context::Ctx;

/// The environment variable naming the binary to run instead of `pijul` (e.g. `atomic`).
pub const BINARY_ENV: &str = "ATTRIB_VCS_BINARY";

/// The driver for the repository in the working directory, with the configured binary.
/// Fails with one clear line when the directory is not a Pijul repository. The binary's
/// version is not checked here: call [`Pijul::check_version`] before relying on its output.
pub fn driver(ctx: &Ctx) -> Result<Pijul> {
    if !ctx.cwd.join(".pijul").is_dir() {
        bail!(
            "not a Pijul repository: {} has no .pijul directory (run `pijul init`, or give the repository with -C DIR)",
            ctx.cwd.display()
        );
    }
    let bin = match std::env::var_os(BINARY_ENV) {
        Some(b) if !b.is_empty() => b,
        _ => OsString::from(DEFAULT_BINARY),
    };
    // Only Pijul's own version numbers are known; a fork such as Atomic numbers its releases
    // differently and is taken as it is.
    let is_pijul = Path::new(&bin).file_name() == Some(OsStr::new(DEFAULT_BINARY));
    let mut pijul = Pijul::new(&ctx.cwd).with_binary(bin);
    if !is_pijul {
        pijul = pijul.accept_versions(None);
    }
    Ok(pijul)
}
