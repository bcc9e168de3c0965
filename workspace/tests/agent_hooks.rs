//! Installing attrib's hook into each agent's settings: the exact file a fresh install writes,
//! the person's own settings and hooks kept, a second install that changes nothing, an older
//! attrib entry updated rather than duplicated, a malformed file refused untouched, uninstall
//! taking out only attrib's, and the status of each file.

use std::fs;
use std::path::{Path, PathBuf};

use attrib_workspace::agent_hooks::{
    self, hook_command, install, project_root, shell_quote, status, status_of, suggested,
    uninstall, Agent, Coverage, Places, Scope,
};
use attrib_workspace::{Options, Workspace};
use tempfile::TempDir;

const EXE: &str = "/usr/local/bin/attrib";

/// A repository and a home directory in a temporary directory.
fn world() -> (TempDir, Places) {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("repo");
    let home = dir.path().join("home");
    fs::create_dir_all(&repo).unwrap();
    fs::create_dir_all(&home).unwrap();
    let places = Places {
        project: Some(repo.clone()),
        home,
        searched: repo,
    };
    (dir, places)
}

fn exe() -> &'static Path {
    Path::new(EXE)
}

/// Writes `text` as the agent's settings file in `scope` and returns its path.
fn fixture(places: &Places, agent: Agent, scope: Scope, text: &str) -> PathBuf {
    let path = places.file(agent, scope).unwrap();
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(&path, text).unwrap();
    path
}

fn read(path: &Path) -> String {
    fs::read_to_string(path).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Expected files

const CLAUDE_FRESH: &str = r#"{
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent claude-code"
          }
        ]
      }
    ],
    "PostToolUse": [
      {
        "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent claude-code"
          }
        ]
      }
    ]
  }
}
"#;

const CODEX_FRESH: &str = r#"[[hooks.PreToolUse]]
matcher = "^apply_patch$|^Bash$"

[[hooks.PreToolUse.hooks]]
type = "command"
command = "/usr/local/bin/attrib checkpoint --agent codex"
timeout = 5

[[hooks.PostToolUse]]
matcher = "^apply_patch$|^Bash$"

[[hooks.PostToolUse.hooks]]
type = "command"
command = "/usr/local/bin/attrib checkpoint --agent codex"
timeout = 5
"#;

const CURSOR_FRESH: &str = r#"{
  "version": 1,
  "hooks": {
    "preToolUse": [
      {
        "command": "/usr/local/bin/attrib checkpoint --agent cursor",
        "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"
      }
    ],
    "postToolUse": [
      {
        "command": "/usr/local/bin/attrib checkpoint --agent cursor",
        "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"
      }
    ]
  }
}
"#;

const GEMINI_FRESH: &str = r#"{
  "hooks": {
    "BeforeTool": [
      {
        "matcher": "write_file|replace|run_shell_command",
        "hooks": [
          {
            "name": "attrib",
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent gemini",
            "timeout": 5000
          }
        ]
      }
    ],
    "AfterTool": [
      {
        "matcher": "write_file|replace|run_shell_command",
        "hooks": [
          {
            "name": "attrib",
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent gemini",
            "timeout": 5000
          }
        ]
      }
    ]
  }
}
"#;

fn fresh(agent: Agent) -> &'static str {
    match agent {
        Agent::ClaudeCode => CLAUDE_FRESH,
        Agent::Codex => CODEX_FRESH,
        Agent::Cursor => CURSOR_FRESH,
        Agent::Gemini => GEMINI_FRESH,
    }
}

// The person's own files: other settings, other hooks (one under attrib's own event), keys in
// an order that is not alphabetical.

const CLAUDE_MINE: &str = r#"{
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(npm test)"
    ]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/bin/guard.sh"
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          }
        ]
      }
    ]
  },
  "env": {
    "ZED": "1",
    "ALPHA": "2.5"
  }
}
"#;

const CLAUDE_MINE_INSTALLED: &str = r#"{
  "model": "opus",
  "permissions": {
    "allow": [
      "Bash(npm test)"
    ]
  },
  "hooks": {
    "PreToolUse": [
      {
        "matcher": "Bash",
        "hooks": [
          {
            "type": "command",
            "command": "~/bin/guard.sh"
          }
        ]
      },
      {
        "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent claude-code"
          }
        ]
      }
    ],
    "Stop": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "notify-send done"
          }
        ]
      }
    ],
    "PostToolUse": [
      {
        "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent claude-code"
          }
        ]
      }
    ]
  },
  "env": {
    "ZED": "1",
    "ALPHA": "2.5"
  }
}
"#;

const CODEX_MINE: &str = r#"# My Codex settings.
model = "gpt-5-codex"   # the default model
approval_policy = "on-request"

[features]
hooks = true

# Block pushes to main.
[[hooks.PreToolUse]]
matcher = "^Bash$"

[[hooks.PreToolUse.hooks]]
type = "command"
command = "~/bin/no-push.sh"
timeout = 30

[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "4000"]

[projects."/home/me/work"]
trust_level = "trusted"
"#;

const CODEX_MINE_INSTALLED: &str = r#"# My Codex settings.
model = "gpt-5-codex"   # the default model
approval_policy = "on-request"

[features]
hooks = true

# Block pushes to main.
[[hooks.PreToolUse]]
matcher = "^Bash$"

[[hooks.PreToolUse.hooks]]
type = "command"
command = "~/bin/no-push.sh"
timeout = 30

[[hooks.PreToolUse]]
matcher = "^apply_patch$|^Bash$"

[[hooks.PreToolUse.hooks]]
type = "command"
command = "/usr/local/bin/attrib checkpoint --agent codex"
timeout = 5

[[hooks.PostToolUse]]
matcher = "^apply_patch$|^Bash$"

[[hooks.PostToolUse.hooks]]
type = "command"
command = "/usr/local/bin/attrib checkpoint --agent codex"
timeout = 5

[mcp_servers.docs]
command = "docs-mcp"
args = ["--port", "4000"]

[projects."/home/me/work"]
trust_level = "trusted"
"#;

const CURSOR_MINE: &str = r#"{
  "version": 1,
  "hooks": {
    "preToolUse": [
      {
        "command": "./hooks/guard.sh",
        "matcher": "Shell"
      }
    ],
    "stop": [
      {
        "command": "./hooks/stop.sh"
      }
    ]
  }
}
"#;

const CURSOR_MINE_INSTALLED: &str = r#"{
  "version": 1,
  "hooks": {
    "preToolUse": [
      {
        "command": "./hooks/guard.sh",
        "matcher": "Shell"
      },
      {
        "command": "/usr/local/bin/attrib checkpoint --agent cursor",
        "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"
      }
    ],
    "stop": [
      {
        "command": "./hooks/stop.sh"
      }
    ],
    "postToolUse": [
      {
        "command": "/usr/local/bin/attrib checkpoint --agent cursor",
        "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"
      }
    ]
  }
}
"#;

const GEMINI_MINE: &str = r#"{
  "theme": "GitHub",
  "hooksConfig": {
    "enabled": true
  },
  "hooks": {
    "BeforeTool": [
      {
        "matcher": "run_shell_command",
        "sequential": true,
        "hooks": [
          {
            "name": "guard",
            "type": "command",
            "command": "~/bin/guard.sh",
            "timeout": 1000
          }
        ]
      }
    ]
  },
  "general": {
    "vimMode": true
  }
}
"#;

const GEMINI_MINE_INSTALLED: &str = r#"{
  "theme": "GitHub",
  "hooksConfig": {
    "enabled": true
  },
  "hooks": {
    "BeforeTool": [
      {
        "matcher": "run_shell_command",
        "sequential": true,
        "hooks": [
          {
            "name": "guard",
            "type": "command",
            "command": "~/bin/guard.sh",
            "timeout": 1000
          }
        ]
      },
      {
        "matcher": "write_file|replace|run_shell_command",
        "hooks": [
          {
            "name": "attrib",
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent gemini",
            "timeout": 5000
          }
        ]
      }
    ],
    "AfterTool": [
      {
        "matcher": "write_file|replace|run_shell_command",
        "hooks": [
          {
            "name": "attrib",
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent gemini",
            "timeout": 5000
          }
        ]
      }
    ]
  },
  "general": {
    "vimMode": true
  }
}
"#;

fn mine(agent: Agent) -> (&'static str, &'static str) {
    match agent {
        Agent::ClaudeCode => (CLAUDE_MINE, CLAUDE_MINE_INSTALLED),
        Agent::Codex => (CODEX_MINE, CODEX_MINE_INSTALLED),
        Agent::Cursor => (CURSOR_MINE, CURSOR_MINE_INSTALLED),
        Agent::Gemini => (GEMINI_MINE, GEMINI_MINE_INSTALLED),
    }
}

// ---------------------------------------------------------------------------------------------
// Installing

#[test]
fn a_fresh_install_writes_exactly_the_expected_file() {
    for agent in Agent::ALL {
        let (_dir, places) = world();
        let done = install(&places, agent, Scope::Project, exe(), false).unwrap();
        let expected_path = places
            .project
            .as_ref()
            .unwrap()
            .join(agent.dir())
            .join(match agent {
                Agent::Codex => "config.toml",
                Agent::Cursor => "hooks.json",
                _ => "settings.json",
            });
        assert_eq!(done.path, expected_path, "{agent}");
        assert!(done.changed && !done.updated, "{agent}: {done:?}");
        assert_eq!(done.events, agent.events(false), "{agent}");
        assert_eq!(read(&done.path), fresh(agent), "{agent}");
    }
}

#[test]
fn a_user_install_goes_to_the_home_directory() {
    let (_dir, places) = world();
    let done = install(&places, Agent::ClaudeCode, Scope::User, exe(), false).unwrap();
    assert_eq!(done.path, places.home.join(".claude/settings.json"));
    assert_eq!(read(&done.path), CLAUDE_FRESH);
    assert!(!places.project.as_ref().unwrap().join(".claude").exists());
}

#[test]
fn prompts_add_each_agents_prompt_event_without_a_matcher() {
    let (_dir, places) = world();
    let done = install(&places, Agent::ClaudeCode, Scope::Project, exe(), true).unwrap();
    assert_eq!(
        done.events,
        ["PreToolUse", "PostToolUse", "UserPromptSubmit"]
    );
    let expected = CLAUDE_FRESH.replace(
        "\n    ]\n  }\n}\n",
        r#"
    ],
    "UserPromptSubmit": [
      {
        "hooks": [
          {
            "type": "command",
            "command": "/usr/local/bin/attrib checkpoint --agent claude-code"
          }
        ]
      }
    ]
  }
}
"#,
    );
    assert_eq!(read(&done.path), expected);

    let done = install(&places, Agent::Codex, Scope::Project, exe(), true).unwrap();
    assert!(read(&done.path).ends_with(
        "[[hooks.UserPromptSubmit]]\n\n[[hooks.UserPromptSubmit.hooks]]\ntype = \"command\"\ncommand = \"/usr/local/bin/attrib checkpoint --agent codex\"\ntimeout = 5\n"
    ));
    let done = install(&places, Agent::Cursor, Scope::Project, exe(), true).unwrap();
    assert!(read(&done.path).contains(
        "\"beforeSubmitPrompt\": [\n      {\n        \"command\": \"/usr/local/bin/attrib checkpoint --agent cursor\"\n      }\n    ]"
    ));
    let done = install(&places, Agent::Gemini, Scope::Project, exe(), true).unwrap();
    assert!(read(&done.path).contains("\"BeforeAgent\": [\n      {\n        \"hooks\": ["));
}

#[test]
fn an_install_keeps_the_persons_own_settings_and_hooks() {
    for agent in Agent::ALL {
        let (_dir, places) = world();
        let (before, after) = mine(agent);
        let path = fixture(&places, agent, Scope::User, before);
        let done = install(&places, agent, Scope::User, exe(), false).unwrap();
        assert!(done.changed, "{agent}");
        assert_eq!(read(&path), after, "{agent}");
    }
}

#[test]
fn a_second_install_leaves_the_file_byte_for_byte_and_says_so() {
    for agent in Agent::ALL {
        for start in [None, Some(mine(agent).0)] {
            let (_dir, places) = world();
            let path = places.file(agent, Scope::Project).unwrap();
            if let Some(text) = start {
                fixture(&places, agent, Scope::Project, text);
            }
            let first = install(&places, agent, Scope::Project, exe(), true).unwrap();
            assert!(first.changed);
            let written = fs::read(&path).unwrap();
            let modified = fs::metadata(&path).unwrap().modified().unwrap();
            let second = install(&places, agent, Scope::Project, exe(), true).unwrap();
            assert!(!second.changed && !second.updated, "{agent}: {second:?}");
            assert_eq!(fs::read(&path).unwrap(), written, "{agent}");
            assert_eq!(fs::metadata(&path).unwrap().modified().unwrap(), modified);
            // Without --prompts, an installed prompt hook is left where it is.
            let third = install(&places, agent, Scope::Project, exe(), false).unwrap();
            assert!(!third.changed, "{agent}");
        }
    }
}

#[test]
fn hooks_already_there_in_another_layout_leave_the_file_alone() {
    // Four-space indentation, everything else as attrib would write it: nothing to change, so
    // the person's layout is not rewritten.
    let (_dir, places) = world();
    let text = CLAUDE_FRESH.replace("  ", "    ");
    let path = fixture(&places, Agent::ClaudeCode, Scope::Project, &text);
    let done = install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap();
    assert!(!done.changed);
    assert_eq!(read(&path), text);
}

#[test]
fn an_older_attrib_entry_is_updated_in_place_not_duplicated() {
    // Claude Code: another binary and an older matcher, in the person's list between their own
    // hooks; a second copy further down.
    let (_dir, places) = world();
    let path = fixture(
        &places,
        Agent::ClaudeCode,
        Scope::Project,
        r#"{"hooks": {"PreToolUse": [
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}]},
            {"matcher": "Edit|Write", "hooks": [{"type": "command", "command": "/old/attrib checkpoint --agent claude-code", "statusMessage": "attrib"}]},
            {"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}, {"type": "command", "command": "attrib checkpoint --agent claude-code"}]}
        ]}}"#,
    );
    let done = install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap();
    assert!(done.changed && done.updated);
    let v: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["PreToolUse"],
        serde_json::json!([
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}]},
            {"matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/attrib checkpoint --agent claude-code", "statusMessage": "attrib"}]},
            {"matcher": "Edit", "hooks": [{"type": "command", "command": "fmt"}]}
        ])
    );
    assert_eq!(v["hooks"]["PostToolUse"].as_array().unwrap().len(), 1);

    // Codex: updated in place, the person's raised timeout and comment kept.
    let path = fixture(
        &places,
        Agent::Codex,
        Scope::Project,
        "[[hooks.PreToolUse]]\nmatcher = \"^apply_patch$\"\n\n# attrib, old build\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"/old/attrib checkpoint --agent codex\"\ntimeout = 20 # slow disk\n",
    );
    let done = install(&places, Agent::Codex, Scope::Project, exe(), false).unwrap();
    assert!(done.updated);
    assert!(read(&path).starts_with(
        "[[hooks.PreToolUse]]\nmatcher = \"^apply_patch$|^Bash$\"\n\n# attrib, old build\n[[hooks.PreToolUse.hooks]]\ntype = \"command\"\ncommand = \"/usr/local/bin/attrib checkpoint --agent codex\"\ntimeout = 20 # slow disk\n\n[[hooks.PostToolUse]]"
    ), "{}", read(&path));
    assert_eq!(read(&path).matches("checkpoint --agent").count(), 2);

    // Cursor: flat entries.
    let path = fixture(
        &places,
        Agent::Cursor,
        Scope::Project,
        r#"{"version": 1, "hooks": {"postToolUse": [{"command": "/old/attrib checkpoint --agent cursor", "matcher": "Write"}, {"command": "/old/attrib checkpoint --agent cursor"}]}}"#,
    );
    install(&places, Agent::Cursor, Scope::Project, exe(), false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["postToolUse"],
        serde_json::json!([{"command": "/usr/local/bin/attrib checkpoint --agent cursor", "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"}])
    );

    // Gemini CLI: a timeout the person raised stays.
    let path = fixture(
        &places,
        Agent::Gemini,
        Scope::Project,
        r#"{"hooks": {"AfterTool": [{"matcher": "write_file", "hooks": [{"name": "attrib", "type": "command", "command": "/old/attrib checkpoint --agent gemini", "timeout": 20000}]}]}}"#,
    );
    install(&places, Agent::Gemini, Scope::Project, exe(), false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["AfterTool"],
        serde_json::json!([{"matcher": "write_file|replace|run_shell_command", "hooks": [{"name": "attrib", "type": "command", "command": "/usr/local/bin/attrib checkpoint --agent gemini", "timeout": 20000}]}])
    );
}

#[test]
fn attrib_sharing_a_group_with_other_hooks_does_not_change_their_matcher() {
    let (_dir, places) = world();
    let path = fixture(
        &places,
        Agent::ClaudeCode,
        Scope::Project,
        r#"{"hooks": {"PreToolUse": [{"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}, {"type": "command", "command": "/old/attrib checkpoint --agent claude-code"}]}]}}"#,
    );
    install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap();
    let v: serde_json::Value = serde_json::from_str(&read(&path)).unwrap();
    assert_eq!(
        v["hooks"]["PreToolUse"],
        serde_json::json!([
            {"matcher": "Bash", "hooks": [{"type": "command", "command": "guard"}]},
            {"matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash", "hooks": [{"type": "command", "command": "/usr/local/bin/attrib checkpoint --agent claude-code"}]}
        ])
    );
}

#[test]
fn a_malformed_file_is_an_error_naming_it_and_nothing_is_written() {
    let cases: &[(Agent, &str, &str)] = &[
        (Agent::ClaudeCode, "{\"hooks\": {", "is not valid JSON"),
        (Agent::ClaudeCode, "[1, 2]", "does not hold a JSON object"),
        (
            Agent::ClaudeCode,
            "{\"hooks\": []}",
            "\"hooks\" is not an object",
        ),
        (
            Agent::ClaudeCode,
            "{\"hooks\": {\"PreToolUse\": {\"matcher\": \"Bash\"}}}",
            "\"hooks\".\"PreToolUse\" is not a list",
        ),
        (
            Agent::ClaudeCode,
            "{\"hooks\": {\"PostToolUse\": [{\"hooks\": \"x\"}]}}",
            "\"hooks\" is not a list",
        ),
        (
            Agent::Codex,
            "model = \"o3\"\n[hooks\n",
            "is not valid TOML",
        ),
        (Agent::Codex, "hooks = 3\n", "`hooks` is not a table"),
        (
            Agent::Codex,
            "[hooks]\nPreToolUse = \"x\"\n",
            "is not a list of tables",
        ),
        (Agent::Cursor, "{\"version\": 1,, }", "is not valid JSON"),
        (
            Agent::Cursor,
            "{\"hooks\": {\"preToolUse\": [3]}}",
            "is not an object",
        ),
        (Agent::Gemini, "{\n  // a comment\n}", "is not valid JSON"),
    ];
    for &(agent, text, says) in cases {
        let (_dir, places) = world();
        let path = fixture(&places, agent, Scope::Project, text);
        let err = install(&places, agent, Scope::Project, exe(), false).unwrap_err();
        let msg = format!("{err:#}");
        assert!(!msg.contains('\n'), "{agent}: one line, got {msg:?}");
        assert!(msg.contains(&path.display().to_string()), "{agent}: {msg}");
        assert!(msg.contains(says), "{agent}: {msg:?} should say {says:?}");
        assert!(msg.ends_with("nothing was written"), "{msg}");
        assert_eq!(
            read(&path),
            text,
            "{agent}: the file must be left as it was"
        );
        let err = uninstall(&places, agent, Scope::Project).unwrap_err();
        assert!(format!("{err:#}").contains(says));
        assert_eq!(read(&path), text);
        let names: Vec<String> = fs::read_dir(path.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "no temporary file left: {names:?}");
    }
}

#[test]
fn project_scope_outside_a_repository_says_how_to_go_on() {
    let (_dir, mut places) = world();
    places.project = None;
    let err = install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap_err();
    assert!(err.to_string().contains("--user"), "{err}");
    assert!(install(&places, Agent::ClaudeCode, Scope::User, exe(), false).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Uninstalling

#[test]
fn uninstall_takes_out_only_attribs_hooks() {
    for agent in Agent::ALL {
        let (_dir, places) = world();
        let (before, after) = mine(agent);
        let path = fixture(&places, agent, Scope::User, after);
        let removed = uninstall(&places, agent, Scope::User).unwrap();
        assert_eq!(removed.events, agent.events(false), "{agent}");
        assert_eq!(read(&path), before, "{agent}");
        let again = uninstall(&places, agent, Scope::User).unwrap();
        assert!(again.events.is_empty());
        assert_eq!(read(&path), before);
    }
}

#[test]
fn uninstall_after_a_fresh_install_leaves_no_empty_tables() {
    let (_dir, places) = world();
    for agent in Agent::ALL {
        install(&places, agent, Scope::Project, exe(), true).unwrap();
        let removed = uninstall(&places, agent, Scope::Project).unwrap();
        assert_eq!(removed.events, agent.events(true));
        let left = read(&removed.path);
        let expected = match agent {
            Agent::Codex => "",
            Agent::Cursor => "{\n  \"version\": 1\n}\n",
            _ => "{}\n",
        };
        assert_eq!(left, expected, "{agent}");
    }
}

#[test]
fn uninstall_without_a_file_writes_nothing() {
    let (_dir, places) = world();
    let removed = uninstall(&places, Agent::Gemini, Scope::User).unwrap();
    assert!(removed.events.is_empty());
    assert!(!removed.path.exists());
}

// ---------------------------------------------------------------------------------------------
// Status

#[test]
fn status_reports_each_agent_and_scope() {
    let (_dir, places) = world();
    install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap();
    install(&places, Agent::Codex, Scope::User, exe(), true).unwrap();
    // Cursor: only the "before" hook is there.
    fixture(
        &places,
        Agent::Cursor,
        Scope::Project,
        r#"{"version": 1, "hooks": {"preToolUse": [{"command": "/usr/local/bin/attrib checkpoint --agent cursor", "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"}]}}"#,
    );
    // Gemini CLI: a broken file.
    fixture(&places, Agent::Gemini, Scope::User, "{oops");

    let all = status(&places, exe(), false);
    assert_eq!(all.len(), 8);
    let find = |agent, scope| {
        all.iter()
            .find(|s| s.agent == agent && s.scope == scope)
            .unwrap()
    };

    let claude = find(Agent::ClaudeCode, Scope::Project);
    assert_eq!(claude.installed, Coverage::All);
    assert_eq!(claude.events, ["PreToolUse", "PostToolUse"]);
    assert!(claude.missing.is_empty() && !claude.outdated && claude.exists);
    assert_eq!(claude.note, None);
    assert_eq!(
        find(Agent::ClaudeCode, Scope::User).installed,
        Coverage::None
    );
    assert!(!find(Agent::ClaudeCode, Scope::User).exists);

    let codex = find(Agent::Codex, Scope::User);
    assert_eq!(codex.installed, Coverage::All);
    assert_eq!(
        codex.events,
        ["PreToolUse", "PostToolUse", "UserPromptSubmit"]
    );
    assert!(
        codex.note.is_some_and(|n| n.contains("/hooks")),
        "{codex:?}"
    );
    let codex_project = find(Agent::Codex, Scope::Project);
    assert_eq!(codex_project.installed, Coverage::None);
    assert_eq!(codex_project.note, None);

    let cursor = find(Agent::Cursor, Scope::Project);
    assert_eq!(cursor.installed, Coverage::Some);
    assert_eq!(cursor.events, ["preToolUse"]);
    assert_eq!(cursor.missing, ["postToolUse"]);

    let gemini = find(Agent::Gemini, Scope::User);
    assert_eq!(gemini.installed, Coverage::None);
    assert!(gemini
        .error
        .as_deref()
        .is_some_and(|e| e.contains("not valid JSON")));

    // With prompts tracked, Claude Code's prompt hook is missing.
    let claude = status_of(
        Agent::ClaudeCode,
        Scope::Project,
        &places.file(Agent::ClaudeCode, Scope::Project).unwrap(),
        exe(),
        true,
    );
    assert_eq!(claude.installed, Coverage::Some);
    assert_eq!(claude.missing, ["UserPromptSubmit"]);

    // Another binary: installed, but outdated.
    let other = status(&places, Path::new("/opt/attrib/bin/attrib"), false);
    assert!(other
        .iter()
        .filter(|s| s.installed != Coverage::None)
        .all(|s| s.outdated));
}

#[test]
fn status_outside_a_repository_lists_the_user_files_only() {
    let (_dir, mut places) = world();
    places.project = None;
    let all = status(&places, exe(), false);
    assert_eq!(all.len(), 4);
    assert!(all.iter().all(|s| s.scope == Scope::User));
}

#[test]
fn suggested_agents_are_those_in_use_without_hooks() {
    let (_dir, places) = world();
    assert!(suggested(&places, exe()).is_empty());
    fs::create_dir_all(places.home.join(".claude")).unwrap();
    fs::create_dir_all(places.project.as_ref().unwrap().join(".gemini")).unwrap();
    assert_eq!(
        suggested(&places, exe()),
        [Agent::ClaudeCode, Agent::Gemini]
    );
    install(&places, Agent::ClaudeCode, Scope::Project, exe(), false).unwrap();
    assert_eq!(suggested(&places, exe()), [Agent::Gemini]);
}

// ---------------------------------------------------------------------------------------------
// The command, the places, the file

#[test]
fn the_hook_command_is_the_binary_quoted_for_the_shell() {
    assert_eq!(
        hook_command(exe(), Agent::Gemini).unwrap(),
        "/usr/local/bin/attrib checkpoint --agent gemini"
    );
    assert_eq!(
        hook_command(Path::new("/Users/Jo Doe/bin/attrib"), Agent::ClaudeCode).unwrap(),
        "'/Users/Jo Doe/bin/attrib' checkpoint --agent claude-code"
    );
    assert_eq!(shell_quote("/a/it's"), r"'/a/it'\''s'");
    assert_eq!(shell_quote("/a/$HOME"), "'/a/$HOME'");
    assert!(hook_command(Path::new("attrib"), Agent::Codex).is_err());
}

#[test]
fn agents_are_named_as_checkpoint_names_them() {
    for agent in Agent::ALL {
        assert_eq!(agent.name().parse::<Agent>().unwrap(), agent);
        assert!(
            attrib_workspace::checkpoint::payload::agent_name(agent.name()).is_some(),
            "`attrib checkpoint --agent {agent}` must be accepted"
        );
    }
    assert_eq!("claude".parse::<Agent>().unwrap(), Agent::ClaudeCode);
    assert_eq!("gemini-cli".parse::<Agent>().unwrap(), Agent::Gemini);
    assert!("copilot".parse::<Agent>().is_err());
}

#[test]
fn the_project_is_the_repository_that_holds_the_store_or_the_nearest_vcs() {
    let dir = tempfile::tempdir().unwrap();
    let ws = |d: &Path| {
        Workspace::discover(
            d,
            Options {
                config_dir: dir.path().join("config"),
                vcs_binary: None,
            },
        )
        .unwrap()
    };
    let git = dir.path().join("g");
    fs::create_dir_all(git.join(".git")).unwrap();
    fs::create_dir_all(git.join("src/deep")).unwrap();
    assert_eq!(project_root(&ws(&git.join("src/deep"))).unwrap(), git);

    let pijul = dir.path().join("p");
    fs::create_dir_all(pijul.join(".pijul/attrib")).unwrap();
    fs::write(
        pijul
            .join(".pijul/attrib")
            .join(attrib_overlay::store::STORE_FILE),
        b"",
    )
    .unwrap();
    fs::create_dir_all(pijul.join("sub")).unwrap();
    assert_eq!(project_root(&ws(&pijul.join("sub"))).unwrap(), pijul);

    let atomic = dir.path().join("a");
    fs::create_dir_all(atomic.join(".atomic")).unwrap();
    assert_eq!(project_root(&ws(&atomic)).unwrap(), atomic);

    let nothing = dir.path().join("n");
    fs::create_dir_all(&nothing).unwrap();
    assert!(project_root(&ws(&nothing)).is_err());
    assert_eq!(
        agent_hooks::store_repository(&dir.path().join("x/.attrib")),
        dir.path().join("x")
    );
}

#[test]
fn a_linked_settings_file_is_written_through_the_link_with_its_mode() {
    use std::os::unix::fs::PermissionsExt as _;
    let (dir, places) = world();
    let real = dir.path().join("dotfiles/claude.json");
    fs::create_dir_all(real.parent().unwrap()).unwrap();
    fs::write(&real, "{}\n").unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o600)).unwrap();
    let link = places.file(Agent::ClaudeCode, Scope::User).unwrap();
    fs::create_dir_all(link.parent().unwrap()).unwrap();
    std::os::unix::fs::symlink(&real, &link).unwrap();
    install(&places, Agent::ClaudeCode, Scope::User, exe(), false).unwrap();
    assert!(fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&real), CLAUDE_FRESH);
    assert_eq!(
        fs::metadata(&real).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn adding_a_missing_event_is_an_install_not_an_update() {
    let (_dir, places) = world();
    let path = fixture(
        &places,
        Agent::Cursor,
        Scope::Project,
        r#"{"version": 1, "hooks": {"preToolUse": [{"command": "/usr/local/bin/attrib checkpoint --agent cursor", "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"}]}}"#,
    );
    let done = install(&places, Agent::Cursor, Scope::Project, exe(), false).unwrap();
    assert!(done.changed && !done.updated, "{done:?}");
    assert_eq!(read(&path), CURSOR_FRESH);
}
