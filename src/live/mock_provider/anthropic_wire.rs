//! Anthropic-shaped bodies for a deployment served on the Messages API (`POST
//! /p/{name}/v1/messages`): the request as the provider model reads it, the `message` answer, the
//! event stream and errors by class.
//!
//! A request's prompt tokens are a quarter of the characters of `system` and every message's
//! text, as on the OpenAI endpoint; `max_tokens` is required, as Anthropic requires it. Its
//! completion is `max_tokens` tokens long, except that a `max_tokens` of 4096 or more is read as a
//! gateway's default cap (LiteLLM fills in 4096 or the model's largest output) rather than a
//! requested length, and the answer then ends its turn after
//! [`super::request::DEFAULT_OUTPUT_TOKENS`]. Errors are
//! `{"type": "error", "error": {"type", "message"}}` with Anthropic's statuses and wording where
//! gateways read the words: 529 `overloaded_error` for a provider that is unavailable, "prompt is
//! too long: N tokens > M maximum" for a context window, "content filtering policy" for a
//! content filter. It decides only the bytes.

use serde_json::{Value, json};

use super::request::{self, ChatRequest, DEFAULT_OUTPUT_TOKENS};
use super::wire::{self, Completion, ErrorDetail};
use crate::router::ErrorClass;

/// The smallest `max_tokens` read as a gateway's default cap rather than a requested length.
pub const DEFAULT_CAP: u64 = 4096;

/// Reads a Messages request; `Err` says what is wrong with it (as Anthropic's 400 would).
pub fn parse(body: &[u8]) -> Result<ChatRequest, String> {
    let v: Value = serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
    let messages = v
        .get("messages")
        .and_then(Value::as_array)
        .ok_or("messages: Field required")?;
    let max_tokens = v
        .get("max_tokens")
        .and_then(Value::as_u64)
        .ok_or("max_tokens: Field required")?;
    let system = v
        .get("system")
        .map(request::content_text)
        .unwrap_or_default();
    let mut chars = system.chars().count();
    let mut category = None;
    for m in messages {
        let text = m
            .get("content")
            .map(request::content_text)
            .unwrap_or_default();
        chars += text.chars().count();
        if category.is_none() && m.get("role").and_then(Value::as_str) == Some("user") {
            category = Some(request::category_of(&text));
        }
    }
    let output = if max_tokens >= DEFAULT_CAP {
        DEFAULT_OUTPUT_TOKENS
    } else {
        u32::try_from(max_tokens).unwrap_or(u32::MAX)
    };
    Ok(ChatRequest {
        model: v.get("model").and_then(Value::as_str).map(str::to_string),
        input_tokens: request::tokens_of_chars(chars),
        output_tokens: output,
        stream: v.get("stream").and_then(Value::as_bool) == Some(true),
        include_usage: false,
        category: category.flatten(),
    })
}

/// The Messages answer's `id`, distinct per attempt.
pub fn message_id(attempt: u64) -> String {
    format!("msg_mock{attempt:08x}")
}

/// The `message` answer.
pub fn message(c: &Completion) -> Value {
    json!({
        "id": c.id,
        "type": "message",
        "role": "assistant",
        "model": c.model,
        "content": [{"type": "text", "text": wire::text(0, c.output_tokens)}],
        "stop_reason": "end_turn",
        "stop_sequence": null,
        "usage": {"input_tokens": c.input_tokens, "output_tokens": c.output_tokens},
    })
}

/// One server-sent event of Anthropic's: its name and data.
fn event(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// The events before the first text: `message_start`, `content_block_start`, `ping`.
pub fn stream_head(c: &Completion) -> String {
    let start = json!({"type": "message_start", "message": {
        "id": c.id, "type": "message", "role": "assistant", "model": c.model, "content": [],
        "stop_reason": null, "stop_sequence": null,
        "usage": {"input_tokens": c.input_tokens, "output_tokens": 1},
    }});
    let block = json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}});
    let mut out = event("message_start", &start);
    out.push_str(&event("content_block_start", &block));
    out.push_str(&event("ping", &json!({"type": "ping"})));
    out
}

/// The `text_delta` carrying tokens `from..from + n`.
pub fn text_delta(from: u32, n: u32) -> String {
    let delta = json!({"type": "content_block_delta", "index": 0,
        "delta": {"type": "text_delta", "text": wire::text(from, n)}});
    event("content_block_delta", &delta)
}

/// The events after the last text: `content_block_stop`, `message_delta` with the stop reason
/// and output tokens, `message_stop`.
pub fn stream_tail(c: &Completion) -> String {
    let delta = json!({"type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": null},
        "usage": {"output_tokens": c.output_tokens}});
    let mut out = event(
        "content_block_stop",
        &json!({"type": "content_block_stop", "index": 0}),
    );
    out.push_str(&event("message_delta", &delta));
    out.push_str(&event("message_stop", &json!({"type": "message_stop"})));
    out
}

/// `(status, type, message)` of an error of `class`, as Anthropic answers it.
fn wording(class: ErrorClass, detail: &ErrorDetail) -> (u16, &'static str, String) {
    let simple = |status, kind, message: &str| (status, kind, message.to_string());
    match class {
        ErrorClass::RateLimit => simple(
            429,
            "rate_limit_error",
            "This request would exceed your organization's rate limit. Please try again later.",
        ),
        ErrorClass::ServiceUnavailable => simple(529, "overloaded_error", "Overloaded"),
        ErrorClass::InternalServer => simple(500, "api_error", "Internal server error"),
        ErrorClass::BadGateway => simple(502, "api_error", "Bad gateway"),
        ErrorClass::Timeout => simple(504, "timeout_error", "Request timed out"),
        ErrorClass::ContextWindowExceeded => (
            400,
            "invalid_request_error",
            format!(
                "prompt is too long: {} tokens > {} maximum",
                detail.input_tokens,
                detail.max_input_tokens.unwrap_or(0)
            ),
        ),
        ErrorClass::ContentPolicyViolation => simple(
            400,
            "invalid_request_error",
            "Output blocked by content filtering policy",
        ),
        ErrorClass::Authentication => simple(401, "authentication_error", "invalid x-api-key"),
        ErrorClass::PermissionDenied => simple(
            403,
            "permission_error",
            "Your API key does not have permission to use the specified resource.",
        ),
        ErrorClass::NotFound => simple(404, "not_found_error", "model: not found"),
        ErrorClass::BadRequest
        | ErrorClass::Connection
        | ErrorClass::NoDeploymentsAvailable
        | ErrorClass::BudgetExceeded
        | ErrorClass::TagsNotAllowed
        | ErrorClass::UnknownModel => (
            class.status(),
            "invalid_request_error",
            format!("{} ({})", class.litellm_exception(), class.status()),
        ),
    }
}

/// The status and error body of `class`.
pub fn error(class: ErrorClass, detail: &ErrorDetail) -> (u16, Value) {
    let (status, kind, message) = wording(class, detail);
    (status, error_json(kind, &message))
}

/// An Anthropic-shaped error body.
pub fn error_json(kind: &str, message: &str) -> Value {
    json!({"type": "error", "error": {"type": kind, "message": message}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_counts_system_and_messages_and_reads_its_length() {
        let body = br#"{"model": "claude", "max_tokens": 7, "stream": true,
            "system": [{"type": "text", "text": "abcd"}],
            "messages": [{"role": "user", "content": [{"type": "text", "text": "[switchyard category=edgy] hi"}]}]}"#;
        let r = parse(body).unwrap();
        assert_eq!(r.input_tokens, (4 + 29_u32).div_ceil(4));
        assert_eq!((r.output_tokens, r.stream), (7, true));
        assert_eq!(r.category.as_deref(), Some("edgy"));
        let capped = parse(br#"{"max_tokens": 4096, "messages": []}"#).unwrap();
        assert_eq!(capped.output_tokens, DEFAULT_OUTPUT_TOKENS);
        assert!(
            parse(br#"{"messages": []}"#)
                .unwrap_err()
                .contains("max_tokens")
        );
    }

    #[test]
    fn errors_use_anthropic_s_statuses_and_words() {
        let detail = ErrorDetail {
            max_input_tokens: Some(8),
            input_tokens: 9,
            retry_after_secs: None,
        };
        let (status, body) = error(ErrorClass::ContextWindowExceeded, &detail);
        assert_eq!(status, 400);
        assert_eq!(
            body["error"]["message"],
            "prompt is too long: 9 tokens > 8 maximum"
        );
        let (status, body) = error(ErrorClass::ServiceUnavailable, &detail);
        assert_eq!(
            (status, body["error"]["type"].as_str()),
            (529, Some("overloaded_error"))
        );
        assert_eq!(error(ErrorClass::RateLimit, &detail).0, 429);
    }
}
