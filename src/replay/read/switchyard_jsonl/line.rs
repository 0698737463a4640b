//! One proxy-log line as far as a replay reads it (docs/live.md), with strings borrowed from
//! the log. serde_json reads a line into it by its derived `Deserialize`, which is the
//! reference: [`super::scan`]'s fast path must read every line it accepts into exactly the same
//! value. It decides which fields a replay reads and what a missing one means; it must not
//! check values or build traffic.

use std::borrow::Cow;

use serde::Deserialize;

/// One attempt, as the proxy logs it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub(super) struct AttemptLine<'a> {
    #[serde(borrow)]
    pub deployment: Cow<'a, str>,
    #[serde(borrow)]
    pub outcome: Cow<'a, str>,
    #[serde(default)]
    pub status: Option<u16>,
    pub duration_ms: f64,
    #[serde(default)]
    pub ttft_ms: Option<f64>,
    #[serde(default)]
    pub retry_after_s: Option<f64>,
}

/// The request's own settings, when it set any.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub(super) struct Settings<'a> {
    #[serde(default)]
    pub num_retries: Option<u32>,
    #[serde(default, borrow)]
    pub fallbacks: Option<Vec<Cow<'a, str>>>,
    #[serde(default)]
    pub timeout_s: Option<f64>,
    #[serde(default)]
    pub disable_fallbacks: bool,
}

/// One request's line.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
pub(super) struct RequestLine<'a> {
    pub arrival_unix_s: f64,
    #[serde(default, borrow)]
    pub model: Cow<'a, str>,
    #[serde(default, borrow)]
    pub tags: Vec<Cow<'a, str>>,
    #[serde(default)]
    pub stream: bool,
    #[serde(default)]
    pub input_tokens: u32,
    #[serde(default)]
    pub output_tokens: u32,
    #[serde(default, borrow)]
    pub attempts: Vec<AttemptLine<'a>>,
    pub status: u16,
    #[serde(default, borrow)]
    pub error_class: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub deployment: Option<Cow<'a, str>>,
    #[serde(default, borrow)]
    pub model_group: Option<Cow<'a, str>>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub duration_ms: f64,
    #[serde(default, borrow)]
    pub settings: Option<Settings<'a>>,
}

impl<'a> RequestLine<'a> {
    /// Reads `bytes` as serde_json does: the reference reading, and the one whose errors are
    /// reported.
    pub fn parse(bytes: &'a [u8]) -> Result<RequestLine<'a>, String> {
        serde_json::from_slice(bytes).map_err(|e| {
            format!(
                "not a proxy log line: {}",
                e.to_string().split(" at line ").next().unwrap_or_default()
            )
        })
    }
}
