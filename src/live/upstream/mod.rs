//! Calling upstreams: one pooled HTTP client, each deployment's [`Target`], and every failure
//! classified once ([`classify`]; [`anthropic::errors`] for Anthropic) into the core's error
//! classes. OpenAI-compatible bodies pass through untouched; an Anthropic upstream's request,
//! answer and stream are translated ([`anthropic`]).
//!
//! It sends what it is given to the deployment it is told and reports what came back; it never
//! chooses a deployment, retries or waits (the router decides those).

pub mod anthropic;
pub mod classify;
pub mod target;

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::{Map, Value};

pub use target::{Target, TargetError, Wire};

use self::anthropic::stream::StreamTranslator;

use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};
use crate::router::ErrorClass;

/// Which endpoint of an upstream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// Chat completions.
    Chat,
    /// Embeddings.
    Embeddings,
}

/// A failed attempt, classified.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamFailure {
    /// The core's class for it.
    pub class: ErrorClass,
    /// The upstream's requested wait, if any.
    pub retry_after: Option<Duration>,
    /// The upstream's status (`None`: no answer — a connection failure or a timeout).
    pub status: Option<u16>,
    /// What the upstream said (its error message, or the transport error), for the client.
    pub message: String,
}

impl UpstreamFailure {
    /// A failure with no upstream answer behind it (`status: None`).
    pub fn transport(class: ErrorClass, message: String) -> Self {
        UpstreamFailure {
            class,
            retry_after: None,
            status: None,
            message,
        }
    }
}

/// Largest error body read from an upstream (enough for any error message).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// The content type of every request body sent upstream.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The `anthropic-version` header's value.
const ANTHROPIC_VERSION: HeaderValue = HeaderValue::from_static(anthropic::ANTHROPIC_VERSION);

/// Every deployment's upstream and the shared client.
#[derive(Debug, Clone)]
pub struct Upstreams {
    http: reqwest::Client,
    targets: Vec<Option<Target>>,
}

impl Upstreams {
    /// The upstreams of every deployment in `table`; the first deployment that cannot be called
    /// is an error. With `mock`, every deployment is sent to that mock provider instead
    /// ([`target::mocked`]).
    pub fn new(table: &DeploymentTable, mock: Option<&str>) -> Result<Upstreams, TargetError> {
        let targets = table
            .deployments()
            .iter()
            .enumerate()
            .map(|(i, d)| match mock {
                Some(base) => target::mocked(base, &d.config),
                None => target::target(i, &d.config),
            })
            .collect::<Result<_, _>>()?;
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(1024)
            .tcp_nodelay(true)
            .build()
            .map_err(|e| TargetError {
                deployment: String::new(),
                path: String::new(),
                message: format!("cannot build the HTTP client: {e}"),
            })?;
        Ok(Upstreams { http, targets })
    }

    /// Deployment `d`'s upstream (`None` for an auto router).
    pub fn target(&self, d: DeploymentIdx) -> Option<&Target> {
        self.targets.get(d.get()).and_then(Option::as_ref)
    }

    /// Posts `body` to `d`'s `endpoint` and waits for the status and headers (the caller bounds
    /// the wait: one timer covers an attempt). A 2xx answer comes back to be read (whole or
    /// streamed); anything else is read and classified.
    pub async fn post(
        &self,
        d: DeploymentIdx,
        endpoint: Endpoint,
        body: Bytes,
    ) -> Result<reqwest::Response, UpstreamFailure> {
        let Some(target) = self.target(d) else {
            return Err(UpstreamFailure::transport(
                ErrorClass::BadRequest,
                "this deployment is not called directly".into(),
            ));
        };
        let url = match endpoint {
            Endpoint::Chat => &target.chat_url,
            Endpoint::Embeddings => &target.embeddings_url,
        };
        let mut request = self
            .http
            .post(url.clone())
            .header(CONTENT_TYPE, JSON)
            .body(body);
        if let Some((name, value)) = &target.credential {
            request = request.header(name, value.clone());
        }
        if target.wire != Wire::OpenAi {
            request = request.header("anthropic-version", ANTHROPIC_VERSION);
        }
        let response = request.send().await.map_err(|e| transport_failure(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(failure_of(response, target.wire).await)
    }

    /// The body `d`'s upstream takes for the OpenAI `body` (its gateway controls stripped) when
    /// it is not the OpenAI body itself: `None` for an OpenAI-compatible upstream (the caller
    /// sends the body as it is), the Messages body for Anthropic's chat, or the refusal of what
    /// cannot be translated (a bad request, never sent).
    pub fn translated_body(
        &self,
        d: DeploymentIdx,
        endpoint: Endpoint,
        body: &Map<String, Value>,
    ) -> Option<Result<Bytes, UpstreamFailure>> {
        let target = self.target(d)?;
        let Wire::Anthropic { default_max_tokens } = target.wire else {
            return None;
        };
        let refused = |message: String| UpstreamFailure::transport(ErrorClass::BadRequest, message);
        Some(match endpoint {
            Endpoint::Chat => {
                anthropic::request::messages_body(body, &target.model, default_max_tokens)
                    .map(Bytes::from)
                    .map_err(refused)
            }
            Endpoint::Embeddings => Err(refused(
                "anthropic has no embeddings endpoint (LiteLLM supports none for it)".into(),
            )),
        })
    }

    /// `d`'s whole answer `body` as an OpenAI `chat.completion` (`created` in Unix seconds): as
    /// it is for an OpenAI-compatible upstream, translated for Anthropic.
    pub fn openai_answer(
        &self,
        d: DeploymentIdx,
        body: Bytes,
        created: u64,
    ) -> Result<Bytes, UpstreamFailure> {
        match self.target(d).map(|t| t.wire) {
            Some(Wire::Anthropic { .. }) => anthropic::response::chat_completion(&body, created)
                .map(Bytes::from)
                .map_err(|m| UpstreamFailure::transport(ErrorClass::BadGateway, m)),
            _ => Ok(body),
        }
    }

    /// The translator of `d`'s stream into OpenAI chunks (`None`: the stream is OpenAI's and
    /// passes through), with a usage chunk when the client's `body` asks for one
    /// (`stream_options.include_usage`).
    pub fn stream_translator(
        &self,
        d: DeploymentIdx,
        created: u64,
        body: &Map<String, Value>,
    ) -> Option<StreamTranslator> {
        match self.target(d)?.wire {
            Wire::Anthropic { .. } => {
                let include_usage = body
                    .get("stream_options")
                    .and_then(|o| o.get("include_usage"))
                    == Some(&Value::Bool(true));
                Some(StreamTranslator::new(created, include_usage))
            }
            Wire::OpenAi => None,
        }
    }
}

/// The failure an attempt that outlived its timeout ends with.
pub fn timed_out(timeout: Duration) -> UpstreamFailure {
    UpstreamFailure::transport(
        ErrorClass::Timeout,
        format!(
            "the upstream did not answer within {} s",
            timeout.as_secs_f64()
        ),
    )
}

/// The failure a transport error means.
pub fn transport_failure(e: &reqwest::Error) -> UpstreamFailure {
    let class = if e.is_timeout() {
        ErrorClass::Timeout
    } else {
        ErrorClass::Connection
    };
    UpstreamFailure::transport(class, format!("connection to the upstream failed: {e}"))
}

/// Reads and classifies a non-2xx answer from an upstream speaking `wire`.
async fn failure_of(response: reqwest::Response, wire: Wire) -> UpstreamFailure {
    let status = response.status().as_u16();
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let retry_after = classify::retry_after(
        header("retry-after-ms").as_deref(),
        header("retry-after").as_deref(),
    );
    let body = read_bounded(response, MAX_ERROR_BODY).await;
    let class = match wire {
        Wire::OpenAi => classify::classify(status, &body),
        Wire::Anthropic { .. } => anthropic::errors::classify(status, &body),
    };
    UpstreamFailure {
        class,
        retry_after,
        status: Some(status),
        message: error_message(&body),
    }
}

/// Reads at most `limit` bytes of a body (an unreadable rest is dropped).
async fn read_bounded(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit {
        match response.chunk().await {
            Ok(Some(chunk)) => out.extend_from_slice(&chunk[..chunk.len().min(limit - out.len())]),
            _ => break,
        }
    }
    out
}

/// The `error.message` of an OpenAI-shaped body, else the body as text.
fn error_message(body: &[u8]) -> String {
    serde_json::from_slice::<serde_json::Value>(body)
        .ok()
        .and_then(|v| {
            v.pointer("/error/message")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| String::from_utf8_lossy(body).into_owned())
}
