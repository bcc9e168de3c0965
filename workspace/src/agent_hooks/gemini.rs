//! Gemini CLI: `.gemini/settings.json` (project) and `~/.gemini/settings.json` (user). Its
//! timeouts are in milliseconds.
//!
//! ```json
//! {"hooks": {"BeforeTool": [{"matcher": "write_file|replace|run_shell_command",
//!   "hooks": [{"name": "attrib", "type": "command",
//!              "command": "/…/attrib checkpoint --agent gemini", "timeout": 5000}]}],
//!   "AfterTool": [the same], "BeforeAgent": [{"hooks": [the same handler]}]}}
//! ```

use super::{Field, Layout, Scalar, Spec};

pub(crate) static SPEC: Spec = Spec {
    name: "gemini",
    dir: ".gemini",
    file: "settings.json",
    layout: Layout::Nested,
    tool_events: ["BeforeTool", "AfterTool"],
    tool_matcher: "write_file|replace|run_shell_command",
    prompt_event: "BeforeAgent",
    handler,
    header: None,
};

fn handler(command: &str) -> Vec<Field> {
    vec![
        Field::set("name", Scalar::Str("attrib".into())),
        Field::set("type", Scalar::Str("command".into())),
        Field::set("command", Scalar::Str(command.into())),
        // A checkpoint takes milliseconds; a shell command's scan of a large tree can take
        // longer. A timeout the person raised is kept.
        Field::default("timeout", Scalar::Int(5000)),
    ]
}
