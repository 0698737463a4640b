//! Calling upstreams: one pooled HTTP client, each deployment's [`Target`], and every failure
//! classified once ([`classify`]) into the core's error classes.
//!
//! It sends what it is given to the deployment it is told and reports what came back; it never
//! chooses a deployment, retries or waits (the router decides those).

pub mod classify;
pub mod target;

use std::time::Duration;

use bytes::Bytes;
use reqwest::header::{CONTENT_TYPE, HeaderValue};

pub use target::{Target, TargetError};

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
    fn transport(class: ErrorClass, message: String) -> Self {
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
        let response = request.send().await.map_err(|e| transport_failure(&e))?;
        if response.status().is_success() {
            return Ok(response);
        }
        Err(failure_of(response).await)
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

/// Reads and classifies a non-2xx answer.
async fn failure_of(response: reqwest::Response) -> UpstreamFailure {
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
    let class = classify::classify(status, &body);
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
