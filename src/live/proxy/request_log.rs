//! The request log: one JSON line per request, written by one task so that handlers never wait
//! on the disk, and flushed on shutdown. It is the format `switchyard replay` reads; the fields
//! are documented in docs/live.md.
//!
//! Each line: `arrival_unix_s`, `request_id`, `model` (as requested), `tags`, `stream`,
//! `input_tokens`, `output_tokens`, `attempts` [{`deployment`, `outcome` (`ok` or an error
//! class), `status`, `duration_ms`}], `status` (what the client got), `error_class`,
//! `deployment` (the one that served), `model_group` (the group that served), `cost_usd`,
//! `retries`, `fallbacks`, `duration_ms`, and `prompt`/`response` only with `--log-prompts`.
//! It decides what is recorded and never holds a key.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

/// One attempt of a request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptLine {
    /// The deployment's id.
    pub deployment: String,
    /// `ok`, or the error class's name.
    pub outcome: String,
    /// The upstream's status, when it answered.
    pub status: Option<u16>,
    /// From sending the attempt to its outcome.
    pub duration_ms: f64,
}

/// One request's line.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct RequestLine {
    /// When the request arrived, Unix seconds.
    pub arrival_unix_s: f64,
    /// The proxy's id for the request (also the response's `x-switchyard-request-id`).
    pub request_id: u64,
    /// The model as requested.
    pub model: String,
    /// The request's tags.
    pub tags: Vec<String>,
    /// Whether the client streamed.
    pub stream: bool,
    /// Prompt tokens (the upstream's count when it answered, else the proxy's estimate).
    pub input_tokens: u32,
    /// Completion tokens.
    pub output_tokens: u32,
    /// Every attempt, in order.
    pub attempts: Vec<AttemptLine>,
    /// The status the client got (499: the client went away first).
    pub status: u16,
    /// The final error's class, when the request failed.
    pub error_class: Option<String>,
    /// The deployment that served.
    pub deployment: Option<String>,
    /// The model group that served.
    pub model_group: Option<String>,
    /// What the answer cost at the router's prices.
    pub cost_usd: f64,
    /// Retries in the group that served (or the last group tried).
    pub retries: u32,
    /// Fallback depth reached.
    pub fallbacks: u32,
    /// From arrival to the last byte.
    pub duration_ms: f64,
    /// The request's messages, only with `--log-prompts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prompt: Option<serde_json::Value>,
    /// The answer's text, only with `--log-prompts`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response: Option<String>,
}

/// How long a written line may wait in the buffer before it reaches the file.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// Sends lines to the writer thread.
#[derive(Debug, Clone)]
pub struct RequestLog {
    lines: std::sync::mpsc::Sender<RequestLine>,
    /// Whether prompts and answers are logged.
    pub with_prompts: bool,
}

impl RequestLog {
    /// Opens `path` for appending and starts the writer; the returned handle ends when every
    /// `RequestLog` clone is dropped and the last line is flushed. Lines are buffered and
    /// flushed at most [`FLUSH_EVERY`] after they are written, so a busy proxy does not make a
    /// system call per request.
    #[allow(
        clippy::disallowed_methods,
        reason = "the live edge: the log's writer is its own blocking task"
    )]
    pub fn open(
        path: &Path,
        with_prompts: bool,
    ) -> std::io::Result<(RequestLog, tokio::task::JoinHandle<()>)> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)?;
        }
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = std::sync::mpsc::channel::<RequestLine>();
        let writer = tokio::task::spawn_blocking(move || write_lines(&rx, file));
        Ok((
            RequestLog {
                lines: tx,
                with_prompts,
            },
            writer,
        ))
    }

    /// Queues `line`.
    pub fn write(&self, line: RequestLine) {
        // The writer only stops after every sender is gone, so this cannot fail while `self`
        // lives.
        let _ = self.lines.send(line);
    }
}

/// The writer thread: one JSON line per request, flushed when idle for [`FLUSH_EVERY`] and at
/// the end.
fn write_lines(rx: &std::sync::mpsc::Receiver<RequestLine>, file: std::fs::File) {
    use std::sync::mpsc::RecvTimeoutError;
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, file);
    let mut dirty = false;
    loop {
        match rx.recv_timeout(FLUSH_EVERY) {
            Ok(line) => {
                if serde_json::to_writer(&mut out, &line).is_ok() {
                    let _ = out.write_all(b"\n");
                }
                dirty = true;
            }
            Err(RecvTimeoutError::Timeout) => {
                if dirty {
                    let _ = out.flush();
                    dirty = false;
                }
            }
            Err(RecvTimeoutError::Disconnected) => break,
        }
    }
    let _ = out.flush();
}
