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

mod coalesce;
pub mod node;
pub mod protocol;
mod store_set;

pub use libp2p::pnet::{KeyParseError, PreSharedKey};
pub use libp2p::{Multiaddr, PeerId};
pub use node::{
    device_key, peer_id_of, read_status, spawn, sync_once, sync_once_with, NodeConfig, NodeError,
    NodeHandle, NodeStatus, PeerStatus, SyncSummary,
};
pub use store_set::StoreSet;
