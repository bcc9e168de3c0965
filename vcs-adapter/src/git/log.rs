//! Reading `git log`: one call with a NUL-separated format, parsed into commits, then turned
//! into [`ChangeInfo`]s once their patch ids are known.

use attrib_overlay::PatchId;

use crate::error::VcsError;
use crate::pijul::ChangeInfo;

/// `--format` of every log read: commit, parents, author time (Unix seconds), author name,
/// author email, subject, body. With `-z` each field ends with a NUL (a commit message cannot
/// hold one: git refuses it), so the fields of every commit come in sevens.
pub(crate) const FORMAT: &str = "--format=%H%x00%P%x00%at%x00%an%x00%ae%x00%s%x00%b";
const FIELDS: usize = 7;

/// Options of every `git log` read: the format above, and nothing a user's configuration may
/// add to it (`log.showSignature` prints gpg's output among the commits).
pub(crate) const LOG_ARGS: &[&str] = &["log", "-z", "--no-show-signature", "--no-color", FORMAT];

/// One commit as `git log` printed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct RawCommit {
    pub commit: String,
    pub parents: Vec<String>,
    /// Author date, Unix seconds (git keeps it through `commit --amend`, rebase, cherry-pick).
    pub time: i64,
    pub name: String,
    pub email: String,
    pub subject: String,
    pub body: String,
}

impl RawCommit {
    /// The change, named `patch`.
    pub(crate) fn change(&self, patch: PatchId) -> ChangeInfo {
        let body = self.body.trim_end();
        ChangeInfo {
            hash: patch,
            message: self.subject.clone(),
            authors: vec![format!("{} <{}>", self.name, self.email)],
            timestamp: rfc3339(self.time),
            timestamp_ms: u64::try_from(self.time)
                .ok()
                .and_then(|s| s.checked_mul(1000)),
            description: (!body.trim().is_empty()).then(|| body.to_string()),
        }
    }
}

/// Parses the output of a log read with [`FORMAT`] and `-z`.
pub(crate) fn parse_log(cmd: &str, bytes: &[u8]) -> Result<Vec<RawCommit>, VcsError> {
    let text = String::from_utf8_lossy(bytes);
    if text.is_empty() {
        return Ok(Vec::new());
    }
    let mut fields: Vec<&str> = text.split('\0').collect();
    // The last field's terminator leaves one empty piece after it.
    if fields.len() % FIELDS == 1 && fields.last() == Some(&"") {
        fields.pop();
    }
    if !fields.len().is_multiple_of(FIELDS) {
        return Err(VcsError::Parse {
            cmd: cmd.to_string(),
            reason: format!(
                "{} fields, not a multiple of {FIELDS} (a NUL byte in a commit message?)",
                fields.len()
            ),
        });
    }
    fields
        .chunks_exact(FIELDS)
        .map(|f| {
            // Between commits `git log -z` may leave a newline before the next id.
            let commit = f[0].trim().to_ascii_lowercase();
            if !super::sha::is_object_id(&commit) {
                return Err(VcsError::Parse {
                    cmd: cmd.to_string(),
                    reason: format!("{commit:?} is not a commit id"),
                });
            }
            let time = f[2].trim().parse::<i64>().map_err(|_| VcsError::Parse {
                cmd: cmd.to_string(),
                reason: format!("author time {:?} of {commit} is not a number", f[2]),
            })?;
            Ok(RawCommit {
                parents: f[1].split_whitespace().map(str::to_string).collect(),
                time,
                name: f[3].to_string(),
                email: f[4].to_string(),
                subject: f[5].to_string(),
                body: f[6].to_string(),
                commit,
            })
        })
        .collect()
}

/// True when `git log` failed only because HEAD has no commit yet.
pub(crate) fn is_unborn_error(stderr: &str) -> bool {
    stderr.contains("does not have any commits yet") || stderr.contains("bad default revision")
}

/// Unix seconds as RFC 3339 in UTC (`2025-01-02T03:04:05Z`), as Pijul prints its timestamps.
pub(crate) fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    const C1: &str = "1111111111111111111111111111111111111111";
    const C2: &str = "2222222222222222222222222222222222222222";

    #[test]
    fn log_output_parses_into_commits() {
        let out = format!(
            "{C1}\0\01735787045\0Ada\0ada@example.org\0first\0\0\
             {C2}\0{C1}\01735787046\0Bob B\0bob@example.org\0second\0Body line.\n\nCo-authored-by: X <x@y>\n\0"
        );
        let commits = parse_log("git log", out.as_bytes()).unwrap();
        assert_eq!(commits.len(), 2);
        assert_eq!(commits[0].commit, C1);
        assert!(commits[0].parents.is_empty());
        assert_eq!(commits[1].parents, vec![C1.to_string()]);
        let p = PatchId::new(&"a".repeat(40)).unwrap();
        let first = commits[0].change(p.clone());
        assert_eq!(first.message, "first");
        assert_eq!(first.authors, vec!["Ada <ada@example.org>"]);
        assert_eq!(first.timestamp, "2025-01-02T03:04:05Z");
        assert_eq!(first.timestamp_ms, Some(1_735_787_045_000));
        assert_eq!(first.description, None);
        let second = commits[1].change(p);
        assert_eq!(
            second.description.as_deref(),
            Some("Body line.\n\nCo-authored-by: X <x@y>")
        );
        assert_eq!(
            crate::pijul::parse_timestamp_ms(&first.timestamp),
            first.timestamp_ms
        );
    }

    #[test]
    fn empty_and_malformed_logs() {
        assert!(parse_log("git log", b"").unwrap().is_empty());
        assert!(matches!(
            parse_log("git log", b"abc\0def\0"),
            Err(VcsError::Parse { .. })
        ));
        let bad_time = format!("{C1}\0\0soon\0A\0a@x\0s\0\0");
        assert!(matches!(
            parse_log("git log", bad_time.as_bytes()),
            Err(VcsError::Parse { .. })
        ));
        let bad_id = "zz\0\0".to_string() + "1\0A\0a@x\0s\0\0";
        assert!(parse_log("git log", bad_id.as_bytes()).is_err());
    }

    #[test]
    fn timestamps_are_utc_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_799), "2099-12-31T23:59:59Z");
    }

    #[test]
    fn an_unborn_head_is_recognised() {
        assert!(is_unborn_error(
            "fatal: your current branch 'main' does not have any commits yet\n"
        ));
        assert!(!is_unborn_error("fatal: bad object HEAD\n"));
    }
}
