//! attrib's peer-to-peer sync: it replicates a team's overlay (the set of signed records) between
//! member devices with no server.
//!
//! Two mechanisms, one state machine: new records are pushed eagerly on a gossip topic per team,
//! and anti-entropy (a pull of "what you hold that my heads do not") runs on every new
//! connection and periodically, so that offline writes, lost gossip and partitions all heal.
//! Every decision (what to ask for, what to send, whether a message is valid, when a peer has
//! misbehaved enough to be dropped) lives in [`protocol::Engine`], a sans-I/O state machine that
//! takes bytes and time in and returns bytes and decisions out. The libp2p node drives it over
//! real sockets; the `attrib-simulations` crate drives the same code with virtual time.
//!
//! The engine reads and writes the local replica through [`protocol::RecordSet`]: [`StoreSet`]
//! over the real store, [`protocol::MemorySet`] in memory.
//!
//! Running a node for a person (what `attrib node` does) is here too, so that a front end only
//! builds a [`NodeConfig`] and prints: [`settings`] checks what the user gave (addresses, a
//! swarm key file) with one-line reasons, [`run_until`] runs the node until a shutdown future
//! resolves and reports [`NodeEvent`]s (whose `Display` is the printed line), [`NodeWatch`]
//! derives those events and the redials from status polls, [`MemberNames`] names peers, and
//! [`status_file`] reads a running node's status from another process (`attrib peers`).

#![warn(missing_docs)]

mod coalesce;
pub mod names;
pub mod node;
pub mod protocol;
pub mod run;
pub mod settings;
pub mod status_file;
mod store_set;
pub mod watch;

pub use libp2p::pnet::{KeyParseError, PreSharedKey};
pub use libp2p::{Multiaddr, PeerId};
pub use names::MemberNames;
pub use node::{
    device_key, peer_id_of, read_status, spawn, sync_once, sync_once_with, NodeConfig, NodeError,
    NodeHandle, NodeStatus, PeerStatus, SyncCodec, SyncSummary,
};
#[cfg(unix)]
pub use run::shutdown_signals;
pub use run::{run_until, RunError};
pub use settings::{check_bindable, parse_multiaddr, read_swarm_key, BindError, SwarmKeyError};
pub use status_file::{name_peers, running_status, NoPeerList, STALE_MS};
pub use store_set::StoreSet;
pub use watch::{NodeEvent, NodeWatch, Redial};
