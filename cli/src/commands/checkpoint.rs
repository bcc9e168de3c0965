//! `attrib checkpoint [--agent AGENT]`: an agent's hook calls it before and after each edit,
//! with the hook's JSON on standard input ([`attrib_workspace::checkpoint`]).
//!
//! It must never get in the agent's way: it exits 0 whatever happens, writes nothing to
//! standard error, and prints nothing to standard output but the `{}` Gemini CLI expects. A
//! problem becomes one line in the working log's `errors.log`.

use std::io::{Read as _, Write as _};
use std::path::PathBuf;

use anyhow::{anyhow, Context as _, Result};
use attrib_workspace::checkpoint::{self, parse};
use attrib_workspace::{Options, Workspace};

/// The most hook input read (a `Write` of a large file carries its whole text).
const MAX_INPUT: u64 = 64 * 1024 * 1024;

/// Runs a checkpoint and returns the exit code, always 0.
pub fn run(agent: Option<&str>) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let options = Options::from_env(&cwd);
    // Found from the hook's directory first, so that even input that cannot be read is
    // logged in the repository's working log.
    let mut ws = options
        .as_ref()
        .ok()
        .and_then(|o| Workspace::discover(&cwd, o.clone()).ok());
    let result = options
        .as_ref()
        .map_err(|e| anyhow!("{e:#}"))
        .and_then(|o| record(agent, &cwd, o, &mut ws));
    if let Err(e) = result {
        let config_dir = options
            .map(|o| o.config_dir)
            .unwrap_or_else(|_| cwd.clone());
        checkpoint::log_error(ws.as_ref(), &config_dir, &format!("{e:#}"));
    }
    if agent.and_then(checkpoint::payload::agent_name) == Some("gemini-cli") {
        // Gemini CLI reads an empty output as "look at standard error": say "nothing" in JSON.
        let _ = std::io::stdout().write_all(b"{}\n");
    }
    0
}

fn record(
    agent: Option<&str>,
    cwd: &std::path::Path,
    options: &Options,
    ws: &mut Option<Workspace>,
) -> Result<()> {
    let mut input = Vec::new();
    std::io::stdin()
        .take(MAX_INPUT)
        .read_to_end(&mut input)
        .context("cannot read the hook input")?;
    let Some(event) = parse(agent, &input, cwd)? else {
        return Ok(());
    };
    if event.cwd != cwd || ws.is_none() {
        // The agent works in another directory than the hook runs in: its repository counts.
        *ws = Some(Workspace::discover(&event.cwd, options.clone())?);
    }
    match ws.as_ref() {
        // Not a repository attrib keeps a store for: nothing to record, nothing to say.
        Some(found) if found.store_dir().is_ok() => {
            checkpoint::checkpoint(found, &event)?;
            Ok(())
        }
        _ => Ok(()),
    }
}

/// A checkpoint whose command line did not parse: the reason goes to the log, the agent goes
/// on.
pub fn failed_to_parse(e: &clap::Error) -> u8 {
    let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("/"));
    let options = Options::from_env(&cwd).ok();
    let config_dir = options
        .as_ref()
        .map(|o| o.config_dir.clone())
        .unwrap_or_else(|| cwd.clone());
    // The repository's working log is where a user looks first, as for every other failure.
    let ws = options.and_then(|o| Workspace::discover(&cwd, o).ok());
    let text = e.render().to_string();
    let first = text.lines().next().unwrap_or("invalid command line");
    checkpoint::log_error(
        ws.as_ref(),
        &config_dir,
        &format!("attrib checkpoint: {first}"),
    );
    0
}
