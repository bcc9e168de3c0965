//! The p2p wire codec (`p2p-node/src/protocol/wire.rs`): every byte of a sync request, a sync
//! response or a gossip message comes from a peer. The first input byte picks the message type;
//! the rest is the message as received (version byte, then postcard).
//!
//! Contract: `decode` returns an error and never panics; a message that decodes re-encodes to
//! bytes that decode to the same message; every record it carries either converts to a signed
//! record whose wire form is the record itself, or is refused with an error.
#![no_main]

use attrib_overlay::TeamId;
use attrib_p2p_node::protocol::wire::{
    decode, encode, Gossip, HeadsUpdate, SeqSpan, SyncRequest, SyncResponse, WireRecord,
    MAX_GOSSIP_BYTES, MAX_MESSAGE_BYTES, PROBE_BUCKETS,
};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&kind, bytes)) = data.split_first() else {
        return;
    };
    match kind % 3 {
        0 => {
            let Ok(m) = decode::<SyncRequest>(bytes, MAX_MESSAGE_BYTES) else {
                return;
            };
            assert_eq!(
                decode::<SyncRequest>(&encode(&m), MAX_MESSAGE_BYTES).as_ref(),
                Ok(&m)
            );
            heads(&m.heads);
            m.probes.iter().for_each(span);
            m.wants.iter().for_each(span);
        }
        1 => {
            let Ok(m) = decode::<SyncResponse>(bytes, MAX_MESSAGE_BYTES) else {
                return;
            };
            assert_eq!(
                decode::<SyncResponse>(&encode(&m), MAX_MESSAGE_BYTES).as_ref(),
                Ok(&m)
            );
            if let Some(h) = &m.heads {
                heads(h);
            }
            for a in &m.probe_answers {
                span(&a.span);
                assert_eq!(a.digests.len(), a.span.buckets().len());
            }
            m.records.into_iter().for_each(record);
        }
        _ => {
            let Ok(m) = decode::<Gossip>(bytes, MAX_GOSSIP_BYTES) else {
                return;
            };
            assert_eq!(
                decode::<Gossip>(&encode(&m), MAX_GOSSIP_BYTES).as_ref(),
                Ok(&m)
            );
            record(m.record);
        }
    }
});

/// Applying heads (whole, or a delta on nothing) never panics.
fn heads(h: &HeadsUpdate) {
    let _ = h.apply(None);
}

/// A valid span's probe buckets cover it exactly, in at most [`PROBE_BUCKETS`] pieces.
fn span(s: &SeqSpan) {
    let b = s.buckets();
    assert!(!b.is_empty() && b.len() <= PROBE_BUCKETS);
    assert_eq!(b.iter().map(SeqSpan::count).sum::<u64>(), s.count());
    assert_eq!((b[0].first, b[b.len() - 1].last), (s.first, s.last));
}

/// A record from a peer is a canonical signed record or an error.
fn record(r: WireRecord) {
    if let Ok(s) = r.clone().into_signed(TeamId([7; 32])) {
        assert_eq!(WireRecord::from_signed(&s), r);
        assert_eq!(s.record.to_canonical(), s.body);
    }
}
