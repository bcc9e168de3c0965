//! Agent checkpoints in the library: every agent's documented hook input reads into the same
//! event, the working log credits each line to the agent session or the person who last
//! wrote it, a known-answer scenario comes out exact, bad input is refused without touching
//! the log, and two agents checkpointing at once lose nothing.

use std::fs;
use std::path::{Path, PathBuf};

use attrib_overlay::{Contribution, LineSpan};
use attrib_workspace::checkpoint::{self, attribute, parse, Added, AgentEvent, Moment, WorkingLog};
use attrib_workspace::{team, Options, Workspace};

/// A repository directory with a founded team's store, and its workspace.
struct Repo {
    _dir: tempfile::TempDir,
    root: PathBuf,
    config_dir: PathBuf,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        fs::create_dir_all(root.join("src")).unwrap();
        let config_dir = dir.path().join("home");
        let repo = Repo {
            root,
            config_dir,
            _dir: dir,
        };
        let ws = repo.ws();
        let me = ws.create_identity("Ada", None, false).unwrap();
        team::found(&ws, &me, "acme").unwrap();
        repo
    }

    fn ws(&self) -> Workspace {
        Workspace::discover(
            &self.root,
            Options {
                config_dir: self.config_dir.clone(),
                vcs_binary: None,
            },
        )
        .unwrap()
    }

    fn log(&self) -> WorkingLog {
        WorkingLog::of_store(self.ws().store_dir().unwrap())
    }

    fn write(&self, file: &str, lines: &[String]) {
        let mut text = lines.join("\n");
        text.push('\n');
        fs::write(self.root.join(file), text).unwrap();
    }

    fn read(&self, file: &str) -> Vec<String> {
        fs::read_to_string(self.root.join(file))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// One hook call, as the CLI makes it.
    fn hook(&self, agent: Option<&str>, json: &str) {
        let event = parse(agent, json.as_bytes(), &self.root)
            .unwrap()
            .expect("an event");
        checkpoint::checkpoint(&self.ws(), &event).unwrap();
    }

    /// The attribution of a change that adds every line of `files` (a first record).
    fn attribute_all(&self, files: &[&str]) -> checkpoint::Attribution {
        let texts: Vec<(String, Vec<String>)> = files
            .iter()
            .map(|f| (f.to_string(), self.read(f)))
            .collect();
        let added: Vec<Added<'_>> = texts
            .iter()
            .flat_map(|(f, lines)| {
                lines.iter().enumerate().map(move |(i, t)| Added {
                    file: f,
                    line: i as u32 + 1,
                    text: t,
                })
            })
            .collect();
        let log = self.log();
        let _lock = log.lock().unwrap();
        attribute(&log, &self.root, &added, None).unwrap()
    }
}

fn fixture(name: &str, repo: &Path) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/hooks")
        .join(name);
    fs::read_to_string(&path)
        .unwrap()
        .replace("{REPO}", &repo.display().to_string())
}

fn event_of(name: &str, repo: &Path) -> AgentEvent {
    parse(None, fixture(name, repo).as_bytes(), Path::new("/"))
        .unwrap()
        .unwrap_or_else(|| panic!("{name} is an event"))
}

#[test]
fn every_agents_documented_hook_input_reads_into_one_event() {
    let repo = Path::new("/home/dev/repo");
    let e = event_of("claude-code.pre-write.json", repo);
    assert_eq!(
        (e.moment, e.agent.as_str(), e.provider.as_deref()),
        (Moment::Before, "claude-code", Some("anthropic"))
    );
    assert_eq!(e.session.as_deref(), Some("c0ffee-1"));
    assert_eq!(e.files, vec![repo.join("src/a.txt")]);
    assert!(e.whole_file && !e.scan);
    assert_eq!(
        e.transcript.as_deref(),
        Some(repo.join("../claude-transcript.jsonl").as_path())
    );

    let e = event_of("claude-code.post-write.json", repo);
    assert_eq!(e.moment, Moment::After);
    let e = event_of("claude-code.pre-multiedit.json", repo);
    assert_eq!(e.files, vec![PathBuf::from("a.txt")]);
    assert_eq!(e.cwd, repo.join("src"));
    assert_eq!(e.written, vec!["uno".to_string(), "dos\ntres".to_string()]);
    let e = event_of("claude-code.post-bash.json", repo);
    assert!(e.scan && e.files.is_empty() && e.moment == Moment::After);
    let e = event_of("claude-code.prompt.json", repo);
    assert_eq!(e.moment, Moment::Prompt);
    assert_eq!(e.prompt.as_deref(), Some("Write a.txt with two lines"));
    // A read is nothing to record.
    assert!(parse(
        None,
        fixture("claude-code.read.json", repo).as_bytes(),
        repo
    )
    .unwrap()
    .is_none());

    let e = event_of("codex.pre-apply-patch.json", repo);
    assert_eq!(
        (e.agent.as_str(), e.model.as_deref(), e.provider.as_deref()),
        ("codex", Some("gpt-5-codex"), Some("openai"))
    );
    assert_eq!(
        e.files,
        vec![PathBuf::from("src/new.rs"), PathBuf::from("src/a.txt")]
    );
    assert_eq!(
        e.written,
        vec!["fn main() {}".to_string(), "uno".to_string()]
    );
    assert_eq!(e.transcript, None);
    let e = event_of("codex.post-bash.json", repo);
    assert!(e.scan && e.moment == Moment::After);

    let e = event_of("cursor.pre-write.json", repo);
    assert_eq!(
        (e.agent.as_str(), e.model.as_deref(), e.session.as_deref()),
        ("cursor", Some("claude-4.5-sonnet"), Some("conv-7"))
    );
    assert_eq!(e.moment, Moment::Before);
    let e = event_of("cursor.post-str-replace.json", repo);
    assert_eq!(e.moment, Moment::After);
    assert_eq!(e.written, vec!["uno".to_string()]);
    let e = event_of("cursor.pre-shell.json", repo);
    // "default" is Cursor's automatic choice, not a model's name.
    assert!(e.scan && e.model.is_none());
    let e = event_of("cursor.prompt.json", repo);
    assert_eq!(e.prompt.as_deref(), Some("rename one to uno"));

    let e = event_of("gemini.before-write-file.json", repo);
    assert_eq!(
        (e.moment, e.agent.as_str(), e.provider.as_deref()),
        (Moment::Before, "gemini-cli", Some("google"))
    );
    assert_eq!(e.files, vec![PathBuf::from("src/a.txt")]);
    let e = event_of("gemini.after-replace.json", repo);
    assert_eq!(e.moment, Moment::After);
    assert!(event_of("gemini.before-shell.json", repo).scan);
    assert_eq!(
        event_of("gemini.prompt.json", repo).prompt.as_deref(),
        Some("make one uno")
    );

    let e = event_of("generic.after.json", repo);
    assert_eq!(
        (
            e.agent.as_str(),
            e.provider.as_deref(),
            e.model.as_deref(),
            e.session.as_deref()
        ),
        ("my-agent", Some("acme"), Some("acme-coder-2"), Some("s-42"))
    );
    assert_eq!(
        e.files,
        vec![PathBuf::from("src/a.txt"), PathBuf::from("src/b.txt")]
    );
    assert!(event_of("generic.before-scan.json", repo).scan);
    assert_eq!(
        event_of("generic.prompt.json", repo).prompt.as_deref(),
        Some("add b.txt")
    );

    // --agent names the shape when the input alone does not tell.
    let e = parse(
        Some("gemini"),
        fixture("gemini.after-replace.json", repo).as_bytes(),
        repo,
    )
    .unwrap()
    .unwrap();
    assert_eq!(e.agent, "gemini-cli");
}

#[test]
fn the_model_comes_from_the_transcript_when_the_input_does_not_name_it() {
    let repo = Repo::new();
    let transcript = repo.root.join("../claude-transcript.jsonl");
    fs::write(
        &transcript,
        concat!(
            "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-opus-4-1\",\"content\":[]}}\n",
            "{\"type\":\"user\",\"message\":{\"content\":\"go on\"}}\n",
            "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\",\"content\":[]}}\n",
        ),
    )
    .unwrap();
    let e = event_of("claude-code.pre-write.json", &repo.root);
    let w = e.writer(&repo.ws()).unwrap();
    assert_eq!(
        (w.agent.as_str(), w.provider.as_str(), w.model.as_str()),
        ("claude-code", "anthropic", "claude-sonnet-4-5")
    );
}

#[test]
fn bad_hook_input_is_an_error_with_a_reason() {
    let cwd = Path::new("/");
    for (input, why) in [
        (&b"not json"[..], "not JSON"),
        (
            b"{\"hook_event_name\": \"PreToolUse\", \"tool_na",
            "not JSON",
        ),
        (b"[1, 2]", "not a JSON object"),
        (b"\xff\xfe{}", "not UTF-8"),
        (b"{\"tool_name\": \"Write\"}", "names no hook_event_name"),
        (
            b"{\"schema\": \"attrib/agent-v1\", \"event\": \"during\", \"agent\": \"x\"}",
            "\"event\" must be",
        ),
        (
            b"{\"schema\": \"attrib/agent-v1\", \"event\": \"after\", \"agent\": \"x\"}",
            "must list its \"files\"",
        ),
        (
            b"{\"schema\": \"attrib/agent-v1\", \"event\": \"after\", \"files\": []}",
            "must name its \"agent\"",
        ),
    ] {
        let err = parse(None, input, cwd).unwrap_err().to_string();
        assert!(err.contains(why), "{input:?}: {err}");
    }
    let err = parse(Some("emacs"), b"{}", cwd).unwrap_err().to_string();
    assert!(err.contains("unknown agent \"emacs\""), "{err}");
}

/// The issue's known-answer scenario, in the library: an agent (Claude Code, model A) writes a
/// 40-line file; a person edits 3 of its lines and adds 5; a second agent (generic, model B)
/// adds 10 lines to another file and rewrites 2 of the person's lines. Every line of the
/// change that adds both files is credited to the right writer.
#[test]
fn a_known_answer_scenario_credits_every_line_to_its_writer() {
    let repo = Repo::new();
    let claude = |event: &str, file: &str| {
        format!(
            r#"{{"session_id":"s-claude","cwd":"{root}","hook_event_name":"{event}","model":"claude-sonnet-4-5","tool_name":"Write","tool_input":{{"file_path":"{file}","content":""}}}}"#,
            root = repo.root.display()
        )
    };
    let generic = |event: &str| {
        format!(
            r#"{{"schema":"attrib/agent-v1","event":"{event}","agent":"my-agent","provider":"acme","model":"acme-coder-2","session":"s-b","cwd":"{root}","files":["src/a.txt","src/b.txt"]}}"#,
            root = repo.root.display()
        )
    };
    repo.hook(None, &claude("PreToolUse", "src/a.txt"));
    let mut a: Vec<String> = (1..=40).map(|i| format!("agent A line {i}")).collect();
    repo.write("src/a.txt", &a);
    repo.hook(None, &claude("PostToolUse", "src/a.txt"));

    // The person: edits lines 5, 6 and 7, adds 5 lines at the end.
    for (i, line) in a.iter_mut().enumerate().take(7).skip(4) {
        *line = format!("person edit {i}");
    }
    a.extend((1..=5).map(|i| format!("person new {i}")));
    repo.write("src/a.txt", &a);

    // Agent B: rewrites two of the person's lines (the first edit, the last new line) and
    // writes b.txt.
    repo.hook(None, &generic("before"));
    a[4] = "agent B rewrite 1".into();
    a[44] = "agent B rewrite 2".into();
    repo.write("src/a.txt", &a);
    let b: Vec<String> = (1..=10).map(|i| format!("agent B line {i}")).collect();
    repo.write("src/b.txt", &b);
    repo.hook(None, &generic("after"));

    let got = repo.attribute_all(&["src/a.txt", "src/b.txt"]);
    let span = |file: &str, start, end| LineSpan {
        file: file.into(),
        start,
        end,
    };
    let by_model = |model: &str| -> &Contribution {
        got.contributions
            .iter()
            .find(|c| c.model == model)
            .unwrap_or_else(|| panic!("no contribution of {model}: {got:?}"))
    };
    let a_part = by_model("claude-sonnet-4-5");
    assert_eq!(
        (a_part.agent.as_str(), a_part.provider.as_str()),
        ("claude-code", "anthropic")
    );
    assert_eq!(a_part.session.as_deref(), Some("s-claude"));
    assert_eq!(
        a_part.line_spans,
        vec![span("src/a.txt", 1, 4), span("src/a.txt", 8, 40)]
    );
    let b_part = by_model("acme-coder-2");
    assert_eq!(
        (b_part.agent.as_str(), b_part.provider.as_str()),
        ("my-agent", "acme")
    );
    assert_eq!(
        b_part.line_spans,
        vec![
            span("src/a.txt", 5, 5),
            span("src/a.txt", 45, 45),
            span("src/b.txt", 1, 10)
        ]
    );
    assert_eq!(got.contributions.len(), 2);
    assert_eq!((got.agent_lines, got.person_lines), (37 + 12, 6));
    let main = got.main_ai().unwrap();
    assert_eq!(main.model, "claude-sonnet-4-5");
    assert_eq!(
        main.suggestion_type,
        attrib_overlay::SuggestionType::Partial
    );

    // The lines are attested: the log lets go of them, and a second change claims nothing.
    assert!(!repo.log().has_states(), "the working log is trimmed");
    assert_eq!(repo.attribute_all(&["src/a.txt"]).agent_lines, 0);
}

#[test]
fn an_agent_line_a_person_changes_becomes_the_persons_and_a_deleted_line_goes() {
    let repo = Repo::new();
    repo.write("src/a.txt", &["kept".into(), "old".into()]);
    let ev = |moment: &str| {
        format!(
            r#"{{"schema":"attrib/agent-v1","event":"{moment}","agent":"bot","model":"m1","cwd":"{}","files":["src/a.txt"]}}"#,
            repo.root.display()
        )
    };
    repo.hook(None, &ev("before"));
    repo.write(
        "src/a.txt",
        &[
            "kept".into(),
            "bot 1".into(),
            "bot 2".into(),
            "bot 3".into(),
        ],
    );
    repo.hook(None, &ev("after"));
    // The person changes "bot 2" and deletes "bot 3".
    repo.write(
        "src/a.txt",
        &["kept".into(), "bot 1".into(), "person".into()],
    );
    let got = repo.attribute_all(&["src/a.txt"]);
    assert_eq!(got.contributions.len(), 1);
    assert_eq!(
        got.contributions[0].line_spans,
        vec![LineSpan {
            file: "src/a.txt".into(),
            start: 2,
            end: 2
        }]
    );
    assert_eq!((got.agent_lines, got.person_lines), (1, 1));
}

#[test]
fn a_shell_command_is_credited_through_a_scan_of_the_tree() {
    let repo = Repo::new();
    repo.write("src/a.txt", &["a".into()]);
    let ev = |moment: &str| {
        format!(
            r#"{{"session_id":"s","cwd":"{}","hook_event_name":"{moment}","model":"claude-haiku-4-5","tool_name":"Bash","tool_input":{{"command":"gen"}}}}"#,
            repo.root.display()
        )
    };
    repo.hook(None, &ev("PreToolUse"));
    repo.write("src/a.txt", &["a".into(), "generated".into()]);
    fs::create_dir_all(repo.root.join("target")).unwrap();
    fs::write(repo.root.join("target/out.txt"), "build output\n").unwrap();
    repo.write("src/c.txt", &["new file".into()]);
    repo.hook(None, &ev("PostToolUse"));
    let got = repo.attribute_all(&["src/a.txt", "src/c.txt"]);
    let spans: Vec<(String, u32, u32)> = got
        .contributions
        .iter()
        .flat_map(|c| c.line_spans.iter())
        .map(|s| (s.file.clone(), s.start, s.end))
        .collect();
    assert_eq!(
        spans,
        vec![("src/a.txt".into(), 2, 2), ("src/c.txt".into(), 1, 1)]
    );
    assert_eq!(got.contributions[0].model, "claude-haiku-4-5");
}

#[test]
fn prompts_are_kept_only_as_a_salted_commitment_and_only_when_tracked() {
    let repo = Repo::new();
    let prompt = |text: &str| {
        format!(
            r#"{{"session_id":"s1","cwd":"{}","hook_event_name":"UserPromptSubmit","prompt":"{text}"}}"#,
            repo.root.display()
        )
    };
    let edit = |event: &str| {
        format!(
            r#"{{"session_id":"s1","cwd":"{}","hook_event_name":"{event}","model":"claude-sonnet-4-5","tool_name":"Write","tool_input":{{"file_path":"src/a.txt"}}}}"#,
            repo.root.display()
        )
    };
    // Not tracked: nothing of the prompt is kept anywhere.
    repo.hook(None, &prompt("secret plan"));
    repo.hook(None, &edit("PreToolUse"));
    repo.write("src/a.txt", &["x".into()]);
    repo.hook(None, &edit("PostToolUse"));
    let got = repo.attribute_all(&["src/a.txt"]);
    assert_eq!(got.contributions[0].prompt_commitment, None);
    assert!(!repo.config_dir.join("prompt-salts").exists());

    // Tracked: the contribution carries the commitment, which the salt opens.
    let config = repo.config_dir.join("config.toml");
    fs::write(&config, "[ai]\ntrack_prompts = true\n").unwrap();
    repo.hook(None, &prompt("add y"));
    repo.hook(None, &edit("PreToolUse"));
    repo.write("src/a.txt", &["x".into(), "y".into()]);
    repo.hook(None, &edit("PostToolUse"));
    let got = repo.attribute_all(&["src/a.txt"]);
    let commitment = got.contributions[0]
        .prompt_commitment
        .expect("a commitment");
    let salt_file = repo
        .config_dir
        .join("prompt-salts")
        .join(commitment.to_hex());
    let salt = fs::read(&salt_file).unwrap();
    let salt: [u8; 16] = hex_or_raw(&salt);
    assert_eq!(
        attrib_overlay::commit_prompt_with_salt(b"add y", &salt),
        commitment
    );
    assert_ne!(
        attrib_overlay::commit_prompt_with_salt(b"add z", &salt),
        commitment
    );
    // The working log holds no prompt text.
    let log_dir = repo.log().dir().to_path_buf();
    for entry in walk(&log_dir) {
        let bytes = fs::read(&entry).unwrap();
        assert!(
            !bytes.windows(5).any(|w| w == b"add y"),
            "{} holds the prompt",
            entry.display()
        );
    }
}

/// A salt file as `save_prompt_salt` writes it: hex text, or the raw 16 bytes.
fn hex_or_raw(bytes: &[u8]) -> [u8; 16] {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let mut out = [0u8; 16];
    if text.len() == 32 {
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
    } else {
        out.copy_from_slice(&bytes[..16]);
    }
    out
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn two_agents_checkpointing_at_once_lose_nothing() {
    let repo = Repo::new();
    const EDITS: usize = 25;
    std::thread::scope(|s| {
        for (agent, file) in [("agent-one", "src/one.txt"), ("agent-two", "src/two.txt")] {
            let repo = &repo;
            s.spawn(move || {
                let ev = |moment: &str| {
                    format!(
                        r#"{{"schema":"attrib/agent-v1","event":"{moment}","agent":"{agent}","model":"m-{agent}","cwd":"{}","files":["{file}","src/shared.txt"]}}"#,
                        repo.root.display()
                    )
                };
                let mut lines: Vec<String> = Vec::new();
                for i in 0..EDITS {
                    repo.hook(None, &ev("before"));
                    lines.push(format!("{agent} {i}"));
                    repo.write(file, &lines);
                    repo.hook(None, &ev("after"));
                }
            });
        }
    });
    let got = repo.attribute_all(&["src/one.txt", "src/two.txt"]);
    assert_eq!(got.agent_lines, 2 * EDITS as u64);
    assert_eq!(got.person_lines, 0);
    for (agent, file) in [("agent-one", "src/one.txt"), ("agent-two", "src/two.txt")] {
        let c = got.contributions.iter().find(|c| c.agent == agent).unwrap();
        assert_eq!(
            c.line_spans,
            vec![LineSpan {
                file: file.into(),
                start: 1,
                end: EDITS as u32
            }]
        );
    }
}

/// Reconciliation may find two new changes at once. The older one was recorded before the
/// agent wrote its lines, so it must not take the agent's `}` although its own added `}` has the
/// same text; the newer one gets every line the agent wrote.
#[test]
fn a_change_recorded_before_an_agent_wrote_cannot_take_its_lines() {
    let repo = Repo::new();
    let ev = |moment: &str| {
        format!(
            r#"{{"schema":"attrib/agent-v1","event":"{moment}","agent":"bot","model":"m1","cwd":"{}","files":["src/a.txt"]}}"#,
            repo.root.display()
        )
    };
    repo.write("src/a.txt", &["fn a() {".into(), "}".into()]);
    let first_recorded = attrib_overlay::now_ms();
    std::thread::sleep(std::time::Duration::from_millis(5));
    repo.hook(None, &ev("before"));
    let lines: Vec<String> = ["fn a() {", "}", "fn b() {", "}"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    repo.write("src/a.txt", &lines);
    repo.hook(None, &ev("after"));

    let log = repo.log();
    let _lock = log.lock().unwrap();
    // The first change added both of its lines; the log's "}" is the agent's, seen later.
    let first = [
        Added {
            file: "src/a.txt",
            line: 1,
            text: "fn a() {",
        },
        Added {
            file: "src/a.txt",
            line: 2,
            text: "}",
        },
    ];
    let got = attribute(&log, &repo.root, &first, Some(first_recorded)).unwrap();
    assert_eq!((got.agent_lines, got.contributions.len()), (0, 0));
    // The second change: Pijul put its `}` before the old one, the log after; both count.
    let second = [
        Added {
            file: "src/a.txt",
            line: 2,
            text: "}",
        },
        Added {
            file: "src/a.txt",
            line: 3,
            text: "fn b() {",
        },
    ];
    let got = attribute(&log, &repo.root, &second, Some(attrib_overlay::now_ms())).unwrap();
    assert_eq!(got.agent_lines, 2, "{got:?}");
    assert!(!log.has_states(), "every line the agent wrote is attested");
}

#[test]
fn files_too_large_or_not_text_are_passed_over() {
    let repo = Repo::new();
    fs::write(repo.root.join("src/big.bin"), vec![b'x'; 9 * 1024 * 1024]).unwrap();
    fs::write(repo.root.join("src/blob.dat"), b"a\0b\n").unwrap();
    let ev = format!(
        r#"{{"schema":"attrib/agent-v1","event":"before","agent":"bot","cwd":"{}","files":["src/big.bin","src/blob.dat","../outside.txt"]}}"#,
        repo.root.display()
    );
    let event = parse(None, ev.as_bytes(), &repo.root).unwrap().unwrap();
    let done = checkpoint::checkpoint(&repo.ws(), &event).unwrap();
    assert!(done.files.is_empty(), "{done:?}");
    assert_eq!(
        done.skipped,
        vec!["src/big.bin", "src/blob.dat", "../outside.txt"]
    );
    assert!(!repo.log().has_states());
}
