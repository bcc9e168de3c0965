//! The Pijul world shared by the end-to-end tests that drive real `pijul` (`record`, `blame`):
//! a sandbox whose HOME holds a Pijul config, plus an `ssh-agent` holding a fresh ed25519 key
//! (Pijul signs changes through the agent), killed when the world is dropped.

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

use attrib_vcs_adapter::testing::PijulEnv;

use crate::support::{Output, Sandbox, User};

/// A sandbox whose HOME holds a Pijul config, plus an ssh-agent; the agent is killed on drop.
pub struct PijulWorld {
    // Declared first so the agent is stopped before the sandbox's directory goes.
    env: PijulEnv,
    pub sb: Sandbox,
}

impl PijulWorld {
    /// None (after printing the reason) when `pijul` is not installed.
    pub fn new(test: &str) -> Option<PijulWorld> {
        let sb = Sandbox::new();
        let env = PijulEnv::start(sb.path(), test)?;
        Some(PijulWorld { env, sb })
    }

    /// What both `attrib` and `pijul` need to run Pijul non-interactively in this world.
    pub fn env(&self) -> Vec<(String, String)> {
        self.env.vars()
    }

    /// `pijul ARGS` in `dir` with this world's HOME and agent; must succeed.
    #[track_caller]
    pub fn pijul<I, S>(&self, dir: &Path, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let out = Command::new("pijul")
            .args(args)
            .current_dir(dir)
            .envs(self.env())
            .stdin(Stdio::null())
            .output()
            .expect("run pijul");
        assert!(
            out.status.success(),
            "pijul failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A user whose repository is a fresh Pijul repository with an attrib store of team "t".
    pub fn user(&self, name: &str) -> User {
        let u = self.sb.user(name);
        self.pijul(&u.repo, ["init"]);
        u.run(["init", "--team", "t", "--name", name]).ok();
        assert!(u.repo.join(".pijul/attrib").is_dir());
        u
    }

    /// `attrib ARGS` as `u`, with the Pijul environment and `extra` variables.
    pub fn attrib<I, S>(&self, u: &User, args: I, extra: &[(&str, &str)]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        attrib_in(self, u, args, extra)
    }

    /// The newest change hash of `u`'s channel, from `pijul log --output-format json`.
    pub fn newest_hash(&self, u: &User) -> String {
        let text = self.pijul(&u.repo, ["log", "--output-format", "json"]);
        let v: Value = serde_json::from_str(&text).expect("pijul log json");
        v[0]["hash"].as_str().expect("a hash").to_string()
    }

    /// Writes `text` to `file` in `u`'s repository and tracks it.
    pub fn edit(&self, u: &User, file: &str, text: &str) {
        let path = u.repo.join(file);
        let new = !path.exists();
        fs::write(&path, text).unwrap();
        if new {
            self.pijul(&u.repo, ["add", file]);
        }
    }

    /// How many changes `u`'s channel holds, the root change (no message) left out.
    pub fn pijul_log_len(&self, u: &User) -> usize {
        let text = self.pijul(&u.repo, ["log", "--output-format", "json"]);
        let v: Value = serde_json::from_str(&text).expect("pijul log json");
        v.as_array()
            .unwrap()
            .iter()
            .filter(|c| c["message"].as_str().is_some_and(|m| !m.is_empty()))
            .count()
    }
}

/// A world that drives a real VCS attrib reads changes from (Pijul here, Atomic in
/// [`crate::atomic`]): what the helpers below need of it.
pub(crate) trait VcsWorld {
    /// The VCS's name, in messages.
    const NAME: &'static str;
    /// What both `attrib` and the VCS need to run in this world.
    fn vars(&self) -> Vec<(String, String)>;
    /// The newest change hash of `u`'s channel.
    fn newest(&self, u: &User) -> String;
}

impl VcsWorld for PijulWorld {
    const NAME: &'static str = "Pijul";

    fn vars(&self) -> Vec<(String, String)> {
        self.env()
    }

    fn newest(&self, u: &User) -> String {
        self.newest_hash(u)
    }
}

/// `attrib ARGS` as `u`, with `w`'s environment and `extra` variables.
pub(crate) fn attrib_in<W, I, S>(w: &W, u: &User, args: I, extra: &[(&str, &str)]) -> Output
where
    W: VcsWorld,
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let env = w.vars();
    let mut all: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    all.extend_from_slice(extra);
    u.run_env(args, &all)
}

/// The hash in `recorded HASH as …`.
pub fn recorded_hash(out: &Output) -> String {
    let rest = out
        .stdout
        .strip_prefix("recorded ")
        .unwrap_or_else(|| panic!("unexpected output: {:?}", out.stdout));
    rest.split_whitespace().next().unwrap().to_string()
}

/// `attrib log --json EXTRA` as `u`: the rows, and the command's stderr (notes, warnings).
pub fn log_with_stderr(w: &impl VcsWorld, u: &User, extra: &[&str]) -> (Vec<Value>, String) {
    let mut args = vec!["log", "--json"];
    args.extend_from_slice(extra);
    let out = attrib_in(w, u, args, &[]).ok();
    match out.json() {
        Value::Array(rows) => (rows, out.stderr),
        other => panic!("log --json is not an array: {other}"),
    }
}

/// `attrib log --json EXTRA` as `u`.
pub fn log(w: &impl VcsWorld, u: &User, extra: &[&str]) -> Vec<Value> {
    log_with_stderr(w, u, extra).0
}

/// `attrib record --json CAPTURE -- VCS_ARGS` as `u`: the attestation written.
#[track_caller]
pub fn record_json(w: &impl VcsWorld, u: &User, capture: &[&str], vcs_args: &[&str]) -> Value {
    let mut args = vec!["record", "--json"];
    args.extend_from_slice(capture);
    args.push("--");
    args.extend_from_slice(vcs_args);
    let v = attrib_in(w, u, args, &[]).ok().json();
    assert_eq!(v["kind"], "attestation", "{v}");
    v
}

/// Records everything in `u`'s working copy with `attrib record` and returns the new hash,
/// checked to be the newest change of `u`'s channel.
#[track_caller]
pub fn attrib_record<W: VcsWorld>(w: &W, u: &User, capture: &[&str], message: &str) -> String {
    let v = record_json(w, u, capture, &["-m", message]);
    let hash = v["patch"].as_str().unwrap().to_string();
    assert_eq!(
        hash,
        w.newest(u),
        "the attested hash is {}'s newest",
        W::NAME
    );
    hash
}
