//! End-to-end tests of the `attrib` binary: every command run as a real process in temporary
//! directories, with one config dir and one repository per team member.
//!
//! Every failing command is checked against the error contract (non-zero exit, exactly one
//! `attrib: ` line on stderr, no panic); usage errors must exit with 2.

mod agent_hooks;
mod atomic;
mod backfill;
mod blame;
mod checkpoints;
mod claims;
mod config_cmd;
mod contributions;
mod dashboard;
mod exchange;
mod formats;
mod git_ai;
mod git_flow;
mod git_world;
mod network;
mod pijul_flow;
mod pijul_world;
mod policy_check;
mod queries;
mod read_only;
mod record;
mod serve;
mod setup;
mod snapshots_out;
mod support;
mod verify_file;
