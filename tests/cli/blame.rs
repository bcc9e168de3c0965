//! `attrib blame`: the real binary reading the real `pijul credit` (1.0.0-beta.26) and the
//! overlay. Without `pijul` on PATH the tests print why and pass without running, unless
//! `ATTRIB_REQUIRE_PIJUL=1` (CI) makes that a failure.

use std::ffi::OsStr;
use std::fs;

use serde_json::Value;

use crate::pijul_world::{recorded_hash, PijulWorld};

fn blame_json(w: &PijulWorld, u: &crate::support::User, file: &str) -> Vec<Value> {
    let out = w.attrib(u, ["blame", file, "--json"], &[]).ok();
    out.json().as_array().expect("an array").clone()
}

#[test]
fn insert_above_keeps_credit_and_plain_records_are_unattested() {
    let Some(w) = PijulWorld::new("insert_above_keeps_credit_and_plain_records_are_unattested")
    else {
        return;
    };
    let u = w.user("ann");

    w.edit(&u, "a.txt", "one\ntwo\n");
    let ai = recorded_hash(
        &w.attrib(
            &u,
            [
                "record",
                "--ai-provider",
                "anthropic",
                "--ai-model",
                "claude-sonnet-4",
                "--ai-suggestion-type",
                "complete",
                "--",
                "-m",
                "by the AI",
            ],
            &[],
        )
        .ok(),
    );
    // A human inserts a line above the AI's lines.
    w.edit(&u, "a.txt", "zero\none\ntwo\n");
    let human = recorded_hash(
        &w.attrib(&u, ["record", "--no-ai", "--", "-m", "above"], &[])
            .ok(),
    );
    // A plain `pijul record`, never attested, appends a line.
    w.edit(&u, "a.txt", "zero\none\ntwo\nthree\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "plain"]);
    let plain = w.newest_hash(&u);
    assert!(plain != ai && plain != human);

    let rows = blame_json(&w, &u, "a.txt");
    assert_eq!(rows.len(), 4, "{rows:#?}");
    let expect = [
        (1, "zero", &human, "human"),
        (2, "one", &ai, "ai"),
        (3, "two", &ai, "ai"),
        (4, "three", &plain, "unattested"),
    ];
    for (row, (line, text, change, kind)) in rows.iter().zip(expect) {
        assert_eq!(row["line"], line, "{row}");
        assert_eq!(row["text"], text, "{row}");
        assert_eq!(row["change"], change.as_str(), "line {line}: {row}");
        assert_eq!(row["attribution"]["kind"], kind, "line {line}: {row}");
        assert_eq!(row["attribution"]["reviewed"], false);
    }
    // The --json shape.
    let a = &rows[1]["attribution"];
    assert_eq!(a["provider"], "anthropic");
    assert_eq!(a["model"], "claude-sonnet-4");
    assert_eq!(a["suggestion_type"], "complete");
    assert_eq!(a["ai_lines"], "all");
    for row in &rows {
        let keys: Vec<&str> = row
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        for k in [
            "line",
            "change",
            "provider",
            "model",
            "agent",
            "session",
            "attribution",
            "text",
        ] {
            assert!(keys.contains(&k), "{k} missing in {row}");
        }
        let attr = row["attribution"].as_object().unwrap();
        for k in [
            "kind",
            "provider",
            "model",
            "agent",
            "session",
            "suggestion_type",
            "reviewed",
        ] {
            assert!(attr.contains_key(k), "{k} missing in {row}");
        }
    }
    assert_eq!(rows[0]["attribution"]["provider"], Value::Null);
    assert_eq!(rows[3]["attribution"]["model"], Value::Null);
    // Who wrote each line: the AI lines name their model (no agent: a claim from flags).
    assert_eq!(rows[1]["model"], "claude-sonnet-4");
    assert_eq!(rows[1]["provider"], "anthropic");
    assert_eq!(rows[1]["agent"], Value::Null);
    assert_eq!(rows[0]["model"], Value::Null);

    // The text table: line number, short hash, attribution, text.
    let out = w.attrib(&u, ["blame", "a.txt"], &[]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", out.stdout);
    assert!(lines[0].starts_with("LINE"), "{}", out.stdout);
    assert!(lines[1].contains(&human[..10]) && lines[1].contains("human"));
    assert!(lines[1].ends_with("zero"), "{}", out.stdout);
    assert!(
        !lines[1].contains(&human[..11]),
        "short hashes: {}",
        out.stdout
    );
    assert!(lines[2].contains(&ai[..10]));
    assert!(lines[2].contains("AI anthropic/claude-sonnet-4 complete"));
    assert!(lines[4].contains(&plain[..10]) && lines[4].contains("unattested"));
    // Columns line up: every row's text starts where the header's TEXT does.
    let col = lines[0].find("TEXT").unwrap();
    assert_eq!(&lines[2][col..], "one", "{}", out.stdout);

    // -C and an absolute path name the same file.
    let abs = u.repo.join("a.txt");
    let out = w
        .attrib(
            &u,
            [OsStr::new("blame"), abs.as_os_str(), OsStr::new("--json")],
            &[],
        )
        .ok();
    assert_eq!(out.json().as_array().unwrap().len(), 4);
}

#[test]
fn line_spans_mark_only_their_lines_as_ai() {
    let Some(w) = PijulWorld::new("line_spans_mark_only_their_lines_as_ai") else {
        return;
    };
    let u = w.user("bob");
    w.edit(&u, "s.txt", "a\nb\nc\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "spans"]);
    let h = w.newest_hash(&u);
    assert_eq!(
        blame_json(&w, &u, "s.txt")[0]["attribution"]["kind"],
        "unattested"
    );
    w.attrib(
        &u,
        [
            "annotate",
            &h,
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
    let rows = blame_json(&w, &u, "s.txt");
    let kinds: Vec<(&str, &str)> = rows
        .iter()
        .map(|r| {
            assert_eq!(r["change"], h.as_str());
            (
                r["attribution"]["kind"].as_str().unwrap(),
                r["attribution"]["ai_lines"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [("human", "others"), ("ai", "this"), ("human", "others")]
    );
    // A line inserted above, by hand, shifts nothing: the span is traced through the change.
    w.edit(&u, "s.txt", "top\na\nb\nc\n");
    w.attrib(&u, ["record", "--no-ai", "--", "-m", "top"], &[])
        .ok();
    let rows = blame_json(&w, &u, "s.txt");
    assert_eq!(rows[0]["attribution"]["kind"], "human");
    assert_eq!(rows[0]["attribution"]["ai_lines"], serde_json::Value::Null);
    assert_eq!(rows[2]["text"], "b");
    assert_eq!(rows[2]["attribution"]["ai_lines"], "this");
    assert_eq!(rows[3]["attribution"]["ai_lines"], "others");
    let out = w.attrib(&u, ["blame", "s.txt"], &[]).ok();
    assert!(
        out.stdout
            .contains("human (in an AI-assisted change: openai/gpt-5)"),
        "{}",
        out.stdout
    );
    let help = w.attrib(&u, ["blame", "--help"], &[]).ok();
    assert!(
        help.stdout.contains("partially AI (spans)"),
        "{}",
        help.stdout
    );
}

#[test]
fn blame_errors_are_one_clear_line() {
    let Some(w) = PijulWorld::new("blame_errors_are_one_clear_line") else {
        return;
    };
    let u = w.user("cat");
    w.edit(&u, "t.txt", "t\n");
    w.pijul(&u.repo, ["record", "-a", "-m", "t"]);
    assert_eq!(blame_json(&w, &u, "t.txt").len(), 1);

    w.attrib(&u, ["blame", "missing.txt"], &[])
        .fails()
        .mentions("no such file");
    fs::write(u.repo.join("untracked.txt"), "u\n").unwrap();
    w.attrib(&u, ["blame", "untracked.txt"], &[])
        .fails()
        .mentions("not tracked");
    w.attrib(&u, ["blame", "/definitely/elsewhere.txt"], &[])
        .fails()
        .mentions("outside the repository");

    let plain = w.sb.user("plain");
    plain.run(["init", "--team", "p", "--name", "plain"]).ok();
    fs::write(plain.repo.join("f"), "f\n").unwrap();
    w.attrib(&plain, ["blame", "f"], &[])
        .fails()
        .mentions("not in a repository");

    w.attrib(
        &u,
        ["blame", "t.txt"],
        &[("ATTRIB_VCS_BINARY", "attrib-no-such-pijul")],
    )
    .fails()
    .mentions("was not found");
    w.attrib(&u, ["blame"], &[]).usage_err();
}
