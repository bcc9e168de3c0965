//! `verify`, `export`, `import`, `demo`, and commands run where there is no store.

use std::ffi::OsStr;
use std::path::Path;

use serde_json::Value;

use crate::support::{Sandbox, User};

/// alice and bob in team "t"; alice has attested three patches, bob has reviewed one.
fn busy_team(sb: &Sandbox) -> Vec<User> {
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice
        .run([
            "annotate",
            "P1",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "tamper-model-x",
        ])
        .ok();
    alice
        .run(["annotate", "P2", "--description", "by hand"])
        .ok();
    alice
        .run([
            "annotate",
            "P3",
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
        ])
        .ok();
    bob.pull(sb, alice);
    bob.run(["review", "P3", "--seconds", "60"]).ok();
    alice.pull(sb, bob);
    users
}

fn write(sb: &Sandbox, stem: &str, bytes: &[u8]) -> std::path::PathBuf {
    let p = sb.file(stem);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn import_args(file: &Path, json: bool) -> Vec<&OsStr> {
    let mut v = vec![OsStr::new("import"), file.as_os_str()];
    if json {
        v.push(OsStr::new("--json"));
    }
    v
}

// ---------------------------------------------------------------- verify

#[test]
fn verify_clean_store() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let alice = &users[0];
    let out = alice.run(["verify"]).ok();
    // genesis, grant, three attestations, one review
    assert!(
        out.stdout
            .contains("checked 6 records: 6 signatures valid, 0 bad"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("matches the store (4 current claims)"));
    let v = alice.run(["verify", "--json"]).ok().json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["records"], 6);
    assert_eq!(v["valid_signatures"], 6);
    assert_eq!(v["bad_signatures"], serde_json::json!([]));
    assert_eq!(v["view_matches"], true);
    assert_eq!(v["view_claims"], 4);
    assert_eq!(v["equivocators"], serde_json::json!([]));
    assert_eq!(v["held_not_admitted"], 0);
    users[1].run(["verify", "--json"]).ok();
    alice.run(["verify", "extra"]).usage_err();
}

#[test]
fn tampered_import_names_bad_signature_and_keeps_the_rest() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice
        .run([
            "annotate",
            "P1",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "tamper-model-x",
        ])
        .ok();
    alice.run(["annotate", "P2"]).ok();
    alice.run(["annotate", "P3"]).ok();
    let export = alice.run(["export"]).ok().stdout;
    let lines: Vec<&str> = export.lines().collect();
    assert_eq!(lines.len(), 5);

    let mut tampered = Vec::new();
    let mut changed = 0;
    for line in &lines {
        let new = if line.contains("tamper-model-x") {
            // A different model name.
            line.replace("tamper-model-x", "tamper-model-y")
        } else if line.contains("\"patch\":\"P2\"") {
            // One digit of the timestamp, one millisecond earlier or later.
            flip_timestamp_digit(line)
        } else {
            line.to_string()
        };
        if new != *line {
            changed += 1;
        }
        tampered.push(new);
    }
    assert_eq!(changed, 2);
    let file = write(&sb, "tampered", (tampered.join("\n") + "\n").as_bytes());
    let out = bob.import(&file).fails();
    assert!(out.stdout.contains("bad signature"), "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("bad signature").count(),
        2,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("refused 2"), "{}", out.stdout);
    assert!(out.stdout.contains("accepted 1"), "{}", out.stdout);
    assert!(
        out.message().contains("2 record(s) refused"),
        "{}",
        out.stderr
    );

    // The untouched record landed; the altered ones did not.
    assert_eq!(bob.log_patches(&[]), ["P3"]);
    bob.run(["show", "P1"]).fails();
    bob.run(["show", "P2"]).fails();
    bob.run(["verify"]).ok();

    let v = bob.import(&file).fails();
    assert!(v.stdout.contains("already held"), "{}", v.stdout);
    let v = bob.run(import_args(&file, true)).fails().json();
    let codes: Vec<&str> = v["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r[1].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["bad-signature", "bad-signature"]);

    // The genuine file still goes in afterwards.
    let good = write(&sb, "good", export.as_bytes());
    bob.import(&good).ok();
    assert_eq!(bob.log_patches(&[]), ["P3", "P2", "P1"]);
    assert_eq!(
        bob.show_json("P1")["attestations"][0]["ai"]["model"],
        "tamper-model-x"
    );
    bob.run(["verify"]).ok();
}

fn flip_timestamp_digit(line: &str) -> String {
    let key = "\"timestamp_ms\":";
    let start = line.find(key).unwrap() + key.len();
    let end = start + line[start..].find(|c: char| !c.is_ascii_digit()).unwrap();
    let last = end - 1;
    let d = line.as_bytes()[last] - b'0';
    let flipped = if d == 0 { 1 } else { d - 1 };
    format!("{}{}{}", &line[..last], flipped, &line[end..])
}

#[test]
fn a_record_signed_for_another_team_is_refused() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let other = sb.user("other");
    other.run(["init", "--team", "other-team"]).ok();
    other.run(["annotate", "X1"]).ok();
    let file = other.export_file(&sb);
    let out = users[0].import(&file).fails();
    assert!(out.stdout.contains("refused 2"), "{}", out.stdout);
    assert!(users[0].log_json(&[]).is_empty());
    users[0].run(["verify"]).ok();
}

#[test]
fn corrupt_store_file_is_a_clean_error() {
    let sb = Sandbox::new();
    let u = sb.user("alice");
    u.run(["init", "--team", "t"]).ok();
    u.run(["annotate", "P1"]).ok();
    let db = u.repo.join(".attrib/attrib.db");
    let len = std::fs::metadata(&db).unwrap().len() as usize;
    let damage: Vec<(&str, Vec<u8>)> = vec![
        (
            "garbage",
            (0..len).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("truncated", std::fs::read(&db).unwrap()[..100].to_vec()),
        ("empty", Vec::new()),
    ];
    let good = std::fs::read(&db).unwrap();
    for (what, bytes) in damage {
        std::fs::write(&db, &bytes).unwrap();
        for args in [
            vec!["log"],
            vec!["verify"],
            vec!["show", "P1"],
            vec!["export"],
            vec!["annotate", "P2"],
        ] {
            let out = u.run(&args).err();
            assert!(
                out.message().contains("store"),
                "{what}: {args:?}: {}",
                out.stderr
            );
        }
    }
    std::fs::write(&db, good).unwrap();
    assert_eq!(u.log_patches(&[]), ["P1"]);
}

// ---------------------------------------------------------------- export and import

#[test]
fn export_then_import_in_another_members_store() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let (alice, bob) = (&users[0], &users[1]);
    let file = sb.file("alice-out");
    let out = alice
        .run([OsStr::new("export"), OsStr::new("-o"), file.as_os_str()])
        .ok();
    assert!(out.stdout.is_empty());
    assert!(
        out.stderr.contains("wrote 6 signed records"),
        "{}",
        out.stderr
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        text,
        alice.run(["export"]).ok().stdout,
        "-o and stdout agree"
    );
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 6);
    assert!(lines[0]["payload"]["genesis"].is_object(), "genesis first");
    for l in &lines {
        for field in [
            "id",
            "team",
            "signer",
            "seq",
            "timestamp_ms",
            "origin",
            "payload",
            "signature",
        ] {
            assert!(!l[field].is_null(), "{field} missing in {l}");
        }
        assert_eq!(l["signature"].as_str().unwrap().len(), 128);
    }

    // A third member catches up from alice's file alone.
    let carol = sb.user("carol");
    carol.run(["identity", "new", "--name", "carol"]).ok();
    alice
        .run(["team", "add", &carol.pubkey(), "--name", "carol"])
        .ok();
    let file = alice.export_file(&sb);
    carol
        .run([OsStr::new("init"), OsStr::new("--join"), file.as_os_str()])
        .ok();
    assert_eq!(
        carol.run(["log", "--json"]).ok().stdout,
        alice.run(["log", "--json"]).ok().stdout
    );
    let out = bob.import(&file).ok();
    assert!(
        out.stdout.contains("accepted 1, already held 6, refused 0"),
        "{}",
        out.stdout
    );
    let v = bob.run(import_args(&file, true)).ok().json();
    assert_eq!(v["accepted"], 0);
    assert_eq!(v["duplicate"], 7);
    assert_eq!(v["refused"], serde_json::json!([]));

    // Standard input works too.
    let dave = sb.user("dave");
    dave.run(["init", "--team", "solo"]).ok();
    let out = dave.run_stdin(["import", "-"], text.as_bytes()).err();
    assert!(
        out.stdout.contains("refused 6"),
        "another team's records: {}",
        out.stdout
    );
    let out = carol.run_stdin(["import", "-"], text.as_bytes()).ok();
    assert!(out.stdout.contains("accepted 0"), "{}", out.stdout);
}

#[test]
fn importing_the_same_file_twice_changes_nothing() {
    let sb = Sandbox::new();
    let users = busy_team(&sb);
    let (alice, bob) = (&users[0], &users[1]);
    let carol = sb.user("carol");
    carol.run(["identity", "new", "--name", "carol"]).ok();
    alice
        .run(["team", "add", &carol.pubkey(), "--name", "carol"])
        .ok();
    let genesis = sb.file("genesis");
    std::fs::write(
        &genesis,
        alice
            .export_lines()
            .iter()
            .filter(|l| l.contains("\"genesis\"") || l.contains("\"grant\""))
            .map(|l| format!("{l}\n"))
            .collect::<String>(),
    )
    .unwrap();
    carol
        .run([
            OsStr::new("init"),
            OsStr::new("--join"),
            genesis.as_os_str(),
        ])
        .ok();
    assert!(carol.log_json(&[]).is_empty());

    let file = bob.export_file(&sb);
    let first = carol.import(&file).ok();
    assert!(first.stdout.contains("accepted 4"), "{}", first.stdout);
    let log_before = carol.run(["log", "--json"]).ok().stdout;
    let team_before = carol.run(["team", "show", "--json"]).ok().stdout;
    let export_before = carol.run(["export"]).ok().stdout;
    let second = carol.import(&file).ok();
    assert!(
        second.stdout.starts_with("accepted 0, already held"),
        "{}",
        second.stdout
    );
    let v = carol.run(import_args(&file, true)).ok().json();
    assert_eq!(v["accepted"], 0);
    assert_eq!(carol.run(["log", "--json"]).ok().stdout, log_before);
    assert_eq!(
        carol.run(["team", "show", "--json"]).ok().stdout,
        team_before
    );
    assert_eq!(carol.run(["export"]).ok().stdout, export_before);
    carol.run(["verify"]).ok();
}

#[test]
fn importing_a_corrupt_file_keeps_the_valid_lines() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice.run(["annotate", "P1"]).ok();
    alice
        .run(["annotate", "P2", "--ai-provider", "a", "--ai-model", "m"])
        .ok();
    let lines = alice.export_lines();
    let p1 = lines.iter().find(|l| l.contains("\"P1\"")).unwrap();
    let p2 = lines.iter().find(|l| l.contains("\"P2\"")).unwrap();
    let mut bytes = Vec::new();
    bytes.extend_from_slice(b"\x00\xff\xfe garbage \x80\x81\n");
    bytes.extend_from_slice(p1.as_bytes());
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(&p2.as_bytes()[..p2.len() / 2]);
    bytes.extend_from_slice(b"\n{\"id\": 1}\n[1,2,3]\nnot json at all\n\n");
    bytes.extend_from_slice(p2.as_bytes());
    // A final line cut short with no newline.
    bytes.extend_from_slice(b"\n");
    bytes.extend_from_slice(&p1.as_bytes()[..40]);
    let file = write(&sb, "corrupt", &bytes);
    let out = bob.import(&file).fails();
    assert!(
        out.stdout
            .starts_with("accepted 2, already held 0, refused 6"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("line 1: malformed record"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("line 3: malformed record"),
        "{}",
        out.stdout
    );
    assert!(
        out.message().contains("6 record(s) refused"),
        "{}",
        out.stderr
    );
    assert_eq!(bob.log_patches(&[]), ["P2", "P1"]);
    bob.run(["verify"]).ok();

    // Nothing but garbage: every line refused, nothing changes, still one error line.
    let before = bob.run(["log", "--json"]).ok().stdout;
    let junk: Vec<u8> = (0..5000u32).map(|i| (i * 31 % 256) as u8).collect();
    let file = write(&sb, "junk", &junk);
    bob.import(&file).fails();
    let file = write(&sb, "empty", b"\n\n  \n");
    bob.import(&file).fails().mentions("no records");
    let file = write(&sb, "huge-line", &vec![b'x'; 2_000_000]);
    bob.import(&file).fails();
    assert_eq!(bob.run(["log", "--json"]).ok().stdout, before);

    bob.run(["import", "/no/such/file.jsonl"])
        .fails()
        .mentions("cannot read");
    bob.run([OsStr::new("import"), sb.path().as_os_str()])
        .fails()
        .mentions("cannot read");
    bob.run(["import"]).usage_err();
    bob.run(["export", "--bogus"]).usage_err();
    bob.run(["export", "-o"]).usage_err();
    // An output path whose parent is a file cannot be written.
    let blocker = write(&sb, "blocker", b"a file, not a directory");
    bob.run([
        OsStr::new("export"),
        OsStr::new("-o"),
        blocker.join("out.jsonl").as_os_str(),
    ])
    .fails()
    .mentions("cannot");
}

// ---------------------------------------------------------------- demo

#[test]
fn demo_runs_the_whole_story() {
    let sb = Sandbox::new();
    let u = sb.user("viewer");
    let out = u.run(["demo"]).ok();
    assert!(
        out.stdout.contains("all three views are identical"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("bad signature"), "{}", out.stdout);
    assert!(
        out.stdout.contains("signer is not a member"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("summary:"), "{}", out.stdout);
    // The demo cleans up after itself and leaves no identity in the user's config dir.
    assert!(!u.config.exists());
    assert_eq!(
        std::fs::read_dir(sb.path().join("tmp")).unwrap().count(),
        0,
        "the demo left files behind"
    );
    u.run(["demo", "--frob"]).usage_err();
}

// ---------------------------------------------------------------- no store

#[test]
fn commands_outside_a_store_point_to_init() {
    let sb = Sandbox::new();
    let u = sb.user("alice");
    u.run(["identity", "new", "--name", "alice"]).ok();
    let file = write(&sb, "some", b"{}\n");
    let key = "ab".repeat(32);
    let file = file.to_str().unwrap();
    for args in [
        vec!["log"],
        vec!["log", "--json"],
        vec!["show", "P1"],
        vec!["verify"],
        vec!["verify", "--json"],
        vec!["export"],
        vec!["import", file],
        vec!["annotate", "P1"],
        vec!["review", "P1", "--seconds", "3"],
        vec!["team", "show"],
        vec!["team", "show", "--json"],
        vec!["team", "add", &key, "--name", "x"],
        vec!["team", "revoke", "x"],
    ] {
        u.run(&args).fails().mentions("attrib init");
    }
    // No store was created by any of them.
    assert_eq!(std::fs::read_dir(&u.repo).unwrap().count(), 0);
    // The identity commands need no store.
    u.run(["identity", "show"]).ok();
}
