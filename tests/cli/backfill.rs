//! `attrib backfill` against real histories: a Pijul one (real `pijul`, skipped without it
//! unless `ATTRIB_REQUIRE_PIJUL=1`) and a git one (real `git`), each with AI trailers planted
//! in known changes. The counts must equal the planted trailers; a second run signs nothing; a
//! change somebody attested keeps its attestation; `--dry-run` writes nothing; `--since`
//! limits; `log` afterwards shows the detected claims.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

use crate::pijul_world::PijulWorld;
use crate::support::{Output, Sandbox, User};

/// One change of the fixture history.
struct Planted {
    subject: &'static str,
    /// The rest of the message (where trailers go); empty for none.
    body: &'static str,
    /// The change's own time (RFC 3339, UTC).
    when: &'static str,
    /// What backfill must detect: (provider, model, agent tool).
    ai: Option<(&'static str, &'static str, Option<&'static str>)>,
}

/// Oldest first. Six trailers planted, of every form; two plain messages and a human co-author.
const HISTORY: &[Planted] = &[
    Planted {
        subject: "add the parser",
        body: "",
        when: "2024-01-10T10:00:00Z",
        ai: None,
    },
    Planted {
        subject: "parser: trailing commas",
        body: "Handles `a, b,`.\n\n🤖 Generated with [Claude Code](https://claude.com/claude-code)\n\nCo-Authored-By: Claude <noreply@anthropic.com>",
        when: "2024-02-10T10:00:00Z",
        ai: Some(("anthropic", "claude", Some("claude-code"))),
    },
    Planted {
        subject: "mm: fix a leak",
        body: "Assisted-by: Claude:claude-opus-4-6 coccinelle\nSigned-off-by: Ada <ada@example.org>",
        when: "2024-03-10T10:00:00Z",
        ai: Some(("anthropic", "claude-opus-4-6", Some("claude"))),
    },
    Planted {
        subject: "docs: typo",
        body: "Co-authored-by: Bob <bob@example.org>",
        when: "2024-04-10T10:00:00Z",
        ai: None,
    },
    Planted {
        subject: "lexer: unicode identifiers",
        body: "Co-authored-by: aider (anthropic/claude-sonnet-4) <noreply@aider.chat>",
        when: "2025-01-10T10:00:00Z",
        ai: Some(("anthropic", "claude-sonnet-4", Some("aider"))),
    },
    Planted {
        subject: "ci: cache the toolchain",
        body: "Co-authored-by: Copilot <175728472+Copilot@users.noreply.github.com>",
        when: "2025-02-10T10:00:00Z",
        ai: Some(("github", "copilot", Some("copilot"))),
    },
    Planted {
        subject: "cli: a --json flag",
        body: "Co-authored-by: openai-codex <codex@openai.com>",
        when: "2025-03-10T10:00:00Z",
        ai: Some(("openai", "gpt", Some("codex"))),
    },
    Planted {
        subject: "tests: more cases",
        body: "Co-authored-by: Claude <noreply@anthropic.com>",
        when: "2025-04-10T10:00:00Z",
        ai: Some(("anthropic", "claude", None)),
    },
    Planted {
        subject: "release 1.0",
        body: "",
        when: "2025-05-10T10:00:00Z",
        ai: None,
    },
];

/// The change a member attests by hand before the backfill (its trailer says Claude; the
/// person's own claim says gpt-5 and must stay).
const PRE_ATTESTED: &str = "tests: more cases";

/// A fixture repository: how to run `attrib` in it, whatever the store.
struct Fixture<'a> {
    user: &'a User,
    env: Vec<(String, String)>,
    /// The store directory (`.pijul/attrib`, `.git/attrib`).
    store: PathBuf,
}

impl Fixture<'_> {
    fn attrib(&self, args: &[&str]) -> Output {
        let env: Vec<(&str, &str)> = self
            .env
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.user.run_env(args, &env)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut all = args.to_vec();
        all.push("--json");
        self.attrib(&all).ok().json()
    }

    /// `log --json` rows by message.
    fn log(&self) -> HashMap<String, Value> {
        let Value::Array(rows) = self.json(&["log"]) else {
            panic!("log --json is not an array");
        };
        rows.into_iter()
            .map(|r| {
                let m = r["message"].as_str().expect("a message").to_string();
                (m, r)
            })
            .collect()
    }

    /// Every signed record and the store's bytes: what "writes nothing" compares.
    fn written(&self) -> (String, Vec<u8>) {
        let export = self.attrib(&["export"]).ok().stdout;
        let bytes = std::fs::read(self.store.join(attrib_overlay::store::STORE_FILE))
            .expect("read the store file");
        (export, bytes)
    }
}

fn planted(range: impl Fn(&Planted) -> bool) -> Vec<&'static Planted> {
    HISTORY
        .iter()
        .filter(|p| p.ai.is_some() && range(p))
        .collect()
}

fn message_of(p: &Planted) -> String {
    if p.body.is_empty() {
        p.subject.to_string()
    } else {
        format!("{}\n\n{}", p.subject, p.body)
    }
}

// ---------------------------------------------------------------------------------------------
// Fixtures

/// A Pijul repository holding [`HISTORY`], each change with its planted time.
fn pijul_fixture<'a>(w: &PijulWorld, u: &'a User) -> Fixture<'a> {
    for (i, p) in HISTORY.iter().enumerate() {
        w.edit(u, "notes.txt", &format!("change {i}\n").repeat(i + 1));
        let mut args = vec!["record", "-a", "-m", p.subject, "--timestamp", p.when];
        if !p.body.is_empty() {
            args.extend(["--description", p.body]);
        }
        w.pijul(&u.repo, args);
    }
    Fixture {
        user: u,
        env: w.env(),
        store: u.repo.join(".pijul/attrib"),
    }
}

/// git's identity and a clean configuration, for every `git` this test runs (and `attrib`
/// runs): no system config, HOME in the sandbox.
fn git_env(home: &Path) -> Vec<(String, String)> {
    [
        ("GIT_CONFIG_NOSYSTEM", "1"),
        ("GIT_AUTHOR_NAME", "Ada"),
        ("GIT_AUTHOR_EMAIL", "ada@example.org"),
        ("GIT_COMMITTER_NAME", "Ada"),
        ("GIT_COMMITTER_EMAIL", "ada@example.org"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("HOME".to_string(), home.display().to_string())])
    .collect()
}

#[track_caller]
fn git(dir: &Path, env: &[(String, String)], args: &[&str], input: Option<&str>) {
    let mut c = Command::new("git");
    c.args(args)
        .current_dir(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if input.is_some() {
        c.stdin(Stdio::piped());
    } else {
        c.stdin(Stdio::null());
    }
    let mut child = c.spawn().expect("run git");
    if let Some(text) = input {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("git's stdin")
            .write_all(text.as_bytes())
            .expect("write to git");
    }
    let out = child.wait_with_output().expect("wait for git");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A git repository holding [`HISTORY`] (author and committer time as planted), with an attrib
/// store of team "t".
fn git_fixture<'a>(sb: &Sandbox, u: &'a User) -> Fixture<'a> {
    let env = git_env(&sb.path().join("home"));
    git(&u.repo, &env, &["init", "-q", "-b", "main"], None);
    for (i, p) in HISTORY.iter().enumerate() {
        std::fs::write(
            u.repo.join("notes.txt"),
            format!("change {i}\n").repeat(i + 1),
        )
        .expect("write a file");
        git(&u.repo, &env, &["add", "notes.txt"], None);
        let mut at = env.clone();
        at.push(("GIT_AUTHOR_DATE".into(), p.when.into()));
        at.push(("GIT_COMMITTER_DATE".into(), p.when.into()));
        git(
            &u.repo,
            &at,
            &["commit", "-q", "--cleanup=verbatim", "-F", "-"],
            Some(&message_of(p)),
        );
    }
    let f = Fixture {
        user: u,
        env,
        store: u.repo.join(".git/attrib"),
    };
    f.attrib(&["init", "--team", "t", "--name", "ada"]).ok();
    assert!(f.store.is_dir(), "the store goes in .git/attrib");
    f
}

// ---------------------------------------------------------------------------------------------
// The scenario, the same for every store

/// Counts by (agent, provider, model) of `list`, as `by_tool` reports them.
fn by_tool(list: &[&Planted]) -> HashMap<(Option<String>, String, String), u64> {
    let mut out = HashMap::new();
    for p in list {
        let (provider, model, agent) = p.ai.expect("planted");
        *out.entry((
            agent.map(str::to_string),
            provider.to_string(),
            model.to_string(),
        ))
        .or_insert(0) += 1;
    }
    out
}

fn reported_by_tool(
    report: &Value,
    column: &str,
) -> HashMap<(Option<String>, String, String), u64> {
    report["by_tool"]
        .as_array()
        .expect("by_tool")
        .iter()
        .filter(|t| t[column].as_u64().unwrap_or(0) > 0)
        .map(|t| {
            (
                (
                    t["agent"].as_str().map(str::to_string),
                    t["provider"].as_str().expect("provider").to_string(),
                    t["model"].as_str().expect("model").to_string(),
                ),
                t[column].as_u64().expect("a count"),
            )
        })
        .collect()
}

/// Dry run, backfill, a second run, then `log`: the counts equal the planted trailers.
fn backfill_scenario(f: &Fixture<'_>) {
    let before = f.log();
    assert_eq!(before.len(), HISTORY.len(), "{before:#?}");
    assert!(before.values().all(|r| r["status"] == "unattested"));
    let pre = before[PRE_ATTESTED]["change"]
        .as_str()
        .expect("a change id")
        .to_string();
    f.attrib(&[
        "annotate",
        &pre,
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-5",
    ])
    .ok();

    let all = planted(|_| true);
    let to_sign: Vec<&Planted> = all
        .iter()
        .copied()
        .filter(|p| p.subject != PRE_ATTESTED)
        .collect();

    // --dry-run: the same decisions, nothing written.
    let written = f.written();
    let dry = f.json(&["backfill", "--dry-run"]);
    assert_eq!(dry["dry_run"], true);
    assert_eq!(dry["changes"], HISTORY.len());
    assert_eq!(dry["detected"], all.len(), "{dry:#}");
    assert_eq!(dry["would_sign"], to_sign.len(), "{dry:#}");
    assert_eq!(dry["signed"], 0);
    assert_eq!(dry["already_attested"], 1);
    assert_eq!(reported_by_tool(&dry, "signed"), by_tool(&to_sign));
    let text = f.attrib(&["backfill", "--dry-run"]).ok().stdout;
    assert_eq!(
        text.matches("  would sign ").count(),
        to_sign.len(),
        "{text}"
    );
    assert!(text.contains(&format!(
        "dry run: would sign {} detected claims",
        to_sign.len()
    )));
    assert_eq!(f.written(), written, "--dry-run wrote something");

    // The backfill: one claim per planted trailer but the attested change.
    let done = f.json(&["backfill"]);
    assert_eq!(done["dry_run"], false);
    assert_eq!(done["detected"], all.len(), "{done:#}");
    assert_eq!(done["signed"], to_sign.len(), "{done:#}");
    assert_eq!(done["would_sign"], 0);
    assert_eq!(done["already_attested"], 1);
    assert_eq!(done["unusable"], 0);
    assert_eq!(reported_by_tool(&done, "detected"), by_tool(&all));
    assert_eq!(reported_by_tool(&done, "signed"), by_tool(&to_sign));
    let statuses: HashMap<&str, &str> = done["detections"]
        .as_array()
        .expect("detections")
        .iter()
        .map(|d| {
            (
                d["message"].as_str().expect("message"),
                d["status"].as_str().expect("status"),
            )
        })
        .collect();
    for p in &all {
        let expected = if p.subject == PRE_ATTESTED {
            "attested"
        } else {
            "signed"
        };
        assert_eq!(statuses.get(p.subject), Some(&expected), "{}", p.subject);
    }

    // Idempotent: a second run signs nothing.
    let again = f.json(&["backfill"]);
    assert_eq!(again["signed"], 0, "{again:#}");
    assert_eq!(again["already_attested"], all.len());
    let text = f.attrib(&["backfill"]).ok().stdout;
    assert!(text.contains("signed 0 detected claims"), "{text}");
    assert!(
        text.contains(&format!(
            "{} changes already attested, left alone",
            all.len()
        )),
        "{text}"
    );

    // `log` shows the detected claims; the person's claim stayed as it was.
    let after = f.log();
    for p in HISTORY {
        let row = &after[p.subject];
        let Some((provider, model, agent)) = p.ai else {
            assert_eq!(row["status"], "unattested", "{row:#}");
            continue;
        };
        assert_eq!(row["status"], "attested", "{row:#}");
        let list = row["attestations"].as_array().expect("attestations");
        assert_eq!(list.len(), 1, "one claim only: {row:#}");
        let a = &list[0];
        if p.subject == PRE_ATTESTED {
            assert_eq!(a["origin"], "person", "{a:#}");
            assert_eq!(a["ai"]["provider"], "openai");
            assert_eq!(a["ai"]["model"], "gpt-5");
            continue;
        }
        assert_eq!(a["origin"], "detected", "{a:#}");
        assert_eq!(a["ai"]["provider"], provider, "{a:#}");
        assert_eq!(a["ai"]["model"], model, "{a:#}");
        assert_eq!(a["ai"]["confidence"], 0.5, "{a:#}");
        let description = a["description"].as_str().expect("a description");
        match agent {
            Some(agent) => assert!(
                description.contains(&format!("agent {agent};")),
                "{description}"
            ),
            None => assert!(!description.contains("agent "), "{description}"),
        }
    }
    let text = f.attrib(&["log"]).ok().stdout;
    assert_eq!(text.matches("(detected)").count(), to_sign.len(), "{text}");
}

/// `--since` lets in only the changes made from then on; a later run without it signs the rest.
fn since_scenario(f: &Fixture<'_>) {
    const SINCE: &str = "2025-01-01";
    let recent = |p: &Planted| p.when >= SINCE;
    let in_range = HISTORY.iter().filter(|p| recent(p)).count();
    let within = planted(recent);
    let done = f.json(&["backfill", "--since", SINCE]);
    assert_eq!(done["changes"], HISTORY.len());
    assert_eq!(done["in_range"], in_range, "{done:#}");
    assert_eq!(done["detected"], within.len(), "{done:#}");
    assert_eq!(done["signed"], within.len(), "{done:#}");
    assert_eq!(reported_by_tool(&done, "signed"), by_tool(&within));
    let log = f.log();
    for p in HISTORY {
        let attested = p.ai.is_some() && recent(p);
        assert_eq!(
            log[p.subject]["status"] == "attested",
            attested,
            "{}",
            p.subject
        );
    }
    let rest = f.json(&["backfill"]);
    assert_eq!(rest["signed"], planted(|p| !recent(p)).len(), "{rest:#}");
    assert_eq!(rest["already_attested"], within.len());
}

// ---------------------------------------------------------------------------------------------
// Pijul

#[test]
fn pijul_backfill_signs_one_detected_claim_per_planted_trailer() {
    let Some(w) = PijulWorld::new("pijul_backfill_signs_one_detected_claim_per_planted_trailer")
    else {
        return;
    };
    let u = w.user("ada");
    let f = pijul_fixture(&w, &u);
    backfill_scenario(&f);
}

#[test]
fn pijul_backfill_since_limits_by_the_change_time() {
    let Some(w) = PijulWorld::new("pijul_backfill_since_limits_by_the_change_time") else {
        return;
    };
    let u = w.user("ada");
    let f = pijul_fixture(&w, &u);
    since_scenario(&f);
}

// ---------------------------------------------------------------------------------------------
// git

#[test]
fn git_backfill_signs_one_detected_claim_per_planted_trailer() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    let f = git_fixture(&sb, &u);
    backfill_scenario(&f);
}

#[test]
fn git_backfill_since_limits_by_the_change_time() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    let f = git_fixture(&sb, &u);
    since_scenario(&f);
}

// ---------------------------------------------------------------------------------------------
// Errors

#[test]
fn backfill_needs_a_repository_and_a_readable_since() {
    let sb = Sandbox::new();
    let users = sb.team(&["ada"]);
    let ada = &users[0];
    ada.run(["backfill"]).fails().mentions("repository");
    ada.run(["backfill", "--since", "someday"]).usage_err();
}

#[test]
fn a_dry_run_needs_no_identity_but_a_backfill_does() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    let f = git_fixture(&sb, &u);
    // Another user of the same checkout, without a key of their own.
    let stranger = sb.user("eve").at(&u.repo);
    let env: Vec<(&str, &str)> = f
        .env
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let dry = stranger
        .run_env(["backfill", "--dry-run", "--json"], &env)
        .ok()
        .json();
    assert_eq!(dry["would_sign"], planted(|_| true).len(), "{dry:#}");
    stranger
        .run_env(["backfill"], &env)
        .fails()
        .mentions("identity");
}
