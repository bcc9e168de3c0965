//! `attrib config get|set|unset|list`: documented keys, both files, type checks, and edits that
//! keep the file's comments and layout.

use std::fs;
use std::path::PathBuf;

use serde_json::Value;

use crate::support::{Sandbox, User};

fn user_file(u: &User) -> PathBuf {
    u.config.join("config.toml")
}

fn get(u: &User, args: &[&str]) -> String {
    let mut a = vec!["config", "get"];
    a.extend_from_slice(args);
    u.run(a).ok().stdout
}

#[test]
fn list_shows_every_documented_key_with_its_source() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    let v = u.run(["config", "list", "--json"]).ok().json();
    let keys: Vec<&str> = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["key"].as_str().unwrap())
        .collect();
    for k in [
        "ai.enabled",
        "ai.provider",
        "ai.model",
        "ai.track_prompts",
        "vcs.binary",
        "p2p.peers",
        "p2p.listen",
        "p2p.mdns",
        "p2p.swarm_key_file",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    for k in v["keys"].as_array().unwrap() {
        assert!(!k["description"].as_str().unwrap().is_empty(), "{k}");
        assert!(k["type"].is_string(), "{k}");
    }
    let key = |v: &Value, name: &str| -> Value {
        v["keys"]
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["key"] == name)
            .unwrap()
            .clone()
    };
    assert_eq!(key(&v, "ai.enabled")["value"], false);
    assert_eq!(key(&v, "ai.enabled")["source"], "default");
    assert_eq!(key(&v, "p2p.mdns")["value"], true);
    assert_eq!(key(&v, "ai.provider")["source"], "unset");
    assert_eq!(key(&v, "ai.provider")["value"], Value::Null);

    u.run([
        "config",
        "set",
        "p2p.peers",
        "/ip4/10.0.0.1/tcp/4001,/ip4/10.0.0.2/tcp/4001",
    ])
    .ok();
    let v = u.run(["config", "list", "--json"]).ok().json();
    assert_eq!(
        key(&v, "p2p.peers")["value"],
        serde_json::json!(["/ip4/10.0.0.1/tcp/4001", "/ip4/10.0.0.2/tcp/4001"])
    );
    assert_eq!(key(&v, "p2p.peers")["source"], "user");

    let text = u.run(["config", "list"]).ok().stdout;
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("KEY"), "{text}");
    assert!(
        lines.iter().any(|l| l.starts_with("p2p.peers")
            && l.contains("/ip4/10.0.0.1/tcp/4001, /ip4/10.0.0.2/tcp/4001")
            && l.contains("user")),
        "{text}"
    );
    assert!(text.contains("user config: "), "{text}");
}

#[test]
fn set_get_and_unset_in_the_user_file() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    assert_eq!(get(&u, &["ai.enabled"]), "false\n", "the default");
    assert_eq!(get(&u, &["vcs.binary"]), "pijul\n");
    u.run(["config", "get", "ai.provider"])
        .fails()
        .mentions("ai.provider");

    u.run(["config", "set", "ai.provider", "anthropic"]).ok();
    u.run(["config", "set", "ai.model", "claude-sonnet-4"]).ok();
    u.run(["config", "set", "ai.enabled", "true"]).ok();
    assert_eq!(get(&u, &["ai.provider"]), "anthropic\n");
    assert_eq!(get(&u, &["ai.enabled", "--user"]), "true\n");
    let text = fs::read_to_string(user_file(&u)).unwrap();
    assert_eq!(
        text,
        "[ai]\nprovider = \"anthropic\"\nmodel = \"claude-sonnet-4\"\nenabled = true\n"
    );

    // The other commands read what was set: a bare annotate is now AI-assisted.
    u.run(["init", "--team", "t", "--name", "ada"]).ok();
    let v = u.run(["annotate", "P1", "--json"]).ok().json();
    assert_eq!(v["ai"]["provider"], "anthropic", "{v}");
    assert_eq!(v["ai"]["model"], "claude-sonnet-4", "{v}");

    u.run(["config", "unset", "ai.enabled"]).ok();
    assert_eq!(get(&u, &["ai.enabled"]), "false\n");
    let again = u.run(["config", "unset", "ai.enabled"]).ok();
    assert!(again.stdout.contains("nothing to do"), "{}", again.stdout);
    let v = u.run(["annotate", "P2", "--json"]).ok().json();
    assert_eq!(v["ai"], Value::Null, "{v}");
}

#[test]
fn set_keeps_comments_and_layout() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    fs::create_dir_all(&u.config).unwrap();
    let before = "\
# attrib, my defaults

[ai]
# who helps me
provider = \"openai\"   # the usual one
model    = \"gpt-5\"

[vcs]
binary = \"pijul\" # not atomic yet
";
    fs::write(user_file(&u), before).unwrap();
    u.run(["config", "set", "ai.provider", "anthropic"]).ok();
    u.run(["config", "set", "p2p.mdns", "false"]).ok();
    u.run(["config", "set", "vcs.binary", "atomic"]).ok();
    let after = fs::read_to_string(user_file(&u)).unwrap();
    assert_eq!(
        after,
        "\
# attrib, my defaults

[ai]
# who helps me
provider = \"anthropic\"   # the usual one
model    = \"gpt-5\"

[vcs]
binary = \"atomic\" # not atomic yet

[p2p]
mdns = false
"
    );
}

#[test]
fn the_repository_file_wins_and_needs_a_store() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    u.run(["config", "set", "ai.model", "gpt-5", "--repo"])
        .fails()
        .mentions("attrib init");
    u.run(["init", "--team", "t", "--name", "ada"]).ok();
    u.run(["config", "set", "ai.model", "gpt-5"]).ok();
    u.run(["config", "set", "ai.model", "claude-opus-4", "--repo"])
        .ok();
    assert!(u.repo.join(".attrib/config.toml").is_file());
    assert_eq!(get(&u, &["ai.model"]), "claude-opus-4\n");
    assert_eq!(get(&u, &["ai.model", "--user"]), "gpt-5\n");
    assert_eq!(get(&u, &["ai.model", "--repo"]), "claude-opus-4\n");
    u.run(["config", "get", "ai.provider", "--repo"])
        .fails()
        .mentions("ai.provider");
    let v = u.run(["config", "list", "--json"]).ok().json();
    let model = v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["key"] == "ai.model")
        .unwrap();
    assert_eq!(model["source"], "repo");
    assert_eq!(v["files"].as_array().unwrap().len(), 2);
    u.run(["config", "set", "ai.model", "x", "--user", "--repo"])
        .usage_err();
}

#[test]
fn bad_keys_and_values_are_refused_with_the_key_named() {
    let sb = Sandbox::new();
    let u = sb.user("ada");
    u.run(["config", "set", "ai.provider", "anthropic"]).ok();
    let before = fs::read_to_string(user_file(&u)).unwrap();
    for (args, key) in [
        (vec!["set", "ai.modle", "x"], "ai.modle"),
        (vec!["set", "ai.enabled", "yes"], "ai.enabled"),
        (vec!["set", "p2p.mdns", "1"], "p2p.mdns"),
        (vec!["set", "p2p.peers", "[1, 2]"], "p2p.peers"),
        (vec!["set", "vcs.binary", ""], "vcs.binary"),
        (vec!["get", "nope"], "nope"),
        (vec!["unset", "ai.nothing"], "ai.nothing"),
    ] {
        let mut a = vec!["config"];
        a.extend(args);
        u.run(&a).fails().mentions(key);
    }
    assert_eq!(fs::read_to_string(user_file(&u)).unwrap(), before);
    u.run(["config", "set", "ai.provider"]).usage_err();
    u.run(["config"]).help_on_stderr();

    // A typo made by hand: every command names it, and unset removes it.
    fs::write(user_file(&u), "[ai]\nprovdier = \"mistral\"\n").unwrap();
    u.run(["config", "list"]).fails().mentions("provdier");
    u.run(["config", "get", "ai.provider"])
        .fails()
        .mentions("provdier");
    u.run(["config", "unset", "ai.provdier"]).ok();
    u.run(["config", "list"]).ok();
    // A file that is not TOML is named too.
    fs::write(user_file(&u), "[ai\n").unwrap();
    u.run(["config", "set", "ai.model", "x"])
        .fails()
        .mentions("config.toml");
}
