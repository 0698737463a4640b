//! The token counts an upstream's answer reports (`usage.prompt_tokens`,
//! `usage.completion_tokens`), which spend, usage-based routing and budgets are charged from.
//!
//! A whole answer's `usage` is found from its end: OpenAI-compatible servers write it after the
//! choices, so the last `"usage"` key is read without parsing the answer's text; an answer where
//! that finds nothing readable is parsed whole. It decides only what an answer says it used.

use serde::Deserialize;
use serde_json::Value;

/// Tokens an answer used.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Usage {
    pub(super) input: u32,
    pub(super) output: u32,
}

/// The counts inside `usage`.
#[derive(Deserialize)]
struct Counts {
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
}

impl From<Counts> for Usage {
    fn from(c: Counts) -> Usage {
        let clamp = |n: u64| u32::try_from(n).unwrap_or(u32::MAX);
        Usage {
            input: clamp(c.prompt_tokens),
            output: clamp(c.completion_tokens),
        }
    }
}

/// The `usage` of an OpenAI-shaped answer.
pub(super) fn usage_of(body: &[u8]) -> Option<Usage> {
    let key = memchr::memmem::rfind(body, b"\"usage\"")?;
    last_usage_key(body, key).or_else(|| whole_answer(body))
}

/// The object after the `"usage"` key at `key`, when that is a key (not text inside a string,
/// where its quotes would be escaped) holding readable counts.
fn last_usage_key(body: &[u8], key: usize) -> Option<Usage> {
    let before = body[..key]
        .iter()
        .rev()
        .find(|b| !b.is_ascii_whitespace())?;
    if !matches!(before, b'{' | b',') {
        return None;
    }
    let after = &body[key + b"\"usage\"".len()..];
    let colon = after.iter().position(|b| !b.is_ascii_whitespace())?;
    if after[colon] != b':' {
        return None;
    }
    let mut values = serde_json::Deserializer::from_slice(&after[colon + 1..]).into_iter();
    values.next()?.ok().map(|c: Counts| c.into())
}

/// `usage` read by parsing the whole answer (serde skips everything else without building it).
fn whole_answer(body: &[u8]) -> Option<Usage> {
    #[derive(Deserialize)]
    struct Answer {
        usage: Option<Counts>,
    }
    Some(serde_json::from_slice::<Answer>(body).ok()?.usage?.into())
}

/// The `usage` object of a parsed answer or chunk.
pub(super) fn usage_in(v: &Value) -> Option<Usage> {
    let usage = v.get("usage")?;
    let n = |k: &str| {
        usage
            .get(k)
            .and_then(Value::as_u64)
            .map(|n| u32::try_from(n).unwrap_or(u32::MAX))
    };
    Some(Usage {
        input: n("prompt_tokens")?,
        output: n("completion_tokens").unwrap_or(0),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"total_tokens":6},"system_fingerprint":"fp_1"}"#;

    fn usage(input: u32, output: u32) -> Option<Usage> {
        Some(Usage { input, output })
    }

    #[test]
    fn reads_the_usage_after_the_choices() {
        assert_eq!(usage_of(ANSWER.as_bytes()), usage(5, 1));
        let spaced = r#"{ "choices": [], "usage" :
            { "prompt_tokens": 12, "completion_tokens": 30 } }"#;
        assert_eq!(usage_of(spaced.as_bytes()), usage(12, 30));
    }

    #[test]
    fn text_that_mentions_usage_is_not_the_usage() {
        let answer = r#"{"usage":{"prompt_tokens":7,"completion_tokens":2},"choices":[{"message":{"content":"see \"usage\": {\"prompt_tokens\": 999}"}}]}"#;
        assert_eq!(usage_of(answer.as_bytes()), usage(7, 2));
        let value_not_key = r#"{"usage":{"prompt_tokens":3},"object":"usage"}"#;
        assert_eq!(usage_of(value_not_key.as_bytes()), usage(3, 0));
    }

    #[test]
    fn an_answer_without_usage_has_none() {
        assert_eq!(usage_of(br#"{"choices":[]}"#), None);
        assert_eq!(usage_of(br#"{"usage":null}"#), None);
        assert_eq!(usage_of(b"not json \"usage\": 5"), None);
    }

    #[test]
    fn agrees_with_a_whole_parse() {
        for body in [
            ANSWER,
            r#"{"usage":{"prompt_tokens":4294967296,"completion_tokens":1}}"#,
            r#"{"usage":{"completion_tokens":1}}"#,
        ] {
            assert_eq!(
                usage_of(body.as_bytes()),
                whole_answer(body.as_bytes()),
                "{body}"
            );
        }
    }
}
