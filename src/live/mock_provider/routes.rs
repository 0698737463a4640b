//! The mock's routes: find the provider a request names, offer it the attempt, answer when the
//! provider model says so.
//!
//! A success is answered at the attempt's `done_at` (streamed from `first_token_at`), a refusal
//! at its `at`, both mapped from virtual to wall time. `POST /p/{name}/v1/messages` serves the
//! same provider on Anthropic's Messages API ([`super::anthropic_wire`]). It decides only the
//! HTTP shape of what the provider model decided.

use std::convert::Infallible;
use std::sync::Arc;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::StreamExt;
use serde_json::Value;

use super::Mock;
use super::anthropic_wire;
use super::connection::Connection;
use super::embeddings::{self, EmbeddingsRequest};
use super::profile_state::{Offer, ProfileState, Slot};
use super::request::ChatRequest;
use super::wire::{self, Completion, ErrorDetail};
use crate::live::clock;
use crate::router::ErrorClass;
use crate::sim::faults::Rejection;
use crate::time::Time;

/// The header naming the profile of an un-prefixed request.
pub const PROFILE_HEADER: &str = "x-switchyard-profile";

/// Chunks a streamed completion is split into (at most).
const STREAM_CHUNKS: u32 = 16;

/// Request bodies up to this size are read (long prompts test context windows).
const BODY_LIMIT: usize = 64 << 20;

type Shared = Arc<Mock>;

/// The API a request came in on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Api {
    /// OpenAI's chat completions (and Azure's shape of it).
    OpenAi,
    /// Anthropic's Messages API.
    Anthropic,
}

/// The mock's routes over `mock`.
pub(super) fn router(mock: Shared) -> Router {
    let chat = post(chat_prefixed);
    let embed = post(embeddings_prefixed);
    Router::new()
        .route("/health", get(|| async { "ok" }))
        .route("/p/{name}/v1/chat/completions", chat.clone())
        .route("/p/{name}/chat/completions", chat.clone())
        .route(
            "/p/{name}/openai/deployments/{deployment}/chat/completions",
            chat,
        )
        .route("/p/{name}/v1/messages", post(messages_prefixed))
        .route("/p/{name}/v1/embeddings", embed.clone())
        .route("/p/{name}/embeddings", embed.clone())
        .route(
            "/p/{name}/openai/deployments/{deployment}/embeddings",
            embed,
        )
        .route("/v1/chat/completions", post(chat_by_header))
        .route("/chat/completions", post(chat_by_header))
        .route("/v1/embeddings", post(embeddings_by_header))
        .route("/embeddings", post(embeddings_by_header))
        .fallback(|| async { not_found("unknown route") })
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(mock)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found(message: &str) -> Response {
    json_response(
        StatusCode::NOT_FOUND,
        &wire::error_json(message, "invalid_request_error", "not_found"),
    )
}

fn bad_request(message: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &wire::error_json(message, "invalid_request_error", "bad_request"),
    )
}

impl Mock {
    /// The provider served as `name`, or why there is none.
    fn provider(&self, name: Option<&str>) -> Result<Arc<ProfileState>, String> {
        if let Some(state) = name.and_then(|n| self.by_name.get(n)) {
            return Ok(Arc::clone(state));
        }
        let served: Vec<&str> = self.by_name.keys().map(String::as_str).collect();
        Err(match name {
            Some(n) => format!(
                "no deployment or provider profile named {n:?} (served: {})",
                served.join(", ")
            ),
            None => format!("no profile named: use /p/{{name}}/… or the {PROFILE_HEADER} header"),
        })
    }
}

fn path_name(params: &[(String, String)]) -> Option<&str> {
    params
        .iter()
        .find(|(k, _)| k == "name")
        .map(|(_, v)| v.as_str())
}

fn header_name(headers: &HeaderMap) -> Option<&str> {
    headers.get(PROFILE_HEADER).and_then(|v| v.to_str().ok())
}

async fn chat_prefixed(
    State(mock): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    Path(params): Path<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    match mock.provider(path_name(&params)) {
        Ok(state) => chat(&mock, state, &conn, &body, Api::OpenAi).await,
        Err(message) => not_found(&message),
    }
}

async fn messages_prefixed(
    State(mock): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    Path(params): Path<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    match mock.provider(path_name(&params)) {
        Ok(state) => chat(&mock, state, &conn, &body, Api::Anthropic).await,
        Err(message) => json_response(
            StatusCode::NOT_FOUND,
            &anthropic_wire::error_json("not_found_error", &message),
        ),
    }
}

async fn chat_by_header(
    State(mock): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match mock.provider(header_name(&headers)) {
        Ok(state) => chat(&mock, state, &conn, &body, Api::OpenAi).await,
        Err(message) => not_found(&message),
    }
}

async fn embeddings_prefixed(
    State(mock): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    Path(params): Path<Vec<(String, String)>>,
    body: Bytes,
) -> Response {
    match mock.provider(path_name(&params)) {
        Ok(state) => embed(state, &conn, &body).await,
        Err(message) => not_found(&message),
    }
}

async fn embeddings_by_header(
    State(mock): State<Shared>,
    ConnectInfo(conn): ConnectInfo<Connection>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match mock.provider(header_name(&headers)) {
        Ok(state) => embed(state, &conn, &body).await,
        Err(message) => not_found(&message),
    }
}

/// The refusal as the client sees it (in `api`'s shape), at its instant.
async fn refuse(
    state: &ProfileState,
    conn: &Connection,
    (rejection, at): (Rejection, Time),
    input_tokens: u32,
    api: Api,
) -> Response {
    let clock = state.clock();
    clock.sleep_until(at).await;
    if rejection.class == ErrorClass::Connection {
        conn.cut();
    }
    let retry_after_secs = rejection
        .retry_after
        .map(|r| clock.wall_span(r).as_secs_f64().ceil().max(1.0) as u64);
    let detail = ErrorDetail {
        max_input_tokens: state.max_input_tokens,
        input_tokens,
        retry_after_secs,
    };
    let (status, body) = match api {
        Api::OpenAi => (
            rejection.class.status(),
            wire::error_body(rejection.class, &detail),
        ),
        Api::Anthropic => anthropic_wire::error(rejection.class, &detail),
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = json_response(status, &body);
    if let Some(secs) = retry_after_secs {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs));
    }
    response
}

fn unix_secs() -> u64 {
    (clock::now() - Time::ZERO).as_secs()
}

async fn chat(
    mock: &Mock,
    state: Arc<ProfileState>,
    conn: &Connection,
    body: &[u8],
    api: Api,
) -> Response {
    let parsed = match api {
        Api::OpenAi => ChatRequest::parse(body),
        Api::Anthropic => anthropic_wire::parse(body),
    };
    let req = match parsed {
        Ok(r) => r,
        Err(message) if api == Api::Anthropic => {
            let body = anthropic_wire::error_json("invalid_request_error", &message);
            return json_response(StatusCode::BAD_REQUEST, &body);
        }
        Err(message) => return bad_request(&message),
    };
    let class = mock.categories.class_of(req.category.as_deref());
    let slot = match state
        .offer(class, req.input_tokens, req.output_tokens)
        .await
    {
        Offer::Started(slot) => slot,
        Offer::Rejected { rejection, at } => {
            return refuse(&state, conn, (rejection, at), req.input_tokens, api).await;
        }
    };
    let completion = Completion {
        id: match api {
            Api::OpenAi => wire::completion_id(slot.attempt()),
            Api::Anthropic => anthropic_wire::message_id(slot.attempt()),
        },
        created: unix_secs(),
        model: req.model.clone().unwrap_or_else(|| state.profile.clone()),
        input_tokens: req.input_tokens,
        output_tokens: req.output_tokens,
    };
    if req.stream {
        return stream(state.clock(), slot, completion, req.include_usage, api);
    }
    state.clock().sleep_until(slot.done_at()).await;
    drop(slot);
    let answer = match api {
        Api::OpenAi => completion.body(),
        Api::Anthropic => anthropic_wire::message(&completion),
    };
    json_response(StatusCode::OK, &answer)
}

/// The streamed completion: token groups paced evenly from the first token to the last, then
/// the stop chunk, the usage chunk if asked for, and `[DONE]` (on Anthropic's API: its events,
/// from `message_start` to `message_stop`). The slot frees when the stream ends or the client
/// leaves.
fn stream(
    clock: super::profile_state::VirtualClock,
    slot: Slot,
    completion: Completion,
    include_usage: bool,
    api: Api,
) -> Response {
    let (first, done) = (slot.first_token_at(), slot.done_at());
    let groups = wire::token_groups(completion.output_tokens, STREAM_CHUNKS);
    let last = groups.len().saturating_sub(1).max(1) as u32;
    let span = done - first;
    let mut events: Vec<(Time, String)> = groups
        .iter()
        .enumerate()
        .map(|(i, &(from, n))| {
            let at = first + span.mul_f64(i as f64 / f64::from(last));
            let text = match api {
                Api::OpenAi => wire::sse(&completion.content_chunk(from, n)),
                Api::Anthropic if i == 0 => {
                    anthropic_wire::stream_head(&completion) + &anthropic_wire::text_delta(from, n)
                }
                Api::Anthropic => anthropic_wire::text_delta(from, n),
            };
            (at, text)
        })
        .collect();
    let tail = match api {
        Api::OpenAi => {
            let mut tail = wire::sse(&completion.stop_chunk());
            if include_usage {
                tail.push_str(&wire::sse(&completion.usage_chunk()));
            }
            tail.push_str(wire::SSE_DONE);
            tail
        }
        Api::Anthropic => anthropic_wire::stream_tail(&completion),
    };
    events.push((done, tail));
    let body = futures_util::stream::iter(events).then(move |(at, text)| {
        // The slot lives as long as the stream.
        let _held = &slot;
        async move {
            clock.sleep_until(at).await;
            Ok::<_, Infallible>(Bytes::from(text))
        }
    });
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/event-stream"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        Body::from_stream(body),
    )
        .into_response()
}

async fn embed(state: Arc<ProfileState>, conn: &Connection, body: &[u8]) -> Response {
    let req = match EmbeddingsRequest::parse(body) {
        Ok(r) => r,
        Err(message) => return bad_request(&message),
    };
    let slot = match state.offer(0, req.input_tokens, 0).await {
        Offer::Started(slot) => slot,
        Offer::Rejected { rejection, at } => {
            return refuse(&state, conn, (rejection, at), req.input_tokens, Api::OpenAi).await;
        }
    };
    state.clock().sleep_until(slot.done_at()).await;
    drop(slot);
    let model = req.model.clone().unwrap_or_else(|| state.profile.clone());
    json_response(StatusCode::OK, &embeddings::body(&req, &model))
}
