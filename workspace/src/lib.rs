//! attrib's write side: a [`Workspace`] — the store, this device's identity, the config and the
//! VCS repository, found from a directory — and every operation that writes a signed record:
//! capture of how AI helped, claims and attestations, reviews, the team's grants and revokes,
//! imports, the wrapped record, the pre-record hook, reconciliation with the VCS, and the
//! installation of agents' hooks that call `attrib checkpoint` ([`agent_hooks`]).
//!
//! The rules live here, once, so that every front end (the CLI, a server, an agent hook)
//! enforces them: only this crate's typed operations sign ([`claim::attest`],
//! [`review::review`], [`team::grant`], [`team::revoke`], [`import`], [`record`],
//! [`backfill::backfill`]), each after the membership check ([`signing::require_admitted`]).

#![warn(missing_docs)]

pub mod agent_hooks;
pub mod backfill;
pub mod capture;
pub mod checkpoint;
pub mod claim;
pub mod config;
pub mod files;
pub mod hooks;
pub mod identity;
pub mod import;
pub mod reconcile;
pub mod record;
pub mod review;
pub mod sequence;
pub mod signing;
pub mod team;
mod workspace;

pub use reconcile::{reconcile, Reconciled};
pub use workspace::{Options, Workspace, BINARY_ENV};
