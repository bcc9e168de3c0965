//! `attrib demo`: the main job end to end, on the embedded store, in a temporary directory.
//!
//! Three members found and join a team, record AI-assisted and human patches offline, swap
//! exports in three different orders and end with identical views; a forged record and a
//! stranger's record are refused. Every step runs the same code as the CLI commands.
//!
//! A network act then runs three `attrib-p2p-node` nodes in this process on loopback: records
//! written while one node is offline reach everyone once it connects, and a stranger's node
//! is refused.
//!
//! When `pijul` is installed, a last act runs the real `attrib` binary in a real Pijul
//! repository: `attrib record` with and without AI, an agent's edit seen through its hooks
//! (`attrib checkpoint`) and attested line by line, a plain `pijul record` caught by the
//! pre-record hook, then `log`, `blame` and `stats`.

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _, Result};
use attrib_cli::args::{
    AnnotateArgs, CaptureArgs, ExportArgs, ExportFormat, ImportArgs, ImportFormat, InitArgs,
    LogArgs, OriginArg, ReviewArgs, TeamCommand, VerdictArg,
};
use attrib_cli::demo::{patch, repo_of, workspace_of};
use attrib_overlay::{now_ms, Attestation, AttestationQuery, Origin, PatchId, Payload, Record};
use attrib_vcs_adapter::testing::PijulEnv;
use attrib_workspace::Workspace;

use super::{annotate, export, identity, import, init, log, review, team, verify};

struct Member {
    name: &'static str,
    root: PathBuf,
}

impl Member {
    fn new(root: &Path, name: &'static str) -> Result<Member> {
        let repo = repo_of(root, name);
        std::fs::create_dir_all(&repo)?;
        // Each member's repository looks like a Pijul checkout, so the store lands in `.pijul/`.
        std::fs::create_dir_all(repo.join(".pijul"))?;
        Ok(Member {
            name,
            root: root.to_path_buf(),
        })
    }
    /// The member's workspace, found afresh (so a store made since is found).
    fn ws(&self) -> Result<Workspace> {
        workspace_of(&self.root, self.name)
    }
    fn export(&self, root: &Path) -> Result<PathBuf> {
        let path = root.join(format!("{}.jsonl", self.name));
        export::run(
            &self.ws()?,
            &mut std::io::sink(),
            ExportArgs {
                output: Some(path.clone()),
                format: ExportFormat::Jsonl,
            },
        )?;
        Ok(path)
    }
    fn import(&self, out: &mut dyn Write, file: &Path) -> Result<()> {
        write!(
            out,
            "    {:<5} imports {:<12} ",
            self.name,
            file.file_name().and_then(|f| f.to_str()).unwrap_or("")
        )?;
        import::run(
            &self.ws()?,
            out,
            ImportArgs {
                file: Some(file.to_path_buf()),
                format: ImportFormat::Jsonl,
                from: None,
                dry_run: false,
                json: false,
            },
        )
    }
    /// A fingerprint of this member's view ([`attrib_query::digest::view_digest`]).
    fn view_digest(&self) -> Result<String> {
        let ws = self.ws()?;
        let snap = ws.store()?.snapshot()?;
        attrib_query::digest::view_digest(&snap)
    }
}

fn ai(provider: &str, model: &str, kind: &str, confidence: &str) -> CaptureArgs {
    CaptureArgs {
        ai_provider: Some(provider.into()),
        ai_model: Some(model.into()),
        ai_suggestion_type: Some(kind.into()),
        ai_confidence: Some(confidence.into()),
        ai_token_count: Some("1800".into()),
        ai_review_time: Some("95".into()),
        ..CaptureArgs::default()
    }
}

fn annotate_args(patch: &str, capture: CaptureArgs, description: &str) -> AnnotateArgs {
    AnnotateArgs {
        patch: patch.to_string(),
        capture,
        description: Some(description.to_string()),
        depends_on: vec![],
        conflicts_with: vec![],
        ai_lines: vec![],
        origin: OriginArg::Human,
        json: false,
    }
}

pub fn run(out: &mut dyn Write, keep: bool) -> Result<()> {
    let dir = tempfile::Builder::new()
        .prefix("attrib-demo-")
        .tempdir()
        .context("cannot create a temporary directory")?;
    let root = dir.path().to_path_buf();
    let result = story(out, &root);
    if keep {
        let kept = dir.keep();
        writeln!(out, "\nthe demo's files are in {}", kept.display())?;
    }
    result
}

fn step(out: &mut dyn Write, n: u32, title: &str) -> Result<()> {
    writeln!(out, "\n{n}. {title}")?;
    Ok(())
}

fn story(out: &mut dyn Write, root: &Path) -> Result<()> {
    writeln!(
        out,
        "attrib demo: three members, no server, working offline (in {})",
        root.display()
    )?;
    let alice = Member::new(root, "alice")?;
    let bob = Member::new(root, "bob")?;
    let carol = Member::new(root, "carol")?;
    let mut quiet = std::io::sink();

    step(
        out,
        1,
        "alice founds a team; bob and carol create device keys and are admitted",
    )?;
    init::run(
        &alice.ws()?,
        &mut quiet,
        InitArgs {
            install_hooks: false,
            agent_hooks: Vec::new(),
            team: Some("demo-team".into()),
            join: None,
            name: Some("alice".into()),
            email: Some("alice@example.org".into()),
        },
    )?;
    for m in [&bob, &carol] {
        identity::new(
            &m.ws()?,
            &mut quiet,
            Some(m.name.into()),
            Some(format!("{}@example.org", m.name)),
            false,
            false,
        )?;
        let key = m.ws()?.identity()?.public();
        write!(out, "    ")?;
        team::run(
            &alice.ws()?,
            out,
            TeamCommand::Add {
                pubkey: key.to_hex(),
                name: m.name.into(),
                email: None,
                admin: false,
            },
        )?;
    }
    let team_file = alice.export(root)?;
    for m in [&bob, &carol] {
        init::run(
            &m.ws()?,
            &mut quiet,
            InitArgs {
                install_hooks: false,
                agent_hooks: Vec::new(),
                team: None,
                join: Some(team_file.clone()),
                name: None,
                email: None,
            },
        )?;
        writeln!(out, "    {} joined from alice's export", m.name)?;
    }

    step(out, 2, "everyone records patches offline")?;
    let p: Vec<String> = (1..=6).map(|i| patch(&i.to_string()).to_string()).collect();
    let work: [(&Member, usize, Option<CaptureArgs>, &str); 6] = [
        (
            &alice,
            0,
            Some(ai("anthropic", "claude-sonnet-4", "partial", "0.9")),
            "parser: accept trailing commas",
        ),
        (&alice, 1, None, "docs: explain the sync protocol"),
        (
            &bob,
            2,
            Some(ai("openai", "gpt-5", "complete", "0.75")),
            "store: add the zone index",
        ),
        (
            &bob,
            3,
            Some(ai("anthropic", "claude-sonnet-4", "refactor", "0.8")),
            "cli: split commands into modules",
        ),
        (&carol, 4, None, "fix: off-by-one in line spans"),
        (
            &carol,
            5,
            Some(ai("google", "gemini-2.5-pro", "inspired", "0.6")),
            "tests: property tests for merge",
        ),
    ];
    for (m, i, capture, description) in work {
        write!(out, "    {:<5} ", m.name)?;
        let capture = capture.unwrap_or_default();
        annotate::run(&m.ws()?, out, annotate_args(&p[i], capture, description))?;
    }
    write!(out, "    bob   ")?;
    // bob amends his own attestation: a newer signed version replaces the old one everywhere.
    annotate::run(
        &bob.ws()?,
        out,
        annotate_args(
            &p[2],
            ai("openai", "gpt-5", "collaborative", "0.7"),
            "store: add the zone index",
        ),
    )?;

    step(out, 3, "they swap exports, each in a different order")?;
    let files = [alice.export(root)?, bob.export(root)?, carol.export(root)?];
    alice.import(out, &files[1])?;
    alice.import(out, &files[2])?;
    carol.import(out, &files[0])?;
    carol.import(out, &files[1])?;
    bob.import(out, &files[2])?;
    bob.import(out, &files[0])?;
    write!(out, "    carol ")?;
    review::run(
        &carol.ws()?,
        out,
        ReviewArgs {
            patch: p[0].clone(),
            seconds: 240,
            verdict: VerdictArg::Approve,
            comment: None,
            json: false,
        },
    )?;
    let carol_again = carol.export(root)?;
    alice.import(out, &carol_again)?;
    bob.import(out, &carol_again)?;

    step(out, 4, "all three views are identical")?;
    let digests = [
        alice.view_digest()?,
        bob.view_digest()?,
        carol.view_digest()?,
    ];
    for (m, d) in [&alice, &bob, &carol].iter().zip(&digests) {
        writeln!(out, "    {:<5} view {d}", m.name)?;
    }
    if digests.iter().any(|d| *d != digests[0]) {
        bail!("the views differ after merging: {digests:?}");
    }

    step(
        out,
        5,
        "forgeries are refused, with a reason, and nothing else is blocked",
    )?;
    let forged = root.join("forged.jsonl");
    let line = std::fs::read_to_string(&files[0])?
        .lines()
        .find(|l| l.contains("claude-sonnet-4"))
        .map(|l| l.replace("claude-sonnet-4", "gpt-5"))
        .context("alice's export has no AI record")?;
    let mallory = attrib_overlay::Identity::generate()?;
    let team = alice
        .ws()?
        .store()?
        .snapshot()?
        .team()
        .context("alice has no team")?;
    let stranger = mallory.sign(
        team,
        Record {
            seq: 1,
            timestamp_ms: now_ms(),
            origin: Origin::Person,
            payload: Payload::Attest(Attestation {
                patch: PatchId::new(&p[4]).map_err(anyhow::Error::msg)?,
                ai: None,
                description: Some("mallory claims carol's patch".into()),
                depends_on: vec![],
                conflicts_with: vec![],
                replaces: None,
                line_spans: vec![],
                contributions: Vec::new(),
            }),
        },
    );
    std::fs::write(
        &forged,
        format!(
            "{line}\n{}\n",
            attrib_overlay::exchange::to_json_line(&stranger)
        ),
    )?;
    writeln!(out, "    bob imports a line of alice's with the model changed, and a record signed by a stranger:")?;
    match bob.import(out, &forged) {
        Err(e) => writeln!(out, "    -> {e}")?,
        Ok(()) => bail!("the forged records were accepted"),
    }
    let after = bob.view_digest()?;
    writeln!(out, "    bob's view is unchanged: {after}")?;
    if after != digests[0] {
        bail!("a refused record changed the view");
    }
    write!(out, "    ")?;
    verify::run(&bob.ws()?, out, false)?;

    step(out, 6, "alice's `attrib log`")?;
    log::run(&alice.ws()?, out, LogArgs::default())?;

    let alice_ws = alice.ws()?;
    let snap = alice_ws.store()?.snapshot()?;
    let all = snap.attestations(&AttestationQuery::default())?;
    let ai_count = all
        .iter()
        .filter(|r| matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some()))
        .count();
    let reviewed = snap.reviews()?.len();
    writeln!(
        out,
        "\nsummary: {} patches attested, {} AI-assisted ({}%), {} reviewed; every record signed and verified offline.",
        all.len(),
        ai_count,
        100 * ai_count / all.len().max(1),
        reviewed
    )?;
    // A read transaction left open would hold back the nodes' writes to alice's store.
    drop(snap);
    drop(alice_ws);

    step(
        out,
        7,
        "on the network: three nodes on loopback, one offline for a while, a stranger refused",
    )?;
    network_act(out, root)?;

    step(out, 8, "in a real Pijul repository")?;
    let pijul_root = root.join("pijul");
    std::fs::create_dir_all(&pijul_root)?;
    match PijulEnv::try_start(&pijul_root) {
        Ok(env) => pijul_act(out, &pijul_root, &env),
        Err(why) => {
            writeln!(
                out,
                "    skipped: {why} (the Pijul act needs pijul 1.0.0-beta.26)"
            )?;
            Ok(())
        }
    }
}

/// Runs the network act in the node binary (this one links no networking), showing its output
/// as part of the story.
fn network_act(out: &mut dyn Write, root: &Path) -> Result<()> {
    let node = super::node::node_binary()?;
    let output = std::process::Command::new(&node)
        .arg("demo-network")
        .arg(root)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("cannot run {}", node.display()))?;
    out.write_all(&output.stdout)?;
    if !output.status.success() {
        let why = String::from_utf8_lossy(&output.stderr);
        bail!(
            "the network act failed: {}",
            why.trim().trim_start_matches("attrib: ")
        );
    }
    Ok(())
}

/// Runs the real binaries, as a user would, and shows their output.
struct Shell<'a> {
    repo: PathBuf,
    env: Vec<(String, String)>,
    out: &'a mut dyn Write,
}

impl Shell<'_> {
    fn run(
        &mut self,
        program: &Path,
        shown: &str,
        args: &[&str],
        extra: &[(&str, &str)],
    ) -> Result<()> {
        let mut line = String::from("    $ ");
        for (k, v) in extra {
            line.push_str(&format!("{k}={v} "));
        }
        line.push_str(shown);
        for a in args {
            if a.contains(' ') {
                line.push_str(&format!(" {a:?}"));
            } else {
                line.push(' ');
                line.push_str(a);
            }
        }
        writeln!(self.out, "{line}")?;
        let output = std::process::Command::new(program)
            .args(args)
            .current_dir(&self.repo)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .envs(extra.iter().copied())
            .stdin(std::process::Stdio::null())
            .output()
            .with_context(|| format!("cannot run {shown}"))?;
        // Notes on stderr come first: reconciliation prints them before the command runs.
        for text in [&output.stderr, &output.stdout] {
            for l in String::from_utf8_lossy(text).lines() {
                writeln!(self.out, "      {l}")?;
            }
        }
        if !output.status.success() {
            bail!("`{shown} {}` failed", args.join(" "));
        }
        Ok(())
    }

    fn attrib(&mut self, args: &[&str], extra: &[(&str, &str)]) -> Result<()> {
        let exe = std::env::current_exe().context("cannot find the attrib binary")?;
        self.run(&exe, "attrib", args, extra)
    }

    /// `attrib ARGS` with `input` on stdin (shown as read from `NAME.json`).
    fn attrib_stdin(&mut self, args: &[&str], name: &str, input: &str) -> Result<()> {
        use std::io::Write as _;
        let exe = std::env::current_exe().context("cannot find the attrib binary")?;
        writeln!(self.out, "    $ attrib {} < {name}.json", args.join(" "))?;
        let mut child = std::process::Command::new(&exe)
            .args(args)
            .current_dir(&self.repo)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(std::process::Stdio::piped())
            .spawn()
            .context("cannot run attrib")?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin.write_all(input.as_bytes())?;
        }
        if !child.wait()?.success() {
            bail!("`attrib {}` failed", args.join(" "));
        }
        Ok(())
    }

    fn pijul(&mut self, args: &[&str], extra: &[(&str, &str)]) -> Result<()> {
        self.run(Path::new("pijul"), "pijul", args, extra)
    }

    fn write(&mut self, file: &str, text: &str) -> Result<()> {
        writeln!(self.out, "    (edit {file})")?;
        std::fs::write(self.repo.join(file), text)?;
        Ok(())
    }
}

fn pijul_act(out: &mut dyn Write, root: &Path, env: &PijulEnv) -> Result<()> {
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo)?;
    let mut vars = env.vars();
    vars.push((
        "ATTRIB_CONFIG_DIR".into(),
        root.join("attrib-config").display().to_string(),
    ));
    let mut sh = Shell {
        repo,
        env: vars,
        out,
    };
    sh.pijul(&["init"], &[])?;
    sh.attrib(
        &[
            "init",
            "--team",
            "pijul-demo",
            "--name",
            "ada",
            "--install-hooks",
        ],
        &[],
    )?;
    sh.write("parser.rs", "fn parse(input: &str) -> Vec<Token> {\n    let mut tokens = Vec::new();\n    for word in input.split_whitespace() {\n        tokens.push(Token::from(word));\n    }\n    tokens\n}\n")?;
    sh.pijul(&["add", "parser.rs"], &[])?;
    sh.attrib(
        &[
            "record",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--ai-suggestion-type",
            "complete",
            "--",
            "-m",
            "parser: first cut",
        ],
        &[],
    )?;
    sh.write("parser.rs", "// SPDX-License-Identifier: MIT\n\nfn parse(input: &str) -> Vec<Token> {\n    let mut tokens = Vec::new();\n    for word in input.split_whitespace() {\n        tokens.push(Token::from(word));\n    }\n    tokens\n}\n")?;
    sh.attrib(
        &["record", "--no-ai", "--", "-m", "parser: license header"],
        &[],
    )?;
    sh.write("parser.rs", "// SPDX-License-Identifier: MIT\n\nfn parse(input: &str) -> Vec<Token> {\n    let mut tokens = Vec::new();\n    for word in input.split_whitespace() {\n        tokens.push(Token::from(word));\n    }\n    tokens\n}\n\n#[test]\nfn splits_words() {\n    assert_eq!(parse(\"a b\").len(), 2);\n}\n")?;
    writeln!(
        sh.out,
        "    (an agent records with plain pijul; the hook keeps its AI context)"
    )?;
    sh.pijul(
        &["record", "-a", "-m", "parser: a test"],
        &[
            ("ATTRIB_AI_PROVIDER", "openai"),
            ("ATTRIB_AI_MODEL", "gpt-5"),
        ],
    )?;
    agent_scene(&mut sh, root)?;
    sh.attrib(&["log"], &[])?;
    sh.attrib(&["blame", "parser.rs"], &[])?;
    sh.attrib(&["stats", "--by", "agent"], &[])?;
    Ok(())
}

/// An agent's edit seen through its hooks, a person's line after it, and a plain record: the
/// next command attests the change line by line.
fn agent_scene(sh: &mut Shell<'_>, root: &Path) -> Result<()> {
    writeln!(
        sh.out,
        "    (Claude Code edits parser.rs through its hooks, which run `attrib checkpoint`)"
    )?;
    let transcript = root.join("claude-transcript.jsonl");
    std::fs::write(
        &transcript,
        "{\"type\":\"assistant\",\"message\":{\"model\":\"claude-sonnet-4-5\"}}\n",
    )?;
    let file = sh.repo.join("parser.rs");
    let hook = |event: &str| {
        serde_json::json!({
            "session_id": "demo-session", "transcript_path": transcript, "cwd": sh.repo,
            "hook_event_name": event, "tool_name": "Edit",
            "tool_input": {"file_path": file, "old_string": "", "new_string": ""},
        })
        .to_string()
    };
    let (pre, post) = (hook("PreToolUse"), hook("PostToolUse"));
    sh.attrib_stdin(
        &["checkpoint", "--agent", "claude-code"],
        "PreToolUse",
        &pre,
    )?;
    let mut text = std::fs::read_to_string(&file)?;
    text.push_str("\npub fn count(input: &str) -> usize {\n    parse(input).len()\n}\n");
    std::fs::write(&file, &text)?;
    sh.attrib_stdin(
        &["checkpoint", "--agent", "claude-code"],
        "PostToolUse",
        &post,
    )?;
    text.push_str("\n// Reviewed by Ada: counts words, not bytes.\n");
    sh.write("parser.rs", &text)?;
    sh.pijul(&["record", "-a", "-m", "parser: count"], &[])?;
    Ok(())
}
