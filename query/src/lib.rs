//! attrib's read side: every answer as data. The CLI's `--json` prints exactly these values,
//! and a server returns them; nothing here writes to the store or prints.
//!
//! Inputs are a store [`attrib_overlay::Snapshot`] and, in a Pijul repository, the reconciled
//! channel ([`attrib_vcs_adapter::ChannelRecord`] and the [`attrib_vcs_adapter::Pijul`] driver).
//! One rule for each decision: which claim speaks for a patch is the overlay's
//! ([`attrib_overlay::view::speaks_before`]), names come from [`members`], times from [`time`].

#![warn(missing_docs)]

pub mod agent_trace;
pub mod blame;
pub mod blame_index;
pub mod changes;
pub mod csv;
pub mod digest;
pub mod export;
pub mod filter;
pub mod listing;
pub mod log;
pub mod members;
pub mod models;
pub mod policy;
pub mod progress;
pub mod records;
pub mod reviews;
pub mod show;
pub mod stats;
#[cfg(test)]
mod testing;
#[cfg(test)]
mod tests;
pub mod time;
pub mod verify;
pub mod verify_file;
