//! `annotate`, `review`, `log` and `show`.

use std::ffi::OsStr;

use serde_json::Value;

use crate::support::{contains_bytes, files_under, Sandbox, User};

/// A founder alone in team "t".
fn solo(sb: &Sandbox) -> User {
    let u = sb.user("alice");
    u.run(["init", "--team", "t", "--name", "alice"]).ok();
    u
}

/// The single attestation `show --json` lists for `patch`.
fn attestation(u: &User, patch: &str) -> Value {
    let v = u.show_json(patch);
    let list = v["attestations"].as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    list[0].clone()
}

// ---------------------------------------------------------------- annotate

#[test]
fn annotate_with_every_ai_flag() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let out = u
        .run([
            "annotate",
            "P1",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--ai-suggestion-type",
            "collaborative",
            "--ai-confidence",
            "85%",
            "--ai-token-count",
            "1800",
            "--ai-review-time",
            "95",
            "--ai-temperature",
            "0.7",
            "--ai-max-tokens",
            "4096",
            "--ai-top-p",
            "0.95",
            "--ai-prompt-hash",
            &"ab".repeat(32),
            "--description",
            "parser: accept trailing commas",
            "--depends-on",
            "P0",
            "Pminus1",
            "--conflicts-with",
            "Q9",
            "--ai-lines",
            "src/parse.rs:10-20",
            "--ai-lines",
            "README:3",
            "--origin",
            "agent",
        ])
        .ok();
    assert!(
        out.stdout
            .contains("attested P1 as AI anthropic/claude-sonnet-4 collaborative 0.85"),
        "{}",
        out.stdout
    );
    let a = attestation(&u, "P1");
    assert_eq!(a["kind"], "attestation");
    assert_eq!(a["patch"], "P1");
    assert_eq!(a["origin"], "agent-hook");
    assert_eq!(a["ai_assisted"], true);
    assert_eq!(a["verified"], true);
    let ai = &a["ai"];
    assert_eq!(ai["provider"], "anthropic");
    assert_eq!(ai["model"], "claude-sonnet-4");
    assert_eq!(ai["suggestion_type"], "collaborative");
    assert_eq!(ai["confidence"], 0.85);
    assert_eq!(ai["token_count"], 1800);
    assert_eq!(ai["review_seconds"], 95);
    assert_eq!(ai["temperature"], 0.7);
    assert_eq!(ai["max_tokens"], 4096);
    assert_eq!(ai["top_p"], 0.95);
    assert_eq!(ai["prompt_commitment"], "ab".repeat(32));
    assert_eq!(a["description"], "parser: accept trailing commas");
    assert_eq!(a["depends_on"], serde_json::json!(["P0", "Pminus1"]));
    assert_eq!(a["conflicts_with"], serde_json::json!(["Q9"]));
    assert_eq!(
        a["line_spans"],
        serde_json::json!([
            {"file": "src/parse.rs", "start": 10, "end": 20},
            {"file": "README", "start": 3, "end": 3},
        ])
    );

    let text = u.run(["show", "P1"]).ok().stdout;
    for needle in [
        "patch P1",
        "attested by alice",
        "anthropic/claude-sonnet-4",
        "collaborative",
        "confidence 0.85",
        "1800 tokens",
        "95s",
        "AI-written lines src/parse.rs:10-20",
        "parser: accept trailing commas",
        "depends on P0, Pminus1",
        "signature ok",
    ] {
        assert!(text.contains(needle), "show lacks {needle:?}:\n{text}");
    }
}

#[test]
fn annotate_json_output() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let v = u
        .run([
            "annotate",
            "P1",
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(v["patch"], "P1");
    assert_eq!(v["ai"]["suggestion_type"], "partial", "the default type");
    assert_eq!(v["ai"]["confidence"], Value::Null);
    assert_eq!(v["author"]["name"], "alice");
    assert_eq!(v["origin"], "person");
    assert_eq!(v["seq"], 2, "the genesis is record #1");
    let id = v["record_id"].as_str().unwrap();
    assert_eq!(id.len(), 64);
    assert_eq!(u.log_json(&[])[0]["record_id"], id);
}

#[test]
fn annotate_from_atomic_env() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    u.run_env(
        ["annotate", "P1"],
        &[
            ("ATOMIC_AI_PROVIDER", "google"),
            ("ATOMIC_AI_MODEL", "gemini-2.5-pro"),
            ("ATOMIC_AI_CONFIDENCE", "0.6"),
            ("ATOMIC_AI_SUGGESTION_TYPE", "inspired"),
            ("ATOMIC_AI_TOKEN_COUNT", "77"),
        ],
    )
    .ok();
    let ai = &attestation(&u, "P1")["ai"];
    assert_eq!(ai["provider"], "google");
    assert_eq!(ai["model"], "gemini-2.5-pro");
    assert_eq!(ai["confidence"], 0.6);
    assert_eq!(ai["suggestion_type"], "inspired");
    assert_eq!(ai["token_count"], 77);

    // ATOMIC_AI_ENABLED=false turns the environment off.
    u.run_env(
        ["annotate", "P2"],
        &[
            ("ATOMIC_AI_ENABLED", "false"),
            ("ATOMIC_AI_PROVIDER", "google"),
            ("ATOMIC_AI_MODEL", "gemini-2.5-pro"),
        ],
    )
    .ok();
    assert_eq!(attestation(&u, "P2")["ai"], Value::Null);
    // Empty variables count as unset.
    u.run_env(
        ["annotate", "P3"],
        &[("ATOMIC_AI_PROVIDER", ""), ("ATOMIC_AI_MODEL", " ")],
    )
    .ok();
    assert_eq!(attestation(&u, "P3")["ai_assisted"], false);
}

#[test]
fn annotate_flags_win_over_env_and_attrib_over_atomic() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let env = [
        ("ATOMIC_AI_PROVIDER", "envprov"),
        ("ATOMIC_AI_MODEL", "atomic-model"),
        ("ATTRIB_AI_MODEL", "attrib-model"),
        ("ATOMIC_AI_CONFIDENCE", "0.3"),
        ("ATTRIB_AI_SUGGESTION_TYPE", "refactor"),
        ("ATOMIC_AI_SUGGESTION_TYPE", "complete"),
    ];
    u.run_env(["annotate", "P1"], &env).ok();
    let ai = &attestation(&u, "P1")["ai"];
    assert_eq!(ai["provider"], "envprov");
    assert_eq!(
        ai["model"], "attrib-model",
        "ATTRIB_AI_* wins over ATOMIC_AI_*"
    );
    assert_eq!(ai["suggestion_type"], "refactor");
    assert_eq!(ai["confidence"], 0.3);

    u.run_env(
        [
            "annotate",
            "P2",
            "--ai-model",
            "flag-model",
            "--ai-confidence",
            "0.9",
            "--ai-suggestion-type",
            "review",
        ],
        &env,
    )
    .ok();
    let ai = &attestation(&u, "P2")["ai"];
    assert_eq!(ai["provider"], "envprov", "env fills what flags leave out");
    assert_eq!(ai["model"], "flag-model", "flags win over env");
    assert_eq!(ai["confidence"], 0.9);
    assert_eq!(ai["suggestion_type"], "review");

    // A bad value from the environment names the variable.
    u.run_env(
        ["annotate", "P3"],
        &[
            ("ATOMIC_AI_PROVIDER", "p"),
            ("ATOMIC_AI_MODEL", "m"),
            ("ATOMIC_AI_CONFIDENCE", "lots"),
        ],
    )
    .fails()
    .mentions("ATOMIC_AI_CONFIDENCE");
    u.run_env(["annotate", "P3"], &[("ATTRIB_AI_ENABLED", "maybe")])
        .fails()
        .mentions("ATTRIB_AI_ENABLED");
    u.run_env(["annotate", "P3"], &[("ATOMIC_AI_ENABLED", "true")])
        .fails()
        .mentions("--ai-model");
    u.run(["show", "P3"]).fails();
}

#[test]
fn annotate_human_and_no_ai_override() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let out = u.run(["annotate", "H1", "--description", "by hand"]).ok();
    assert!(
        out.stdout.contains("attested H1 as human"),
        "{}",
        out.stdout
    );
    let a = attestation(&u, "H1");
    assert_eq!(a["ai_assisted"], false);
    assert_eq!(a["ai"], Value::Null);
    assert!(u
        .run(["show", "H1"])
        .ok()
        .stdout
        .contains("written without AI"));

    let env = [
        ("ATOMIC_AI_PROVIDER", "anthropic"),
        ("ATOMIC_AI_MODEL", "claude"),
        ("ATTRIB_AI_ENABLED", "1"),
    ];
    u.run_env(["annotate", "H2", "--no-ai"], &env).ok();
    assert_eq!(attestation(&u, "H2")["ai_assisted"], false);
    u.run_env(["annotate", "A1"], &env).ok();
    assert_eq!(attestation(&u, "A1")["ai_assisted"], true);

    // --no-ai with an AI flag is a contradiction.
    u.run(["annotate", "H3", "--no-ai", "--ai-model", "m"])
        .usage_err();
    u.run(["annotate", "H3", "--no-ai", "--ai-assisted"])
        .usage_err();
    // --ai-lines needs AI.
    u.run(["annotate", "H3", "--ai-lines", "a.rs:1-2"])
        .fails()
        .mentions("--ai-lines");
}

#[test]
fn annotate_prompt_file_stores_only_a_commitment() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let secret = "SECRET-PROMPT-zebra-quokka-4711: rewrite the parser in Rust";
    let prompt = sb.path().join("prompt.txt");
    std::fs::write(&prompt, secret).unwrap();
    let out = u
        .run([
            OsStr::new("annotate"),
            OsStr::new("P1"),
            OsStr::new("--ai-provider"),
            OsStr::new("anthropic"),
            OsStr::new("--ai-model"),
            OsStr::new("claude"),
            OsStr::new("--prompt-file"),
            prompt.as_os_str(),
        ])
        .ok();
    assert!(!out.stdout.contains(secret));
    let ai = &attestation(&u, "P1")["ai"];
    let commitment = ai["prompt_commitment"].as_str().unwrap().to_string();
    assert_eq!(commitment.len(), 64);
    assert!(commitment.bytes().all(|b| b.is_ascii_hexdigit()));
    assert!(u
        .run(["show", "P1"])
        .ok()
        .stdout
        .contains(&format!("prompt commitment {commitment}")));

    // The salt stays in the config dir, under the commitment's name.
    assert!(u.config.join("prompt-salts").join(&commitment).is_file());

    let export = u.run(["export"]).ok().stdout;
    assert!(export.contains(&commitment));
    let needles = [secret.as_bytes(), b"zebra-quokka".as_slice()];
    for needle in needles {
        assert!(!export.as_bytes().windows(needle.len()).any(|w| w == needle));
        for dir in [u.repo.join(".attrib"), u.config.clone()] {
            for file in files_under(&dir) {
                let bytes = std::fs::read(&file).unwrap();
                assert!(
                    !contains_bytes(&bytes, needle),
                    "the prompt text leaked into {}",
                    file.display()
                );
            }
        }
    }
    for args in [
        vec!["log", "--json"],
        vec!["show", "P1", "--json"],
        vec!["log"],
    ] {
        assert!(!u.run(args).ok().stdout.contains("zebra-quokka"));
    }

    // The same prompt twice gives different commitments (salted).
    let out = u
        .run([
            OsStr::new("annotate"),
            OsStr::new("P2"),
            OsStr::new("--ai-provider"),
            OsStr::new("anthropic"),
            OsStr::new("--ai-model"),
            OsStr::new("claude"),
            OsStr::new("--prompt-file"),
            prompt.as_os_str(),
        ])
        .ok();
    drop(out);
    assert_ne!(
        attestation(&u, "P2")["ai"]["prompt_commitment"],
        commitment.as_str()
    );

    // A missing prompt file, or one given with --ai-prompt-hash, is refused.
    u.run([
        "annotate",
        "P3",
        "--ai-provider",
        "a",
        "--ai-model",
        "m",
        "--prompt-file",
        "/no/such/prompt",
    ])
    .fails()
    .mentions("prompt file");
    u.run([
        OsStr::new("annotate"),
        OsStr::new("P3"),
        OsStr::new("--ai-provider"),
        OsStr::new("a"),
        OsStr::new("--ai-model"),
        OsStr::new("m"),
        OsStr::new("--prompt-file"),
        prompt.as_os_str(),
        OsStr::new("--ai-prompt-hash"),
        OsStr::new(&"ab".repeat(32)),
    ])
    .usage_err();
    u.run([
        "annotate",
        "P3",
        "--ai-provider",
        "a",
        "--ai-model",
        "m",
        "--ai-prompt-hash",
        "abc",
    ])
    .fails()
    .mentions("64 hex");
    u.run(["show", "P3"]).fails();
}

#[test]
fn annotate_twice_keeps_only_the_newer_version() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    u.run([
        "annotate",
        "P1",
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-4",
    ])
    .ok();
    let first = attestation(&u, "P1");
    u.run([
        "annotate",
        "P1",
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-5",
        "--description",
        "amended",
    ])
    .ok();
    let v = u.show_json("P1");
    let list = v["attestations"].as_array().unwrap();
    assert_eq!(list.len(), 1, "only the newer version may remain: {v}");
    assert_eq!(list[0]["ai"]["model"], "gpt-5");
    assert_eq!(list[0]["description"], "amended");
    assert!(list[0]["seq"].as_u64() > first["seq"].as_u64());
    assert_ne!(list[0]["record_id"], first["record_id"]);
    assert_eq!(u.log_patches(&[]), ["P1"]);
    // Downgrading to human is a new version as well.
    u.run(["annotate", "P1"]).ok();
    assert_eq!(attestation(&u, "P1")["ai_assisted"], false);
    assert!(u.log_json(&["--ai-only"]).is_empty());
    u.run(["verify"]).ok();
}

#[test]
fn annotate_bad_values_fail_with_one_line() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    let ai = ["--ai-provider", "p", "--ai-model", "m"];
    let runtime: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--ai-confidence", "1.5"], "--ai-confidence"),
        (vec!["--ai-confidence=-0.1"], "--ai-confidence"),
        (vec!["--ai-confidence", "150%"], "--ai-confidence"),
        (vec!["--ai-confidence", "high"], "--ai-confidence"),
        (
            vec!["--ai-suggestion-type", "bogus"],
            "--ai-suggestion-type",
        ),
        (vec!["--ai-token-count=-5"], "--ai-token-count"),
        (vec!["--ai-token-count", "many"], "--ai-token-count"),
        (vec!["--ai-max-tokens", "99999999999999"], "--ai-max-tokens"),
        (vec!["--ai-review-time", "1.5"], "--ai-review-time"),
        (vec!["--ai-temperature", "hot"], "--ai-temperature"),
        (vec!["--ai-top-p", "x"], "--ai-top-p"),
        (vec!["--ai-lines", "nocolon"], "--ai-lines"),
        (vec!["--ai-lines", "f.rs:0-3"], "--ai-lines"),
        (vec!["--ai-lines", "f.rs:9-3"], "--ai-lines"),
        (vec!["--ai-lines", ":1-2"], "--ai-lines"),
        (vec!["--depends-on", "bad id!"], "bad id!"),
        (vec!["--conflicts-with", "a/b"], "a/b"),
    ];
    for (extra, why) in runtime {
        let mut args = vec!["annotate", "P1"];
        args.extend_from_slice(&ai);
        args.extend_from_slice(&extra);
        u.run(args).fails().mentions(why);
    }
    u.run(["annotate", "bad id!"]).fails().mentions("patch id");
    u.run(["annotate", ""]).fails().mentions("patch id");
    let long = "A".repeat(10_000);
    u.run(["annotate", &long]).fails().mentions("patch id");
    u.run(["annotate", "P1", "--ai-provider", "anthropic"])
        .fails()
        .mentions("--ai-model");
    u.run(["annotate", "P1", "--ai-model", "m"])
        .fails()
        .mentions("--ai-provider");
    u.run(["annotate", "P1", "--ai-assisted"])
        .fails()
        .mentions("provider");
    u.run(["annotate", "P1", "--ai-provider", " ", "--ai-model", "m"])
        .fails()
        .mentions("empty");
    // An AI detail without a named AI is refused, not recorded as a human patch.
    for flag in [
        ["--ai-confidence", "0.7"],
        ["--ai-token-count", "12"],
        ["--ai-suggestion-type", "partial"],
    ] {
        u.run(["annotate", "P1", flag[0], flag[1]])
            .fails()
            .mentions(flag[0]);
    }
    assert!(u.log_json(&[]).is_empty(), "nothing was recorded");

    // Usage errors: exit code 2.
    u.run(["annotate", "P1", "--frobnicate"])
        .usage_err()
        .mentions("--frobnicate");
    u.run(["annotate"]).usage_err();
    u.run(["annotate", "P1", "--origin", "robot"]).usage_err();
    u.run(["annotate", "P1", "--ai-model"]).usage_err();
    u.run_env(["annotate", "P1"], &[("ATTRIB_ORIGIN", "robot")])
        .usage_err();

    // Nothing was recorded by any of these.
    assert!(u.log_json(&[]).is_empty());
    assert_eq!(u.export_lines().len(), 1, "only the genesis");
}

#[test]
fn annotate_needs_identity_and_membership() {
    let sb = Sandbox::new();
    let alice = solo(&sb);
    // Another config dir in alice's repository: no identity yet.
    let stranger = sb.user("stranger").at(&alice.repo);
    stranger
        .run(["annotate", "P1"])
        .fails()
        .mentions("identity new");
    stranger.run(["identity", "new", "--name", "s"]).ok();
    stranger
        .run(["annotate", "P1"])
        .fails()
        .mentions("not a member");
    assert!(alice.log_json(&[]).is_empty());
}

// ---------------------------------------------------------------- review

#[test]
fn review_by_another_member_shows_up() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice
        .run(["annotate", "P1", "--ai-provider", "a", "--ai-model", "m"])
        .ok();
    bob.pull(&sb, alice);
    let out = bob
        .run([
            "review",
            "P1",
            "--seconds",
            "240",
            "--verdict",
            "request-changes",
            "--comment",
            "needs tests",
        ])
        .ok();
    assert!(out.stdout.contains("reviewed P1"), "{}", out.stdout);
    assert!(out.stdout.contains("request_changes") || out.stdout.contains("request-changes"));

    alice.pull(&sb, bob);
    for u in [bob, alice] {
        let v = u.show_json("P1");
        let reviews = v["reviews"].as_array().unwrap();
        assert_eq!(reviews.len(), 1, "{v}");
        let r = &reviews[0];
        assert_eq!(r["kind"], "review");
        assert_eq!(r["author"]["name"], "bob");
        assert_eq!(r["seconds"], 240);
        assert_eq!(r["comment"], "needs tests");
        assert_eq!(r["verified"], true);
        let text = u.run(["show", "P1"]).ok().stdout;
        assert!(text.contains("reviewed by bob"), "{text}");
        assert!(text.contains("after 240s"), "{text}");
        assert!(text.contains("needs tests"), "{text}");
    }

    // A second review replaces the first; --json prints the record.
    let v = bob
        .run(["review", "P1", "--seconds", "30", "--json"])
        .ok()
        .json();
    assert_eq!(v["kind"], "review");
    assert_eq!(v["verdict"], "approve");
    alice.pull(&sb, bob);
    let v = alice.show_json("P1");
    assert_eq!(v["reviews"].as_array().unwrap().len(), 1);
    assert_eq!(v["reviews"][0]["seconds"], 30);
}

#[test]
fn review_errors() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice.run(["annotate", "P1"]).ok();
    alice
        .run(["review", "P1", "--seconds", "10"])
        .fails()
        .mentions("another member");
    bob.run(["review", "P1", "--seconds", "10"])
        .fails()
        .mentions("no attestation");
    bob.pull(&sb, alice);
    bob.run(["review", "UNKNOWN", "--seconds", "10"])
        .fails()
        .mentions("no attestation");
    bob.run(["review", "bad id!", "--seconds", "10"])
        .fails()
        .mentions("patch id");
    bob.run(["review", "P1"]).usage_err();
    bob.run(["review", "P1", "--seconds", "-3"]).usage_err();
    bob.run(["review", "P1", "--seconds", "soon"]).usage_err();
    bob.run(["review", "P1", "--seconds", "1", "--verdict", "meh"])
        .usage_err();
    assert!(bob.show_json("P1")["reviews"]
        .as_array()
        .unwrap()
        .is_empty());
}

// ---------------------------------------------------------------- log and show

#[test]
fn log_filters_and_json() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice
        .run([
            "annotate",
            "A_AI",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude",
            "--ai-confidence",
            "0.9",
        ])
        .ok();
    alice.run(["annotate", "A_HUMAN"]).ok();
    bob.run([
        "annotate",
        "B_AI",
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-5",
        "--ai-suggestion-type",
        "complete",
    ])
    .ok();
    bob.run(["annotate", "B_HUMAN"]).ok();
    alice.pull(&sb, bob);

    let all = alice.log_patches(&[]);
    assert_eq!(all, ["B_HUMAN", "B_AI", "A_HUMAN", "A_AI"], "newest first");
    assert_eq!(alice.log_patches(&["--ai-only"]), ["B_AI", "A_AI"]);
    assert_eq!(alice.log_patches(&["--human-only"]), ["B_HUMAN", "A_HUMAN"]);
    assert_eq!(alice.log_patches(&["-n", "1"]), ["B_HUMAN"]);
    assert_eq!(alice.log_patches(&["--max-count", "3"]).len(), 3);
    assert!(alice.log_patches(&["-n", "0"]).is_empty());
    assert_eq!(alice.log_patches(&["--author", "bob"]), ["B_HUMAN", "B_AI"]);
    assert_eq!(
        alice.log_patches(&["--author", &alice.pubkey(), "--ai-only"]),
        ["A_AI"]
    );
    assert_eq!(
        alice.log_patches(&["--author", "bob", "--ai-only", "-n", "5"]),
        ["B_AI"]
    );
    assert_eq!(alice.log_patches(&["--provider", "openai"]), ["B_AI"]);
    assert_eq!(alice.log_patches(&["--model", "claude"]), ["A_AI"]);
    assert_eq!(
        alice.log_patches(&["--provider", "anthropic", "--model", "claude"]),
        ["A_AI"]
    );
    assert!(alice
        .log_patches(&["--provider", "anthropic", "--model", "gpt-5"])
        .is_empty());

    let rows = alice.log_json(&["--ai-only"]);
    let b = &rows[0];
    assert_eq!(b["kind"], "attestation");
    assert_eq!(b["patch"], "B_AI");
    assert_eq!(b["ai_assisted"], true);
    assert_eq!(b["author"]["name"], "bob");
    assert_eq!(b["author"]["key"], bob.pubkey().as_str());
    assert_eq!(b["ai"]["provider"], "openai");
    assert_eq!(b["ai"]["model"], "gpt-5");
    assert_eq!(b["ai"]["suggestion_type"], "complete");
    assert_eq!(b["seq"], 1);
    assert_eq!(b["origin"], "person");
    assert_eq!(b["record_id"].as_str().unwrap().len(), 64);
    assert!(b["time"].as_str().unwrap().ends_with('Z'));
    assert!(b["timestamp_ms"].as_u64().unwrap() > 1_600_000_000_000);
    let a = &rows[1];
    assert_eq!(a["author"]["name"], "alice");
    assert_eq!(a["ai"]["confidence"], 0.9);
    for r in alice.log_json(&["--human-only"]) {
        assert_eq!(r["ai_assisted"], false);
        assert_eq!(r["ai"], Value::Null);
    }

    // Both members list the same thing once they have swapped.
    bob.pull(&sb, alice);
    assert_eq!(
        bob.run(["log", "--json"]).ok().stdout,
        alice.run(["log", "--json"]).ok().stdout
    );

    // The table.
    let text = alice.run(["log"]).ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 5, "{text}");
    assert!(lines[0].starts_with("TIME"), "{text}");
    assert!(lines[0].contains("ATTRIBUTION"), "{text}");
    assert!(lines[1].contains("B_HUMAN") && lines[1].contains("human"));
    assert!(lines[2].contains("AI openai/gpt-5 complete"), "{text}");
    assert!(
        lines[4].contains("AI anthropic/claude partial 0.9"),
        "{text}"
    );
    let none = alice
        .run(["log", "--author", "bob", "--ai-only", "-n", "0"])
        .ok();
    assert!(none.stdout.contains("no attested patches match"));

    // Bad input.
    alice
        .run(["log", "--author", "nobody"])
        .fails()
        .mentions("nobody");
    alice.run(["log", "--ai-only", "--human-only"]).usage_err();
    alice.run(["log", "-n", "many"]).usage_err();
    alice.run(["log", "-n", "-1"]).usage_err();
    alice.run(["log", "--frobnicate"]).usage_err();
}

#[test]
fn log_on_empty_team() {
    let sb = Sandbox::new();
    let u = solo(&sb);
    assert!(u.log_json(&[]).is_empty());
    assert_eq!(u.run(["log", "--json"]).ok().stdout.trim(), "[]");
    assert!(u
        .run(["log"])
        .ok()
        .stdout
        .contains("no attested patches match"));
}

#[test]
fn show_text_json_and_unknown() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    alice
        .run(["annotate", "P1", "--ai-provider", "a", "--ai-model", "m"])
        .ok();
    bob.pull(&sb, alice);
    // Two authors may attest the same patch; both show.
    bob.run(["annotate", "P1", "--description", "co-wrote it"])
        .ok();
    alice.pull(&sb, bob);
    let v = alice.show_json("P1");
    assert_eq!(v["patch"], "P1");
    assert_eq!(v["ai_assisted"], true);
    let list = v["attestations"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let mut names: Vec<&str> = list
        .iter()
        .map(|a| a["author"]["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["alice", "bob"]);
    for a in list {
        assert_eq!(a["verified"], true);
        assert_eq!(a["status"], "signature ok, member");
    }
    let text = alice.run(["show", "P1"]).ok().stdout;
    assert!(text.contains("attested by alice"), "{text}");
    assert!(text.contains("attested by bob"), "{text}");
    assert!(text.contains("co-wrote it"), "{text}");

    alice
        .run(["show", "NOPE"])
        .fails()
        .mentions("no attestation or review");
    alice.run(["show", "NOPE", "--json"]).fails();
    alice.run(["show", "bad id!"]).fails().mentions("patch id");
    alice.run(["show"]).usage_err();
    alice.run(["show", "P1", "P2"]).usage_err();
}
