//! The sync protocol, free of I/O: wire messages, heads, the record-set abstraction, scoring and
//! the state machine that the libp2p node and the simulator both drive.

pub mod engine;
pub mod heads;
pub mod score;
pub mod set;
pub mod wire;

pub use engine::{Action, Config, Engine, GossipVerdict, PeerInfo, LEAF};
pub use heads::{AuthorHeads, Heads, SeqRanges};
pub use score::{Counters, Offence};
pub use set::{MemorySet, RecordSet, SetError};
pub use wire::{WireError, WireRecord};
