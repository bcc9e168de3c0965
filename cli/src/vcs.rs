//! The Pijul repository a command works in: shared by every command that drives the VCS
//! (`attrib record`, `attrib blame`, reconciliation).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};

use anyhow::{bail, Result};
use attrib_vcs_adapter::{Pijul, DEFAULT_BINARY};

use crate::context::Ctx;

/// The environment variable naming the binary to run instead of `pijul` (e.g. `atomic`); it
/// wins over the config's `[vcs] binary`.
pub const BINARY_ENV: &str = "ATTRIB_VCS_BINARY";

/// The root of the Pijul repository containing the working directory.
pub fn repo_root(ctx: &Ctx) -> Result<PathBuf> {
    match ctx.cwd.ancestors().find(|d| d.join(".pijul").is_dir()) {
        Some(root) => Ok(root.to_path_buf()),
        None => bail!(
            "not a Pijul repository: neither {} nor its parents have a .pijul directory (run `pijul init`, or give the repository with -C DIR)",
            ctx.cwd.display()
        ),
    }
}

/// The driver for the repository at `root`, with the configured binary. The binary's version
/// is not checked here: reconciliation checks it once per installed binary.
pub fn driver_at(ctx: &Ctx, root: &Path) -> Result<Pijul> {
    let bin = match std::env::var_os(BINARY_ENV) {
        Some(b) if !b.is_empty() => b,
        _ => match &ctx.config()?.vcs.binary {
            Some(b) if !b.trim().is_empty() => OsString::from(b.trim()),
            _ => OsString::from(DEFAULT_BINARY),
        },
    };
    // Only Pijul's own version numbers are known; a fork such as Atomic numbers its releases
    // differently and is taken as it is.
    let is_pijul = Path::new(&bin).file_name() == Some(OsStr::new(DEFAULT_BINARY));
    let mut pijul = Pijul::new(root).with_binary(bin);
    if !is_pijul {
        pijul = pijul.accept_versions(None);
    }
    Ok(pijul)
}
