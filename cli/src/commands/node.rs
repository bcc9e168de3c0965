//! `attrib node`, `attrib sync` and `attrib peers` run the `attrib-node` binary installed beside
//! this one, with the same arguments: the networking (libp2p, an async runtime) lives there, so
//! every other command starts without it.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;

use anyhow::{bail, Context as _, Result};

/// The node binary's name.
pub const NODE_BINARY: &str = "attrib-node";

/// `attrib-node` beside this binary, else on PATH.
pub fn node_binary() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the attrib binary's path")?;
    let beside = exe.with_file_name(NODE_BINARY);
    if beside.is_file() {
        return Ok(beside);
    }
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(NODE_BINARY))
            .find(|p| p.is_file())
    });
    match on_path {
        Some(p) => Ok(p),
        None => bail!(
            "{NODE_BINARY} is not installed (looked beside {} and on PATH); install both binaries with `cargo install --path cli`",
            exe.display()
        ),
    }
}

/// Replaces this process with `attrib-node`, given this process's own arguments; returns only
/// on failure.
pub fn exec() -> Result<()> {
    let node = node_binary()?;
    let err = std::process::Command::new(&node)
        .args(std::env::args_os().skip(1))
        .exec();
    Err(err).with_context(|| format!("cannot run {}", node.display()))
}
