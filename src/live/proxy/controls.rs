//! What one request asks of the router, read as LiteLLM's proxy reads it: the model, tags (body
//! `tags`, `metadata.tags`, or the `x-litellm-tags` header), `num_retries` (body or
//! `x-litellm-num-retries`), `fallbacks`, `disable_fallbacks`, `timeout` (body or
//! `x-litellm-timeout`), `stream`, `mock_response`, and Switchyard's `x-switchyard-explain`.
//!
//! It decides how each control is spelled and which spelling wins, and strips the controls from
//! the body the upstream receives; what the controls do is the router's.

use std::time::Duration;

use axum::http::HeaderMap;
use serde_json::{Map, Value};

/// Keys of a request body that are the gateway's, not the upstream's.
const GATEWAY_KEYS: &[&str] = &[
    "tags",
    "num_retries",
    "fallbacks",
    "disable_fallbacks",
    "timeout",
    "mock_response",
    "mock_tool_calls",
    "metadata",
];

/// A request's controls.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Controls {
    /// The requested model (a group, alias, deployment id or wildcard match).
    pub model: String,
    /// Tags for tag routing.
    pub tags: Vec<String>,
    /// The request's own retry count.
    pub num_retries: Option<u32>,
    /// The request's own fallback groups.
    pub fallbacks: Option<Vec<String>>,
    /// Only the requested group's attempts.
    pub disable_fallbacks: bool,
    /// The request's per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Stream the answer as server-sent events.
    pub stream: bool,
    /// Answer with this text instead of calling an upstream.
    pub mock_response: Option<String>,
    /// `x-switchyard-explain: true`: the answer carries the router's explanation.
    pub explain: bool,
}

/// A control with a value of the wrong shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadControl(pub String);

/// Reads the controls of `body` and `headers`.
pub fn read(body: &Map<String, Value>, headers: &HeaderMap) -> Result<Controls, BadControl> {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => {
            return Err(BadControl(
                "`model` is required: a model group to route to".into(),
            ));
        }
    };
    let mut tags = match body.get("tags") {
        Some(v) => strings(v, "tags")?,
        None => match body.get("metadata").and_then(|m| m.get("tags")) {
            Some(v) => strings(v, "metadata.tags")?,
            None => Vec::new(),
        },
    };
    if tags.is_empty()
        && let Some(h) = header("x-litellm-tags")
    {
        tags = h
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(String::from)
            .collect();
    }
    let num_retries = match body.get("num_retries") {
        Some(v) => Some(count(v, "num_retries")?),
        None => header("x-litellm-num-retries")
            .map(|h| count(&Value::String(h.to_string()), "x-litellm-num-retries"))
            .transpose()?,
    };
    let fallbacks = body
        .get("fallbacks")
        .filter(|v| !v.is_null())
        .map(|v| strings(v, "fallbacks"))
        .transpose()?;
    let timeout = match body.get("timeout") {
        Some(v) if !v.is_null() => Some(seconds(v, "timeout")?),
        _ => header("x-litellm-timeout")
            .map(|h| seconds(&Value::String(h.to_string()), "x-litellm-timeout"))
            .transpose()?,
    };
    Ok(Controls {
        model,
        tags,
        num_retries,
        fallbacks,
        disable_fallbacks: flag(body.get("disable_fallbacks"), "disable_fallbacks")?,
        timeout,
        stream: flag(body.get("stream"), "stream")?,
        mock_response: body
            .get("mock_response")
            .and_then(Value::as_str)
            .map(String::from),
        explain: super::explain::asked(headers),
    })
}

/// Removes the gateway's controls from a body, leaving what an upstream receives; returns
/// whether there were any.
pub fn strip(body: &mut Map<String, Value>) -> bool {
    let mut removed = false;
    for key in GATEWAY_KEYS {
        removed |= body.remove(*key).is_some();
    }
    removed
}

/// The body an upstream receives: a stripped body ([`strip`]) with the upstream's own model
/// name.
pub fn upstream_body(body: &mut Map<String, Value>, upstream_model: &str) -> Vec<u8> {
    body.insert("model".into(), Value::String(upstream_model.to_string()));
    serde_json::to_vec(body).unwrap_or_default()
}

/// The prompt's size in tokens as the router's context-window check sees it: a quarter of the
/// characters of every message's text (LiteLLM counts with the model's tokenizer; this is the
/// common approximation, see docs/litellm-compat.md).
pub fn input_tokens(body: &Map<String, Value>) -> u32 {
    let mut chars = 0usize;
    let mut add = |v: &Value| {
        if let Some(s) = v.as_str() {
            chars += s.chars().count();
        } else if let Some(parts) = v.as_array() {
            for p in parts {
                if let Some(t) = p.get("text").and_then(Value::as_str) {
                    chars += t.chars().count();
                }
            }
        }
    };
    if let Some(messages) = body.get("messages").and_then(Value::as_array) {
        for m in messages {
            if let Some(c) = m.get("content") {
                add(c);
            }
        }
    }
    if let Some(input) = body.get("input") {
        match input {
            Value::Array(items) => items.iter().for_each(&mut add),
            other => add(other),
        }
    }
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX).max(1)
}

/// The last user message's text, for the auto router.
pub fn last_user_message(body: &Map<String, Value>) -> Option<String> {
    let messages = body.get("messages")?.as_array()?;
    let last = messages
        .iter()
        .rev()
        .find(|m| m.get("role").and_then(Value::as_str) == Some("user"))?;
    match last.get("content")? {
        Value::String(s) => Some(s.clone()),
        Value::Array(parts) => Some(
            parts
                .iter()
                .filter_map(|p| p.get("text").and_then(Value::as_str))
                .collect::<Vec<_>>()
                .join(" "),
        ),
        _ => None,
    }
}

fn strings(v: &Value, key: &str) -> Result<Vec<String>, BadControl> {
    let bad = || BadControl(format!("`{key}` must be a list of strings"));
    match v {
        Value::Null => Ok(Vec::new()),
        Value::Array(items) => items
            .iter()
            .map(|i| i.as_str().map(String::from).ok_or_else(bad))
            .collect(),
        _ => Err(bad()),
    }
}

fn count(v: &Value, key: &str) -> Result<u32, BadControl> {
    let n = match v {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    n.and_then(|n| u32::try_from(n).ok()).ok_or_else(|| {
        BadControl(format!(
            "`{key}` must be a whole number that is not negative"
        ))
    })
}

fn seconds(v: &Value, key: &str) -> Result<Duration, BadControl> {
    let s = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    s.filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| {
            BadControl(format!(
                "`{key}` must be a number of seconds between 0 and 86400"
            ))
        })
}

fn flag(v: Option<&Value>, key: &str) -> Result<bool, BadControl> {
    match v {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::String(s)) if s == "true" || s == "false" => Ok(s == "true"),
        Some(_) => Err(BadControl(format!("`{key}` must be true or false"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap()
    }

    #[test]
    fn controls_come_from_the_body_then_the_headers() {
        let mut headers = HeaderMap::new();
        headers.insert("x-litellm-tags", "free, eu".parse().unwrap());
        headers.insert("x-litellm-num-retries", "4".parse().unwrap());
        headers.insert("x-litellm-timeout", "2.5".parse().unwrap());
        let c = read(&body(serde_json::json!({"model": "gpt-4o"})), &headers).unwrap();
        assert_eq!(c.tags, ["free", "eu"]);
        assert_eq!(c.num_retries, Some(4));
        assert_eq!(c.timeout, Some(Duration::from_millis(2500)));
        let c = read(
            &body(serde_json::json!({"model": "gpt-4o", "metadata": {"tags": ["paid"]}, "num_retries": 1, "fallbacks": ["b"], "disable_fallbacks": true, "stream": true})),
            &headers,
        )
        .unwrap();
        assert_eq!(c.tags, ["paid"], "the body wins over the header");
        assert_eq!(c.num_retries, Some(1));
        assert_eq!(c.fallbacks, Some(vec!["b".to_string()]));
        assert!(c.disable_fallbacks && c.stream);
        let no_model = read(
            &body(serde_json::json!({"messages": []})),
            &HeaderMap::new(),
        );
        assert!(no_model.is_err());
        let bad = read(
            &body(serde_json::json!({"model": "m", "num_retries": -1})),
            &HeaderMap::new(),
        );
        assert!(bad.unwrap_err().0.contains("num_retries"));
    }

    #[test]
    fn the_upstream_gets_the_body_without_gateway_controls() {
        let mut b = body(
            serde_json::json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}], "tags": ["x"], "mock_response": "m", "temperature": 0.2}),
        );
        strip(&mut b);
        let sent: Value = serde_json::from_slice(&upstream_body(&mut b, "gpt-4o-2024")).unwrap();
        assert_eq!(sent["model"], "gpt-4o-2024");
        assert_eq!(sent["temperature"], 0.2);
        assert!(sent.get("tags").is_none() && sent.get("mock_response").is_none());
        assert_eq!(input_tokens(&b), 1);
        assert_eq!(last_user_message(&b).as_deref(), Some("hi"));
    }
}
