//! Member names by peer id, so that output can say `connected 12D3KooW… (alice)` instead of a
//! bare peer id.
//!
//! A node's peer id *is* its device key (see [`crate::peer_id_of`]), so the team's membership
//! already holds every name a connected member can have: no lookup over the network.

use std::collections::BTreeMap;

use attrib_overlay::Membership;

/// The display names of a team's member devices, keyed by their peer id's text form
/// (`12D3KooW…`, as [`crate::NodeStatus`] spells peer ids).
///
/// Revoked members keep their name: a revoked device that connects is still worth naming in
/// the line that says it was refused.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemberNames(BTreeMap<String, String>);

impl MemberNames {
    /// The names of every member of `membership` whose key makes a peer id (every ed25519 key
    /// does; a key that does not is skipped, since no peer can connect with it).
    pub fn of(membership: &Membership) -> MemberNames {
        MemberNames(
            membership
                .members
                .values()
                .filter_map(|m| Some((crate::peer_id_of(&m.key)?.to_string(), m.name.clone())))
                .collect(),
        )
    }

    /// Names given directly: `(peer id text, name)` pairs (for tests, or names known otherwise).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> MemberNames {
        MemberNames(pairs.into_iter().collect())
    }

    /// The member name of the device with this peer id, if it is a member's.
    pub fn get(&self, peer_id: &str) -> Option<&str> {
        self.0.get(peer_id).map(String::as_str)
    }

    /// `PEER (NAME)` for a member's device, `PEER` alone for any other: the form every output
    /// line of `attrib node`, `attrib sync` and `attrib peers` uses for a peer.
    pub fn label(&self, peer_id: &str) -> String {
        match self.get(peer_id) {
            Some(name) => format!("{peer_id} ({name})"),
            None => peer_id.to_string(),
        }
    }

    /// How many devices have a name.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// No device has a name (no team, or names not wanted).
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_name_members_only() {
        let names = MemberNames::from_pairs([("12D3KooWA".to_string(), "alice".to_string())]);
        assert_eq!(names.label("12D3KooWA"), "12D3KooWA (alice)");
        assert_eq!(names.label("12D3KooWB"), "12D3KooWB");
        assert_eq!(names.get("12D3KooWA"), Some("alice"));
        assert_eq!(names.len(), 1);
        assert!(MemberNames::default().is_empty());
    }
}
