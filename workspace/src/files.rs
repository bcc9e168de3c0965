//! Files: a user's input (a path taken from the workspace's directory, or standard input), and
//! the atomic writers every small file of attrib goes through.

use std::fs;
use std::path::Path;

use anyhow::{Context as _, Result};

pub use attrib_overlay::files::{write_atomic, write_private};

use crate::Workspace;

/// Reads a whole file named by the user (taken from the workspace's directory when relative),
/// or standard input for `-`. Errors name the path as the user gave it.
pub fn read_input(ws: &Workspace, path: &Path) -> Result<Vec<u8>> {
    use std::io::Read as _;
    let mut bytes = Vec::new();
    if path.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
    } else {
        fs::File::open(ws.resolve(path))
            .and_then(|mut f| f.read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    Ok(bytes)
}
