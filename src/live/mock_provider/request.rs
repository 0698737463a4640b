//! What the mock reads from a request body: token counts, streaming, and the content category.
//!
//! Output tokens are `max_tokens` or `max_completion_tokens` (default 100); input tokens are a
//! quarter of the characters of every message's text, rounded up, at least 1. A first user
//! message starting `[switchyard category=NAME]` puts the request in category `NAME`, which the
//! provider's content policy may refuse. It decides only how a body is read.

use serde_json::Value;

/// Output tokens when the request names no limit.
pub const DEFAULT_OUTPUT_TOKENS: u32 = 100;

const CATEGORY_TAG: &str = "[switchyard category=";

/// A chat completion request as the provider model sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatRequest {
    /// The request's `model` (echoed in the response).
    pub model: Option<String>,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens.
    pub output_tokens: u32,
    /// `stream: true`.
    pub stream: bool,
    /// `stream_options.include_usage: true`.
    pub include_usage: bool,
    /// The content category, from the first user message's tag.
    pub category: Option<String>,
}

/// Tokens for `chars` characters of text: a quarter, rounded up, at least 1.
pub fn tokens_of_chars(chars: usize) -> u32 {
    u32::try_from(chars.div_ceil(4)).unwrap_or(u32::MAX).max(1)
}

/// The text of a message's `content`: a string, or the `text` of its parts.
pub fn content_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(parts) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect(),
        _ => String::new(),
    }
}

/// The category a message's text is tagged with (`[switchyard category=NAME]`).
pub fn category_of(text: &str) -> Option<String> {
    let rest = text.trim_start().strip_prefix(CATEGORY_TAG)?;
    let (name, _) = rest.split_once(']')?;
    let name = name.trim();
    (!name.is_empty()).then(|| name.to_string())
}

impl ChatRequest {
    /// Reads a chat completion body; `Err` says what is wrong with it.
    pub fn parse(body: &[u8]) -> Result<ChatRequest, String> {
        let v: Value =
            serde_json::from_slice(body).map_err(|e| format!("invalid JSON body: {e}"))?;
        let messages = v
            .get("messages")
            .and_then(Value::as_array)
            .ok_or("`messages` must be an array")?;
        let texts: Vec<(Option<&str>, String)> = messages
            .iter()
            .map(|m| {
                let role = m.get("role").and_then(Value::as_str);
                (role, m.get("content").map(content_text).unwrap_or_default())
            })
            .collect();
        let chars: usize = texts.iter().map(|(_, t)| t.chars().count()).sum();
        let category = texts
            .iter()
            .find(|(role, _)| *role == Some("user"))
            .and_then(|(_, t)| category_of(t));
        let limit = ["max_tokens", "max_completion_tokens"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_u64));
        Ok(ChatRequest {
            model: v.get("model").and_then(Value::as_str).map(str::to_string),
            input_tokens: tokens_of_chars(chars),
            output_tokens: limit.map_or(DEFAULT_OUTPUT_TOKENS, |n| {
                u32::try_from(n).unwrap_or(u32::MAX)
            }),
            stream: v.get("stream").and_then(Value::as_bool) == Some(true),
            include_usage: v
                .pointer("/stream_options/include_usage")
                .and_then(Value::as_bool)
                == Some(true),
            category,
        })
    }
}

/// The content categories a provider can tell apart: class 0 is "no category", then each
/// category named by a profile's content policy or the workload, in sorted order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Categories(Vec<Option<String>>);

impl Categories {
    /// The classes for these category names (duplicates allowed).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut names: Vec<&str> = names.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        Categories(
            std::iter::once(None)
                .chain(names.into_iter().map(|n| Some(n.to_string())))
                .collect(),
        )
    }

    /// Each class's category, as [`crate::sim::provider::SyntheticProvider::new`] takes them.
    pub fn as_slice(&self) -> &[Option<String>] {
        &self.0
    }

    /// The class of a request in `category` (an unknown category is class 0).
    pub fn class_of(&self, category: Option<&str>) -> u32 {
        category
            .and_then(|c| self.0.iter().position(|k| k.as_deref() == Some(c)))
            .map_or(0, |i| u32::try_from(i).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_limits_stream_and_category_come_from_the_body() {
        let body = br#"{"model": "gpt-4o", "max_completion_tokens": 7, "stream": true,
            "stream_options": {"include_usage": true},
            "messages": [{"role": "system", "content": "abcd"},
                         {"role": "user", "content": [{"type": "text", "text": "[switchyard category=edgy] hi"}]}]}"#;
        let r = ChatRequest::parse(body).unwrap();
        assert_eq!(r.model.as_deref(), Some("gpt-4o"));
        assert_eq!(r.input_tokens, (4 + 29_u32).div_ceil(4));
        assert_eq!(r.output_tokens, 7);
        assert!(r.stream && r.include_usage);
        assert_eq!(r.category.as_deref(), Some("edgy"));
        let plain = ChatRequest::parse(br#"{"messages": []}"#).unwrap();
        assert_eq!((plain.input_tokens, plain.output_tokens), (1, 100));
        assert_eq!(plain.category, None);
        assert!(ChatRequest::parse(b"{").is_err());
    }

    #[test]
    fn categories_number_classes_after_the_uncategorised_one() {
        let c = Categories::new(["b", "a", "b"]);
        assert_eq!(c.as_slice(), &[None, Some("a".into()), Some("b".into())]);
        assert_eq!(c.class_of(Some("b")), 2);
        assert_eq!(c.class_of(Some("zzz")), 0);
        assert_eq!(c.class_of(None), 0);
    }
}
