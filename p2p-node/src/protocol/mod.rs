//! The sync protocol, free of I/O: wire messages, heads, the record-set abstraction, scoring,
//! the gossip mesh's parameters, and the state machine that the libp2p node and the simulator
//! both drive through its one entry point, [`Engine::handle`].

pub mod engine;
pub mod gossip;
pub mod heads;
pub mod score;
pub mod set;
pub mod wire;

pub use engine::{
    commit_due, Action, Config, Engine, GossipVerdict, Input, Output, PeerInfo, LEAF, MAX_STAGED,
};
pub use heads::{AuthorHeads, Heads, SeqRanges};
pub use score::{Counters, Offence};
pub use set::{MemorySet, RecordSet, SetError};
pub use wire::{WireError, WireRecord};
