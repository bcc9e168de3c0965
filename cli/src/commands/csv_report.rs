//! `attrib export --format csv`: a flat report, one row per current attestation (each author's
//! latest signed version for each patch), with the reviews of that patch. RFC 4180: comma
//! separated, CRLF line ends, a field quoted when it holds a comma, a quote, CR or LF, quotes
//! doubled inside.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use attrib_overlay::model::format_milli;
use attrib_overlay::{AttestationQuery, Origin, PatchId, Payload, SignedRecord, Store};

use crate::progress::{Data, Progress};
use crate::render;

/// The report's columns, in order.
pub const COLUMNS: [&str; 22] = [
    "change",
    "author",
    "author_key",
    "origin",
    "ai_assisted",
    "provider",
    "model",
    "suggestion_type",
    "confidence",
    "token_count",
    "ai_review_seconds",
    "line_spans",
    "description",
    "replaces",
    "attested_at",
    "reviews",
    "reviewed_by",
    "review_seconds",
    "last_review_at",
    "depends_on",
    "conflicts_with",
    "record_id",
];

/// How an origin is spelled in reports and exports.
pub fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Person => "person",
        Origin::AgentHook => "agent-hook",
        Origin::Detected => "detected",
        Origin::Imported => "imported",
    }
}

/// Appends one field, quoted when RFC 4180 requires it.
pub fn push_field(out: &mut String, field: &str) {
    if field.contains([',', '"', '\r', '\n']) {
        out.push('"');
        for c in field.chars() {
            if c == '"' {
                out.push('"');
            }
            out.push(c);
        }
        out.push('"');
    } else {
        out.push_str(field);
    }
}

/// Appends one record (row) and its CRLF.
pub fn push_row<S: AsRef<str>>(out: &mut String, fields: &[S]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_field(out, f.as_ref());
    }
    out.push_str("\r\n");
}

/// The whole report and its number of rows: a header row, then the current attestations,
/// oldest first (ties by the author's key, so every replica writes the same file).
pub fn csv(store: &Store, data: Data) -> Result<(String, usize)> {
    let snap = store.snapshot()?;
    let m = snap.membership();
    let mut rows = snap.attestation_rows(&AttestationQuery::default())?;
    rows.reverse();
    let mut reviews: BTreeMap<PatchId, Vec<SignedRecord>> = BTreeMap::new();
    for r in snap.reviews()? {
        if let Payload::Review(rv) = &r.record.payload {
            reviews.entry(rv.patch.clone()).or_default().push(r);
        }
    }
    let progress = Progress::new("writing the CSV report", Some(rows.len() as u64), data);
    let mut out = String::with_capacity(256 + rows.len() * 256);
    push_row(&mut out, &COLUMNS);
    let mut n = 0;
    for row in &rows {
        let r = snap.record_at(row.offset)?;
        progress.inc(1);
        let Payload::Attest(a) = &r.record.payload else {
            continue;
        };
        let opt = |v: Option<String>| v.unwrap_or_default();
        let ai = a.ai.as_ref();
        let spans = a
            .line_spans
            .iter()
            .map(|s| format!("{}:{}-{}", s.file, s.start, s.end))
            .collect::<Vec<_>>()
            .join(";");
        let join = |v: &[PatchId]| v.iter().map(PatchId::as_str).collect::<Vec<_>>().join(";");
        let (count, by, seconds, last) = match reviews.get(&a.patch) {
            None => (0, String::new(), String::new(), String::new()),
            Some(list) => {
                let mut by = String::new();
                let mut seconds = 0u64;
                let mut last = 0u64;
                for rv in list {
                    if let Payload::Review(x) = &rv.record.payload {
                        if !by.is_empty() {
                            by.push(';');
                        }
                        let _ = write!(by, "{}:{}", render::author_name(m, rv), x.verdict.as_str());
                        seconds += u64::from(x.seconds);
                        last = last.max(rv.record.timestamp_ms);
                    }
                }
                (list.len(), by, seconds.to_string(), render::time(last))
            }
        };
        let fields: [String; 22] = [
            a.patch.as_str().to_string(),
            render::author_name(m, &r),
            r.signer.to_hex(),
            origin_str(r.record.origin).to_string(),
            ai.is_some().to_string(),
            opt(ai.map(|x| x.provider.clone())),
            opt(ai.map(|x| x.model.clone())),
            opt(ai.map(|x| x.suggestion_type.as_str().to_string())),
            opt(ai
                .and_then(|x| x.confidence_permille)
                .map(|c| format_milli(u32::from(c)))),
            opt(ai.and_then(|x| x.token_count).map(|t| t.to_string())),
            opt(ai.and_then(|x| x.review_seconds).map(|t| t.to_string())),
            spans,
            opt(a.description.clone()),
            opt(a.replaces.as_ref().map(|p| p.as_str().to_string())),
            render::time(r.record.timestamp_ms),
            count.to_string(),
            by,
            seconds,
            last,
            join(&a.depends_on),
            join(&a.conflicts_with),
            r.id().to_hex(),
        ];
        push_row(&mut out, &fields);
        n += 1;
    }
    Ok((out, n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4180_quoting() {
        let mut s = String::new();
        push_row(
            &mut s,
            &["plain", "a,b", "say \"hi\"", "two\nlines", "", "cr\r"],
        );
        assert_eq!(
            s,
            "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",,\"cr\r\"\r\n"
        );
    }
}
