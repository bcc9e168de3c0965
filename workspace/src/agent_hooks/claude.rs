//! Claude Code: `.claude/settings.json` (project) and `~/.claude/settings.json` (user).
//!
//! ```json
//! {"hooks": {"PreToolUse": [{"matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
//!   "hooks": [{"type": "command", "command": "/…/attrib checkpoint --agent claude-code"}]}],
//!   "PostToolUse": [the same], "UserPromptSubmit": [{"hooks": [the same handler]}]}}
//! ```

use super::{Field, Layout, Scalar, Spec};

pub(crate) static SPEC: Spec = Spec {
    name: "claude-code",
    dir: ".claude",
    file: "settings.json",
    layout: Layout::Nested,
    tool_events: ["PreToolUse", "PostToolUse"],
    tool_matcher: "Write|Edit|MultiEdit|NotebookEdit|Bash",
    prompt_event: "UserPromptSubmit",
    handler,
    header: None,
};

fn handler(command: &str) -> Vec<Field> {
    vec![
        Field::set("type", Scalar::Str("command".into())),
        Field::set("command", Scalar::Str(command.into())),
    ]
}
