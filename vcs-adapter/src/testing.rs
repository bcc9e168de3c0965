//! A throwaway Pijul environment for tests (this crate's and its dependents'): a HOME with a
//! Pijul author config, and an `ssh-agent` holding a fresh ed25519 key, since Pijul signs changes
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
    /// `None`, after printing why `test` is skipped, when `pijul` is not installed.
    ///
    /// # Panics
    /// When the environment cannot be built (no ssh tools, agent does not start): a test
    /// fixture, not a user-facing path.
    pub fn start(root: &Path, test: &str) -> Option<PijulEnv> {
        if tool_missing("pijul", "--version") {
            eprintln!("skipping {test}: `pijul` is not installed (.ci/run installs it)");
            return None;
        }
        assert!(
            !tool_missing("ssh-agent", "-h") && !tool_missing("ssh-keygen", "-?"),
            "pijul is installed but ssh-agent/ssh-keygen are missing (Debian: openssh-client)"
        );
        let home = root.join("home");
        fs::create_dir_all(home.join(".ssh")).expect("create .ssh");
        fs::create_dir_all(home.join(".config/pijul")).expect("create pijul config dir");
        let sock = root.join("agent.sock");
        // -D: stay in the foreground, so the test owns the process and can kill it.
        let agent = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&sock)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent");
        let env = PijulEnv { home, sock, agent };
        let deadline = Instant::now() + Duration::from_secs(10);
        while !env.sock.exists() {
            assert!(Instant::now() < deadline, "ssh-agent did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        let key = env.home.join(".ssh/id_ed25519");
        let ok = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-C", "test@attrib", "-f"])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(ok.success(), "ssh-keygen failed");
        let ok = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &env.sock)
            .stderr(Stdio::null())
            .status()
            .expect("ssh-add");
        assert!(ok.success(), "ssh-add failed");
        // The author Pijul writes into changes (its identity is created from it on first record).
        fs::write(
            env.home.join(".config/pijul/config.toml"),
            "[author]\nusername = \"ada\"\ndisplay_name = \"Ada\"\nemail = \"ada@example.org\"\n",
        )
        .expect("write pijul config");
        Some(env)
    }

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
