//! Errors of the VCS adapter. Every failure of the external binary becomes one of these, with the
//! command and the first line of its stderr; nothing here panics on bad output.

use std::path::PathBuf;

/// What can go wrong while driving a patch store (Pijul, Atomic, git).
#[derive(Debug, thiserror::Error)]
pub enum VcsError {
    /// The binary is not on PATH (or not where the config says).
    #[error("`{bin}` was not found: {}", install_hint(bin))]
    Missing {
        /// The binary's name or path as configured.
        bin: String,
    },
    /// The binary exists but could not be started.
    //
    // In this variant and `Io` the cause is part of the message, and so not also a `source`:
    // a reader that prints an error with its sources would say it twice.
    #[error("could not run `{bin}`: {cause}")]
    Spawn {
        /// The binary's name or path as configured.
        bin: String,
        /// What the operating system said (part of the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// The binary answered `--version` with something attrib does not support.
    #[error("`{bin}` reports version {found:?}; attrib supports {wanted}")]
    WrongVersion {
        /// The binary's name or path as configured.
        bin: String,
        /// What `--version` printed (trimmed).
        found: String,
        /// The versions attrib supports, for the message.
        wanted: String,
    },
    /// The directory is not inside a repository of the store driven.
    #[error("not a repository: {}", path.display())]
    NotARepo {
        /// The directory searched from.
        path: PathBuf,
    },
    /// `record` had nothing to record.
    #[error("nothing to record")]
    NothingToRecord,
    /// A hash (or prefix) that the repository does not know.
    #[error("change {0} is not in this repository")]
    UnknownChange(String),
    /// The command ran and failed.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Failed {
        /// The command line, for the message.
        cmd: String,
        /// The exit status as the OS reports it (`exit status: 1`, a signal).
        status: String,
        /// The first non-empty line of stderr.
        stderr: String,
    },
    /// A file attrib keeps beside the repository could not be read or written.
    #[error("cannot {what}: {cause}")]
    Io {
        /// What attrib was doing, as a verb phrase (`read the tracker file …`).
        what: String,
        /// What the operating system said (part of the message, so not also a `source`).
        cause: std::io::Error,
    },
    /// The store has no such thing (a git repository has no named channels to compare, a
    /// Pijul one no revisions to name).
    #[error("{0}")]
    Unsupported(String),
    /// The command succeeded but its output did not have the expected shape.
    #[error("could not read the output of `{cmd}`: {reason}")]
    Parse {
        /// The command whose output was read.
        cmd: String,
        /// What was wrong with it.
        reason: String,
    },
}

/// How to get the binary `bin` names, for the message of [`VcsError::Missing`].
fn install_hint(bin: &str) -> &'static str {
    let name = std::path::Path::new(bin)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(bin);
    match name {
        "git" => "install git (2.25 or later) or point ATTRIB_GIT_BINARY at it",
        "atomic" => "install Atomic (its source's build.sh, or `cargo install` from its repository) or point the config at the binary",
        _ => "install Pijul 1.0.0-beta.26 (`cargo install pijul --version 1.0.0-beta.26 --locked`) or point the config at the binary",
    }
}
