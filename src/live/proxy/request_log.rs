//! The request log: one JSON line per request, written by one task so that handlers never wait
//! on the disk, and flushed on shutdown. It is the format `switchyard replay` reads; the fields
//! are documented in docs/live.md.
//!
//! Each line: `arrival_unix_s`, `request_id`, `model` (as requested), `tags`, `stream`,
//! `input_tokens`, `output_tokens`, `attempts` [{`deployment`, `outcome` (`ok` or an error
//! class), `status`, `duration_ms`, `ttft_ms` (a streamed success's first byte),
//! `retry_after_s` (a 429's Retry-After)}], `settings` (the request's own `num_retries`,
//! `fallbacks`, `timeout_s`, `disable_fallbacks`, only those it set), `embedding_attempts` (the auto router's embedding calls,
//! same shape, only when there were some), `status` (what the client got), `error_class`,
//! `deployment` (the one that served), `model_group` (the group that served), `cost_usd`,
//! `retries`, `fallbacks`, `duration_ms`, and `prompt`/`response` only with `--log-prompts`.
//! It decides what is recorded and never holds a key.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

/// One attempt of a request.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct AttemptLine {
    /// The deployment's id.
    pub deployment: Arc<str>,
    /// `ok`, or the error class's name.
    pub outcome: &'static str,
    /// The upstream's status, when it answered.
    pub status: Option<u16>,
    /// From sending the attempt to its outcome.
    pub duration_ms: f64,
    /// From sending the attempt to its first byte, when it succeeded and the proxy saw the
    /// first byte apart from the last (a stream); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ttft_ms: Option<f64>,
    /// The Retry-After the upstream sent with a rate-limit answer, in seconds; absent when it
    /// sent none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after_s: Option<f64>,
}

/// What a request set for itself (each only when it set it), so that a replay gives the
/// request the same settings.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct RequestSettings {
    /// Its own retry count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub num_retries: Option<u32>,
    /// Its own fallback model groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallbacks: Option<Vec<String>>,
    /// Its own per-attempt timeout, seconds as the client sent it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// `disable_fallbacks: true`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub disable_fallbacks: bool,
}

impl RequestSettings {
    /// Whether the request set nothing.
    pub fn is_empty(&self) -> bool {
        *self == RequestSettings::default()
    }
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
    /// The request's own settings; absent when it set none.
    #[serde(skip_serializing_if = "RequestSettings::is_empty")]
    pub settings: RequestSettings,
    /// The attempts of the embedding calls an auto router made for the request (its prompt's,
    /// and its utterances' when they were embedded for it), in order; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub embedding_attempts: Vec<AttemptLine>,
    /// The status the client got (499: the client went away first).
    pub status: u16,
    /// The final error's class, when the request failed.
    pub error_class: Option<&'static str>,
    /// The deployment that served.
    pub deployment: Option<Arc<str>>,
    /// The model group that served.
    pub model_group: Option<Arc<str>>,
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

/// How long a written line may wait in memory before it reaches the file.
const FLUSH_EVERY: std::time::Duration = std::time::Duration::from_millis(100);

/// Lines serialised by the handlers, waiting for the writer.
#[derive(Debug, Default)]
struct Pending {
    bytes: std::sync::Mutex<Vec<u8>>,
    /// Set at shutdown: write what is queued and stop, even if a handler still holds a clone.
    closed: std::sync::atomic::AtomicBool,
}

/// Appends request lines to the log. A handler serialises its line into its thread's buffer and
/// appends that to a shared one under a short lock (no system call, no thread wake-up per
/// request); one writer moves the shared buffer to the file every [`FLUSH_EVERY`] and once more
/// when the last `RequestLog` is gone. Serialising on the request's own thread keeps the
/// writer's work a copy: a writer that serialised a whole interval's lines at once held a core
/// long enough to show in the proxy's slowest requests.
#[derive(Debug, Clone)]
pub struct RequestLog {
    pending: Arc<Pending>,
    /// Whether prompts and answers are logged.
    pub with_prompts: bool,
}

impl RequestLog {
    /// Opens `path` for appending and starts the writer; the returned handle ends after every
    /// `RequestLog` clone is dropped and the last line is written.
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
        let pending = Arc::new(Pending::default());
        let theirs = pending.clone();
        let writer = tokio::task::spawn_blocking(move || write_lines(&theirs, file));
        Ok((
            RequestLog {
                pending,
                with_prompts,
            },
            writer,
        ))
    }

    /// Asks the writer to write what is queued and stop (at shutdown, once in-flight requests
    /// have finished or their grace period is over).
    pub fn close(&self) {
        self.pending
            .closed
            .store(true, std::sync::atomic::Ordering::Release);
    }

    /// Queues `line`.
    pub fn write(&self, line: RequestLine) {
        thread_local! {
            static SERIALISED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
        }
        SERIALISED.with_borrow_mut(|buf| {
            buf.clear();
            if serde_json::to_writer(&mut *buf, &line).is_err() {
                return;
            }
            buf.push(b'\n');
            self.pending
                .bytes
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .extend_from_slice(buf);
        });
    }
}

/// The writer: every [`FLUSH_EVERY`], what the handlers queued goes to the file; when only the
/// writer still holds the queue, the last of it goes and the writer ends.
fn write_lines(pending: &Arc<Pending>, mut file: std::fs::File) {
    let mut spare = Vec::new();
    loop {
        let last = Arc::strong_count(pending) == 1
            || pending.closed.load(std::sync::atomic::Ordering::Acquire);
        {
            let mut bytes = pending.bytes.lock().unwrap_or_else(|p| p.into_inner());
            std::mem::swap(&mut *bytes, &mut spare);
        }
        if !spare.is_empty() {
            let _ = file.write_all(&spare);
            spare.clear();
        }
        if last {
            let _ = file.flush();
            return;
        }
        std::thread::sleep(FLUSH_EVERY);
    }
}
