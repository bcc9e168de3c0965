//! Cursor: `.cursor/hooks.json` (project) and `~/.cursor/hooks.json` (user). Its entries are
//! flat: the command and the matcher side by side, no nested handler list.
//!
//! ```json
//! {"version": 1, "hooks": {"preToolUse": [{"command": "/…/attrib checkpoint --agent cursor",
//!   "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"}], "postToolUse": [the same],
//!   "beforeSubmitPrompt": [{"command": "…"}]}}
//! ```

use super::{Field, Layout, Scalar, Spec};

pub(crate) static SPEC: Spec = Spec {
    name: "cursor",
    dir: ".cursor",
    file: "hooks.json",
    layout: Layout::Flat,
    tool_events: ["preToolUse", "postToolUse"],
    tool_matcher: "Write|Delete|StrReplace|ApplyPatch|Shell",
    prompt_event: "beforeSubmitPrompt",
    handler,
    header: Some(("version", 1)),
};

fn handler(command: &str) -> Vec<Field> {
    vec![Field::set("command", Scalar::Str(command.into()))]
}
