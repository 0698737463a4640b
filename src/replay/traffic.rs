//! Recorded traffic: what a request log says arrived and what happened to it.
//!
//! Every input format is read into these types and nothing else, so fitting, the replay
//! workload and the observed-versus-replayed comparison never see a format. Requests are in
//! arrival order; instants count from the first arrival. What a request asked for (model,
//! tags, streaming, its own settings) is interned as a [`RequestKind`], since a million logged
//! requests share a few dozen kinds; attempts are stored flat, each request naming its range.
//! It decides the shape of a log's content; it must not parse, fit or simulate.

use std::ops::Range;
use std::time::Duration;

use crate::router::ErrorClass;
use crate::time::{Span, Time};

/// Which format a log was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Switchyard's proxy log: one JSON object per line (docs/live.md).
    SwitchyardJsonl,
    /// LiteLLM's `LiteLLM_SpendLogs` table exported as CSV.
    LitellmSpendLogsCsv,
    /// LiteLLM's `LiteLLM_SpendLogs` table exported as JSON (an array of rows, or one per line).
    LitellmSpendLogsJson,
    /// Switchyard's plain CSV (docs/replay.md).
    PlainCsv,
}

impl LogFormat {
    /// The format's name on the command line and in reports.
    pub fn name(self) -> &'static str {
        match self {
            LogFormat::SwitchyardJsonl => "switchyard-jsonl",
            LogFormat::LitellmSpendLogsCsv => "litellm-spend-logs-csv",
            LogFormat::LitellmSpendLogsJson => "litellm-spend-logs-json",
            LogFormat::PlainCsv => "plain-csv",
        }
    }
}

/// What a request asked for, shared by every request that asked for the same.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RequestKind {
    /// The model as requested (a model group, an alias, a deployment id …).
    pub model: String,
    /// The request's tags, in the order logged.
    pub tags: Vec<String>,
    /// Whether the client streamed.
    pub stream: bool,
    /// The request's own `num_retries`, when it set one.
    pub num_retries: Option<u32>,
    /// The request's own `fallbacks` (model names), when it set them.
    pub fallbacks: Option<Vec<String>>,
    /// `disable_fallbacks: true`.
    pub disable_fallbacks: bool,
    /// The request's own per-attempt timeout, when it set one.
    pub timeout: Option<Duration>,
}

/// A deployment as a log names it; a replay matches it to a config's deployment by `id`
/// (`model_info.id`, or LiteLLM's hash of the entry, which LiteLLM logs as `model_id`), else by
/// `api_base` and `model` together.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RecordedDeployment {
    /// The deployment's id, when logged.
    pub id: Option<String>,
    /// Its `api_base`, when logged.
    pub api_base: Option<String>,
    /// Its `litellm_params.model`, when logged.
    pub model: Option<String>,
    /// The model group it served for, when logged.
    pub model_group: Option<String>,
}

impl RecordedDeployment {
    /// A name for reports: the id, else `api_base model`, else the model.
    pub fn label(&self) -> String {
        match (&self.id, &self.api_base, &self.model) {
            (Some(id), _, _) => id.clone(),
            (None, Some(base), Some(model)) => format!("{base} {model}"),
            (None, Some(base), None) => base.clone(),
            (None, None, Some(model)) => model.clone(),
            (None, None, None) => "(unnamed)".to_string(),
        }
    }
}

/// One attempt of a logged request on one deployment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RecordedAttempt {
    /// Index into [`RecordedTraffic::deployments`].
    pub deployment: u32,
    /// `None`: it succeeded; else the error's class.
    pub error: Option<ErrorClass>,
    /// The upstream's HTTP status, when it answered.
    pub status: Option<u16>,
    /// From sending the attempt to its outcome (the whole call for a success).
    pub duration: Span,
    /// From sending the attempt to its first token, when logged.
    pub time_to_first_token: Option<Span>,
    /// Retry-After sent with a rate-limit answer, when logged.
    pub retry_after: Option<Span>,
}

/// One logged request.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// When it arrived, since the log's first arrival.
    pub at: Time,
    /// Index into [`RecordedTraffic::kinds`].
    pub kind: u32,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens (what the answer had, or what was asked for when it failed).
    pub output_tokens: u32,
    /// Its attempts: a range of [`RecordedTraffic::attempts`], in the order they were sent
    /// (one attempt, the last, when the log records only the final outcome).
    pub attempts: Range<u32>,
    /// The status the client got.
    pub status: u16,
    /// The final error's class, when it failed.
    pub error: Option<ErrorClass>,
    /// The deployment that served it (index into [`RecordedTraffic::deployments`]).
    pub served_by: Option<u32>,
    /// What it cost, when logged.
    pub cost_usd: Option<f64>,
    /// From arrival to the last byte.
    pub duration: Span,
}

/// A log line or row that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadRow {
    /// The line number in the file (1-based; for a JSON array, the line the row starts on).
    pub line: u64,
    /// What was wrong, naming the field and what was expected.
    pub reason: String,
}

/// A request log, read.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedTraffic {
    /// The file as named by the user.
    pub file: String,
    /// The format it was read as.
    pub format: LogFormat,
    /// Unix seconds of the first arrival (instants count from it).
    pub start_unix_s: f64,
    /// Requests in arrival order (ties in log order).
    pub requests: Vec<RecordedRequest>,
    /// What the requests asked for; `RecordedRequest::kind` indexes it.
    pub kinds: Vec<RequestKind>,
    /// Every deployment the log names; attempts index it.
    pub deployments: Vec<RecordedDeployment>,
    /// Every attempt, request by request.
    pub attempts: Vec<RecordedAttempt>,
    /// Whether the log records every attempt of a request (Switchyard's log) or only the
    /// final one (LiteLLM's spend logs, the plain CSV without attempt columns).
    pub every_attempt: bool,
    /// Rows not read as requests, each with its line and why: bad rows skipped because the
    /// user asked to skip them, and rows a replay cannot use whatever the policy (another call
    /// type, a cache hit, a request refused before routing).
    pub skipped: Vec<BadRow>,
}

impl RecordedTraffic {
    /// The attempts of `request`.
    pub fn attempts_of(&self, request: &RecordedRequest) -> &[RecordedAttempt] {
        &self.attempts[request.attempts.start as usize..request.attempts.end as usize]
    }

    /// When the last request arrived (zero for an empty log).
    pub fn last_arrival(&self) -> Time {
        self.requests.last().map_or(Time::ZERO, |r| r.at)
    }
}
