//! `log`: the overlay's attestations, or in a Pijul repository the current channel's changes
//! with theirs, newest first, selected by a [`LogQuery`].
//!
//! Outside a channel the listing stays an index scan: rows are located, not decoded
//! ([`OverlayLog`]), and a front end reads each row's listing fields in place, so `log` over
//! 100k attestations stays within tens of milliseconds. The readable JSON form decodes only the
//! rows it prints.

use std::collections::HashMap;
use std::sync::Arc;

use anyhow::Result;
use attrib_overlay::store::NewestRows;
use attrib_overlay::{AttestationQuery, AttestationRow, Payload, SignedRecord, Snapshot};
use attrib_vcs_adapter::ChannelRecord;
use serde::Serialize;

use crate::changes::{self, ChangeEntry, Place};
use crate::filter::{Filter, ReviewFilter};
use crate::members::{name_of, resolve_member};
use crate::records::RecordView;
use crate::reviews::{self, PatchKey, Reviewed};
use crate::time::{rfc3339, TimeRange};

/// What `log` selects.
#[derive(Clone, Debug, Default)]
pub struct LogQuery {
    /// Attestation filters (the author is given by name or key in [`LogQuery::author`]).
    pub filter: Filter,
    /// Only this author: a member name or a public key.
    pub author: Option<String>,
    /// Only patches in this time range (in a Pijul repository, the change's time).
    pub range: TimeRange,
    /// Only reviewed, or only unreviewed, patches.
    pub review: ReviewFilter,
    /// Only patches nobody attested.
    pub unattested: bool,
    /// In a Pijul repository, also changes that are not on the current channel.
    pub all: bool,
    /// At most this many rows.
    pub max_count: Option<usize>,
    /// Count each patch's reviews even when no filter needs them (for the JSON and CSV forms).
    pub with_reviews: bool,
}

/// The answer to a [`LogQuery`].
pub enum Log<'s> {
    /// The overlay's current attestations (outside a Pijul repository).
    Overlay(OverlayLog<'s>),
    /// The patches the overlay knows only from reviews (`--unattested` outside Pijul).
    Unattested(Vec<UnattestedPatch>),
    /// The current channel's changes.
    Channel(ChannelLog),
}

/// Current attestations, located in the store but not decoded.
pub struct OverlayLog<'s> {
    snap: &'s Snapshot<'s>,
    /// The rows, newest first.
    pub rows: Vec<AttestationRow>,
    reviews: Option<Arc<HashMap<PatchKey, Reviewed>>>,
}

/// A row of the overlay log as JSON: the record and its patch's review count.
#[derive(Serialize)]
pub struct LogRecord {
    /// The attestation.
    #[serde(flatten)]
    pub record: RecordView,
    /// How many members reviewed its patch.
    pub reviews: usize,
}

impl<'s> OverlayLog<'s> {
    pub(crate) fn new(
        snap: &'s Snapshot<'s>,
        rows: Vec<AttestationRow>,
        reviews: Option<Arc<HashMap<PatchKey, Reviewed>>>,
    ) -> OverlayLog<'s> {
        OverlayLog {
            snap,
            rows,
            reviews,
        }
    }

    /// The snapshot the rows point into.
    pub fn snapshot(&self) -> &'s Snapshot<'s> {
        self.snap
    }

    /// The number of reviews of the patch an attestation is about (0 when reviews were not
    /// counted).
    pub fn reviews_of(&self, r: &SignedRecord) -> usize {
        match &r.record.payload {
            Payload::Attest(a) => self
                .reviews
                .as_ref()
                .and_then(|rv| rv.get(&PatchKey::of_id(&a.patch)))
                .map_or(0, |x| x.count as usize),
            _ => 0,
        }
    }

    /// Every row decoded, with its review count.
    pub fn records(&self) -> impl Iterator<Item = Result<(SignedRecord, usize)>> + '_ {
        self.rows.iter().map(|row| {
            let r = self.snap.record_at(row.offset)?;
            let n = self.reviews_of(&r);
            Ok((r, n))
        })
    }

    /// The readable JSON form of every row.
    pub fn views(&self) -> Result<Vec<LogRecord>> {
        let m = self.snap.membership();
        self.records()
            .map(|r| {
                let (r, reviews) = r?;
                Ok(LogRecord {
                    record: RecordView::of(m, &r),
                    reviews,
                })
            })
            .collect()
    }
}

/// A patch the overlay knows only from reviews.
#[derive(Clone, Debug, Serialize)]
pub struct UnattestedPatch {
    /// The patch id.
    pub patch: String,
    /// Always `unattested`.
    pub status: &'static str,
    /// The first review's time, RFC 3339.
    pub time: String,
    /// The first review's time, ms since the epoch.
    pub timestamp_ms: u64,
    /// How many members reviewed it.
    pub reviews: u32,
    /// Who reviewed it, by name.
    pub reviewers: Vec<String>,
}

/// The changes of the current channel that a query selected.
pub struct ChannelLog {
    /// The channel's name.
    pub name: String,
    /// The changes, newest first, each with the attestations that passed the filters.
    pub changes: Vec<ChangeEntry>,
}

/// A change of [`ChannelLog`] as JSON.
#[derive(Serialize)]
pub struct ChangeView {
    /// The change hash.
    pub change: String,
    /// `channel`, `off-channel` or `elsewhere`.
    pub place: &'static str,
    /// `attested` or `unattested`.
    pub status: &'static str,
    /// The change message.
    pub message: Option<String>,
    /// The change's authors as Pijul has them.
    pub authors: Option<Vec<String>>,
    /// The change's time as Pijul prints it.
    pub timestamp: Option<String>,
    /// Every author's attestation that passed the filters.
    pub attestations: Vec<RecordView>,
    /// How many members reviewed it.
    pub reviews: usize,
}

impl ChannelLog {
    /// The readable JSON form of every change.
    pub fn views(&self, snap: &Snapshot<'_>) -> Vec<ChangeView> {
        let m = snap.membership();
        self.changes
            .iter()
            .map(|e| ChangeView {
                change: e.hash.as_str().to_string(),
                place: e.place.as_str(),
                status: if e.attestations.is_empty() {
                    "unattested"
                } else {
                    "attested"
                },
                message: e.info.as_ref().map(|i| i.message.clone()),
                authors: e.info.as_ref().map(|i| i.authors.clone()),
                timestamp: e.info.as_ref().map(|i| i.timestamp.clone()),
                attestations: e
                    .attestations
                    .iter()
                    .map(|r| RecordView::of(m, r))
                    .collect(),
                reviews: e.reviews,
            })
            .collect()
    }
}

/// Answers `q` from the snapshot, or from the channel when there is one (`(name, record)` of
/// the current channel, reconciled).
pub fn log<'s>(
    snap: &'s Snapshot<'s>,
    channel: Option<(&str, &ChannelRecord)>,
    q: &LogQuery,
) -> Result<Log<'s>> {
    let mut filter = q.filter.clone();
    filter.author = match &q.author {
        Some(a) => Some(resolve_member(snap, a)?),
        None => filter.author,
    };
    if let Some((name, record)) = channel {
        return channel_log(snap, name, record, &filter, q).map(Log::Channel);
    }
    if q.unattested {
        return overlay_unattested(snap, q).map(Log::Unattested);
    }
    // Reviews are read only when something needs them (the plain listing stays an index scan).
    let reviews = if q.review != ReviewFilter::Any || q.with_reviews {
        Some(Arc::new(reviews::reviews(snap)?))
    } else {
        None
    };
    // Newest first from the index by time, reading no more of it than the rows kept; a store
    // without one (written by an older version, opened read-only) is scanned and sorted.
    let (rows, _) = match streamed(snap, &filter, None)? {
        Some(rows) => select_from(snap, &filter, q, reviews.as_deref(), rows, q.max_count)?,
        None => {
            let rows = candidates(snap, &filter)?;
            select(snap, &filter, q, reviews.as_deref(), &rows, q.max_count)?
        }
    };
    Ok(Log::Overlay(OverlayLog {
        snap,
        rows,
        reviews,
    }))
}

/// What the store's view index can select by itself for `filter`, but the provider and model
/// ([`candidates`] matches those by canonical name).
pub(crate) fn index_query(filter: &Filter) -> AttestationQuery {
    AttestationQuery {
        // A provider, model, suggestion type or confidence implies AI help: the index drops
        // the rest.
        ai_only: filter.needs_ai(),
        human_only: filter.human_only,
        author: filter.author,
        provider: None,
        model: None,
    }
}

/// How many distinct provider/model pairs the store's view index names; past them it shares
/// one id, and only the record says its model.
const STORE_MODEL_IDS: usize = 254;

/// The current attestations the index finds for `filter`, newest first. A provider or model
/// is matched by canonical name ([`Filter::model_selector`]): each provider/model pair the
/// store has seen is tested once, and the index is asked for the pairs that pass.
pub(crate) fn candidates(snap: &Snapshot<'_>, filter: &Filter) -> Result<Vec<AttestationRow>> {
    let mut index = index_query(filter);
    let mut models = filter.model_selector();
    if models.is_open() {
        return Ok(snap.attestation_rows(&index)?);
    }
    let seen = snap.models();
    if seen.len() >= STORE_MODEL_IDS {
        // Some rows share the index's last id: read what each AI claim names.
        let mut kept = Vec::new();
        for row in snap.attestation_rows(&index)? {
            let body = snap.stored_body(row.offset)?;
            let p = body.attestation()?;
            if p.ai.is_some_and(|ai| models.accepts(ai.provider, ai.model)) {
                kept.push(row);
            }
        }
        return Ok(kept);
    }
    let pairs: Vec<(String, String)> = seen
        .iter()
        .filter(|(p, m)| models.accepts(p, m))
        .cloned()
        .collect();
    let mut rows = Vec::new();
    for (p, m) in &pairs {
        index.provider = Some(p.clone());
        index.model = Some(m.clone());
        rows.extend(snap.attestation_rows(&index)?);
    }
    if pairs.len() > 1 {
        let prefixes = snap.author_prefixes();
        rows.sort_unstable_by_key(|r| {
            std::cmp::Reverse(attrib_overlay::store::listing_key(&prefixes, r))
        });
    }
    Ok(rows)
}

/// The current attestations the index by time gives for `filter`, newest first, read as they
/// are consumed, after the row whose listing key is `before`; `None` when the store has no
/// up-to-date index by time or names too many models for its ids (the caller scans with
/// [`candidates`]).
pub(crate) fn streamed<'a, 's>(
    snap: &'a Snapshot<'s>,
    filter: &Filter,
    before: Option<(u64, u64, u64)>,
) -> Result<Option<NewestRows<'a, 's>>> {
    let index = index_query(filter);
    let mut models = filter.model_selector();
    let ids = if models.is_open() {
        None
    } else {
        match snap.model_ids(|p, m| models.accepts(p, m)) {
            Some(ids) => Some(ids),
            None => return Ok(None),
        }
    };
    Ok(snap.newest_attestations(&index, ids.as_deref(), before)?)
}

/// The rows of `candidates` (the index's answer, newest first) that pass what the index could
/// not test — the time range, the suggestion type and confidence, the review filter — up to
/// `limit` of them, and whether more would have passed.
pub(crate) fn select(
    snap: &Snapshot<'_>,
    filter: &Filter,
    q: &LogQuery,
    reviews: Option<&HashMap<PatchKey, Reviewed>>,
    candidates: &[AttestationRow],
    limit: Option<usize>,
) -> Result<(Vec<AttestationRow>, bool)> {
    let rows = candidates
        .iter()
        .map(|r| Ok::<_, attrib_overlay::StoreError>(*r));
    select_from(snap, filter, q, reviews, rows, limit)
}

/// [`select`] over rows read as they come (newest first), which stops reading once `limit`
/// rows and one more passed.
pub(crate) fn select_from<E>(
    snap: &Snapshot<'_>,
    filter: &Filter,
    q: &LogQuery,
    reviews: Option<&HashMap<PatchKey, Reviewed>>,
    candidates: impl IntoIterator<Item = Result<AttestationRow, E>>,
    limit: Option<usize>,
) -> Result<(Vec<AttestationRow>, bool)>
where
    anyhow::Error: From<E>,
{
    let peek_filter = filter.suggestion_type.is_some() || filter.min_confidence.is_some();
    let review_count = |key: PatchKey| {
        reviews
            .and_then(|r| r.get(&key))
            .map_or(0, |r| r.count as usize)
    };
    let mut kept = Vec::with_capacity(limit.unwrap_or(1024).min(1 << 16));
    for row in candidates {
        let row = &row?;
        if !q.range.contains(row.timestamp_ms) {
            continue;
        }
        if peek_filter || q.review != ReviewFilter::Any {
            let body = snap.stored_body(row.offset)?;
            let p = body.attestation()?;
            if !filter.accepts_ai_peek(p.ai.as_ref())
                || !q.review.keeps(review_count(PatchKey::of_ref(&p.patch)))
            {
                continue;
            }
        }
        if limit.is_some_and(|n| kept.len() >= n) {
            return Ok((kept, true));
        }
        kept.push(*row);
    }
    Ok((kept, false))
}

/// `--unattested` outside a Pijul repository: the patches the overlay knows only from reviews,
/// newest review first.
fn overlay_unattested(snap: &Snapshot<'_>, q: &LogQuery) -> Result<Vec<UnattestedPatch>> {
    let reviews = reviews::reviews(snap)?;
    let mut listed: Vec<(&PatchKey, &Reviewed)> = Vec::new();
    for (key, r) in &reviews {
        if !q.range.contains(r.first_ms) || !q.review.keeps(r.count as usize) {
            continue;
        }
        match &r.patch {
            Some(p) if snap.patch(p)?.attestations.is_empty() => {}
            _ => continue,
        }
        listed.push((key, r));
    }
    listed.sort_by(|a, b| b.1.first_ms.cmp(&a.1.first_ms).then_with(|| a.0.cmp(b.0)));
    if let Some(n) = q.max_count {
        listed.truncate(n);
    }
    let m = snap.membership();
    Ok(listed
        .into_iter()
        .map(|(k, r)| UnattestedPatch {
            patch: k.as_str().to_string(),
            status: "unattested",
            time: rfc3339(r.first_ms),
            timestamp_ms: r.first_ms,
            reviews: r.count,
            reviewers: r.reviewers.iter().map(|k| name_of(m, k)).collect(),
        })
        .collect())
}

/// In a Pijul repository: the channel's changes, newest first, each with every author's
/// attestation that passes the filters.
fn channel_log(
    snap: &Snapshot<'_>,
    name: &str,
    channel: &ChannelRecord,
    filter: &Filter,
    q: &LogQuery,
) -> Result<ChannelLog> {
    let mut listed = Vec::new();
    let mut models = filter.model_selector();
    for mut entry in changes::entries(snap, channel, q.all)? {
        if !q.range.contains(entry.time_ms()) || !q.review.keeps(entry.reviews) {
            continue;
        }
        let unattested = entry.attestations.is_empty();
        if q.unattested {
            if !unattested || entry.place != Place::Channel {
                continue;
            }
        } else if !filter.is_empty() {
            entry
                .attestations
                .retain(|r| filter.accepts_with(r, &mut models));
            if entry.attestations.is_empty() {
                continue;
            }
        }
        listed.push(entry);
        if q.max_count.is_some_and(|n| listed.len() >= n) {
            break;
        }
    }
    if q.max_count == Some(0) {
        listed.clear();
    }
    Ok(ChannelLog {
        name: name.to_string(),
        changes: listed,
    })
}

/// The columns of `log --csv`, in both places (overlay and Pijul channel).
pub const CSV_COLUMNS: [&str; 17] = crate::csv::concat_columns(&[
    &[
        "time",
        "patch",
        "place",
        "status",
        "pijul_authors",
        "message",
    ],
    &crate::csv::CLAIM_COLUMNS,
    &["review_seconds", "reviews"],
]);

/// One CSV row for an attestation, with the change's place, Pijul authors and message when it
/// is a channel's.
fn csv_attestation(
    out: &mut crate::csv::CsvOut,
    m: Option<&attrib_overlay::Membership>,
    r: &SignedRecord,
    time_ms: u64,
    change: (&str, &str, &str),
    reviews: usize,
) -> Result<()> {
    let Payload::Attest(a) = &r.record.payload else {
        return Ok(());
    };
    let ai = a.ai.as_ref();
    let (place, pijul_authors, message) = change;
    let claim = crate::csv::claim_cells(m, r, ai);
    let review_seconds = ai
        .and_then(|ai| ai.review_seconds)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let reviews = reviews.to_string();
    let time = rfc3339(time_ms);
    out.record(
        [
            time.as_str(),
            a.patch.as_str(),
            place,
            "attested",
            pijul_authors,
            message,
        ]
        .into_iter()
        .chain(claim.iter().map(String::as_str))
        .chain([review_seconds.as_str(), reviews.as_str()]),
    )
}

/// One CSV row for a patch nobody attested.
fn csv_unattested(
    out: &mut crate::csv::CsvOut,
    time_ms: u64,
    patch: &str,
    change: (&str, &str, &str),
    reviews: usize,
) -> Result<()> {
    let (place, pijul_authors, message) = change;
    let mut fields = vec![
        rfc3339(time_ms),
        patch.to_string(),
        place.to_string(),
        "unattested".to_string(),
        pijul_authors.to_string(),
        message.to_string(),
    ];
    fields.resize(CSV_COLUMNS.len() - 1, String::new());
    fields.push(reviews.to_string());
    out.record(&fields)
}

impl Log<'_> {
    /// The answer as `log --csv` writes it: a header, then a row per attestation (an
    /// unattested change gets one row too).
    pub fn csv(&self, snap: &Snapshot<'_>) -> Result<Vec<u8>> {
        let m = snap.membership();
        let mut out = crate::csv::CsvOut::new();
        out.record(CSV_COLUMNS)?;
        match self {
            Log::Overlay(log) => {
                for r in log.records() {
                    let (r, n) = r?;
                    csv_attestation(&mut out, m, &r, r.record.timestamp_ms, ("", "", ""), n)?;
                }
            }
            Log::Unattested(list) => {
                for p in list {
                    csv_unattested(
                        &mut out,
                        p.timestamp_ms,
                        &p.patch,
                        ("", "", ""),
                        p.reviews as usize,
                    )?;
                }
            }
            Log::Channel(log) => {
                for e in &log.changes {
                    let authors = e
                        .info
                        .as_ref()
                        .map(|i| i.authors.join("; "))
                        .unwrap_or_default();
                    let message = e.info.as_ref().map_or("", |i| i.message.as_str());
                    let change = (e.place.as_str(), authors.as_str(), message);
                    if e.attestations.is_empty() {
                        csv_unattested(&mut out, e.time_ms(), e.hash.as_str(), change, e.reviews)?;
                    }
                    for r in &e.attestations {
                        csv_attestation(&mut out, m, r, e.time_ms(), change, e.reviews)?;
                    }
                }
            }
        }
        out.finish()
    }
}
