//! `attrib show PATCH`: every author's attestation and every review of one patch (in an Atomic
//! repository, with the attribution Atomic keeps in the change and where they disagree); with
//! `--open-prompt FILE`, whether a prompt opens one of its prompt commitments.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, bail, Result};
use attrib_overlay::model::format_milli;
use attrib_overlay::{PatchId, Payload, Snapshot};
use attrib_query::members::author_name;
use attrib_query::records::span_lines;
use attrib_query::show::{open_prompt, show, PromptOpening, Shown};
use attrib_query::time::rfc3339;
use attrib_vcs_adapter::atomic::driver_of;
use attrib_vcs_adapter::VcsError;
use attrib_workspace::reconcile::resolve_change;
use attrib_workspace::Workspace;

use attrib_cli::args::ShowArgs;

pub fn run(ws: &Workspace, out: &mut dyn Write, args: ShowArgs) -> Result<()> {
    let mut rec = super::reconcile(ws)?;
    let (channel, warning) = rec.channel_or_warning();
    if let Some(w) = warning {
        super::warn(&w);
    }
    let patch = resolve_change(channel.as_deref(), &args.patch, false)?;
    // In an Atomic repository, the attribution Atomic keeps in the change itself.
    let atomic = channel.as_deref().and_then(|c| driver_of(c.vcs.as_ref()));
    let snap = ws.store()?.snapshot()?;
    let shown = show(&snap, &patch)?;
    if let Some(file) = &args.open_prompt {
        return opening(ws, out, &snap, &shown, &patch, file, args.json);
    }
    let m = snap.membership();
    let comparison = match atomic.map(|a| a.atomic_claim(&patch)) {
        None | Some(Err(VcsError::UnknownChange(_))) => None,
        Some(Ok(claim)) => Some(shown.compare_atomic(m, claim)),
        Some(Err(e)) => {
            super::warn(&format!(
                "Atomic's own attribution of {patch} could not be read: {e}"
            ));
            None
        }
    };
    if args.json {
        let mut json = shown.json(&snap);
        json.atomic = comparison;
        return super::print_json(out, &json);
    }
    writeln!(out, "patch {patch}")?;
    for s in &shown.attestations {
        let r = &s.record;
        let Payload::Attest(a) = &r.record.payload else {
            continue;
        };
        writeln!(
            out,
            "  attested by {} at {} (record #{}, {:?}, {})",
            author_name(m, r),
            rfc3339(r.record.timestamp_ms),
            r.record.seq,
            r.record.origin,
            s.status
        )?;
        match &a.ai {
            None => writeln!(out, "    written without AI")?,
            Some(ai) => {
                let mut parts = vec![
                    format!("{}/{}", ai.provider, ai.model),
                    ai.suggestion_type.as_str().to_string(),
                ];
                if let Some(c) = ai.confidence_permille {
                    parts.push(format!("confidence {}", format_milli(u32::from(c))));
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
        for c in &a.contributions {
            let n = span_lines(&c.line_spans);
            let mut head = format!(
                "    contribution {}/{} via {}",
                c.provider, c.model, c.agent
            );
            if let Some(session) = &c.session {
                head.push_str(&format!(" (session {session})"));
            }
            let spans: Vec<String> = c
                .line_spans
                .iter()
                .map(|s| format!("{}:{}-{}", s.file, s.start, s.end))
                .collect();
            writeln!(
                out,
                "{head}, {}, {n} line{}: {}",
                c.suggestion_type.as_str(),
                if n == 1 { "" } else { "s" },
                spans.join(", ")
            )?;
            if let Some(p) = &c.prompt_commitment {
                writeln!(out, "      prompt commitment {p}")?;
            }
        }
        if let Some(d) = &a.description {
            writeln!(out, "    {d}")?;
        }
        if !a.depends_on.is_empty() {
            let deps: Vec<&str> = a.depends_on.iter().map(|p| p.as_str()).collect();
            writeln!(out, "    depends on {}", deps.join(", "))?;
        }
    }
    for s in &shown.reviews {
        let r = &s.record;
        let Payload::Review(rv) = &r.record.payload else {
            continue;
        };
        writeln!(
            out,
            "  reviewed by {} at {}: {} after {}s ({})",
            author_name(m, r),
            rfc3339(r.record.timestamp_ms),
            rv.verdict.as_str(),
            rv.seconds,
            s.status
        )?;
        if let Some(c) = &rv.comment {
            writeln!(out, "    {c}")?;
        }
    }
    if let Some(c) = &comparison {
        writeln!(out, "  atomic's own attribution: {}", c.says)?;
        for d in &c.disagreements {
            let what: Vec<String> = d
                .differences
                .iter()
                .map(|x| format!("{}: atomic {}, attested {}", x.field, x.atomic, x.attested))
                .collect();
            writeln!(
                out,
                "  DISAGREES with {}'s attestation ({}): {}",
                d.author,
                d.origin.as_str(),
                what.join("; ")
            )?;
        }
    }
    Ok(())
}

/// `--open-prompt FILE`: which of the patch's prompt commitments the prompt opens, with this
/// user's salts; an error line when none does.
fn opening(
    ws: &Workspace,
    out: &mut dyn Write,
    snap: &Snapshot<'_>,
    shown: &Shown,
    patch: &PatchId,
    file: &Path,
    json: bool,
) -> Result<()> {
    let path = ws.resolve(file);
    let prompt = std::fs::read(&path)
        .map_err(|e| anyhow!("cannot read the prompt file {}: {e}", path.display()))?;
    let commitments = shown.prompt_commitments(snap.membership());
    let found = open_prompt(&commitments, &prompt, |c| ws.prompt_salt(c))?;
    let message = found.message(
        &file.display().to_string(),
        patch,
        &ws.prompt_salts_dir().display().to_string(),
    );
    let PromptOpening::Opens(opened) = &found else {
        bail!(message);
    };
    if json {
        return super::print_json(
            out,
            &serde_json::json!({ "patch": patch.as_str(), "opens": opened }),
        );
    }
    writeln!(out, "{message}")?;
    Ok(())
}
