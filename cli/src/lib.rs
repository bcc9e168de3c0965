//! What the `attrib` and `attrib-node` binaries share: the command-line grammar ([`args`]) and
//! the error contract ([`errors`]). Everything else a command does lives in the libraries
//! (`attrib-workspace` writes, `attrib-query` reads, `attrib-p2p-node` syncs); the binaries
//! parse, call and render.

pub mod args;
pub mod demo;
pub mod errors;
pub mod notices;
pub mod progress;
pub mod start;
pub mod table;
