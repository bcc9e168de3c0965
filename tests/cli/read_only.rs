//! Reading never writes: `log`, `stats`, `show` and `blame` answer from a store whose directory
//! is mounted read-only (a private mount namespace as root; write permission taken away
//! otherwise), give the same answers as with a writable store, and leave the store's bytes and
//! directory as they were.

use std::ffi::OsString;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::pijul_world::{attrib_record, PijulWorld};
use crate::support::{Output, User};

/// Is this process root (so a read-only bind mount is possible)?
fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

/// `attrib ARGS` as `u`, with `dir` read-only for the command's whole run.
fn run_read_only(w: &PijulWorld, u: &User, dir: &Path, args: &[&str]) -> Output {
    let base = u.cmd();
    let mut c = if is_root() {
        // `mount --bind D D; mount -o remount,bind,ro D` in a namespace of its own: the
        // command sees D read-only (even root gets EROFS), nothing else on the machine does.
        let mut c = Command::new("unshare");
        c.args(["--mount", "--propagation", "private", "sh", "-c"])
            .arg(r#"mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@""#)
            .arg("sh")
            .arg(dir)
            .arg(base.get_program());
        c
    } else {
        set_writable(dir, false);
        Command::new(base.get_program())
    };
    c.args(args);
    for (k, v) in base.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    c.envs(w.env());
    if let Some(d) = base.get_current_dir() {
        c.current_dir(d);
    }
    let out = c
        .stdin(Stdio::null())
        .output()
        .expect("run attrib read-only");
    if !is_root() {
        set_writable(dir, true);
    }
    Output {
        args: args.join(" "),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn set_writable(dir: &Path, writable: bool) {
    let mode = |m: u32| if writable { m | 0o200 } else { m & !0o222 };
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let m = fs::metadata(&path).unwrap().permissions().mode();
        fs::set_permissions(&path, fs::Permissions::from_mode(mode(m))).unwrap();
    }
    let m = fs::metadata(dir).unwrap().permissions().mode();
    fs::set_permissions(dir, fs::Permissions::from_mode(mode(m))).unwrap();
}

/// Every file of `dir` with its bytes and modification time.
fn listing(dir: &Path) -> Vec<(OsString, Vec<u8>, std::time::SystemTime)> {
    let mut files: Vec<_> = fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let meta = e.metadata().unwrap();
            (
                e.file_name(),
                fs::read(e.path()).unwrap(),
                meta.modified().unwrap(),
            )
        })
        .collect();
    files.sort();
    files
}

#[test]
fn log_stats_show_and_blame_read_a_read_only_store() {
    let Some(w) = PijulWorld::new("log_stats_show_and_blame_read_a_read_only_store") else {
        return;
    };
    let ann = w.user("ann");
    w.edit(&ann, "a.txt", "one\ntwo\n");
    let hash = attrib_record(
        &w,
        &ann,
        &[
            "--ai-provider",
            "anthropic",
            "--ai-model",
            "claude-sonnet-4",
        ],
        "first",
    );
    // One command after the record, so reconciliation has nothing left to write.
    w.attrib(&ann, ["log"], &[]).ok();
    let store_dir = ann.repo.join(".pijul").join("attrib");
    let before = listing(&store_dir);
    let queries: [&[&str]; 6] = [
        &["log"],
        &["log", "--json"],
        &["stats", "--json"],
        &["show", &hash],
        &["blame", "a.txt"],
        &["blame", "a.txt", "--json"],
    ];
    let read_only: Vec<Output> = queries
        .iter()
        .map(|q| run_read_only(&w, &ann, &store_dir, q).ok())
        .collect();
    assert_eq!(
        listing(&store_dir),
        before,
        "a read wrote to the store's directory"
    );
    for (q, ro) in queries.iter().zip(&read_only) {
        let rw = w.attrib(&ann, q.iter().copied(), &[]).ok();
        assert_eq!(ro.stdout, rw.stdout, "`attrib {}` read-only", q.join(" "));
        assert!(
            ro.stderr.is_empty(),
            "`attrib {}`: {}",
            q.join(" "),
            ro.stderr
        );
    }
    assert!(read_only[0].stdout.contains("AI anthropic/claude-sonnet-4"));
    // A write through the read-only store fails with one clear line, and nothing is written.
    let out = run_read_only(
        &w,
        &ann,
        &store_dir,
        &["annotate", &hash, "--no-ai", "--description", "nope"],
    )
    .fails();
    assert!(out.message().contains("read-only"), "{}", out.stderr);
}
