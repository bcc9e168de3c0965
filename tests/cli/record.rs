//! `attrib record`: the real binary driving the real `pijul` (1.0.0-beta.26, installed by
//! `.ci/run`). Each test gets the sandbox's HOME with a Pijul config and its own `ssh-agent`
//! holding a fresh ed25519 key (Pijul signs changes through the agent), killed when the test
//! ends. Without `pijul` on PATH the tests print why and pass without running, unless
//! `ATTRIB_REQUIRE_PIJUL=1` (CI) makes that a failure.

use std::ffi::OsStr;
use std::fs;
use std::process::Command;

use serde_json::Value;

use crate::pijul_world::{recorded_hash, PijulWorld};

#[test]
fn records_ai_and_human_changes_and_reads_them_back() {
    let Some(w) = PijulWorld::new("records_ai_and_human_changes_and_reads_them_back") else {
        return;
    };
    let u = w.user("ann");

    w.edit(&u, "a.txt", "one\n");
    let out = w
        .attrib(
            &u,
            [
                "record",
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--ai-suggestion-type",
                "complete",
                "--ai-confidence",
                "0.9",
                "--description",
                "first file",
                "--",
                "-m",
                "add a.txt",
            ],
            &[],
        )
        .ok();
    assert!(
        out.stdout
            .contains("as AI anthropic/claude-sonnet-4 complete"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("(record #"), "{}", out.stdout);
    let ai_hash = recorded_hash(&out);
    assert_eq!(ai_hash, w.newest_hash(&u), "the attested hash is Pijul's");

    w.edit(&u, "a.txt", "one\ntwo\n");
    let out = w
        .attrib(&u, ["record", "--no-ai", "--", "-m", "by hand"], &[])
        .ok();
    assert!(out.stdout.contains(" as human "), "{}", out.stdout);
    let human_hash = recorded_hash(&out);
    assert_eq!(human_hash, w.newest_hash(&u));
    assert_ne!(human_hash, ai_hash);

    let show = u.show_json(&ai_hash);
    assert_eq!(show["patch"], ai_hash);
    assert_eq!(show["ai_assisted"], true);
    let a = &show["attestations"][0];
    assert_eq!(a["ai"]["provider"], "anthropic");
    assert_eq!(a["ai"]["model"], "claude-sonnet-4");
    assert_eq!(a["ai"]["suggestion_type"], "complete");
    assert_eq!(a["ai"]["confidence"], 0.9);
    assert_eq!(a["description"], "first file");
    assert_eq!(a["verified"], true);
    assert_eq!(a["origin"], "person");

    let show = u.show_json(&human_hash);
    assert_eq!(show["ai_assisted"], false);
    assert_eq!(show["attestations"][0]["ai"], Value::Null);

    let log = u.log_json(&[]);
    assert_eq!(log.len(), 2, "{log:?}");
    assert_eq!(log[0]["change"], human_hash);
    assert_eq!(log[0]["message"], "by hand");
    assert_eq!(log[0]["status"], "attested");
    assert_eq!(log[1]["change"], ai_hash);
    assert_eq!(log[1]["attestations"][0]["ai"]["model"], "claude-sonnet-4");
    assert_eq!(u.log_patches(&["--ai-only"]), vec![ai_hash.clone()]);
    assert_eq!(u.log_patches(&["--human-only"]), vec![human_hash]);
    assert_eq!(w.pijul_log_len(&u), 2);
}

#[test]
fn record_takes_ai_context_from_the_environment_and_prints_json() {
    let Some(w) = PijulWorld::new("record_takes_ai_context_from_the_environment_and_prints_json")
    else {
        return;
    };
    let u = w.user("bob");
    let env = [
        ("ATOMIC_AI_ENABLED", "true"),
        ("ATOMIC_AI_PROVIDER", "openai"),
        ("ATOMIC_AI_MODEL", "gpt-5"),
        ("ATOMIC_AI_SUGGESTION_TYPE", "collaborative"),
        ("ATOMIC_AI_TOKEN_COUNT", "1234"),
        ("ATOMIC_AI_REVIEW_TIME", "45"),
    ];
    w.edit(&u, "b.txt", "hello\n");
    let out = w
        .attrib(
            &u,
            ["record", "--json", "--origin", "agent", "--", "-am", "env"],
            &env,
        )
        .ok();
    let v = out.json();
    let hash = w.newest_hash(&u);
    assert_eq!(v["patch"], hash);
    assert_eq!(v["kind"], "attestation");
    assert_eq!(v["ai"]["provider"], "openai");
    assert_eq!(v["ai"]["model"], "gpt-5");
    assert_eq!(v["ai"]["suggestion_type"], "collaborative");
    assert_eq!(v["ai"]["token_count"], 1234);
    assert_eq!(v["ai"]["review_seconds"], 45);
    assert_eq!(v["origin"], "agent-hook");

    // A flag beats the environment; ATTRIB_AI_* beats ATOMIC_AI_*.
    w.edit(&u, "b.txt", "hello\nagain\n");
    let mut env2 = env.to_vec();
    env2.push(("ATTRIB_AI_MODEL", "gpt-5-mini"));
    let out = w
        .attrib(
            &u,
            [
                "record",
                "--json",
                "--ai-provider",
                "azure",
                "--",
                "--message",
                "flags",
            ],
            &env2,
        )
        .ok();
    let v = out.json();
    assert_eq!(v["patch"], w.newest_hash(&u));
    assert_eq!(v["ai"]["provider"], "azure");
    assert_eq!(v["ai"]["model"], "gpt-5-mini");
    assert_eq!(
        u.show_json(&hash)["attestations"][0]["ai"]["model"],
        "gpt-5"
    );

    // --no-ai wins over an AI environment.
    w.edit(&u, "b.txt", "hello\nagain\nthird\n");
    let v = w
        .attrib(
            &u,
            ["record", "--no-ai", "--json", "--", "-m", "mine"],
            &env,
        )
        .ok()
        .json();
    assert_eq!(v["ai"], Value::Null);
    assert_eq!(v["patch"], w.newest_hash(&u));
    assert_eq!(u.log_json(&[]).len(), 3);
}

#[test]
fn nothing_to_record_fails_without_an_attestation() {
    let Some(w) = PijulWorld::new("nothing_to_record_fails_without_an_attestation") else {
        return;
    };
    let u = w.user("cat");
    let out = w
        .attrib(&u, ["record", "--", "-m", "empty"], &[])
        .fails()
        .mentions("nothing to record");
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(u.log_json(&[]).is_empty());
    assert_eq!(w.pijul_log_len(&u), 0);
}

#[test]
fn record_refuses_before_running_pijul() {
    let Some(w) = PijulWorld::new("record_refuses_before_running_pijul") else {
        return;
    };
    let u = w.user("dan");
    w.edit(&u, "d.txt", "x\n");

    // No message: stdin is not a terminal, so Pijul's editor cannot ask for one.
    w.attrib(&u, ["record"], &[]).fails().mentions("-m");
    w.attrib(&u, ["record", "--", "-a", "d.txt"], &[])
        .fails()
        .mentions("message is required");
    // Bad capture flags fail before Pijul records anything.
    w.attrib(&u, ["record", "--ai-provider", "x", "--", "-m", "m"], &[])
        .fails()
        .mentions("provider and a model");
    w.attrib(
        &u,
        [
            "record",
            "--ai-confidence",
            "2",
            "--ai-provider",
            "x",
            "--ai-model",
            "y",
            "--",
            "-m",
            "m",
        ],
        &[],
    )
    .fails();
    assert_eq!(w.pijul_log_len(&u), 0, "nothing was recorded");

    // Not a Pijul repository: a plain directory, even with an attrib store.
    let plain = w.sb.user("plain");
    plain.run(["init", "--team", "p", "--name", "plain"]).ok();
    w.attrib(&plain, ["record", "--", "-m", "m"], &[])
        .fails()
        .mentions("not in a repository");
    let elsewhere = w.sb.dir("elsewhere");
    w.attrib(
        &u,
        [
            OsStr::new("-C"),
            elsewhere.as_os_str(),
            OsStr::new("record"),
            OsStr::new("--"),
            OsStr::new("-m"),
            OsStr::new("m"),
        ],
        &[],
    )
    .fails()
    .mentions("not in a repository");

    // A Pijul repository without an attrib store: refused before recording.
    let bare = w.sb.user("bare");
    bare.run(["identity", "new", "--name", "bare"]).ok();
    w.pijul(&bare.repo, ["init"]);
    fs::write(bare.repo.join("f"), "f\n").unwrap();
    w.pijul(&bare.repo, ["add", "f"]);
    w.attrib(&bare, ["record", "--", "-m", "m"], &[])
        .fails()
        .mentions("attrib init");
    assert_eq!(w.pijul_log_len(&bare), 0, "nothing was recorded");

    // Wrong or missing binary (ATTRIB_VCS_BINARY): a clear error, nothing recorded.
    w.attrib(
        &u,
        ["record", "--", "-m", "m"],
        &[("ATTRIB_VCS_BINARY", "attrib-no-such-pijul")],
    )
    .fails()
    .mentions("was not found");
    let fake = script(&w.sb.dir("fake-bin"), "pijul", "echo 'pijul 0.12.2'");
    w.attrib(
        &u,
        ["record", "--", "-m", "m"],
        &[("ATTRIB_VCS_BINARY", fake.to_str().unwrap())],
    )
    .fails()
    .mentions("version");
    assert_eq!(w.pijul_log_len(&u), 0, "nothing was recorded");
    assert!(u.log_json(&[]).is_empty());

    // With everything in place the same edit records.
    let out = w.attrib(&u, ["record", "--", "-m", "finally"], &[]).ok();
    assert_eq!(recorded_hash(&out), w.newest_hash(&u));
}

#[test]
fn record_runs_the_configured_binary() {
    let Some(w) = PijulWorld::new("record_runs_the_configured_binary") else {
        return;
    };
    let u = w.user("eve");
    // A wrapper under another name: its version is not checked against Pijul's. (Atomic, the
    // fork, is tested with the real `atomic` in tests/cli/atomic.rs.)
    let wrapper = script(
        &w.sb.dir("wrapper-bin"),
        "my-pijul",
        &format!("exec {} \"$@\"", real_pijul()),
    );
    w.edit(&u, "e.txt", "e\n");
    let out = w
        .attrib(
            &u,
            ["record", "--", "-m", "via the wrapper"],
            &[("ATTRIB_VCS_BINARY", wrapper.to_str().unwrap())],
        )
        .ok();
    assert_eq!(recorded_hash(&out), w.newest_hash(&u));
}

/// The attestation is stored as soon as Pijul prints the hash, before Pijul has finished: when
/// Pijul then fails, the command says so, and the attestation stays (it is true: the change
/// exists). Here the real `pijul` records everything, and the wrapper reports a failure after.
#[test]
fn a_record_that_fails_after_the_hash_keeps_its_attestation() {
    let Some(w) = PijulWorld::new("a_record_that_fails_after_the_hash_keeps_its_attestation")
    else {
        return;
    };
    let u = w.user("fay");
    let failing = script(
        &w.sb.dir("failing-bin"),
        "failing-pijul",
        &format!(
            "{} \"$@\" || exit $?\n[ \"$1\" = record ] || exit 0\necho 'Error: disk full' >&2\nexit 1",
            real_pijul()
        ),
    );
    w.edit(&u, "f.txt", "f\n");
    w.attrib(
        &u,
        [
            "record",
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
            "--",
            "-m",
            "saved, then failed",
        ],
        &[("ATTRIB_VCS_BINARY", failing.to_str().unwrap())],
    )
    .fails()
    .mentions("then failed")
    .mentions("disk full")
    .mentions("its attestation is stored");
    let hash = w.newest_hash(&u);
    let log = u.log_json(&[]);
    assert_eq!(log.len(), 1, "{log:?}");
    assert_eq!(log[0]["change"], hash.as_str());
    assert_eq!(log[0]["message"], "saved, then failed");
    assert_eq!(log[0]["status"], "attested");
    assert_eq!(log[0]["attestations"][0]["ai"]["model"], "gpt-5");
    // The next record goes through as usual.
    w.edit(&u, "f.txt", "f\ng\n");
    let out = w.attrib(&u, ["record", "--", "-m", "next"], &[]).ok();
    assert_eq!(recorded_hash(&out), w.newest_hash(&u));
    assert_eq!(u.log_json(&[]).len(), 2);
}

/// The path of the `pijul` on PATH.
fn real_pijul() -> String {
    let out = Command::new("sh")
        .args(["-c", "command -v pijul"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Writes an executable shell script `dir/name` running `body`.
fn script(dir: &std::path::Path, name: &str, body: &str) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join(name);
    fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
    fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
    path
}
