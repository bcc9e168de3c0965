//! The agent-checkpoint benchmark: what an agent's hook costs, what a plain `pijul record` costs
//! with agents' hooks installed, how soon a running node attests a plain record, and how
//! accurate the per-line credit is on a scripted scenario whose every line's writer is known.
//!
//! Run with `cargo bench -p attrib-cli --bench checkpoints` (needs `pijul` 1.0.0-beta.26 and
//! `ssh-agent`, which `.ci/run` installs). `ATTRIB_BENCH_PAIRS` sets the number of paired runs,
//! `ATTRIB_BENCH_DIR` keeps the repositories.
//!
//! - **checkpoint**: each round times, as whole processes and in rotating order, `/bin/true`
//!   (starting any process), `cat FILE` (a process that reads the 1,000-line file the hook
//!   reads), and `attrib checkpoint --agent claude-code` with a Claude Code `PreToolUse`
//!   payload; then edits the file as an agent would, and times the `PostToolUse` checkpoint.
//!   The model is read from the tail of a 4 MiB transcript, as Claude Code sends no model.
//! - **plain record**: the same edit in two copies of one repository, one bare and one with an
//!   attrib store, Claude Code's hooks installed and a working log; `pijul record` timed in
//!   each, alternating which goes first. Nothing of attrib runs: the ratio shows it.
//! - **node**: with `attrib node` running, an agent edit and a plain `pijul record`; the time
//!   from the record's exit to the node's note that it attested the change.
//! - **accuracy**: three agents (Claude Code, Codex, a generic one), each with its own model,
//!   and a person take turns over four files for 90 steps (inserting, rewriting and deleting
//!   lines, some of them common lines such as `}`), with a plain or a wrapped record every 15
//!   steps. The benchmark keeps the truth for every line; `attrib blame --json` is compared
//!   with it line by line.

mod common;

use std::fs;
use std::io::{BufRead as _, BufReader, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use attrib_vcs_adapter::testing::PijulEnv;
use serde_json::{json, Value};

use common::{header, median, ms, row, Rng};

const BIG_FILE: &str = "big.rs";
const BIG_LINES: usize = 1000;

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Runs `cmd` with `input` on stdin, stdout and stderr discarded; the whole process's time.
fn timed(cmd: &mut Command, input: Option<&[u8]>, what: &str) -> Duration {
    let start = Instant::now();
    let mut child = cmd
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    if let (Some(bytes), Some(mut stdin)) = (input, child.stdin.take()) {
        stdin.write_all(bytes).expect("write the hook input");
    }
    let out = child.wait_with_output().expect("wait");
    let took = start.elapsed();
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    took
}

/// Runs `cmd` to completion and returns its stdout; panics with its stderr if it fails.
fn run(cmd: &mut Command, what: &str) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The world every part runs in: the Pijul environment, the attrib binary and a config dir.
struct World {
    env: PijulEnv,
    bin: &'static str,
    config: PathBuf,
}

impl World {
    fn attrib(&self, dir: &Path) -> Command {
        let mut c = Command::new(self.bin);
        c.current_dir(dir)
            .envs(self.env.vars())
            .env("ATTRIB_CONFIG_DIR", &self.config)
            .env("HOME", self.env.home());
        c
    }

    fn pijul(&self, dir: &Path) -> Command {
        let mut c = Command::new("pijul");
        c.current_dir(dir).envs(self.env.vars());
        c
    }

    /// `pijul record -a -m MSG` in `dir`: its time and the new change's hash.
    fn record(&self, dir: &Path, msg: &str) -> (Duration, String) {
        let start = Instant::now();
        let out = self
            .pijul(dir)
            .args(["record", "-a", "-m", msg])
            .stdin(Stdio::null())
            .output()
            .expect("run pijul record");
        let took = start.elapsed();
        assert!(
            out.status.success(),
            "pijul record: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout);
        let hash = text
            .split_whitespace()
            .last()
            .expect("pijul record prints the hash")
            .to_string();
        (took, hash)
    }

    /// A hook call, as the agent makes it: exit 0, nothing on stderr.
    fn checkpoint(&self, dir: &Path, agent: &str, payload: &Value) {
        timed(
            self.attrib(dir).args(["checkpoint", "--agent", agent]),
            Some(payload.to_string().as_bytes()),
            "attrib checkpoint",
        );
    }
}

fn write_lines(path: &Path, lines: &[String]) {
    let mut text = lines.join("\n");
    text.push('\n');
    fs::write(path, text).expect("write a working-copy file");
}

/// A Claude Code hook input for an edit of `file`.
fn claude(repo: &Path, event: &str, file: &str, transcript: &Path) -> Value {
    json!({
        "session_id": "bench-claude",
        "transcript_path": transcript,
        "cwd": repo,
        "permission_mode": "acceptEdits",
        "hook_event_name": event,
        "tool_name": "Edit",
        "tool_input": {"file_path": repo.join(file), "old_string": "x", "new_string": "y"},
    })
}

/// A transcript of `bytes` bytes whose last model is `model`.
fn transcript(path: &Path, bytes: usize, model: &str) {
    let mut text = String::with_capacity(bytes + 200);
    let filler = "{\"type\":\"user\",\"message\":{\"role\":\"user\",\"content\":\"keep going with the refactor of the parser please\"}}\n";
    while text.len() < bytes {
        text.push_str(filler);
    }
    text.push_str(&format!(
        "{{\"type\":\"assistant\",\"message\":{{\"model\":\"{model}\",\"role\":\"assistant\"}}}}\n"
    ));
    fs::write(path, text).expect("write the transcript");
}

pub fn main() {
    let pairs = env_usize("ATTRIB_BENCH_PAIRS", 31).max(3);
    let work = tempfile::tempdir().expect("tempdir");
    let base = std::env::var_os("ATTRIB_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.path().to_path_buf());
    for d in [
        "hooked",
        "bare",
        "accuracy",
        "env",
        "config",
        "transcript.jsonl",
    ] {
        let p = base.join(d);
        let _ = fs::remove_dir_all(&p).or_else(|_| fs::remove_file(&p));
    }
    let env = PijulEnv::start(&base.join("env"), "the checkpoint benchmark")
        .expect("`pijul` must be installed for this benchmark (.ci/run installs it)");
    let w = World {
        env,
        bin: env!("CARGO_BIN_EXE_attrib"),
        config: base.join("config"),
    };
    let (hooked, bare) = (base.join("hooked"), base.join("bare"));
    let mut rng = Rng(13);

    // A repository with a recorded 1,000-line file; copied bare, then given a store and hooks.
    fs::create_dir_all(&hooked).expect("create the repository");
    let mut big: Vec<String> = (0..BIG_LINES)
        .map(|i| format!("    let value_{i} = compute({i}, {});", rng.below(1 << 20)))
        .collect();
    write_lines(&hooked.join(BIG_FILE), &big);
    run(w.pijul(&hooked).arg("init"), "pijul init");
    run(w.pijul(&hooked).args(["add", BIG_FILE]), "pijul add");
    w.record(&hooked, "a 1,000-line file");
    run(
        Command::new("cp").arg("-a").arg(&hooked).arg(&bare),
        "cp -a",
    );
    run(
        w.attrib(&hooked)
            .args(["init", "--team", "bench", "--name", "Bench"]),
        "attrib init",
    );
    run(
        w.attrib(&hooked)
            .args(["hooks", "install", "--agent", "claude-code"]),
        "attrib hooks install",
    );
    let transcript_path = base.join("transcript.jsonl");
    transcript(&transcript_path, 4 << 20, "claude-sonnet-4-5");

    println!(
        "attrib checkpoint benchmark: a {BIG_LINES}-line file, a 4 MiB transcript, {pairs} rounds"
    );
    header();

    // 1. The hook's cost, against starting a process and reading the file.
    let pre = claude(&hooked, "PreToolUse", BIG_FILE, &transcript_path);
    let post = claude(&hooked, "PostToolUse", BIG_FILE, &transcript_path);
    let (pre_bytes, post_bytes) = (pre.to_string(), post.to_string());
    let edit_big = |rng: &mut Rng, big: &mut Vec<String>, round: usize| {
        let at = rng.below(big.len() as u64) as usize;
        big[at] = format!("    let edited_{round} = compute({at}, 0);");
        big.insert(at, format!("    // agent note {round}"));
        write_lines(&hooked.join(BIG_FILE), big);
    };
    let mut rounds = Vec::new();
    for round in 0..=pairs {
        let mut t = [Duration::ZERO; 3];
        for k in 0..3 {
            let which = (round + k) % 3;
            t[which] = match which {
                0 => timed(&mut Command::new("/bin/true"), None, "/bin/true"),
                1 => timed(Command::new("cat").arg(hooked.join(BIG_FILE)), None, "cat"),
                _ => timed(
                    w.attrib(&hooked)
                        .args(["checkpoint", "--agent", "claude-code"]),
                    Some(pre_bytes.as_bytes()),
                    "attrib checkpoint (before)",
                ),
            };
        }
        edit_big(&mut rng, &mut big, round);
        let after = timed(
            w.attrib(&hooked)
                .args(["checkpoint", "--agent", "claude-code"]),
            Some(post_bytes.as_bytes()),
            "attrib checkpoint (after)",
        );
        // The first round warms the caches and is not counted.
        if round > 0 {
            rounds.push((t[0], t[1], t[2], after));
        }
    }
    let errors = hooked.join(".pijul/attrib/checkpoints/errors.log");
    assert!(
        !errors.exists(),
        "the checkpoints failed: {}",
        fs::read_to_string(&errors).unwrap_or_default()
    );
    let true_ms = median(rounds.iter().map(|r| r.0).collect());
    let cat_ms = median(rounds.iter().map(|r| r.1).collect());
    let before_ms = median(rounds.iter().map(|r| r.2).collect());
    let after_ms = median(rounds.iter().map(|r| r.3).collect());
    for (what, took) in [
        ("attrib checkpoint, before an edit", before_ms),
        ("attrib checkpoint, after an edit", after_ms),
    ] {
        row(
            what,
            &format!("{:.2} ms", took.as_secs_f64() * 1e3),
            &format!(
                "true {:.2} / cat {:.2} ms",
                true_ms.as_secs_f64() * 1e3,
                cat_ms.as_secs_f64() * 1e3
            ),
            format!("{:.2}x", took.as_secs_f64() / cat_ms.as_secs_f64()),
            "<= 3 ms",
            took <= Duration::from_millis(3),
        );
    }
    println!(
        "  (medians of {pairs} rounds, whole processes with the hook's JSON on stdin; ratio against `cat FILE`; a state of {} lines in the working log)",
        big.len()
    );

    // 2. Plain `pijul record` with the hooks installed, against the bare copy.
    let mut record_rounds = Vec::new();
    for round in 0..=pairs {
        let at = rng.below(big.len() as u64) as usize;
        big.insert(at, format!("    let plain_{round} = 0;"));
        write_lines(&hooked.join(BIG_FILE), &big);
        write_lines(&bare.join(BIG_FILE), &big);
        let msg = format!("plain {round}");
        let (h, b) = if round % 2 == 0 {
            let b = w.record(&bare, &msg).0;
            (w.record(&hooked, &msg).0, b)
        } else {
            let h = w.record(&hooked, &msg).0;
            (h, w.record(&bare, &msg).0)
        };
        if round > 0 {
            record_rounds.push((b, h));
        }
    }
    let ratio = median(
        record_rounds
            .iter()
            .map(|(b, h)| h.as_secs_f64() / b.as_secs_f64())
            .collect(),
    );
    row(
        "plain pijul record, hooks installed",
        &ms(median(record_rounds.iter().map(|r| r.1).collect())),
        &format!(
            "bare {}",
            ms(median(record_rounds.iter().map(|r| r.0).collect()))
        ),
        format!("{ratio:.3}x"),
        "no process",
        ratio <= 1.05,
    );
    println!(
        "  ({pairs} alternating pairs, the same edit in both copies; nothing of attrib runs with the record: the bar is the noise, 1.05x)"
    );

    // 3. A running node attests a plain record.
    let latencies = node_latencies(&w, &hooked, &transcript_path, &mut big, &mut rng, 9);
    let worst = latencies.iter().max().copied().unwrap_or_default();
    let typical = median(latencies.clone());
    row(
        "node attests a plain record",
        &ms(typical),
        &format!("worst of {} {}", latencies.len(), ms(worst)),
        "-".into(),
        "<= 1 s",
        worst <= Duration::from_secs(1),
    );
    println!("  (from `pijul record`'s exit to the node's note; the node looks every 250 ms)");

    // 4. Accuracy on the scripted scenario.
    let (right, total, wrong) = accuracy(&w, &base.join("accuracy"));
    let share = right as f64 / total as f64 * 100.0;
    row(
        "lines credited to the right writer",
        &format!("{share:.1} %"),
        &format!("{right} of {total} lines"),
        "-".into(),
        "100 %",
        right == total,
    );
    for line in wrong.iter().take(5) {
        println!("  wrong: {line}");
    }
}

/// `rounds` times: an agent edit through the hooks, a plain record, and the time until the
/// running node says it attested the change.
fn node_latencies(
    w: &World,
    repo: &Path,
    transcript: &Path,
    big: &mut Vec<String>,
    rng: &mut Rng,
    rounds: usize,
) -> Vec<Duration> {
    let mut node: Child = w
        .attrib(repo)
        .args(["node", "--no-mdns", "--listen", "/ip4/127.0.0.1/tcp/0"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run attrib node");
    let (tx, rx) = mpsc::channel::<(Instant, String)>();
    let stderr = node.stderr.take().expect("the node's stderr");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            if tx.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    // Let the node start and take its first look at the channel (the earlier rounds' plain
    // records are attested then, or stay unattested: they had no new checkpoint).
    std::thread::sleep(Duration::from_secs(2));
    while rx.try_recv().is_ok() {}
    let mut out = Vec::new();
    for round in 0..rounds {
        w.checkpoint(
            repo,
            "claude-code",
            &claude(repo, "PreToolUse", BIG_FILE, transcript),
        );
        let at = rng.below(big.len() as u64) as usize;
        big.insert(at, format!("    let node_{round} = agent();"));
        write_lines(&repo.join(BIG_FILE), big);
        w.checkpoint(
            repo,
            "claude-code",
            &claude(repo, "PostToolUse", BIG_FILE, transcript),
        );
        let (_, hash) = w.record(repo, &format!("node round {round}"));
        let recorded = Instant::now();
        let wanted = format!("attested {hash} as");
        let seen = loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok((at, line)) if line.contains(&wanted) => break at,
                Ok(_) => {}
                Err(_) => {
                    let _ = node.kill();
                    panic!("the node did not attest {hash} within 30 s");
                }
            }
        };
        out.push(seen.saturating_duration_since(recorded));
    }
    let _ = node.kill();
    let _ = node.wait();
    out
}

/// Who wrote a line, as blame should say: a person, or an agent's model and tool.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Writer {
    Person,
    Agent {
        model: &'static str,
        agent: &'static str,
    },
}

/// The agents of the scenario: the hook flag, the agent's name, its model.
const AGENTS: [(&str, &str, &str); 3] = [
    ("claude-code", "claude-code", "claude-sonnet-4-5"),
    ("codex", "codex", "gpt-5-codex"),
    ("generic", "acme-agent", "acme-coder-2"),
];

/// The hook input of `agent` for an edit of `file`.
fn payload(agent: usize, repo: &Path, event: &str, file: &str, transcript: &Path) -> Value {
    match AGENTS[agent].0 {
        "claude-code" => claude(repo, event, file, transcript),
        "codex" => json!({
            "session_id": "bench-codex", "cwd": repo, "model": AGENTS[agent].2,
            "hook_event_name": event, "tool_name": "apply_patch", "turn_id": "t",
            "tool_input": {"command": format!("*** Begin Patch\n*** Update File: {file}\n@@\n-a\n+b\n*** End Patch\n")},
        }),
        _ => json!({
            "schema": "attrib/agent-v1", "event": if event == "PreToolUse" { "before" } else { "after" },
            "agent": AGENTS[agent].1, "provider": "acme", "model": AGENTS[agent].2,
            "session": "bench-acme", "cwd": repo, "files": [file],
        }),
    }
}

/// The scripted scenario: returns (lines right, lines in all, a few wrong lines explained).
fn accuracy(w: &World, repo: &Path) -> (usize, usize, Vec<String>) {
    const FILES: usize = 4;
    const STEPS: usize = 90;
    const RECORD_EVERY: usize = 15;
    let mut rng = Rng(42);
    fs::create_dir_all(repo).expect("create the scenario's repository");
    let transcript_path = repo.join("../accuracy-transcript.jsonl");
    transcript(&transcript_path, 1 << 10, AGENTS[0].2);
    run(w.pijul(repo).arg("init"), "pijul init");
    run(
        w.attrib(repo)
            .args(["init", "--team", "accuracy", "--name", "Bench"]),
        "attrib init",
    );
    // Each file starts with 20 lines a person recorded and attested as their own.
    let names: Vec<String> = (0..FILES).map(|f| format!("f{f}.rs")).collect();
    let mut files: Vec<Vec<(String, Writer)>> = (0..FILES)
        .map(|f| {
            (0..20)
                .map(|i| (format!("fn base_{f}_{i}() {{}}"), Writer::Person))
                .collect()
        })
        .collect();
    let save = |files: &Vec<Vec<(String, Writer)>>, f: usize| {
        let lines: Vec<String> = files[f].iter().map(|(t, _)| t.clone()).collect();
        write_lines(&repo.join(&names[f]), &lines);
    };
    for f in 0..FILES {
        save(&files, f);
    }
    run(w.pijul(repo).arg("add").args(&names), "pijul add");
    let (_, first) = w.record(repo, "base");
    run(
        w.attrib(repo).args(["annotate", &first, "--no-ai"]),
        "attrib annotate",
    );

    let common = ["}", "", "    Ok(())", "    }"];
    let mut serial = 0;
    for step in 1..=STEPS {
        let f = rng.below(FILES as u64) as usize;
        let who = rng.below(AGENTS.len() as u64 + 1) as usize;
        let writer = match who {
            0 => Writer::Person,
            n => Writer::Agent {
                model: AGENTS[n - 1].2,
                agent: AGENTS[n - 1].1,
            },
        };
        if who > 0 {
            w.checkpoint(
                repo,
                AGENTS[who - 1].0,
                &payload(who - 1, repo, "PreToolUse", &names[f], &transcript_path),
            );
        }
        // One to three operations: insert a few lines, rewrite a line, delete a line.
        for _ in 0..1 + rng.below(3) {
            let len = files[f].len();
            match rng.below(4) {
                0 | 1 => {
                    let at = rng.below(len as u64 + 1) as usize;
                    let n = 1 + rng.below(4) as usize;
                    for k in 0..n {
                        serial += 1;
                        let text = if rng.below(7) == 0 {
                            common[rng.below(common.len() as u64) as usize].to_string()
                        } else {
                            format!("    let v{serial} = step({step}, {k});")
                        };
                        files[f].insert(at + k, (text, writer.clone()));
                    }
                }
                2 if len > 0 => {
                    let at = rng.below(len as u64) as usize;
                    serial += 1;
                    files[f][at] = (
                        format!("    let r{serial} = rewrite({step});"),
                        writer.clone(),
                    );
                }
                _ if len > 1 => {
                    let at = rng.below(len as u64) as usize;
                    files[f].remove(at);
                }
                _ => {}
            }
        }
        save(&files, f);
        if who > 0 {
            w.checkpoint(
                repo,
                AGENTS[who - 1].0,
                &payload(who - 1, repo, "PostToolUse", &names[f], &transcript_path),
            );
        }
        if step % RECORD_EVERY == 0 {
            if (step / RECORD_EVERY).is_multiple_of(2) {
                // A wrapped record.
                run(
                    w.attrib(repo)
                        .args(["record", "--", "-a", "-m", &format!("step {step}")]),
                    "attrib record",
                );
            } else {
                // A plain one, attested by the next attrib command.
                w.record(repo, &format!("step {step}"));
                run(w.attrib(repo).args(["log"]), "attrib log");
            }
        }
    }
    // What was not recorded yet: a wrapped record.
    let _ = w
        .attrib(repo)
        .args(["record", "--", "-a", "-m", "the rest"])
        .output();

    let mut right = 0;
    let mut total = 0;
    let mut wrong = Vec::new();
    for (f, name) in names.iter().enumerate() {
        let text = run(
            w.attrib(repo).args(["blame", "--json", name]),
            "attrib blame",
        );
        let rows: Value = serde_json::from_str(&text).expect("blame --json is JSON");
        let rows = rows.as_array().expect("an array");
        assert_eq!(rows.len(), files[f].len(), "{name}: one row per line");
        for (row, (line, truth)) in rows.iter().zip(&files[f]) {
            total += 1;
            let a = &row["attribution"];
            // The row names who wrote the line; `attribution` describes the whole change.
            let said = match a["kind"].as_str() {
                Some("ai") => Some(Writer::Agent {
                    model: AGENTS
                        .iter()
                        .map(|x| x.2)
                        .find(|m| row["model"] == *m)
                        .unwrap_or("?"),
                    agent: AGENTS
                        .iter()
                        .map(|x| x.1)
                        .find(|g| row["agent"] == *g)
                        .unwrap_or("?"),
                }),
                Some("human") => Some(Writer::Person),
                _ => None,
            };
            if said.as_ref() == Some(truth) {
                right += 1;
            } else {
                wrong.push(format!(
                    "{name}:{} {line:?}: truth {truth:?}, blame says {} {} {}",
                    row["line"], a["kind"], row["model"], row["agent"]
                ));
            }
        }
    }
    (right, total, wrong)
}
