//! `export --format csv|agent-trace`, `import` of Agent Trace records, `completions`, `man`, and
//! progress output staying off pipes.
//!
//! The CSV and Agent Trace outputs are compared with snapshots in `tests/cli/snapshots/`, made
//! from a fixture whose keys, times and records are fixed (ed25519 signatures are
//! deterministic, so the record ids are too). `ATTRIB_BLESS=1` rewrites them (see
//! [`assert_snapshot`]).
//! Every exported Agent Trace record is validated against `schemas/agent-trace-0.1.schema.json`
//! by a small JSON Schema validator below that refuses any keyword it does not implement.

use std::ffi::OsStr;
use std::path::Path;

use attrib_overlay::exchange::to_json_line;
use attrib_overlay::signed::GENESIS_TEAM;
use attrib_overlay::{
    AiAssistance, Attestation, Identity, LineSpan, Origin, PatchId, Payload, Record, Review,
    SignedRecord, SuggestionType, Verdict,
};
use serde_json::{json, Value};

use crate::pijul_world::PijulWorld;
use crate::support::{assert_snapshot, Sandbox, User};

// ------------------------------------------------------------------------ the fixture

/// 2025-06-01T00:00:00Z.
const T0: u64 = 1_748_736_000_000;

fn patch(s: &str) -> PatchId {
    PatchId::new(s).unwrap()
}

fn span(file: &str, start: u32, end: u32) -> LineSpan {
    LineSpan {
        file: file.into(),
        start,
        end,
    }
}

fn ai(provider: &str, model: &str, st: SuggestionType) -> AiAssistance {
    AiAssistance {
        provider: provider.into(),
        model: model.into(),
        suggestion_type: st,
        prompt_commitment: None,
        confidence_permille: None,
        token_count: None,
        temperature_milli: None,
        max_tokens: None,
        top_p_milli: None,
        review_seconds: None,
    }
}

fn attest(
    p: &str,
    ai: Option<AiAssistance>,
    description: Option<&str>,
    spans: Vec<LineSpan>,
) -> Payload {
    Payload::Attest(Attestation {
        patch: patch(p),
        ai,
        description: description.map(str::to_string),
        depends_on: vec![],
        conflicts_with: vec![],
        replaces: None,
        line_spans: spans,
        contributions: Vec::new(),
    })
}

/// Team "acme": Alice (founder) and "Bob, Jr." with fixed keys; four attestations (AI with
/// spans, human, an agent's AI claim with spans, AI without spans) and one review.
fn fixture_lines() -> String {
    let alice = Identity::from_secret([1; 32]);
    let bob = Identity::from_secret([2; 32]);
    let rec = |seq: u32, minutes: u64, origin: Origin, payload: Payload| Record {
        seq,
        timestamp_ms: T0 + minutes * 60_000,
        origin,
        payload,
    };
    let genesis = alice.sign(
        GENESIS_TEAM,
        rec(
            1,
            0,
            Origin::Person,
            Payload::Genesis {
                team_name: "acme".into(),
                founder_name: "Alice".into(),
                founder_email: Some("alice@example.org".into()),
            },
        ),
    );
    let team = genesis.team_id();
    let mut p1 = ai("anthropic", "claude-sonnet-4", SuggestionType::Partial);
    p1.confidence_permille = Some(850);
    p1.token_count = Some(1200);
    p1.review_seconds = Some(90);
    let mut p3 = ai("openai", "gpt-5", SuggestionType::Complete);
    p3.confidence_permille = Some(1000);
    let records: Vec<SignedRecord> = vec![
        genesis,
        alice.sign(
            team,
            rec(
                2,
                1,
                Origin::Person,
                Payload::Grant {
                    member: bob.public(),
                    name: "Bob, Jr.".into(),
                    email: None,
                    admin: false,
                },
            ),
        ),
        alice.sign(
            team,
            rec(
                3,
                10,
                Origin::Person,
                attest(
                    "P1",
                    Some(p1),
                    Some("parser: trailing commas, the \"fast\" path"),
                    vec![
                        span("src/parser.rs", 10, 24),
                        span("src/parser.rs", 30, 31),
                        span("src/lib.rs", 1, 3),
                    ],
                ),
            ),
        ),
        alice.sign(
            team,
            rec(
                4,
                20,
                Origin::Person,
                attest("P2", None, Some("by hand\nsecond line"), vec![]),
            ),
        ),
        bob.sign(
            team,
            rec(
                1,
                30,
                Origin::AgentHook,
                attest("P3", Some(p3), None, vec![span("docs/guide.md", 5, 9)]),
            ),
        ),
        bob.sign(
            team,
            rec(
                2,
                40,
                Origin::Person,
                Payload::Review(Review {
                    patch: patch("P1"),
                    seconds: 240,
                    verdict: Verdict::Approve,
                    comment: Some("looks right".into()),
                }),
            ),
        ),
        bob.sign(
            team,
            rec(
                3,
                50,
                Origin::Person,
                attest(
                    "P4",
                    Some(ai("google", "gemini-2.5-pro", SuggestionType::Inspired)),
                    None,
                    vec![],
                ),
            ),
        ),
    ];
    records
        .iter()
        .map(|r| to_json_line(r) + "\n")
        .collect::<String>()
}

/// A user who joined the fixture team (not a member: it only reads).
fn fixture_reader(sb: &Sandbox) -> User {
    let file = sb.file("fixture");
    std::fs::write(&file, fixture_lines()).unwrap();
    let u = sb.user("reader");
    u.run([OsStr::new("init"), OsStr::new("--join"), file.as_os_str()])
        .ok();
    u
}

// ------------------------------------------------------------------------ RFC 4180 reader

/// Parses RFC 4180 text strictly: CRLF records, quoted fields with doubled quotes.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row = Vec::new();
    let mut field = String::new();
    let mut chars = text.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if at_start => {
                quoted = true;
                at_start = false;
            }
            '"' => panic!("a quote inside an unquoted field: {field:?}"),
            ',' => {
                row.push(std::mem::take(&mut field));
                at_start = true;
            }
            '\r' => {
                assert_eq!(chars.next(), Some('\n'), "CR without LF");
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
                at_start = true;
            }
            '\n' => panic!("bare LF outside quotes"),
            c => {
                field.push(c);
                at_start = false;
            }
        }
    }
    assert!(!quoted, "unterminated quoted field");
    assert!(row.is_empty() && field.is_empty(), "last record lacks CRLF");
    rows
}

// ------------------------------------------------------------------------ JSON Schema subset

fn schema() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("schemas")
        .join("agent-trace-0.1.schema.json");
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Validates `v` against `s` (a draft 2020-12 subset: type, required, properties,
/// additionalProperties, items, enum, pattern, minimum, maximum, minLength, maxLength, $ref to
/// `#/$defs/…`, and the formats uuid, date-time and uri). Any other keyword panics, so the
/// schema can never use a rule this validator silently skips.
fn validate(root: &Value, s: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let obj = s.as_object().expect("a schema is an object");
    if let Some(r) = obj.get("$ref") {
        let name = r
            .as_str()
            .unwrap()
            .strip_prefix("#/$defs/")
            .expect("local $ref");
        validate(root, &root["$defs"][name], v, at, errors);
    }
    for (k, rule) in obj {
        match k.as_str() {
            "$ref" | "$schema" | "$id" | "$comment" | "$defs" | "title" | "description" => {}
            "type" => {
                let ok = match rule.as_str().unwrap() {
                    "object" => v.is_object(),
                    "array" => v.is_array(),
                    "string" => v.is_string(),
                    "integer" => v.is_i64() || v.is_u64(),
                    "number" => v.is_number(),
                    "boolean" => v.is_boolean(),
                    other => panic!("type {other} not supported"),
                };
                if !ok {
                    errors.push(format!("{at}: expected {rule}, got {v}"));
                }
            }
            "required" => {
                for name in rule.as_array().unwrap() {
                    let name = name.as_str().unwrap();
                    if v.as_object().is_some_and(|o| !o.contains_key(name)) {
                        errors.push(format!("{at}: missing {name}"));
                    }
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in rule.as_object().unwrap() {
                        if let Some(x) = o.get(name) {
                            validate(root, sub, x, &format!("{at}.{name}"), errors);
                        }
                    }
                }
            }
            "additionalProperties" => {
                let known = obj.get("properties").and_then(Value::as_object);
                if let Some(o) = v.as_object() {
                    for (name, x) in o {
                        if known.is_some_and(|k| k.contains_key(name)) {
                            continue;
                        }
                        match rule {
                            Value::Bool(false) => {
                                errors.push(format!("{at}: unexpected property {name}"))
                            }
                            Value::Bool(true) => {}
                            sub => validate(root, sub, x, &format!("{at}.{name}"), errors),
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        validate(root, rule, x, &format!("{at}[{i}]"), errors);
                    }
                }
            }
            "enum" => {
                if !rule.as_array().unwrap().contains(v) {
                    errors.push(format!("{at}: {v} is not one of {rule}"));
                }
            }
            "pattern" => {
                let re = regex::Regex::new(rule.as_str().unwrap()).unwrap();
                if let Some(x) = v.as_str() {
                    if !re.is_match(x) {
                        errors.push(format!("{at}: {x:?} does not match {rule}"));
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(limit)) = (v.as_f64(), rule.as_f64()) {
                    if (k == "minimum" && x < limit) || (k == "maximum" && x > limit) {
                        errors.push(format!("{at}: {x} violates {k} {limit}"));
                    }
                }
            }
            "minLength" | "maxLength" => {
                if let (Some(x), Some(limit)) = (v.as_str(), rule.as_u64()) {
                    let n = x.chars().count() as u64;
                    if (k == "minLength" && n < limit) || (k == "maxLength" && n > limit) {
                        errors.push(format!("{at}: length {n} violates {k} {limit}"));
                    }
                }
            }
            "format" => {
                if let Some(x) = v.as_str() {
                    if !format_ok(rule.as_str().unwrap(), x) {
                        errors.push(format!("{at}: {x:?} is not a {rule}"));
                    }
                }
            }
            other => panic!("the validator does not implement the keyword {other:?}"),
        }
    }
}

/// The formats the schema names.
fn format_ok(format: &str, x: &str) -> bool {
    match format {
        "uuid" => regex::Regex::new(
            "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
        )
        .unwrap()
        .is_match(x),
        "date-time" => humantime::parse_rfc3339_weak(x).is_ok(),
        "uri" => regex::Regex::new("^[A-Za-z][A-Za-z0-9+.-]*:[^\\s]*$")
            .unwrap()
            .is_match(x),
        other => panic!("format {other} not supported"),
    }
}

fn schema_errors(record: &Value) -> Vec<String> {
    let root = schema();
    let mut errors = Vec::new();
    validate(&root, &root, record, "$", &mut errors);
    errors
}

#[track_caller]
fn assert_valid_trace(record: &Value) {
    let errors = schema_errors(record);
    assert!(
        errors.is_empty(),
        "not a valid Agent Trace record: {errors:?}\n{record:#}"
    );
}

fn lines_json(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

// ------------------------------------------------------------------------ CSV

#[test]
fn csv_export_matches_snapshot_and_rfc4180() {
    let sb = Sandbox::new();
    let u = fixture_reader(&sb);
    let out = u.run(["export", "--format", "csv"]).ok();
    assert_snapshot("formats-export.csv", &out.stdout);

    let rows = parse_csv(&out.stdout);
    assert_eq!(rows[0].len(), 24, "{:?}", rows[0]);
    assert_eq!(
        &rows[0][..5],
        ["change", "author", "author_key", "origin", "ai_assisted"]
    );
    assert_eq!(rows.len(), 5, "header and four attestations");
    assert!(rows.iter().all(|r| r.len() == 24));
    let col = |name: &str| rows[0].iter().position(|c| c == name).unwrap();
    // Oldest first.
    let changes: Vec<&str> = rows[1..].iter().map(|r| r[0].as_str()).collect();
    assert_eq!(changes, ["P1", "P2", "P3", "P4"]);
    let p1 = &rows[1];
    assert_eq!(p1[col("author")], "Alice");
    assert_eq!(p1[col("provider")], "anthropic");
    assert_eq!(p1[col("model")], "claude-sonnet-4");
    assert_eq!(p1[col("suggestion_type")], "partial");
    assert_eq!(p1[col("confidence")], "0.85");
    assert_eq!(p1[col("token_count")], "1200");
    assert_eq!(p1[col("ai_review_seconds")], "90");
    assert_eq!(
        p1[col("line_spans")],
        "src/parser.rs:10-24;src/parser.rs:30-31;src/lib.rs:1-3"
    );
    // Commas and quotes survive the quoting.
    assert_eq!(
        p1[col("description")],
        "parser: trailing commas, the \"fast\" path"
    );
    assert_eq!(p1[col("attested_at")], "2025-06-01T00:10:00Z");
    assert_eq!(p1[col("reviews")], "1");
    assert_eq!(p1[col("reviewed_by")], "Bob, Jr.:approve");
    assert_eq!(p1[col("review_seconds")], "240");
    assert_eq!(p1[col("last_review_at")], "2025-06-01T00:40:00Z");
    let p2 = &rows[2];
    assert_eq!(p2[col("ai_assisted")], "false");
    assert_eq!(p2[col("provider")], "");
    assert_eq!(p2[col("description")], "by hand\nsecond line");
    assert_eq!(p2[col("reviews")], "0");
    let p3 = &rows[3];
    assert_eq!(p3[col("author")], "Bob, Jr.");
    assert_eq!(p3[col("origin")], "agent-hook");
    assert_eq!(p3[col("confidence")], "1");
    // No contributions in these attestations: the last two columns say so.
    assert_eq!(
        (
            p3[col("contributions")].as_str(),
            p3[col("contributed_by")].as_str()
        ),
        ("0", "")
    );

    // To a file: the same bytes, and a note on stderr.
    let file = sb.path().join("report.csv");
    let written = u
        .run([
            OsStr::new("export"),
            OsStr::new("--format"),
            OsStr::new("csv"),
            OsStr::new("-o"),
            file.as_os_str(),
        ])
        .ok();
    assert!(
        written.stderr.contains("4 attestations as CSV"),
        "{}",
        written.stderr
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), out.stdout);
    u.run(["export", "--format", "xml"]).usage_err();
}

#[test]
fn csv_of_an_empty_team_is_just_the_header() {
    let sb = Sandbox::new();
    let u = sb.user("solo");
    u.run(["init", "--team", "t", "--name", "solo"]).ok();
    let out = u.run(["export", "--format", "csv"]).ok();
    assert_eq!(parse_csv(&out.stdout).len(), 1);
    assert!(out.stdout.starts_with("change,author,author_key,"));
}

// ------------------------------------------------------------------------ Agent Trace export

#[test]
fn agent_trace_export_matches_snapshot_and_schema() {
    let sb = Sandbox::new();
    let u = fixture_reader(&sb);
    let out = u.run(["export", "--format", "agent-trace"]).ok();
    // The tool's version changes with every release; the snapshot says VERSION.
    let tool = format!(
        "\"tool\":{{\"name\":\"attrib\",\"version\":\"{}\"}}",
        env!("CARGO_PKG_VERSION")
    );
    assert!(out.stdout.contains(&tool), "{}", out.stdout);
    assert_snapshot(
        "formats-export.agent-trace.jsonl",
        &out.stdout.replace(
            &tool,
            "\"tool\":{\"name\":\"attrib\",\"version\":\"VERSION\"}",
        ),
    );
    // P4 is AI-assisted but has no spans: left out, with a note.
    assert!(
        out.stderr
            .contains("1 AI-assisted attestation(s) without line spans"),
        "{}",
        out.stderr
    );
    let records = lines_json(&out.stdout);
    assert_eq!(records.len(), 2, "P1 and P3 have line spans");
    for r in &records {
        assert_valid_trace(r);
    }
    let p1 = &records[0];
    assert_eq!(p1["version"], "0.1");
    assert_eq!(p1["timestamp"], "2025-06-01T00:10:00.000Z");
    assert_eq!(p1["tool"]["name"], "attrib");
    assert!(p1.get("vcs").is_none(), "Pijul is not a vcs type of v0.1");
    assert_eq!(p1["metadata"]["dev.attrib"]["change"], "P1");
    assert_eq!(p1["metadata"]["dev.attrib"]["author"]["name"], "Alice");
    assert_eq!(p1["metadata"]["dev.attrib"]["suggestion_type"], "partial");
    assert_eq!(p1["metadata"]["confidence"], 0.85);
    let files = p1["files"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    assert_eq!(files[0]["path"], "src/parser.rs");
    let conv = &files[0]["conversations"][0];
    assert_eq!(
        conv["contributor"],
        json!({"type": "ai", "model_id": "anthropic/claude-sonnet-4"})
    );
    assert_eq!(
        conv["ranges"],
        json!([{"start_line": 10, "end_line": 24}, {"start_line": 30, "end_line": 31}])
    );
    assert_eq!(files[1]["path"], "src/lib.rs");
    assert_eq!(records[1]["metadata"]["dev.attrib"]["origin"], "agent-hook");
    assert_eq!(
        records[1]["files"][0]["conversations"][0]["contributor"]["model_id"],
        "openai/gpt-5"
    );
    // Ids are UUIDs derived from the signed records: a second export is identical.
    assert_ne!(records[0]["id"], records[1]["id"]);
    let again = u.run(["export", "--format", "agent-trace"]).ok();
    assert_eq!(again.stdout, out.stdout);
}

#[test]
fn the_schema_validator_is_not_vacuous() {
    let good = json!({
        "version": "0.1",
        "id": "550e8400-e29b-41d4-a716-446655440000",
        "timestamp": "2026-01-23T14:30:00Z",
        "vcs": {"type": "git", "revision": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"},
        "tool": {"name": "cursor", "version": "2.4.0"},
        "files": [{
            "path": "src/utils/parser.ts",
            "conversations": [{
                "url": "https://api.example.com/v1/conversations/12345",
                "contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4-5-20251101"},
                "ranges": [{"start_line": 42, "end_line": 67, "content_hash": "murmur3:9f2e8a1b"}],
                "related": [{"type": "session", "url": "https://api.example.com/v1/sessions/67890"}]
            }]
        }],
        "metadata": {"confidence": 0.95, "dev.cursor": {"workspace_id": "ws-abc123"}}
    });
    assert_valid_trace(&good);
    type Breakage = Box<dyn Fn(&mut Value)>;
    let broken: Vec<(&str, Breakage)> = vec![
        (
            "missing files",
            Box::new(|v| {
                v.as_object_mut().unwrap().remove("files");
            }),
        ),
        ("version 0.1.0", Box::new(|v| v["version"] = json!("0.1.0"))),
        ("id", Box::new(|v| v["id"] = json!("not-a-uuid"))),
        (
            "timestamp",
            Box::new(|v| v["timestamp"] = json!("yesterday")),
        ),
        ("vcs type", Box::new(|v| v["vcs"]["type"] = json!("pijul"))),
        (
            "tool without version",
            Box::new(|v| {
                v["tool"].as_object_mut().unwrap().remove("version");
            }),
        ),
        ("extra field", Box::new(|v| v["extra"] = json!(1))),
        (
            "start_line 0",
            Box::new(|v| v["files"][0]["conversations"][0]["ranges"][0]["start_line"] = json!(0)),
        ),
        (
            "line as string",
            Box::new(|v| v["files"][0]["conversations"][0]["ranges"][0]["end_line"] = json!("67")),
        ),
        (
            "contributor type",
            Box::new(|v| v["files"][0]["conversations"][0]["contributor"]["type"] = json!("robot")),
        ),
        (
            "model_id too long",
            Box::new(|v| {
                v["files"][0]["conversations"][0]["contributor"]["model_id"] =
                    json!("x".repeat(251))
            }),
        ),
        (
            "range field",
            Box::new(|v| v["files"][0]["conversations"][0]["ranges"][0]["lines"] = json!(3)),
        ),
        (
            "related without url",
            Box::new(|v| {
                v["files"][0]["conversations"][0]["related"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("url");
            }),
        ),
        (
            "url",
            Box::new(|v| v["files"][0]["conversations"][0]["url"] = json!("not a url")),
        ),
    ];
    for (what, f) in broken {
        let mut v = good.clone();
        f(&mut v);
        assert!(!schema_errors(&v).is_empty(), "{what}: should be invalid");
    }
}

// ------------------------------------------------------------------------ Agent Trace import

/// alice in team "t" with two AI-assisted patches with line spans and a human one.
fn alice_with_spans(sb: &Sandbox) -> User {
    let alice = sb.user("alice");
    alice.run(["init", "--team", "t", "--name", "alice"]).ok();
    alice
        .run([
            "annotate",
            "PA",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--ai-suggestion-type",
            "partial",
            "--ai-confidence",
            "0.8",
            "--ai-lines",
            "src/a.rs:3-9",
            "--ai-lines",
            "src/b.rs:1-1",
            "--ai-lines",
            "src/a.rs:20-22",
        ])
        .ok();
    alice
        .run([
            "annotate",
            "PB",
            "--ai-provider",
            "openrouter",
            "--ai-model",
            "meta/llama-4",
            "--ai-lines",
            "README.md:2-4",
        ])
        .ok();
    alice.run(["annotate", "PH"]).ok();
    alice
}

/// `(patch, provider, model, suggestion type, spans)` of a user's attestations.
/// `(patch, provider, model, suggestion type, sorted spans)`.
type ClaimRow = (String, String, String, String, Vec<(String, u64, u64)>);

fn claims(u: &User) -> Vec<ClaimRow> {
    let mut out: Vec<_> = u
        .log_json(&[])
        .iter()
        .map(|r| {
            let spans = r["line_spans"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    (
                        s["file"].as_str().unwrap().to_string(),
                        s["start"].as_u64().unwrap(),
                        s["end"].as_u64().unwrap(),
                    )
                })
                .collect::<Vec<_>>();
            let mut spans = spans;
            spans.sort();
            let s = |k: &str| r["ai"][k].as_str().unwrap_or("").to_string();
            (
                r["patch"].as_str().unwrap().to_string(),
                s("provider"),
                s("model"),
                s("suggestion_type"),
                spans,
            )
        })
        .collect();
    out.sort();
    out
}

/// The `files` of each exported record, keyed by patch, for comparing exports.
fn traced_files(text: &str) -> Vec<(String, Value)> {
    let mut v: Vec<(String, Value)> = lines_json(text)
        .into_iter()
        .map(|r| {
            (
                r["metadata"]["dev.attrib"]["change"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                r["files"].clone(),
            )
        })
        .collect();
    v.sort_by(|a, b| a.0.cmp(&b.0));
    v
}

#[test]
fn agent_trace_round_trips_through_import() {
    let sb = Sandbox::new();
    let alice = alice_with_spans(&sb);
    let trace = sb.path().join("alice.agent-trace.jsonl");
    alice
        .run([
            OsStr::new("export"),
            OsStr::new("--format"),
            OsStr::new("agent-trace"),
            OsStr::new("-o"),
            trace.as_os_str(),
        ])
        .ok();
    let exported = std::fs::read_to_string(&trace).unwrap();
    for r in lines_json(&exported) {
        assert_valid_trace(&r);
    }

    // carol, in a team of her own, imports it (the format is detected).
    let carol = sb.user("carol");
    carol.run(["init", "--team", "u", "--name", "carol"]).ok();
    let out = carol.import(&trace).ok();
    assert!(
        out.stdout
            .contains("read 2 Agent Trace record(s): attested 2 patch(es)"),
        "{}",
        out.stdout
    );
    let mine = claims(&carol);
    let theirs: Vec<_> = claims(&alice).into_iter().filter(|c| c.0 != "PH").collect();
    assert_eq!(mine, theirs, "spans, models and suggestion types survive");

    // The claims are carol's, marked as imported, with the source noted.
    let show = carol.show_json("PA");
    let a = &show["attestations"][0];
    assert_eq!(a["author"]["name"], "carol");
    assert_eq!(a["origin"], "imported");
    assert_eq!(a["ai"]["confidence"], 0.8);
    let d = a["description"].as_str().unwrap();
    assert!(
        d.starts_with("imported claim (unsigned source): Agent Trace record "),
        "{d}"
    );
    assert!(d.contains("by attrib"), "{d}");
    assert!(d.contains("attested there by alice"), "{d}");
    carol.run(["verify"]).ok();

    // Exported again, the ranges and models are the same.
    let again = carol.run(["export", "--format", "agent-trace"]).ok().stdout;
    assert_eq!(traced_files(&again), traced_files(&exported));

    // Importing the same file again changes nothing.
    let seq_before = carol.export_lines().len();
    let out = carol
        .run([
            OsStr::new("import"),
            trace.as_os_str(),
            OsStr::new("--json"),
        ])
        .ok();
    let v = out.json();
    assert_eq!(v["format"], "agent-trace");
    assert_eq!(v["attested"], json!([]));
    assert_eq!(v["unchanged"], json!(["PA", "PB"]));
    assert_eq!(carol.export_lines().len(), seq_before);
}

/// In a Pijul repository an attestation of a whole change (no spans, as `attrib record`
/// makes) exports the lines the change added; imported, it is a whole-change claim again.
#[test]
fn whole_change_attestations_export_the_lines_their_change_added() {
    let Some(w) = PijulWorld::new("whole_change_attestations_export_the_lines_their_change_added")
    else {
        return;
    };
    let u = w.user("dana");
    w.edit(&u, "a.txt", "one\ntwo\nthree\n");
    w.attrib(
        &u,
        [
            "record",
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
            "--",
            "-m",
            "first",
        ],
        &[],
    )
    .ok();
    let first = w.newest_hash(&u);
    // Two lines on top and one at the end: two runs, numbered as the change recorded them.
    w.edit(&u, "a.txt", "zero\nhalf\none\ntwo\nthree\nfour\n");
    w.edit(&u, "b.txt", "b1\nb2\n");
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
            "second",
        ],
        &[],
    )
    .ok();
    let second = w.newest_hash(&u);
    w.attrib(&u, ["record", "--no-ai", "--", "-m", "human"], &[]);
    let out = w
        .attrib(&u, ["export", "--format", "agent-trace"], &[])
        .ok();
    let records = lines_json(&out.stdout);
    assert_eq!(records.len(), 2, "{}", out.stdout);
    for r in &records {
        assert_valid_trace(r);
        assert_eq!(r["metadata"]["dev.attrib"]["lines"], "all-added");
    }
    let by_change = |h: &str| {
        records
            .iter()
            .find(|r| r["metadata"]["dev.attrib"]["change"] == h)
            .unwrap_or_else(|| panic!("no record for {h}"))
            .clone()
    };
    let r1 = by_change(&first);
    assert_eq!(r1["files"][0]["path"], "a.txt");
    assert_eq!(
        r1["files"][0]["conversations"][0]["ranges"],
        json!([{"start_line": 1, "end_line": 3}])
    );
    let r2 = by_change(&second);
    let mut files: Vec<(String, Value)> = r2["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["path"].as_str().unwrap().to_string(),
                f["conversations"][0]["ranges"].clone(),
            )
        })
        .collect();
    files.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        files,
        [
            (
                "a.txt".to_string(),
                json!([{"start_line": 1, "end_line": 2}, {"start_line": 6, "end_line": 6}])
            ),
            (
                "b.txt".to_string(),
                json!([{"start_line": 1, "end_line": 2}])
            ),
        ]
    );
    assert_eq!(
        r2["files"][0]["conversations"][0]["contributor"]["model_id"],
        "openai/gpt-5"
    );

    // Imported elsewhere: a claim on the whole change, no spans.
    let carol = w.sb.user("carol");
    carol.run(["init", "--team", "u", "--name", "carol"]).ok();
    carol.run_stdin(["import", "-"], out.stdout.as_bytes()).ok();
    let a = &carol.show_json(&second)["attestations"][0];
    assert_eq!(a["origin"], "imported");
    assert_eq!(a["ai"]["model"], "gpt-5");
    assert_eq!(a["line_spans"], json!([]));
    // Outside the repository the same attestations have no lines to export.
    let outside = carol.run(["export", "--format", "agent-trace"]).ok();
    assert!(outside.stdout.is_empty(), "{}", outside.stdout);
    assert!(
        outside.stderr.contains("2 AI-assisted"),
        "{}",
        outside.stderr
    );
}

#[test]
fn agent_trace_import_never_replaces_your_own_attestation() {
    let sb = Sandbox::new();
    let alice = alice_with_spans(&sb);
    let trace = alice.run(["export", "--format", "agent-trace"]).ok().stdout;
    let carol = sb.user("carol");
    carol.run(["init", "--team", "u", "--name", "carol"]).ok();
    carol
        .run(["annotate", "PA", "--description", "I wrote this myself"])
        .ok();
    let out = carol
        .run_stdin(
            ["import", "-", "--format", "agent-trace", "--json"],
            trace.as_bytes(),
        )
        .ok();
    let v = out.json();
    assert_eq!(v["kept_own"], json!(["PA"]));
    assert_eq!(v["attested"], json!(["PB"]));
    let a = &carol.show_json("PA")["attestations"][0];
    assert_eq!(a["origin"], "person");
    assert_eq!(a["ai_assisted"], false);
}

#[test]
fn foreign_agent_trace_records_become_imported_claims() {
    let sb = Sandbox::new();
    let carol = sb.user("carol");
    carol.run(["init", "--team", "u", "--name", "carol"]).ok();
    // A pretty-printed array from another tool: git revisions, two models in one record, a
    // per-range override, a human conversation, and a record with no revision at all.
    let foreign = json!([
        {
            "version": "0.1.0",
            "id": "550e8400-e29b-41d4-a716-446655440000",
            "timestamp": "2026-01-23T14:30:00Z",
            "vcs": {"type": "git", "revision": "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"},
            "tool": {"name": "cursor", "version": "2.4.0"},
            "files": [
                {"path": "src/utils/parser.ts", "conversations": [{
                    "url": "https://api.example.com/v1/conversations/12345",
                    "contributor": {"type": "ai", "model_id": "anthropic/claude-opus-4-5-20251101"},
                    "ranges": [
                        {"start_line": 42, "end_line": 67, "content_hash": "murmur3:9f2e8a1b"},
                        {"start_line": 70, "end_line": 71, "contributor": {"type": "mixed", "model_id": "openai/gpt-4o"}}
                    ]
                }]},
                {"path": "src/utils/helpers.ts", "conversations": [
                    {"contributor": {"type": "human"}, "ranges": [{"start_line": 1, "end_line": 9}]}
                ]}
            ],
            "metadata": {"confidence": 0.95, "dev.cursor": {"workspace_id": "ws-abc123"}}
        },
        {
            "version": "1.0",
            "id": "00000000-0000-4000-8000-000000000001",
            "timestamp": "2026-01-25T10:00:00Z",
            "vcs": {"type": "jj", "revision": "kkmpptxz"},
            "files": [{"path": "app.ts", "conversations": [
                {"contributor": {"type": "human"}, "ranges": [{"start_line": 1, "end_line": 50}]}
            ]}]
        },
        {
            "version": "0.1",
            "id": "00000000-0000-4000-8000-000000000002",
            "timestamp": "2026-01-25T10:00:00Z",
            "files": [{"path": "x.ts", "conversations": [
                {"contributor": {"type": "ai"}, "ranges": [{"start_line": 1, "end_line": 2}]}
            ]}]
        }
    ]);
    let file = sb.path().join("traces.json");
    std::fs::write(&file, serde_json::to_string_pretty(&foreign).unwrap()).unwrap();
    let v = carol
        .run([OsStr::new("import"), file.as_os_str(), OsStr::new("--json")])
        .ok()
        .json();
    assert_eq!(v["records"], 3);
    assert_eq!(
        v["attested"],
        json!(["a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0", "kkmpptxz"])
    );
    assert_eq!(v["skipped_no_revision"], 1);

    let git = &carol.show_json("a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0")["attestations"][0];
    assert_eq!(git["origin"], "imported");
    assert_eq!(git["ai"]["provider"], "anthropic");
    assert_eq!(git["ai"]["model"], "claude-opus-4-5-20251101");
    assert_eq!(git["ai"]["suggestion_type"], "complete");
    assert_eq!(git["ai"]["confidence"], 0.95);
    assert_eq!(
        git["line_spans"],
        json!([
            {"file": "src/utils/parser.ts", "start": 42, "end": 67},
            {"file": "src/utils/parser.ts", "start": 70, "end": 71}
        ])
    );
    let d = git["description"].as_str().unwrap();
    assert!(d.contains("550e8400-e29b-41d4-a716-446655440000"), "{d}");
    assert!(d.contains("by cursor 2.4.0"), "{d}");
    assert!(d.contains("ranges also by openai/gpt-4o"), "{d}");
    // Only human ranges: a human claim.
    let jj = &carol.show_json("kkmpptxz")["attestations"][0];
    assert_eq!(jj["ai_assisted"], false);
    assert_eq!(jj["origin"], "imported");
    assert_eq!(
        carol.log_patches(&["--ai-only"]),
        ["a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0"]
    );
}

#[test]
fn malformed_agent_trace_imports_nothing() {
    let sb = Sandbox::new();
    let alice = alice_with_spans(&sb);
    let good = alice.run(["export", "--format", "agent-trace"]).ok().stdout;
    let carol = sb.user("carol");
    carol.run(["init", "--team", "u", "--name", "carol"]).ok();
    let first = good.lines().next().unwrap().to_string();
    let mut zero = serde_json::from_str::<Value>(&first).unwrap();
    zero["files"][0]["conversations"][0]["ranges"][0]["start_line"] = json!(0);
    let mut no_files = serde_json::from_str::<Value>(&first).unwrap();
    no_files.as_object_mut().unwrap().remove("files");
    let mut bad_id = serde_json::from_str::<Value>(&first).unwrap();
    bad_id["id"] = json!("nope");
    let mut bad_type = serde_json::from_str::<Value>(&first).unwrap();
    bad_type["files"][0]["conversations"][0]["contributor"]["type"] = json!("robot");
    let mut bad_st = serde_json::from_str::<Value>(&first).unwrap();
    bad_st["metadata"]["dev.attrib"]["suggestion_type"] = json!("mostly");
    let cases: Vec<(String, &str)> = vec![
        (format!("{first}\n{{\"files\": [\n"), "line 2: not JSON"),
        (format!("{first}\n{zero}\n"), "line 2: src/a.rs: range 0-9"),
        (format!("{first}\n{no_files}\n"), "missing field `files`"),
        (
            format!("{bad_id}\n{first}\n"),
            "line 1: id \"nope\" is not a UUID",
        ),
        (format!("{first}\n{bad_type}\n"), "unknown variant `robot`"),
        (format!("{bad_st}\n"), "unknown suggestion type"),
        ("[1, 2]".to_string(), "record 1: not an Agent Trace record"),
    ];
    for (i, (text, why)) in cases.iter().enumerate() {
        let file = sb.path().join(format!("bad-{i}.jsonl"));
        std::fs::write(&file, text).unwrap();
        let out = carol
            .run([
                OsStr::new("import"),
                OsStr::new("--format"),
                OsStr::new("agent-trace"),
                file.as_os_str(),
            ])
            .fails();
        assert!(out.message().contains(why), "case {i}: {}", out.stderr);
        assert!(
            carol.log_json(&[]).is_empty(),
            "case {i}: something was imported"
        );
    }
    // Auto-detection sends a trace-shaped file to the Agent Trace reader too.
    let file = sb.path().join("bad-auto.jsonl");
    std::fs::write(&file, format!("{first}\n{zero}\n")).unwrap();
    carol.import(&file).fails().mentions("range 0-9");
    assert!(carol.log_json(&[]).is_empty());
    // A signed export read as Agent Trace is refused whole; as jsonl it still imports.
    let signed = alice.export_file(&sb);
    carol
        .run([
            OsStr::new("import"),
            OsStr::new("--format"),
            OsStr::new("agent-trace"),
            signed.as_os_str(),
        ])
        .fails()
        .mentions("not an Agent Trace record");
    carol
        .run([
            OsStr::new("import"),
            OsStr::new("--format"),
            OsStr::new("jsonl"),
            signed.as_os_str(),
        ])
        .fails()
        .mentions("refused");
    // Empty input.
    carol
        .run_stdin(["import", "-", "--format", "agent-trace"], b"  \n")
        .fails()
        .mentions("holds no records");
}

#[test]
fn agent_trace_import_needs_a_member_identity() {
    let sb = Sandbox::new();
    let reader = fixture_reader(&sb);
    let trace = reader
        .run(["export", "--format", "agent-trace"])
        .ok()
        .stdout;
    // The reader joined the fixture team but was never admitted: nothing can be signed.
    reader
        .run_stdin(["import", "-"], trace.as_bytes())
        .fails()
        .mentions("not a member");
    assert_eq!(
        reader
            .run(["export", "--format", "agent-trace"])
            .ok()
            .stdout,
        trace
    );
}

// ------------------------------------------------------------------------ completions and man

#[test]
fn completions_for_every_shell() {
    let sb = Sandbox::new();
    let u = sb.user("x");
    let bash = u.run(["completions", "bash"]).ok().stdout;
    for sub in [
        "init",
        "annotate",
        "log",
        "stats",
        "export",
        "import",
        "verify",
        "completions",
    ] {
        assert!(bash.contains(sub), "bash completion lacks {sub}");
    }
    assert!(
        bash.contains("agent-trace"),
        "value completion for --format"
    );
    assert!(
        bash.contains("complete -F"),
        "{}",
        &bash[..200.min(bash.len())]
    );
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let out = u.run(["completions", shell]).ok().stdout;
        assert!(out.contains("export"), "{shell}");
    }
    u.run(["completions", "tcsh"]).usage_err();
    u.run(["completions"]).usage_err();
}

#[test]
fn man_page_renders_from_the_grammar() {
    let sb = Sandbox::new();
    let u = sb.user("x");
    let page = u.run(["man"]).ok().stdout;
    assert!(
        page.starts_with(".ie") || page.contains("\n.TH"),
        "{}",
        &page[..200.min(page.len())]
    );
    assert!(
        page.contains(".TH attrib 1"),
        "{}",
        &page[..400.min(page.len())]
    );
    assert!(page.contains(".SH NAME"));
    assert!(page.contains(".SH SUBCOMMANDS"));
    assert!(page.contains("export"));
    // Hidden commands stay out of the help, and `man` itself is hidden.
    assert!(!u.run(["--help"]).ok().stdout.contains("\n  man "));
    let dir = sb.path().join("man");
    u.run([OsStr::new("man"), OsStr::new("--out-dir"), dir.as_os_str()])
        .ok();
    for f in [
        "attrib.1",
        "attrib-export.1",
        "attrib-import.1",
        "attrib-completions.1",
    ] {
        let text = std::fs::read_to_string(dir.join(f)).unwrap_or_else(|e| panic!("{f}: {e}"));
        assert!(text.contains(".TH"), "{f}");
    }
    assert!(
        !dir.join("attrib-hook.1").exists(),
        "hidden commands get no page"
    );
}

// ------------------------------------------------------------------------ progress

/// Progress never reaches a pipe: with no delay at all, stderr stays empty.
#[test]
fn progress_stays_off_pipes() {
    let sb = Sandbox::new();
    let u = fixture_reader(&sb);
    let env = [("ATTRIB_PROGRESS_DELAY_MS", "0")];
    for args in [
        vec!["verify"],
        vec!["export"],
        vec!["export", "--format", "csv"],
        vec!["log"],
    ] {
        let out = u.run_env(&args, &env);
        assert!(out.stderr.is_empty(), "{args:?}: {:?}", out.stderr);
        assert!(
            !out.stdout.contains('\u{1b}'),
            "{args:?}: escape codes on a pipe"
        );
    }
}

/// On a terminal (a pseudo-terminal from `script`), progress shows once the delay has passed,
/// and `NO_COLOR` keeps it colorless.
#[test]
fn progress_draws_on_a_terminal() {
    // `script` (util-linux) must exist and be able to open a pseudo-terminal here.
    let usable = std::process::Command::new("script")
        .args(["-qefc", "true", "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if !usable {
        eprintln!("skipped: `script` cannot run a pseudo-terminal here");
        return;
    }
    let sb = Sandbox::new();
    let u = fixture_reader(&sb);
    // A big enough import that the bar has something to show: the fixture, 300 times over
    // (every copy after the first is already held).
    let big = sb.path().join("big.jsonl");
    std::fs::write(&big, fixture_lines().repeat(300)).unwrap();
    let run = |no_color: bool| {
        let cmd = format!("{} import {} --json", crate::support::BIN, big.display());
        let mut s = std::process::Command::new("script");
        s.args(["-qefc", &cmd, "/dev/null"]);
        // The user's environment (config dir, HOME, no ATTRIB_* leaking in), on a terminal.
        let env = u.cmd();
        for (k, v) in env.get_envs() {
            match v {
                Some(v) => s.env(k, v),
                None => s.env_remove(k),
            };
        }
        s.env("ATTRIB_PROGRESS_DELAY_MS", "0").env("TERM", "xterm");
        if no_color {
            s.env("NO_COLOR", "1");
        } else {
            s.env_remove("NO_COLOR");
        }
        s.current_dir(&u.repo).stdin(std::process::Stdio::null());
        let o = s.output().unwrap();
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let shown = |t: &str| t.contains("the import") || t.contains("importing signed records");
    let colored = run(false);
    assert!(shown(&colored), "{colored:?}");
    let plain = run(true);
    assert!(shown(&plain), "{plain:?}");
    assert!(!plain.contains("\u{1b}[36m"), "NO_COLOR: {plain:?}");
}
