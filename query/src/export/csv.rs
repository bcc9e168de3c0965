//! `export --format csv`: a flat report, one row per current attestation (each author's latest
//! signed version for each patch), with the reviews of that patch. The last two columns list an
//! attestation's contributions (one per AI session): how many, and each as `AGENT
//! PROVIDER/MODEL FILE:START-END,…`, separated by `;`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use attrib_overlay::{AttestationQuery, PatchId, Payload, SignedRecord, Snapshot};

use crate::csv::{claim_cells, concat_columns, CsvOut, CLAIM_COLUMNS};
use crate::members::author_name;
use crate::progress::Progress;
use crate::time::rfc3339;

/// The report's columns, in order (new columns go last, so a reader of older reports keeps
/// its column numbers).
pub const COLUMNS: [&str; 24] = concat_columns(&[
    &["change"],
    &CLAIM_COLUMNS,
    &[
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
        "contributions",
        "contributed_by",
    ],
]);

/// The whole report and its number of rows: a header row, then the current attestations,
/// oldest first (ties by the author's key, so every replica writes the same file).
pub fn csv(snap: &Snapshot<'_>, progress: &dyn Progress) -> Result<(Vec<u8>, usize)> {
    let m = snap.membership();
    let mut rows = snap.attestation_rows(&AttestationQuery::default())?;
    rows.reverse();
    let mut reviews: BTreeMap<PatchId, Vec<SignedRecord>> = BTreeMap::new();
    for r in snap.reviews()? {
        if let Payload::Review(rv) = &r.record.payload {
            reviews.entry(rv.patch.clone()).or_default().push(r);
        }
    }
    progress.set_message("writing the CSV report");
    progress.set_length(rows.len() as u64);
    let mut out = CsvOut::new();
    out.record(COLUMNS)?;
    let mut n = 0;
    for row in &rows {
        let r = snap.record_at(row.offset)?;
        progress.inc(1);
        let Payload::Attest(a) = &r.record.payload else {
            continue;
        };
        let opt = |v: Option<String>| v.unwrap_or_default();
        let ai = a.ai.as_ref();
        let span_list = |list: &[attrib_overlay::LineSpan], sep: &str| {
            list.iter()
                .map(|s| format!("{}:{}-{}", s.file, s.start, s.end))
                .collect::<Vec<_>>()
                .join(sep)
        };
        let spans = span_list(&a.line_spans, ";");
        let contributed_by = a
            .contributions
            .iter()
            .map(|c| {
                format!(
                    "{} {}/{} {}",
                    c.agent,
                    c.provider,
                    c.model,
                    span_list(&c.line_spans, ",")
                )
            })
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
                        let _ = write!(by, "{}:{}", author_name(m, rv), x.verdict.as_str());
                        seconds += u64::from(x.seconds);
                        last = last.max(rv.record.timestamp_ms);
                    }
                }
                (list.len(), by, seconds.to_string(), rfc3339(last))
            }
        };
        // The columns after the claim's, in the order of `COLUMNS`.
        let rest: [String; 14] = [
            opt(ai.and_then(|x| x.review_seconds).map(|t| t.to_string())),
            spans,
            opt(a.description.clone()),
            opt(a.replaces.as_ref().map(|p| p.as_str().to_string())),
            rfc3339(r.record.timestamp_ms),
            count.to_string(),
            by,
            seconds,
            last,
            join(&a.depends_on),
            join(&a.conflicts_with),
            r.id().to_hex(),
            a.contributions.len().to_string(),
            contributed_by,
        ];
        let change = a.patch.as_str().to_string();
        out.record(
            std::iter::once(change)
                .chain(claim_cells(m, &r, ai))
                .chain(rest),
        )?;
        n += 1;
    }
    Ok((out.finish()?, n))
}
