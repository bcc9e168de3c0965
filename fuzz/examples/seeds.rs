//! Writes the seed inputs of the fuzz targets into `fuzz/corpus/<target>/`: real records,
//! wire messages, export lines and envelopes made with attrib's own code, a tracker file and
//! the outputs of a real Pijul and a real git repository, and the agents' hook payloads, the
//! git-ai notes, Atomic's JSON and the Agent Trace export from the tests' fixtures.
//!
//! `cargo run --manifest-path fuzz/Cargo.toml --example seeds` (needs `pijul` and `git`; run
//! it before `cargo fuzz cmin`, which keeps only the seeds that add coverage).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use attrib_overlay::dsse::{Envelope, IN_TOTO_PAYLOAD_TYPE};
use attrib_overlay::exchange::to_json_line;
use attrib_overlay::model::{commit_prompt_with_salt, Contribution, LineSpan, Verdict};
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Identity, Origin, PatchId, Payload, Record, Review, SignedRecord,
    SuggestionType,
};
use attrib_p2p_node::protocol::heads::{AuthorHeads, Heads, SeqRanges};
use attrib_p2p_node::protocol::wire::{
    encode, status_response, Gossip, HeadsUpdate, ProbeAnswer, SeqSpan, Status, SyncRequest,
    SyncResponse, WireRecord,
};
use attrib_query::export::in_toto::statement;
use attrib_vcs_adapter::testing::PijulEnv;
use attrib_vcs_adapter::tracker::{Tracker, TRACKER_FILE};

fn main() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let corpus = root.join("corpus");
    let workspace = root.parent().expect("fuzz/ is inside the repository");
    let mut w = Writer { corpus };

    // Records: a team's genesis and grant, attestations (with AI and contributions, without),
    // a review, a retraction and a revoke.
    let ada = Identity::from_secret([1; 32]);
    let bob = Identity::from_secret([2; 32]);
    let genesis = ada.sign(
        GENESIS_TEAM,
        record(
            1,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "Ada".into(),
                founder_email: Some("ada@example.org".into()),
            },
        ),
    );
    let team = genesis.team_id();
    let grant = ada.sign(
        team,
        record(
            2,
            Payload::Grant {
                member: bob.public(),
                name: "Bob".into(),
                email: None,
                admin: false,
            },
        ),
    );
    let patch = PatchId::new("MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC").unwrap();
    let git_patch = PatchId::new("7eb2ff79cdb10e1198450a9e2bc0ad418af7db65").unwrap();
    let span = |f: &str, s, e| LineSpan {
        file: f.into(),
        start: s,
        end: e,
    };
    let mut ai = AiAssistance::new("anthropic", "claude-sonnet-4", SuggestionType::Partial);
    ai.prompt_commitment = Some(commit_prompt_with_salt(b"add a parser", &[9; 16]));
    ai.confidence_permille = Some(800);
    ai.token_count = Some(1234);
    ai.temperature_milli = Some(700);
    ai.review_seconds = Some(30);
    let with_ai = Attestation {
        patch: patch.clone(),
        ai: Some(ai),
        description: Some("parser\nwith tests".into()),
        depends_on: vec![git_patch.clone()],
        conflicts_with: vec![],
        replaces: Some(git_patch.clone()),
        line_spans: vec![span("src/lib.rs", 1, 20)],
        contributions: vec![],
    };
    let mut contributions = with_ai.clone();
    contributions.contributions = vec![Contribution {
        provider: "openai".into(),
        model: "gpt-5".into(),
        agent: "codex".into(),
        session: Some("s-42".into()),
        suggestion_type: SuggestionType::Complete,
        prompt_commitment: None,
        line_spans: vec![span("src/a.rs", 3, 4), span("src/b.rs", 1, 1)],
    }];
    let human = Attestation {
        patch: git_patch.clone(),
        ai: None,
        description: None,
        depends_on: vec![],
        conflicts_with: vec![patch.clone()],
        replaces: None,
        line_spans: vec![],
        contributions: vec![],
    };
    let mut signed = vec![genesis.clone(), grant.clone()];
    for (seq, (signer, payload)) in [
        (&ada, Payload::Attest(with_ai)),
        (&bob, Payload::Attest(contributions)),
        (&bob, Payload::Attest(human)),
        (
            &ada,
            Payload::Review(Review {
                patch: patch.clone(),
                seconds: 90,
                verdict: Verdict::RequestChanges,
                comment: Some("needs tests".into()),
            }),
        ),
        (
            &bob,
            Payload::Retract {
                patch: git_patch.clone(),
                author: bob.public(),
            },
        ),
        (
            &ada,
            Payload::Revoke {
                member: bob.public(),
                after_seq: 4,
            },
        ),
    ]
    .into_iter()
    .enumerate()
    {
        signed.push(signer.sign(team, record(seq as u32 + 3, payload)));
    }
    for (i, r) in signed.iter().enumerate() {
        w.put(
            "record",
            &format!("{i}-{}", r.record.payload.kind()),
            &r.body,
        );
        w.put(
            "export_line",
            &format!("{i}-{}", r.record.payload.kind()),
            to_json_line(r).as_bytes(),
        );
    }
    let all: String = signed.iter().map(|r| to_json_line(r) + "\n").collect();
    w.put("export_line", "file", all.as_bytes());

    // Envelopes: one in-toto statement per patch, as `attrib export --format in-toto` writes.
    let membership = [&genesis, &grant];
    let claims: Vec<&SignedRecord> = signed[2..5]
        .iter()
        .filter(|r| r.record.payload.patch() == Some(&patch))
        .collect();
    let st = statement(&patch, &claims, &membership, &ada.public());
    let env = Envelope::sign(&ada, IN_TOTO_PAYLOAD_TYPE, serde_json::to_vec(&st).unwrap());
    w.put("dsse", "statement", env.to_json().as_bytes());
    w.put(
        "export_line",
        "statement",
        format!("{}\n{}\n", env.to_json(), to_json_line(&genesis)).as_bytes(),
    );
    let other = Envelope::sign(&bob, "text/plain", b"hello".to_vec());
    w.put("dsse", "plain", other.to_json().as_bytes());

    // Wire messages: a request with heads, wants and probes; a response carrying records and
    // probe answers; gossip; a refusal. The first byte picks the message type.
    let mut heads = Heads::new();
    heads.insert(
        ada.public(),
        AuthorHeads {
            ranges: SeqRanges::from_ranges([(1, 5)]),
            digest: [5; 8],
        },
    );
    heads.insert(
        bob.public(),
        AuthorHeads {
            ranges: SeqRanges::from_ranges([(3, 4), (7, 7)]),
            digest: [6; 8],
        },
    );
    let mut authors: Vec<_> = heads.iter().map(|(k, h)| (*k, h.clone())).collect();
    authors.sort_by_key(|(k, _)| *k);
    let fp = attrib_p2p_node::protocol::heads::fingerprint(&heads);
    let s = |first, last| SeqSpan {
        author: ada.public(),
        first,
        last,
    };
    let req = SyncRequest {
        team,
        round: 3,
        heads: HeadsUpdate::new(true, authors.clone(), fp),
        send_full_heads: false,
        wants: vec![s(1, 2)],
        probes: vec![s(1, 100)],
    };
    w.put("wire", "request", &[&[0][..], &encode(&req)].concat());
    let probe = s(1, 100);
    let resp = SyncResponse {
        round: 3,
        status: Status::Ok,
        heads: Some(HeadsUpdate::new(false, authors[..1].to_vec(), fp)),
        records: signed.iter().take(4).map(WireRecord::from_signed).collect(),
        more: true,
        probe_answers: vec![ProbeAnswer {
            span: probe,
            digests: vec![[1; 8]; 16],
        }],
    };
    w.put("wire", "response", &[&[1][..], &encode(&resp)].concat());
    w.put(
        "wire",
        "busy",
        &[&[1][..], &encode(&status_response(9, Status::Busy))].concat(),
    );
    let gossip = Gossip {
        record: WireRecord::from_signed(&signed[3]),
    };
    w.put("wire", "gossip", &[&[2][..], &encode(&gossip)].concat());

    // The Agent Trace export of the CLI's snapshot test, and one record alone.
    let trace =
        fs::read(workspace.join("tests/cli/snapshots/formats-export.agent-trace.jsonl")).unwrap();
    w.put("agent_trace", "export", &trace);
    if let Some(first) = trace.split(|&b| b == b'\n').next() {
        w.put("agent_trace", "one", first);
        w.put("agent_trace", "array", &[b"[", first, b"]"].concat());
    }

    // The agents' hook payloads of the workspace's tests (first byte 0: detected by shape).
    let hooks = workspace.join("workspace/tests/fixtures/hooks");
    let mut names: Vec<_> = fs::read_dir(&hooks)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    for p in names {
        let name = p.file_stem().unwrap().to_string_lossy().to_string();
        w.put(
            "hook_payload",
            &name,
            &[&[0][..], &fs::read(&p).unwrap()].concat(),
        );
    }

    git(&mut w);
    pijul(&mut w);
}

fn record(seq: u32, payload: Payload) -> Record {
    Record {
        seq,
        timestamp_ms: 1_735_689_600_000 + u64::from(seq),
        origin: Origin::Person,
        payload,
    }
}

struct Writer {
    corpus: PathBuf,
}

impl Writer {
    fn put(&mut self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.corpus.join(target);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    }
}

fn run(dir: &Path, cmd: &str, args: &[&str], env: &[(String, String)]) -> Vec<u8> {
    let out = Command::new(cmd)
        .args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A real git repository: `git log -z` in attrib's format, `git blame --porcelain`, a `-U0`
/// diff and `git diff-tree --stdin -p` output.
fn git(w: &mut Writer) {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let env = vec![
        ("HOME".to_string(), d.display().to_string()),
        ("GIT_CONFIG_NOSYSTEM".into(), "1".into()),
        ("GIT_AUTHOR_NAME".into(), "Ada".into()),
        ("GIT_AUTHOR_EMAIL".into(), "ada@example.org".into()),
        ("GIT_COMMITTER_NAME".into(), "Ada".into()),
        ("GIT_COMMITTER_EMAIL".into(), "ada@example.org".into()),
        ("GIT_AUTHOR_DATE".into(), "2025-01-02T03:04:05Z".into()),
        ("GIT_COMMITTER_DATE".into(), "2025-01-02T03:04:05Z".into()),
    ];
    run(d, "git", &["init", "-q", "-b", "main"], &env);
    fs::write(d.join("a.txt"), "one\ntwo\nthree\n").unwrap();
    fs::write(d.join("café \"x\".txt"), "quoted\n").unwrap();
    run(d, "git", &["add", "."], &env);
    run(
        d,
        "git",
        &[
            "commit",
            "-q",
            "-m",
            "first",
            "-m",
            "body line\n\nAttrib-AI: yes",
        ],
        &env,
    );
    fs::write(d.join("a.txt"), "one\n2\nthree\nfour\n").unwrap();
    fs::write(d.join("bin.dat"), [0u8, 1, 2, 255]).unwrap();
    run(d, "git", &["add", "."], &env);
    run(d, "git", &["commit", "-q", "-m", "second"], &env);
    fs::write(d.join("a.txt"), "one\n2\nthree\nfour\nuncommitted").unwrap();
    let log = run(
        d,
        "git",
        &[
            "log",
            "-z",
            "--no-show-signature",
            "--no-color",
            "--format=%H%x00%P%x00%at%x00%an%x00%ae%x00%s%x00%b",
        ],
        &env,
    );
    w.put("git_log", "log", &log);
    let blame = run(d, "git", &["blame", "--porcelain", "a.txt"], &env);
    w.put("git_blame", "blame", &blame);
    let diff = run(d, "git", &["show", "-U0", "--format=", "HEAD"], &env);
    w.put("git_diff", "u0", &diff);
    let commits = run(d, "git", &["rev-list", "HEAD"], &env);
    let mut child = Command::new("git")
        .args([
            "-c",
            "core.quotePath=true",
            "diff-tree",
            "--stdin",
            "--always",
            "-p",
            "--root",
            "--full-index",
            "--no-renames",
            "--no-color",
            "--unified=3",
            "--src-prefix=a/",
            "--dst-prefix=b/",
        ])
        .current_dir(d)
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write as _;
    child.stdin.take().unwrap().write_all(&commits).unwrap();
    let out = child.wait_with_output().unwrap();
    w.put("git_diff", "diff-tree", &out.stdout);
}

/// A real Pijul repository: its JSON log (with state and descriptions), credit, a change's
/// text, record's output, and the tracker file attrib keeps for it.
fn pijul(w: &mut Writer) {
    let tmp = tempfile::tempdir().unwrap();
    let env = PijulEnv::try_start(tmp.path()).expect("pijul and ssh tools");
    let repo = env.home().join("repo");
    fs::create_dir_all(&repo).unwrap();
    let p = env.driver(repo.clone());
    p.init().unwrap();
    fs::write(repo.join("a.txt"), "one\ntwo\n").unwrap();
    p.add(["a.txt"]).unwrap();
    let first = p
        .record(["-a", "-m", "first", "--description", "with a description"])
        .unwrap();
    fs::write(repo.join("a.txt"), "one\n2\nthree\n").unwrap();
    fs::create_dir_all(repo.join("src")).unwrap();
    fs::write(repo.join("src/new file.rs"), "fn main() {}\n").unwrap();
    p.add(["src/new file.rs"]).unwrap();
    let out = p.run(["record", "-a", "-m", "second"]).unwrap();
    w.put(
        "pijul_change",
        "record",
        &[&out.stdout[..], &[0], &out.stderr[..]].concat(),
    );
    let vars = env.vars();
    let log = run(
        &repo,
        "pijul",
        &["log", "--state", "--description", "--output-format", "json"],
        &vars,
    );
    w.put("pijul_log", "log-state", &[&[0][..], &log].concat());
    let credit = run(
        &repo,
        "pijul",
        &["credit", "--output-format", "json", "a.txt"],
        &vars,
    );
    w.put("pijul_log", "credit", &[&[1][..], &credit].concat());
    w.put("pijul_log", "timestamp", b"\x022025-01-02T03:04:05.678Z");
    let hashes = p.hashes().unwrap();
    for (i, h) in hashes.iter().enumerate() {
        let change = run(&repo, "pijul", &["change", h.as_str()], &vars);
        w.put("pijul_change", &format!("change-{i}"), &change);
    }
    assert!(hashes.contains(&first));

    let path = repo.join(".pijul").join(TRACKER_FILE);
    let mut t = Tracker::load(&path).unwrap();
    t.scan(&p, &[]).unwrap();
    t.save().unwrap();
    let bytes = fs::read(&path).unwrap();
    w.put("tracker", "file", &[&[0][..], &bytes].concat());
    // Behind a valid header: the same head and body, the target adds the checksum.
    w.put("tracker", "payload", &[&[1][..], &bytes[69..]].concat());
}
