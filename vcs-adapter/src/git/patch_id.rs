//! git's stable patch id, computed in-process from `git diff-tree -p` output.
//!
//! A port of `get_one_patchid` in git's `builtin/patch-id.c` (stable mode, not verbatim): the
//! patch's lines are hashed with all whitespace removed, skipping `index` lines, hunk headers
//! and `\ No newline at end of file`; each file's hash is finalised separately and the digests
//! are *added* as little-endian big numbers, so the id does not depend on the order of the
//! files. A binary file's section is its `index` line's two blob ids. A patch that hashed
//! nothing (an empty diff) has no id.
//!
//! Computing it here instead of piping into `git patch-id --stable` saves a process per call
//! (what keeps `attrib record` close to a bare `git commit`), and makes the id independent of
//! the installed git's `patch-id` version (git 2.39 changed how binary files count). The tests
//! in `tests/git.rs` compare it with `git patch-id --stable` on text, binary, mode-only,
//! deleted, empty and newline-less files, in SHA-1 and SHA-256 repositories.
//!
//! The diff it reads must be produced with [`DIFF_ARGS`]: fixed options, so that a user's
//! configuration (`diff.noprefix`, `diff.algorithm`, `core.quotePath`, …) never changes an id.

use super::sha::{to_hex, Algo, Hasher};

/// `git diff-tree` options that pin the patch text a patch id is computed from. Together with
/// [`DIFF_CONFIG`]. `--full-index`: a binary file is named by its full blob ids, which do not
/// grow with the repository as abbreviations do.
pub(crate) const DIFF_ARGS: &[&str] = &[
    "-p",
    "--root",
    "--full-index",
    "--no-renames",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--unified=3",
    "--inter-hunk-context=0",
    "--indent-heuristic",
    "--diff-algorithm=myers",
    "--src-prefix=a/",
    "--dst-prefix=b/",
];

/// `-c` settings given before `diff-tree` for the same reason as [`DIFF_ARGS`].
pub(crate) const DIFF_CONFIG: &[&str] = &["core.quotePath=true", "diff.suppressBlankEmpty=false"];

/// The stable patch id of one patch, fed line by line.
pub(crate) struct StablePatchId {
    algo: Algo,
    ctx: Hasher,
    result: Vec<u8>,
    patch_len: usize,
    before: i64,
    after: i64,
    binary: bool,
    pre_oid: Vec<u8>,
    post_oid: Vec<u8>,
    /// git stops reading the patch here (a line that cannot be part of it).
    ended: bool,
}

impl StablePatchId {
    pub(crate) fn new(algo: Algo) -> Self {
        StablePatchId {
            algo,
            ctx: algo.hasher(),
            result: vec![0; algo.raw_len()],
            patch_len: 0,
            before: -1,
            after: -1,
            binary: false,
            pre_oid: Vec::new(),
            post_oid: Vec::new(),
            ended: false,
        }
    }

    /// One line of the patch, with or without its `\n`.
    pub(crate) fn line(&mut self, raw: &[u8]) {
        if self.ended {
            return;
        }
        // git reads lines as C strings: a NUL ends them.
        let line = match raw.iter().position(|&b| b == 0) {
            Some(i) => &raw[..i],
            None => raw,
        };
        if line.starts_with(b"\\ ") && line.len() > 12 {
            return;
        }
        // Whatever comes before the first `diff ` line (a commit message) is not hashed.
        if self.patch_len == 0 && !line.starts_with(b"diff ") {
            return;
        }
        let first = line.first().copied().unwrap_or(0);
        if self.before == -1 {
            if line.starts_with(b"GIT binary patch") || line.starts_with(b"Binary files") {
                self.binary = true;
                self.before = 0;
                self.ctx.update(&self.pre_oid);
                self.ctx.update(&self.post_oid);
                self.flush();
                return;
            } else if line.starts_with(b"index ") {
                self.read_index_line(line);
                return;
            } else if line.starts_with(b"--- ") {
                self.before = 1;
                self.after = 1;
            } else if !first.is_ascii_alphabetic() {
                self.ended = true;
                return;
            }
        }
        if self.binary {
            if line.starts_with(b"diff ") {
                self.binary = false;
                self.before = -1;
            }
            return;
        }
        if self.before == 0 && self.after == 0 {
            if line.starts_with(b"@@ -") {
                if let Some((before, after)) = scan_hunk_header(line) {
                    self.before = before;
                    self.after = after;
                }
                return;
            }
            if !line.starts_with(b"diff ") {
                self.ended = true;
                return;
            }
            self.flush();
            self.before = -1;
            self.after = -1;
        }
        if first == b'-' || first == b' ' {
            self.before -= 1;
        }
        if first == b'+' || first == b' ' {
            self.after -= 1;
        }
        let kept: Vec<u8> = line.iter().copied().filter(|&b| !is_c_space(b)).collect();
        self.patch_len += kept.len();
        self.ctx.update(&kept);
    }

    /// `index PRE..POST MODE`: the blob ids a binary file's section is made of.
    fn read_index_line(&mut self, line: &[u8]) {
        let Some(dots) = find(line, b"..") else {
            return;
        };
        let end = match find(&line[dots..], b" ") {
            Some(i) => dots + i,
            None => line.len().saturating_sub(1),
        };
        let cap = |s: &[u8]| s[..s.len().min(64)].to_vec();
        self.pre_oid = cap(&line[b"index ".len().min(dots)..dots]);
        self.post_oid = cap(line.get(dots + 2..end.max(dots + 2)).unwrap_or(&[]));
    }

    /// Finalises the running hash and adds it to the result, with carry.
    fn flush(&mut self) {
        let ctx = std::mem::replace(&mut self.ctx, self.algo.hasher());
        let digest = ctx.finalize();
        let mut carry: u16 = 0;
        for (r, d) in self.result.iter_mut().zip(digest) {
            carry += u16::from(*r) + u16::from(d);
            *r = carry as u8;
            carry >>= 8;
        }
    }

    /// The patch id in hex, or `None` when the patch hashed nothing (an empty diff).
    pub(crate) fn finish(mut self) -> Option<String> {
        self.flush();
        (self.patch_len > 0).then(|| to_hex(&self.result))
    }
}

/// C's `isspace` in the C locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r')
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `@@ -A[,B] +C[,D] @@`: the old and new line counts (git's `scan_hunk_header`: a count
/// left out is read as the start line, as `atoi` of what follows the `-`/`+`).
fn scan_hunk_header(line: &[u8]) -> Option<(i64, i64)> {
    let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
    let mut q = line.get(4..)?;
    let mut n = digits(q);
    if q.get(n) == Some(&b',') {
        q = &q[n + 1..];
        n = digits(q);
    }
    if n == 0 || q.get(n) != Some(&b' ') || q.get(n + 1) != Some(&b'+') {
        return None;
    }
    let mut r = &q[n + 2..];
    let mut m = digits(r);
    if r.get(m) == Some(&b',') {
        r = &r[m + 1..];
        m = digits(r);
    }
    if m == 0 {
        return None;
    }
    Some((atoi(&q[..n]), atoi(&r[..m])))
}

fn atoi(digits: &[u8]) -> i64 {
    digits.iter().fold(0i64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(i64::from(d.wrapping_sub(b'0')))
    })
}

/// Splits the output of `git diff-tree --always -p …` (one commit, or many with `--stdin`) into
/// commits: a line that is a full object id starts the next one. Yields each commit with its
/// patch id, `None` for an empty diff (a merge, an empty commit).
#[derive(Default)]
pub(crate) struct CommitSplitter {
    current: Option<(String, StablePatchId)>,
    done: Vec<(String, Option<String>)>,
}

impl CommitSplitter {
    pub(crate) fn line(&mut self, raw: &[u8]) {
        let text = raw.strip_suffix(b"\n").unwrap_or(raw);
        if let Some(algo) = Algo::from_hex_len(text.len()) {
            if text.iter().all(u8::is_ascii_hexdigit) {
                self.close();
                let commit = String::from_utf8_lossy(text).to_ascii_lowercase();
                self.current = Some((commit, StablePatchId::new(algo)));
                return;
            }
        }
        if let Some((_, id)) = self.current.as_mut() {
            id.line(raw);
        }
    }

    fn close(&mut self) {
        if let Some((commit, id)) = self.current.take() {
            self.done.push((commit, id.finish()));
        }
    }

    /// Every commit seen, in output order, with its patch id (`None`: empty diff).
    pub(crate) fn finish(mut self) -> Vec<(String, Option<String>)> {
        self.close();
        self.done
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id_of(patch: &str) -> Option<String> {
        let mut id = StablePatchId::new(Algo::Sha1);
        for line in patch.split_inclusive('\n') {
            id.line(line.as_bytes());
        }
        id.finish()
    }

    const ONE: &str = "diff --git a/f b/f
index 1111111..2222222 100644
--- a/f
+++ b/f
@@ -1,2 +1,3 @@
 a
+b
 c
";

    const TWO: &str = "diff --git a/g b/g
new file mode 100644
index 0000000..3333333
--- /dev/null
+++ b/g
@@ -0,0 +1 @@
+x
\\ No newline at end of file
";

    #[test]
    fn files_in_any_order_give_one_id() {
        let ab = id_of(&format!("{ONE}{TWO}"));
        let ba = id_of(&format!("{TWO}{ONE}"));
        assert!(ab.is_some());
        assert_eq!(ab, ba);
        assert_ne!(ab, id_of(ONE));
        assert_eq!(ab.as_deref().map(str::len), Some(40));
    }

    #[test]
    fn whitespace_line_numbers_and_index_lines_do_not_count() {
        let moved = ONE
            .replace("@@ -1,2 +1,3 @@", "@@ -10,2 +12,3 @@")
            .replace("index 1111111..2222222", "index 4444444..5555555")
            .replace("+b", "+ b\t");
        assert_eq!(id_of(ONE), id_of(&moved));
        assert_ne!(id_of(ONE), id_of(&ONE.replace("+b", "+c")));
    }

    #[test]
    fn an_empty_patch_has_no_id() {
        assert_eq!(id_of(""), None);
        assert_eq!(id_of("some commit message\n"), None);
    }

    #[test]
    fn binary_files_are_named_by_their_blob_ids() {
        let bin = |post: &str| {
            format!(
                "diff --git a/b b/b\nindex 0000000..{post} 100644\nBinary files a/b and b/b differ\n"
            )
        };
        assert!(id_of(&bin("abc")).is_some());
        assert_ne!(id_of(&bin("abc")), id_of(&bin("abd")));
    }

    #[test]
    fn hunk_headers_parse_like_git() {
        assert_eq!(scan_hunk_header(b"@@ -1,2 +1,3 @@"), Some((2, 3)));
        assert_eq!(scan_hunk_header(b"@@ -0,0 +1 @@"), Some((0, 1)));
        assert_eq!(scan_hunk_header(b"@@ -5 +7 @@ fn x"), Some((5, 7)));
        assert_eq!(scan_hunk_header(b"@@ -x +1 @@"), None);
        assert_eq!(scan_hunk_header(b"@@ -"), None);
    }

    #[test]
    fn commits_are_split_at_their_id_lines() {
        let c1 = "a".repeat(40);
        let c2 = "b".repeat(40);
        let c3 = "c".repeat(40);
        let mut s = CommitSplitter::default();
        for line in format!("{c1}\n{ONE}{c2}\n{c3}\n{TWO}").split_inclusive('\n') {
            s.line(line.as_bytes());
        }
        let got = s.finish();
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], (c1, id_of(ONE)));
        assert_eq!(got[1], (c2, None), "an empty diff (a merge) has no id");
        assert_eq!(got[2], (c3, id_of(TWO)));
    }
}
