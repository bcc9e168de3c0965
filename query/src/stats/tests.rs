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
        models: Default::default(),
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
    assert!(err.to_string().contains("run it in a repository"), "{err}");
}

#[test]
fn spellings_of_one_model_fall_in_one_group_and_unknown_names_are_listed() {
    let f = crate::testing::with_spellings();
    let snap = f.store.snapshot().unwrap();
    let report = stats(&snap, None, &query(&[StatsBy::Model], false)).unwrap();
    let v = serde_json::to_value(&report).unwrap();
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
        [
            ("acme/coder-x", 1),
            ("anthropic/claude-opus-4", 4),
            ("anthropic/claude-sonnet-4", 1),
            ("openai/gpt-5", 1),
            ("(human)", 1),
        ]
    );
    let opus = v["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "claude-opus-4")
        .unwrap();
    assert_eq!(
        opus,
        &json!({
            "provider": "anthropic",
            "model": "claude-opus-4",
            "patches": 4,
            "lines": null,
            "spellings": [
                "anthropic/Claude Opus 4 (1M context)",
                "anthropic/claude-opus-4",
                "anthropic/claude-opus-4-20250514",
                "openrouter/anthropic/claude-opus-4",
            ],
        })
    );
    // A model recorded under its canonical id alone lists no spellings.
    let gpt = v["by_model"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["model"] == "gpt-5")
        .unwrap();
    assert!(gpt.get("spellings").is_none(), "{gpt}");
    assert_eq!(
        v["unknown_models"],
        json!([{
            "spelling": "acme/Coder-X",
            "provider": "acme",
            "model": "Coder-X",
            "grouped_as": "acme/coder-x",
            "patches": 1,
        }])
    );
    let csv = String::from_utf8(report.unknown_models_csv().unwrap()).unwrap();
    assert_eq!(
        csv,
        "spelling,provider,model,grouped_as,patches\r\nacme/Coder-X,acme,Coder-X,acme/coder-x,1\r\n"
    );
    // By provider, the canonical provider: openrouter's claim is anthropic's.
    let report = stats(&snap, None, &query(&[StatsBy::Provider], false)).unwrap();
    let providers: Vec<(String, u64)> = report
        .groups
        .iter()
        .map(|g| (g.group[0].1.clone(), g.stats.patches))
        .collect();
    assert_eq!(
        providers,
        [
            ("acme".to_string(), 1),
            ("anthropic".to_string(), 5),
            ("openai".to_string(), 1),
            ("(human)".to_string(), 1),
        ]
    );
    // A config alias names the unknown model: nothing is unknown any more.
    let mut q = query(&[StatsBy::Model], false);
    q.models =
        crate::models::ModelRegistry::builtin().with_aliases([("coder-x", "acme/coder-x-1")]);
    let report = stats(&snap, None, &q).unwrap();
    assert!(report.unknown_models.is_empty());
    assert!(report
        .groups
        .iter()
        .any(|g| g.group[0].1 == "acme/coder-x-1" && g.stats.patches == 1));
}

#[test]
fn the_stores_sums_answer_as_the_scan_does() {
    use crate::time::TimeRange;
    use attrib_overlay::store::month_start_ms;
    let dims: &[&[StatsBy]] = &[
        &[],
        &[StatsBy::Model],
        &[StatsBy::Provider],
        &[StatsBy::SuggestionType],
        &[StatsBy::Month],
        &[StatsBy::Author],
        &[StatsBy::Author, StatsBy::Month],
        &[StatsBy::Month, StatsBy::Author],
        &[StatsBy::Provider, StatsBy::Month, StatsBy::SuggestionType],
        &[StatsBy::Model, StatsBy::Model],
        &[StatsBy::Day],
        &[StatsBy::Week],
        &[StatsBy::Month, StatsBy::Day],
        &[StatsBy::Week, StatsBy::Month],
        &[StatsBy::Agent],
        &[StatsBy::Agent, StatsBy::Month, StatsBy::Model],
        // Not from the sums: the scan answers both ways.
        &[StatsBy::Author, StatsBy::Model],
        &[StatsBy::Author, StatsBy::Agent],
        &[StatsBy::Day, StatsBy::Model],
    ];
    let month = attrib_overlay::store::month_of(T0);
    let ranges = [
        TimeRange::default(),
        TimeRange {
            since: Some(month_start_ms(month)),
            until: None,
        },
        TimeRange {
            since: None,
            until: Some(month_start_ms(month) - 1),
        },
        // Cuts the fixture's month: scanned.
        TimeRange {
            since: Some(T0 + 15 * 60_000),
            until: Some(T0 + 35 * 60_000),
        },
    ];
    for f in [fixture(), crate::testing::with_spellings()] {
        let snap = f.store.snapshot().unwrap();
        assert!(
            snap.stat_groups().unwrap().is_some(),
            "the fixture keeps sums"
        );
        let days = snap.stat_day_groups().unwrap().expect("and sums by day");
        let total = super::count_with(&snap, None, &query(&[], false), false).unwrap();
        assert_eq!(
            days.iter().map(|d| d.counts.patches).sum::<u64>(),
            total.total.patches,
            "every patch counts in one day"
        );
        for by in dims {
            for range in ranges {
                let mut q = query(by, false);
                q.range = range;
                let a = super::count_with(&snap, None, &q, true).unwrap();
                let b = super::count_with(&snap, None, &q, false).unwrap();
                let (ja, jb) = (
                    serde_json::to_string(&a).unwrap(),
                    serde_json::to_string(&b).unwrap(),
                );
                assert_eq!(ja, jb, "--by {by:?} over {range:?}");
                assert_eq!(a.csv().unwrap(), b.csv().unwrap());
            }
        }
    }
}
