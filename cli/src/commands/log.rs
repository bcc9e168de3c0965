//! `attrib log`: attested patches newest first, or in a Pijul repository the current channel's
//! changes with theirs ([`attrib_query::log`]).

use std::io::Write;

use anyhow::Result;
use attrib_overlay::peek::AiPeek;
use attrib_overlay::{now_ms, Origin};
use attrib_query::changes::{short_author, Place};
use attrib_query::filter::{Filter, ReviewFilter};
use attrib_query::log::{log, ChannelLog, Log, LogQuery, OverlayLog, UnattestedPatch};
use attrib_query::members::author_name;
use attrib_query::records::{ai_brief, contributions_brief};
use attrib_query::time::{push_short_time, short_time, TimeRange};
use attrib_workspace::Workspace;

use attrib_cli::args::LogArgs;
use attrib_cli::table::table;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: LogArgs) -> Result<()> {
    let mut rec = super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let query = LogQuery {
        filter: Filter {
            ai_only: args.ai_only,
            human_only: args.human_only,
            author: None,
            provider: args.provider.clone(),
            model: args.model.clone(),
            suggestion_type: args.suggestion_type,
            min_confidence: args.min_confidence,
            models: ws.config()?.model_registry(),
        },
        author: args.author.clone(),
        range: TimeRange::new(args.since, args.until, now_ms())?,
        review: if args.reviewed {
            ReviewFilter::Reviewed
        } else if args.unreviewed {
            ReviewFilter::Unreviewed
        } else {
            ReviewFilter::Any
        },
        unattested: args.unattested,
        all: args.all,
        max_count: args.max_count,
        with_reviews: args.json || args.csv,
    };
    // In a Pijul repository the channel leads: its changes, attested or not. If the channel
    // could not be read, the overlay alone is listed (after a warning).
    let (channel, warning) = rec.channel_or_warning();
    if let Some(w) = warning {
        super::warn(&w);
    }
    let channel = match channel {
        Some(c) => {
            if let Some(w) = c.read_headers() {
                super::warn(&w);
            }
            Some(c)
        }
        None => None,
    };
    let answer = log(&snap, channel.as_deref().and_then(|c| c.current()), &query)?;
    if args.csv {
        out.write_all(&answer.csv(&snap)?)?;
        return Ok(());
    }
    match &answer {
        Log::Overlay(l) if args.json => super::print_json(out, &l.views()?),
        Log::Overlay(l) => overlay_table(out, l),
        Log::Unattested(list) if args.json => super::print_json(out, list),
        Log::Unattested(list) => unattested_table(out, list),
        Log::Channel(l) if args.json => super::print_json(out, &l.views(&snap)),
        Log::Channel(l) => channel_table(out, &snap, l),
    }
}

/// The overlay's listing, streamed: rows are read straight from the log (no full decode) and
/// written through one reusable line buffer, so `log` over 100k records stays fast and needs no
/// output-sized allocation. (This is why it is not drawn by the table crate, which would hold
/// every row.)
fn overlay_table(out: &mut dyn Write, log: &OverlayLog<'_>) -> Result<()> {
    if log.rows.is_empty() {
        writeln!(out, "no attested patches match")?;
        return Ok(());
    }
    let snap = log.snapshot();
    let m = snap.membership();
    let names: Vec<String> = snap
        .authors()
        .iter()
        .map(|k| attrib_query::members::name_of(m, k))
        .collect();
    let patch_w = log
        .rows
        .iter()
        .map(|r| r.patch_len as usize)
        .max()
        .unwrap_or(5)
        .max(5);
    let name_w = log
        .rows
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
    let mut line = String::with_capacity(256);
    for row in &log.rows {
        let body = snap.stored_body(row.offset)?;
        let p = body.attestation()?;
        let name = names
            .get(row.author as usize)
            .map(String::as_str)
            .unwrap_or("");
        line.clear();
        push_short_time(&mut line, p.timestamp_ms);
        line.push_str("  ");
        std::fmt::Write::write_fmt(&mut line, format_args!("{}", p.patch))?;
        pad(&mut line, patch_w - p.patch.text_len() + 2);
        line.push_str(name);
        pad(&mut line, name_w - name.chars().count() + 2);
        push_ai_peek(&mut line, p.ai.as_ref());
        if p.contributions {
            // Only these records are decoded whole: the rest of the listing stays in place.
            if let attrib_overlay::Payload::Attest(a) = &snap.record_at(row.offset)?.record.payload
            {
                line.push_str(&contributions_brief(a));
            }
        }
        line.push('\n');
        out.write_all(line.as_bytes())?;
    }
    Ok(())
}

/// Appends `n` spaces.
fn pad(out: &mut String, n: usize) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Appends the attribution column from a record read in place.
fn push_ai_peek(out: &mut String, ai: Option<&AiPeek<'_>>) {
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
                // Writing to a String cannot fail.
                let _ = attrib_overlay::model::write_milli(out, u32::from(c));
            }
        }
    }
}

fn unattested_table(out: &mut dyn Write, list: &[UnattestedPatch]) -> Result<()> {
    if list.is_empty() {
        writeln!(
            out,
            "no unattested patches match (outside a repository, only reviewed patches are known)"
        )?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|p| {
            vec![
                short_time(p.timestamp_ms),
                p.patch.clone(),
                format!("unattested, reviewed by {}", p.reviewers.join(", ")),
            ]
        })
        .collect();
    out.write_all(table(&["TIME", "PATCH", "ATTRIBUTION"], &[], &rows).as_bytes())?;
    Ok(())
}

fn channel_table(
    out: &mut dyn Write,
    snap: &attrib_overlay::Snapshot<'_>,
    log: &ChannelLog,
) -> Result<()> {
    if log.changes.is_empty() {
        writeln!(out, "no changes on channel {:?} match", log.name)?;
        return Ok(());
    }
    let m = snap.membership();
    let rows: Vec<Vec<String>> = log
        .changes
        .iter()
        .map(|e| {
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
                        let mut s = ai_brief(r);
                        match r.record.origin {
                            Origin::Detected => s.push_str(" (detected)"),
                            Origin::AgentHook => s.push_str(" (agent)"),
                            _ => {}
                        }
                        format!("{s} by {}", author_name(m, r))
                    })
                    .collect();
                if e.reviews > 0 {
                    parts.push("reviewed".to_string());
                }
                parts.join("; ")
            };
            let (author, message) = match &e.info {
                Some(i) => (short_author(&i.authors), i.message.clone()),
                None => (String::new(), String::new()),
            };
            vec![
                short_time(e.time_ms()),
                change,
                author,
                attribution,
                message,
            ]
        })
        .collect();
    out.write_all(
        table(
            &["TIME", "CHANGE", "AUTHOR", "ATTRIBUTION", "MESSAGE"],
            &[],
            &rows,
        )
        .as_bytes(),
    )?;
    Ok(())
}
