//! `attrib log` filters and `attrib stats` reports against fixtures whose answers are known.
//!
//! The overlay fixture is written straight into a store through `attrib_overlay` with fixed
//! keys and fixed timestamps, so the table, JSON and CSV outputs are byte-for-byte stable and
//! are compared with the files in `tests/cli/snapshots/` (`ATTRIB_BLESS=1` rewrites them; a
//! missing one is written and the test fails until it is committed). A second fixture puts
//! records at times relative to now for the `--since 90d` style bounds, and the Pijul tests
//! record real changes and check the channel-aware listing and the line counts.

use std::ffi::OsStr;
use std::path::Path;

use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Identity, Origin, Outcome, PatchId, Payload, Record, Review,
    SignedRecord, Store, SuggestionType, Verdict,
};
use serde_json::Value;

use crate::pijul_world::{attrib_record, log, PijulWorld};
use crate::support::{assert_snapshot, Sandbox, User};

// ---------------------------------------------------------------------------------------------
// The fixture

/// 2026-01-01T00:00:00Z.
const JAN_1: u64 = 1_767_225_600_000;
const HOUR: u64 = 3_600_000;
const DAY: u64 = 24 * HOUR;

struct Fixture {
    keys: Vec<Identity>,
    team: attrib_overlay::TeamId,
    seqs: Vec<u32>,
    records: Vec<SignedRecord>,
}

impl Fixture {
    /// Team "acme": Ada founds it, admits Bob and "Lee, Cy" (a name that needs CSV quoting).
    fn new(start_ms: u64) -> Fixture {
        let keys: Vec<Identity> = (1..=3u8).map(|i| Identity::from_secret([i; 32])).collect();
        let genesis = keys[0].sign(
            GENESIS_TEAM,
            Record {
                seq: 1,
                timestamp_ms: start_ms,
                origin: Origin::Person,
                payload: Payload::Genesis {
                    team_name: "acme".into(),
                    founder_name: "Ada".into(),
                    founder_email: None,
                },
            },
        );
        let team = genesis.team_id();
        let mut f = Fixture {
            keys,
            team,
            seqs: vec![1, 0, 0],
            records: vec![genesis],
        };
        for (i, name) in [(1usize, "Bob"), (2, "Lee, Cy")] {
            let member = f.keys[i].public();
            f.sign(
                0,
                start_ms + i as u64,
                Payload::Grant {
                    member,
                    name: name.into(),
                    email: None,
                    admin: false,
                },
            );
        }
        f
    }

    fn sign(&mut self, who: usize, at: u64, payload: Payload) {
        self.seqs[who] += 1;
        let r = self.keys[who].sign(
            self.team,
            Record {
                seq: self.seqs[who],
                timestamp_ms: at,
                origin: Origin::Person,
                payload,
            },
        );
        self.records.push(r);
    }

    fn attest(&mut self, who: usize, patch: &str, at: u64, ai: Option<AiAssistance>) {
        self.sign(
            who,
            at,
            Payload::Attest(Attestation {
                patch: PatchId::new(patch).unwrap(),
                ai,
                description: None,
                depends_on: vec![],
                conflicts_with: vec![],
                replaces: None,
                line_spans: vec![],
                contributions: Vec::new(),
            }),
        );
    }

    fn review(&mut self, who: usize, patch: &str, at: u64, seconds: u32, verdict: Verdict) {
        self.sign(
            who,
            at,
            Payload::Review(Review {
                patch: PatchId::new(patch).unwrap(),
                seconds,
                verdict,
                comment: None,
            }),
        );
    }

    /// Writes the records into `dir/.attrib`.
    fn write(&self, dir: &Path) {
        let store = Store::open(&dir.join(".attrib")).unwrap();
        let out = store
            .ingest(&self.records, attrib_overlay::now_ms())
            .unwrap();
        assert!(
            out.iter().all(|o| *o == Outcome::Accepted),
            "fixture refused: {out:?}"
        );
    }
}

fn ai(
    provider: &str,
    model: &str,
    kind: SuggestionType,
    confidence: Option<u16>,
    review: Option<u32>,
) -> Option<AiAssistance> {
    Some(AiAssistance {
        provider: provider.into(),
        model: model.into(),
        suggestion_type: kind,
        prompt_commitment: None,
        confidence_permille: confidence,
        token_count: Some(1000),
        temperature_milli: None,
        max_tokens: None,
        top_p_milli: None,
        review_seconds: review,
    })
}

const ADA: usize = 0;
const BOB: usize = 1;
const CY: usize = 2;

/// The known answer, oldest first:
///
/// | patch | who | when (UTC) | how | reviews |
/// |---|---|---|---|---|
/// | P1 | Ada | 2026-01-05 10:00 | anthropic/claude-sonnet-4 partial 0.85, reviewed 90 s by her | Bob 240 s |
/// | P2 | Bob | 2026-01-20 12:00 | openai/gpt-5 complete 0.6, 30 s | — |
/// | P3 | Ada | 2026-02-02 08:30 | human | Cy 60 s |
/// | P4 | Cy | 2026-02-15 16:45 | anthropic/claude-opus-4 refactor, no confidence | — |
/// | P4 | Bob | 2026-02-16 09:00 | human (a second author of P4) | — |
/// | P6 | Cy | 2026-02-20 11:11 | human | — |
/// | P5 | Bob | 2026-03-01 00:00 | anthropic/claude-sonnet-4 collaborative 0.95, 600 s | Ada 120 s |
/// | P7 | — | — | unattested | Ada 45 s (2026-03-05) |
fn acme(dir: &Path) {
    let mut f = Fixture::new(JAN_1);
    let at = |day: u64, h: u64, m: u64| JAN_1 + (day - 1) * DAY + h * HOUR + m * 60_000;
    use SuggestionType::*;
    f.attest(
        ADA,
        "P1",
        at(5, 10, 0),
        ai("anthropic", "claude-sonnet-4", Partial, Some(850), Some(90)),
    );
    f.review(BOB, "P1", at(6, 9, 0), 240, Verdict::Approve);
    f.attest(
        BOB,
        "P2",
        at(20, 12, 0),
        ai("openai", "gpt-5", Complete, Some(600), Some(30)),
    );
    f.attest(ADA, "P3", at(33, 8, 30), None);
    f.review(CY, "P3", at(34, 10, 0), 60, Verdict::Comment);
    f.attest(
        CY,
        "P4",
        at(46, 16, 45),
        ai("anthropic", "claude-opus-4", Refactor, None, None),
    );
    f.attest(BOB, "P4", at(47, 9, 0), None);
    f.attest(CY, "P6", at(51, 11, 11), None);
    f.attest(
        BOB,
        "P5",
        at(60, 0, 0),
        ai(
            "anthropic",
            "claude-sonnet-4",
            Collaborative,
            Some(950),
            Some(600),
        ),
    );
    f.review(ADA, "P5", at(61, 8, 0), 120, Verdict::RequestChanges);
    f.review(ADA, "P7", at(64, 12, 0), 45, Verdict::Approve);
    f.write(dir);
}

fn acme_user(sb: &Sandbox) -> User {
    let u = sb.user("auditor");
    acme(&u.repo);
    u
}

/// `log --json` as (patch, author name) pairs, newest first.
fn rows(u: &User, extra: &[&str]) -> Rows {
    u.log_json(extra)
        .iter()
        .map(|r| {
            (
                r["patch"].as_str().unwrap().to_string(),
                r["author"]["name"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

/// (patch, author) pairs, newest first.
type Rows = Vec<(String, String)>;

fn pairs(v: &[(&str, &str)]) -> Rows {
    v.iter()
        .map(|(p, a)| (p.to_string(), a.to_string()))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Snapshots

#[test]
fn log_and_stats_outputs_match_their_snapshots() {
    let sb = Sandbox::new();
    let u = acme_user(&sb);
    for (name, args) in [
        ("log.txt", vec!["log"]),
        ("log.json", vec!["log", "--json"]),
        ("log.csv", vec!["log", "--csv"]),
        ("log-unattested.txt", vec!["log", "--unattested"]),
        ("log-unattested.csv", vec!["log", "--unattested", "--csv"]),
        ("stats.txt", vec!["stats"]),
        ("stats.json", vec!["stats", "--json"]),
        ("stats.csv", vec!["stats", "--csv"]),
        (
            "stats-by-author-month.txt",
            vec!["stats", "--by", "author", "--by", "month"],
        ),
        (
            "stats-by-provider-since.csv",
            vec![
                "stats",
                "--by",
                "provider",
                "--since",
                "2026-02-01",
                "--csv",
            ],
        ),
        (
            "stats-by-suggestion-type.json",
            vec!["stats", "--by", "suggestion-type", "--json"],
        ),
    ] {
        let out = u.run(&args).ok();
        assert_snapshot(&format!("queries-{name}"), &out.stdout);
    }
}

// ---------------------------------------------------------------------------------------------
// Every filter, outside a Pijul repository

#[test]
fn every_log_filter_gives_the_known_answer() {
    let sb = Sandbox::new();
    let u = acme_user(&sb);
    let all = pairs(&[
        ("P5", "Bob"),
        ("P6", "Lee, Cy"),
        ("P4", "Bob"),
        ("P4", "Lee, Cy"),
        ("P3", "Ada"),
        ("P2", "Bob"),
        ("P1", "Ada"),
    ]);
    assert_eq!(rows(&u, &[]), all);
    let pick = |names: &[(&str, &str)]| pairs(names);
    let cases: Vec<(Vec<&str>, Rows)> = vec![
        (
            vec!["--author", "Bob"],
            pick(&[("P5", "Bob"), ("P4", "Bob"), ("P2", "Bob")]),
        ),
        (
            vec!["--author", "Lee, Cy"],
            pick(&[("P6", "Lee, Cy"), ("P4", "Lee, Cy")]),
        ),
        (
            vec!["--provider", "anthropic"],
            pick(&[("P5", "Bob"), ("P4", "Lee, Cy"), ("P1", "Ada")]),
        ),
        (
            vec!["--model", "claude-sonnet-4"],
            pick(&[("P5", "Bob"), ("P1", "Ada")]),
        ),
        (
            vec!["--provider", "openai", "--model", "gpt-5"],
            pick(&[("P2", "Bob")]),
        ),
        (
            vec!["--suggestion-type", "refactor"],
            pick(&[("P4", "Lee, Cy")]),
        ),
        (
            vec!["--suggestion-type", "COMPLETE"],
            pick(&[("P2", "Bob")]),
        ),
        (vec!["--suggestion-type", "inspired"], vec![]),
        // A date starts at midnight UTC and an --until date takes in its whole day.
        (
            vec!["--since", "2026-02-01"],
            pick(&[
                ("P5", "Bob"),
                ("P6", "Lee, Cy"),
                ("P4", "Bob"),
                ("P4", "Lee, Cy"),
                ("P3", "Ada"),
            ]),
        ),
        (vec!["--since", "2026-03-01"], pick(&[("P5", "Bob")])),
        (vec!["--until", "2026-02-28"], all[1..].to_vec()),
        (
            vec!["--since", "2026-02-01", "--until", "2026-02-15"],
            pick(&[("P4", "Lee, Cy"), ("P3", "Ada")]),
        ),
        (
            vec![
                "--since",
                "2026-02-15T17:00:00Z",
                "--until",
                "2026-02-20T11:11:00Z",
            ],
            pick(&[("P6", "Lee, Cy"), ("P4", "Bob")]),
        ),
        (
            vec!["--min-confidence", "0.85"],
            pick(&[("P5", "Bob"), ("P1", "Ada")]),
        ),
        (vec!["--min-confidence", "90%"], pick(&[("P5", "Bob")])),
        (
            vec!["--min-confidence", "0"],
            pick(&[("P5", "Bob"), ("P2", "Bob"), ("P1", "Ada")]),
        ),
        (
            vec!["--reviewed"],
            pick(&[("P5", "Bob"), ("P3", "Ada"), ("P1", "Ada")]),
        ),
        (
            vec!["--unreviewed"],
            pick(&[
                ("P6", "Lee, Cy"),
                ("P4", "Bob"),
                ("P4", "Lee, Cy"),
                ("P2", "Bob"),
            ]),
        ),
        (
            vec!["--ai-only", "--reviewed"],
            pick(&[("P5", "Bob"), ("P1", "Ada")]),
        ),
        (
            vec!["--human-only", "--since", "2026-02-10"],
            pick(&[("P6", "Lee, Cy"), ("P4", "Bob")]),
        ),
        (vec!["-n", "2"], all[..2].to_vec()),
        (vec!["--unreviewed", "-n", "1"], pick(&[("P6", "Lee, Cy")])),
        (vec!["-n", "0"], vec![]),
        (
            vec![
                "--author",
                "Ada",
                "--reviewed",
                "--ai-only",
                "--min-confidence",
                "0.8",
            ],
            pick(&[("P1", "Ada")]),
        ),
    ];
    for (args, expected) in cases {
        assert_eq!(rows(&u, &args), expected, "log {args:?}");
        // The table and the CSV list the same rows.
        let mut table = vec!["log"];
        table.extend(&args);
        let text = u.run(&table).ok().stdout;
        let lines: Vec<&str> = text.lines().collect();
        if expected.is_empty() {
            assert!(
                text.contains("no attested patches match"),
                "{args:?}: {text}"
            );
        } else {
            assert_eq!(lines.len(), expected.len() + 1, "{args:?}: {text}");
        }
        table.push("--csv");
        let csv = u.run(&table).ok().stdout;
        assert_eq!(
            csv.split("\r\n").filter(|l| !l.is_empty()).count(),
            expected.len() + 1,
            "{args:?}: {csv}"
        );
    }

    // Patches the overlay knows only from reviews.
    let v = u.log_json(&["--unattested"]);
    assert_eq!(v.len(), 1);
    assert_eq!(v[0]["patch"], "P7");
    assert_eq!(v[0]["reviewers"], serde_json::json!(["Ada"]));
    assert!(u
        .log_json(&["--unattested", "--until", "2026-03-04"])
        .is_empty());
    assert!(u.log_json(&["--unattested", "--unreviewed"]).is_empty());

    // The review count travels with every row.
    let v = u.log_json(&["--model", "claude-sonnet-4"]);
    assert_eq!(v[0]["reviews"], 1);
    assert_eq!(v[1]["reviews"], 1);
    assert_eq!(u.log_json(&["--author", "Bob", "-n", "1"])[0]["reviews"], 1);
}

#[test]
fn bad_filters_are_usage_errors_that_name_the_flag() {
    let sb = Sandbox::new();
    let u = acme_user(&sb);
    u.run(["log", "--since", "last tuesday"])
        .usage_err()
        .mentions("--since")
        .mentions("90d");
    u.run(["log", "--until", "2026-02-30"]).usage_err();
    u.run(["log", "--suggestion-type", "vibes"])
        .usage_err()
        .mentions("suggestion");
    u.run(["log", "--min-confidence", "2"])
        .usage_err()
        .mentions("confidence");
    u.run(["log", "--reviewed", "--unreviewed"]).usage_err();
    u.run(["log", "--json", "--csv"]).usage_err();
    u.run(["log", "--unattested", "--suggestion-type", "partial"])
        .usage_err();
    u.run(["log", "--since", "2026-03-01", "--until", "2026-02-01"])
        .fails()
        .mentions("--since");
    u.run(["stats", "--by", "colour"]).usage_err();
    u.run(["stats", "--since", "soon"]).usage_err();
    u.run(["stats", "--json", "--csv"]).usage_err();
}

#[test]
fn relative_bounds_count_back_from_now() {
    let sb = Sandbox::new();
    let u = sb.user("recent");
    let now = attrib_overlay::now_ms();
    let mut f = Fixture::new(now - 400 * DAY);
    f.attest(ADA, "HOUR-AGO", now - HOUR, None);
    f.attest(ADA, "DAYS-AGO", now - 3 * DAY, None);
    f.attest(
        BOB,
        "WEEKS-AGO",
        now - 20 * DAY,
        ai("openai", "gpt-5", SuggestionType::Partial, None, None),
    );
    f.attest(BOB, "YEAR-AGO", now - 200 * DAY, None);
    f.write(&u.repo);
    let patches = |extra: &[&str]| u.log_patches(extra);
    assert_eq!(patches(&["--since", "12h"]), ["HOUR-AGO"]);
    assert_eq!(patches(&["--since", "2w"]), ["HOUR-AGO", "DAYS-AGO"]);
    assert_eq!(
        patches(&["--since", "90d"]),
        ["HOUR-AGO", "DAYS-AGO", "WEEKS-AGO"]
    );
    assert_eq!(patches(&["--until", "90d"]), ["YEAR-AGO"]);
    assert_eq!(
        patches(&["--since", "30d", "--until", "1d"]),
        ["DAYS-AGO", "WEEKS-AGO"]
    );
    let v = u.run(["stats", "--since", "90d", "--json"]).ok().json();
    assert_eq!(v["total"]["patches"], 3, "{v:#}");
    assert_eq!(v["total"]["ai"], 1, "{v:#}");
    assert!(v["range"]["since"]
        .as_str()
        .is_some_and(|s| s.ends_with('Z')));
    assert_eq!(v["range"]["until"], Value::Null);
}

// ---------------------------------------------------------------------------------------------
// Stats, outside a Pijul repository

#[test]
fn stats_give_the_known_shares_confidence_and_review_time() {
    let sb = Sandbox::new();
    let u = acme_user(&sb);
    let v = u.run(["stats", "--json"]).ok().json();
    assert_eq!(v["scope"], "overlay");
    assert_eq!(v["by"], serde_json::json!(["model"]));
    let t = &v["total"];
    assert_eq!(t["patches"], 7, "{v:#}");
    assert_eq!(t["ai"], 4);
    assert_eq!(t["human"], 2);
    assert_eq!(t["unattested"], 1);
    assert_eq!(t["ai_share"], 0.5714);
    assert_eq!(t["lines"], Value::Null);
    assert_eq!(t["reviewed"], 4);
    // 0.85, 0.6 and 0.95 (P4 states none).
    assert_eq!(t["avg_confidence"], 0.8);
    assert_eq!(t["confidence_count"], 3);
    // P1 90+240, P2 30, P3 60, P5 600+120, P7 45: 1185 s over 5 patches.
    assert_eq!(t["avg_review_seconds"], 237.0);
    assert_eq!(t["review_count"], 5);
    assert_eq!(t["author_review_seconds"], 720);
    assert_eq!(t["reviewer_seconds"], 465);

    let group = |v: &Value, want: &[(&str, &str)]| -> Value {
        v["groups"]
            .as_array()
            .unwrap()
            .iter()
            .find(|g| want.iter().all(|(k, x)| g["group"][*k] == *x))
            .unwrap_or_else(|| panic!("no group {want:?} in {v:#}"))
            .clone()
    };
    let g = group(&v, &[("model", "anthropic/claude-sonnet-4")]);
    assert_eq!(
        (g["patches"].as_u64(), g["ai"].as_u64()),
        (Some(2), Some(2))
    );
    assert_eq!(g["avg_confidence"], 0.9);
    assert_eq!(g["reviewed_share"], 1.0);
    assert_eq!(group(&v, &[("model", "(human)")])["patches"], 2);
    assert_eq!(group(&v, &[("model", "(unattested)")])["patches"], 1);
    let order: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"]["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        order,
        [
            "anthropic/claude-opus-4",
            "anthropic/claude-sonnet-4",
            "openai/gpt-5",
            "(human)",
            "(unattested)"
        ]
    );

    // By author: a patch attested by two members counts for each.
    let v = u.run(["stats", "--by", "author", "--json"]).ok().json();
    let bob = group(&v, &[("author", "Bob")]);
    assert_eq!(
        (bob["patches"].as_u64(), bob["ai"].as_u64()),
        (Some(3), Some(3))
    );
    let cy = group(&v, &[("author", "Lee, Cy")]);
    assert_eq!(
        (cy["patches"].as_u64(), cy["human"].as_u64()),
        (Some(2), Some(1))
    );
    assert_eq!(group(&v, &[("author", "Ada")])["patches"], 2);
    assert_eq!(v["total"]["patches"], 7);

    // By month and provider together.
    let v = u
        .run(["stats", "--by", "month", "--by", "provider", "--json"])
        .ok()
        .json();
    let g = group(&v, &[("month", "2026-01"), ("provider", "anthropic")]);
    assert_eq!(g["patches"], 1);
    let g = group(&v, &[("month", "2026-03"), ("provider", "(unattested)")]);
    assert_eq!(g["patches"], 1);
    let months: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"]["month"].as_str().unwrap())
        .collect();
    let mut sorted = months.clone();
    sorted.sort();
    assert_eq!(months, sorted, "months in order");

    // A range: February only.
    let v = u
        .run([
            "stats",
            "--by",
            "suggestion-type",
            "--since",
            "2026-02-01",
            "--until",
            "2026-02-28",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(v["total"]["patches"], 3, "{v:#}");
    assert_eq!(group(&v, &[("suggestion_type", "refactor")])["ai"], 1);
    assert_eq!(group(&v, &[("suggestion_type", "(human)")])["patches"], 2);

    // The table: aligned columns, the total last.
    let text = u.run(["stats", "--by", "provider"]).ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("7 patches in the overlay"), "{text}");
    assert!(lines[1].starts_with("PROVIDER"), "{text}");
    assert!(lines.last().unwrap().starts_with("total"), "{text}");
    let end = lines[1].len();
    for l in &lines[2..] {
        assert_eq!(l.len(), end, "right-aligned columns end together:\n{text}");
    }
}

// ---------------------------------------------------------------------------------------------
// In a Pijul repository

const OPENAI: &[&str] = &[
    "--ai-provider",
    "openai",
    "--ai-model",
    "gpt-5",
    "--ai-suggestion-type",
    "complete",
    "--ai-confidence",
    "0.9",
    "--ai-review-time",
    "100",
];
const MISTRAL: &[&str] = &[
    "--ai-provider",
    "mistral",
    "--ai-model",
    "codestral",
    "--ai-confidence",
    "0.5",
];

#[test]
fn filters_and_stats_follow_the_pijul_channel() {
    let Some(w) = PijulWorld::new("filters_and_stats_follow_the_pijul_channel") else {
        return;
    };
    let u = w.user("ann");
    w.edit(&u, "a.txt", "a1\na2\na3\na4\n");
    let gpt = attrib_record(&w, &u, OPENAI, "four lines, with gpt-5");
    w.edit(&u, "b.txt", "b1\nb2\n");
    let codestral = attrib_record(&w, &u, MISTRAL, "two lines, with codestral");
    w.edit(&u, "c.txt", "c1\n");
    let human = attrib_record(
        &w,
        &u,
        &["--no-ai"],
        "one line, by hand, \"quoted\", with commas",
    );
    w.edit(&u, "d.txt", "d1\nd2\nd3\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "plain pijul record"]);
    let plain = w.newest_hash(&u);
    let (gpt, codestral, human, plain) = (
        gpt.as_str(),
        codestral.as_str(),
        human.as_str(),
        plain.as_str(),
    );
    // A second member reviews the gpt-5 change; Ann imports the review.
    let rev = w.sb.user("rev");
    rev.run(["identity", "new", "--name", "rev"]).ok();
    w.attrib(&u, ["team", "add", &rev.pubkey(), "--name", "rev"], &[])
        .ok();
    let genesis = w.sb.file("genesis");
    w.attrib(
        &u,
        [OsStr::new("export"), OsStr::new("-o"), genesis.as_os_str()],
        &[],
    )
    .ok();
    rev.run([
        OsStr::new("init"),
        OsStr::new("--join"),
        genesis.as_os_str(),
    ])
    .ok();
    rev.run(["review", gpt, "--seconds", "300"]).ok();
    let review = rev.export_file(&w.sb);
    w.attrib(&u, [OsStr::new("import"), review.as_os_str()], &[])
        .ok();

    let changes = |extra: &[&str]| -> Vec<String> {
        log(&w, &u, extra)
            .iter()
            .map(|c| c["change"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(changes(&[]), [plain, human, codestral, gpt]);
    assert_eq!(changes(&["--suggestion-type", "complete"]), [gpt]);
    assert_eq!(changes(&["--suggestion-type", "partial"]), [codestral]);
    assert_eq!(changes(&["--min-confidence", "0.6"]), [gpt]);
    assert_eq!(changes(&["--min-confidence", "50%"]), [codestral, gpt]);
    assert_eq!(changes(&["--reviewed"]), [gpt]);
    assert_eq!(changes(&["--unreviewed"]), [plain, human, codestral]);
    assert_eq!(changes(&["--unreviewed", "--ai-only"]), [codestral]);
    assert_eq!(changes(&["--unattested"]), [plain]);
    assert_eq!(changes(&["--provider", "mistral"]), [codestral]);
    assert_eq!(changes(&["--since", "1h"]).len(), 4);
    assert!(changes(&["--until", "2020-01-01"]).is_empty());
    assert!(changes(&["--since", "2999-01-01"]).is_empty());
    assert_eq!(changes(&["--unattested", "--since", "1h"]), [plain]);
    assert_eq!(changes(&["-n", "2"]), [plain, human]);
    assert_eq!(changes(&["--human-only", "-n", "1"]), [human]);

    // CSV: a row per attestation, the unattested change too, the message quoted.
    let csv = w.attrib(&u, ["log", "--csv"], &[]).ok().stdout;
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 5, "{csv}");
    assert!(lines[0].starts_with("time,patch,place,status,"), "{csv}");
    assert!(
        lines[1].contains(&format!(",{plain},channel,unattested,")),
        "{csv}"
    );
    assert!(
        lines[2].contains("\"one line, by hand, \"\"quoted\"\", with commas\""),
        "{csv}"
    );
    assert!(lines[4].contains(",openai,gpt-5,complete,0.9,"), "{csv}");
    assert!(lines[4].ends_with(",1"), "one review: {csv}");

    // Stats over the channel: 4 changes, 10 lines.
    let v = w.attrib(&u, ["stats", "--json"], &[]).ok().json();
    assert_eq!(v["scope"], "channel");
    let t = &v["total"];
    assert_eq!(t["patches"], 4, "{v:#}");
    assert_eq!(t["ai"], 2);
    assert_eq!(t["lines"], 10);
    assert_eq!(t["ai_lines"], 6);
    assert_eq!(t["ai_line_share"], 0.6);
    assert_eq!(t["reviewed"], 1);
    assert_eq!(t["avg_confidence"], 0.7);
    // gpt: 100 s stated by the author + 300 s review.
    assert_eq!(t["avg_review_seconds"], 400.0);
    assert_eq!(
        v["lines"],
        serde_json::json!({"total": 10, "ai": 6, "human": 1, "unattested": 3, "files": 4, "skipped_files": []})
    );
    let v = w
        .attrib(&u, ["stats", "--by", "provider", "--json"], &[])
        .ok()
        .json();
    let groups: Vec<(String, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["provider"].as_str().unwrap().to_string(),
                g["lines"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("mistral".to_string(), 2),
            ("openai".to_string(), 4),
            ("(human)".to_string(), 1),
            ("(unattested)".to_string(), 3)
        ]
    );
    let v = w
        .attrib(&u, ["stats", "--since", "2999-01-01", "--json"], &[])
        .ok()
        .json();
    assert_eq!(v["total"]["patches"], 0);
    let text = w.attrib(&u, ["stats", "--by", "month"], &[]).ok().stdout;
    assert!(text.contains("AI LINE SHARE"), "{text}");
    assert!(text.lines().last().unwrap().starts_with("total"), "{text}");
    let csv = w.attrib(&u, ["stats", "--csv"], &[]).ok().stdout;
    assert!(csv.starts_with("row,model,patches,ai,"), "{csv}");
    assert!(csv.contains("\r\ntotal,,4,2,1,1,0.5,10,6,0.6,"), "{csv}");
}

// ---------------------------------------------------------------------------------------------
// One name per model

/// Four spellings of Claude Opus 4.6 (a flag's, a hook's dated one, a trailer's, an import's
/// with its provider) fall in one row of `stats`; a name the registry does not know is listed
/// by `--unknown-models` until the config names it; `log --model` matches every spelling.
#[test]
fn stats_groups_the_spellings_of_a_model_and_lists_the_unknown_ones() {
    let sb = Sandbox::new();
    let u = sb.user("auditor");
    let mut f = Fixture::new(JAN_1);
    use SuggestionType::*;
    for (i, (who, patch, provider, model)) in [
        (ADA, "P1", "anthropic", "claude-opus-4-6"),
        (BOB, "P2", "anthropic", "claude-opus-4-6-20260101"),
        (CY, "P3", "anthropic", "Claude Opus 4.6 (1M context)"),
        (ADA, "P4", "openrouter", "anthropic/claude-opus-4.6"),
        (BOB, "P5", "acme", "Coder-X"),
    ]
    .into_iter()
    .enumerate()
    {
        let at = JAN_1 + (i as u64 + 1) * HOUR;
        f.attest(who, patch, at, ai(provider, model, Complete, None, None));
    }
    f.write(&u.repo);

    let v = u.run(["stats", "--json"]).ok().json();
    let groups: Vec<(&str, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["model"].as_str().unwrap(),
                g["patches"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [("acme/coder-x", 1), ("anthropic/claude-opus-4-6", 4)]
    );
    let opus = &v["by_model"][1];
    assert_eq!(opus["model"], "claude-opus-4-6");
    assert_eq!(opus["spellings"].as_array().unwrap().len(), 4, "{opus}");
    let text = u.run(["stats"]).ok().stdout;
    let row = text
        .lines()
        .find(|l| l.contains("claude-opus-4-6"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(row.starts_with("anthropic/claude-opus-4-6 "), "{text}");
    assert!(row.split_whitespace().nth(1) == Some("4"), "{text}");
    assert_eq!(text.matches("claude-opus").count(), 1, "one row: {text}");
    let csv = u.run(["stats", "--csv"]).ok().stdout;
    assert!(
        csv.contains("group,anthropic/claude-opus-4-6,4,4,"),
        "{csv}"
    );

    let unknown = u.run(["stats", "--unknown-models"]).ok().stdout;
    let lines: Vec<&str> = unknown.lines().collect();
    assert!(lines[0].starts_with("MODEL (AS RECORDED)"), "{unknown}");
    assert!(
        lines[1].starts_with("acme/Coder-X") && lines[1].contains("acme/coder-x"),
        "{unknown}"
    );
    assert!(lines[1].ends_with(" 1"), "{unknown}");
    assert!(!unknown.contains("opus"), "{unknown}");
    let v = u.run(["stats", "--unknown-models", "--json"]).ok().json();
    assert_eq!(
        v,
        serde_json::json!([{
            "spelling": "acme/Coder-X",
            "provider": "acme",
            "model": "Coder-X",
            "grouped_as": "acme/coder-x",
            "patches": 1,
        }])
    );

    for typed in [
        "claude-opus-4.6",
        "anthropic/claude-opus-4-6",
        "Claude Opus 4.6",
    ] {
        let patches: Vec<String> = rows(&u, &["--model", typed])
            .into_iter()
            .map(|(p, _)| p)
            .collect();
        assert_eq!(patches, ["P4", "P3", "P2", "P1"], "--model {typed}");
    }

    // The config names the unknown model: nothing is unknown, and log matches by the name.
    u.run(["config", "set", "models.coder-x", "acme/coder-x-1"])
        .ok();
    let known = u.run(["stats", "--unknown-models"]).ok().stdout;
    assert!(known.starts_with("every model name is known"), "{known}");
    let v = u.run(["stats", "--json"]).ok().json();
    assert_eq!(v["groups"][0]["group"]["model"], "acme/coder-x-1");
    assert_eq!(
        rows(&u, &["--model", "acme/coder-x-1"]),
        pairs(&[("P5", "Bob")])
    );
}
