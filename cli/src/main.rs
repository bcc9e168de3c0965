//! `attrib`: records who wrote each patch and how AI helped, signs every record, and keeps the
//! records in a commutative overlay beside the VCS. This binary is a shell: it parses the
//! command line, hands each subcommand to its module (which calls the libraries and renders the
//! answer), and turns any error into one line on stderr and a non-zero exit. It links no
//! networking: `attrib node`, `sync` and `peers` run the `attrib-node` binary beside it.
//!
//! It is started dozens of times a day, by people and by agent hooks, so its start-up is kept
//! to what it needs: the C `main` below replaces the Rust runtime's start, which reads
//! `/proc/self/maps` to place a stack guard (about a tenth of a millisecond, a tenth of what
//! starting any process costs on a small machine; a stack overflow is then a plain SIGSEGV
//! instead of a message); each subcommand's grammar is built only when
//! it runs (`#[command(defer = true)]` in the grammar); and it links no libp2p and no async
//! runtime.

// The test harness brings its own `main`.
#![cfg_attr(not(test), no_main)]

mod commands;

use std::io::Write;

use anyhow::Result;
use attrib_cli::args::{Cli, Command, HookCommand, IdentityCommand};
use attrib_cli::errors;
use clap::Parser;

/// The process's entry point (see the module documentation for why it is not Rust's `main`).
/// glibc hands the arguments to the standard library before this runs, so `std::env::args`
/// works as usual.
#[cfg(not(test))]
#[unsafe(no_mangle)]
pub extern "C" fn main(
    _argc: std::ffi::c_int,
    _argv: *const *const std::ffi::c_char,
) -> std::ffi::c_int {
    // As the Rust runtime would: a write to a closed pipe (`attrib log | head`) is an error the
    // command sees and ignores, not a signal that kills it.
    // SAFETY: setting a signal's disposition to "ignore" before any thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_IGN);
    }
    std::ffi::c_int::from(attrib())
}

/// Parses, runs, and returns the exit code.
#[cfg_attr(test, allow(dead_code))]
fn attrib() -> u8 {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // An agent's hook must never be stopped by a usage error (exit 2 blocks some agents):
        // the checkpoint explains itself in its log and lets the agent go on.
        Err(e) if invoked_as_checkpoint() && !e.use_stderr() => return errors::clap_error(e),
        Err(e) if invoked_as_checkpoint() => return commands::checkpoint::failed_to_parse(&e),
        Err(e) => return errors::clap_error(e),
    };
    if let Command::Checkpoint(a) = &cli.command {
        return commands::checkpoint::run(a.agent.as_deref());
    }
    // Large listings go to pipes and pagers: fewer, bigger writes.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stdout().lock());
    let result = run(cli, &mut out);
    let code = errors::finish(result, &mut out);
    // The buffer is flushed, and nothing is left to print once `main` returns.
    drop(out);
    code
}

/// True when the first subcommand on the command line is `checkpoint`.
fn invoked_as_checkpoint() -> bool {
    let mut args = std::env::args_os().skip(1);
    while let Some(a) = args.next() {
        match a.to_str() {
            Some("-C") | Some("--directory") => {
                args.next();
            }
            Some(s) if s.starts_with('-') => {}
            Some(s) => return s == "checkpoint",
            None => return false,
        }
    }
    false
}

fn run(cli: Cli, out: &mut dyn Write) -> Result<()> {
    match &cli.command {
        // Generated from the grammar alone: no config dir or store needed.
        Command::Completions(a) => return commands::docs::completions(out, a.shell),
        Command::Man(a) => return commands::docs::man(out, a.out_dir.as_deref()),
        Command::Demo(args) => return commands::demo::run(out, args.keep),
        // A file is verified with nothing but the file: no store, no identity.
        Command::Verify(a) if a.file.is_some() => {
            return commands::verify::file(out, cli.repo.as_deref(), a)
        }
        // The network lives in its own binary, which parses these same arguments.
        Command::Node(_)
        | Command::Sync(_)
        | Command::Peers(_)
        | Command::Serve(_)
        | Command::DemoNetwork(_) => return commands::node::exec(),
        _ => {}
    }
    let ws = attrib_cli::start::workspace(cli.repo)?;
    match cli.command {
        Command::Init(a) => commands::init::run(&ws, out, a),
        Command::Identity(IdentityCommand::New {
            name,
            email,
            force,
            json,
        }) => commands::identity::new(&ws, out, name, email, force, json),
        Command::Identity(IdentityCommand::Show(f)) => commands::identity::show(&ws, out, f.json),
        Command::Team(t) => commands::team::run(&ws, out, t),
        Command::Annotate(a) => commands::annotate::run(&ws, out, a),
        Command::Record(a) => commands::record::run(&ws, out, a),
        Command::Review(a) => commands::review::run(&ws, out, a),
        Command::Log(a) => commands::log::run(&ws, out, a),
        Command::Show(a) => commands::show::run(&ws, out, a),
        Command::Stats(a) => commands::stats::run(&ws, out, a),
        Command::Config(c) => commands::config::run(&ws, out, c),
        Command::Hook(HookCommand::PreRecord) => commands::hook::pre_record(&ws),
        Command::Hooks(c) => commands::hooks::run(&ws, out, c),
        Command::Blame(a) => commands::blame::run(&ws, out, a),
        Command::Verify(a) => commands::verify::run(&ws, out, a.json),
        Command::Check(a) => commands::check::run(&ws, out, a),
        Command::Export(a) => commands::export::run(&ws, out, a),
        Command::Import(a) => commands::import::run(&ws, out, a),
        Command::Backfill(a) => commands::backfill::run(&ws, out, a),
        Command::Demo(_)
        | Command::Completions(_)
        | Command::Man(_)
        | Command::Node(_)
        | Command::Sync(_)
        | Command::Peers(_)
        | Command::Serve(_)
        | Command::DemoNetwork(_)
        | Command::Checkpoint(_) => unreachable!("handled above"),
    }
}
