//! `hooks install|status|uninstall` and `init --agent-hooks`: agents' settings files in the
//! repository and in `$HOME`, and the installed hook run as the agent would run it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::support::{Sandbox, User, BIN};

/// The command the hooks run: this binary, by the path it finds for itself.
fn bin() -> PathBuf {
    Path::new(BIN).canonicalize().unwrap()
}

/// A user whose repository has an attrib store (so it is a repository attrib knows).
fn initialised(sb: &Sandbox) -> User {
    let u = sb.user("ann");
    u.run(["init", "--team", "t", "--name", "ann"]).ok();
    u
}

fn home(sb: &Sandbox) -> PathBuf {
    sb.path().join("home")
}

fn entry<'a>(status: &'a Value, agent: &str, scope: &str) -> &'a Value {
    status["hooks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["agent"] == agent && s["scope"] == scope)
        .unwrap_or_else(|| panic!("no {agent} {scope} in {status:#}"))
}

#[test]
fn install_then_status_json_in_the_repository() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let file = u.repo.join(".claude/settings.json");

    let out = u.run(["hooks", "install", "--agent", "claude-code"]).ok();
    assert_eq!(
        out.stdout,
        format!(
            "installed claude-code hooks (PreToolUse, PostToolUse) in {}\n",
            file.display()
        )
    );
    let settings: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let command = format!("{} checkpoint --agent claude-code", bin().display());
    for event in ["PreToolUse", "PostToolUse"] {
        assert_eq!(
            settings["hooks"][event],
            serde_json::json!([{
                "matcher": "Write|Edit|MultiEdit|NotebookEdit|Bash",
                "hooks": [{"type": "command", "command": command}]
            }])
        );
    }

    let status = u.run(["hooks", "status", "--json"]).ok().json();
    assert_eq!(status["repository"], u.repo.to_str().unwrap());
    assert_eq!(status["home"], home(&sb).to_str().unwrap());
    assert_eq!(status["prompts"], false);
    assert_eq!(status["hooks"].as_array().unwrap().len(), 8);
    let claude = entry(&status, "claude-code", "project");
    assert_eq!(claude["path"], file.to_str().unwrap());
    assert_eq!(claude["exists"], true);
    assert_eq!(claude["installed"], "all");
    assert_eq!(
        claude["events"],
        serde_json::json!(["PreToolUse", "PostToolUse"])
    );
    assert_eq!(claude["missing"], serde_json::json!([]));
    assert_eq!(claude["outdated"], false);
    assert_eq!(claude["error"], Value::Null);
    let user = entry(&status, "claude-code", "user");
    assert_eq!(user["installed"], "none");
    assert_eq!(user["exists"], false);
    assert_eq!(
        user["path"],
        home(&sb).join(".claude/settings.json").to_str().unwrap()
    );
    for agent in ["codex", "cursor", "gemini"] {
        assert_eq!(entry(&status, agent, "project")["installed"], "none");
    }

    // Again: nothing changes, and it says so.
    let before = std::fs::read(&file).unwrap();
    let again = u.run(["hooks", "install", "--agent", "claude"]).ok();
    assert!(
        again
            .stdout
            .starts_with("already installed claude-code hooks"),
        "{}",
        again.stdout
    );
    assert_eq!(std::fs::read(&file).unwrap(), before);

    // The text form: a row per agent and scope.
    let text = u.run(["hooks", "status"]).ok().stdout;
    assert!(text.starts_with("AGENT"), "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("claude-code  project  installed")),
        "{text}"
    );
}

#[test]
fn a_user_install_goes_to_home_and_tells_about_codex_trust() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let out = u
        .run(["hooks", "install", "--agent", "codex", "--user"])
        .ok();
    let file = home(&sb).join(".codex/config.toml");
    let mut lines = out.stdout.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!(
            "installed codex hooks (PreToolUse, PostToolUse) in {}",
            file.display()
        )
    );
    assert!(lines.next().unwrap().contains("/hooks"), "{}", out.stdout);
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(text.starts_with("[[hooks.PreToolUse]]\nmatcher = \"^apply_patch$|^Bash$\"\n"));
    assert!(text.contains(&format!(
        "command = \"{} checkpoint --agent codex\"\ntimeout = 5\n",
        bin().display()
    )));
    assert!(!u.repo.join(".codex").exists());

    let status = u.run(["hooks", "status", "--json"]).ok().json();
    let codex = entry(&status, "codex", "user");
    assert_eq!(codex["installed"], "all");
    assert!(codex["note"].as_str().unwrap().contains("/hooks"));
    assert_eq!(entry(&status, "codex", "project")["installed"], "none");
    assert!(u.run(["hooks", "status"]).ok().stdout.contains("/hooks"));

    // Outside any repository only --user works, and status shows the home directory's files.
    let elsewhere = sb.dir("elsewhere");
    u.run_in(&elsewhere, ["hooks", "install", "--agent", "gemini"])
        .fails()
        .mentions("--user");
    u.run_in(
        &elsewhere,
        ["hooks", "install", "--agent", "gemini", "--user"],
    )
    .ok();
    let status = u
        .run_in(&elsewhere, ["hooks", "status", "--json"])
        .ok()
        .json();
    assert_eq!(status["repository"], Value::Null);
    assert_eq!(status["hooks"].as_array().unwrap().len(), 4);
    assert_eq!(entry(&status, "gemini", "user")["installed"], "all");
}

#[test]
fn prompts_follow_the_flag_or_the_config() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let out = u
        .run(["hooks", "install", "--agent", "cursor", "--prompts"])
        .ok();
    assert!(
        out.stdout
            .starts_with("installed cursor hooks (preToolUse, postToolUse, beforeSubmitPrompt)"),
        "{}",
        out.stdout
    );
    u.run(["config", "set", "ai.track_prompts", "true"]).ok();
    let out = u.run(["hooks", "install", "--agent", "gemini"]).ok();
    assert!(
        out.stdout
            .starts_with("installed gemini hooks (BeforeTool, AfterTool, BeforeAgent)"),
        "{}",
        out.stdout
    );
    // Claude Code's hooks installed before prompts were tracked now lack one event.
    u.run(["config", "set", "ai.track_prompts", "false"]).ok();
    u.run(["hooks", "install", "--agent", "claude-code"]).ok();
    u.run(["config", "set", "ai.track_prompts", "true"]).ok();
    let status = u.run(["hooks", "status", "--json"]).ok().json();
    let claude = entry(&status, "claude-code", "project");
    assert_eq!(claude["installed"], "some");
    assert_eq!(claude["missing"], serde_json::json!(["UserPromptSubmit"]));
    assert!(u
        .run(["hooks", "status"])
        .ok()
        .stdout
        .contains("claude-code (project) lacks UserPromptSubmit: run `attrib hooks install --agent claude-code`"));
}

#[test]
fn the_installed_claude_hook_runs_a_checkpoint() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let notes = u.repo.join("notes.txt");
    std::fs::write(&notes, "one\ntwo\n").unwrap();
    u.run(["hooks", "install", "--agent", "claude-code"]).ok();
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(u.repo.join(".claude/settings.json")).unwrap(),
    )
    .unwrap();

    for (event, text) in [
        ("PreToolUse", None),
        ("PostToolUse", Some("one\nTWO\nthree\n")),
    ] {
        if let Some(text) = text {
            std::fs::write(&notes, text).unwrap();
        }
        let command = settings["hooks"][event][0]["hooks"][0]["command"]
            .as_str()
            .unwrap();
        let input = serde_json::json!({
            "session_id": "s-1",
            "transcript_path": sb.path().join("no-transcript.jsonl"),
            "cwd": u.repo,
            "hook_event_name": event,
            "tool_name": "Edit",
            "tool_input": {"file_path": notes, "old_string": "two", "new_string": "TWO\nthree"}
        });
        // As Claude Code runs it: the command string through a shell, the JSON on stdin.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(command)
            .current_dir(&u.repo)
            .env("ATTRIB_CONFIG_DIR", &u.config)
            .env("HOME", home(&sb))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write as _;
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{event}: {out:?}");
        assert!(
            out.stdout.is_empty() && out.stderr.is_empty(),
            "{event}: {out:?}"
        );
    }
    let log = u.repo.join(".attrib/checkpoints");
    assert!(
        !log.join("errors.log").exists(),
        "{}",
        std::fs::read_to_string(log.join("errors.log")).unwrap_or_default()
    );
    let states: Vec<_> = std::fs::read_dir(log.join("files")).unwrap().collect();
    assert_eq!(states.len(), 1, "the checkpoint kept notes.txt's lines");
}

#[test]
fn uninstall_takes_out_only_attribs_hooks() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let file = u.repo.join(".cursor/hooks.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    let mine = "{\n  \"version\": 1,\n  \"hooks\": {\n    \"stop\": [\n      {\n        \"command\": \"./stop.sh\"\n      }\n    ]\n  }\n}\n";
    std::fs::write(&file, mine).unwrap();
    u.run(["hooks", "install", "--agent", "all"]).ok();
    let out = u
        .run([
            "hooks",
            "uninstall",
            "--agent",
            "cursor",
            "--agent",
            "codex",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        format!(
            "removed codex hooks (PreToolUse, PostToolUse) from {}\nremoved cursor hooks (preToolUse, postToolUse) from {}\n",
            u.repo.join(".codex/config.toml").display(),
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), mine);
    let again = u.run(["hooks", "uninstall", "--agent", "cursor"]).ok();
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    let status = u.run(["hooks", "status", "--json"]).ok().json();
    assert_eq!(entry(&status, "claude-code", "project")["installed"], "all");
    assert_eq!(entry(&status, "cursor", "project")["installed"], "none");
}

#[test]
fn hooks_errors_are_one_line() {
    let sb = Sandbox::new();
    let u = initialised(&sb);
    u.run(["hooks", "install"]).usage_err().mentions("--agent");
    u.run(["hooks", "install", "--agent", "copilot"])
        .usage_err()
        .mentions("copilot");
    u.run(["hooks"]).help_on_stderr();

    let file = u.repo.join(".gemini/settings.json");
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, "{\"hooks\": [}").unwrap();
    // One unreadable file stops the whole command before any file is written.
    u.run(["hooks", "install", "--agent", "claude-code,gemini"])
        .fails()
        .mentions(file.to_str().unwrap())
        .mentions("not valid JSON");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "{\"hooks\": [}");
    assert!(!u.repo.join(".claude").exists());
    let status = u.run(["hooks", "status", "--json"]).ok().json();
    assert!(entry(&status, "gemini", "project")["error"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
}

#[test]
fn init_installs_agent_hooks_when_asked_and_hints_otherwise() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    let out = u
        .run([
            "init",
            "--team",
            "t",
            "--name",
            "ann",
            "--agent-hooks",
            "claude-code,gemini",
        ])
        .ok();
    assert!(
        out.stdout.contains(&format!(
            "installed claude-code hooks (PreToolUse, PostToolUse) in {}\n",
            u.repo.join(".claude/settings.json").display()
        )),
        "{}",
        out.stdout
    );
    assert!(out.stdout.ends_with(&format!(
        "installed gemini hooks (BeforeTool, AfterTool) in {}\n",
        u.repo.join(".gemini/settings.json").display()
    )));
    // On an existing store, init only installs them.
    let out = u.run(["init", "--agent-hooks", "cursor"]).ok();
    assert!(
        out.stdout.starts_with("installed cursor hooks"),
        "{}",
        out.stdout
    );

    // Without --agent-hooks: a hint for the agents in use here or at home, without hooks.
    let sb = Sandbox::new();
    std::fs::create_dir_all(home(&sb).join(".codex")).unwrap();
    let u = sb.user("bo");
    std::fs::create_dir_all(u.repo.join(".cursor")).unwrap();
    let out = u.run(["init", "--team", "t", "--name", "bo"]).ok();
    assert_eq!(
        out.stdout.lines().last().unwrap(),
        "hint: to tell your lines from your agents', run `attrib hooks install --agent codex,cursor`"
    );
    // No agent in sight: no hint.
    let sb = Sandbox::new();
    let u = sb.user("cy");
    let out = u.run(["init", "--team", "t", "--name", "cy"]).ok();
    assert!(!out.stdout.contains("hint"), "{}", out.stdout);

    // A settings file that cannot be read stops init before it creates anything.
    let sb = Sandbox::new();
    let u = sb.user("di");
    std::fs::create_dir_all(u.repo.join(".claude")).unwrap();
    std::fs::write(u.repo.join(".claude/settings.json"), "nope").unwrap();
    u.run(["init", "--team", "t", "--agent-hooks", "claude-code"])
        .fails()
        .mentions("settings.json");
    assert!(!u.repo.join(".attrib").exists());
}

#[test]
fn a_link_on_path_is_what_the_hook_runs() {
    // As a package manager installs it: a link on PATH to a versioned file an upgrade replaces.
    let sb = Sandbox::new();
    let u = initialised(&sb);
    let bin_dir = sb.dir("my bin");
    let link = bin_dir.join("attrib");
    std::os::unix::fs::symlink(bin(), &link).unwrap();
    let path = format!("/nonexistent:{}:/usr/bin:/bin", bin_dir.display());
    u.run_env(
        ["hooks", "install", "--agent", "cursor"],
        &[("PATH", &path)],
    )
    .ok();
    let text = std::fs::read_to_string(u.repo.join(".cursor/hooks.json")).unwrap();
    let command = format!("'{}' checkpoint --agent cursor", link.display());
    assert!(
        text.contains(&serde_json::to_string(&command).unwrap()),
        "{text}"
    );
    // Without the link on PATH: the binary itself, and the entry is updated in place.
    let out = u.run(["hooks", "install", "--agent", "cursor"]).ok();
    assert!(
        out.stdout.starts_with("updated cursor hooks"),
        "{}",
        out.stdout
    );
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(u.repo.join(".cursor/hooks.json")).unwrap())
            .unwrap();
    assert_eq!(
        v["hooks"]["preToolUse"],
        serde_json::json!([{
            "command": format!("{} checkpoint --agent cursor", bin().display()),
            "matcher": "Write|Delete|StrReplace|ApplyPatch|Shell"
        }])
    );
}
