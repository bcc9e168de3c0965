//! Errors of the overlay crate.

use std::fmt;

/// Input that does not have the shape the data model requires (a bad id, an out-of-range value).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl FormatError {
    pub(crate) fn new(msg: impl Into<String>) -> Self {
        FormatError(msg.into())
    }
}
impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for FormatError {}

/// Shortens user input quoted back in an error message.
pub(crate) fn clip(s: &str) -> String {
    if s.chars().count() <= 60 {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(57).collect();
        t.push_str("...");
        t
    }
}

/// Errors from the store: I/O, a damaged file, or a request it cannot satisfy.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A file or directory of the store could not be created, read or written.
    #[error("store I/O error at {path}: {source}")]
    Io {
        /// The file or directory concerned.
        path: String,
        /// What the operating system said.
        #[source]
        source: std::io::Error,
    },
    /// sanakirja refused an operation (the file is locked, full, or not a sanakirja file).
    #[error("store error: {0}")]
    Sanakirja(#[from] sanakirja::Error),
    /// The store's contents break its own invariants (a truncated log, an unknown author
    /// index): restore a backup or rebuild from peers.
    #[error("the store is damaged: {0}")]
    Corrupt(String),
    /// The request itself cannot be met (a record of another team, an unknown schema), with
    /// the reason.
    #[error("{0}")]
    Invalid(String),
}
