//! Snapshots of what `attrib show`, `verify`, `blame` and `record` print, human text and
//! `--json`, byte for byte: they pin today's output so a refactor that moves the code behind
//! these commands cannot change it unnoticed. The files are `tests/cli/snapshots/out-*`;
//! `ATTRIB_BLESS=1` rewrites them after a deliberate change (see [`assert_snapshot`]).
//!
//! `show` and `verify` read a store written here with fixed keys and fixed times (ed25519
//! signatures are deterministic, so record ids are too): nothing varies. `blame` and `record`
//! drive the real `pijul`, whose change hashes cannot be pinned (besides the time and Pijul's
//! fresh signing key, which `--timestamp` and `--author` could fix, every repository's root
//! change holds 32 random bytes that all later changes depend on), and `record` signs with a
//! fresh device key at the current time. Those values are read back from the commands
//! themselves and replaced by named placeholders of the same width ([`Masks`]), so the tables
//! keep their columns and everything else is compared as printed.

use std::path::Path;

use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Identity, LineSpan, Origin, Outcome, PatchId, Payload,
    PromptCommitment, Record, Refusal, Review, SignedRecord, Store, SuggestionType, TeamId,
    Verdict,
};

use crate::pijul_world::{attrib_record, PijulWorld};
use crate::support::{assert_snapshot, Sandbox, User};

// ------------------------------------------------------------------------ the fixture store

/// 2026-04-01T00:00:00Z.
const T0: u64 = 1_775_001_600_000;
const MINUTE: u64 = 60_000;

/// The description of Bob's attestation of P1: the bad store flips a byte of it on disk.
const FLIP_ME: &str = "MARKER: typed by hand";

fn patch(s: &str) -> PatchId {
    PatchId::new(s).unwrap()
}

/// Signs records for team "acme" with fixed keys, each signer's numbers counted up.
struct Signer {
    team: TeamId,
    keys: Vec<Identity>,
    seqs: Vec<u32>,
    records: Vec<SignedRecord>,
}

const ADA: usize = 0;
const BOB: usize = 1;
const CY: usize = 2;
/// Never admitted: her records are held, not in the view.
const MALLORY: usize = 3;

impl Signer {
    /// Ada founds "acme" and admits Bob and Cy.
    fn acme() -> Signer {
        let keys: Vec<Identity> = (21..=24u8)
            .map(|i| Identity::from_secret([i; 32]))
            .collect();
        let genesis = keys[ADA].sign(
            GENESIS_TEAM,
            Record {
                seq: 1,
                timestamp_ms: T0,
                origin: Origin::Person,
                payload: Payload::Genesis {
                    team_name: "acme".into(),
                    founder_name: "Ada".into(),
                    founder_email: Some("ada@example.org".into()),
                },
            },
        );
        let mut s = Signer {
            team: genesis.team_id(),
            keys,
            seqs: vec![1, 0, 0, 0],
            records: vec![genesis],
        };
        for (i, name) in [(BOB, "Bob"), (CY, "Cy")] {
            let member = s.keys[i].public();
            s.sign(
                ADA,
                i as u64,
                Origin::Person,
                Payload::Grant {
                    member,
                    name: name.into(),
                    email: None,
                    admin: false,
                },
            );
        }
        s
    }

    /// Signs `payload` as `who` with the next number, `minutes` after [`T0`].
    fn sign(&mut self, who: usize, minutes: u64, origin: Origin, payload: Payload) {
        self.seqs[who] += 1;
        self.sign_as(who, self.seqs[who], minutes, origin, payload);
    }

    /// Signs with an explicit number (an equivocation reuses one).
    fn sign_as(&mut self, who: usize, seq: u32, minutes: u64, origin: Origin, payload: Payload) {
        let r = self.keys[who].sign(
            self.team,
            Record {
                seq,
                timestamp_ms: T0 + minutes * MINUTE,
                origin,
                payload,
            },
        );
        self.records.push(r);
    }
}

fn attestation(p: &str, ai: Option<AiAssistance>) -> Attestation {
    Attestation {
        patch: patch(p),
        ai,
        description: None,
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: vec![],
        contributions: Vec::new(),
    }
}

/// Every field `show` can print: P1 has two authors (Ada with AI and every AI detail, Bob by
/// hand) and two reviews; P2 is an agent hook's claim of AI help with line spans.
fn clean_records() -> Signer {
    let mut s = Signer::acme();
    s.sign(
        ADA,
        60,
        Origin::Person,
        Payload::Attest(Attestation {
            description: Some("parser: accept trailing commas".into()),
            depends_on: vec![patch("P0")],
            conflicts_with: vec![patch("PX")],
            line_spans: vec![
                LineSpan {
                    file: "src/parse.rs".into(),
                    start: 10,
                    end: 24,
                },
                LineSpan {
                    file: "src/lib.rs".into(),
                    start: 3,
                    end: 3,
                },
            ],
            ..attestation(
                "P1",
                Some(AiAssistance {
                    provider: "anthropic".into(),
                    model: "claude-sonnet-4".into(),
                    suggestion_type: SuggestionType::Partial,
                    prompt_commitment: Some(PromptCommitment([7; 32])),
                    confidence_permille: Some(850),
                    token_count: Some(1200),
                    temperature_milli: Some(200),
                    max_tokens: Some(4096),
                    top_p_milli: Some(950),
                    review_seconds: Some(90),
                }),
            )
        }),
    );
    s.sign(
        BOB,
        75,
        Origin::Person,
        Payload::Attest(Attestation {
            description: Some(FLIP_ME.into()),
            ..attestation("P1", None)
        }),
    );
    s.sign(
        CY,
        120,
        Origin::Person,
        Payload::Review(Review {
            patch: patch("P1"),
            seconds: 240,
            verdict: Verdict::Approve,
            comment: Some("looks right".into()),
        }),
    );
    s.sign(
        BOB,
        130,
        Origin::Person,
        Payload::Review(Review {
            patch: patch("P1"),
            seconds: 30,
            verdict: Verdict::RequestChanges,
            comment: None,
        }),
    );
    s.sign(
        CY,
        24 * 60,
        Origin::AgentHook,
        Payload::Attest(Attestation {
            line_spans: vec![LineSpan {
                file: "README.md".into(),
                start: 1,
                end: 4,
            }],
            ..attestation(
                "P2",
                Some(AiAssistance {
                    provider: "openai".into(),
                    model: "gpt-5".into(),
                    suggestion_type: SuggestionType::Complete,
                    prompt_commitment: None,
                    confidence_permille: None,
                    token_count: None,
                    temperature_milli: None,
                    max_tokens: None,
                    top_p_milli: None,
                    review_seconds: None,
                }),
            )
        }),
    );
    s
}

/// Writes `records` into `dir/.attrib` (the store outside a Pijul repository) and returns
/// what the store said of each.
fn write_store(dir: &Path, records: &[SignedRecord]) -> Vec<Outcome> {
    let store = Store::open(&dir.join(".attrib")).unwrap();
    // A fixed "now", after every record: nothing is refused for its time.
    store.ingest(records, T0 + 3 * 24 * 60 * MINUTE).unwrap()
}

/// A reader whose store holds the clean records.
fn clean_reader(sb: &Sandbox) -> User {
    let u = sb.user("reader");
    let out = write_store(&u.repo, &clean_records().records);
    assert!(out.iter().all(|o| *o == Outcome::Accepted), "{out:?}");
    u
}

/// A reader whose store holds the clean records, then three kinds of trouble:
/// - Cy signs two different records with one number (an equivocation: both kept as
///   evidence, neither admitted, her key flagged);
/// - Mallory, never admitted, attests (held, not in the view);
/// - one byte of Bob's attestation of P1 is flipped in the store file (a bad signature).
fn bad_reader(sb: &Sandbox) -> User {
    let u = sb.user("reader");
    let mut s = clean_records();
    let clean = s.records.len();
    let cy_next = s.seqs[CY] + 1;
    s.sign_as(
        CY,
        cy_next,
        2 * 24 * 60,
        Origin::Person,
        Payload::Attest(attestation("P3", None)),
    );
    s.sign_as(
        CY,
        cy_next,
        2 * 24 * 60 + 1,
        Origin::Person,
        Payload::Attest(attestation("P4", None)),
    );
    s.sign(
        MALLORY,
        2 * 24 * 60 + 2,
        Origin::Person,
        Payload::Attest(attestation("P1", None)),
    );
    let out = write_store(&u.repo, &s.records);
    assert!(
        out[..clean].iter().all(|o| *o == Outcome::Accepted),
        "{out:?}"
    );
    assert_eq!(
        out[clean..],
        [
            // In one batch neither of Cy's two records is admitted.
            Outcome::Refused(Refusal::Equivocation { seq: cy_next }),
            Outcome::Refused(Refusal::Equivocation { seq: cy_next }),
            Outcome::Refused(Refusal::NonMember),
        ],
        "the fixture's trouble"
    );

    // The store keeps the description verbatim: flip one bit of its first letter on disk
    // ('M' becomes 'L'), as `overlay/tests/audit.rs` does.
    let file = u
        .repo
        .join(".attrib")
        .join(attrib_overlay::store::STORE_FILE);
    let mut bytes = std::fs::read(&file).unwrap();
    let at = bytes
        .windows(FLIP_ME.len())
        .position(|w| w == FLIP_ME.as_bytes())
        .expect("the description is stored verbatim");
    bytes[at] ^= 0x01;
    std::fs::write(&file, &bytes).unwrap();
    u
}

// ------------------------------------------------------------------------ show and verify

#[test]
fn show_matches_its_snapshots() {
    let sb = Sandbox::new();
    let u = clean_reader(&sb);
    for (name, args) in [
        ("out-show-P1.txt", vec!["show", "P1"]),
        ("out-show-P1.json", vec!["show", "P1", "--json"]),
        ("out-show-P2.txt", vec!["show", "P2"]),
        ("out-show-P2.json", vec!["show", "P2", "--json"]),
    ] {
        assert_snapshot(name, &u.run(&args).ok().stdout);
    }
}

/// In the bad store `show` still answers, and says which signature fails and which key is
/// flagged.
#[test]
fn show_in_a_bad_store_matches_its_snapshots() {
    let sb = Sandbox::new();
    let u = bad_reader(&sb);
    assert_snapshot(
        "out-show-P1-bad-store.txt",
        &u.run(["show", "P1"]).ok().stdout,
    );
    assert_snapshot(
        "out-show-P1-bad-store.json",
        &u.run(["show", "P1", "--json"]).ok().stdout,
    );
}

#[test]
fn verify_of_a_clean_store_matches_its_snapshots() {
    let sb = Sandbox::new();
    let u = clean_reader(&sb);
    assert_snapshot("out-verify-clean.txt", &u.run(["verify"]).ok().stdout);
    assert_snapshot(
        "out-verify-clean.json",
        &u.run(["verify", "--json"]).ok().stdout,
    );
}

#[test]
fn verify_of_a_bad_store_matches_its_snapshots() {
    let sb = Sandbox::new();
    let u = bad_reader(&sb);
    // Both fail with exit 1 and one `attrib: ` line (`fails` checks the error contract).
    let text = u.run(["verify"]).fails();
    let json = u.run(["verify", "--json"]).fails();
    assert_snapshot("out-verify-bad.txt", &text.stdout);
    assert_snapshot("out-verify-bad.json", &json.stdout);
    assert_eq!(json.stderr, text.stderr, "the same error line with --json");
    assert_snapshot("out-verify-bad.stderr", &text.stderr);
}

// ------------------------------------------------------------------------ masking

/// Values that differ from run to run, each replaced by a named placeholder as wide as the
/// value (`<ai______>` for a 10-character short hash), so tables keep their columns. Every
/// value is one the test read back from the commands (Pijul's log, `show --json`, `identity
/// show`), never a pattern: anything not named here is compared exactly as printed.
#[derive(Clone)]
struct Masks(Vec<(String, String)>);

impl Masks {
    fn new() -> Masks {
        Masks(Vec::new())
    }

    /// `actual` prints as `<name___>`, padded to its width.
    fn add(&mut self, actual: &str, name: &str) {
        let width = actual.chars().count();
        assert!(
            name.len() + 2 <= width,
            "placeholder {name:?} is wider than {actual:?}"
        );
        assert!(
            self.0.iter().all(|(a, _)| a != actual),
            "{actual:?} is masked twice"
        );
        let placeholder = format!("<{name}{}>", "_".repeat(width - name.len() - 2));
        self.0.push((actual.to_string(), placeholder));
    }

    /// A Pijul change hash: in full, and as the 10 characters `blame`'s table shows.
    fn change(&mut self, hash: &str, name: &str) {
        assert_eq!(hash.len(), 53, "a Pijul change hash: {hash:?}");
        self.add(hash, name);
        self.add(&hash[..10], name);
    }

    /// A signed record's id: in full, and as the 12 hex digits `record` prints.
    fn record_id(&mut self, hex: &str, name: &str) {
        assert_eq!(hex.len(), 64, "a record id: {hex:?}");
        self.add(hex, name);
        self.add(&hex[..12], name);
    }

    /// `text` with every value replaced, longest first (so a full hash goes before its prefix).
    fn apply(&self, text: &str) -> String {
        let mut by_len: Vec<&(String, String)> = self.0.iter().collect();
        by_len.sort_by_key(|(a, _)| std::cmp::Reverse(a.len()));
        by_len
            .into_iter()
            .fold(text.to_string(), |t, (a, p)| t.replace(a.as_str(), p))
    }
}

/// Fails if `text` still holds a Pijul change hash (53 base32 characters ending in `C`) that
/// no mask named: the snapshot would not be the same on the next run.
#[track_caller]
fn assert_no_change_hash(name: &str, text: &str) {
    let re = regex::Regex::new(r"\b[A-Z2-7]{52}C\b").unwrap();
    assert!(
        !re.is_match(text),
        "{name}: a change hash is left unmasked:\n{text}"
    );
}

// ------------------------------------------------------------------------ blame

/// Every attribution `blame` prints, in two files of a real Pijul repository:
/// - `a.txt`: AI lines (reviewed), a human line inserted above them (which must not take their
///   credit), a line from a plain `pijul record` nobody attested;
/// - `s.txt`: a change attested afterwards with line spans (one AI line, the others the
///   author's), then a human line above;
/// - `e.txt`: tracked and empty.
#[test]
fn blame_matches_its_snapshots() {
    let Some(w) = PijulWorld::new("blame_matches_its_snapshots") else {
        return;
    };
    let u = w.user("ann");
    let mut masks = Masks::new();

    w.edit(&u, "a.txt", "one\ntwo\n");
    let ai = attrib_record(
        &w,
        &u,
        &[
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--ai-suggestion-type",
            "complete",
            "--ai-confidence",
            "0.9",
        ],
        "by the AI",
    );
    masks.change(&ai, "ai");
    // A review must come from another member: Rob, admitted by Ann, in Ann's repository.
    let rob = w.sb.user("rob");
    w.attrib(&rob, ["identity", "new", "--name", "rob"], &[])
        .ok();
    w.attrib(&u, ["team", "add", &rob.pubkey(), "--name", "rob"], &[])
        .ok();
    let rob = rob.at(&u.repo);
    w.attrib(&rob, ["review", &ai, "--seconds", "60"], &[]).ok();
    w.edit(&u, "a.txt", "zero\none\ntwo\n");
    masks.change(&attrib_record(&w, &u, &["--no-ai"], "above"), "human");
    w.edit(&u, "a.txt", "zero\none\ntwo\nthree\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "plain"]);
    masks.change(&w.newest_hash(&u), "plain");

    w.edit(&u, "s.txt", "a\nb\nc\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "spans"]);
    let spans = w.newest_hash(&u);
    masks.change(&spans, "spans");
    w.attrib(
        &u,
        [
            "annotate",
            &spans,
            "--ai-provider",
            "openai",
            "--ai-model",
            "gpt-5",
            "--ai-lines",
            "s.txt:2-2",
        ],
        &[],
    )
    .ok();
    w.edit(&u, "s.txt", "top\na\nb\nc\n");
    masks.change(&attrib_record(&w, &u, &["--no-ai"], "top"), "top");

    w.edit(&u, "e.txt", "");
    masks.change(&attrib_record(&w, &u, &["--no-ai"], "empty"), "empty");

    for file in ["a.txt", "s.txt", "e.txt"] {
        for (ext, json) in [("txt", false), ("json", true)] {
            let mut args = vec!["blame", file];
            if json {
                args.push("--json");
            }
            let out = w.attrib(&u, &args, &[]).ok();
            assert_eq!(out.stderr, "", "blame {file}: nothing on stderr");
            let name = format!("out-blame-{}.{ext}", file.trim_end_matches(".txt"));
            let text = masks.apply(&out.stdout);
            assert_no_change_hash(&name, &text);
            assert_snapshot(&name, &text);
        }
    }
}

// ------------------------------------------------------------------------ record

/// What `record` prints for an AI-assisted and a human change, as text and as `--json`
/// (capture from flags and from the `ATOMIC_AI_*` environment). Masked: the change hashes,
/// this device's fresh key, and each attestation's time and record id (signed over both).
#[test]
fn record_matches_its_snapshots() {
    let Some(w) = PijulWorld::new("record_matches_its_snapshots") else {
        return;
    };
    let u = w.user("ann");
    let mut device = Masks::new();
    device.add(&u.pubkey(), "device key");

    // (snapshot, capture arguments, environment)
    type Case<'a> = (&'a str, Vec<&'a str>, Vec<(&'a str, &'a str)>);
    let cases: [Case; 4] = [
        (
            "ai.txt",
            vec![
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--ai-suggestion-type",
                "complete",
                "--ai-confidence",
                "0.9",
                "--ai-token-count",
                "1500",
                "--description",
                "first file",
            ],
            vec![],
        ),
        ("human.txt", vec!["--no-ai"], vec![]),
        (
            "ai.json",
            vec!["--json", "--origin", "agent"],
            vec![
                ("ATOMIC_AI_ENABLED", "true"),
                ("ATOMIC_AI_PROVIDER", "openai"),
                ("ATOMIC_AI_MODEL", "gpt-5"),
                ("ATOMIC_AI_SUGGESTION_TYPE", "collaborative"),
                ("ATOMIC_AI_CONFIDENCE", "0.75"),
                ("ATOMIC_AI_TOKEN_COUNT", "1234"),
                ("ATOMIC_AI_REVIEW_TIME", "45"),
                ("ATOMIC_AI_TEMPERATURE", "0.2"),
                ("ATOMIC_AI_MAX_TOKENS", "4096"),
                ("ATOMIC_AI_TOP_P", "0.9"),
            ],
        ),
        ("human.json", vec!["--json", "--no-ai"], vec![]),
    ];
    for (i, (name, capture, env)) in cases.into_iter().enumerate() {
        let n = i + 1;
        w.edit(&u, &format!("f{n}.txt"), &format!("file {n}\n"));
        let mut args = vec!["record"];
        args.extend(capture);
        let message = format!("change {n}");
        args.extend(["--", "-m", &message]);
        let out = w.attrib(&u, &args, &env).ok();
        assert_eq!(out.stderr, "", "record {name}: nothing on stderr");

        // What varies, read back from Pijul and from the attestation as `show` gives it.
        // Masked per case: two records can fall in the same second.
        let mut masks = device.clone();
        let hash = w.newest_hash(&u);
        masks.change(&hash, "change");
        let show = u.show_json(&hash);
        let a = &show["attestations"][0];
        masks.record_id(a["record_id"].as_str().unwrap(), "record");
        masks.add(a["time"].as_str().unwrap(), "time");
        masks.add(&a["timestamp_ms"].to_string(), "ms");

        let name = format!("out-record-{name}");
        let text = masks.apply(&out.stdout);
        assert_no_change_hash(&name, &text);
        assert_snapshot(&name, &text);
    }
}
