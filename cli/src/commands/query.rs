//! `attrib log` and `attrib show`: the overlay's attestations, or in a Pijul repository the
//! current channel's changes with theirs.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::{bail, Result};
use attrib_overlay::model::format_milli;
use attrib_overlay::peek::PatchRef;
use attrib_overlay::{
    now_ms, AttestationQuery, Origin, Payload, SignedRecord, Snapshot, StoredBody,
};
use attrib_vcs_adapter::ChannelRecord;
use serde_json::{json, Value};

use super::changes::{self, Filter, Place};
use super::filter::{self, PatchKey, TimeRange};
use super::{csv_report, resolve_member, tabular};
use crate::args::{LogArgs, ShowArgs};
use crate::context::Ctx;
use crate::follow::resolve_change;
use crate::render;

/// How a listing is printed.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Table,
    Json,
    Csv,
}

/// Which patches a review filter keeps.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReviewFilter {
    Any,
    Reviewed,
    Unreviewed,
}

impl ReviewFilter {
    fn keeps(self, reviews: usize) -> bool {
        match self {
            ReviewFilter::Any => true,
            ReviewFilter::Reviewed => reviews > 0,
            ReviewFilter::Unreviewed => reviews == 0,
        }
    }
}

/// The columns of `attrib log --csv`, in both places (overlay and Pijul channel).
const CSV_COLUMNS: [&str; 17] = tabular::concat_columns(&[
    &[
        "time",
        "patch",
        "place",
        "status",
        "pijul_authors",
        "message",
    ],
    &csv_report::CLAIM_COLUMNS,
    &["review_seconds", "reviews"],
]);

/// Writes `attrib log --csv`: the header, then the rows `rows` appends.
fn write_csv(out: &mut dyn Write, rows: impl FnOnce(&mut String) -> Result<()>) -> Result<()> {
    let mut text = String::new();
    tabular::csv_record(&mut text, CSV_COLUMNS);
    rows(&mut text)?;
    out.write_all(text.as_bytes())?;
    Ok(())
}

pub fn log(ctx: &Ctx, out: &mut dyn Write, args: LogArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let author = args
        .author
        .as_deref()
        .map(|a| resolve_member(&snap, a))
        .transpose()?;
    let range = TimeRange::new(args.since, args.until, now_ms())?;
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table
    };
    let review = if args.reviewed {
        ReviewFilter::Reviewed
    } else if args.unreviewed {
        ReviewFilter::Unreviewed
    } else {
        ReviewFilter::Any
    };
    let filter = Filter {
        ai_only: args.ai_only,
        human_only: args.human_only,
        author,
        provider: args.provider.clone(),
        model: args.model.clone(),
        suggestion_type: args.suggestion_type,
        min_confidence: args.min_confidence,
    };
    // In a Pijul repository the channel leads: its changes, attested or not. If the channel
    // could not be read, the overlay alone is listed (the reason was printed already).
    if let Some(mut followed) = ctx.channel_or_warn() {
        followed.read_headers();
        if let Some((name, channel)) = followed.tracker.current() {
            let sel = ChannelSelection {
                filter: &filter,
                range,
                review,
            };
            return channel_log(out, &snap, name, channel, &args, &sel, format);
        }
    }
    if args.unattested {
        return overlay_unattested(out, &snap, range, review, args.max_count, format);
    }
    let mut rows = snap.attestation_rows(&AttestationQuery {
        // A suggestion type or a confidence implies AI help: the index drops the rest.
        ai_only: filter.ai_only
            || filter.suggestion_type.is_some()
            || filter.min_confidence.is_some(),
        human_only: filter.human_only,
        author: filter.author,
        provider: filter.provider.clone(),
        model: filter.model.clone(),
    })?;
    let peek_filter = filter.suggestion_type.is_some() || filter.min_confidence.is_some();
    // Reviews are read only when something needs them (the plain listing stays an index scan).
    let reviews = if review != ReviewFilter::Any || format != Format::Table {
        Some(filter::reviews(&snap)?)
    } else {
        None
    };
    let review_count = |p: &PatchRef<'_>| {
        reviews
            .as_ref()
            .and_then(|r| r.get(&PatchKey::of_ref(p)))
            .map_or(0, |r| r.count as usize)
    };
    if !range.is_all() || peek_filter || review != ReviewFilter::Any || args.max_count.is_some() {
        let mut kept = Vec::with_capacity(rows.len());
        for row in rows {
            if args.max_count.is_some_and(|n| kept.len() >= n) {
                break;
            }
            if !range.contains(row.timestamp_ms) {
                continue;
            }
            if peek_filter || review != ReviewFilter::Any {
                let body = snap.stored_body(row.offset)?;
                let p = peek(&body, row.offset)?;
                if !filter.accepts_ai_peek(p.ai.as_ref()) || !review.keeps(review_count(&p.patch)) {
                    continue;
                }
            }
            kept.push(row);
        }
        rows = kept;
    }
    let m = snap.membership();
    // The reviews of an attested record's patch.
    let record_reviews = |r: &SignedRecord| match &r.record.payload {
        Payload::Attest(a) => reviews
            .as_ref()
            .and_then(|rv| rv.get(&PatchKey::of_id(&a.patch)))
            .map_or(0, |x| x.count as usize),
        _ => 0,
    };
    match format {
        Format::Json => {
            let v = rows
                .iter()
                .map(|row| {
                    let r = snap.record_at(row.offset)?;
                    let mut v = render::record_json(m, &r);
                    v["reviews"] = json!(record_reviews(&r));
                    Ok(v)
                })
                .collect::<Result<Vec<_>>>()?;
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
            return Ok(());
        }
        Format::Csv => {
            return write_csv(out, |text| {
                for row in &rows {
                    let r = snap.record_at(row.offset)?;
                    let n = record_reviews(&r);
                    csv_attestation(text, m, &r, r.record.timestamp_ms, None, n);
                }
                Ok(())
            });
        }
        Format::Table => {}
    }
    if rows.is_empty() {
        writeln!(out, "no attested patches match")?;
        return Ok(());
    }
    // Rows are read straight from the log (no full decode): `log` over 100k records stays fast.
    let names: Vec<String> = snap
        .authors()
        .iter()
        .map(|k| m.map(|m| m.name_of(k)).unwrap_or_else(|| k.short()))
        .collect();
    let patch_w = rows
        .iter()
        .map(|r| r.patch_len as usize)
        .max()
        .unwrap_or(5)
        .max(5);
    let name_w = rows
        .iter()
        .map(|r| {
            names
                .get(r.author as usize)
                .map_or(0, |n| n.chars().count())
        })
        .max()
        .unwrap_or(6)
        .max(6);
    writeln!(
        out,
        "{:<16}  {:<patch_w$}  {:<name_w$}  ATTRIBUTION",
        "TIME", "PATCH", "AUTHOR"
    )?;
    // Each line is built in one reusable buffer and streamed out: no full decode, and no
    // output-sized allocation (fresh pages are what a large listing would pay for most).
    let mut line = String::with_capacity(256);
    for row in &rows {
        let body = snap.stored_body(row.offset)?;
        let p = peek(&body, row.offset)?;
        let name = names
            .get(row.author as usize)
            .map(String::as_str)
            .unwrap_or("");
        line.clear();
        render::push_short_time(&mut line, p.timestamp_ms)?;
        line.push_str("  ");
        write!(line, "{}", p.patch)?;
        render::pad(&mut line, patch_w - p.patch.text_len() + 2);
        line.push_str(name);
        render::pad(&mut line, name_w - name.chars().count() + 2);
        render::push_ai_peek(&mut line, p.ai.as_ref())?;
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

fn peek<'b>(
    body: &'b StoredBody<'_>,
    offset: u64,
) -> Result<attrib_overlay::peek::AttestationPeek<'b>> {
    body.peek_attestation().ok_or_else(|| {
        anyhow::anyhow!("the store is damaged: log entry at {offset} is not an attestation")
    })
}

/// One CSV row for an attestation (`r`), or for an unattested change when `r` is `None`
/// ([`csv_unattested`]).
fn csv_attestation(
    text: &mut String,
    m: Option<&attrib_overlay::Membership>,
    r: &SignedRecord,
    time_ms: u64,
    change: Option<(&str, &str, &str)>,
    reviews: usize,
) {
    let Payload::Attest(a) = &r.record.payload else {
        return;
    };
    let ai = a.ai.as_ref();
    let (place, pijul_authors, message) = change.unwrap_or(("", "", ""));
    let claim = csv_report::claim_cells(m, r, ai);
    let review_seconds = ai
        .and_then(|ai| ai.review_seconds)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let reviews = reviews.to_string();
    let time = render::time(time_ms);
    tabular::csv_record(
        text,
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
    );
}

/// One CSV row for a patch nobody attested.
fn csv_unattested(
    text: &mut String,
    time_ms: u64,
    patch: &str,
    change: (&str, &str, &str),
    reviews: usize,
) {
    let (place, pijul_authors, message) = change;
    let mut fields = vec![
        render::time(time_ms),
        patch.to_string(),
        place.to_string(),
        "unattested".to_string(),
        pijul_authors.to_string(),
        message.to_string(),
    ];
    fields.resize(CSV_COLUMNS.len() - 1, String::new());
    fields.push(reviews.to_string());
    tabular::csv_record(text, &fields);
}

/// `attrib log --unattested` outside a Pijul repository: the patches the overlay knows only
/// from reviews, newest review first.
fn overlay_unattested(
    out: &mut dyn Write,
    snap: &Snapshot<'_>,
    range: TimeRange,
    review: ReviewFilter,
    max_count: Option<usize>,
    format: Format,
) -> Result<()> {
    let reviews = filter::reviews(snap)?;
    let mut listed: Vec<(&PatchKey, &filter::Reviewed)> = Vec::new();
    for (key, r) in &reviews {
        if !range.contains(r.first_ms) || !review.keeps(r.count as usize) {
            continue;
        }
        match &r.patch {
            Some(p) if snap.patch(p)?.attestations.is_empty() => {}
            _ => continue,
        }
        listed.push((key, r));
    }
    listed.sort_by(|a, b| b.1.first_ms.cmp(&a.1.first_ms).then_with(|| a.0.cmp(b.0)));
    if let Some(n) = max_count {
        listed.truncate(n);
    }
    let m = snap.membership();
    let name = |k: &attrib_overlay::PublicKey| m.map_or_else(|| k.short(), |m| m.name_of(k));
    match format {
        Format::Json => {
            let v: Vec<Value> = listed
                .iter()
                .map(|(k, r)| {
                    json!({
                        "patch": k.as_str(),
                        "status": "unattested",
                        "time": render::time(r.first_ms),
                        "timestamp_ms": r.first_ms,
                        "reviews": r.count,
                        "reviewers": r.reviewers.iter().map(name).collect::<Vec<_>>(),
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
        }
        Format::Csv => {
            write_csv(out, |text| {
                for (k, r) in &listed {
                    csv_unattested(text, r.first_ms, k.as_str(), ("", "", ""), r.count as usize);
                }
                Ok(())
            })?;
        }
        Format::Table if listed.is_empty() => {
            writeln!(out, "no unattested patches match (outside a Pijul repository, only reviewed patches are known)")?;
        }
        Format::Table => {
            let rows: Vec<Vec<String>> = listed
                .iter()
                .map(|(k, r)| {
                    let mut time = String::new();
                    let _ = render::push_short_time(&mut time, r.first_ms);
                    let by: Vec<String> = r.reviewers.iter().map(name).collect();
                    vec![
                        time,
                        k.as_str().to_string(),
                        format!("unattested, reviewed by {}", by.join(", ")),
                    ]
                })
                .collect();
            out.write_all(
                tabular::table(&["TIME", "PATCH", "ATTRIBUTION"], &[], &rows).as_bytes(),
            )?;
        }
    }
    Ok(())
}

/// What `attrib log` keeps of a channel's changes.
struct ChannelSelection<'a> {
    filter: &'a Filter,
    range: TimeRange,
    review: ReviewFilter,
}

/// `attrib log` in a Pijul repository: the channel's changes, newest first, each with its
/// Pijul author and message and every author's attribution.
fn channel_log(
    out: &mut dyn Write,
    snap: &Snapshot<'_>,
    channel_name: &str,
    channel: &ChannelRecord,
    args: &LogArgs,
    sel: &ChannelSelection<'_>,
    format: Format,
) -> Result<()> {
    let m = snap.membership();
    let mut listed = Vec::new();
    for mut entry in changes::entries(snap, channel, args.all)? {
        if !sel.range.contains(entry.time_ms()) || !sel.review.keeps(entry.reviews) {
            continue;
        }
        let unattested = entry.attestations.is_empty();
        if args.unattested {
            if !unattested || entry.place != Place::Channel {
                continue;
            }
        } else if !sel.filter.is_empty() {
            entry.attestations.retain(|r| sel.filter.accepts(r));
            if entry.attestations.is_empty() {
                continue;
            }
        }
        listed.push(entry);
        if args.max_count.is_some_and(|n| listed.len() >= n) {
            break;
        }
    }
    if args.max_count == Some(0) {
        listed.clear();
    }
    match format {
        Format::Json => {
            let v: Vec<Value> = listed
                .iter()
                .map(|e| {
                    json!({
                        "change": e.hash.as_str(),
                        "place": e.place.as_str(),
                        "status": if e.attestations.is_empty() { "unattested" } else { "attested" },
                        "message": e.info.as_ref().map(|i| i.message.as_str()),
                        "authors": e.info.as_ref().map(|i| i.authors.clone()),
                        "timestamp": e.info.as_ref().map(|i| i.timestamp.as_str()),
                        "attestations": e.attestations.iter().map(|r| render::record_json(m, r)).collect::<Vec<_>>(),
                        "reviews": e.reviews,
                    })
                })
                .collect();
            serde_json::to_writer_pretty(&mut *out, &v)?;
            writeln!(out)?;
            return Ok(());
        }
        Format::Csv => {
            return write_csv(out, |text| {
                for e in &listed {
                    let authors = e
                        .info
                        .as_ref()
                        .map(|i| i.authors.join("; "))
                        .unwrap_or_default();
                    let message = e.info.as_ref().map_or("", |i| i.message.as_str());
                    let change = (e.place.as_str(), authors.as_str(), message);
                    if e.attestations.is_empty() {
                        csv_unattested(text, e.time_ms(), e.hash.as_str(), change, e.reviews);
                    }
                    for r in &e.attestations {
                        csv_attestation(text, m, r, e.time_ms(), Some(change), e.reviews);
                    }
                }
                Ok(())
            });
        }
        Format::Table => {}
    }
    if listed.is_empty() {
        writeln!(out, "no changes on channel {channel_name:?} match")?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|e| {
            let mut time = String::new();
            // Writing to a String cannot fail.
            let _ = render::push_short_time(&mut time, e.time_ms());
            let mut change: String = e.hash.as_str().chars().take(12).collect();
            if e.place != Place::Channel {
                change.push_str(&format!(" ({})", e.place.as_str()));
            }
            let attribution = if e.attestations.is_empty() {
                "unattested".to_string()
            } else {
                let mut parts: Vec<String> = e
                    .attestations
                    .iter()
                    .map(|r| {
                        let mut s = render::ai_summary(r);
                        match r.record.origin {
                            Origin::Detected => s.push_str(" (detected)"),
                            Origin::AgentHook => s.push_str(" (agent)"),
                            _ => {}
                        }
                        format!("{s} by {}", render::author_name(m, r))
                    })
                    .collect();
                if e.reviews > 0 {
                    parts.push("reviewed".to_string());
                }
                parts.join("; ")
            };
            let (author, message) = match &e.info {
                Some(i) => (changes::short_author(&i.authors), i.message.clone()),
                None => (String::new(), String::new()),
            };
            vec![time, change, author, attribution, message]
        })
        .collect();
    out.write_all(
        tabular::table(
            &["TIME", "CHANGE", "AUTHOR", "ATTRIBUTION", "MESSAGE"],
            &[],
            &rows,
        )
        .as_bytes(),
    )?;
    Ok(())
}

pub fn show(ctx: &Ctx, out: &mut dyn Write, args: ShowArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let patch = resolve_change(ctx, &args.patch, false)?;
    let snap = store.snapshot()?;
    let view = snap.patch(&patch)?;
    if view.attestations.is_empty() && view.reviews.is_empty() {
        bail!("no attestation or review for patch {patch} in this team's overlay");
    }
    let m = snap.membership();
    let status = |r: &SignedRecord| -> &'static str {
        if !r.verify() {
            "BAD SIGNATURE"
        } else if snap.equivocators().contains(&r.signer) {
            "signature ok, key flagged for equivocation"
        } else {
            "signature ok, member"
        }
    };
    if args.json {
        let with_status = |r: &SignedRecord| {
            let mut v = render::record_json(m, r);
            v["verified"] = json!(r.verify());
            v["status"] = json!(status(r));
            v
        };
        let v = json!({
            "patch": patch.as_str(),
            "ai_assisted": view.attestations.values().any(|r| matches!(&r.record.payload, Payload::Attest(a) if a.ai.is_some())),
            "attestations": view.attestations.values().map(with_status).collect::<Vec<_>>(),
            "reviews": view.reviews.values().map(with_status).collect::<Vec<_>>(),
        });
        writeln!(out, "{}", serde_json::to_string_pretty(&v)?)?;
        return Ok(());
    }
    writeln!(out, "patch {patch}")?;
    for r in view.attestations.values() {
        let Payload::Attest(a) = &r.record.payload else {
            continue;
        };
        writeln!(
            out,
            "  attested by {} at {} (record #{}, {:?}, {})",
            render::author_name(m, r),
            render::time(r.record.timestamp_ms),
            r.record.seq,
            r.record.origin,
            status(r)
        )?;
        match &a.ai {
            None => writeln!(out, "    written without AI")?,
            Some(ai) => {
                let mut parts = vec![
                    format!("{}/{}", ai.provider, ai.model),
                    ai.suggestion_type.as_str().to_string(),
                ];
                if let Some(c) = ai.confidence_permille {
                    parts.push(format!("confidence {}", format_milli(c as u32)));
                }
                if let Some(t) = ai.token_count {
                    parts.push(format!("{t} tokens"));
                }
                if let Some(s) = ai.review_seconds {
                    parts.push(format!("reviewed by the author for {s}s"));
                }
                writeln!(out, "    AI-assisted: {}", parts.join(", "))?;
                if let Some(p) = &ai.prompt_commitment {
                    writeln!(out, "    prompt commitment {p}")?;
                }
            }
        }
        for span in &a.line_spans {
            writeln!(
                out,
                "    AI-written lines {}:{}-{}",
                span.file, span.start, span.end
            )?;
        }
        if let Some(d) = &a.description {
            writeln!(out, "    {d}")?;
        }
        if !a.depends_on.is_empty() {
            let deps: Vec<&str> = a.depends_on.iter().map(|p| p.as_str()).collect();
            writeln!(out, "    depends on {}", deps.join(", "))?;
        }
    }
    for r in view.reviews.values() {
        let Payload::Review(rv) = &r.record.payload else {
            continue;
        };
        writeln!(
            out,
            "  reviewed by {} at {}: {} after {}s ({})",
            render::author_name(m, r),
            render::time(r.record.timestamp_ms),
            rv.verdict.as_str(),
            rv.seconds,
            status(r)
        )?;
        if let Some(c) = &rv.comment {
            writeln!(out, "    {c}")?;
        }
    }
    Ok(())
}
