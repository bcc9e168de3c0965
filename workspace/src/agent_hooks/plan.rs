//! What to change in one event's list of hook entries, decided once for every agent and every
//! file format: the formats only read the list into [`Group`]s and carry out the [`Edit`]s.
//!
//! Every agent but Cursor nests: an event holds groups (`{matcher, hooks: [handler, …]}`), each
//! group holds handlers (`{type: "command", command, …}`). Cursor's entries are flat
//! (`{command, matcher}`): each is read as a group with one handler, itself.

use std::collections::BTreeMap;

/// What attrib's own handlers have in their command, whatever the binary's path: the hook runs
/// `attrib checkpoint --agent NAME`.
pub const MARK: &str = "checkpoint --agent";

/// True when a handler's command is attrib's.
pub fn is_ours(command: Option<&str>) -> bool {
    command.is_some_and(|c| c.contains(MARK))
}

/// One entry of an event's list, as read.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Group {
    /// The entry's matcher, when it has one.
    pub matcher: Option<String>,
    /// Each handler's command (`None`: no command, or not a string).
    pub commands: Vec<Option<String>>,
}

/// One change to an event's list. Indices are those of the list as read; [`install`] and
/// [`uninstall`] order the edits so that each index is still right when its edit is made
/// (changes first, then removals from the end, then an addition).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edit {
    /// Set group `.0`'s matcher to attrib's (or remove it, for an event without one).
    SetMatcher(usize),
    /// Set handler `.1` of group `.0` to attrib's handler.
    SetHandler(usize, usize),
    /// Remove handler `.1` of group `.0`.
    RemoveHandler(usize, usize),
    /// Remove group `.0`.
    RemoveGroup(usize),
    /// Append a group holding attrib's handler.
    Push,
}

/// The edits that leave exactly one attrib handler in the list, under attrib's matcher:
///
/// - none yet: a new group is appended, after the person's own;
/// - the first attrib handler is updated in place (command and matcher), and any further one
///   is removed, so a reinstall never duplicates;
/// - when that first handler shares a group with someone else's handlers under another
///   matcher, changing the group's matcher would change when *their* hooks run: attrib's
///   handler leaves that group and gets a group of its own instead.
pub fn install(groups: &[Group], matcher: Option<&str>) -> Vec<Edit> {
    let ours = positions(groups);
    let Some(&(g0, h0)) = ours.first() else {
        return vec![Edit::Push];
    };
    let only_ours = groups[g0].commands.iter().all(|c| is_ours(c.as_deref()));
    let mut edits = Vec::new();
    let (keep, push) = if only_ours || groups[g0].matcher.as_deref() == matcher {
        if only_ours {
            edits.push(Edit::SetMatcher(g0));
        }
        edits.push(Edit::SetHandler(g0, h0));
        (1, false)
    } else {
        (0, true)
    };
    edits.extend(removals(groups, &ours[keep..]));
    if push {
        edits.push(Edit::Push);
    }
    edits
}

/// The edits that remove every attrib handler (and every group left empty by that).
pub fn uninstall(groups: &[Group]) -> Vec<Edit> {
    removals(groups, &positions(groups))
}

/// Where attrib's handlers are: (group, handler), in list order.
fn positions(groups: &[Group]) -> Vec<(usize, usize)> {
    groups
        .iter()
        .enumerate()
        .flat_map(|(g, group)| {
            group
                .commands
                .iter()
                .enumerate()
                .filter(|(_, c)| is_ours(c.as_deref()))
                .map(move |(h, _)| (g, h))
        })
        .collect()
}

/// Removes the handlers at `at`, from the end so that earlier indices stay right; a group that
/// would be left with no handler is removed whole.
fn removals(groups: &[Group], at: &[(usize, usize)]) -> Vec<Edit> {
    let mut by_group: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for &(g, h) in at {
        by_group.entry(g).or_default().push(h);
    }
    let mut edits = Vec::new();
    for (g, handlers) in by_group.into_iter().rev() {
        if handlers.len() == groups[g].commands.len() {
            edits.push(Edit::RemoveGroup(g));
        } else {
            edits.extend(
                handlers
                    .into_iter()
                    .rev()
                    .map(|h| Edit::RemoveHandler(g, h)),
            );
        }
    }
    edits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(matcher: Option<&str>, commands: &[&str]) -> Group {
        Group {
            matcher: matcher.map(str::to_string),
            commands: commands.iter().map(|c| Some(c.to_string())).collect(),
        }
    }

    const OURS: &str = "/bin/attrib checkpoint --agent claude-code";

    #[test]
    fn a_list_without_attrib_gets_a_new_group() {
        assert_eq!(install(&[], Some("Bash")), [Edit::Push]);
        assert_eq!(
            install(&[group(Some("Bash"), &["lint"])], Some("Bash")),
            [Edit::Push]
        );
    }

    #[test]
    fn attrib_in_its_own_group_is_updated_in_place_and_repeats_removed() {
        let groups = [
            group(Some("Edit"), &[OURS]),
            group(Some("Bash"), &["lint"]),
            group(Some("Edit"), &[OURS]),
            group(Some("Bash"), &["fmt", OURS]),
        ];
        assert_eq!(
            install(&groups, Some("Write|Edit")),
            [
                Edit::SetMatcher(0),
                Edit::SetHandler(0, 0),
                Edit::RemoveHandler(3, 1),
                Edit::RemoveGroup(2),
            ]
        );
    }

    #[test]
    fn attrib_sharing_a_group_under_another_matcher_moves_to_its_own() {
        let groups = [group(Some("Bash"), &["fmt", OURS])];
        assert_eq!(
            install(&groups, Some("Write|Bash")),
            [Edit::RemoveHandler(0, 1), Edit::Push]
        );
        // Under the same matcher it stays where it is.
        assert_eq!(install(&groups, Some("Bash")), [Edit::SetHandler(0, 1)]);
    }

    #[test]
    fn uninstall_removes_only_attrib_handlers() {
        let groups = [
            group(Some("Bash"), &["fmt", OURS]),
            group(None, &[OURS]),
            group(None, &["other"]),
        ];
        assert_eq!(
            uninstall(&groups),
            [Edit::RemoveGroup(1), Edit::RemoveHandler(0, 1)]
        );
    }
}
