//! Streaming answers: the upstream's server-sent events passed through as they arrive.
//!
//! Retries and fallbacks happen only before the first byte reaches the client ([`open`] fails
//! back to the exchange's loop until then); after it, an upstream failure ends the stream with
//! an error event. The attempt's outcome — time to first token, tokens from the usage chunk (or
//! one per content chunk when the upstream sends none) — reaches the router when the stream
//! ends. A client that disconnects drops the stream: the upstream request is cancelled and the
//! exchange hands its attempt back to the router.
//!
//! An upstream that speaks another API (Anthropic's Messages events) is translated event by event
//! ([`StreamTranslator`]); its first byte is the first translated chunk, so an `error` event
//! before any text is an attempt's failure that may still be retried or fall back, and its token
//! counts come from the upstream's own usage events whether or not the client asked for a usage
//! chunk. An OpenAI stream passes through untouched. It decides nothing the router decides.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures_util::StreamExt;
use serde_json::Value;

use super::Proxy;
use super::exchange::Exchange;
use super::usage::{Usage, usage_in};
use crate::live::upstream::anthropic::stream::{StreamError, StreamTranslator};
use crate::live::upstream::{Endpoint, UpstreamFailure, timed_out, transport_failure};
use crate::router::{CallResult, DeploymentIdx, ErrorClass, Step};
use crate::time::Time;

type Chunks = futures_util::stream::BoxStream<'static, reqwest::Result<Bytes>>;

/// An upstream stream whose first bytes have arrived.
pub(super) struct Opened {
    deployment: DeploymentIdx,
    chunks: Chunks,
    first: Bytes,
    ttft: Duration,
    timeout: Duration,
    deadline: Time,
    /// The translation into OpenAI chunks, for an upstream that speaks another API.
    translator: Option<StreamTranslator>,
    /// An `error` event that came in the same bytes as the first text: it follows that text.
    error_after_first: Option<StreamError>,
}

/// Sends the streaming request and waits, within `timeout`, for its first bytes (translated,
/// with a `translator`).
pub(super) async fn open(
    proxy: &Arc<Proxy>,
    deployment: DeploymentIdx,
    bytes: Bytes,
    timeout: Duration,
    mut translator: Option<StreamTranslator>,
) -> Result<Opened, UpstreamFailure> {
    let sent = proxy.clock.now();
    let posted = proxy.upstreams.post(deployment, Endpoint::Chat, bytes);
    let response = match tokio::time::timeout(proxy.clock.wall_span(timeout), posted).await {
        Err(_) => return Err(timed_out(timeout)),
        Ok(answer) => answer?,
    };
    let mut chunks: Chunks = response.bytes_stream().boxed();
    let deadline = sent + timeout;
    let mut error_after_first = None;
    let first = loop {
        let first = match tokio::time::timeout(
            proxy.clock.wall_span(deadline - proxy.clock.now()),
            chunks.next(),
        )
        .await
        {
            Err(_) => return Err(timed_out(timeout)),
            Ok(None) => return Err(empty_stream()),
            Ok(Some(Err(e))) => return Err(transport_failure(&e)),
            Ok(Some(Ok(first))) => first,
        };
        let Some(translator) = translator.as_mut() else {
            break first;
        };
        let fed = translator.feed(&first);
        if !fed.out.is_empty() {
            error_after_first = fed.error;
            break Bytes::from(fed.out);
        }
        if let Some(error) = fed.error {
            return Err(stream_failure(error));
        }
    };
    Ok(Opened {
        deployment,
        chunks,
        first,
        ttft: proxy.clock.now() - sent,
        timeout,
        deadline,
        translator,
        error_after_first,
    })
}

/// An upstream's `error` event as an attempt's failure.
fn stream_failure(error: StreamError) -> UpstreamFailure {
    UpstreamFailure {
        class: error.class,
        retry_after: None,
        status: Some(error.status),
        message: error.message,
    }
}

fn empty_stream() -> UpstreamFailure {
    UpstreamFailure {
        class: ErrorClass::BadGateway,
        retry_after: None,
        status: None,
        message: "the upstream closed the stream before its first event".into(),
    }
}

/// What the relay keeps while the stream flows.
struct Relay {
    exchange: Exchange,
    opened: Opened,
    /// Bytes of an event line not yet complete.
    pending: Vec<u8>,
    usage: Option<Usage>,
    content_chunks: u32,
    first_sent: bool,
    over: bool,
}

/// The streaming response: headers now, events as they come.
pub(super) fn respond(exchange: Exchange, opened: Opened) -> Response {
    let (retries, fallbacks) = exchange.call.retries_and_fallbacks();
    let mut headers = axum::http::HeaderMap::new();
    exchange.add_served_headers(&mut headers, opened.deployment, retries, fallbacks);
    let relay = Relay {
        exchange,
        opened,
        pending: Vec::new(),
        usage: None,
        content_chunks: 0,
        first_sent: false,
        over: false,
    };
    let events = futures_util::stream::unfold(relay, |mut relay| async move {
        let chunk = relay.next_chunk().await?;
        Some((Ok::<Bytes, std::convert::Infallible>(chunk), relay))
    });
    let mut response = (
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
        ],
        Body::from_stream(events),
    )
        .into_response();
    response.headers_mut().extend(headers);
    response
}

impl Relay {
    /// The next bytes for the client, `None` at the end.
    async fn next_chunk(&mut self) -> Option<Bytes> {
        if self.over {
            return None;
        }
        if !self.first_sent {
            self.first_sent = true;
            let first = std::mem::take(&mut self.opened.first);
            self.scan(&first);
            return Some(first);
        }
        if let Some(error) = self.opened.error_after_first.take() {
            return Some(self.broken(stream_failure(error)));
        }
        loop {
            let clock = self.exchange.proxy.clock;
            let left = clock.wall_span(self.opened.deadline - clock.now());
            return match tokio::time::timeout(left, self.opened.chunks.next()).await {
                Ok(Some(Ok(bytes))) if self.opened.translator.is_some() => {
                    let out = self.translate(&bytes);
                    if out.is_empty() {
                        // Events that send the client nothing (`ping` and the like).
                        continue;
                    }
                    Some(out)
                }
                Ok(Some(Ok(bytes))) => {
                    self.scan(&bytes);
                    Some(bytes)
                }
                Ok(None) => {
                    self.over = true;
                    self.served();
                    None
                }
                Ok(Some(Err(e))) => Some(self.broken(transport_failure(&e))),
                Err(_) => Some(self.broken(timed_out(self.opened.timeout))),
            };
        }
    }

    /// Reads complete `data:` lines for usage and content.
    fn scan(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            let Some(data) = line.strip_prefix(b"data:") else {
                continue;
            };
            let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
                continue;
            };
            if let Some(usage) = usage_in(&event) {
                self.usage = Some(usage);
            }
            let content = event
                .pointer("/choices/0/delta/content")
                .and_then(Value::as_str);
            if content.is_some_and(|c| !c.is_empty()) {
                self.content_chunks += 1;
            }
        }
    }

    /// Upstream bytes translated for the client (possibly none yet); an `error` event ends the
    /// stream after what came before it.
    fn translate(&mut self, bytes: &[u8]) -> Bytes {
        let Some(translator) = self.opened.translator.as_mut() else {
            return Bytes::copy_from_slice(bytes);
        };
        let fed = translator.feed(bytes);
        self.scan(&fed.out);
        let mut out = fed.out;
        if let Some(error) = fed.error {
            out.extend_from_slice(&self.broken(stream_failure(error)));
        }
        Bytes::from(out)
    }

    /// The stream ended well: the router hears of the success, the log of the request.
    fn served(&mut self) {
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        let translated = self.opened.translator.as_ref().and_then(|t| t.usage());
        let translated = translated.map(|(input, output)| Usage {
            input: clamp(input),
            output: clamp(output),
        });
        let usage = translated.or(self.usage).unwrap_or(Usage {
            input: self.exchange.call.spec().input_tokens,
            output: self.content_chunks,
        });
        self.exchange.succeeded(usage, Some(self.opened.ttft));
        let now = self.exchange.proxy.clock.now();
        let exchange = &mut self.exchange;
        let step = exchange.next_step(now);
        if let Step::Finish(CallResult::Served(s)) = step {
            exchange.log_served(s.deployment, s.retries, s.fallbacks, &[]);
        } else {
            exchange.write_log();
        }
    }

    /// The upstream failed after the first byte: the router hears of the failure, the client
    /// gets an error event and the end of the stream.
    fn broken(&mut self, failure: UpstreamFailure) -> Bytes {
        self.over = true;
        let class = failure.class;
        let message = failure.message.clone();
        self.exchange.failed(failure);
        self.exchange.line.status = 200;
        self.exchange.line.error_class = Some(class.name());
        self.exchange.write_log();
        let event = serde_json::json!({
            "error": {"message": format!("the upstream failed mid-stream: {message}"), "type": "api_error", "param": null, "code": class.status().to_string()}
        });
        Bytes::from(format!("data: {event}\n\n"))
    }
}
