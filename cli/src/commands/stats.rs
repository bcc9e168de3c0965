//! `attrib stats`: how much of the work AI did ([`attrib_query::stats`]), as a table, JSON or
//! CSV.

use std::io::Write;

use anyhow::Result;
use attrib_overlay::model::format_milli;
use attrib_overlay::now_ms;
use attrib_query::stats::{stats, ChangeStats, Counts, StatsBy, StatsQuery, StatsReport};
use attrib_query::time::{rfc3339, TimeRange};
use attrib_workspace::Workspace;

use attrib_cli::args::StatsArgs;
use attrib_cli::table::{duration, percent, table, Align};

pub fn run(ws: &Workspace, out: &mut dyn Write, args: StatsArgs) -> Result<()> {
    let mut rec = super::reconcile(ws)?;
    let snap = ws.store()?.snapshot()?;
    let query = StatsQuery {
        by: args.by.clone(),
        range: TimeRange::new(args.since, args.until, now_ms())?,
        per_change: args.per_change,
        models: ws.config()?.model_registry(),
    };
    let (channel, warning) = rec.channel_or_warning();
    if let Some(w) = warning {
        super::warn(&w);
    }
    let store_dir = ws.store_dir()?;
    let source = channel.as_deref().and_then(|c| c.stats_source(store_dir));
    let report = stats(&snap, source, &query)?;
    if args.unknown_models {
        return unknown_models(out, &report, &args);
    }
    if args.json {
        return super::print_json(out, &report);
    }
    if args.csv {
        out.write_all(&report.csv()?)?;
        return Ok(());
    }
    let with_lines = report.with_lines();
    let range = report.range;
    let mut scope = match (&report.channel, &report.lines) {
        (Some(name), Some(lines)) => format!(
            "channel {name:?}: {} changes, {} lines in {} file{}",
            report.total.patches,
            lines.total,
            lines.files,
            if lines.files == 1 { "" } else { "s" }
        ),
        _ => format!(
            "{} patch{} in the overlay (not in a repository: no line counts)",
            report.total.patches,
            if report.total.patches == 1 { "" } else { "es" }
        ),
    };
    if let Some(s) = range.since {
        scope.push_str(&format!(", since {}", rfc3339(s)));
    }
    if let Some(u) = range.until {
        scope.push_str(&format!(", until {}", rfc3339(u)));
    }
    writeln!(out, "{scope}")?;
    let mut header: Vec<&str> = report.by.iter().map(|d| title(*d)).collect();
    header.extend(["PATCHES", "AI", "AI SHARE"]);
    if with_lines {
        header.extend(["LINES", "AI LINES", "AI LINE SHARE"]);
    }
    header.extend(["REVIEWED", "AVG CONFIDENCE", "AVG REVIEW"]);
    let mut align = vec![Align::Left; report.by.len()];
    align.resize(header.len(), Align::Right);
    let mut cells: Vec<Vec<String>> = report
        .groups
        .iter()
        .map(|g| {
            let mut row: Vec<String> = g.group.iter().map(|(_, l)| l.clone()).collect();
            row.extend(figures(&g.stats.counts, with_lines));
            row
        })
        .collect();
    let mut last = vec![String::new(); report.by.len()];
    last[0] = "total".to_string();
    last.extend(figures(&report.total.counts, with_lines));
    cells.push(last);
    out.write_all(table(&header, &align, &cells).as_bytes())?;
    if let Some(changes) = &report.changes {
        writeln!(out)?;
        change_table(out, changes)?;
    }
    if let Some(lines) = &report.lines {
        if !lines.skipped_files.is_empty() {
            writeln!(
                out,
                "({} files could not be credited and are not counted: {})",
                lines.skipped_files.len(),
                lines.skipped_files.join(", ")
            )?;
        }
    }
    Ok(())
}

/// `--unknown-models`: the model names the registry does not know, as recorded.
fn unknown_models(out: &mut dyn Write, report: &StatsReport, args: &StatsArgs) -> Result<()> {
    let list = &report.unknown_models;
    if args.json {
        return super::print_json(out, list);
    }
    if args.csv {
        out.write_all(&report.unknown_models_csv()?)?;
        return Ok(());
    }
    if list.is_empty() {
        writeln!(
            out,
            "every model name is known ({} AI-assisted patch{})",
            report.total.ai,
            if report.total.ai == 1 { "" } else { "es" }
        )?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = list
        .iter()
        .map(|u| {
            vec![
                u.spelling.clone(),
                u.grouped_as.clone(),
                u.patches.to_string(),
            ]
        })
        .collect();
    out.write_all(
        table(
            &["MODEL (AS RECORDED)", "GROUPED AS", "PATCHES"],
            &[Align::Left, Align::Left, Align::Right],
            &rows,
        )
        .as_bytes(),
    )?;
    writeln!(
        out,
        "(name one with `attrib config set models.NAME provider/model`)"
    )?;
    Ok(())
}

fn title(d: StatsBy) -> &'static str {
    match d {
        StatsBy::Provider => "PROVIDER",
        StatsBy::Model => "MODEL",
        StatsBy::Agent => "AGENT",
        StatsBy::Author => "AUTHOR",
        StatsBy::SuggestionType => "SUGGESTION TYPE",
        StatsBy::Month => "MONTH",
        StatsBy::Week => "WEEK",
        StatsBy::Day => "DAY",
    }
}

/// The table cells after a group's values.
fn figures(c: &Counts, with_lines: bool) -> Vec<String> {
    let mut v = vec![
        c.patches.to_string(),
        c.ai.to_string(),
        percent(c.ai, c.patches),
    ];
    if with_lines {
        v.push(c.lines.to_string());
        v.push(c.ai_lines.to_string());
        v.push(percent(c.ai_lines, c.lines));
    }
    v.push(percent(c.reviewed, c.patches));
    v.push(
        c.avg_confidence_permille()
            .map_or_else(|| "-".to_string(), format_milli),
    );
    v.push(
        c.avg_review_seconds()
            .map_or_else(|| "-".to_string(), duration),
    );
    v
}

/// `--per-change`: a row per change, its lines and who wrote them.
fn change_table(out: &mut dyn Write, changes: &[ChangeStats]) -> Result<()> {
    if changes.is_empty() {
        writeln!(out, "no changes in range")?;
        return Ok(());
    }
    let rows: Vec<Vec<String>> = changes
        .iter()
        .map(|c| {
            let models: Vec<String> = c
                .by_model
                .iter()
                .map(|m| format!("{}/{} {}", m.provider, m.model, m.lines))
                .collect();
            let agents: Vec<String> = c
                .by_agent
                .iter()
                .filter_map(|a| Some(format!("{} {}", a.agent.as_deref()?, a.lines)))
                .collect();
            vec![
                c.change.chars().take(12).collect(),
                c.kind.to_string(),
                c.lines.to_string(),
                c.ai_lines.to_string(),
                c.human_lines.to_string(),
                models.join(", "),
                agents.join(", "),
            ]
        })
        .collect();
    let align = [
        Align::Left,
        Align::Left,
        Align::Right,
        Align::Right,
        Align::Right,
        Align::Left,
        Align::Left,
    ];
    out.write_all(
        table(
            &[
                "CHANGE",
                "KIND",
                "LINES",
                "AI LINES",
                "HUMAN LINES",
                "BY MODEL",
                "BY AGENT",
            ],
            &align,
            &rows,
        )
        .as_bytes(),
    )?;
    Ok(())
}
