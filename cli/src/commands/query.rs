//! `attrib log` and `attrib show`: the overlay's attestations, or in a Pijul repository the
//! current channel's changes with theirs.

use std::fmt::Write as _;
use std::io::Write;

use anyhow::{bail, Result};
use attrib_overlay::model::format_milli;
use attrib_overlay::peek::peek_attestation;
use attrib_overlay::{AttestationQuery, Origin, Payload, PublicKey, SignedRecord, Snapshot};
use attrib_vcs_adapter::ChannelRecord;
use serde_json::{json, Value};

use super::changes::{self, Filter, Place};
use super::resolve_member;
use crate::args::{LogArgs, ShowArgs};
use crate::context::Ctx;
use crate::follow::resolve_change;
use crate::render;

pub fn log(ctx: &Ctx, out: &mut dyn Write, args: LogArgs) -> Result<()> {
    let store = ctx.open_store()?;
    let snap = store.snapshot()?;
    let author = args
        .author
        .as_deref()
        .map(|a| resolve_member(&snap, a))
        .transpose()?;
    // In a Pijul repository the channel leads: its changes, attested or not. If the channel
    // could not be read, the overlay alone is listed (the reason was printed already).
    if let Some(followed) = ctx.channel_or_warn() {
        if let Some((name, channel)) = followed.tracker.current() {
            return channel_log(out, &snap, name, channel, &args, author);
        }
    }
    if args.unattested {
        bail!("--unattested lists a Pijul channel's changes: run it in a Pijul repository");
    }
    let mut rows = snap.attestation_rows(&AttestationQuery {
        ai_only: args.ai_only,
        human_only: args.human_only,
        author,
        provider: args.provider.clone(),
        model: args.model.clone(),
    })?;
    if let Some(n) = args.max_count {
        rows.truncate(n);
    }
    let m = snap.membership();
    if args.json {
        let v = rows
            .iter()
            .map(|row| Ok(render::record_json(m, &snap.record_at(row.offset)?)))
            .collect::<Result<Vec<_>>>()?;
        serde_json::to_writer_pretty(&mut *out, &v)?;
        writeln!(out)?;
        return Ok(());
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
        let body = snap.body(row)?;
        let p = peek_attestation(&body).ok_or_else(|| {
            anyhow::anyhow!(
                "the store is damaged: log entry at {} is not an attestation",
                row.offset
            )
        })?;
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

/// `attrib log` in a Pijul repository: the channel's changes, newest first, each with its
/// Pijul author and message and every author's attribution.
fn channel_log(
    out: &mut dyn Write,
    snap: &Snapshot<'_>,
    channel_name: &str,
    channel: &ChannelRecord,
    args: &LogArgs,
    author: Option<PublicKey>,
) -> Result<()> {
    let filter = Filter {
        ai_only: args.ai_only,
        human_only: args.human_only,
        author,
        provider: args.provider.clone(),
        model: args.model.clone(),
    };
    let m = snap.membership();
    let mut listed = Vec::new();
    for mut entry in changes::entries(snap, channel, args.all)? {
        let unattested = entry.attestations.is_empty();
        if args.unattested {
            if !unattested || entry.place != Place::Channel {
                continue;
            }
        } else if !filter.is_empty() {
            entry.attestations.retain(|r| filter.accepts(r));
            if entry.attestations.is_empty() {
                continue;
            }
        }
        listed.push(entry);
        if args.max_count.is_some_and(|n| listed.len() >= n) {
            break;
        }
    }
    if args.json {
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
        render::table(
            &["TIME", "CHANGE", "AUTHOR", "ATTRIBUTION", "MESSAGE"],
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
