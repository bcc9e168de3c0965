//! `attrib export --format csv`: a flat report, one row per current attestation (each author's
//! latest signed version for each patch), with the reviews of that patch. RFC 4180, written by
//! [`tabular::csv_record`]. The columns that describe a claim ([`CLAIM_COLUMNS`]) are shared
//! with `attrib log --csv`.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use anyhow::Result;
use attrib_overlay::model::format_milli;
use attrib_overlay::{
    AiAssistance, AttestationQuery, Membership, Origin, PatchId, Payload, SignedRecord, Store,
};

use super::tabular::{self, concat_columns};
use crate::progress::{Data, Progress};
use crate::render;

/// Who signed an attestation and how its patch was written: the columns both `attrib log --csv`
/// and this report carry, in the order [`claim_cells`] fills them.
pub const CLAIM_COLUMNS: [&str; 9] = [
    "author",
    "author_key",
    "origin",
    "ai_assisted",
    "provider",
    "model",
    "suggestion_type",
    "confidence",
    "token_count",
];

/// The cells of [`CLAIM_COLUMNS`] for the attestation signed in `r`, whose AI help is `ai`
/// (empty cells where there is no AI help or the attestation does not say).
pub fn claim_cells(
    m: Option<&Membership>,
    r: &SignedRecord,
    ai: Option<&AiAssistance>,
) -> [String; 9] {
    let opt = |v: Option<String>| v.unwrap_or_default();
    [
        render::author_name(m, r),
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
    ]
}

/// The report's columns, in order.
pub const COLUMNS: [&str; 22] = concat_columns(&[
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
    ],
]);

/// How an origin is spelled in reports and exports.
pub fn origin_str(o: Origin) -> &'static str {
    match o {
        Origin::Person => "person",
        Origin::AgentHook => "agent-hook",
        Origin::Detected => "detected",
        Origin::Imported => "imported",
    }
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
    tabular::csv_record(&mut out, COLUMNS);
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
        // The columns after the claim's, in the order of `COLUMNS`.
        let rest: [String; 12] = [
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
        let change = a.patch.as_str().to_string();
        tabular::csv_record(
            &mut out,
            std::iter::once(change)
                .chain(claim_cells(m, &r, ai))
                .chain(rest),
        );
        n += 1;
    }
    Ok((out, n))
}
