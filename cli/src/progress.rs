//! Progress for the commands that can run for more than a second (verify, import, export,
//! reconciliation): an indicatif bar or spinner on stderr that appears only once the work has
//! taken longer than [`DELAY`], and never when stderr or standard output is not a terminal
//! (scripts, pipes, CI), nor when `ATTRIB_PROGRESS=never`. `NO_COLOR` turns its colors off.
//!
//! Nothing is drawn and no thread is started when the output is not interactive, so the cost
//! in scripts is one `isatty` per stream.

use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// How long work runs before its progress is shown.
pub const DELAY: Duration = Duration::from_secs(1);

/// Where the command's data goes: standard output, or a file named on the command line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Data {
    Stdout,
    File,
}

/// Should progress be drawn at all? Only on a terminal, and not when the data this command
/// prints goes to a pipe or a file (then the caller is usually a script).
fn interactive(data: Data) -> bool {
    match std::env::var("ATTRIB_PROGRESS").as_deref() {
        Ok("never") | Ok("0") | Ok("false") | Ok("no") => return false,
        _ => {}
    }
    if std::env::var_os("TERM").is_some_and(|t| t == "dumb") {
        return false;
    }
    std::io::stderr().is_terminal() && (data == Data::File || std::io::stdout().is_terminal())
}

/// The delay before progress appears: [`DELAY`], or `ATTRIB_PROGRESS_DELAY_MS` (for tests).
fn delay() -> Duration {
    std::env::var("ATTRIB_PROGRESS_DELAY_MS")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(DELAY)
}

/// Colors unless `NO_COLOR` is set to anything non-empty (<https://no-color.org>).
pub fn color() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// A progress bar (with a length) or spinner (without) that shows itself after [`DELAY`].
/// Dropping it clears it from the terminal.
pub struct Progress {
    bar: ProgressBar,
    waiter: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl Progress {
    /// Progress over `len` items (a spinner when `None`), labelled `what`.
    pub fn new(what: &str, len: Option<u64>, data: Data) -> Progress {
        if !interactive(data) {
            return Progress::hidden();
        }
        let bar = ProgressBar::with_draw_target(len, ProgressDrawTarget::hidden())
            .with_style(style(len.is_some()))
            .with_message(what.to_string());
        let (tx, rx) = mpsc::channel::<()>();
        let shown = bar.clone();
        let wait = delay();
        let handle = std::thread::spawn(move || {
            // Finished (or dropped) before the delay: never drawn.
            if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(wait) {
                shown.set_draw_target(ProgressDrawTarget::stderr());
                shown.enable_steady_tick(Duration::from_millis(120));
            }
        });
        Progress {
            bar,
            waiter: Some((tx, handle)),
        }
    }

    /// Progress that is never shown.
    fn hidden() -> Progress {
        Progress {
            bar: ProgressBar::hidden(),
            waiter: None,
        }
    }

    /// A spinner for work whose size is unknown.
    pub fn spinner(what: &str, data: Data) -> Progress {
        Progress::new(what, None, data)
    }
}

impl attrib_query::progress::Progress for Progress {
    fn inc(&self, n: u64) {
        self.bar.inc(n);
    }

    /// Turns a spinner into a bar over `len` items.
    fn set_length(&self, len: u64) {
        if self.bar.length().is_none() {
            self.bar.set_style(style(true));
        }
        self.bar.set_length(len);
    }

    fn set_message(&self, what: &str) {
        self.bar.set_message(what.to_string());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some((tx, handle)) = self.waiter.take() {
            let _ = tx.send(());
            let _ = handle.join();
        }
        self.bar.finish_and_clear();
    }
}

fn style(bar: bool) -> ProgressStyle {
    let template = match (bar, color()) {
        (true, true) => {
            "{spinner:.cyan} {msg} [{bar:32.cyan/blue}] {pos}/{len} ({elapsed}, eta {eta})"
        }
        (true, false) => "{spinner} {msg} [{bar:32}] {pos}/{len} ({elapsed}, eta {eta})",
        (false, true) => "{spinner:.cyan} {msg} ({elapsed})",
        (false, false) => "{spinner} {msg} ({elapsed})",
    };
    ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ")
}
