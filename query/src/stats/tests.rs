//! Stats over a channel whose tree lines are known (the credit `pijul credit` would give), and
//! over the overlay alone: contributions split the AI lines by model and agent tool, and the
//! lines outside them are the author's.

use std::collections::BTreeMap;

use attrib_vcs_adapter::{ChangeInfo, ChannelRecord};
use serde_json::{json, Value};

use super::lines::LineCredit;
use super::{count, stats, StatsBy, StatsQuery};
use crate::testing::{fixture, patch, T0};

fn change(hash: &str, minutes: u64) -> ChangeInfo {
    ChangeInfo {
        hash: patch(hash),
        message: hash.to_lowercase(),
        authors: vec!["Ada".into()],
        timestamp: String::new(),
        timestamp_ms: Some(T0 + minutes * 60_000),
        description: None,
    }
}

/// P1, P2, P4 and the unattested P5 on the channel (P3 is not), and the tree's lines: P1's
/// eight of `src/a.rs` and two of `src/b.rs`, two of P2, one each of P4 and P5, and one of the
/// root change.
fn channel() -> (ChannelRecord, LineCredit) {
    let record = ChannelRecord {
        state: Some("S".into()),
        changes: vec![
            change("P1", 10),
            change("P2", 20),
            change("P4", 40),
            change("P5", 50),
        ],
        off_channel: vec![],
        recorded_on: None,
        pending: vec![],
    };
    let mut counts = BTreeMap::new();
    let files = |list: &[(&str, u64)]| -> BTreeMap<String, u64> {
        list.iter().map(|(f, n)| (f.to_string(), *n)).collect()
    };
    counts.insert(patch("P1"), files(&[("src/a.rs", 8), ("src/b.rs", 2)]));
    counts.insert(patch("P2"), files(&[("src/a.rs", 2)]));
    counts.insert(patch("P4"), files(&[("src/a.rs", 1)]));
    counts.insert(patch("P5"), files(&[("src/c.rs", 1)]));
    let credit = LineCredit {
        state: "S".into(),
        counts,
        unknown: 1,
        files: 3,
        skipped: vec![],
    };
    (record, credit)
}

fn query(by: &[StatsBy], per_change: bool) -> StatsQuery {
    StatsQuery {
        by: by.to_vec(),
        range: Default::default(),
        per_change,
    }
}

#[test]
fn contributions_split_the_lines_by_model_and_agent_and_leave_the_rest_human() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let (record, credit) = channel();
    let report = count(
        &snap,
        Some(("main", &record, credit)),
        &query(&[StatsBy::Agent], true),
    )
    .unwrap();
    let v = serde_json::to_value(&report).unwrap();
    // P1: claude-code's 4 lines of a.rs, codex's 2 there and 1 of b.rs, Ada's other 3.
    assert_eq!(
        v["lines"],
        json!({"total": 15, "ai": 9, "human": 4, "unattested": 2, "files": 3, "skipped_files": []})
    );
    assert_eq!(
        v["by_model"],
        json!([
            {"provider": "anthropic", "model": "claude-opus-4", "patches": 1, "lines": 2},
            {"provider": "anthropic", "model": "claude-sonnet-4", "patches": 1, "lines": 4},
            {"provider": "openai", "model": "gpt-5", "patches": 1, "lines": 3},
        ])
    );
    assert_eq!(
        v["by_agent"],
        json!([
            {"agent": "claude-code", "patches": 1, "lines": 4},
            {"agent": "codex", "patches": 1, "lines": 3},
            {"agent": null, "patches": 1, "lines": 2},
        ])
    );
    // Grouped by agent: a patch in its main contribution's group, the special groups last.
    let groups: Vec<(String, u64, u64, u64)> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["group"]["agent"].as_str().unwrap().to_string(),
                g["patches"].as_u64().unwrap(),
                g["lines"].as_u64().unwrap(),
                g["ai_lines"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        [
            ("claude-code".to_string(), 1, 10, 7),
            ("(human)".to_string(), 1, 1, 0),
            ("(no agent)".to_string(), 1, 2, 2),
            ("(unattested)".to_string(), 1, 1, 0),
        ]
    );
    // Per change, newest first.
    let changes = v["changes"].as_array().unwrap();
    let kinds: Vec<(&str, &str)> = changes
        .iter()
        .map(|c| (c["change"].as_str().unwrap(), c["kind"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("P5", "unattested"),
            ("P4", "human"),
            ("P2", "ai"),
            ("P1", "ai")
        ]
    );
    let p1 = &changes[3];
    assert_eq!(
        (&p1["lines"], &p1["ai_lines"], &p1["human_lines"]),
        (&json!(10), &json!(7), &json!(3))
    );
    assert_eq!(
        p1["by_model"],
        json!([
            {"provider": "anthropic", "model": "claude-sonnet-4", "lines": 4},
            {"provider": "openai", "model": "gpt-5", "lines": 3},
        ])
    );
    assert_eq!(
        p1["by_agent"],
        json!([{"agent": "claude-code", "lines": 4}, {"agent": "codex", "lines": 3}])
    );
    // A record from before contributions: all its lines its model's, no agent named.
    let p2 = &changes[2];
    assert_eq!(p2["by_agent"], json!([{"agent": null, "lines": 2}]));
    assert_eq!(p2["human_lines"], 0);
    assert_eq!(
        changes[0]["human_lines"], 0,
        "unattested lines are nobody's"
    );
}

#[test]
fn by_model_groups_keep_their_meaning_and_the_csv_names_the_agent_dimension() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let (record, credit) = channel();
    let report = count(&snap, Some(("main", &record, credit)), &query(&[], false)).unwrap();
    let v = serde_json::to_value(&report).unwrap();
    assert!(v.get("changes").is_none(), "per change only when asked");
    let sonnet = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"]["model"] == "anthropic/claude-sonnet-4")
        .unwrap();
    assert_eq!(
        (&sonnet["lines"], &sonnet["ai_lines"]),
        (&json!(10), &json!(7))
    );
    let (record, credit) = channel();
    let csv = count(
        &snap,
        Some(("main", &record, credit)),
        &query(&[StatsBy::Agent], false),
    )
    .unwrap()
    .csv()
    .unwrap();
    let text = String::from_utf8(csv).unwrap();
    assert!(text.starts_with("row,agent,patches,"), "{text}");
    assert!(text.contains("group,claude-code,1,1,0,0,1,10,7,"), "{text}");
}

#[test]
fn outside_a_repository_contributions_count_patches_by_agent_without_lines() {
    let f = fixture();
    let snap = f.store.snapshot().unwrap();
    let report = stats(&snap, None, &query(&[StatsBy::Agent], false)).unwrap();
    let v: Value = serde_json::to_value(&report).unwrap();
    assert_eq!(
        v["by_agent"],
        json!([
            {"agent": "claude-code", "patches": 1, "lines": null},
            {"agent": "codex", "patches": 1, "lines": null},
            {"agent": null, "patches": 2, "lines": null},
        ])
    );
    let gpt = v["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "gpt-5")
        .unwrap();
    assert_eq!(gpt["patches"], 2, "P3's own claim and P1's second session");
    let labels: Vec<&str> = v["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["group"]["agent"].as_str().unwrap())
        .collect();
    assert_eq!(labels, ["claude-code", "(human)", "(no agent)"]);
    let err = stats(&snap, None, &query(&[], true)).unwrap_err();
    assert!(err.to_string().contains("Pijul repository"), "{err}");
}
