//! `attrib check`: every policy rule broken and kept on a real Pijul history with a known
//! answer, the ranges (`--since`, `--not-on CHANNEL`), and the error contract. Without `pijul`
//! the test prints why and passes unrun, unless `ATTRIB_REQUIRE_PIJUL=1` (CI) makes that a
//! failure.

use std::ffi::OsStr;
use std::path::PathBuf;

use serde_json::Value;

use crate::pijul_world::{attrib_record, PijulWorld};
use crate::support::{Output, User};

/// `(change, rule)` of every violation `check --json` reports, in order.
fn violations(v: &Value, names: &[(&str, &str)]) -> Vec<(String, String)> {
    v["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| {
            let change = x["change"].as_str().unwrap_or("range");
            let name = names
                .iter()
                .find(|(h, _)| *h == change)
                .map_or(change, |(_, n)| n);
            (name.to_string(), x["rule"].as_str().unwrap().to_string())
        })
        .collect()
}

fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
    v.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

fn lines(n: usize, tag: &str) -> String {
    (1..=n).map(|i| format!("{tag} line {i}\n")).collect()
}

#[test]
fn policy_check_each_rule_broken_and_kept_on_a_pijul_history() {
    let Some(w) = PijulWorld::new("policy_check_each_rule_broken_and_kept_on_a_pijul_history")
    else {
        return;
    };
    let ada = w.user("ada");
    // Bob works outside the repository: his claims and reviews name ada's changes by hash.
    let bob = w.sb.user("bob");
    bob.run(["identity", "new", "--name", "bob"]).ok();
    w.attrib(&ada, ["team", "add", &bob.pubkey(), "--name", "bob"], &[])
        .ok();
    let team = export(&w, &ada);
    bob.run([OsStr::new("init"), OsStr::new("--join"), team.as_os_str()])
        .ok();

    // c1: AI (anthropic/claude-sonnet-4), a trailer, approved by bob after 300 s; 4 lines.
    w.edit(&ada, "one.txt", &lines(4, "one"));
    let c1 = record(
        &w,
        &ada,
        &[
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
        ],
        &[
            "-m",
            "one",
            "--description",
            "Assisted-by: claude-code:claude-sonnet-4",
        ],
    );
    w.pijul(&ada.repo, ["fork", "base"]);
    // c2: AI (openai/gpt-5), no trailer; bob attests it too and approves it after 30 s; 2 lines.
    w.edit(&ada, "two.txt", &lines(2, "two"));
    let c2 = record(
        &w,
        &ada,
        &["--ai-provider", "openai", "--ai-model", "gpt-5"],
        &["-m", "two"],
    );
    // c3: human; 4 lines. c4: a plain pijul record, unattested; 2 lines.
    w.edit(&ada, "three.txt", &lines(4, "three"));
    let c3 = record(&w, &ada, &["--no-ai"], &["-m", "three"]);
    w.edit(&ada, "four.txt", &lines(2, "four"));
    w.pijul(&ada.repo, ["record", "-a", "-m", "four"]);
    let c4 = w.newest_hash(&ada);
    // c5: AI (anthropic/claude-opus-4) with a trailer, never reviewed; 4 lines.
    w.edit(&ada, "five.txt", &lines(4, "five"));
    let c5 = record(
        &w,
        &ada,
        &["--ai-provider", "anthropic", "--ai-model", "claude-opus-4"],
        &[
            "-m",
            "five",
            "--description",
            "Co-authored-by: Claude <noreply@anthropic.com>",
        ],
    );
    let ours = export(&w, &ada);
    bob.import(&ours).ok();
    bob.run(["review", &c1, "--seconds", "300", "--verdict", "approve"])
        .ok();
    bob.run(["annotate", &c2, "--no-ai"]).ok();
    bob.run(["review", &c2, "--seconds", "30", "--verdict", "approve"])
        .ok();
    let theirs = export(&w, &bob);
    w.attrib(&ada, [OsStr::new("import"), theirs.as_os_str()], &[])
        .ok();

    let names = [
        (c1.as_str(), "c1"),
        (c2.as_str(), "c2"),
        (c3.as_str(), "c3"),
        (c4.as_str(), "c4"),
        (c5.as_str(), "c5"),
    ];
    let check = |policy: &str, extra: &[&str]| -> Output {
        let path = policy_file(&w, policy);
        let mut args = vec![
            OsStr::new("check"),
            OsStr::new("--policy"),
            path.as_os_str(),
        ];
        args.extend(extra.iter().map(OsStr::new));
        args.push(OsStr::new("--json"));
        w.attrib(&ada, args, &[])
    };
    let broken = |policy: &str, expected: &[(&str, &str)]| {
        let out = check(policy, &[]).fails();
        assert!(out.message().contains("violation"), "{}", out.stderr);
        let v = out.json();
        assert_eq!(v["ok"], false);
        assert_eq!(violations(&v, &names), pairs(expected), "{policy}");
    };
    let kept = |policy: &str| {
        let v = check(policy, &[]).ok().json();
        assert_eq!(v["violations"], Value::Array(vec![]), "{policy}: {v}");
        assert_eq!(v["changes"], 5);
    };

    kept("");
    broken(
        "require_attestation = true",
        &[("c4", "require_attestation")],
    );
    broken(
        "ai_changes_need_review = true",
        &[("c5", "ai_changes_need_review")],
    );
    broken(
        "ai_changes_need_review = true\nreview_by_other_member = true",
        &[
            ("c2", "review_by_other_member"),
            ("c5", "ai_changes_need_review"),
        ],
    );
    broken(
        "min_review_seconds = 120",
        &[("c2", "min_review_seconds"), ("c5", "min_review_seconds")],
    );
    broken(
        "allowed_providers = [\"anthropic\"]",
        &[("c2", "allowed_providers")],
    );
    kept("allowed_providers = [\"Anthropic\", \"openai\"]");
    broken(
        "allowed_models = [\"claude-sonnet-4\", \"openai/gpt-5\"]",
        &[("c5", "allowed_models")],
    );
    kept("allowed_models = [\"claude-sonnet-4\", \"claude-opus-4\", \"gpt-5\"]");
    broken(
        "require_trailer_for_ai = true",
        &[("c2", "require_trailer_for_ai")],
    );
    // AI lines: c1 4, c2 2, c5 4 (claims on whole changes) of 16 added: 62.5 %.
    broken("max_ai_line_share = 0.5", &[("range", "max_ai_line_share")]);
    let v = check("max_ai_line_share = 0.7", &[]).ok().json();
    assert_eq!(v["ai_lines"], serde_json::json!([10, 16]));

    // The ranges: the changes the channel `base` lacks (c2..c5), and a future date (none).
    let v = check("require_attestation = true", &["--not-on", "base"])
        .fails()
        .json();
    assert_eq!(v["changes"], 4);
    assert_eq!(
        violations(&v, &names),
        pairs(&[("c4", "require_attestation")])
    );
    let v = check("require_trailer_for_ai = true", &["--since", "2999-01-01"])
        .ok()
        .json();
    assert_eq!(v["changes"], 0);

    // The human form: one line per violation naming the change and the rule, then a summary.
    let path = policy_file(
        &w,
        "require_attestation = true\nrequire_trailer_for_ai = true",
    );
    let out = w
        .attrib(
            &ada,
            [
                OsStr::new("check"),
                OsStr::new("--policy"),
                path.as_os_str(),
            ],
            &[],
        )
        .fails();
    let text: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(text.len(), 3, "{}", out.stdout);
    assert!(
        text[0].starts_with(&format!("{c2} \"two\": require_trailer_for_ai: ")),
        "{}",
        text[0]
    );
    assert!(
        text[1].starts_with(&format!("{c4} \"four\": require_attestation: ")),
        "{}",
        text[1]
    );
    assert!(
        text[2].starts_with("checked 5 changes (4 attested, 3 AI-assisted)"),
        "{}",
        text[2]
    );

    // The default file in the repository's root, and the error contract.
    std::fs::write(
        ada.repo.join("attrib-policy.toml"),
        "require_attestation = false\n",
    )
    .unwrap();
    w.attrib(&ada, ["check"], &[]).ok();
    std::fs::write(
        ada.repo.join("attrib-policy.toml"),
        "require_atestation = true\n",
    )
    .unwrap();
    w.attrib(&ada, ["check"], &[])
        .fails()
        .mentions("require_atestation");
    std::fs::remove_file(ada.repo.join("attrib-policy.toml")).unwrap();
    w.attrib(&ada, ["check"], &[])
        .fails()
        .mentions("attrib-policy.toml");
    w.attrib(&ada, ["check", "--since", "yesterday-ish"], &[])
        .usage_err();
    let path = policy_file(&w, "");
    w.attrib(
        &ada,
        [
            OsStr::new("check"),
            OsStr::new("--policy"),
            path.as_os_str(),
            OsStr::new("--not-on"),
            OsStr::new("nope"),
        ],
        &[],
    )
    .fails()
    .mentions("nope");
    w.attrib(
        &ada,
        [
            OsStr::new("check"),
            OsStr::new("--policy"),
            path.as_os_str(),
            OsStr::new("main..HEAD"),
        ],
        &[],
    )
    .fails()
    .mentions("git range");
    let _ = c3;
}

/// `attrib record CAPTURE -- PIJUL_ARGS` as `u`: the new hash.
fn record(w: &PijulWorld, u: &User, capture: &[&str], pijul_args: &[&str]) -> String {
    let message = pijul_args[1];
    let rest = &pijul_args[2..];
    if rest.is_empty() {
        return attrib_record(w, u, capture, message);
    }
    let mut args = vec!["record", "--json"];
    args.extend_from_slice(capture);
    args.push("--");
    args.extend_from_slice(pijul_args);
    let v = w.attrib(u, args, &[]).ok().json();
    v["patch"].as_str().unwrap().to_string()
}

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

fn policy_file(w: &PijulWorld, text: &str) -> PathBuf {
    let path = w.sb.file("policy").with_extension("toml");
    std::fs::write(&path, format!("{text}\n")).unwrap();
    path
}
