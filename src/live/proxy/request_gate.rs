//! What LiteLLM 1.108.7's proxy refuses before a request reaches its router, in its order and
//! words (`litellm/proxy/route_llm_request.py`, `proxy/common_request_processing.py`): a body
//! that is not JSON (an empty body reads as `{}`), a `model` that is not a string, a missing
//! required parameter (`messages` for chat, `input` for embeddings), then a model that no group,
//! alias, deployment id, wildcard or `litellm_params.model` names ("Invalid model name passed in
//! model=…", whatever `default_fallbacks` says: the proxy never hands such a request to its
//! router).
//!
//! It decides only these refusals; a request it lets through is routed, and every error after
//! that is the router's or an upstream's. No refused request reaches an upstream, so none can
//! cool a deployment.

use serde_json::{Map, Value};

use super::errors::ApiError;
use crate::live::upstream::Endpoint;
use crate::router::Target;

/// The route LiteLLM's messages name for `endpoint` (the same for the `/v1/…` paths).
fn route_name(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Chat => "/chat/completions",
        Endpoint::Embeddings => "/embeddings",
    }
}

/// The body parameter `endpoint` requires.
fn required(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Chat => "messages",
        Endpoint::Embeddings => "input",
    }
}

/// The request body as LiteLLM's proxy reads it: a JSON object, an empty body being `{}`.
pub fn body(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    let invalid = |why: String| {
        ApiError::new(400, format!("Invalid JSON payload: {why}")).with_param("request_body")
    };
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(invalid(format!(
            "expected a JSON object, found {}",
            json_kind(&other)
        ))),
        Err(e) => Err(invalid(e.to_string())),
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// What the requested model resolves to, or why the proxy refuses `body` on `endpoint` before
/// routing it; `resolve` finds what the config names a model.
pub fn check(
    body: &Map<String, Value>,
    endpoint: Endpoint,
    resolve: impl FnOnce(&str) -> Option<Target>,
) -> Result<Target, Refusal> {
    let model = match body.get("model") {
        None | Some(Value::Null) => None,
        Some(Value::String(m)) => Some(m.as_str()),
        Some(_) => {
            let error = ApiError::new(400, "'model' must be a string.")
                .with_kind("bad_request_error")
                .with_param("model");
            return Err(Refusal::bad_request(error));
        }
    };
    let param = required(endpoint);
    if body.get(param).is_none_or(Value::is_null) {
        let message = format!(
            "{}: Missing required parameter: '{param}'.",
            route_name(endpoint)
        );
        return Err(Refusal::bad_request(
            ApiError::new(400, message).with_param(param),
        ));
    }
    match model.and_then(resolve) {
        Some(target) => Ok(target),
        None => Err(Refusal {
            error: ApiError::new(
                400,
                format!(
                    "{}: Invalid model name passed in model={}. Call `/v1/models` to view \
                     available models for your key.",
                    route_name(endpoint),
                    model.unwrap_or("None")
                ),
            )
            .with_provider_fields(),
            class: "unknown_model",
        }),
    }
}

/// A request refused before routing: the response and the error class its log line gets.
#[derive(Debug, Clone, PartialEq)]
pub struct Refusal {
    /// What the client receives.
    pub error: ApiError,
    /// The log line's `error_class`.
    pub class: &'static str,
}

impl Refusal {
    fn bad_request(error: ApiError) -> Refusal {
        Refusal {
            error,
            class: "bad_request",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GPT_4O: Target = Target::Group(crate::router::GroupIdx(0));

    /// The one model the tests' config names.
    fn known(model: &str) -> Option<Target> {
        (model == "gpt-4o").then_some(GPT_4O)
    }

    fn object(text: &str) -> Map<String, Value> {
        body(text.as_bytes()).expect("a JSON object")
    }

    fn refused(text: &str, endpoint: Endpoint) -> Refusal {
        check(&object(text), endpoint, known).expect_err("refused")
    }

    #[test]
    fn an_empty_body_is_an_empty_object_and_anything_else_must_be_one() {
        assert!(object("").is_empty());
        assert!(object(" \n").is_empty());
        let bad = body(b"{\"model\":").unwrap_err();
        assert!(bad.message.starts_with("Invalid JSON payload: "), "{bad:?}");
        assert_eq!(bad.param, Some("request_body"));
        let array = body(b"[1, 2]").unwrap_err();
        assert_eq!(
            array.message,
            "Invalid JSON payload: expected a JSON object, found an array"
        );
    }

    #[test]
    fn refusals_come_in_litellm_s_order_and_words() {
        let chat = Endpoint::Chat;
        let typed = refused(r#"{"model": 5}"#, chat);
        assert_eq!(typed.error.message, "'model' must be a string.");
        assert_eq!(typed.error.body()["error"]["type"], "bad_request_error");
        assert_eq!(typed.error.body()["error"]["param"], "model");
        // The required parameter before the model's name, even an unknown one.
        for text in [
            "{}",
            r#"{"model": "nope"}"#,
            r#"{"model": "gpt-4o", "messages": null}"#,
        ] {
            let missing = refused(text, chat);
            assert_eq!(
                missing.error.message, "/chat/completions: Missing required parameter: 'messages'.",
                "{text}"
            );
            assert_eq!(missing.error.body()["error"]["param"], "messages");
            assert_eq!(missing.class, "bad_request");
        }
        let embeddings = refused(r#"{"model": "gpt-4o"}"#, Endpoint::Embeddings);
        assert_eq!(
            embeddings.error.message,
            "/embeddings: Missing required parameter: 'input'."
        );
        let unknown = refused(r#"{"model": "nope", "messages": []}"#, chat);
        let expected = "/chat/completions: Invalid model name passed in model=nope. Call \
                        `/v1/models` to view available models for your key.";
        assert_eq!(unknown.error.message, expected);
        assert_eq!(unknown.class, "unknown_model");
        let body = unknown.error.body();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        assert_eq!(body["error"]["param"], Value::Null);
        assert_eq!(body["error"]["provider_specific_fields"]["error"], expected);
        let unnamed = refused(r#"{"messages": []}"#, chat);
        assert!(unnamed.error.message.contains("model=None."), "{unnamed:?}");
        assert_eq!(
            check(
                &object(r#"{"model": "gpt-4o", "messages": []}"#),
                chat,
                known
            ),
            Ok(GPT_4O)
        );
    }
}
