//! The harness: a temporary directory holding one config dir and one repository per user, and a
//! way to run the real `attrib` binary as any of them.

use std::cell::Cell;
use std::ffi::OsStr;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

/// The binary cargo built for this test target.
pub const BIN: &str = env!("CARGO_BIN_EXE_attrib");

/// What one run of the binary did.
#[derive(Debug)]
pub struct Output {
    pub args: String,
    /// The exit code (`None` if a signal ended the process).
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    pub fn success(&self) -> bool {
        self.code == Some(0)
    }

    /// Asserts a zero exit and returns the output.
    #[track_caller]
    pub fn ok(self) -> Output {
        assert!(
            self.success(),
            "`attrib {}` failed with {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.code,
            self.stdout,
            self.stderr
        );
        assert_no_panic(&self);
        self
    }

    /// Asserts the error contract: a non-zero exit, exactly one non-empty line on stderr that
    /// starts with `attrib: `, and no panic.
    #[track_caller]
    pub fn err(self) -> Output {
        assert!(
            !self.success() && self.code.is_some(),
            "`attrib {}` should have failed, got {:?}\nstdout:\n{}\nstderr:\n{}",
            self.args,
            self.code,
            self.stdout,
            self.stderr
        );
        assert_no_panic(&self);
        assert_ne!(
            self.code,
            Some(101),
            "`attrib {}` exited with Rust's panic code",
            self.args
        );
        let lines: Vec<&str> = self.stderr.lines().collect();
        assert!(
            lines.len() == 1 && !lines[0].trim().is_empty() && self.stderr.ends_with('\n'),
            "`attrib {}` must print exactly one error line, got:\n{:?}",
            self.args,
            self.stderr
        );
        assert!(
            lines[0].starts_with("attrib: ") && lines[0].len() > "attrib: ".len(),
            "`attrib {}`: the error line must start with `attrib: `, got {:?}",
            self.args,
            lines[0]
        );
        self
    }

    /// [`Output::err`] with the usage-error exit code 2.
    #[track_caller]
    pub fn usage_err(self) -> Output {
        let out = self.err();
        assert_eq!(
            out.code,
            Some(2),
            "`attrib {}` is a usage error and must exit with 2",
            out.args
        );
        out
    }

    /// [`Output::err`] with the run-time error exit code 1 (not a usage error).
    #[track_caller]
    pub fn fails(self) -> Output {
        let out = self.err();
        assert_eq!(
            out.code,
            Some(1),
            "`attrib {}` should exit with 1, stderr: {}",
            out.args,
            out.stderr
        );
        out
    }

    /// A bare command group (`attrib`, `attrib identity`) prints its help on stderr and exits
    /// with 2: several lines are fine there, a panic is not.
    #[track_caller]
    pub fn help_on_stderr(self) -> Output {
        assert_eq!(self.code, Some(2), "{self:?}");
        assert!(self.stderr.contains("Usage:"), "{self:?}");
        assert_no_panic(&self);
        self
    }

    /// The one error line, without the `attrib: ` prefix.
    pub fn message(&self) -> &str {
        self.stderr
            .trim_end()
            .strip_prefix("attrib: ")
            .unwrap_or(&self.stderr)
    }

    /// Asserts the error message contains `needle` (case-insensitive).
    #[track_caller]
    pub fn mentions(self, needle: &str) -> Output {
        assert!(
            self.stderr.to_lowercase().contains(&needle.to_lowercase()),
            "`attrib {}`: stderr should mention {needle:?}, got {:?}",
            self.args,
            self.stderr
        );
        self
    }

    /// Stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "`attrib {}` printed invalid JSON ({e}):\n{}",
                self.args, self.stdout
            )
        })
    }
}

#[track_caller]
fn assert_no_panic(out: &Output) {
    for text in [&out.stdout, &out.stderr] {
        assert!(
            !text.contains("panicked") && !text.contains("RUST_BACKTRACE"),
            "`attrib {}` panicked:\n{text}",
            out.args
        );
    }
}

/// A temporary world: `root/<user>/config`, `root/<user>/repo`, and scratch files.
pub struct Sandbox {
    root: TempDir,
    counter: Cell<u32>,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        let root = tempfile::Builder::new()
            .prefix("attrib-cli-test-")
            .tempdir()
            .expect("cannot create a temporary directory");
        std::fs::create_dir_all(root.path().join("home")).unwrap();
        std::fs::create_dir_all(root.path().join("tmp")).unwrap();
        Sandbox {
            root,
            counter: Cell::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        self.root.path()
    }

    /// A fresh path for a scratch file (not created).
    pub fn file(&self, stem: &str) -> PathBuf {
        let n = self.counter.get() + 1;
        self.counter.set(n);
        self.path().join(format!("{stem}-{n}.jsonl"))
    }

    /// A new empty directory in the sandbox.
    pub fn dir(&self, name: &str) -> PathBuf {
        let d = self.path().join(name);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    /// A user with an empty config dir and a plain repository directory.
    pub fn user(&self, name: &str) -> User {
        let base = self.path().join(name);
        let user = User {
            name: name.to_string(),
            config: base.join("config"),
            repo: base.join("repo"),
            home: self.path().join("home"),
            tmp: self.path().join("tmp"),
        };
        std::fs::create_dir_all(&user.repo).unwrap();
        user
    }

    /// A user whose repository is a Pijul checkout (has a `.pijul/` directory).
    pub fn pijul_user(&self, name: &str) -> User {
        let user = self.user(name);
        std::fs::create_dir_all(user.repo.join(".pijul")).unwrap();
        user
    }

    /// `names[0]` founds team "t"; every other name gets an identity, is admitted by the
    /// founder and joins from the founder's export.
    pub fn team(&self, names: &[&str]) -> Vec<User> {
        let users: Vec<User> = names.iter().map(|n| self.user(n)).collect();
        let founder = &users[0];
        founder
            .run(["init", "--team", "t", "--name", &founder.name])
            .ok();
        for u in &users[1..] {
            u.run(["identity", "new", "--name", &u.name]).ok();
            founder
                .run(["team", "add", &u.pubkey(), "--name", &u.name])
                .ok();
        }
        let genesis = founder.export_file(self);
        for u in &users[1..] {
            u.run([
                OsStr::new("init"),
                OsStr::new("--join"),
                genesis.as_os_str(),
            ])
            .ok();
        }
        users
    }
}

/// One member: a config dir (identity, salts, counters) and a repository directory.
pub struct User {
    pub name: String,
    pub config: PathBuf,
    pub repo: PathBuf,
    home: PathBuf,
    tmp: PathBuf,
}

impl User {
    /// `attrib` in this user's repository, with this user's config dir and a clean environment:
    /// no `ATOMIC_AI_*` / `ATTRIB_*` variables from the test process, HOME and TMPDIR inside the
    /// sandbox, stdin closed.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(BIN);
        for (k, _) in std::env::vars_os() {
            let k = k.to_string_lossy();
            if k.starts_with("ATOMIC_AI_") || k.starts_with("ATTRIB_") {
                c.env_remove(&*k);
            }
        }
        c.current_dir(&self.repo)
            .env("ATTRIB_CONFIG_DIR", &self.config)
            .env("HOME", &self.home)
            .env("XDG_CONFIG_HOME", self.home.join(".config"))
            .env("TMPDIR", &self.tmp)
            .env("USER", &self.name)
            .stdin(Stdio::null());
        c
    }

    pub fn run<I, S>(&self, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(args, &[], None)
    }

    /// The same user started in another working directory (the repository is then found from
    /// there, or given with `-C`).
    pub fn run_in<I, S>(&self, dir: &Path, args: I) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        User {
            name: self.name.clone(),
            config: self.config.clone(),
            repo: dir.to_path_buf(),
            home: self.home.clone(),
            tmp: self.tmp.clone(),
        }
        .run(args)
    }

    /// Runs with extra environment variables.
    pub fn run_env<I, S>(&self, args: I, env: &[(&str, &str)]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(args, env, None)
    }

    /// Runs with `input` on standard input.
    pub fn run_stdin<I, S>(&self, args: I, input: &[u8]) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.run_with(args, &[], Some(input))
    }

    fn run_with<I, S>(&self, args: I, env: &[(&str, &str)], input: Option<&[u8]>) -> Output
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let args: Vec<std::ffi::OsString> =
            args.into_iter().map(|a| a.as_ref().to_owned()).collect();
        let shown = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        let mut c = self.cmd();
        c.args(&args).envs(env.iter().copied());
        c.stdout(Stdio::piped()).stderr(Stdio::piped());
        if input.is_some() {
            c.stdin(Stdio::piped());
        }
        let mut child = c
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        if let Some(bytes) = input {
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(bytes).unwrap();
        }
        let out = child.wait_with_output().unwrap();
        Output {
            args: shown,
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// The same user (config dir) working in another repository.
    pub fn at(self, repo: &Path) -> User {
        User {
            repo: repo.to_path_buf(),
            ..self
        }
    }

    /// `export` to stdout, split into lines.
    pub fn export_lines(&self) -> Vec<String> {
        self.run(["export"])
            .ok()
            .stdout
            .lines()
            .map(str::to_string)
            .collect()
    }

    /// This user's public key, from `identity show --json`.
    pub fn pubkey(&self) -> String {
        let v = self.run(["identity", "show", "--json"]).ok().json();
        v["public_key"].as_str().unwrap().to_string()
    }

    /// Exports this user's store to a new scratch file and returns its path.
    pub fn export_file(&self, sb: &Sandbox) -> PathBuf {
        let path = sb.file(&format!("{}-export", self.name));
        self.run([OsStr::new("export"), OsStr::new("-o"), path.as_os_str()])
            .ok();
        path
    }

    /// Imports `path` (which must import cleanly) and returns the output.
    pub fn import(&self, path: &Path) -> Output {
        self.run([OsStr::new("import"), path.as_os_str()])
    }

    /// Brings everything `from` holds into this user's store.
    pub fn pull(&self, sb: &Sandbox, from: &User) -> Output {
        let file = from.export_file(sb);
        self.import(&file).ok()
    }

    /// `log --json` parsed.
    pub fn log_json(&self, extra: &[&str]) -> Vec<Value> {
        let mut args = vec!["log", "--json"];
        args.extend_from_slice(extra);
        match self.run(args).ok().json() {
            Value::Array(v) => v,
            other => panic!("log --json is not an array: {other}"),
        }
    }

    /// The patches in `log --json`, newest first: attestations' patches outside a Pijul
    /// repository, the channel's changes inside one.
    pub fn log_patches(&self, extra: &[&str]) -> Vec<String> {
        self.log_json(extra)
            .iter()
            .map(|r| {
                r.get("change")
                    .unwrap_or(&r["patch"])
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect()
    }

    /// `show PATCH --json` parsed.
    pub fn show_json(&self, patch: &str) -> Value {
        self.run(["show", patch, "--json"]).ok().json()
    }
}

/// Every file under `dir`, recursively.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}

/// Whether `needle` occurs in `hay`.
pub fn contains_bytes(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

/// Where the snapshot files live: `tests/cli/snapshots/`.
fn snapshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/cli/snapshots")
}

/// Compares `actual` byte for byte with the snapshot file `tests/cli/snapshots/NAME`, and on a
/// difference panics with the first line that differs (line ends included). `ATTRIB_BLESS=1`
/// (or `ATTRIB_UPDATE_SNAPSHOTS=1`) rewrites the file instead, after a deliberate change; a
/// missing file is written and the test fails until it is checked and committed.
#[track_caller]
pub fn assert_snapshot(name: &str, actual: &str) {
    let path = snapshot_dir().join(name);
    let bless = ["ATTRIB_BLESS", "ATTRIB_UPDATE_SNAPSHOTS"]
        .iter()
        .any(|k| std::env::var_os(k).is_some_and(|v| v == "1"));
    match std::fs::read_to_string(&path) {
        Ok(expected) if !bless => {
            if expected != actual {
                let (old, new) = (expected.split_inclusive('\n'), actual.split_inclusive('\n'));
                let first = old
                    .clone()
                    .zip(new.clone())
                    .position(|(a, b)| a != b)
                    .unwrap_or(old.clone().count().min(new.clone().count()));
                panic!(
                    "output differs from snapshot {} at line {}\nexpected: {:?}\nactual:   {:?}\n(ATTRIB_BLESS=1 rewrites it after a deliberate change)",
                    path.display(),
                    first + 1,
                    old.clone().nth(first),
                    new.clone().nth(first)
                );
            }
        }
        found => {
            std::fs::create_dir_all(snapshot_dir()).unwrap();
            std::fs::write(&path, actual).unwrap();
            assert!(
                bless || found.is_ok(),
                "wrote the new snapshot {}; check it and commit it",
                path.display()
            );
        }
    }
}
