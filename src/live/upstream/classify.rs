//! An upstream's answer, classified once into the core's [`ErrorClass`]es (linkerd's "classify,
//! then decide"): the status code, the `Retry-After` it sent, and the body patterns that mean
//! context-window exceeded or content policy. Retry, cooldown and fallback code only ever see
//! the class.
//!
//! The mapping follows LiteLLM's `exception_mapping_utils` for OpenAI-compatible and Azure
//! upstreams (docs/litellm-compat.md, "Upstream errors"). It decides nothing else.

use std::time::Duration;

use crate::router::ErrorClass;

/// Phrases in an error body that mean the prompt does not fit the model's context window.
const CONTEXT_WINDOW: &[&str] = &[
    "context_length_exceeded",
    "maximum context length",
    "context window",
    "contextwindowexceeded",
    "prompt is too long",
    "too many tokens",
    "input is too long",
];

/// Phrases that mean a content-policy refusal (OpenAI's and Azure's wording).
const CONTENT_POLICY: &[&str] = &[
    "content_policy",
    "content policy",
    "content management policy",
    "content_filter",
    "responsibleaipolicyviolation",
    "safety system",
];

/// The class of an upstream answer with `status` (not 2xx) and `body`.
pub fn classify(status: u16, body: &[u8]) -> ErrorClass {
    match status {
        429 => ErrorClass::RateLimit,
        408 | 504 => ErrorClass::Timeout,
        502 => ErrorClass::BadGateway,
        503 => ErrorClass::ServiceUnavailable,
        401 => ErrorClass::Authentication,
        403 => ErrorClass::PermissionDenied,
        404 => ErrorClass::NotFound,
        400 | 413 | 422 => classify_bad_request(body),
        s if s >= 500 => ErrorClass::InternalServer,
        _ => ErrorClass::BadRequest,
    }
}

/// A 400 is a context-window or content-policy error when its body says so.
fn classify_bad_request(body: &[u8]) -> ErrorClass {
    let text = String::from_utf8_lossy(body).to_ascii_lowercase();
    if CONTEXT_WINDOW.iter().any(|p| text.contains(p)) {
        ErrorClass::ContextWindowExceeded
    } else if CONTENT_POLICY.iter().any(|p| text.contains(p)) {
        ErrorClass::ContentPolicyViolation
    } else {
        ErrorClass::BadRequest
    }
}

/// The wait an upstream asked for: `retry-after-ms`, else `Retry-After` in seconds (an HTTP
/// date is not honoured, as in LiteLLM).
pub fn retry_after(retry_after_ms: Option<&str>, retry_after: Option<&str>) -> Option<Duration> {
    if let Some(ms) = retry_after_ms.and_then(|v| v.trim().parse::<f64>().ok())
        && ms.is_finite()
        && ms >= 0.0
    {
        return Some(Duration::from_secs_f64(ms / 1000.0));
    }
    let secs = retry_after?.trim().parse::<f64>().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(86_400.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_and_bodies_map_to_the_core_s_classes() {
        assert_eq!(classify(429, b""), ErrorClass::RateLimit);
        assert_eq!(classify(500, b""), ErrorClass::InternalServer);
        assert_eq!(classify(529, b"overloaded"), ErrorClass::InternalServer);
        assert_eq!(classify(504, b""), ErrorClass::Timeout);
        assert_eq!(classify(401, b""), ErrorClass::Authentication);
        let openai = br#"{"error":{"message":"This model's maximum context length is 8192 tokens. However, your messages resulted in 9000 tokens.","code":"context_length_exceeded"}}"#;
        assert_eq!(classify(400, openai), ErrorClass::ContextWindowExceeded);
        let azure = br#"{"error":{"message":"The response was filtered due to the prompt triggering Azure OpenAI's content management policy.","code":"content_filter"}}"#;
        assert_eq!(classify(400, azure), ErrorClass::ContentPolicyViolation);
        assert_eq!(
            classify(400, br#"{"error":{"message":"bad"}}"#),
            ErrorClass::BadRequest
        );
        assert_eq!(classify(409, b""), ErrorClass::BadRequest);
    }

    #[test]
    fn retry_after_prefers_milliseconds_and_ignores_dates() {
        assert_eq!(
            retry_after(Some("1500"), Some("9")),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(retry_after(None, Some("3")), Some(Duration::from_secs(3)));
        assert_eq!(
            retry_after(None, Some("Wed, 21 Oct 2015 07:28:00 GMT")),
            None
        );
        assert_eq!(retry_after(None, Some("-1")), None);
        assert_eq!(retry_after(None, None), None);
    }
}
