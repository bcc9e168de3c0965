//! The error contract of both binaries: a failure is one `attrib: …` line on stderr and a
//! non-zero exit (2 for a usage error), never a panic; a closed pipe (`attrib log | head`) is
//! not an error.

use std::io::Write;

/// A message of several lines as one line: each line trimmed, blank lines dropped, the rest
/// joined by single spaces.
pub fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A usage error found after parsing (a value clap takes as text, such as a multiaddr, that
/// turns out malformed): reported like clap's own, with exit code 2.
#[derive(Debug)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// The exit code for the outcome of a command whose output went to `out`, after saying what
/// went wrong: 0, 1 for a failure, 2 for a usage error.
pub fn finish(result: anyhow::Result<()>, out: &mut dyn Write) -> u8 {
    let result = result.and_then(|()| out.flush().map_err(Into::into));
    match result {
        Ok(()) => 0,
        Err(e) => {
            let _ = out.flush();
            if let Some(u) = e.downcast_ref::<UsageError>() {
                return usage(&one_line(&u.0));
            }
            if e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            }) {
                return 0;
            }
            eprintln!("attrib: {}", one_line(&format!("{e:#}")));
            1
        }
    }
}

/// A usage error in the form every usage error takes: one line, exit code 2.
pub fn usage(message: &str) -> u8 {
    eprintln!("attrib: {message} (see `attrib --help`)");
    2
}

/// Prints clap's help and version as usual, and any usage error as one line; returns the exit
/// code.
pub fn clap_error(e: clap::Error) -> u8 {
    use clap::error::ErrorKind;
    match e.kind() {
        ErrorKind::DisplayHelp
        | ErrorKind::DisplayVersion
        | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                2
            } else {
                0
            }
        }
        _ => {
            let text = e.render().to_string();
            let mut lines = text.lines().filter(|l| !l.trim().is_empty());
            let mut first = lines
                .next()
                .unwrap_or("invalid command line")
                .trim_start_matches("error: ")
                .to_string();
            // "the following required arguments were not provided:" lists them on the
            // indented lines below: keep them in the one line.
            if first.ends_with(':') {
                let listed: Vec<&str> = lines
                    .take_while(|l| l.starts_with(' '))
                    .map(str::trim)
                    .collect();
                if !listed.is_empty() {
                    first = format!("{first} {}", listed.join(", "));
                }
            }
            usage(&first)
        }
    }
}
