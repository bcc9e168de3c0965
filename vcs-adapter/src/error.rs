//! Errors of the VCS adapter. Every failure of the external binary becomes one of these, with the
//! command and the first line of its stderr; nothing here panics on bad output.

use std::path::PathBuf;

/// What can go wrong while driving Pijul (or Atomic).
#[derive(Debug, thiserror::Error)]
pub enum VcsError {
    /// The binary is not on PATH (or not where the config says).
    #[error("`{bin}` was not found: install Pijul 1.0.0-beta.26 (`cargo install pijul --version 1.0.0-beta.26 --locked`) or point the config at the binary")]
    Missing { bin: String },
    /// The binary exists but could not be started.
    // The cause is part of the message, and so not also a `source`: a reader that prints an
    // error with its sources would say it twice.
    #[error("could not run `{bin}`: {cause}")]
    Spawn {
        bin: String,
        cause: std::io::Error,
    },
    /// The binary answered `--version` with something attrib does not support.
    #[error("`{bin}` reports version {found:?}; attrib supports {wanted}")]
    WrongVersion {
        bin: String,
        found: String,
        wanted: String,
    },
    /// The directory is not inside a Pijul repository.
    #[error("not a Pijul repository: {}", path.display())]
    NotARepo { path: PathBuf },
    /// `record` had nothing to record.
    #[error("nothing to record")]
    NothingToRecord,
    /// A hash (or prefix) that the repository does not know.
    #[error("change {0} is not in this repository")]
    UnknownChange(String),
    /// The command ran and failed.
    #[error("`{cmd}` failed ({status}): {stderr}")]
    Failed {
        cmd: String,
        status: String,
        /// The first non-empty line of stderr.
        stderr: String,
    },
    /// A file attrib keeps beside the repository could not be read or written.
    #[error("cannot {what}: {cause}")]
    Io {
        what: String,
        cause: std::io::Error,
    },
    /// The command succeeded but its output did not have the expected shape.
    #[error("could not read the output of `{cmd}`: {reason}")]
    Parse { cmd: String, reason: String },
}
