//! Anthropic's errors, classified into the core's classes as LiteLLM 1.108.7's
//! `_map_anthropic_exception` does.
//!
//! The body is read first, whatever the status: "prompt is too long", "prompt: length" or one of
//! LiteLLM's context-window phrases → context window exceeded; `overloaded_error` or
//! "Overloaded" → internal server error (so Anthropic's 529 cools a deployment like a 500, for
//! Retry-After or the router's cooldown time); "Invalid API Key" → authentication; "content
//! filtering policy" → content policy. Then the status: 401, 403, 400 and 413 (bad request), 404,
//! 408 (timeout), 429 (rate limit), 500 and 529, 502, 503, 504 (timeout); any other 5xx is an
//! internal server error (LiteLLM's `APIError`), any other status a bad request. It decides
//! only the class.

use crate::router::ErrorClass;

/// LiteLLM's `ExceptionCheckers.is_error_str_context_window_exceeded` phrases (lowercase).
const CONTEXT_WINDOW: &[&str] = &[
    "exceed context limit",
    "this model's maximum context length is",
    "model's maximum context limit",
    "is longer than the model's context length",
    "input tokens exceed the configured limit",
    "exceeds the available context size",
    "exceeds the maximum number of tokens allowed",
];

/// The class of an Anthropic answer with `status` (not 2xx) and `body`.
pub fn classify(status: u16, body: &[u8]) -> ErrorClass {
    let text = String::from_utf8_lossy(body);
    if let Some(class) = classify_by_words(&text) {
        return class;
    }
    match status {
        401 => ErrorClass::Authentication,
        403 => ErrorClass::PermissionDenied,
        404 => ErrorClass::NotFound,
        408 | 504 => ErrorClass::Timeout,
        429 => ErrorClass::RateLimit,
        502 => ErrorClass::BadGateway,
        503 => ErrorClass::ServiceUnavailable,
        s if s >= 500 => ErrorClass::InternalServer,
        _ => ErrorClass::BadRequest,
    }
}

/// The class the error's words decide, before its status is looked at.
fn classify_by_words(text: &str) -> Option<ErrorClass> {
    let lower = text.to_lowercase();
    if text.contains("prompt is too long")
        || text.contains("prompt: length")
        || CONTEXT_WINDOW.iter().any(|p| lower.contains(p))
    {
        Some(ErrorClass::ContextWindowExceeded)
    } else if text.contains("overloaded_error") || text.contains("Overloaded") {
        Some(ErrorClass::InternalServer)
    } else if text.contains("Invalid API Key") {
        Some(ErrorClass::Authentication)
    } else if text.contains("content filtering policy") {
        Some(ErrorClass::ContentPolicyViolation)
    } else {
        None
    }
}

/// The HTTP status Anthropic answers an error `type` with (for an `error` event in a stream,
/// which carries only the type).
pub fn status_of_type(kind: &str) -> u16 {
    match kind {
        "invalid_request_error" => 400,
        "authentication_error" => 401,
        "permission_error" => 403,
        "not_found_error" => 404,
        "request_too_large" => 413,
        "rate_limit_error" => 429,
        "timeout_error" => 504,
        "overloaded_error" => 529,
        _ => 500,
    }
}

/// The `error.message` of an Anthropic error body, if it has one.
pub fn message_of(body: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(body).ok()?;
    let error = v.get("error")?;
    let message = error.get("message")?.as_str()?;
    Some(match error.get("type").and_then(|t| t.as_str()) {
        Some(kind) => format!("AnthropicError {kind}: {message}"),
        None => format!("AnthropicError: {message}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(kind: &str, message: &str) -> Vec<u8> {
        serde_json::json!({"type": "error", "error": {"type": kind, "message": message}})
            .to_string()
            .into_bytes()
    }

    #[test]
    fn statuses_map_as_litellm_s_anthropic_mapping() {
        let plain = body("api_error", "something");
        assert_eq!(
            classify(429, &body("rate_limit_error", "slow down")),
            ErrorClass::RateLimit
        );
        assert_eq!(
            classify(529, &body("overloaded_error", "Overloaded")),
            ErrorClass::InternalServer
        );
        assert_eq!(classify(529, &plain), ErrorClass::InternalServer);
        assert_eq!(classify(500, &plain), ErrorClass::InternalServer);
        assert_eq!(classify(520, &plain), ErrorClass::InternalServer);
        assert_eq!(classify(503, &plain), ErrorClass::ServiceUnavailable);
        assert_eq!(classify(502, &plain), ErrorClass::BadGateway);
        assert_eq!(classify(504, &plain), ErrorClass::Timeout);
        assert_eq!(classify(408, &plain), ErrorClass::Timeout);
        assert_eq!(
            classify(401, &body("authentication_error", "invalid x-api-key")),
            ErrorClass::Authentication
        );
        assert_eq!(classify(403, &plain), ErrorClass::PermissionDenied);
        assert_eq!(classify(404, &plain), ErrorClass::NotFound);
        assert_eq!(
            classify(413, &body("request_too_large", "too big")),
            ErrorClass::BadRequest
        );
        assert_eq!(classify(409, &plain), ErrorClass::BadRequest);
        assert_eq!(classify(400, &plain), ErrorClass::BadRequest);
    }

    #[test]
    fn the_words_decide_before_the_status() {
        let long = body(
            "invalid_request_error",
            "prompt is too long: 210000 tokens > 200000 maximum",
        );
        assert_eq!(classify(400, &long), ErrorClass::ContextWindowExceeded);
        assert_eq!(classify(500, &long), ErrorClass::ContextWindowExceeded);
        let limit = body(
            "invalid_request_error",
            "input length and `max_tokens` exceed context limit: 197000 + 8192 > 200000",
        );
        assert_eq!(classify(400, &limit), ErrorClass::ContextWindowExceeded);
        assert_eq!(
            classify(429, &body("rate_limit_error", "Overloaded")),
            ErrorClass::InternalServer
        );
        assert_eq!(
            classify(400, &body("invalid_request_error", "Invalid API Key")),
            ErrorClass::Authentication
        );
        let filtered = body(
            "invalid_request_error",
            "Output blocked by content filtering policy",
        );
        assert_eq!(classify(400, &filtered), ErrorClass::ContentPolicyViolation);
    }

    #[test]
    fn stream_error_types_have_anthropic_s_statuses_and_messages_are_read() {
        assert_eq!(status_of_type("overloaded_error"), 529);
        assert_eq!(status_of_type("rate_limit_error"), 429);
        assert_eq!(status_of_type("whatever"), 500);
        assert_eq!(
            message_of(&body("overloaded_error", "Overloaded")).as_deref(),
            Some("AnthropicError overloaded_error: Overloaded")
        );
        assert_eq!(message_of(b"not json"), None);
    }
}
