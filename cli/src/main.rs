//! `attrib`: records who wrote each patch and how AI helped, signs every record, and keeps the
//! records in a commutative overlay beside the VCS. This binary is a thin shell: it parses the
//! command line, hands each subcommand to its module, and turns any error into one line on
//! stderr and a non-zero exit.

mod args;
mod capture;
mod commands;
mod config;
mod context;
mod follow;
mod progress;
mod render;
mod vcs;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

use args::{Cli, Command, HookCommand, IdentityCommand};
use context::Ctx;
use render::one_line;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let stdout = std::io::stdout();
    // Large listings go to pipes and pagers: fewer, bigger writes.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, stdout.lock());
    let result = run(cli, &mut out).and_then(|()| out.flush().map_err(Into::into));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = out.flush();
            // A closed pipe (`attrib log | head`) is not an error worth reporting.
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return ExitCode::SUCCESS;
            }
            eprintln!("attrib: {}", one_line(&format!("{e:#}")));
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, out: &mut dyn Write) -> anyhow::Result<()> {
    if let Command::Demo(args) = &cli.command {
        return commands::demo::run(out, args.keep);
    }
    // Generated from the grammar alone: no config dir or store needed.
    if let Command::Completions(a) = &cli.command {
        return commands::docs::completions(out, a.shell);
    }
    if let Command::Man(a) = &cli.command {
        return commands::docs::man(out, a.out_dir.as_deref());
    }
    let ctx = Ctx::from_env(cli.repo)?;
    match cli.command {
        Command::Init(a) => commands::init::run(&ctx, out, a),
        Command::Identity(IdentityCommand::New {
            name,
            email,
            force,
            json,
        }) => commands::identity::new(&ctx, out, name, email, force, json),
        Command::Identity(IdentityCommand::Show(f)) => commands::identity::show(&ctx, out, f.json),
        Command::Team(t) => commands::team::run(&ctx, out, t),
        Command::Annotate(a) => commands::annotate::annotate(&ctx, out, a),
        Command::Record(a) => commands::record::run(&ctx, out, a),
        Command::Review(a) => commands::annotate::review(&ctx, out, a),
        Command::Log(a) => commands::query::log(&ctx, out, a),
        Command::Show(a) => commands::query::show(&ctx, out, a),
        Command::Stats(a) => commands::stats::run(&ctx, out, a),
        Command::Config(c) => commands::config_cmd::run(&ctx, out, c),
        Command::Hook(HookCommand::PreRecord) => commands::hook::pre_record(&ctx),
        Command::Blame(a) => commands::blame::run(&ctx, out, a),
        Command::Verify(f) => commands::verify::run(&ctx, out, f.json),
        Command::Export(a) => commands::exchange::export(&ctx, out, a),
        Command::Import(a) => commands::exchange::import(&ctx, out, a),
        Command::Node(a) => commands::net::node(&ctx, out, a),
        Command::Sync(a) => commands::net::sync(&ctx, out, a),
        Command::Peers(f) => commands::net::peers(&ctx, out, f.json),
        Command::Demo(_) | Command::Completions(_) | Command::Man(_) => {
            unreachable!("handled above")
        }
    }
}

/// Prints clap's help and version as usual, and any usage error as one line.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            }
        }
        _ => {
            let text = e.render().to_string();
            let first = text
                .lines()
                .find(|l| !l.trim().is_empty())
                .unwrap_or("invalid command line")
                .trim_start_matches("error: ");
            eprintln!("attrib: {first} (see `attrib --help`)");
            ExitCode::from(2)
        }
    }
}
