//! What the commands print: standard output and standard error written without ever panicking.
//!
//! `println!` panics when standard output is closed or full; the commands print through
//! [`out`] instead, whose failure is an ordinary error. A reader that went away
//! (`switchyard validate x.yaml | head -1`) is [`StdoutClosed`], which the command line ends on
//! quietly with [`CLOSED_PIPE_EXIT`], the status a shell shows for a conventional tool stopped by
//! SIGPIPE; any other failure (a full disk) is an error naming standard output. Standard error
//! is best effort: when it cannot be written there is nowhere left to say so. It decides how
//! printing fails; it must not decide what is printed.

use std::fmt;
use std::io::{self, Write};

/// The exit status after standard output was closed by its reader: 128 + SIGPIPE (13), as a
/// shell reports `seq 100000 | head -1` for `seq`.
pub const CLOSED_PIPE_EXIT: u8 = 141;

/// Standard output's reader went away; the command stops printing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StdoutClosed;

impl fmt::Display for StdoutClosed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for StdoutClosed {}

/// Writes `text` and a newline to standard output: [`StdoutClosed`] when the reader went away,
/// another error (naming standard output) when it cannot be written.
pub fn out(text: impl fmt::Display) -> anyhow::Result<()> {
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{text}")
        .and_then(|()| stdout.flush())
        .map_err(stdout_error)
}

/// The error for a failed write to standard output.
pub fn stdout_error(e: io::Error) -> anyhow::Error {
    if e.kind() == io::ErrorKind::BrokenPipe {
        anyhow::Error::new(StdoutClosed)
    } else {
        anyhow::Error::new(e).context("cannot write to standard output")
    }
}

/// Writes `text` and a newline to standard error, ignoring failure (there is nowhere to report
/// it).
pub fn err(text: impl fmt::Display) {
    let _ = writeln!(io::stderr().lock(), "{text}");
}

/// Whether `e` is (or was caused by) standard output closing.
pub fn is_closed_stdout(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<StdoutClosed>())
}

/// The exit code for a command that failed with `e` (`failure` for ordinary errors): quiet
/// [`CLOSED_PIPE_EXIT`] for a closed standard output, else the error on standard error.
pub fn exit_for(e: &anyhow::Error, failure: u8) -> std::process::ExitCode {
    if is_closed_stdout(e) {
        return std::process::ExitCode::from(CLOSED_PIPE_EXIT);
    }
    err(format_args!("error: {e:#}"));
    std::process::ExitCode::from(failure)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_broken_pipe_is_closed_stdout_and_a_full_disk_is_not() {
        let closed = stdout_error(io::Error::from(io::ErrorKind::BrokenPipe));
        assert!(is_closed_stdout(&closed));
        let full = stdout_error(io::Error::from(io::ErrorKind::StorageFull));
        assert!(!is_closed_stdout(&full));
        assert!(format!("{full:#}").contains("standard output"));
    }
}
