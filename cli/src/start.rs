//! How both binaries find the workspace a command works on: the current directory, or
//! `-C DIR` (relative paths in other arguments are then taken from DIR too, as with `git -C`),
//! with the config directory and overrides from the environment.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use attrib_workspace::{Options, Workspace};

/// The workspace of `-C DIR` (or the current directory).
pub fn workspace(dir: Option<PathBuf>) -> Result<Workspace> {
    let cwd = std::env::current_dir().context("cannot read the current directory")?;
    let dir = working_dir(&cwd, dir)?;
    Workspace::discover(&dir, Options::from_env(&cwd)?)
}

fn working_dir(cwd: &Path, dir: Option<PathBuf>) -> Result<PathBuf> {
    let Some(dir) = dir else {
        return Ok(cwd.to_path_buf());
    };
    let joined = cwd.join(&dir);
    if !joined.is_dir() {
        bail!("{} is not a directory", dir.display());
    }
    joined
        .canonicalize()
        .with_context(|| format!("cannot enter {}", dir.display()))
}
