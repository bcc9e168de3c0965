//! Output formatting shared by the commands: times, attestation rows and JSON shapes.

use std::time::{Duration, UNIX_EPOCH};

use attrib_overlay::model::{format_milli, write_milli};
use attrib_overlay::peek::AiPeek;
use attrib_overlay::{Membership, Payload, SignedRecord};
use serde_json::{json, Value};

/// `2026-11-22T20:15:47Z`.
pub fn time(ms: u64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_millis(ms)).to_string()
}

/// Appends `2026-11-22 20:15` (UTC). Hand-rolled: `log` prints one per row.
pub fn push_short_time(out: &mut String, ms: u64) -> std::fmt::Result {
    let secs = ms / 1000;
    let (days, rem) = ((secs / 86_400) as i64, secs % 86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    use std::fmt::Write as _;
    write!(
        out,
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// Appends `n` spaces.
pub fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Appends the attribution column of `log` from a peeked record.
pub fn push_ai_peek(out: &mut String, ai: Option<&AiPeek<'_>>) -> std::fmt::Result {
    match ai {
        None => out.push_str("human"),
        Some(ai) => {
            out.push_str("AI ");
            out.push_str(ai.provider);
            out.push('/');
            out.push_str(ai.model);
            out.push(' ');
            out.push_str(ai.suggestion_type.as_str());
            if let Some(c) = ai.confidence_permille {
                out.push(' ');
                write_milli(out, c as u32)?;
            }
        }
    }
    Ok(())
}

pub fn author_name(m: Option<&Membership>, r: &SignedRecord) -> String {
    match m {
        Some(m) => m.name_of(&r.signer),
        None => r.signer.short(),
    }
}

/// The JSON shape of a record in `log`, `show` and friends (readable; the signed form is
/// `attrib export`'s).
pub fn record_json(m: Option<&Membership>, r: &SignedRecord) -> Value {
    let mut v = json!({
        "record_id": r.id().to_hex(),
        "author": { "key": r.signer.to_hex(), "name": author_name(m, r) },
        "seq": r.record.seq,
        "time": time(r.record.timestamp_ms),
        "timestamp_ms": r.record.timestamp_ms,
        "origin": r.record.origin,
    });
    match &r.record.payload {
        Payload::Attest(a) => {
            v["kind"] = json!("attestation");
            v["patch"] = json!(a.patch.as_str());
            v["ai_assisted"] = json!(a.ai.is_some());
            v["ai"] = match &a.ai {
                None => Value::Null,
                Some(ai) => json!({
                    "provider": ai.provider,
                    "model": ai.model,
                    "suggestion_type": ai.suggestion_type.as_str(),
                    "prompt_commitment": ai.prompt_commitment.map(|c| c.to_hex()),
                    "confidence": ai.confidence_permille.map(|c| c as f64 / 1000.0),
                    "token_count": ai.token_count,
                    "temperature": ai.temperature_milli.map(|t| t as f64 / 1000.0),
                    "max_tokens": ai.max_tokens,
                    "top_p": ai.top_p_milli.map(|t| t as f64 / 1000.0),
                    "review_seconds": ai.review_seconds,
                }),
            };
            v["description"] = json!(a.description);
            v["depends_on"] = json!(a.depends_on.iter().map(|p| p.as_str()).collect::<Vec<_>>());
            v["conflicts_with"] = json!(a
                .conflicts_with
                .iter()
                .map(|p| p.as_str())
                .collect::<Vec<_>>());
            v["replaces"] = json!(a.replaces.as_ref().map(|p| p.as_str()));
            v["line_spans"] = json!(a
                .line_spans
                .iter()
                .map(|s| json!({"file": s.file, "start": s.start, "end": s.end}))
                .collect::<Vec<_>>());
        }
        Payload::Review(rv) => {
            v["kind"] = json!("review");
            v["patch"] = json!(rv.patch.as_str());
            v["seconds"] = json!(rv.seconds);
            v["verdict"] = json!(rv.verdict.as_str());
            v["comment"] = json!(rv.comment);
        }
        other => {
            v["kind"] = json!(other.kind());
        }
    }
    v
}

/// A one-line description of how a patch was written: `AI anthropic/claude-sonnet-4 partial 0.85`.
pub fn ai_summary(r: &SignedRecord) -> String {
    match &r.record.payload {
        Payload::Attest(a) => match &a.ai {
            None => "human".to_string(),
            Some(ai) => {
                let mut s = format!(
                    "AI {}/{} {}",
                    ai.provider,
                    ai.model,
                    ai.suggestion_type.as_str()
                );
                if let Some(c) = ai.confidence_permille {
                    s.push(' ');
                    s.push_str(&format_milli(c as u32));
                }
                s
            }
        },
        _ => String::new(),
    }
}

/// A message of several lines as one line (attrib's errors are one `attrib: ` line): each
/// line trimmed, blank lines dropped, the rest joined by single spaces.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_time_matches_rfc3339() {
        for ms in [
            0u64,
            951_782_400_000,
            1_700_000_000_123,
            4_102_444_800_000,
            1_790_000_000_000,
        ] {
            let mut s = String::new();
            push_short_time(&mut s, ms).unwrap();
            let full = time(ms);
            assert_eq!(s, format!("{} {}", &full[..10], &full[11..16]), "at {ms}");
        }
    }
}
