//! OpenAI-shaped bodies: chat completions, stream chunks, and errors by class.
//!
//! Error bodies are `{"error": {"message", "type", "param": null, "code"}}`, worded as the
//! providers word them where gateways read the words: OpenAI's "maximum context length" for a
//! context window, Azure's "content management policy" for a content filter. It decides only the
//! bytes; when they are sent is the server's business.

use serde_json::{Value, json};

use crate::router::ErrorClass;

const WORDS: &[&str] = &[
    "the",
    "switchyard",
    "mock",
    "provider",
    "answers",
    "with",
    "steady",
    "synthetic",
    "tokens",
    "so",
    "a",
    "gateway",
    "can",
    "be",
    "tested",
    "offline",
];

/// `n` tokens of deterministic text, starting at token `from`: one word per token, each after
/// a space but the very first (so consecutive pieces concatenate to the whole).
pub fn text(from: u32, n: u32) -> String {
    let mut out = String::new();
    for i in from..from.saturating_add(n) {
        if i > 0 {
            out.push(' ');
        }
        out.push_str(WORDS[i as usize % WORDS.len()]);
    }
    out
}

/// The response's `id`, distinct per attempt.
pub fn completion_id(attempt: u64) -> String {
    format!("chatcmpl-mock{attempt:08x}")
}

fn usage(input_tokens: u32, output_tokens: u32) -> Value {
    json!({
        "prompt_tokens": input_tokens,
        "completion_tokens": output_tokens,
        "total_tokens": u64::from(input_tokens) + u64::from(output_tokens),
    })
}

/// What every body of one completion shares.
#[derive(Debug, Clone)]
pub struct Completion {
    /// `id`.
    pub id: String,
    /// `created`, in Unix seconds.
    pub created: u64,
    /// `model`: the request's.
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens.
    pub output_tokens: u32,
}

impl Completion {
    /// The `chat.completion` body.
    pub fn body(&self) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": {"role": "assistant", "content": text(0, self.output_tokens)},
                "finish_reason": "stop",
            }],
            "usage": usage(self.input_tokens, self.output_tokens),
        })
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        })
    }

    /// A chunk carrying tokens `from..from + n` (the first one also carries the role).
    pub fn content_chunk(&self, from: u32, n: u32) -> Value {
        let content = text(from, n);
        let delta = if from == 0 {
            json!({"role": "assistant", "content": content})
        } else {
            json!({"content": content})
        };
        self.chunk(delta, None)
    }

    /// The chunk that ends the choice.
    pub fn stop_chunk(&self) -> Value {
        self.chunk(json!({}), Some("stop"))
    }

    /// The usage chunk (`stream_options.include_usage`): no choices.
    pub fn usage_chunk(&self) -> Value {
        json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [],
            "usage": usage(self.input_tokens, self.output_tokens),
        })
    }
}

/// One server-sent event carrying `data`.
pub fn sse(data: &Value) -> String {
    format!("data: {data}\n\n")
}

/// The event that ends a stream.
pub const SSE_DONE: &str = "data: [DONE]\n\n";

/// Splits `n` tokens into at most `chunks` groups as even as possible: `(from, len)` pairs.
pub fn token_groups(n: u32, chunks: u32) -> Vec<(u32, u32)> {
    let k = chunks.clamp(1, n.max(1));
    (0..k)
        .map(|i| {
            let from = (u64::from(n) * u64::from(i) / u64::from(k)) as u32;
            let to = (u64::from(n) * u64::from(i + 1) / u64::from(k)) as u32;
            (from, to - from)
        })
        .collect()
}

/// The details of an error body: what the provider says beyond its class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ErrorDetail {
    /// The context window (context-window errors).
    pub max_input_tokens: Option<u64>,
    /// The request's prompt tokens (context-window errors).
    pub input_tokens: u32,
    /// Retry-After in wall seconds (rate limits).
    pub retry_after_secs: Option<u64>,
}

/// `(type, code, message)` of an error of `class`.
fn wording(class: ErrorClass, detail: &ErrorDetail) -> (&'static str, &'static str, String) {
    let simple = |kind, code, message: &str| (kind, code, message.to_string());
    match class {
        ErrorClass::RateLimit => (
            "requests",
            "rate_limit_exceeded",
            match detail.retry_after_secs {
                Some(s) => format!("Rate limit reached. Please try again in {s}s."),
                None => "Rate limit reached. Please try again later.".to_string(),
            },
        ),
        ErrorClass::Timeout => simple("timeout", "timeout", "Request timed out."),
        ErrorClass::InternalServer => simple(
            "server_error",
            "internal_server_error",
            "The server had an error while processing your request.",
        ),
        ErrorClass::BadGateway => simple("server_error", "bad_gateway", "Bad gateway."),
        ErrorClass::ServiceUnavailable => simple(
            "server_error",
            "service_unavailable",
            "The server is overloaded or not ready yet.",
        ),
        ErrorClass::ContextWindowExceeded => (
            "invalid_request_error",
            "context_length_exceeded",
            format!(
                "This model's maximum context length is {} tokens. However, your messages \
                 resulted in {} tokens. Please reduce the length of the messages.",
                detail.max_input_tokens.unwrap_or(0),
                detail.input_tokens
            ),
        ),
        ErrorClass::ContentPolicyViolation => simple(
            "invalid_request_error",
            "content_policy_violation",
            "The response was filtered due to the prompt triggering Azure OpenAI's content \
             management policy. Please modify your prompt and retry.",
        ),
        ErrorClass::BadRequest => simple("invalid_request_error", "bad_request", "Bad request."),
        ErrorClass::Authentication => simple(
            "invalid_request_error",
            "invalid_api_key",
            "Incorrect API key provided.",
        ),
        ErrorClass::PermissionDenied => simple(
            "permission_error",
            "permission_denied",
            "You are not allowed to use this model.",
        ),
        ErrorClass::NotFound => simple(
            "invalid_request_error",
            "model_not_found",
            "The model does not exist or you do not have access to it.",
        ),
        ErrorClass::Connection => simple("server_error", "connection_error", "Connection error."),
        ErrorClass::NoDeploymentsAvailable
        | ErrorClass::BudgetExceeded
        | ErrorClass::TagsNotAllowed
        | ErrorClass::UnknownModel => (
            "invalid_request_error",
            class.name(),
            format!("{} ({})", class.litellm_exception(), class.status()),
        ),
    }
}

/// The error body of `class`.
pub fn error_body(class: ErrorClass, detail: &ErrorDetail) -> Value {
    let (kind, code, message) = wording(class, detail);
    error_json(&message, kind, code)
}

/// An OpenAI-shaped error body.
pub fn error_json(message: &str, kind: &str, code: &str) -> Value {
    json!({"error": {"message": message, "type": kind, "param": null, "code": code}})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_groups_cover_every_token_once() {
        assert_eq!(
            token_groups(5, 16),
            vec![(0, 1), (1, 1), (2, 1), (3, 1), (4, 1)]
        );
        let g = token_groups(1000, 16);
        assert_eq!(g.len(), 16);
        assert_eq!(g.iter().map(|(_, n)| n).sum::<u32>(), 1000);
        assert_eq!(token_groups(0, 16), vec![(0, 0)]);
    }

    #[test]
    fn streamed_text_joins_to_the_whole_text() {
        let c = Completion {
            id: completion_id(1),
            created: 0,
            model: "m".into(),
            input_tokens: 1,
            output_tokens: 40,
        };
        let joined: String = token_groups(40, 7)
            .into_iter()
            .map(|(from, n)| {
                c.content_chunk(from, n)["choices"][0]["delta"]["content"]
                    .as_str()
                    .unwrap()
                    .to_string()
            })
            .collect();
        assert_eq!(joined, text(0, 40));
    }

    #[test]
    fn context_window_errors_use_openai_wording() {
        let detail = ErrorDetail {
            max_input_tokens: Some(8),
            input_tokens: 9,
            retry_after_secs: None,
        };
        let body = error_body(ErrorClass::ContextWindowExceeded, &detail);
        assert_eq!(body["error"]["code"], "context_length_exceeded");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(
            "maximum context length is 8 tokens. However, your messages resulted in 9 tokens."
        ));
    }
}
