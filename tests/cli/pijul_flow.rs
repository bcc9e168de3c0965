//! Reconciliation with the real `pijul` (1.0.0-beta.26): what attrib sees of a channel when
//! changes arrive by clone/pull/push, leave by unrecord, are replaced by amends, are recorded by
//! a plain `pijul record` (with and without the pre-record hook), and what `log`, `stats`,
//! `blame`, `show` and `annotate` make of it. Without `pijul` on PATH the tests print why and
//! pass without running, unless `ATTRIB_REQUIRE_PIJUL=1` (CI) makes that a failure.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};

use serde_json::{json, Value};

use crate::pijul_world::{
    attrib_record, log, log_with_stderr, record_json, recorded_hash, PijulWorld,
};
use crate::support::{Output, User};

// ---------------------------------------------------------------------------------------------
// Helpers

/// `(change, place, status)` of every row, in the order listed.
pub(crate) fn summary(rows: &[Value]) -> Vec<(String, String, String)> {
    rows.iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}"));
            (
                s("change").to_string(),
                s("place").to_string(),
                s("status").to_string(),
            )
        })
        .collect()
}

/// [`summary`] of a `log --all`: the channel's rows in the order listed (newest first), then
/// the others sorted, since no order is promised among changes that are not on the channel.
fn summary_all(rows: &[Value]) -> Vec<(String, String, String)> {
    let all = summary(rows);
    let on = all.iter().take_while(|r| r.1 == "channel").count();
    assert!(
        all[on..].iter().all(|r| r.1 != "channel"),
        "the channel's changes come first: {all:?}"
    );
    let mut rest = all[on..].to_vec();
    rest.sort();
    let mut out = all[..on].to_vec();
    out.extend(rest);
    out
}

pub(crate) fn row(change: &str, place: &str, status: &str) -> (String, String, String) {
    (change.to_string(), place.to_string(), status.to_string())
}

/// The row of `change` in a log.
#[track_caller]
pub(crate) fn find<'a>(rows: &'a [Value], change: &str) -> &'a Value {
    rows.iter()
        .find(|r| r["change"] == change)
        .unwrap_or_else(|| panic!("{change} is not in the log: {rows:#?}"))
}

/// A plain `pijul record -a -m MESSAGE` (no attrib wrapper); returns the new hash.
#[track_caller]
fn plain_record(w: &PijulWorld, u: &User, message: &str) -> String {
    w.pijul(&u.repo, ["record", "-a", "-m", message]);
    w.newest_hash(u)
}

const OPENAI: &[&str] = &["--ai-provider", "openai", "--ai-model", "gpt-5"];
const ANTHROPIC: &[&str] = &[
    "--ai-provider",
    "anthropic",
    "--ai-model",
    "claude-sonnet-4",
    "--ai-suggestion-type",
    "complete",
];
const HUMAN: &[&str] = &["--no-ai"];

/// `pijul ARGS` in `u`'s repository with this world's Pijul environment, `u`'s attrib config
/// dir (for a pre-record hook) and `extra` variables; no capture variables leak in from the
/// test process. The output is returned whether or not Pijul succeeded.
fn pijul_as(
    w: &PijulWorld,
    u: &User,
    args: &[&str],
    extra: &[(&str, &str)],
) -> std::process::Output {
    let mut c = Command::new("pijul");
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("ATOMIC_AI_") || k.starts_with("ATTRIB_") {
            c.env_remove(&*k);
        }
    }
    c.args(args)
        .current_dir(&u.repo)
        .envs(w.env())
        .env("ATTRIB_CONFIG_DIR", &u.config)
        .envs(extra.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run pijul")
}

/// `attrib export -o FILE` as `u`; returns the file.
fn export(w: &PijulWorld, u: &User) -> PathBuf {
    let path = w.sb.file(&format!("{}-export", u.name));
    w.attrib(
        u,
        [OsStr::new("export"), OsStr::new("-o"), path.as_os_str()],
        &[],
    )
    .ok();
    path
}

/// `attrib import FILE` as `u` (must succeed).
fn import(w: &PijulWorld, u: &User, file: &std::path::Path) -> Output {
    w.attrib(u, [OsStr::new("import"), file.as_os_str()], &[])
        .ok()
}

/// A second member of `founder`'s team whose repository is a `pijul clone` of the founder's.
fn clone_member(w: &PijulWorld, founder: &User, name: &str) -> User {
    let u = w.sb.user(name);
    // `pijul clone` wants to create the directory itself.
    fs::remove_dir(&u.repo).unwrap();
    w.pijul(
        w.sb.path(),
        [
            OsStr::new("clone"),
            founder.repo.as_os_str(),
            u.repo.as_os_str(),
        ],
    );
    assert!(u.repo.join(".pijul/pristine").is_dir());
    assert!(
        !u.repo.join(".pijul/attrib").exists(),
        "a clone does not copy attrib's store"
    );
    w.attrib(&u, ["identity", "new", "--name", name], &[]).ok();
    let key = u.pubkey();
    w.attrib(founder, ["team", "add", &key, "--name", name], &[])
        .ok();
    let genesis = export(w, founder);
    w.attrib(
        &u,
        [
            OsStr::new("init"),
            OsStr::new("--join"),
            genesis.as_os_str(),
        ],
        &[],
    )
    .ok();
    assert!(u.repo.join(".pijul/attrib").is_dir());
    u
}

/// The one attestation of a log row.
#[track_caller]
pub(crate) fn only_attestation(r: &Value) -> &Value {
    let list = r["attestations"].as_array().expect("attestations");
    assert_eq!(list.len(), 1, "{r:#}");
    &list[0]
}

// ---------------------------------------------------------------------------------------------
// 1. Clone, pull, push between two members

#[test]
fn pulled_changes_are_unattested_until_their_attestation_is_imported() {
    let Some(w) =
        PijulWorld::new("pulled_changes_are_unattested_until_their_attestation_is_imported")
    else {
        return;
    };
    let ann = w.user("ann");
    w.edit(&ann, "base.txt", "base\n");
    let h0 = attrib_record(&w, &ann, HUMAN, "base");
    let bob = clone_member(&w, &ann, "bob");

    // Bob's clone holds Ann's change, and the genesis export carried her attestation of it.
    let bob_log = log(&w, &bob, &[]);
    assert_eq!(summary(&bob_log), vec![row(&h0, "channel", "attested")]);
    assert_eq!(bob_log[0]["message"], "base");
    assert_eq!(only_attestation(&bob_log[0])["author"]["name"], "ann");
    assert_eq!(only_attestation(&bob_log[0])["ai"], Value::Null);

    // Bob records an AI change; Ann pulls it.
    w.edit(&bob, "bob.txt", "from bob\n");
    let h1 = attrib_record(&w, &bob, OPENAI, "from bob");
    w.pijul(
        &ann.repo,
        [OsStr::new("pull"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    let (rows, stderr) = log_with_stderr(&w, &ann, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&h1, "channel", "unattested"),
            row(&h0, "channel", "attested")
        ]
    );
    assert!(
        !stderr.contains("note:"),
        "Ann must not attest Bob's change herself: {stderr}"
    );
    let r1 = find(&rows, &h1);
    assert_eq!(r1["message"], "from bob");
    assert_eq!(r1["attestations"], Value::Array(vec![]));
    assert_eq!(r1["reviews"], 0);
    assert!(
        r1["authors"][0].as_str().unwrap().contains("Ada"),
        "Pijul's author: {r1}"
    );
    assert!(!r1["timestamp"].as_str().unwrap().is_empty());
    assert_eq!(
        summary(&log(&w, &ann, &["--unattested"])),
        vec![row(&h1, "channel", "unattested")]
    );

    // Bob's export brings his attestation: now attested with his attribution.
    import(&w, &ann, &export(&w, &bob));
    let rows = log(&w, &ann, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&h1, "channel", "attested"),
            row(&h0, "channel", "attested")
        ]
    );
    let a = only_attestation(find(&rows, &h1));
    assert_eq!(a["author"]["name"], "bob");
    assert_eq!(a["author"]["key"], bob.pubkey());
    assert_eq!(a["patch"], h1.as_str());
    assert_eq!(a["ai"]["provider"], "openai");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(a["origin"], "person");
    assert!(log(&w, &ann, &["--unattested"]).is_empty());
    assert_eq!(log(&w, &ann, &["--ai-only"]).len(), 1);
    assert_eq!(log(&w, &ann, &["--author", "bob"]).len(), 1);

    // The other way: Ann records, Bob imports first (the change is attested but not on his
    // channel: "elsewhere"), then Ann pushes it to him.
    w.edit(&ann, "ann.txt", "from ann\n");
    let h2 = attrib_record(&w, &ann, ANTHROPIC, "from ann");
    import(&w, &bob, &export(&w, &ann));
    assert_eq!(
        summary(&log(&w, &bob, &[])),
        vec![
            row(&h1, "channel", "attested"),
            row(&h0, "channel", "attested")
        ]
    );
    let all = log(&w, &bob, &["--all"]);
    assert_eq!(
        summary(&all),
        vec![
            row(&h1, "channel", "attested"),
            row(&h0, "channel", "attested"),
            row(&h2, "elsewhere", "attested"),
        ]
    );
    assert_eq!(find(&all, &h2)["message"], Value::Null);

    w.pijul(
        &ann.repo,
        [OsStr::new("push"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    let rows = log(&w, &bob, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&h2, "channel", "attested"),
            row(&h1, "channel", "attested"),
            row(&h0, "channel", "attested"),
        ]
    );
    let a = only_attestation(find(&rows, &h2));
    assert_eq!(a["author"]["name"], "ann");
    assert_eq!(a["ai"]["provider"], "anthropic");
    assert_eq!(a["ai"]["model"], "claude-sonnet-4");
    assert_eq!(a["ai"]["suggestion_type"], "complete");
    assert_eq!(find(&rows, &h2)["message"], "from ann");
    assert_eq!(log(&w, &bob, &["--all"]).len(), 3, "nothing elsewhere now");

    // Bob reviews Ann's change by a prefix of its hash; Ann sees the review once she imports.
    w.attrib(&bob, ["review", &h2[..8], "--seconds", "45"], &[])
        .ok();
    assert_eq!(find(&log(&w, &bob, &[]), &h2)["reviews"], 1);
    import(&w, &ann, &export(&w, &bob));
    let rows = log(&w, &ann, &[]);
    assert_eq!(find(&rows, &h2)["reviews"], 1);
    assert_eq!(find(&rows, &h1)["reviews"], 0);

    // A push of a change nobody attested: unattested on Bob's side too.
    w.edit(&ann, "ann.txt", "from ann\nplain\n");
    let h3 = plain_record(&w, &ann, "plain from ann");
    w.pijul(
        &ann.repo,
        [OsStr::new("push"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    assert_eq!(
        summary(&log(&w, &bob, &["--unattested"])),
        vec![row(&h3, "channel", "unattested")]
    );
}

// ---------------------------------------------------------------------------------------------
// 2. A plain `pijul record` without hooks

#[test]
fn a_plain_pijul_record_is_unattested_and_listed_by_unattested() {
    let Some(w) = PijulWorld::new("a_plain_pijul_record_is_unattested_and_listed_by_unattested")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    let ai = attrib_record(&w, &u, OPENAI, "by the AI");
    w.edit(&u, "b.txt", "b\n");
    let plain = plain_record(&w, &u, "plain");
    w.edit(&u, "c.txt", "c\n");
    let human = attrib_record(&w, &u, HUMAN, "by hand");

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&human, "channel", "attested"),
            row(&plain, "channel", "unattested"),
            row(&ai, "channel", "attested"),
        ]
    );
    assert!(
        stderr.is_empty(),
        "no hook, so nothing is attested behind the user's back: {stderr}"
    );
    let p = find(&rows, &plain);
    assert_eq!(p["message"], "plain");
    assert_eq!(p["attestations"], Value::Array(vec![]));

    let only = log(&w, &u, &["--unattested"]);
    assert_eq!(summary(&only), vec![row(&plain, "channel", "unattested")]);
    assert_eq!(
        summary(&log(&w, &u, &["--ai-only"])),
        vec![row(&ai, "channel", "attested")]
    );
    assert_eq!(
        summary(&log(&w, &u, &["--human-only"])),
        vec![row(&human, "channel", "attested")]
    );
    assert_eq!(
        summary(&log(&w, &u, &["--provider", "openai", "--model", "gpt-5"])),
        vec![row(&ai, "channel", "attested")]
    );
    assert!(log(&w, &u, &["--model", "gpt-4"]).is_empty());
    w.attrib(&u, ["log", "--unattested", "--ai-only"], &[])
        .usage_err();

    // Attesting it afterwards, by a unique prefix of its hash, takes it off the list.
    let prefix = &plain[..8];
    let v = w
        .attrib(
            &u,
            [
                "annotate",
                prefix,
                "--ai-provider",
                "google",
                "--ai-model",
                "gemini-2.5-pro",
                "--json",
            ],
            &[],
        )
        .ok()
        .json();
    assert_eq!(v["patch"], plain.as_str());
    assert!(log(&w, &u, &["--unattested"]).is_empty());
    let text = w.attrib(&u, ["log", "--unattested"], &[]).ok();
    assert!(
        text.stdout.contains("no changes on channel \"main\" match"),
        "{}",
        text.stdout
    );
    // show takes the prefix too.
    assert_eq!(
        w.attrib(&u, ["show", prefix, "--json"], &[]).ok().json()["patch"],
        plain.as_str()
    );
}

// ---------------------------------------------------------------------------------------------
// 3. Unrecord

#[test]
fn an_unrecorded_change_goes_off_channel_and_keeps_its_attestation() {
    let Some(w) =
        PijulWorld::new("an_unrecorded_change_goes_off_channel_and_keeps_its_attestation")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    let ai = attrib_record(&w, &u, ANTHROPIC, "the AI's file");
    w.edit(&u, "b.txt", "b\n");
    let human = attrib_record(&w, &u, HUMAN, "my file");
    assert_eq!(log(&w, &u, &[]).len(), 2);

    // Independent files: the older change can go on its own.
    w.pijul(&u.repo, ["unrecord", &ai]);
    assert_eq!(w.pijul_log_len(&u), 1);

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&human, "channel", "attested")]);
    assert!(stderr.is_empty(), "{stderr}");

    let all = log(&w, &u, &["--all"]);
    assert_eq!(
        summary(&all),
        vec![
            row(&human, "channel", "attested"),
            row(&ai, "off-channel", "attested"),
        ]
    );
    let gone = find(&all, &ai);
    assert_eq!(
        gone["message"], "the AI's file",
        "its metadata is remembered"
    );
    assert_eq!(only_attestation(gone)["ai"]["model"], "claude-sonnet-4");
    assert!(log(&w, &u, &["--unattested"]).is_empty());
    assert!(log(&w, &u, &["--ai-only"]).is_empty(), "not on the channel");

    let show = u.show_json(&ai);
    assert_eq!(show["patch"], ai.as_str());
    assert_eq!(show["ai_assisted"], true);
    assert_eq!(show["attestations"][0]["ai"]["provider"], "anthropic");
    assert_eq!(show["attestations"][0]["verified"], true);
    // An off-channel change is still known by a prefix.
    assert_eq!(
        w.attrib(&u, ["show", &ai[..10], "--json"], &[]).ok().json()["patch"],
        ai.as_str()
    );

    // Recording it again (same edit, same author, new timestamp) is a new change.
    let again = plain_record(&w, &u, "the AI's file, again");
    assert_ne!(again, ai);
    let all = log(&w, &u, &["--all"]);
    assert_eq!(
        summary(&all),
        vec![
            row(&again, "channel", "unattested"),
            row(&human, "channel", "attested"),
            row(&ai, "off-channel", "attested"),
        ]
    );

    // Off-channel changes are listed newest first too, whatever their hashes.
    w.pijul(&u.repo, ["unrecord", &human]);
    assert_eq!(
        summary(&log(&w, &u, &["--all"])),
        vec![
            row(&again, "channel", "unattested"),
            row(&human, "off-channel", "attested"),
            row(&ai, "off-channel", "attested"),
        ]
    );
}

// ---------------------------------------------------------------------------------------------
// 4. Amend

#[test]
fn a_wrapped_amend_attests_the_new_hash_as_replacing_the_old() {
    let Some(w) = PijulWorld::new("a_wrapped_amend_attests_the_new_hash_as_replacing_the_old")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let old = attrib_record(&w, &u, ANTHROPIC, "old msg");
    w.edit(&u, "a.txt", "one\ntwo\n");
    let v = record_json(&w, &u, &[], &["--amend", "-a", "-m", "new msg"]);
    let new = v["patch"].as_str().unwrap().to_string();
    assert_ne!(new, old);
    assert_eq!(new, w.newest_hash(&u));
    assert_eq!(w.pijul_log_len(&u), 1, "the amend replaced the change");
    assert_eq!(v["replaces"], old.as_str());
    assert_eq!(v["ai"]["provider"], "anthropic");
    assert_eq!(v["ai"]["model"], "claude-sonnet-4");
    assert_eq!(v["ai"]["suggestion_type"], "complete");
    assert_eq!(v["origin"], "person");

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&new, "channel", "attested")]);
    assert_eq!(rows[0]["message"], "new msg");
    assert!(
        !stderr.contains("note:"),
        "the wrapper attested the amend itself; nothing to carry over: {stderr}"
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["replaces"], old.as_str());
    assert_eq!(a["ai"]["model"], "claude-sonnet-4");
    assert_eq!(
        summary(&log(&w, &u, &["--all"])),
        vec![
            row(&new, "channel", "attested"),
            row(&old, "off-channel", "attested"),
        ]
    );
    assert_eq!(find(&log(&w, &u, &["--all"]), &old)["message"], "old msg");

    // A capture flag on the amend says otherwise: the new hash is attested as human.
    w.edit(&u, "a.txt", "one\ntwo\nthree\n");
    let v = record_json(&w, &u, HUMAN, &["--amend", "-a", "-m", "by hand after all"]);
    let newer = v["patch"].as_str().unwrap().to_string();
    assert_eq!(v["replaces"], new.as_str());
    assert_eq!(v["ai"], Value::Null);
    let mut gone = vec![
        row(&new, "off-channel", "attested"),
        row(&old, "off-channel", "attested"),
    ];
    gone.sort();
    let mut want = vec![row(&newer, "channel", "attested")];
    want.extend(gone);
    assert_eq!(summary_all(&log(&w, &u, &["--all"])), want);

    // --amend=PREFIX names the change to amend.
    w.edit(&u, "a.txt", "one\ntwo\nthree\nfour\n");
    let arg = format!("--amend={}", &newer[..9]);
    let v = record_json(&w, &u, &[], &[&arg, "-a", "-m", "named"]);
    assert_eq!(v["replaces"], newer.as_str());
    assert_eq!(v["ai"], Value::Null, "the human attribution carries over");
}

/// The documented form `attrib record -- --amend -m MSG` (no `-a`): attrib runs Pijul without
/// a terminal, so it must not let Pijul open its editor, as it does for a plain record.
#[test]
fn a_wrapped_amend_without_all_does_not_open_an_editor() {
    let Some(w) = PijulWorld::new("a_wrapped_amend_without_all_does_not_open_an_editor") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let old = attrib_record(&w, &u, ANTHROPIC, "old msg");
    w.edit(&u, "a.txt", "one\ntwo\n");
    let v = record_json(&w, &u, &[], &["--amend", "-m", "new msg"]);
    let new = v["patch"].as_str().unwrap().to_string();
    assert_eq!(new, w.newest_hash(&u));
    assert_ne!(new, old);
    assert_eq!(v["replaces"], old.as_str());
    assert_eq!(v["ai"]["model"], "claude-sonnet-4");
    let rows = log(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&new, "channel", "attested")]);
    assert_eq!(rows[0]["message"], "new msg");
}

/// A plain `pijul record --amend` of a change this device attested (here by `annotate`, after
/// an attrib command had read the change from the channel): the next command carries the
/// attestation over to the new hash.
#[test]
fn a_plain_pijul_amend_carries_the_attestation_over() {
    let Some(w) = PijulWorld::new("a_plain_pijul_amend_carries_the_attestation_over") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let old = plain_record(&w, &u, "first");
    assert_eq!(
        summary(&log(&w, &u, &[])),
        vec![row(&old, "channel", "unattested")]
    );
    w.attrib(
        &u,
        [
            "annotate",
            &old,
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
        ],
        &[],
    )
    .ok();

    w.edit(&u, "a.txt", "one, amended\n");
    w.pijul(
        &u.repo,
        ["record", "--amend", "-a", "-m", "first (amended)"],
    );
    let new = w.newest_hash(&u);
    assert_ne!(new, old);
    assert_eq!(w.pijul_log_len(&u), 1);

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&new, "channel", "attested")]);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("attrib: note: attested {new} as AI openai/gpt-5"))
            && stderr.contains(&format!("carried over from {old}, which it amends")),
        "{stderr}"
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["patch"], new.as_str());
    assert_eq!(a["replaces"], old.as_str());
    assert_eq!(a["ai"]["provider"], "openai");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(a["author"]["name"], "ann");
    assert_eq!(a["origin"], "person");
    assert_eq!(rows[0]["message"], "first (amended)");
    assert_eq!(
        summary_all(&log(&w, &u, &["--all"])),
        vec![
            row(&new, "channel", "attested"),
            row(&old, "off-channel", "attested"),
        ]
    );
    // Carried over once: the next command has nothing to say.
    let (again, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(again, rows);
    assert!(stderr.is_empty(), "{stderr}");
    let show = u.show_json(&new);
    assert_eq!(show["attestations"].as_array().unwrap().len(), 1);
    assert_eq!(show["attestations"][0]["verified"], true);
    // The old hash keeps its own attestation.
    assert_eq!(
        u.show_json(&old)["attestations"][0]["replaces"],
        Value::Null
    );
}

/// The same, straight after `attrib record` (the usual way to attest): the amended change must
/// be recognised although no attrib command ran in between.
#[test]
fn a_plain_pijul_amend_right_after_attrib_record_carries_the_attestation_over() {
    let Some(w) = PijulWorld::new(
        "a_plain_pijul_amend_right_after_attrib_record_carries_the_attestation_over",
    ) else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let old = attrib_record(&w, &u, OPENAI, "first");
    // Whatever attrib commands run in between (they find nothing new).
    assert_eq!(log(&w, &u, &[]).len(), 1);
    w.edit(&u, "a.txt", "one, amended\n");
    w.pijul(
        &u.repo,
        ["record", "--amend", "-a", "-m", "first (amended)"],
    );
    let new = w.newest_hash(&u);
    assert_ne!(new, old);

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&new, "channel", "attested")]);
    assert!(
        stderr.contains(&format!("carried over from {old}")),
        "{stderr}"
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["replaces"], old.as_str());
    assert_eq!(a["ai"]["provider"], "openai");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(
        summary_all(&log(&w, &u, &["--all"])),
        vec![
            row(&new, "channel", "attested"),
            row(&old, "off-channel", "attested"),
        ]
    );
}

/// `attrib record` does not read the new change's header (that would cost a second Pijul
/// process): a plain amend before any command read it is still recognised, by the window in
/// which the record ran, and the attestation is carried over.
#[test]
fn a_plain_amend_before_the_recorded_header_was_read_still_carries_over() {
    let Some(w) =
        PijulWorld::new("a_plain_amend_before_the_recorded_header_was_read_still_carries_over")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let first = attrib_record(&w, &u, OPENAI, "first");
    w.edit(&u, "a.txt", "one\ntwo\n");
    let old = attrib_record(&w, &u, OPENAI, "second");
    w.edit(&u, "a.txt", "one\ntwo, amended\n");
    w.pijul(
        &u.repo,
        ["record", "--amend", "-a", "-m", "second (amended)"],
    );
    let new = w.newest_hash(&u);
    assert_ne!(new, old);

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&new, "channel", "attested"),
            row(&first, "channel", "attested"),
        ]
    );
    assert!(
        stderr.contains(&format!("carried over from {old}")),
        "{stderr}"
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["replaces"], old.as_str());
    // The header read later is Pijul's own, the amended change's.
    assert_eq!(
        rows[0]["authors"][0], "Ada (ada) <ada@example.org>",
        "{}",
        rows[0]
    );
    assert_eq!(rows[0]["message"], "second (amended)");
}

/// `attrib log --json` gives every channel change Pijul's author and timestamp, including one
/// `attrib record` just recorded.
#[test]
fn a_wrapped_record_is_listed_with_pijuls_author_and_timestamp() {
    let Some(w) = PijulWorld::new("a_wrapped_record_is_listed_with_pijuls_author_and_timestamp")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "one\n");
    let h = attrib_record(&w, &u, OPENAI, "first");
    let pijul_log: Value =
        serde_json::from_str(&w.pijul(&u.repo, ["log", "--output-format", "json"])).unwrap();
    let rows = log(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&h, "channel", "attested")]);
    assert_eq!(rows[0]["message"], "first");
    assert_eq!(rows[0]["authors"], pijul_log[0]["authors"], "{rows:#?}");
    assert_eq!(rows[0]["timestamp"], pijul_log[0]["timestamp"], "{rows:#?}");
    let text = w.attrib(&u, ["log"], &[]).ok();
    assert!(
        text.stdout.lines().nth(1).unwrap().contains("Ada"),
        "{}",
        text.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Conflicts

#[test]
fn a_conflicting_pull_blames_with_marker_rows() {
    let Some(w) = PijulWorld::new("a_conflicting_pull_blames_with_marker_rows") else {
        return;
    };
    let ann = w.user("ann");
    w.edit(&ann, "a.txt", "base\n");
    let base = attrib_record(&w, &ann, HUMAN, "base");
    let bob = clone_member(&w, &ann, "bob");

    // Both replace the same line.
    w.edit(&ann, "a.txt", "ann's line\n");
    let mine = attrib_record(&w, &ann, OPENAI, "ann edits");
    w.edit(&bob, "a.txt", "bob's line\n");
    let theirs = attrib_record(&w, &bob, HUMAN, "bob edits");
    w.pijul(
        &ann.repo,
        [OsStr::new("pull"), OsStr::new("-a"), bob.repo.as_os_str()],
    );
    import(&w, &ann, &export(&w, &bob));
    let text = fs::read_to_string(ann.repo.join("a.txt")).unwrap();
    assert!(text.contains(">>>>>>>"), "a conflict: {text}");

    let out = w.attrib(&ann, ["blame", "a.txt", "--json"], &[]).ok();
    let rows = out.json().as_array().unwrap().clone();
    let markers: Vec<&Value> = rows.iter().filter(|r| r.get("marker").is_some()).collect();
    let lines: Vec<&Value> = rows.iter().filter(|r| r.get("marker").is_none()).collect();
    let kinds: Vec<&str> = markers
        .iter()
        .map(|m| m["marker"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["start", "separator", "end"], "{rows:#?}");
    let id = &markers[0]["conflict"];
    assert!(id.is_number(), "{rows:#?}");
    for m in &markers {
        assert_eq!(&m["conflict"], id);
        assert_eq!(m["line"], Value::Null);
        assert_eq!(m["change"], Value::Null);
        assert_eq!(m["attribution"], Value::Null);
    }
    let mut sides: Vec<&str> = markers
        .iter()
        .filter_map(|m| m["sides"].as_array())
        .flatten()
        .map(|s| s.as_str().unwrap())
        .collect();
    sides.sort();
    let mut both = vec![mine.as_str(), theirs.as_str()];
    both.sort();
    assert_eq!(sides, both, "{rows:#?}");
    assert_eq!(lines.len(), 2, "{rows:#?}");
    let by_text = |t: &str| {
        *lines
            .iter()
            .find(|r| r["text"] == t)
            .unwrap_or_else(|| panic!("no line {t:?}: {rows:#?}"))
    };
    let a = by_text("ann's line");
    assert_eq!(a["change"], mine.as_str());
    assert_eq!(a["attribution"]["kind"], "ai");
    assert_eq!(a["attribution"]["model"], "gpt-5");
    assert_eq!(&a["conflict"], id);
    let b = by_text("bob's line");
    assert_eq!(b["change"], theirs.as_str());
    assert_eq!(b["attribution"]["kind"], "human");
    assert_eq!(&b["conflict"], id);
    // The marker rows come in file order: start, one side, separator, the other, end.
    let pos = |r: &Value| rows.iter().position(|x| x == r).unwrap();
    assert!(pos(markers[0]) < pos(markers[1]) && pos(markers[1]) < pos(markers[2]));

    let table = w.attrib(&ann, ["blame", "a.txt"], &[]).ok();
    assert!(table.stdout.contains("conflict"), "{}", table.stdout);

    // The log still lists all three, attested.
    let rows = log(&w, &ann, &[]);
    let mut got = summary(&rows);
    got.sort();
    let mut want = vec![
        row(&base, "channel", "attested"),
        row(&mine, "channel", "attested"),
        row(&theirs, "channel", "attested"),
    ];
    want.sort();
    assert_eq!(got, want);
    assert_eq!(rows[2]["change"], base.as_str(), "oldest last");
}

// ---------------------------------------------------------------------------------------------
// 6. The pre-record hook

#[test]
fn the_pre_record_hook_attests_a_plain_pijul_record() {
    let Some(w) = PijulWorld::new("the_pre_record_hook_attests_a_plain_pijul_record") else {
        return;
    };
    let u = w.user("ann");
    let out = w.attrib(&u, ["init", "--install-hooks"], &[]).ok();
    assert!(
        out.stdout.contains("installed the pre-record hook"),
        "{}",
        out.stdout
    );
    let config = u.repo.join(".pijul/config.toml");
    let once = fs::read_to_string(&config).unwrap();
    assert_eq!(once.matches("hook pre-record").count(), 1, "{once}");
    let out = w.attrib(&u, ["init", "--install-hooks"], &[]).ok();
    assert!(out.stdout.contains("already installed"), "{}", out.stdout);
    assert_eq!(fs::read_to_string(&config).unwrap(), once, "idempotent");

    // A plain record in an AI session: the hook leaves a pending capture.
    w.edit(&u, "a.txt", "a\n");
    let rec = pijul_as(
        &w,
        &u,
        &["record", "-am", "msg"],
        &[
            ("ATTRIB_AI_PROVIDER", "openai"),
            ("ATTRIB_AI_MODEL", "gpt-5"),
        ],
    );
    assert!(rec.status.success(), "{rec:?}");
    let h1 = w.newest_hash(&u);
    let pending = u.repo.join(".pijul/attrib/pending-captures.json");
    assert!(pending.is_file(), "the hook left a pending capture");

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&h1, "channel", "attested")]);
    assert!(
        stderr.contains(&format!("note: attested {h1}")) && stderr.contains("pre-record hook"),
        "{stderr}"
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["ai"]["provider"], "openai");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(a["origin"], "person");
    assert_eq!(a["author"]["name"], "ann");
    assert!(!pending.exists(), "the capture was used up");
    let (_, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(stderr.is_empty(), "attested once: {stderr}");

    // An agent's session (ATTRIB_ORIGIN=agent, ATOMIC_AI_* names).
    w.edit(&u, "a.txt", "a\nb\n");
    let rec = pijul_as(
        &w,
        &u,
        &["record", "-am", "by the agent"],
        &[
            ("ATTRIB_ORIGIN", "agent"),
            ("ATOMIC_AI_PROVIDER", "anthropic"),
            ("ATOMIC_AI_MODEL", "claude-opus-4"),
            ("ATOMIC_AI_SUGGESTION_TYPE", "complete"),
        ],
    );
    assert!(rec.status.success(), "{rec:?}");
    let h2 = w.newest_hash(&u);
    let rows = log(&w, &u, &[]);
    assert_eq!(
        summary(&rows),
        vec![
            row(&h2, "channel", "attested"),
            row(&h1, "channel", "attested")
        ]
    );
    let a = only_attestation(&rows[0]);
    assert_eq!(a["origin"], "agent-hook");
    assert_eq!(a["ai"]["provider"], "anthropic");
    assert_eq!(a["ai"]["model"], "claude-opus-4");
    assert_eq!(a["ai"]["suggestion_type"], "complete");

    // No AI in the session: a human-written change.
    w.edit(&u, "a.txt", "a\nb\nc\n");
    let rec = pijul_as(&w, &u, &["record", "-am", "by hand"], &[]);
    assert!(rec.status.success(), "{rec:?}");
    let h3 = w.newest_hash(&u);
    let rows = log(&w, &u, &[]);
    let a = only_attestation(find(&rows, &h3));
    assert_eq!(a["ai"], Value::Null);
    assert_eq!(a["origin"], "person");

    // The wrapper does not also leave a capture for its own record.
    w.edit(&u, "a.txt", "a\nb\nc\nd\n");
    let h4 = attrib_record(&w, &u, OPENAI, "wrapped");
    assert!(!pending.exists());
    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(stderr.is_empty(), "{stderr}");
    assert_eq!(
        find(&rows, &h4)["attestations"].as_array().unwrap().len(),
        1
    );
}

#[test]
fn a_failing_pre_record_hook_stops_the_record_and_the_next_command_says_why() {
    let Some(w) =
        PijulWorld::new("a_failing_pre_record_hook_stops_the_record_and_the_next_command_says_why")
    else {
        return;
    };
    let u = w.user("ann");
    w.attrib(&u, ["init", "--install-hooks"], &[]).ok();
    w.edit(&u, "a.txt", "a\n");
    let rec = pijul_as(
        &w,
        &u,
        &["record", "-am", "msg"],
        &[
            ("ATTRIB_AI_PROVIDER", "openai"),
            ("ATTRIB_AI_MODEL", "gpt-5"),
            ("ATTRIB_AI_CONFIDENCE", "banana"),
        ],
    );
    assert!(!rec.status.success(), "Pijul must refuse: {rec:?}");
    assert_eq!(w.pijul_log_len(&u), 0, "nothing was recorded");

    let (rows, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(rows.is_empty(), "{rows:?}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("attrib: warning: ")
            && stderr.contains("ATTRIB_AI_CONFIDENCE")
            && stderr.contains("banana"),
        "{stderr}"
    );
    let (_, stderr) = log_with_stderr(&w, &u, &[]);
    assert!(stderr.is_empty(), "reported once: {stderr}");

    // Fixed, the same record goes through and is attested.
    let rec = pijul_as(
        &w,
        &u,
        &["record", "-am", "msg"],
        &[
            ("ATTRIB_AI_PROVIDER", "openai"),
            ("ATTRIB_AI_MODEL", "gpt-5"),
            ("ATTRIB_AI_CONFIDENCE", "0.7"),
        ],
    );
    assert!(rec.status.success(), "{rec:?}");
    let h = w.newest_hash(&u);
    let rows = log(&w, &u, &[]);
    assert_eq!(summary(&rows), vec![row(&h, "channel", "attested")]);
    assert_eq!(only_attestation(&rows[0])["ai"]["confidence"], 0.7);
}

// ---------------------------------------------------------------------------------------------
// 7. Trailers

#[test]
fn trailers_in_the_message_are_detected_unless_a_flag_decides() {
    let Some(w) = PijulWorld::new("trailers_in_the_message_are_detected_unless_a_flag_decides")
    else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    let v = record_json(
        &w,
        &u,
        &[],
        &[
            "-m",
            "Fix",
            "--description",
            "Co-authored-by: Claude <noreply@anthropic.com>",
        ],
    );
    let h1 = v["patch"].as_str().unwrap().to_string();
    assert_eq!(h1, w.newest_hash(&u));
    assert_eq!(v["origin"], "detected");
    assert_eq!(v["ai"]["provider"], "anthropic");
    assert_eq!(v["ai"]["model"], "claude");
    assert_eq!(v["ai"]["confidence"], 0.5);

    w.edit(&u, "a.txt", "a\nb\n");
    let v = record_json(
        &w,
        &u,
        HUMAN,
        &[
            "-m",
            "Fix again",
            "--description",
            "Co-authored-by: Claude <noreply@anthropic.com>",
        ],
    );
    let h2 = v["patch"].as_str().unwrap().to_string();
    assert_eq!(v["ai"], Value::Null);
    assert_eq!(v["origin"], "person");

    // Assisted-by names the model; a flag naming the AI wins over the trailer.
    w.edit(&u, "a.txt", "a\nb\nc\n");
    let v = record_json(
        &w,
        &u,
        &[],
        &[
            "-m",
            "Third",
            "--description",
            "Assisted-by: Claude:claude-opus-4",
        ],
    );
    assert_eq!(v["origin"], "detected");
    assert_eq!(v["ai"]["provider"], "anthropic");
    assert_eq!(v["ai"]["model"], "claude-opus-4");
    w.edit(&u, "a.txt", "a\nb\nc\nd\n");
    let v = record_json(
        &w,
        &u,
        OPENAI,
        &[
            "-m",
            "Fourth",
            "--description",
            "Assisted-by: Claude:claude-opus-4",
        ],
    );
    assert_eq!(v["origin"], "person");
    assert_eq!(v["ai"]["provider"], "openai");
    assert_eq!(v["ai"]["confidence"], Value::Null);

    let rows = log(&w, &u, &[]);
    assert_eq!(rows.len(), 4);
    assert_eq!(only_attestation(find(&rows, &h1))["origin"], "detected");
    assert_eq!(only_attestation(find(&rows, &h2))["ai"], Value::Null);
    let text = w.attrib(&u, ["log"], &[]).ok();
    assert!(text.stdout.contains("(detected)"), "{}", text.stdout);
}

// ---------------------------------------------------------------------------------------------
// 8. Config

#[test]
fn the_ai_config_decides_when_no_flag_does_and_a_typo_is_named() {
    let Some(w) = PijulWorld::new("the_ai_config_decides_when_no_flag_does_and_a_typo_is_named")
    else {
        return;
    };
    let u = w.user("ann");
    let repo_config = u.repo.join(".pijul/attrib/config.toml");
    fs::write(
        &repo_config,
        "[ai]\nenabled = true\nprovider = \"mistral\"\nmodel = \"devstral\"\n",
    )
    .unwrap();
    w.edit(&u, "a.txt", "a\n");
    let v = record_json(&w, &u, &[], &["-m", "x"]);
    assert_eq!(v["patch"], w.newest_hash(&u));
    assert_eq!(v["ai"]["provider"], "mistral");
    assert_eq!(v["ai"]["model"], "devstral");
    assert_eq!(v["origin"], "person");

    // A flag beats the config.
    w.edit(&u, "a.txt", "a\nb\n");
    assert_eq!(record_json(&w, &u, HUMAN, &["-m", "y"])["ai"], Value::Null);

    // The user's config, overlaid key by key by the repository's.
    fs::create_dir_all(&u.config).unwrap();
    fs::write(
        u.config.join("config.toml"),
        "[ai]\nprovider = \"anthropic\"\nmodel = \"claude-opus-4\"\n",
    )
    .unwrap();
    fs::write(
        &repo_config,
        "[ai]\nenabled = true\nmodel = \"claude-sonnet-4\"\n",
    )
    .unwrap();
    w.edit(&u, "a.txt", "a\nb\nc\n");
    let v = record_json(&w, &u, &[], &["-m", "z"]);
    assert_eq!(v["ai"]["provider"], "anthropic");
    assert_eq!(v["ai"]["model"], "claude-sonnet-4");

    // A typo: one line naming the key, nothing recorded.
    fs::write(
        &repo_config,
        "[ai]\nenabled = true\nprovdier = \"mistral\"\n",
    )
    .unwrap();
    w.edit(&u, "a.txt", "a\nb\nc\nd\n");
    let before = w.pijul_log_len(&u);
    w.attrib(&u, ["record", "--", "-m", "typo"], &[])
        .fails()
        .mentions("provdier")
        .mentions("config.toml");
    assert_eq!(w.pijul_log_len(&u), before, "nothing was recorded");
    fs::write(&repo_config, "[ia]\nenabled = true\n").unwrap();
    w.attrib(&u, ["record", "--", "-m", "typo"], &[])
        .fails()
        .mentions("ia");
    assert_eq!(w.pijul_log_len(&u), before, "nothing was recorded");
}

// ---------------------------------------------------------------------------------------------
// 9. Stats

#[test]
fn stats_counts_patches_and_lines_by_class_and_model() {
    let Some(w) = PijulWorld::new("stats_counts_patches_and_lines_by_class_and_model") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "ai.txt", "a1\na2\na3\n");
    attrib_record(&w, &u, OPENAI, "three AI lines");
    w.edit(&u, "human.txt", "h1\nh2\n");
    attrib_record(&w, &u, HUMAN, "two human lines");
    w.edit(&u, "plain.txt", "p1\n");
    plain_record(&w, &u, "one plain line");

    let v = w.attrib(&u, ["stats", "--json"], &[]).ok().json();
    assert_eq!(v["scope"], "channel", "{v:#}");
    assert_eq!(v["channel"], "main");
    assert_eq!(
        v["patches"],
        json!({"total": 3, "ai": 1, "human": 1, "unattested": 1}),
        "{v:#}"
    );
    assert_eq!(
        v["lines"],
        json!({"total": 6, "ai": 3, "human": 2, "unattested": 1, "files": 3, "skipped_files": []}),
        "{v:#}"
    );
    assert_eq!(
        v["by_model"],
        json!([{"provider": "openai", "model": "gpt-5", "patches": 1, "lines": 3}])
    );

    // The text form says the same, and a second run (counts kept beside the store) agrees.
    let text = w.attrib(&u, ["stats"], &[]).ok();
    assert!(
        text.stdout.contains("3 changes, 6 lines in 3 files"),
        "{}",
        text.stdout
    );
    assert_eq!(w.attrib(&u, ["stats", "--json"], &[]).ok().json(), v);

    // Another line by hand, and the AI's first line deleted: the counts follow the tree.
    w.edit(&u, "human.txt", "h1\nh2\nh3\n");
    w.edit(&u, "ai.txt", "a2\na3\n");
    attrib_record(&w, &u, HUMAN, "edits");
    let v = w.attrib(&u, ["stats", "--json"], &[]).ok().json();
    assert_eq!(
        v["lines"],
        json!({"total": 6, "ai": 2, "human": 3, "unattested": 1, "files": 3, "skipped_files": []}),
        "{v:#}"
    );
    assert_eq!(
        v["patches"],
        json!({"total": 4, "ai": 1, "human": 2, "unattested": 1}),
        "{v:#}"
    );
    assert_eq!(
        v["by_model"],
        json!([{"provider": "openai", "model": "gpt-5", "patches": 1, "lines": 2}])
    );
}

// ---------------------------------------------------------------------------------------------
// 10. Errors

#[test]
fn pijul_errors_are_one_clear_line() {
    let Some(w) = PijulWorld::new("pijul_errors_are_one_clear_line") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");

    // A binary of an unsupported version.
    let dir = w.sb.dir("old-bin");
    let fake = dir.join("pijul");
    fs::write(&fake, "#!/bin/sh\necho 'pijul 0.12.0'\n").unwrap();
    fs::set_permissions(&fake, fs::Permissions::from_mode(0o755)).unwrap();
    w.attrib(
        &u,
        ["record", "--", "-m", "m"],
        &[("ATTRIB_VCS_BINARY", fake.to_str().unwrap())],
    )
    .fails()
    .mentions("0.12.0");
    // The config's [vcs] binary is read too.
    fs::write(
        u.repo.join(".pijul/attrib/config.toml"),
        format!("[vcs]\nbinary = \"{}\"\n", fake.display()),
    )
    .unwrap();
    w.attrib(&u, ["record", "--", "-m", "m"], &[])
        .fails()
        .mentions("0.12.0");
    fs::remove_file(u.repo.join(".pijul/attrib/config.toml")).unwrap();
    assert_eq!(w.pijul_log_len(&u), 0);

    // A well-formed hash the repository never had.
    let stranger = "MNYNGT2VGEQZX4QA43FWBDVYQY7CGXN4J2CGE5FDFIHOWQFKFIJQC";
    w.attrib(
        &u,
        [
            "annotate",
            stranger,
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
        ],
        &[],
    )
    .fails()
    .mentions("not in this repository");

    // Another pre-record hook that fails: nothing recorded, nothing attested.
    let config = u.repo.join(".pijul/config.toml");
    fs::write(&config, "[hooks]\nrecord = [\"false\"]\n").unwrap();
    w.attrib(&u, ["record", "--", "-m", "m"], &[])
        .fails()
        .mentions("hook");
    assert_eq!(w.pijul_log_len(&u), 0, "nothing was recorded");
    assert!(log(&w, &u, &[]).is_empty());

    // Without it the same record goes through.
    fs::write(&config, "[hooks]\n").unwrap();
    let h1 = recorded_hash(&w.attrib(&u, ["record", "--", "-m", "m"], &[]).ok());
    assert_eq!(h1, w.newest_hash(&u));
}

// ---------------------------------------------------------------------------------------------
// 11. Reconciling twice

#[test]
fn reconciling_an_unchanged_channel_changes_nothing() {
    let Some(w) = PijulWorld::new("reconciling_an_unchanged_channel_changes_nothing") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a\n");
    attrib_record(&w, &u, OPENAI, "ai");
    w.edit(&u, "a.txt", "a\nb\n");
    plain_record(&w, &u, "plain");
    w.edit(&u, "c.txt", "c\n");
    let gone = plain_record(&w, &u, "plain again");
    assert_eq!(log(&w, &u, &[]).len(), 3);
    w.pijul(&u.repo, ["unrecord", &gone]);

    let tracker = u.repo.join(".pijul/attrib/channels.bin");
    let first = w.attrib(&u, ["log", "--json", "--all"], &[]).ok();
    let bytes = fs::read(&tracker).expect("the tracker is saved");
    let mtime = fs::metadata(&tracker).unwrap().modified().unwrap();
    // Coarse file-system clocks: make sure a rewrite would show.
    std::thread::sleep(std::time::Duration::from_millis(20));
    for _ in 0..2 {
        let again = w.attrib(&u, ["log", "--json", "--all"], &[]).ok();
        assert_eq!(again.stdout, first.stdout);
        assert!(again.stderr.is_empty(), "{}", again.stderr);
        assert_eq!(fs::read(&tracker).unwrap(), bytes, "byte-identical");
        assert_eq!(
            fs::metadata(&tracker).unwrap().modified().unwrap(),
            mtime,
            "not rewritten"
        );
    }
    let v = first.json();
    assert_eq!(v.as_array().unwrap().len(), 3, "{v:#}");
    assert_eq!(v[2]["change"], gone.as_str());
    assert_eq!(v[2]["place"], "off-channel");
    // Nor do other read-only commands: the channel's record stays what it was.
    w.attrib(&u, ["stats", "--json"], &[]).ok();
    w.attrib(&u, ["verify"], &[]).ok();
    assert_eq!(
        w.attrib(&u, ["log", "--json", "--all"], &[]).ok().stdout,
        first.stdout
    );

    // Straight after a wrapped record too: the first command may settle the tracker, the
    // ones after it change nothing.
    w.edit(&u, "d.txt", "d\n");
    let h = attrib_record(&w, &u, HUMAN, "wrapped");
    let first = w.attrib(&u, ["log", "--json", "--all"], &[]).ok();
    assert_eq!(first.json()[0]["change"], h.as_str());
    let bytes = fs::read(&tracker).unwrap();
    let mtime = fs::metadata(&tracker).unwrap().modified().unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    for _ in 0..2 {
        let again = w.attrib(&u, ["log", "--json", "--all"], &[]).ok();
        assert_eq!(again.stdout, first.stdout);
        assert!(again.stderr.is_empty(), "{}", again.stderr);
        assert_eq!(fs::read(&tracker).unwrap(), bytes, "byte-identical");
        assert_eq!(fs::metadata(&tracker).unwrap().modified().unwrap(), mtime);
    }
}
