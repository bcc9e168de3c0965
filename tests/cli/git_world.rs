//! The git world of the git tests ([`crate::git_flow`], [`crate::git_ai`]): the real `git` run
//! with the sandbox's HOME (whose global config names the author) and no system config, a
//! sandbox set up that way, and the stable patch id git itself gives a commit.

use std::ffi::OsStr;
use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::support::Sandbox;

/// A git binary the tests run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Git(pub &'static str);

impl Git {
    /// The command `git ARGS` in `dir`, with the sandbox's HOME and no system config.
    fn command(self, sb: &Sandbox, dir: &Path) -> Command {
        let mut c = Command::new(self.0);
        c.current_dir(dir)
            .env("HOME", sb.path().join("home"))
            .env("GIT_CONFIG_NOSYSTEM", "1");
        c
    }

    /// Runs `git ARGS` in `dir` (editors accept what they are given); its stdout, trimmed.
    /// Panics with git's stderr when it fails.
    #[track_caller]
    pub(crate) fn run<I, S>(self, sb: &Sandbox, dir: &Path, args: I) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_env(sb, dir, &[], args)
    }

    /// [`Git::run`] with more environment variables.
    #[track_caller]
    pub(crate) fn run_env<I, S>(
        self,
        sb: &Sandbox,
        dir: &Path,
        env: &[(&str, &str)],
        args: I,
    ) -> String
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<_> = args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let out = self
            .command(sb, dir)
            .args(&args)
            .env("GIT_EDITOR", "true")
            .env("GIT_SEQUENCE_EDITOR", "true")
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("git is installed");
        assert!(
            out.status.success(),
            "git {:?} failed: {}",
            args,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A sandbox whose HOME's git config names an author (Ada) and the branch `main`.
    pub(crate) fn sandbox(self) -> Sandbox {
        let sb = Sandbox::new();
        let home = sb.path().join("home");
        for (k, v) in [
            ("user.name", "Ada"),
            ("user.email", "ada@example.org"),
            ("init.defaultBranch", "main"),
            ("advice.detachedHead", "false"),
        ] {
            self.run(&sb, &home, ["config", "--global", k, v]);
        }
        sb
    }

    /// The stable patch id git itself gives the commit `rev`.
    pub(crate) fn patch_id(self, sb: &Sandbox, dir: &Path, rev: &str) -> String {
        let diff = self
            .command(sb, dir)
            .args(["diff-tree", "-p", "--root", rev])
            .output()
            .unwrap();
        let mut child = Command::new(self.0)
            .args(["patch-id", "--stable"])
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(&diff.stdout).unwrap();
        let out = child.wait_with_output().unwrap();
        String::from_utf8_lossy(&out.stdout)
            .split_whitespace()
            .next()
            .unwrap_or_else(|| panic!("no patch id for {rev}"))
            .to_string()
    }

    /// `git clone -q --depth 1 file://FROM TO`: a shallow clone.
    pub(crate) fn shallow_clone(self, sb: &Sandbox, from: &Path, to: &Path) {
        let url = format!("file://{}", from.display());
        self.run(
            sb,
            sb.path(),
            [
                OsStr::new("clone"),
                OsStr::new("-q"),
                OsStr::new("--depth"),
                OsStr::new("1"),
                OsStr::new(&url),
                to.as_os_str(),
            ],
        );
    }
}
