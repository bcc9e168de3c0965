//! `identity`, `init` and `team`.

use std::ffi::OsStr;
use std::os::unix::fs::PermissionsExt;

use crate::support::{Sandbox, BIN};

fn is_key(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

// ---------------------------------------------------------------- identity

#[test]
fn identity_new_show_and_json() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    let created = u
        .run([
            "identity",
            "new",
            "--name",
            "Ann",
            "--email",
            "ann@example.org",
            "--json",
        ])
        .ok()
        .json();
    assert_eq!(created["name"], "Ann");
    assert_eq!(created["email"], "ann@example.org");
    let key = created["public_key"].as_str().unwrap();
    assert!(is_key(key), "{key}");
    assert_eq!(created["config_dir"], u.config.to_str().unwrap());

    let file = u.config.join("identity.toml");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file must be private");

    let shown = u.run(["identity", "show", "--json"]).ok().json();
    assert_eq!(shown, created);

    let text = u.run(["identity", "show"]).ok().stdout;
    assert!(text.contains("Ann"), "{text}");
    assert!(text.contains("ann@example.org"), "{text}");
    assert!(text.contains(key), "{text}");
    assert!(text.contains("identity.toml"), "{text}");
}

#[test]
fn identity_name_defaults_to_user() {
    let sb = Sandbox::new();
    let u = sb.user("zed");
    let v = u.run(["identity", "new", "--json"]).ok().json();
    assert_eq!(v["name"], "zed");
    assert_eq!(v["email"], serde_json::Value::Null);
}

#[test]
fn identity_new_twice_needs_force() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    u.run(["identity", "new", "--name", "ann"]).ok();
    let first = u.pubkey();
    u.run(["identity", "new", "--name", "ann"])
        .fails()
        .mentions("--force");
    assert_eq!(
        u.pubkey(),
        first,
        "a refused `identity new` changed the key"
    );
    u.run(["identity", "new", "--name", "ann2", "--force"]).ok();
    assert_ne!(u.pubkey(), first, "--force should create a new key");
    let mode = std::fs::metadata(u.config.join("identity.toml"))
        .unwrap()
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);
}

#[test]
fn identity_errors() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    u.run(["identity", "show"]).fails().mentions("identity new");
    u.run(["identity", "show", "--json"])
        .fails()
        .mentions("identity new");
    u.run(["identity", "new", "--name", "  "]).fails();
    u.run(["identity"]).help_on_stderr();
    u.run(["identity", "frob"]).usage_err();

    // A key file others can read is refused, with the fix in the message.
    u.run(["identity", "new", "--name", "ann"]).ok();
    let file = u.config.join("identity.toml");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    u.run(["identity", "show"]).fails().mentions("chmod 600");
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();

    // A damaged key file is a clean error.
    std::fs::write(&file, "this is = not [ toml").unwrap();
    u.run(["identity", "show"]).fails().mentions("identity");
    std::fs::write(
        &file,
        "name = \"ann\"\npublic_key = \"00\"\nsecret_key = \"zz\"\n",
    )
    .unwrap();
    u.run(["identity", "show"]).fails().mentions("secret_key");
}

// ---------------------------------------------------------------- init

#[test]
fn init_in_plain_dir_uses_dot_attrib() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    let out = u
        .run([
            "init", "--team", "core", "--name", "ann", "--email", "a@x.org",
        ])
        .ok();
    assert!(
        out.stdout.contains("created identity ann"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("founded team \"core\""),
        "{}",
        out.stdout
    );
    assert!(u.repo.join(".attrib/attrib.db").is_file());
    assert!(!u.repo.join(".pijul").exists());
    let team = u.run(["team", "show", "--json"]).ok().json();
    assert_eq!(team["name"], "core");
    assert_eq!(team["members"][0]["name"], "ann");
    assert_eq!(team["members"][0]["email"], "a@x.org");

    // Commands find the store from a subdirectory too.
    let sub = u.repo.join("src/deep");
    std::fs::create_dir_all(&sub).unwrap();
    u.run([
        OsStr::new("-C"),
        sub.as_os_str(),
        OsStr::new("team"),
        OsStr::new("show"),
    ])
    .ok();
}

#[test]
fn init_in_pijul_repo_uses_pijul_dir() {
    let sb = Sandbox::new();
    let u = sb.pijul_user("ann");
    let out = u.run(["init", "--team", "core", "--name", "ann"]).ok();
    assert!(u.repo.join(".pijul/attrib/attrib.db").is_file());
    assert!(!u.repo.join(".attrib").exists());
    assert!(out.stdout.contains(".pijul/attrib"), "{}", out.stdout);
    u.run(["annotate", "P1"]).ok();
    assert_eq!(u.log_patches(&[]), ["P1"]);
}

#[test]
fn install_hooks_with_a_broken_pijul_config_creates_nothing() {
    let sb = Sandbox::new();
    let u = sb.pijul_user("ann");
    let config = u.repo.join(".pijul/config.toml");
    std::fs::write(&config, "[hooks\nrecord = [").unwrap();
    u.run(["init", "--team", "core", "--name", "ann", "--install-hooks"])
        .fails()
        .mentions("config.toml");
    assert!(!u.repo.join(".pijul/attrib").exists(), "no store, no team");
    assert_eq!(
        std::fs::read_to_string(&config).unwrap(),
        "[hooks\nrecord = [",
        "the Pijul config is left as it was"
    );
}

#[test]
fn init_with_dash_c() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    let elsewhere = sb.dir("elsewhere");
    u.run([
        OsStr::new("-C"),
        elsewhere.as_os_str(),
        OsStr::new("init"),
        OsStr::new("--team"),
        OsStr::new("t"),
    ])
    .ok();
    assert!(elsewhere.join(".attrib/attrib.db").is_file());
    assert!(!u.repo.join(".attrib").exists());
    // Without a team name the directory's name is used.
    let other = sb.dir("project-x");
    u.run([OsStr::new("-C"), other.as_os_str(), OsStr::new("init")])
        .ok();
    let v = u
        .run([
            OsStr::new("-C"),
            other.as_os_str(),
            OsStr::new("team"),
            OsStr::new("show"),
            OsStr::new("--json"),
        ])
        .ok()
        .json();
    assert_eq!(v["name"], "project-x");

    let missing = sb.path().join("no-such-dir");
    u.run([OsStr::new("-C"), missing.as_os_str(), OsStr::new("log")])
        .fails()
        .mentions("not a directory");
}

#[test]
fn dash_c_resolves_relative_paths_like_git() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let root = sb.path();
    std::fs::write(alice.repo.join("prompt.txt"), "a prompt").unwrap();
    // Started in the sandbox root, working on alice's repository: every relative path in the
    // arguments is taken inside that repository, as `git -C` does.
    alice
        .run_in(
            root,
            [
                "-C",
                "alice/repo",
                "annotate",
                "P1",
                "--ai-provider",
                "a",
                "--ai-model",
                "m",
                "--prompt-file",
                "prompt.txt",
            ],
        )
        .ok();
    alice
        .run_in(root, ["-C", "alice/repo", "export", "-o", "out.jsonl"])
        .ok();
    assert!(alice.repo.join("out.jsonl").is_file());
    assert!(!root.join("out.jsonl").exists());
    std::fs::copy(alice.repo.join("out.jsonl"), bob.repo.join("in.jsonl")).unwrap();
    bob.run_in(root, ["-C", "bob/repo", "import", "in.jsonl"])
        .ok();
    assert_eq!(bob.log_patches(&[]), ["P1"]);

    // A relative ATTRIB_CONFIG_DIR still names the directory it named before `-C`.
    let out = alice.run_in(root, ["-C", "alice/repo", "identity", "show", "--json"]);
    assert_eq!(out.ok().json()["public_key"], alice.pubkey().as_str());
    let v = sb
        .user("x")
        .run_in(root, ["-C", "alice/repo", "identity", "show", "--json"]);
    v.fails();
    let mut c = alice.cmd();
    c.current_dir(root)
        .env("ATTRIB_CONFIG_DIR", "alice/config")
        .args(["-C", "bob/repo", "identity", "show", "--json"]);
    let out = c.output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["public_key"], alice.pubkey().as_str());
}

#[test]
fn init_twice_fails_clearly() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    u.run(["init", "--team", "core"]).ok();
    let before = u.run(["export"]).ok().stdout;
    u.run(["init", "--team", "other"])
        .fails()
        .mentions("already holds team \"core\"");
    let team = u.run(["team", "show", "--json"]).ok().json();
    assert_eq!(team["name"], "core");
    assert_eq!(team["members"].as_array().unwrap().len(), 1);
    assert_eq!(
        u.run(["export"]).ok().stdout,
        before,
        "a refused init changed the store"
    );
    assert!(!u.repo.join(".attrib/.attrib").exists());
    // Joining over an existing team is refused too.
    let export = u.export_file(&sb);
    u.run([OsStr::new("init"), OsStr::new("--join"), export.as_os_str()])
        .fails()
        .mentions("already holds");
}

#[test]
fn init_join_admits_second_member() {
    let sb = Sandbox::new();
    let alice = sb.user("alice");
    let bob = sb.user("bob");
    alice
        .run(["init", "--team", "core", "--name", "alice"])
        .ok();
    bob.run(["identity", "new", "--name", "bob"]).ok();
    alice
        .run(["team", "add", &bob.pubkey(), "--name", "bob"])
        .ok();
    let export = alice.export_file(&sb);
    let out = bob
        .run([OsStr::new("init"), OsStr::new("--join"), export.as_os_str()])
        .ok();
    assert!(
        out.stdout.contains("joined team \"core\""),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("accepted 2"), "{}", out.stdout);
    assert!(!out.stdout.contains("not a member"), "{}", out.stdout);
    assert!(bob.repo.join(".attrib/attrib.db").is_file());
    let team = bob.run(["team", "show", "--json"]).ok().json();
    assert_eq!(team, alice.run(["team", "show", "--json"]).ok().json());
    // bob can write at once, and alice takes his record.
    bob.run(["annotate", "B1"]).ok();
    alice.pull(&sb, &bob);
    assert_eq!(alice.log_patches(&[]), ["B1"]);

    // Someone not yet admitted can join, is told so, and cannot write.
    let carol = sb.user("carol");
    let out = carol
        .run([
            OsStr::new("init"),
            OsStr::new("--join"),
            export.as_os_str(),
            OsStr::new("--name"),
            OsStr::new("carol"),
        ])
        .ok();
    assert!(
        out.stdout.contains("created identity carol"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("not a member yet"), "{}", out.stdout);
    assert!(out.stdout.contains("attrib team add"), "{}", out.stdout);
    carol
        .run(["annotate", "C1"])
        .fails()
        .mentions("not a member");
}

#[test]
fn init_join_bad_files_leave_no_store() {
    let sb = Sandbox::new();
    let alice = sb.user("alice");
    alice.run(["init", "--team", "core"]).ok();
    alice.run(["annotate", "A1"]).ok();
    let export = std::fs::read_to_string(alice.export_file(&sb)).unwrap();
    let no_genesis: String = export
        .lines()
        .filter(|l| !l.contains("\"genesis\""))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(no_genesis.lines().count(), export.lines().count() - 1);

    // A genesis whose signature no longer matches (the team name was changed).
    let forged: String = export
        .lines()
        .map(|l| {
            format!(
                "{}\n",
                l.replace("\"team_name\":\"core\"", "\"team_name\":\"c0re\"")
            )
        })
        .collect();
    assert_ne!(forged, export);

    let bob = sb.user("bob");
    bob.run(["identity", "new", "--name", "bob"]).ok();
    let cases: Vec<(std::path::PathBuf, &str)> = vec![
        (
            {
                let p = sb.file("forged-genesis");
                std::fs::write(&p, &forged).unwrap();
                p
            },
            "genesis was refused",
        ),
        (sb.path().join("does-not-exist.jsonl"), "cannot read"),
        (
            {
                let p = sb.file("no-genesis");
                std::fs::write(&p, &no_genesis).unwrap();
                p
            },
            "genesis",
        ),
        (
            {
                let p = sb.file("garbage");
                std::fs::write(&p, b"\x00\xff garbage\n{\"not\": \"a record\"}\n").unwrap();
                p
            },
            "genesis",
        ),
        (
            {
                let p = sb.file("empty");
                std::fs::write(&p, b"").unwrap();
                p
            },
            "no records",
        ),
    ];
    for (file, why) in cases {
        bob.run([OsStr::new("init"), OsStr::new("--join"), file.as_os_str()])
            .fails()
            .mentions(why);
        assert!(
            !bob.repo.join(".attrib").exists(),
            "a failed join ({}) left a store behind",
            file.display()
        );
        bob.run(["team", "show"]).fails().mentions("attrib init");
    }
    // A directory given as the file is a clean error as well.
    bob.run([
        OsStr::new("init"),
        OsStr::new("--join"),
        sb.path().as_os_str(),
    ])
    .fails();
    assert!(!bob.repo.join(".attrib").join("attrib.db").exists());
}

#[test]
fn init_usage_errors() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    u.run(["init", "--team", "a", "--join", "x.jsonl"])
        .usage_err();
    u.run(["init", "--team"]).usage_err();
    u.run(["init", "--bogus"]).usage_err();
    assert!(!u.repo.join(".attrib").exists());
    assert!(!u.config.join("identity.toml").exists());
}

#[test]
fn help_and_version() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    let help = u.run(["--help"]).ok();
    for cmd in [
        "init", "identity", "team", "annotate", "review", "log", "show", "verify", "export",
        "import", "demo",
    ] {
        assert!(help.stdout.contains(cmd), "--help lacks {cmd}");
    }
    let v = u.run(["--version"]).ok();
    assert!(v.stdout.starts_with("attrib "), "{}", v.stdout);
    u.run(["annotate", "--help"]).ok();
    u.run(Vec::<&str>::new()).help_on_stderr();
    u.run(["frobnicate"]).usage_err();
    assert!(std::path::Path::new(BIN).is_file());
}

// ---------------------------------------------------------------- team

#[test]
fn team_show_and_json() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let text = alice.run(["team", "show"]).ok().stdout;
    assert!(text.starts_with("team \"t\""), "{text}");
    assert!(text.contains("founder, admin"), "{text}");
    assert!(text.contains("member"), "{text}");
    assert!(text.contains(&alice.pubkey()), "{text}");
    assert!(text.contains(&bob.pubkey()), "{text}");

    let v = alice.run(["team", "show", "--json"]).ok().json();
    assert_eq!(v["name"], "t");
    assert!(is_key(v["team"].as_str().unwrap()));
    let members = v["members"].as_array().unwrap();
    assert_eq!(members.len(), 2);
    let find = |name: &str| {
        members
            .iter()
            .find(|m| m["name"] == name)
            .unwrap_or_else(|| panic!("no member {name} in {v}"))
    };
    let a = find("alice");
    assert_eq!(a["key"], alice.pubkey().as_str());
    assert_eq!(a["admin"], true);
    assert_eq!(a["founder"], true);
    assert_eq!(a["revoked_after_seq"], serde_json::Value::Null);
    assert_eq!(a["equivocated"], false);
    let b = find("bob");
    assert_eq!(b["key"], bob.pubkey().as_str());
    assert_eq!(b["admin"], false);
    assert_eq!(b["founder"], false);
    // Both members see the same team.
    assert_eq!(bob.run(["team", "show", "--json"]).ok().json(), v);
}

#[test]
fn team_add_admin_and_email() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let carol = sb.user("carol");
    carol.run(["identity", "new", "--name", "carol"]).ok();
    let out = alice
        .run([
            "team",
            "add",
            &carol.pubkey(),
            "--name",
            "carol",
            "--email",
            "c@x.org",
            "--admin",
        ])
        .ok();
    assert!(out.stdout.contains("added carol"), "{}", out.stdout);
    assert!(out.stdout.contains("as admin"), "{}", out.stdout);
    let v = alice.run(["team", "show", "--json"]).ok().json();
    let c = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "carol")
        .unwrap()
        .clone();
    assert_eq!(c["admin"], true);
    assert_eq!(c["email"], "c@x.org");

    // The new admin, once joined, can admit others; bob still cannot.
    let export = alice.export_file(&sb);
    carol
        .run([OsStr::new("init"), OsStr::new("--join"), export.as_os_str()])
        .ok();
    let dave = sb.user("dave");
    dave.run(["identity", "new", "--name", "dave"]).ok();
    carol
        .run(["team", "add", &dave.pubkey(), "--name", "dave"])
        .ok();
    bob.pull(&sb, alice);
    bob.run(["team", "add", &dave.pubkey(), "--name", "dave2"])
        .fails()
        .mentions("not an admin");
}

#[test]
fn team_add_by_non_admin_fails() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    let carol = sb.user("carol");
    carol.run(["identity", "new", "--name", "carol"]).ok();
    let before = bob.run(["team", "show", "--json"]).ok().stdout;
    bob.run(["team", "add", &carol.pubkey(), "--name", "carol"])
        .fails()
        .mentions("not an admin");
    bob.run(["team", "revoke", "alice"])
        .fails()
        .mentions("not an admin");
    assert_eq!(bob.run(["team", "show", "--json"]).ok().stdout, before);
    // Nothing leaked into bob's export either: alice's store stays at two members.
    alice.pull(&sb, bob);
    let v = alice.run(["team", "show", "--json"]).ok().json();
    assert_eq!(v["members"].as_array().unwrap().len(), 2);
}

#[test]
fn team_add_bad_input_fails() {
    let sb = Sandbox::new();
    let alice = sb.user("alice");
    alice.run(["init", "--team", "t"]).ok();
    let good = "ab".repeat(32);
    for bad in ["nothex", "abcd", &"zz".repeat(32), &"ab".repeat(33), ""] {
        alice.run(["team", "add", bad, "--name", "x"]).fails();
    }
    alice
        .run(["team", "add", &good, "--name", " "])
        .fails()
        .mentions("--name");
    alice.run(["team", "add", &good]).usage_err();
    alice.run(["team", "add"]).usage_err();
    let v = alice.run(["team", "show", "--json"]).ok().json();
    assert_eq!(v["members"].as_array().unwrap().len(), 1);
}

#[test]
fn team_revoke_refuses_later_records_and_keeps_earlier_ones() {
    let sb = Sandbox::new();
    let users = sb.team(&["alice", "bob"]);
    let (alice, bob) = (&users[0], &users[1]);
    bob.run(["annotate", "EARLY", "--description", "before"])
        .ok();
    alice.pull(&sb, bob);

    alice
        .run(["team", "revoke", "nobody"])
        .fails()
        .mentions("nobody");
    alice
        .run(["team", "revoke", &"cd".repeat(32)])
        .fails()
        .mentions("not a member");
    let out = alice.run(["team", "revoke", "bob"]).ok();
    assert!(out.stdout.contains("revoked bob"), "{}", out.stdout);
    let v = alice.run(["team", "show", "--json"]).ok().json();
    let b = v["members"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "bob")
        .unwrap()
        .clone();
    assert_eq!(b["revoked_after_seq"], 1);
    assert!(alice
        .run(["team", "show"])
        .ok()
        .stdout
        .contains("revoked after #1"));

    // bob has not heard yet and keeps writing; alice refuses the later record.
    bob.run(["annotate", "LATE"]).ok();
    let file = bob.export_file(&sb);
    let out = alice.import(&file).fails();
    assert!(out.stdout.contains("revoked"), "{}", out.stdout);
    assert!(out.stdout.contains("refused 1"), "{}", out.stdout);
    assert!(out.message().contains("refused"), "{}", out.stderr);
    assert_eq!(alice.log_patches(&[]), ["EARLY"]);
    alice.run(["show", "LATE"]).fails();
    let early = alice.show_json("EARLY");
    assert_eq!(early["attestations"][0]["author"]["name"], "bob");
    assert_eq!(early["attestations"][0]["description"], "before");

    // The JSON summary names the reason code.
    let v = alice
        .run([OsStr::new("import"), file.as_os_str(), OsStr::new("--json")])
        .err()
        .json();
    let refused = v["refused"].as_array().unwrap();
    assert_eq!(refused.len(), 1);
    assert_eq!(refused[0][1], "revoked-key");

    // Once bob hears of it, his own store refuses his new records too.
    // (bob's own later record, which alice's export carries as held, is refused there too.)
    let out = bob.import(&alice.export_file(&sb)).fails();
    assert!(out.stdout.contains("revoked"), "{}", out.stdout);
    assert_eq!(
        bob.log_patches(&[]),
        ["EARLY"],
        "bob's view converges to alice's"
    );
    bob.run(["annotate", "LATER"]).fails().mentions("revoked");
    assert!(!bob.log_patches(&[]).contains(&"LATER".to_string()));
    alice.run(["verify"]).ok();
}

/// `attrib` installed without `attrib-node` beside it (or on PATH): the network commands say
/// how to install it, in one line, and every other command still works.
#[test]
fn a_missing_node_binary_is_one_line_naming_the_install_command() {
    let sb = Sandbox::new();
    let u = sb.user("ann");
    u.run(["init", "--team", "t", "--name", "Ann"]).ok();
    let alone = sb.dir("bin");
    let exe = alone.join("attrib");
    std::fs::copy(BIN, &exe).unwrap();
    // The copy is exec'd while other tests fork: a child forked while the copy's file was
    // still open for writing holds it until it execs, and Linux refuses to run a file open for
    // writing (ETXTBSY). That passes in a moment; retry it.
    const ETXTBSY: i32 = 26;
    let run = |args: &[&str]| loop {
        match std::process::Command::new(&exe)
            .args(args)
            .current_dir(&u.repo)
            .env("ATTRIB_CONFIG_DIR", &u.config)
            .env("PATH", "/usr/bin:/bin")
            .output()
        {
            Err(e) if e.raw_os_error() == Some(ETXTBSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20))
            }
            other => break other.unwrap(),
        }
    };
    for args in [&["node"][..], &["sync", "--once"], &["peers"]] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(
            stderr.starts_with("attrib: attrib-node is not installed")
                && stderr.contains("cargo install --path cli"),
            "{args:?}: {stderr}"
        );
    }
    let out = run(&["log"]);
    assert!(out.status.success());
}
