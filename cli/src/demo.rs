//! What `attrib demo` (in `attrib`) and its network act (in `attrib-node`) share: the members'
//! places and the synthetic patches they attest.

use std::path::{Path, PathBuf};

use attrib_overlay::PatchId;
use attrib_workspace::{Options, Workspace};

/// The demo's members, in the order they appear.
pub const MEMBERS: [&str; 3] = ["alice", "bob", "carol"];

/// A Pijul-shaped change hash for a synthetic patch named `label`.
pub fn patch(label: &str) -> PatchId {
    let digest = blake3::hash(format!("attrib demo patch {label}").as_bytes());
    let mut raw = [0u8; 33];
    raw[1..].copy_from_slice(digest.as_bytes());
    PatchId::from_change_hash(&raw)
}

/// A member's repository in the demo's directory `root`.
pub fn repo_of(root: &Path, name: &str) -> PathBuf {
    root.join(name).join("repo")
}

/// A member's workspace (found again each time: a store made since is then found too).
pub fn workspace_of(root: &Path, name: &str) -> anyhow::Result<Workspace> {
    Workspace::discover(
        &repo_of(root, name),
        Options {
            config_dir: root.join(name).join("config"),
            vcs_binary: None,
        },
    )
}
