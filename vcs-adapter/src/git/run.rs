//! Running `git`: one [`Command`] per call, in the repository, with a fixed environment, stdin
//! closed (or fed from memory), and every failure turned into a [`VcsError`] naming the command
//! and the first line of its stderr.

use std::ffi::{OsStr, OsString};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Output, Stdio};

use super::Git;
use crate::error::VcsError;

/// Whether a command only reads the repository (and so takes no optional locks: a read must
/// never make a concurrent `git commit` fail on `index.lock`) or writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Access {
    Read,
    Write,
}

impl Git {
    /// `git [-c CONFIG]… ARGS…` in the repository, and how it is shown in messages (the `-c`
    /// settings left out).
    pub(crate) fn command<S: AsRef<OsStr>>(
        &self,
        config: &[&str],
        args: &[S],
        access: Access,
    ) -> (Command, String) {
        let mut cmd = Command::new(&self.bin);
        // Never colour, whatever `color.ui` says: the output is parsed.
        cmd.arg("-c").arg("color.ui=false");
        for c in config {
            cmd.arg("-c").arg(c);
        }
        let mut shown = self.binary_name();
        for a in args {
            let a = a.as_ref();
            cmd.arg(a);
            shown.push(' ');
            shown.push_str(&a.to_string_lossy());
        }
        cmd.current_dir(&self.repo)
            .env("GIT_PAGER", "cat")
            .env("PAGER", "cat")
            .env("LC_ALL", "C")
            .env("GIT_TERMINAL_PROMPT", "0")
            .env("NO_COLOR", "1")
            // The repository is the one this driver was made for, not whatever an enclosing
            // git (a hook) exported.
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .stdin(Stdio::null());
        match access {
            Access::Read => {
                cmd.env("GIT_OPTIONAL_LOCKS", "0");
            }
            // No editor can work without a terminal: a commit without `-m` fails instead of
            // waiting (a `prepare-commit-msg` hook's message is still used).
            Access::Write => {
                cmd.env("GIT_EDITOR", ":");
            }
        }
        cmd.envs(self.env.iter().map(|(k, v)| (k, v)));
        (cmd, shown)
    }

    /// Runs `git ARGS…`; a non-zero exit is an error.
    pub(crate) fn run<S: AsRef<OsStr>>(
        &self,
        config: &[&str],
        args: &[S],
        access: Access,
    ) -> Result<Output, VcsError> {
        let (shown, out) = self.run_raw(config, args, access)?;
        self.succeeded(&shown, out)
    }

    /// Runs `git ARGS…` and returns its output whatever the exit status, with the command as
    /// shown in messages.
    pub(crate) fn run_raw<S: AsRef<OsStr>>(
        &self,
        config: &[&str],
        args: &[S],
        access: Access,
    ) -> Result<(String, Output), VcsError> {
        let (mut cmd, shown) = self.command(config, args, access);
        let out = cmd.output().map_err(|e| self.spawn_error(e))?;
        Ok((shown, out))
    }

    /// Runs `git ARGS…` with `input` on its stdin, handing each line of its stdout (with its
    /// `\n`) to `on_line` as it arrives, so a long output is never held whole. Stdin is written
    /// and stderr drained on threads of their own, so no pipe can stall the process.
    pub(crate) fn stream<S: AsRef<OsStr>>(
        &self,
        config: &[&str],
        args: &[S],
        input: &[u8],
        on_line: &mut dyn FnMut(&[u8]),
    ) -> Result<(), VcsError> {
        let (mut cmd, shown) = self.command(config, args, Access::Read);
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| self.spawn_error(e))?;
        let (Some(mut stdin), Some(stdout), Some(mut stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(self.spawn_error(std::io::Error::other("its pipes could not be opened")));
        };
        let read = std::thread::scope(|s| {
            // A write error (git exited early) shows in its exit status and stderr instead.
            s.spawn(move || {
                let _ = stdin.write_all(input);
            });
            let errors = s.spawn(move || {
                let mut bytes = Vec::new();
                stderr.read_to_end(&mut bytes).map(|_| bytes)
            });
            let mut reader = BufReader::new(stdout);
            let mut line = Vec::new();
            let printed = loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) => break Ok(()),
                    Ok(_) => on_line(&line),
                    Err(e) => break Err(e),
                }
            };
            // Whatever is left unread goes, so git is never stuck on a full pipe.
            let _ = std::io::copy(&mut reader, &mut std::io::sink());
            let errors = errors.join().unwrap_or_else(|_| Ok(Vec::new()));
            printed.and(errors)
        });
        let status = child.wait().map_err(|e| self.spawn_error(e))?;
        let stderr = read.map_err(|e| self.spawn_error(e))?;
        self.succeeded(
            &shown,
            Output {
                status,
                stdout: Vec::new(),
                stderr,
            },
        )
        .map(drop)
    }

    /// `out` if git exited with success, else the error its stderr names.
    pub(crate) fn succeeded(&self, shown: &str, out: Output) -> Result<Output, VcsError> {
        if out.status.success() {
            Ok(out)
        } else {
            Err(self.classify(shown, &out))
        }
    }

    pub(crate) fn spawn_error(&self, e: std::io::Error) -> VcsError {
        if e.kind() == std::io::ErrorKind::NotFound {
            VcsError::Missing {
                bin: self.binary_name(),
            }
        } else {
            VcsError::Spawn {
                bin: self.binary_name(),
                cause: e,
            }
        }
    }

    /// The error a failed command's output names.
    pub(crate) fn classify(&self, shown: &str, out: &Output) -> VcsError {
        let stderr = String::from_utf8_lossy(&out.stderr);
        if stderr.contains("not a git repository") {
            return VcsError::NotARepo {
                path: self.repo.clone(),
            };
        }
        let line = first_line(&stderr);
        VcsError::Failed {
            cmd: shown.to_string(),
            status: match out.status.code() {
                Some(c) => format!("exit {c}"),
                None => "killed by a signal".to_string(),
            },
            stderr: if line.is_empty() {
                "no error message".to_string()
            } else {
                line
            },
        }
    }

    pub(crate) fn binary_name(&self) -> String {
        self.bin.to_string_lossy().into_owned()
    }
}

/// The first non-empty line of git's stderr, without its `fatal: ` / `error: ` prefix.
pub(crate) fn first_line(stderr: &str) -> String {
    let line = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    ["fatal: ", "error: "]
        .iter()
        .find_map(|p| line.strip_prefix(p))
        .unwrap_or(line)
        .to_string()
}

/// Arguments as owned strings, for commands built from parts.
pub(crate) fn os(args: &[&str]) -> Vec<OsString> {
    args.iter().map(OsString::from).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_stderr_line_loses_its_prefix() {
        assert_eq!(
            first_line("\nfatal: bad object HEAD\nmore"),
            "bad object HEAD"
        );
        assert_eq!(first_line("error: x"), "x");
        assert_eq!(first_line("hint: y"), "hint: y");
        assert_eq!(first_line(""), "");
    }
}
