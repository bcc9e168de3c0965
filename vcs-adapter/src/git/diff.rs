//! Reading a commit's added lines from its `-U0` diff: `+++ b/FILE` names the file, each hunk
//! header `@@ -A,B +C,D @@` numbers its `+` lines from C.

use crate::pijul::AddedLine;

/// The `+` lines of a unified diff, numbered in the new file. Hunk line counts are followed, so
/// an added line that itself reads `++ x` is never taken for a file header. Deleted files
/// (`+++ /dev/null`) and binary files add no lines.
pub(crate) fn parse_added_lines(out: &[u8]) -> Vec<AddedLine> {
    let mut added = Vec::new();
    let mut file: Option<String> = None;
    let mut next_line: u32 = 0;
    // Lines still expected in the current hunk: old side, new side.
    let mut left = (0u32, 0u32);
    for raw in out.split(|&b| b == b'\n') {
        let in_hunk = left.0 > 0 || left.1 > 0;
        if in_hunk {
            match raw.first() {
                Some(b'+') => {
                    if let Some(f) = &file {
                        added.push(AddedLine {
                            file: f.clone(),
                            line: next_line,
                            text: line_text(&raw[1..]),
                        });
                    }
                    next_line = next_line.saturating_add(1);
                    left.1 = left.1.saturating_sub(1);
                }
                Some(b'-') => left.0 = left.0.saturating_sub(1),
                Some(b' ') => {
                    next_line = next_line.saturating_add(1);
                    left = (left.0.saturating_sub(1), left.1.saturating_sub(1));
                }
                // `\ No newline at end of file`, or output that breaks the counts: stop the hunk
                // at anything else but the marker.
                Some(b'\\') => {}
                _ => left = (0, 0),
            }
            continue;
        }
        if let Some(path) = raw.strip_prefix(b"+++ ") {
            file = new_path(path);
        } else if raw.starts_with(b"diff ") {
            file = None;
        } else if raw.starts_with(b"@@ -") {
            if let Some((old, start, new)) = hunk_header(raw) {
                left = (old, new);
                next_line = start;
            }
        }
    }
    added
}

/// An added line's text without its line ending.
fn line_text(bytes: &[u8]) -> String {
    let bytes = bytes.strip_suffix(b"\r").unwrap_or(bytes);
    String::from_utf8_lossy(bytes).into_owned()
}

/// The path of a `+++ ` header (`b/FILE`, quoted when it has unusual characters, a TAB after
/// it when it has a space), or `None` for `/dev/null`.
fn new_path(raw: &[u8]) -> Option<String> {
    let raw = raw.strip_suffix(b"\t").unwrap_or(raw);
    let bytes = if raw.first() == Some(&b'"') {
        unquote(raw)?
    } else {
        raw.to_vec()
    };
    let path = bytes.strip_prefix(b"b/")?;
    Some(String::from_utf8_lossy(path).into_owned())
}

/// git's C-style quoting of a path: `"b/caf\303\251 \"x\""`.
pub(crate) fn unquote(quoted: &[u8]) -> Option<Vec<u8>> {
    let inner = quoted.strip_prefix(b"\"")?.strip_suffix(b"\"")?;
    let mut out = Vec::with_capacity(inner.len());
    let mut i = 0;
    while i < inner.len() {
        let b = inner[i];
        i += 1;
        if b != b'\\' {
            out.push(b);
            continue;
        }
        let esc = *inner.get(i)?;
        i += 1;
        out.push(match esc {
            b'a' => 0x07,
            b'b' => 0x08,
            b't' => b'\t',
            b'n' => b'\n',
            b'v' => 0x0b,
            b'f' => 0x0c,
            b'r' => b'\r',
            b'"' => b'"',
            b'\\' => b'\\',
            b'0'..=b'3' => {
                let digits = inner.get(i - 1..i + 2)?;
                i += 2;
                let mut v: u8 = 0;
                for d in digits {
                    if !(b'0'..=b'7').contains(d) {
                        return None;
                    }
                    v = v.wrapping_mul(8).wrapping_add(d - b'0');
                }
                v
            }
            _ => return None,
        });
    }
    Some(out)
}

/// `@@ -A[,B] +C[,D] @@`: (B, C, D), a count left out meaning 1.
fn hunk_header(raw: &[u8]) -> Option<(u32, u32, u32)> {
    let text = std::str::from_utf8(raw).ok()?;
    let mut parts = text.strip_prefix("@@ -")?.split(' ');
    let old = parts.next()?;
    let new = parts.next()?.strip_prefix('+')?;
    let count = |range: &str| -> Option<(u32, u32)> {
        match range.split_once(',') {
            Some((start, n)) => Some((start.parse().ok()?, n.parse().ok()?)),
            None => Some((range.parse().ok()?, 1)),
        }
    };
    let (_, old_count) = count(old)?;
    let (start, new_count) = count(new)?;
    Some((old_count, start, new_count))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn got(out: &str) -> Vec<(String, u32, String)> {
        parse_added_lines(out.as_bytes())
            .into_iter()
            .map(|l| (l.file, l.line, l.text))
            .collect()
    }

    #[test]
    fn added_lines_are_numbered_from_each_hunk() {
        let out = "diff --git a/src/f.rs b/src/f.rs
index 1111111111111111111111111111111111111111..2222222222222222222222222222222222222222 100644
--- a/src/f.rs
+++ b/src/f.rs
@@ -0,0 +1,2 @@
+top
++++ looks like a header
@@ -5 +7 @@
-old
+new\r
@@ -9,2 +10,0 @@
-gone
-gone too
diff --git a/g b/g
new file mode 100644
index 0000000000000000000000000000000000000000..3333333333333333333333333333333333333333
--- /dev/null
+++ b/g
@@ -0,0 +1 @@
+no newline
\\ No newline at end of file
diff --git a/h b/h
deleted file mode 100644
index 4444444444444444444444444444444444444444..0000000000000000000000000000000000000000
--- a/h
+++ /dev/null
@@ -1 +0,0 @@
-bye
diff --git a/x y b/x y
--- a/x y\t
+++ b/x y\t
@@ -1,0 +2 @@
+spaced
diff --git \"a/caf\\303\\251\" \"b/caf\\303\\251\"
--- \"a/caf\\303\\251\"
+++ \"b/caf\\303\\251\"
@@ -1,0 +2,2 @@
+un
+deux
";
        let s = |a: &str, n: u32, t: &str| (a.to_string(), n, t.to_string());
        assert_eq!(
            got(out),
            vec![
                s("src/f.rs", 1, "top"),
                s("src/f.rs", 2, "+++ looks like a header"),
                s("src/f.rs", 7, "new"),
                s("g", 1, "no newline"),
                s("x y", 2, "spaced"),
                s("café", 2, "un"),
                s("café", 3, "deux"),
            ]
        );
    }

    #[test]
    fn odd_input_yields_nothing_rather_than_panicking() {
        assert!(got("").is_empty());
        assert!(got("+orphan line\n@@ -x +y @@\n+still nothing\n").is_empty());
        assert!(got("+++ b/f\n@@ -0,0 +1,5 @@\n+one\n").len() == 1);
    }

    #[test]
    fn quoted_paths_unquote() {
        assert_eq!(
            unquote(b"\"b/a\\tb\\\"c\\\\d\""),
            Some(b"b/a\tb\"c\\d".to_vec())
        );
        assert_eq!(
            unquote(b"\"b/\\303\\251\""),
            Some("b/é".as_bytes().to_vec())
        );
        assert_eq!(unquote(b"\"b/\\q\""), None);
        assert_eq!(unquote(b"\"b/\\3\""), None);
        assert_eq!(unquote(b"plain"), None);
    }
}
