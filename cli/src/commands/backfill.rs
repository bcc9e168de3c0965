//! `attrib backfill`: detected claims for the old changes whose trailers name the AI that helped
//! ([`attrib_workspace::backfill`]), with a summary by agent tool and model.

use std::io::Write;

use anyhow::Result;
use attrib_query::time::rfc3339;
use attrib_workspace::backfill::{backfill, BackfillOptions, BackfillReport, Status};
use attrib_workspace::Workspace;

use attrib_cli::args::BackfillArgs;
use attrib_cli::progress::{Data, Progress};
use attrib_cli::table::{table, Align};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: BackfillArgs) -> Result<()> {
    // As every command does: what this device owes the channel (a hook's capture, an amend)
    // is attested first, so a detected claim never takes its place.
    super::reconcile(ws)?;
    let options = BackfillOptions {
        since: args.since,
        dry_run: args.dry_run,
    };
    let progress = Progress::spinner("reading the history", Data::Stdout);
    let report = backfill(ws, &options, &progress)?;
    drop(progress);
    if args.json {
        return super::print_json(out, &report);
    }
    render(out, &report)
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn render(out: &mut dyn Write, r: &BackfillReport) -> Result<()> {
    let mut scope = format!(
        "{} history: {}",
        r.vcs,
        plural(r.changes, "change", "changes")
    );
    if let Some(since) = r.since_ms {
        scope.push_str(&format!(", {} since {}", r.in_range, rfc3339(since)));
    }
    scope.push_str(&format!(", {} with AI trailers", r.detected));
    writeln!(out, "{scope}")?;
    if r.dry_run {
        for d in r
            .detections
            .iter()
            .filter(|d| d.status == Status::WouldSign)
        {
            let via = d
                .agent
                .as_deref()
                .map(|a| format!(" via {a}"))
                .unwrap_or_default();
            writeln!(
                out,
                "  would sign {}  {}/{}{via}  {}",
                d.patch, d.provider, d.model, d.message
            )?;
        }
        writeln!(
            out,
            "dry run: would sign {}, nothing written",
            plural(r.would_sign, "detected claim", "detected claims")
        )?;
    } else {
        writeln!(
            out,
            "signed {}",
            plural(r.signed, "detected claim", "detected claims")
        )?;
    }
    if r.already_attested > 0 {
        writeln!(
            out,
            "{} already attested, left alone",
            plural(r.already_attested, "change", "changes")
        )?;
    }
    for d in r.detections.iter().filter(|d| d.status == Status::Unusable) {
        writeln!(
            out,
            "  left alone {}: {}",
            d.patch,
            d.reason.as_deref().unwrap_or("not a valid claim")
        )?;
    }
    if r.by_tool.is_empty() {
        return Ok(());
    }
    let signed = if r.dry_run { "WOULD SIGN" } else { "SIGNED" };
    let header = [
        "TOOL",
        "PROVIDER",
        "MODEL",
        "DETECTED",
        signed,
        "ALREADY ATTESTED",
    ];
    let align = [
        Align::Left,
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
    ];
    let rows: Vec<Vec<String>> = r
        .by_tool
        .iter()
        .map(|t| {
            vec![
                t.agent.clone().unwrap_or_else(|| "-".to_string()),
                t.provider.clone(),
                t.model.clone(),
                t.detected.to_string(),
                t.signed.to_string(),
                t.already_attested.to_string(),
            ]
        })
        .collect();
    out.write_all(table(&header, &align, &rows).as_bytes())?;
    Ok(())
}
