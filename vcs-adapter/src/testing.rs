//! A throwaway Pijul environment for tests (this crate's and its dependents') and for `attrib
//! demo`: a HOME with a Pijul author config, and an `ssh-agent` holding a fresh ed25519 key, since Pijul signs changes
//! through the agent. The agent is killed when the environment is dropped.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::Pijul;

/// HOME, config and agent for running `pijul` non-interactively.
pub struct PijulEnv {
    home: PathBuf,
    sock: PathBuf,
    agent: Child,
}

impl Drop for PijulEnv {
    fn drop(&mut self) {
        let _ = self.agent.kill();
        let _ = self.agent.wait();
    }
}

/// Something a group of tests needs from the machine, and the switch that says they must run.
///
/// Without the switch a test whose prerequisite is missing prints why and passes unrun, as on
/// a developer machine without the tool; with it (CI: `.ci/run` sets both) that is a failure
/// naming what is missing, so a green run means the tests ran.
#[derive(Clone, Copy, Debug)]
pub struct Requirement {
    /// The environment variable; `1` means the tests must run.
    pub var: &'static str,
    /// Which tests, for the message ("the Pijul tests").
    pub tests: &'static str,
    /// How to get what they need.
    pub hint: &'static str,
}

/// `ATTRIB_REQUIRE_PIJUL=1`: the tests that drive the real `pijul` must run.
pub const REQUIRE_PIJUL: Requirement = Requirement {
    var: "ATTRIB_REQUIRE_PIJUL",
    tests: "the Pijul tests",
    hint: ".ci/run installs it",
};

/// `ATTRIB_REQUIRE_NETNS=1`: the tests that build network namespaces must run.
pub const REQUIRE_NETNS: Requirement = Requirement {
    var: "ATTRIB_REQUIRE_NETNS",
    tests: "the network-namespace tests",
    hint: "they need root or CAP_SYS_ADMIN, and `ip` from iproute2",
};

/// `ATTRIB_REQUIRE_BROWSER=1`: the dashboard's test in a real Chromium must run.
pub const REQUIRE_BROWSER: Requirement = Requirement {
    var: "ATTRIB_REQUIRE_BROWSER",
    tests: "the dashboard's browser test",
    hint: "Debian's `chromium` and `chromium-driver`; .ci/run installs them",
};

impl Requirement {
    /// Whether the switch is on: `1` yes; unset, empty or `0` no. Any other value is refused
    /// rather than read as "no", so a mistyped `=true` cannot quietly turn the tests back
    /// into skips.
    ///
    /// # Panics
    /// On any other value.
    pub fn required(&self) -> bool {
        let value = std::env::var_os(self.var).unwrap_or_default();
        match value.to_str() {
            Some("" | "0") => false,
            Some("1") => true,
            _ => panic!(
                "{} must be 1 (the tests must run) or 0 (they may skip), got {value:?}",
                self.var
            ),
        }
    }

    /// `test` cannot run here because `missing` (e.g. "`pijul` is not installed"): with the
    /// switch on, fails naming what is missing; otherwise prints why it is skipped, and the
    /// caller returns early. The one place a skip is decided, so both cases stay alike.
    ///
    /// # Panics
    /// When the switch is on.
    #[track_caller]
    pub fn unmet(&self, test: &str, missing: &str) {
        let Requirement { var, tests, hint } = self;
        if self.required() {
            panic!("{test}: {missing}, and {var}=1 says {tests} must run ({hint})");
        }
        eprintln!("skipping {test}: {missing} ({hint}; {var}=1 makes this a failure)");
    }
}

fn tool_missing(name: &str, arg: &str) -> bool {
    Command::new(name)
        .arg(arg)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_err()
}

impl PijulEnv {
    /// Sets up HOME and the agent under `root` (a directory the caller owns and removes).
    /// `None`, after printing why `test` is skipped, when `pijul` is not installed, unless
    /// `ATTRIB_REQUIRE_PIJUL=1` ([`REQUIRE_PIJUL`]) makes that a failure. Every test that
    /// drives the real `pijul` starts here, so this is the one place such a test can skip.
    ///
    /// # Panics
    /// When the environment cannot be built (no ssh tools, agent does not start): a test
    /// fixture, not a user-facing path. When `pijul` is missing and required.
    pub fn start(root: &Path, test: &str) -> Option<PijulEnv> {
        if tool_missing("pijul", "--version") {
            REQUIRE_PIJUL.unmet(test, "`pijul` is not installed");
            return None;
        }
        match PijulEnv::try_start(root) {
            Ok(env) => Some(env),
            Err(why) => panic!("pijul is installed but its environment failed: {why}"),
        }
    }

    /// Like [`PijulEnv::start`] for callers that must not panic (`attrib demo`): the reason
    /// when `pijul`, `ssh-agent` or `ssh-keygen` is missing or fails.
    pub fn try_start(root: &Path) -> Result<PijulEnv, String> {
        if tool_missing("pijul", "--version") {
            return Err("`pijul` is not installed".into());
        }
        if tool_missing("ssh-agent", "-h") || tool_missing("ssh-keygen", "-?") {
            return Err("ssh-agent/ssh-keygen are missing (Debian: openssh-client)".into());
        }
        let io = |what: &str| {
            let what = what.to_string();
            move |e: std::io::Error| format!("{what}: {e}")
        };
        let home = root.join("home");
        fs::create_dir_all(home.join(".ssh")).map_err(io("create .ssh"))?;
        fs::create_dir_all(home.join(".config/pijul"))
            .map_err(io("create the pijul config dir"))?;
        let sock = root.join("agent.sock");
        // -D: stay in the foreground, so the caller owns the process and can kill it.
        let agent = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(io("start ssh-agent"))?;
        let env = PijulEnv { home, sock, agent };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !env.sock.exists() {
            if Instant::now() > deadline {
                return Err("ssh-agent did not start".into());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let key = env.home.join(".ssh/id_ed25519");
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test@attrib", "-f"])
            .arg(&key)
            .status()
            .map_err(io("ssh-keygen"))?;
        if !ok.success() {
            return Err("ssh-keygen failed".into());
        }
        let ok = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &env.sock)
            .stderr(Stdio::null())
            .status()
            .map_err(io("ssh-add"))?;
        if !ok.success() {
            return Err("ssh-add failed".into());
        }
        // The author Pijul writes into changes (its identity is created from it on first record).
        fs::write(
            env.home.join(".config/pijul/config.toml"),
            "[author]\nusername = \"ada\"\ndisplay_name = \"Ada\"\nemail = \"ada@example.org\"\n",
        )
        .map_err(io("write the pijul config"))?;
        Ok(env)
    }

    /// The throwaway home directory: Pijul's config and identity live under it, and tests put
    /// their repositories there too.
    pub fn home(&self) -> &Path {
        &self.home
    }

    /// The variables `pijul` (or `attrib`, which runs it) needs in this environment.
    pub fn vars(&self) -> Vec<(String, String)> {
        let s = |p: PathBuf| p.display().to_string();
        vec![
            ("HOME".into(), s(self.home.clone())),
            ("XDG_CONFIG_HOME".into(), s(self.home.join(".config"))),
            (
                "PIJUL_CONFIG_DIR".into(),
                s(self.home.join(".config/pijul")),
            ),
            ("SSH_AUTH_SOCK".into(), s(self.sock.clone())),
            ("EDITOR".into(), "false".into()),
            ("VISUAL".into(), "false".into()),
            ("PAGER".into(), "cat".into()),
            ("NO_COLOR".into(), "1".into()),
        ]
    }

    /// A driver for the repository at `repo` in this environment.
    pub fn driver(&self, repo: PathBuf) -> Pijul {
        self.vars()
            .into_iter()
            .fold(Pijul::new(repo), |p, (k, v)| p.with_env(k, v))
    }
}
