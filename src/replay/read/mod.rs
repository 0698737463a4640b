//! Reading request logs: a file in any supported format becomes one [`RecordedTraffic`].
//!
//! The format is detected from the content (or named by the user), and each format has its
//! own reader: Switchyard's proxy log ([`switchyard_jsonl`]), LiteLLM's spend-log export as CSV
//! or JSON ([`spend_logs`]) and the plain CSV ([`plain_csv`]). Every reader hands its rows to
//! one [`builder::Builder`], which interns what requests asked for and which deployments
//! answered, applies the bad-row policy and puts the requests in arrival order. It decides how
//! a log's text is understood; it must not fit, simulate or judge the traffic.

mod builder;
mod detect;
mod join;
mod litellm_errors;
mod plain_csv;
mod spend_logs;
mod switchyard_jsonl;
mod timestamp;

use std::path::Path;

use anyhow::Context;

pub use detect::{detect, format_named};

use crate::replay::traffic::{LogFormat, RecordedTraffic};

/// How to read a log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReadOptions {
    /// The format, when the user named one; detected from the content when `None`.
    pub format: Option<LogFormat>,
    /// Skip rows that cannot be read (listing them in [`RecordedTraffic::skipped`]) instead of
    /// stopping at the first with an error.
    pub skip_bad_rows: bool,
}

/// Reads the log at `path`, mapped into memory rather than copied (a million-line log is
/// hundreds of megabytes; copying it cost a third of the read); a file that cannot be mapped
/// (a pipe, say) is read.
pub fn read_log(path: &Path, options: &ReadOptions) -> anyhow::Result<RecordedTraffic> {
    let cannot_read = || format!("{}: cannot read", path.display());
    let file = std::fs::File::open(path).with_context(cannot_read)?;
    let name = path.display().to_string();
    // SAFETY: a read-only map of a regular file, dropped before this returns. `memmap2`'s one
    // caveat is a file truncated by another process while mapped; a log is not written while
    // it is replayed, and the parsers only read the bytes.
    match unsafe { memmap2::Mmap::map(&file) } {
        Ok(map) => read_bytes(&name, &map, options),
        Err(_) => {
            let bytes = std::fs::read(path).with_context(cannot_read)?;
            read_bytes(&name, &bytes, options)
        }
    }
}

/// Reads a log's content; `file` names it in errors and in the result.
pub fn read_bytes(
    file: &str,
    bytes: &[u8],
    options: &ReadOptions,
) -> anyhow::Result<RecordedTraffic> {
    let format = match options.format {
        Some(format) => format,
        None => detect(bytes).map_err(|why| anyhow::anyhow!("{file}: {why}"))?,
    };
    let builder = builder::Builder::new(file, format, options.skip_bad_rows);
    match format {
        LogFormat::SwitchyardJsonl => switchyard_jsonl::read(builder, bytes),
        LogFormat::LitellmSpendLogsCsv => spend_logs::read_csv(builder, bytes),
        LogFormat::LitellmSpendLogsJson => spend_logs::read_json(builder, bytes),
        LogFormat::PlainCsv => plain_csv::read(builder, bytes),
    }
}
