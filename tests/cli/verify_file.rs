//! `attrib verify FILE`: a signed export checked by someone with nothing but attrib and the
//! file (a fresh HOME, no store, no identity), every kind of bad record refused with its line
//! and reason, and the in-toto export: verified by attrib, and its DSSE envelopes by an
//! independent implementation (Python's `securesystemslib`) given only the public key.
//!
//! The Python test needs `securesystemslib` in a venv at `target/python-intoto/venv` (the test
//! makes it with `pip` when it can); without it the test says so and passes unrun, unless
//! `ATTRIB_REQUIRE_PYTHON_INTOTO=1` (set by `.ci/run`, which installs it) makes that a failure.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::Command;

use attrib_vcs_adapter::testing::Requirement;
use base64_free::{b64decode, b64encode};
use serde_json::Value;

use crate::support::{Output, Sandbox, User};

/// `ATTRIB_REQUIRE_PYTHON_INTOTO=1`: the DSSE interoperability test must run.
const REQUIRE_PYTHON_INTOTO: Requirement = Requirement {
    var: "ATTRIB_REQUIRE_PYTHON_INTOTO",
    tests: "the in-toto interoperability test",
    hint: ".ci/run installs securesystemslib into target/python-intoto/venv",
};

/// A team of three with AI and human claims and a review, exported by its founder.
struct World {
    sb: Sandbox,
    users: Vec<User>,
    export: PathBuf,
}

fn world() -> World {
    let sb = Sandbox::new();
    let users = sb.team(&["ada", "bob", "carol"]);
    let (ada, bob, carol) = (&users[0], &users[1], &users[2]);
    ada.run([
        "annotate",
        "P1",
        "--ai-provider",
        "anthropic",
        "--ai-model",
        "claude-sonnet-4",
    ])
    .ok();
    bob.run([
        "annotate",
        "P2",
        "--ai-provider",
        "openai",
        "--ai-model",
        "gpt-5",
    ])
    .ok();
    bob.run(["annotate", "P3", "--no-ai"]).ok();
    ada.pull(&sb, bob);
    carol.pull(&sb, ada);
    carol
        .run(["review", "P1", "--seconds", "240", "--verdict", "approve"])
        .ok();
    ada.pull(&sb, carol);
    let export = ada.export_file(&sb);
    World { sb, users, export }
}

/// Someone with nothing of attrib: an empty config dir, an empty directory, a fresh HOME.
fn auditor(sb: &Sandbox) -> User {
    sb.user("auditor")
}

fn verify(sb: &Sandbox, args: &[&OsStr]) -> Output {
    let a = auditor(sb);
    let home = sb.dir("auditor-home");
    let home = home.to_str().unwrap();
    let mut all = vec![OsStr::new("verify")];
    all.extend_from_slice(args);
    a.run_env(all, &[("HOME", home), ("XDG_CONFIG_HOME", home)])
}

fn team_id(u: &User) -> String {
    u.run(["team", "show", "--json"]).ok().json()["team"]
        .as_str()
        .unwrap()
        .to_string()
}

fn write_lines(sb: &Sandbox, stem: &str, lines: &[String]) -> PathBuf {
    let path = sb.file(stem);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

fn lines_of(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// The output's report of a bad line: `line N: … (code)`.
#[track_caller]
fn refused(out: Output, line: usize, code: &str) -> Output {
    let out = out.fails();
    assert!(
        out.stdout
            .lines()
            .any(|l| l.starts_with(&format!("line {line}: ")) && l.ends_with(&format!("({code})"))),
        "expected line {line} refused as {code}:\n{}",
        out.stdout
    );
    out
}

#[test]
fn verify_file_an_export_proves_itself_to_a_fresh_home() {
    let w = world();
    let ada = &w.users[0];
    let out = verify(&w.sb, &[w.export.as_os_str()]).ok();
    for needle in [
        "every record holds",
        "changes: 3 attested, 2 AI-assisted",
        "anthropic/claude-sonnet-4: 1 changes",
        "openai/gpt-5: 1 changes",
        "reviews: 1",
        "carol (",
    ] {
        assert!(
            out.stdout.contains(needle),
            "{needle:?} in:\n{}",
            out.stdout
        );
    }
    // Nothing was created for the auditor.
    let a = auditor(&w.sb);
    assert!(
        !a.config.exists(),
        "verify FILE must not create a config dir"
    );
    assert_eq!(std::fs::read_dir(&a.repo).unwrap().count(), 0);

    // --json, --team, and standard input.
    let team = team_id(ada);
    let v = verify(
        &w.sb,
        &[
            w.export.as_os_str(),
            OsStr::new("--team"),
            OsStr::new(&team),
            OsStr::new("--json"),
        ],
    )
    .ok()
    .json();
    assert_eq!(v["ok"], true);
    assert_eq!(v["team"], Value::String(team.clone()));
    assert_eq!(v["proves"]["changes"], 3);
    assert_eq!(v["proves"]["ai_changes"], 2);
    assert_eq!(v["proves"]["reviews"], 1);
    assert_eq!(v["proves"]["authors"].as_array().unwrap().len(), 3);
    let bytes = std::fs::read(&w.export).unwrap();
    let a = auditor(&w.sb);
    let out = a.run_stdin(["verify", "-", "--json"], &bytes).ok();
    assert_eq!(out.json()["ok"], true);
}

#[test]
fn verify_file_refuses_every_bad_record_with_its_line_and_reason() {
    let w = world();
    let (ada, bob) = (&w.users[0], &w.users[1]);
    let lines = lines_of(&w.export);
    let at = lines
        .iter()
        .position(|l| l.contains("\"P1\"") && l.contains("claude-sonnet-4"))
        .expect("ada's attestation");

    // One changed byte in any signed field.
    type Edit = Box<dyn Fn(&mut Value)>;
    let edits: Vec<(&str, Edit)> = vec![
        (
            "seq",
            Box::new(|v| v["seq"] = (v["seq"].as_u64().unwrap() + 1).into()),
        ),
        (
            "timestamp_ms",
            Box::new(|v| v["timestamp_ms"] = (v["timestamp_ms"].as_u64().unwrap() ^ 1).into()),
        ),
        ("origin", Box::new(|v| v["origin"] = "detected".into())),
        (
            "model",
            Box::new(|v| v["payload"]["attest"]["ai"]["model"] = "claude-sonnet-5".into()),
        ),
        (
            "patch",
            Box::new(|v| v["payload"]["attest"]["patch"] = "P9".into()),
        ),
        ("signer", Box::new(|v| flip_hex(&mut v["signer"]))),
        ("team", Box::new(|v| flip_hex(&mut v["team"]))),
        ("signature", Box::new(|v| flip_hex(&mut v["signature"]))),
    ];
    for (field, edit) in edits {
        let mut v: Value = serde_json::from_str(&lines[at]).unwrap();
        edit(&mut v);
        let mut changed = lines.clone();
        changed[at] = v.to_string();
        let path = write_lines(&w.sb, field, &changed);
        let out = verify(&w.sb, &[path.as_os_str()]).fails();
        assert!(
            out.stdout.contains(&format!("line {}: ", at + 1)),
            "a changed {field} must be refused on line {}:\n{}",
            at + 1,
            out.stdout
        );
        assert!(out.message().contains("does not verify"), "{}", out.stderr);
    }

    // A record from another team: a forged team of the same name.
    let sb2 = Sandbox::new();
    let mallory = sb2.user("mallory");
    mallory.run(["init", "--team", "t", "--name", "ada"]).ok();
    mallory
        .run(["annotate", "P1", "--ai-provider", "x", "--ai-model", "y"])
        .ok();
    let forged = mallory.export_file(&sb2);
    let stranger = lines_of(&forged)
        .into_iter()
        .find(|l| l.contains("\"attest\""))
        .unwrap();
    let mut mixed = lines.clone();
    mixed.push(stranger);
    let path = write_lines(&w.sb, "foreign", &mixed);
    refused(
        verify(&w.sb, &[path.as_os_str()]),
        mixed.len(),
        "wrong-team",
    );

    // The whole forged team passes on its own, and is refused once the real team is pinned.
    let copy = w.sb.path().join("forged.jsonl");
    std::fs::copy(&forged, &copy).unwrap();
    verify(&w.sb, &[copy.as_os_str()]).ok();
    let team = team_id(ada);
    verify(
        &w.sb,
        &[copy.as_os_str(), OsStr::new("--team"), OsStr::new(&team)],
    )
    .fails()
    .mentions("not the pinned team");
    let other = team_id(&mallory);
    verify(
        &w.sb,
        &[
            w.export.as_os_str(),
            OsStr::new("--team"),
            OsStr::new(&other),
        ],
    )
    .fails()
    .mentions("not the pinned team");
    verify(
        &w.sb,
        &[w.export.as_os_str(), OsStr::new("--team"), OsStr::new("zz")],
    )
    .usage_err();

    // A revoked key's later record: bob, not yet told, attests after ada revoked him.
    ada.run(["team", "revoke", "bob"]).ok();
    bob.run(["annotate", "P4", "--no-ai"]).ok();
    let late = lines_of(&bob.export_file(&w.sb))
        .into_iter()
        .find(|l| l.contains("\"P4\""))
        .unwrap();
    let mut revoked = lines_of(&ada.export_file(&w.sb));
    revoked.push(late);
    let path = write_lines(&w.sb, "revoked", &revoked);
    refused(
        verify(&w.sb, &[path.as_os_str()]),
        revoked.len(),
        "revoked-key",
    );

    // A truncated file and a file that is no export: one-line errors.
    let bytes = std::fs::read(&w.export).unwrap();
    let cut = w.sb.path().join("cut.jsonl");
    std::fs::write(&cut, &bytes[..bytes.len() - 40]).unwrap();
    verify(&w.sb, &[cut.as_os_str()])
        .fails()
        .mentions("truncated");
    let readme = w.sb.path().join("README.md");
    std::fs::write(&readme, "# hello\n\nnot an export\n").unwrap();
    verify(&w.sb, &[readme.as_os_str()])
        .fails()
        .mentions("not an attrib export");
    verify(&w.sb, &[OsStr::new("no-such-file.jsonl")])
        .usage_err()
        .mentions("no-such-file.jsonl");
}

fn flip_hex(v: &mut Value) {
    let s = v.as_str().unwrap();
    let first = if s.starts_with('0') { '1' } else { '0' };
    *v = Value::String(format!("{first}{}", &s[1..]));
}

#[test]
fn verify_file_in_toto_statements_verify_here_and_in_python() {
    let w = world();
    let ada = &w.users[0];
    let path = w.sb.path().join("provenance.jsonl");
    ada.run([
        OsStr::new("export"),
        OsStr::new("--format"),
        OsStr::new("in-toto"),
        OsStr::new("-o"),
        path.as_os_str(),
    ])
    .ok();
    let lines = lines_of(&path);
    assert_eq!(lines.len(), 3, "one statement per change");
    let env: Value = serde_json::from_str(&lines[0]).unwrap();
    assert_eq!(env["payloadType"], "application/vnd.in-toto+json");
    assert_eq!(env["signatures"][0]["keyid"], Value::String(ada.pubkey()));
    let st: Value = serde_json::from_slice(&b64decode(env["payload"].as_str().unwrap())).unwrap();
    assert_eq!(st["_type"], "https://in-toto.io/Statement/v1");
    assert_eq!(
        st["predicateType"],
        "https://attrib.dev/provenance/change/v1"
    );
    assert_eq!(st["subject"][0]["name"], st["predicate"]["change"]);

    let team = team_id(ada);
    let v = verify(
        &w.sb,
        &[
            path.as_os_str(),
            OsStr::new("--team"),
            OsStr::new(&team),
            OsStr::new("--json"),
        ],
    )
    .ok()
    .json();
    assert_eq!(v["statements"], 3);
    assert_eq!(v["proves"]["changes"], 3);
    assert_eq!(v["proves"]["reviews"], 1);

    // A changed byte in a statement's readable part: the envelope's signature refuses it.
    let p1 = lines
        .iter()
        .position(|l| {
            let e: Value = serde_json::from_str(l).unwrap();
            String::from_utf8(b64decode(e["payload"].as_str().unwrap()))
                .unwrap()
                .contains("claude-sonnet-4")
        })
        .unwrap();
    let mut e: Value = serde_json::from_str(&lines[p1]).unwrap();
    let payload = String::from_utf8(b64decode(e["payload"].as_str().unwrap())).unwrap();
    e["payload"] = b64encode(
        payload
            .replacen("claude-sonnet-4", "claude-sonnet-5", 1)
            .as_bytes(),
    )
    .into();
    let mut tampered = lines.clone();
    tampered[p1] = e.to_string();
    let bad = write_lines(&w.sb, "tampered-in-toto", &tampered);
    refused(verify(&w.sb, &[bad.as_os_str()]), p1 + 1, "malformed").mentions("does not verify");

    // An independent DSSE implementation, given only ada's public key.
    let Some(python) = python_intoto(
        "verify_file_in_toto_statements_verify_here_and_in_python",
        &w.sb,
    ) else {
        return;
    };
    let script = r#"
import json, sys
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey
from securesystemslib.exceptions import VerificationError
pub = sys.argv[1]
key = SSlibKey(keyid=pub, keytype="ed25519", scheme="ed25519", keyval={"public": pub})
def check(path):
    ok = 0
    for line in open(path):
        env = Envelope.from_dict(json.loads(line))
        assert env.payload_type == "application/vnd.in-toto+json"
        env.verify([key], 1)
        st = json.loads(env.payload)
        assert st["_type"] == "https://in-toto.io/Statement/v1"
        assert st["predicateType"] == "https://attrib.dev/provenance/change/v1"
        ok += 1
    return ok
print("verified", check(sys.argv[2]))
try:
    check(sys.argv[3])
    print("tampered accepted")
except VerificationError:
    print("tampered refused")
"#;
    let out = Command::new(&python)
        .arg("-c")
        .arg(script)
        .arg(ada.pubkey())
        .arg(&path)
        .arg(&bad)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "python failed: {stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "verified 3\ntampered refused\n");
}

/// The venv's Python with `securesystemslib`, made here when it is missing and `python3` and
/// `pip` can; `None` (after saying why) when that fails and the switch does not require it.
fn python_intoto(test: &str, sb: &Sandbox) -> Option<PathBuf> {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let venv = target.join("python-intoto/venv");
    let python = venv.join("bin/python");
    let works = || {
        Command::new(&python)
            .args(["-c", "import securesystemslib.dsse, cryptography"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !works() {
        let log = sb.path().join("pip.log");
        let made = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&venv)
            .status()
            .is_ok_and(|s| s.success())
            && Command::new(venv.join("bin/pip"))
                .args(["install", "-q", "securesystemslib[crypto]==1.6.0", "--log"])
                .arg(&log)
                .status()
                .is_ok_and(|s| s.success());
        if !made || !works() {
            REQUIRE_PYTHON_INTOTO.unmet(
                test,
                &format!("no Python with securesystemslib at {}", venv.display()),
            );
            return None;
        }
    }
    Some(python)
}

/// Standard base64, the few lines the tests need (the test crate has no base64 dependency).
mod base64_free {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    pub fn b64encode(bytes: &[u8]) -> String {
        let mut out = String::new();
        for chunk in bytes.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..4 {
                if i <= chunk.len() {
                    out.push(ALPHABET[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    pub fn b64decode(text: &str) -> Vec<u8> {
        let mut out = Vec::new();
        let mut acc = 0u32;
        let mut bits = 0;
        for c in text.bytes().filter(|c| *c != b'=') {
            let v = ALPHABET.iter().position(|a| *a == c).expect("base64") as u32;
            acc = (acc << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((acc >> bits) as u8);
                acc &= (1 << bits) - 1;
            }
        }
        out
    }
}
