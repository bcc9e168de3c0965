//! Reading `git blame --porcelain`: which commit last brought each line of the working file.
//!
//! Each line of the file is announced by `COMMIT ORIG_LINE FINAL_LINE [COUNT]`; header lines
//! about the commit follow the first time it appears (`author …`, `summary …`, `boundary`,
//! `filename …`), then the line itself after a TAB. Lines not yet committed belong to the
//! all-zero commit.

use std::collections::HashMap;

use attrib_overlay::PatchId;

use super::sha::is_object_id;
use crate::error::VcsError;
use crate::pijul::CreditEntry;

/// One line of the blamed file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct BlamedLine {
    /// The commit that last brought it, lowercase hex; all zeros when not committed yet.
    pub commit: String,
    /// 1-based line number in the file.
    pub line: usize,
    /// The line's bytes, without its `\n`.
    pub text: Vec<u8>,
}

/// Parses `git blame --porcelain` output, in file order.
pub(crate) fn parse_porcelain(cmd: &str, out: &[u8]) -> Result<Vec<BlamedLine>, VcsError> {
    let bad = |reason: String| VcsError::Parse {
        cmd: cmd.to_string(),
        reason,
    };
    let mut lines = Vec::new();
    // The commit and final line number announced, waiting for its TAB line.
    let mut pending: Option<(String, usize)> = None;
    for raw in out.split(|&b| b == b'\n') {
        if let Some(text) = raw.strip_prefix(b"\t") {
            let (commit, line) = pending
                .take()
                .ok_or_else(|| bad("a line of content before its header".into()))?;
            lines.push(BlamedLine {
                commit,
                line,
                text: text.to_vec(),
            });
            continue;
        }
        if pending.is_some() || raw.is_empty() {
            // A header line about the commit (`author …`, `filename …`): not needed here.
            continue;
        }
        let header = String::from_utf8_lossy(raw);
        let mut words = header.split(' ');
        let commit = words.next().unwrap_or("").to_ascii_lowercase();
        let final_line = words.nth(1).and_then(|w| w.parse::<usize>().ok());
        match final_line {
            Some(n) if is_object_id(&commit) && n > 0 => pending = Some((commit, n)),
            _ => return Err(bad(format!("unexpected line {header:?}"))),
        }
    }
    if pending.is_some() {
        return Err(bad("the output ends inside a line's header".into()));
    }
    lines.sort_by_key(|l| l.line);
    Ok(lines)
}

/// True for the commit git blames uncommitted lines on.
pub(crate) fn is_uncommitted(commit: &str) -> bool {
    commit.bytes().all(|b| b == b'0')
}

/// Runs of consecutive lines of the same commit, as [`CreditEntry::Line`]s naming its patch id
/// (no change for uncommitted lines). `content` is the lines joined with `\n` after each, the
/// last one too unless `ends_with_newline` is false (the file's last byte is not `\n`).
pub(crate) fn credit_entries(
    lines: &[BlamedLine],
    patches: &HashMap<String, PatchId>,
    ends_with_newline: bool,
) -> Vec<CreditEntry> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let first = &lines[i];
        let mut j = i + 1;
        while j < lines.len()
            && lines[j].commit == first.commit
            // Checked: the numbers come from the command's output (found with the fuzz target).
            && lines[j - 1].line.checked_add(1) == Some(lines[j].line)
        {
            j += 1;
        }
        let mut content = Vec::new();
        for (k, l) in lines[i..j].iter().enumerate() {
            content.extend_from_slice(&l.text);
            if ends_with_newline || i + k + 1 < lines.len() {
                content.push(b'\n');
            }
        }
        let changes = if is_uncommitted(&first.commit) {
            Vec::new()
        } else {
            patches
                .get(&first.commit)
                .map(|p| vec![p.to_string()])
                .unwrap_or_default()
        };
        out.push(CreditEntry::Line {
            start_line: first.line,
            line_count: j - i,
            changes,
            conflict: None,
            content: String::from_utf8_lossy(&content).into_owned(),
        });
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "7eb2ff79cdb10e1198450a9e2bc0ad418af7db65";
    const C2: &str = "edace63b4285229665a644205352dad84ed6e152";
    const ZERO: &str = "0000000000000000000000000000000000000000";

    fn porcelain() -> String {
        format!(
            "{C1} 1 1 2\nauthor A\nauthor-mail <a@x>\nauthor-time 1\nauthor-tz +0000\n\
             committer A\ncommitter-mail <a@x>\ncommitter-time 1\ncommitter-tz +0000\n\
             summary root\nboundary\nfilename x y\n\ta\n\
             {C1} 2 2\n\tb\n\
             {C2} 2 3 1\nauthor B\nsummary side\nprevious {C1} x y\nfilename x y\n\tnew\n\
             {ZERO} 4 4 1\nauthor Not Committed Yet\nfilename x y\n\tdraft\n\
             {C1} 3 5 1\nfilename x y\n\tc\n"
        )
    }

    #[test]
    fn porcelain_parses_line_by_line() {
        let lines = parse_porcelain("git blame", porcelain().as_bytes()).unwrap();
        let got: Vec<(&str, usize, &[u8])> = lines
            .iter()
            .map(|l| (l.commit.as_str(), l.line, l.text.as_slice()))
            .collect();
        assert_eq!(
            got,
            vec![
                (C1, 1, b"a".as_slice()),
                (C1, 2, b"b"),
                (C2, 3, b"new"),
                (ZERO, 4, b"draft"),
                (C1, 5, b"c"),
            ]
        );
        assert!(parse_porcelain("git blame", b"").unwrap().is_empty());
        assert!(parse_porcelain("git blame", b"\tcontent\n").is_err());
        assert!(parse_porcelain("git blame", b"nonsense here\n").is_err());
        assert!(
            parse_porcelain("git blame", format!("{C1} 1 1 1\nauthor A\n").as_bytes()).is_err()
        );
    }

    #[test]
    fn runs_of_one_commit_become_one_entry() {
        let lines = parse_porcelain("git blame", porcelain().as_bytes()).unwrap();
        let p1 = PatchId::new(&"a".repeat(40)).unwrap();
        let p2 = PatchId::new(&"b".repeat(40)).unwrap();
        let patches: HashMap<String, PatchId> =
            [(C1.to_string(), p1.clone()), (C2.to_string(), p2.clone())].into();
        let entries = credit_entries(&lines, &patches, false);
        let line =
            |start: usize, count: usize, changes: Vec<String>, content: &str| CreditEntry::Line {
                start_line: start,
                line_count: count,
                changes,
                conflict: None,
                content: content.to_string(),
            };
        assert_eq!(
            entries,
            vec![
                line(1, 2, vec![p1.to_string()], "a\nb\n"),
                line(3, 1, vec![p2.to_string()], "new\n"),
                line(4, 1, vec![], "draft\n"),
                line(5, 1, vec![p1.to_string()], "c"),
            ]
        );
        let with_newline = credit_entries(&lines, &patches, true);
        assert!(matches!(&with_newline[3], CreditEntry::Line { content, .. } if content == "c\n"));
    }

    #[test]
    fn the_largest_line_number_does_not_overflow() {
        // Found with the fuzz target (fuzz/corpus/git_blame/regression-line-overflow): two
        // lines numbered usize::MAX of one commit panicked on the overflow in debug builds.
        let out = format!("{C1} 1 {m} 1\n\tx\n{C1} 1 {m} 1\n\ty\n", m = usize::MAX);
        let lines = parse_porcelain("git blame", out.as_bytes()).unwrap();
        let entries = credit_entries(&lines, &HashMap::new(), true);
        assert_eq!(entries.len(), 2);
    }
}
