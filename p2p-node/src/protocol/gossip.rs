//! The gossipsub parameters of the team topic, in one place: the libp2p node builds its
//! gossipsub configuration from them, and the simulator models the mesh with the very same
//! numbers, so the two cannot drift apart.
//!
//! Chosen for the bar "at most 3 copies of a record received per peer, 99 % of records at every
//! peer within 1 s" at 10,000 peers on 50–150 ms links (measured by the simulator's
//! benchmark, `cargo bench -p attrib-simulations --bench simulate`): a peer receives a record
//! once from nearly every mesh neighbour (each forwards it to its whole mesh but the peer it
//! came from), so copies are about the mesh degree less one, while hops, and so latency, shrink
//! as the degree grows. libp2p-gossipsub's defaults (6 / 5 / 12) settle near a degree of 6, some
//! 5 copies per record per peer; 4 / 3 / 5 settles near 4.1 and 3.1 copies; 4 / 3 / 4 near 3.6
//! and 2.7 copies, with some 9 hops across 10,000 peers. IDONTWANT on every message
//! (gossipsub's default threshold of 1,000 bytes would exempt every record, about 300 bytes)
//! cancels the copies a neighbour would send after this peer already has the message.

/// The mesh degree gossipsub aims for (`mesh_n`).
pub const MESH_N: usize = 4;
/// Below this many mesh peers, the heartbeat grafts more (`mesh_n_low`).
pub const MESH_N_LOW: usize = 3;
/// Above this many, the heartbeat prunes back to [`MESH_N`]; a GRAFT from a peer that did not
/// dial this node is refused once the mesh has this many (`mesh_n_high`). Equal to [`MESH_N`]:
/// every mesh peer over four costs each record about one more copy at every peer.
pub const MESH_N_HIGH: usize = 4;
/// Mesh peers that this node dialled, kept at least (`mesh_outbound_min`, at most half of
/// [`MESH_N`]).
pub const MESH_OUTBOUND_MIN: usize = 2;
/// Peers outside the mesh told of recent message ids (IHAVE) per heartbeat, at least
/// (`gossip_lazy`; gossipsub's default).
pub const GOSSIP_LAZY: usize = 6;
/// The share of the other peers outside the mesh told of recent ids, when more than
/// [`GOSSIP_LAZY`] (`gossip_factor`; gossipsub's default).
pub const GOSSIP_FACTOR: f64 = 0.25;
/// Heartbeats between mesh maintenance and lazy gossip (`heartbeat_interval`).
pub const HEARTBEAT_MS: u64 = 500;
/// Heartbeats a message stays in the message cache (`history_length`; the default).
pub const HISTORY_LENGTH: usize = 5;
/// Of those, the heartbeats whose message ids are advertised in IHAVE (`history_gossip`).
pub const HISTORY_GOSSIP: usize = 3;
/// Messages over this many bytes make the receiver send IDONTWANT to its mesh peers
/// (`idontwant_message_size_threshold`; gossipsub's default of 1,000 would exempt every record).
pub const IDONTWANT_THRESHOLD_BYTES: usize = 64;
/// How long a pruned peer must wait before grafting again (`prune_backoff`; the default).
pub const PRUNE_BACKOFF_MS: u64 = 60_000;
/// A message this node publishes goes to every subscribed peer, not only the mesh
/// (`flood_publish`; the default).
pub const FLOOD_PUBLISH: bool = true;
