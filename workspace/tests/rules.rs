//! The write side's rules, enforced in the library so that no front end can skip them: who may
//! sign (membership, revocation), what a review needs, what capture accepts, and that a
//! workspace is found from a path and serves several threads.

use std::path::Path;

use attrib_overlay::{Origin, PatchId, Verdict};
use attrib_workspace::capture::{capture, CaptureEnv, CaptureInput};
use attrib_workspace::claim::{attest, Claim};
use attrib_workspace::review::{review, ReviewInput};
use attrib_workspace::signing::{require_admitted, Purpose};
use attrib_workspace::team::{self, Grant};
use attrib_workspace::{Options, Workspace};

/// A workspace in `repo` for the person whose config directory is `home/NAME`.
fn person(root: &Path, name: &str) -> Workspace {
    let repo = root.join("repo");
    std::fs::create_dir_all(&repo).unwrap();
    Workspace::discover(
        &repo,
        Options {
            config_dir: root.join("home").join(name),
            vcs_binary: None,
        },
    )
    .unwrap()
}

fn patch(s: &str) -> PatchId {
    PatchId::new(s).unwrap()
}

fn approve() -> ReviewInput {
    ReviewInput {
        seconds: 60,
        verdict: Verdict::Approve,
        comment: None,
    }
}

#[test]
fn members_sign_strangers_and_revoked_keys_do_not() {
    let dir = tempfile::tempdir().unwrap();
    let ada = person(dir.path(), "ada");
    let ada_id = ada.create_identity("Ada", None, false).unwrap();
    team::found(&ada, &ada_id, "acme").unwrap();
    // Found afresh: the store exists now.
    let ada = person(dir.path(), "ada");
    let bob = person(dir.path(), "bob");
    let bob_id = bob.create_identity("Bob", None, false).unwrap();

    let err = attest(&bob, &bob_id, patch("P1"), Claim::new(Origin::Person)).unwrap_err();
    assert!(
        err.to_string().contains("is not a member of this team"),
        "{err}"
    );
    {
        let snap = bob.store().unwrap().snapshot().unwrap();
        let err = require_admitted(&snap, &bob_id.public(), Purpose::Sync).unwrap_err();
        assert!(
            err.to_string().contains("its devices would refuse you"),
            "{err}"
        );
    }
    // Only an admin grants.
    let grant = || Grant {
        member: bob_id.public(),
        name: "Bob".into(),
        email: None,
        admin: false,
    };
    let err = team::grant(&bob, &bob_id, grant()).unwrap_err();
    assert!(err.to_string().contains("not an admin"), "{err}");
    team::grant(&ada, &ada_id, grant()).unwrap();
    attest(&bob, &bob_id, patch("P1"), Claim::new(Origin::Person)).unwrap();

    // A review needs an attestation, and another member than the only author.
    let err = review(&ada, &ada_id, patch("P9"), approve()).unwrap_err();
    assert!(err.to_string().contains("has no attestation"), "{err}");
    let err = review(&bob, &bob_id, patch("P1"), approve()).unwrap_err();
    assert!(err.to_string().contains("only author"), "{err}");
    review(&ada, &ada_id, patch("P1"), approve()).unwrap();

    // After a revoke, the key's records so far stay and its next one is refused.
    let revoked = team::revoke(&ada, &ada_id, "Bob").unwrap();
    assert_eq!(revoked.after_seq, 1);
    let err = attest(&bob, &bob_id, patch("P2"), Claim::new(Origin::Person)).unwrap_err();
    assert!(err.to_string().contains("was revoked"), "{err}");
    let snap = bob.store().unwrap().snapshot().unwrap();
    let err = require_admitted(&snap, &bob_id.public(), Purpose::Sync).unwrap_err();
    assert!(err.to_string().contains("refuse to sync"), "{err}");
    assert_eq!(
        snap.patch(&patch("P1")).unwrap().attestations.len(),
        1,
        "the revoked key's earlier attestation stays"
    );
}

#[test]
fn capture_takes_flags_over_the_environment_and_refuses_orphan_details() {
    let dir = tempfile::tempdir().unwrap();
    let ws = person(dir.path(), "ada");
    let env = CaptureEnv::from_vars([
        ("ATOMIC_AI_PROVIDER".to_string(), "openai".to_string()),
        ("ATOMIC_AI_MODEL".to_string(), "gpt-5".to_string()),
    ]);
    let from_env = capture(&ws, &CaptureInput::default(), &env).unwrap();
    assert_eq!(from_env.ai.unwrap().model, "gpt-5");
    let flags = CaptureInput {
        ai_model: Some("o3".into()),
        ..CaptureInput::default()
    };
    let mixed = capture(&ws, &flags, &env).unwrap().ai.unwrap();
    assert_eq!(
        (mixed.provider.as_str(), mixed.model.as_str()),
        ("openai", "o3")
    );
    let human = CaptureInput {
        no_ai: true,
        ..CaptureInput::default()
    };
    let c = capture(&ws, &human, &env).unwrap();
    assert!(c.ai.is_none() && c.decided);
    let orphan = CaptureInput {
        ai_confidence: Some("0.9".into()),
        ..CaptureInput::default()
    };
    let err = capture(&ws, &orphan, &CaptureEnv::default()).unwrap_err();
    assert!(err.to_string().contains("--ai-confidence"), "{err}");
}

#[test]
fn a_workspace_is_found_from_a_path_and_shared_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let ws = person(dir.path(), "ada");
    let me = ws.create_identity("Ada", None, false).unwrap();
    team::found(&ws, &me, "acme").unwrap();
    let ws = person(dir.path(), "ada");
    std::thread::scope(|s| {
        for _ in 0..2 {
            s.spawn(|| {
                let snap = ws.store().unwrap().snapshot().unwrap();
                assert_eq!(snap.membership().unwrap().team_name, "acme");
            });
        }
    });
}
