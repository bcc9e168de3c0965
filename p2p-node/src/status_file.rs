//! Reading a running node's status from another process: what `attrib peers` shows.
//!
//! A running node rewrites [`crate::node::STATUS_FILE`] in its store directory about once a
//! second (see [`crate::node::read_status`]) and removes it when it stops cleanly. A node that
//! was killed leaves the file behind, so the file's age, not its presence, tells whether a node
//! runs.

use std::path::Path;

use serde_json::Value;

use crate::names::MemberNames;
use crate::node::read_status;

/// A status file older than this (ms) means no node is running: a node rewrites it about every
/// second, so five missed writes are a stopped node, not a slow one.
pub const STALE_MS: u64 = 5_000;

/// The status of the node running on `store_dir` as JSON (the fields of
/// [`crate::NodeStatus`]), or `None` when no node runs there: no status file, an unreadable
/// one, or one older than [`STALE_MS`].
pub fn running_status(store_dir: &Path) -> Option<Value> {
    running_status_at(store_dir, attrib_overlay::now_ms())
}

/// [`running_status`] as of `now_ms` (ms since the epoch), for callers with their own clock.
pub fn running_status_at(store_dir: &Path, now_ms: u64) -> Option<Value> {
    let status = read_status(store_dir)?;
    let at = status.get("at_ms")?.as_u64()?;
    (now_ms.saturating_sub(at) <= STALE_MS).then_some(status)
}

/// The status file is not what a node writes (another program's, or a future format).
#[derive(Debug, thiserror::Error)]
#[error("the node's status file has no peer list")]
pub struct NoPeerList;

/// Adds each connected peer's member name to a status from [`running_status`], as a `"name"`
/// field beside its `"peer_id"`, for peers that are members' devices (others get none).
pub fn name_peers(status: &mut Value, names: &MemberNames) -> Result<(), NoPeerList> {
    let Some(Value::Array(list)) = status.get_mut("peers") else {
        return Err(NoPeerList);
    };
    for p in list.iter_mut() {
        let name = p
            .get("peer_id")
            .and_then(Value::as_str)
            .and_then(|id| names.get(id))
            .map(str::to_string);
        if let (Value::Object(m), Some(n)) = (p, name) {
            m.insert("name".into(), n.into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::node::STATUS_FILE;

    #[test]
    fn a_status_older_than_five_seconds_is_no_node() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(running_status_at(dir.path(), 10_000).is_none(), "no file");
        let json = r#"{"peer_id":"me","at_ms":10000,"peers":[]}"#;
        std::fs::write(dir.path().join(STATUS_FILE), json).expect("write");
        assert!(running_status_at(dir.path(), 10_000).is_some());
        assert!(running_status_at(dir.path(), 15_000).is_some());
        assert!(running_status_at(dir.path(), 15_001).is_none());
        // A clock behind the writer's is not staleness.
        assert!(running_status_at(dir.path(), 9_000).is_some());
        std::fs::write(dir.path().join(STATUS_FILE), "{not json").expect("write");
        assert!(running_status_at(dir.path(), 10_000).is_none());
    }

    #[test]
    fn members_are_named_in_the_peer_list() {
        let names = MemberNames::from_pairs([("A".to_string(), "alice".to_string())]);
        let mut status: Value =
            serde_json::from_str(r#"{"peers":[{"peer_id":"A"},{"peer_id":"B"}]}"#).expect("json");
        name_peers(&mut status, &names).expect("peers");
        assert_eq!(status["peers"][0]["name"], "alice");
        assert!(status["peers"][1].get("name").is_none());
        let mut odd: Value = serde_json::from_str(r#"{"peers":3}"#).expect("json");
        assert_eq!(
            name_peers(&mut odd, &names)
                .expect_err("no list")
                .to_string(),
            "the node's status file has no peer list"
        );
    }
}
