//! One request on the wire: post the body, read the answer to its end, time it.
//!
//! Every way a request can end becomes an [`Exchange`]: an answer read to its end, an error
//! answer classified by [`classify`], a stream that broke or carried an error event, no answer
//! (a connection error) or the client's own timeout. Spans are measured from the instant the
//! request was due, on the wall clock (read through [`clock`], the live edge).

use std::time::Duration;

use reqwest::header::{CONTENT_TYPE, HeaderValue};

use super::classify::{ErrorBody, classify};
use super::observed::{Answer, Exchange, GatewayHeaders, Usage};
use super::sse::SseReader;
use crate::live::clock;
use crate::router::ErrorClass;
use crate::time::Time;

/// Where and how to send.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// The HTTP client (its connection pool is shared by every request).
    pub client: reqwest::Client,
    /// The chat-completions URL.
    pub url: String,
    /// The bearer key, if any.
    pub key: Option<String>,
}

/// Sends `body` (JSON bytes) and reads the answer, giving up after `timeout`; `due` is when the
/// request was due, the origin of every span.
pub async fn send(
    endpoint: &Endpoint,
    body: Vec<u8>,
    stream: bool,
    timeout: Duration,
    due: Time,
) -> Exchange {
    match tokio::time::timeout(timeout, exchange(endpoint, body, stream, due)).await {
        Ok(exchange) => exchange,
        Err(_) => Exchange::failed(ErrorClass::Timeout, clock::now() - due),
    }
}

fn transport_class(e: &reqwest::Error) -> ErrorClass {
    if e.is_timeout() {
        ErrorClass::Timeout
    } else {
        ErrorClass::Connection
    }
}

async fn exchange(endpoint: &Endpoint, body: Vec<u8>, stream: bool, due: Time) -> Exchange {
    let mut request = endpoint
        .client
        .post(&endpoint.url)
        .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
        .body(body);
    if let Some(key) = &endpoint.key {
        request = request.bearer_auth(key);
    }
    let mut response = match request.send().await {
        Ok(r) => r,
        Err(e) => return Exchange::failed(transport_class(&e), clock::now() - due),
    };
    let status = response.status();
    let headers = GatewayHeaders::read(response.headers());
    // `recoded`: the gateway answered 429 for an error of another class.
    let failed = |class, recoded, headers| Exchange {
        answer: Answer::Failed { class, recoded },
        headers,
        first_token: None,
        latency: clock::now() - due,
    };
    if !status.is_success() {
        let bytes = response.bytes().await.unwrap_or_default();
        let class = classify(status.as_u16(), &ErrorBody::parse(&bytes));
        let recoded = status.as_u16() == 429 && class.status() != 429;
        return failed(class, recoded, headers);
    }
    if !stream {
        return match response.bytes().await {
            Ok(bytes) => {
                let latency = clock::now() - due;
                let usage = serde_json::from_slice(&bytes)
                    .ok()
                    .and_then(|v| Usage::of(&v));
                Exchange {
                    answer: Answer::Served { usage },
                    headers,
                    first_token: Some(latency),
                    latency,
                }
            }
            Err(e) => failed(transport_class(&e), false, headers),
        };
    }
    let mut events = SseReader::default();
    let mut first_token = None;
    loop {
        match response.chunk().await {
            Ok(Some(bytes)) => {
                if events.feed(&bytes) {
                    first_token = Some(clock::now() - due);
                }
            }
            Ok(None) => break,
            Err(e) => return failed(transport_class(&e), false, headers),
        }
    }
    events.finish();
    let latency = clock::now() - due;
    let answer = match events.error {
        Some(class) => Answer::Failed {
            class,
            recoded: false,
        },
        None => Answer::Served {
            usage: events.usage,
        },
    };
    Exchange {
        answer,
        headers,
        first_token: first_token.filter(|_| matches!(answer, Answer::Served { .. })),
        latency,
    }
}
