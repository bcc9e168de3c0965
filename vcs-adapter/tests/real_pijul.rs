//! Integration tests against the real `pijul` binary (1.0.0-beta.26, installed by `.ci/run`).
//!
//! Each test gets a temp dir with its own HOME and Pijul config dir, and its own `ssh-agent`
//! holding a fresh ed25519 key (Pijul signs changes through the agent); the agent is killed when
//! the test ends. If `pijul` is not installed the tests print why and pass without running,
//! unless `ATTRIB_REQUIRE_PIJUL=1` (CI) makes that a failure (see `testing::REQUIRE_PIJUL`).

use std::collections::HashMap;
use std::fs;
use std::path::Path;

use attrib_overlay::PatchId;
use attrib_vcs_adapter::testing::PijulEnv;
use attrib_vcs_adapter::{Event, Freshness, Hint, Pijul, Seen, Tracker, VcsError, TRACKER_FILE};

/// A temp dir with a Pijul environment (HOME, config, ssh-agent killed on drop).
struct Sandbox {
    // Declared first so the agent is stopped before its directory goes.
    env: PijulEnv,
    dir: tempfile::TempDir,
}

impl Sandbox {
    /// None (after printing the reason) when `pijul` is not installed.
    fn new(test: &str) -> Option<Sandbox> {
        let dir = tempfile::tempdir().expect("temp dir");
        let env = PijulEnv::start(dir.path(), test)?;
        Some(Sandbox { env, dir })
    }

    /// A driver for `name` (a directory in the sandbox, created if needed) in this sandbox.
    fn pijul(&self, name: &str) -> Pijul {
        let repo = self.dir.path().join(name);
        fs::create_dir_all(&repo).unwrap();
        self.env.driver(repo)
    }

    fn repo(&self, name: &str) -> Pijul {
        let p = self.pijul(name);
        p.check_version().expect("supported pijul");
        p.init().expect("pijul init");
        p
    }
}

fn write(p: &Pijul, file: &str, text: &str) {
    fs::write(p.repo().join(file), text).unwrap();
}

fn record(p: &Pijul, msg: &str) -> PatchId {
    p.record(["-a", "-m", msg]).expect("pijul record")
}

#[test]
fn records_two_changes_and_reads_them_back() {
    let Some(sb) = Sandbox::new("records_two_changes_and_reads_them_back") else {
        return;
    };
    let p = sb.repo("a");
    assert!(p.log().unwrap().is_empty(), "a fresh repo has no changes");
    assert_eq!(p.state().unwrap(), None);
    assert_eq!(p.current_channel().unwrap(), "main");

    write(&p, "f.txt", "one\n");
    p.add(["f.txt"]).unwrap();
    let h1 = record(&p, "first");
    write(&p, "f.txt", "one\ntwo\n");
    let h2 = record(&p, "second");
    assert_ne!(h1, h2);
    assert_eq!(h1.as_str().len(), 53);

    let log = p.log().unwrap();
    let hashes: Vec<&PatchId> = log.iter().map(|c| &c.hash).collect();
    assert_eq!(hashes, vec![&h1, &h2], "log is oldest first");
    assert_eq!(log[0].message, "first");
    assert_eq!(log[1].message, "second");
    assert!(
        log[0].authors.iter().any(|a| a.contains("Ada")),
        "{:?}",
        log[0].authors
    );
    assert!(log[0].timestamp_ms.is_some(), "{}", log[0].timestamp);
    assert_eq!(p.hashes().unwrap(), vec![h1.clone(), h2.clone()]);
    assert!(p.state().unwrap().is_some());

    // Nothing changed: record says so, as a typed error.
    assert!(matches!(
        p.record(["-a", "-m", "empty"]),
        Err(VcsError::NothingToRecord)
    ));
}

#[test]
fn record_hands_over_the_hash_it_returns() {
    let Some(sb) = Sandbox::new("record_hands_over_the_hash_it_returns") else {
        return;
    };
    let p = sb.repo("a");
    write(&p, "f.txt", "one\n");
    p.add(["f.txt"]).unwrap();
    let mut seen = None;
    let hash = p
        .record_with(["-a", "-m", "first"], |h| seen = Some(h.clone()))
        .unwrap();
    assert_eq!(seen.as_ref(), Some(&hash));
    assert_eq!(p.hashes().unwrap(), vec![hash.clone()]);

    // An amend hands over the new hash; nothing to record hands over nothing.
    write(&p, "f.txt", "one\ntwo\n");
    let mut seen = None;
    let amend = p
        .record_amend_with(Some(&hash), ["-a", "-m", "first, amended"], |h| {
            seen = Some(h.clone())
        })
        .unwrap();
    assert_eq!(amend.old, hash);
    assert_eq!(seen, Some(amend.new.clone()));
    let mut called = false;
    let nothing = p.record_with(["-a", "-m", "empty"], |_| called = true);
    assert!(matches!(nothing, Err(VcsError::NothingToRecord)));
    assert!(!called);
}

#[test]
fn reconciliation_sees_records_and_unrecords_once() {
    let Some(sb) = Sandbox::new("reconciliation_sees_records_and_unrecords_once") else {
        return;
    };
    let p = sb.repo("a");
    write(&p, "f.txt", "one\n");
    p.add(["f.txt"]).unwrap();
    let h1 = record(&p, "first");
    write(&p, "f.txt", "one\ntwo\n");
    let h2 = record(&p, "second");

    let mut seen = Seen::default();
    let events = seen.reconcile(&p.observe().unwrap(), &[Hint::Recorded(h2.clone())]);
    assert_eq!(
        events,
        vec![
            Event::Appeared { hash: h1.clone() },
            Event::Recorded { hash: h2.clone() }
        ]
    );
    // The cheap check: same state, nothing to do; and a full pass finds nothing either.
    let state = p.state().unwrap().unwrap();
    assert!(seen.is_current(&state));
    assert!(seen.reconcile(&p.observe().unwrap(), &[]).is_empty());

    p.unrecord(&h2).unwrap();
    assert!(!seen.is_current(&p.state().unwrap().unwrap()));
    let events = seen.reconcile(&p.observe().unwrap(), &[]);
    assert_eq!(events, vec![Event::Unrecorded { hash: h2.clone() }]);
    assert!(seen.off_channel.contains(&h2));
    assert!(seen.reconcile(&p.observe().unwrap(), &[]).is_empty());

    // An unknown change is a typed error, not a crash.
    let bogus = PatchId::new("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAB").unwrap();
    let err = p.unrecord(&bogus).unwrap_err();
    assert!(matches!(err, VcsError::UnknownChange(_)), "{err}");
}

#[test]
fn amend_is_detected() {
    let Some(sb) = Sandbox::new("amend_is_detected") else {
        return;
    };
    let p = sb.repo("a");
    write(&p, "f.txt", "one\n");
    p.add(["f.txt"]).unwrap();
    let h1 = record(&p, "first");
    let mut seen = Seen::default();
    seen.reconcile(&p.observe().unwrap(), &[Hint::Recorded(h1.clone())]);

    write(&p, "f.txt", "one, amended\n");
    let amend = p
        .record_amend(None, ["-a", "-m", "first (amended)"])
        .unwrap();
    assert_eq!(amend.old, h1);
    assert_ne!(amend.new, h1);
    assert_eq!(p.hashes().unwrap(), vec![amend.new.clone()]);

    let hint = Hint::Amended {
        old: amend.old.clone(),
        new: amend.new.clone(),
    };
    let events = seen.reconcile(&p.observe().unwrap(), &[hint]);
    assert_eq!(
        events,
        vec![Event::Amended {
            old: h1.clone(),
            new: amend.new.clone()
        }]
    );
    assert!(seen.off_channel.contains(&h1));
    assert!(seen.reconcile(&p.observe().unwrap(), &[]).is_empty());

    // A plain `pijul record --amend` that no wrapper saw is recognised by its stamp.
    write(&p, "f.txt", "one, amended twice\n");
    let out = p
        .run(["record", "--amend", "-a", "-m", "first (amended twice)"])
        .unwrap();
    let h3 =
        attrib_vcs_adapter::pijul::parse_record_output("pijul record", &out.stdout, &out.stderr)
            .unwrap();
    assert_eq!(
        seen.reconcile(&p.observe().unwrap(), &[]),
        vec![Event::Amended {
            old: amend.new.clone(),
            new: h3
        }]
    );
}

#[test]
fn credit_gives_each_line_to_the_change_that_inserted_it() {
    let Some(sb) = Sandbox::new("credit_gives_each_line_to_the_change_that_inserted_it") else {
        return;
    };
    let p = sb.repo("a");
    write(&p, "f.txt", "a\nb\n");
    p.add(["f.txt"]).unwrap();
    let h1 = record(&p, "a and b");
    write(&p, "f.txt", "z\na\nb\n");
    let h2 = record(&p, "z above");
    write(&p, "f.txt", "z\na\nm\nb\n");
    let h3 = record(&p, "m in the middle");

    let positions: HashMap<PatchId, usize> = p
        .log()
        .unwrap()
        .into_iter()
        .enumerate()
        .map(|(i, c)| (c.hash, i))
        .collect();
    let credit = p.credit(Path::new("f.txt")).unwrap();
    let mut owners: Vec<(String, PatchId)> = Vec::new();
    for entry in &credit {
        if let attrib_vcs_adapter::CreditEntry::Line {
            content,
            line_count,
            ..
        } = entry
        {
            let owner = entry.inserter(&positions).expect("every line has an owner");
            for line in content.lines().take(*line_count) {
                owners.push((line.to_string(), owner.clone()));
            }
        }
    }
    let expect = vec![
        ("z".to_string(), h2.clone()),
        ("a".to_string(), h1.clone()),
        ("m".to_string(), h3.clone()),
        ("b".to_string(), h1.clone()),
    ];
    assert_eq!(owners, expect, "credit: {credit:?}");
}

#[test]
fn clone_pull_and_push_between_local_repos() {
    let Some(sb) = Sandbox::new("clone_pull_and_push_between_local_repos") else {
        return;
    };
    let a = sb.repo("a");
    write(&a, "f.txt", "one\n");
    a.add(["f.txt"]).unwrap();
    let h1 = record(&a, "first");

    let top = sb.pijul(".");
    top.run(["clone", "a", "b"]).expect("pijul clone");
    let b = sb.pijul("b");
    assert_eq!(b.hashes().unwrap(), vec![h1.clone()]);

    let mut seen_a = Seen::default();
    seen_a.reconcile(&a.observe().unwrap(), &[]);

    write(&b, "f.txt", "one\ntwo\n");
    let h2 = record(&b, "from b");
    b.run(["push", "-a", "../a"]).expect("pijul push");
    assert_eq!(a.hashes().unwrap(), vec![h1.clone(), h2.clone()]);
    assert_eq!(
        seen_a.reconcile(&a.observe().unwrap(), &[]),
        vec![Event::Appeared { hash: h2.clone() }]
    );

    write(&a, "g.txt", "g\n");
    a.add(["g.txt"]).unwrap();
    let h3 = record(&a, "from a");
    b.run(["pull", "-a", "../a"]).expect("pijul pull");
    assert!(b.hashes().unwrap().contains(&h3));
}

#[test]
fn outside_a_repository_is_a_typed_error() {
    let Some(sb) = Sandbox::new("outside_a_repository_is_a_typed_error") else {
        return;
    };
    let p = sb.pijul("not-a-repo");
    let err = p.log().unwrap_err();
    assert!(matches!(err, VcsError::NotARepo { .. }), "{err}");
}

#[test]
fn the_tracker_scans_once_and_remembers_what_left_the_channel() {
    let Some(sb) = Sandbox::new("the_tracker_scans_once_and_remembers_what_left_the_channel")
    else {
        return;
    };
    let p = sb.repo("a");
    let path = sb.dir.path().join(TRACKER_FILE);
    let mut t = Tracker::load(&path).unwrap();
    assert!(!t.rebuilt());
    assert!(t.current().is_none());
    assert!(t.check_version(&p).unwrap().starts_with("1.0.0-beta"));

    // A fresh repository: read once (its root change is no event), then nothing to do.
    let scan = t.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(scan.events, vec![]);
    let (name, rec) = t.current().expect("a current channel");
    assert_eq!(name, "main");
    assert!(rec.changes.is_empty() && rec.off_channel.is_empty());
    let scan = t.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Unchanged);
    assert_eq!(scan.events, vec![]);

    // A plain record appears, with its metadata.
    write(&p, "f.txt", "one\n");
    p.add(["f.txt"]).unwrap();
    let h1 = record(&p, "first");
    let scan = t.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(scan.events, vec![Event::Appeared { hash: h1.clone() }]);
    assert_eq!(scan.arrivals.len(), 1);
    assert_eq!(scan.arrivals[&h1].message, "first");
    let (_, rec) = t.current().unwrap();
    assert_eq!(rec.changes.len(), 1);
    let info = &rec.changes[0];
    assert_eq!(info.hash, h1);
    assert_eq!(info.message, "first");
    assert!(info.authors.iter().any(|a| a.contains("Ada")), "{info:?}");
    assert!(info.timestamp_ms.is_some(), "{info:?}");
    assert!(rec.state.is_some());
    assert_eq!(rec.state, p.state().unwrap());

    // Scanning again: one cheap check, no events.
    let scan = t.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Unchanged);
    assert_eq!(scan.events, vec![]);
    assert!(scan.arrivals.is_empty());

    // Saved and loaded: the same picture, and the fingerprint too (still unchanged).
    t.save().unwrap();
    let mut back = Tracker::load(&path).unwrap();
    assert!(!back.rebuilt());
    assert_eq!(back.current(), t.current());
    let scan = back.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Unchanged);
    assert_eq!(scan.events, vec![]);

    // Unrecorded: an event once, and the change is kept off-channel with its metadata.
    p.unrecord(&h1).unwrap();
    let scan = back.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(scan.events, vec![Event::Unrecorded { hash: h1.clone() }]);
    assert!(scan.arrivals.is_empty());
    let (_, rec) = back.current().unwrap();
    assert!(rec.changes.is_empty(), "{rec:?}");
    assert_eq!(rec.off_channel.len(), 1);
    assert_eq!(rec.off_channel[0].hash, h1);
    assert_eq!(rec.off_channel[0].message, "first");
    assert_eq!(rec.info(&h1).map(|c| c.message.as_str()), Some("first"));
    let scan = back.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Unchanged);
    assert_eq!(scan.events, vec![]);

    // The off-channel memory survives a save and a load.
    back.save().unwrap();
    let mut again = Tracker::load(&path).unwrap();
    assert_eq!(again.current(), back.current());
    let (_, rec) = again.current().unwrap();
    assert_eq!(rec.off_channel[0].hash, h1);
    assert_eq!(again.scan(&p, &[]).unwrap().freshness, Freshness::Unchanged);

    // Applied again, the change is back; a hinted record is the wrapper's own.
    p.run(["apply", h1.as_str()]).expect("pijul apply");
    let scan = again.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(scan.events, vec![Event::Returned { hash: h1.clone() }]);
    let (_, rec) = again.current().unwrap();
    assert!(rec.off_channel.is_empty(), "{rec:?}");
    write(&p, "f.txt", "one\ntwo\n");
    let h2 = record(&p, "second");
    let scan = again.scan(&p, &[Hint::Recorded(h2.clone())]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(scan.events, vec![Event::Recorded { hash: h2.clone() }]);
    let hashes: Vec<&PatchId> = again
        .current()
        .unwrap()
        .1
        .changes
        .iter()
        .map(|c| &c.hash)
        .collect();
    assert_eq!(hashes, vec![&h1, &h2]);

    // A damaged file is rebuilt from the channel (only the off-channel memory is lost).
    again.save().unwrap();
    fs::write(&path, b"not a tracker").unwrap();
    let mut rebuilt = Tracker::load(&path).unwrap();
    assert!(rebuilt.rebuilt());
    let scan = rebuilt.scan(&p, &[]).unwrap();
    assert_eq!(scan.freshness, Freshness::Rescanned);
    assert_eq!(
        scan.events,
        vec![
            Event::Appeared { hash: h1.clone() },
            Event::Appeared { hash: h2.clone() }
        ]
    );
}
