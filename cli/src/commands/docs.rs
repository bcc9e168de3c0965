//! `attrib completions SHELL` and `attrib man [--out-dir DIR]`: shell completions and man pages
//! generated from the clap definition itself, so they never drift from the real grammar.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, Result};
use attrib_cli::args::Cli;
use clap::CommandFactory;
use clap_complete::Shell;

/// Writes the completion script for `shell`.
pub fn completions(out: &mut dyn Write, shell: Shell) -> Result<()> {
    let mut cmd = Cli::command();
    clap_complete::generate(shell, &mut cmd, "attrib", out);
    Ok(())
}

/// Prints `attrib.1`, or writes it and one page per subcommand into `dir`.
pub fn man(out: &mut dyn Write, dir: Option<&Path>) -> Result<()> {
    let cmd = Cli::command();
    match dir {
        None => {
            clap_mangen::Man::new(cmd)
                .render(out)
                .context("cannot write the man page")?;
        }
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(cmd, dir)
                .with_context(|| format!("cannot write man pages into {}", dir.display()))?;
            writeln!(out, "wrote man pages to {}", dir.display())?;
        }
    }
    Ok(())
}
