//! Progress of long work (verify, import, export): the libraries report it through this trait,
//! and a front end decides whether and how to draw it (the CLI draws a bar on a terminal only).

/// Receives progress of one piece of work. Every method has a do-nothing default, so a caller
/// with no display passes [`Silent`].
pub trait Progress {
    /// The work has `len` items (turns a spinner into a bar).
    fn set_length(&self, _len: u64) {}
    /// `n` more items are done.
    fn inc(&self, _n: u64) {}
    /// What is being done now.
    fn set_message(&self, _what: &str) {}
}

/// Progress nobody watches.
pub struct Silent;

impl Progress for Silent {}
