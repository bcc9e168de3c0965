//! attrib's VCS adapter. Its one job: turn what happens in a patch store (Pijul first, or its
//! fork Atomic through the same driver) into overlay events keyed by the change hash — record,
//! apply, unrecord, amend — and say which change wrote each line.
//!
//! Two halves:
//! - [`Pijul`] drives the real binary (`pijul`, or `atomic` by config) in a repository and reads
//!   its machine-readable output: the `Hash:` line of `record`, `log --output-format json`,
//!   `credit --output-format json`, the channel state. Every failure is a typed [`VcsError`].
//! - [`Seen::reconcile`] is a pure state machine: given what the channel held at the last scan
//!   and what it holds now (plus hints from a wrapped command), it says what happened as
//!   [`Event`]s. Reconciling twice changes nothing; unrecorded changes are kept off-channel,
//!   never forgotten.
//!
//! - [`Tracker`] keeps what was seen between commands, so that reconciling an unchanged
//!   channel costs one cheap check.
//!
//! It depends on the overlay only for [`attrib_overlay::PatchId`]; writing attestations is the
//! caller's business.

#![warn(missing_docs)]

pub mod atomic;
pub mod error;
pub mod git;
pub mod git_notes;
pub mod pijul;
pub mod reconcile;
#[doc(hidden)]
pub mod testing;
pub mod tracker;
pub mod trailers;
pub mod vcs;

pub use atomic::{AtomicAttribution, AtomicChange, AtomicClaim};
pub use error::VcsError;
pub use git::Git;
pub use pijul::{
    AddedLine, Amend, ChangeInfo, ChangeSummary, ChannelLog, CreditEntry, Pijul, DEFAULT_BINARY,
    SUPPORTED_VERSIONS,
};
pub use reconcile::{is_root, Event, Hint, Observation, ObservedChange, Seen};
pub use tracker::{ChannelRecord, Freshness, Scan, Tracker, TRACKER_FILE};
pub use vcs::{discover, Repository, Vcs, VcsKind};
