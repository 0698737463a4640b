//! A Messages API answer as an OpenAI `chat.completion`, as LiteLLM 1.108.7 gives it back.
//!
//! The text blocks joined are the message's `content`; `stop_reason` maps as LiteLLM's
//! `map_finish_reason` does (`end_turn` and `stop_sequence` → `stop`, `max_tokens` and
//! `compaction` → `length`, `tool_use` → `tool_calls`, `refusal` → `content_filter`, anything
//! else → `stop`); `usage.prompt_tokens` is `input_tokens` plus the cache-creation and
//! cache-read tokens (LiteLLM's `calculate_usage`), `completion_tokens` is `output_tokens`. It
//! decides only the answer's shape.

use serde::Deserialize;
use serde_json::{Value, json};

/// The parts of a Messages answer that are translated.
#[derive(Deserialize)]
struct Message {
    id: String,
    #[serde(default)]
    model: String,
    #[serde(default)]
    content: Vec<Block>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: AnthropicUsage,
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    text: String,
}

/// Anthropic's `usage`, in an answer or in a stream's `message_start` and `message_delta`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
pub struct AnthropicUsage {
    /// Uncached input tokens.
    #[serde(default)]
    pub input_tokens: u64,
    /// Output tokens.
    #[serde(default)]
    pub output_tokens: u64,
    /// Input tokens written to the prompt cache.
    #[serde(default)]
    pub cache_creation_input_tokens: Option<u64>,
    /// Input tokens read from the prompt cache.
    #[serde(default)]
    pub cache_read_input_tokens: Option<u64>,
}

impl AnthropicUsage {
    /// `prompt_tokens` as LiteLLM counts them: every input token, cached or not.
    pub fn prompt_tokens(&self) -> u64 {
        self.input_tokens
            + self.cache_creation_input_tokens.unwrap_or(0)
            + self.cache_read_input_tokens.unwrap_or(0)
    }

    /// OpenAI's `usage` object.
    pub fn openai(&self) -> Value {
        let prompt = self.prompt_tokens();
        json!({
            "prompt_tokens": prompt,
            "completion_tokens": self.output_tokens,
            "total_tokens": prompt + self.output_tokens,
        })
    }
}

/// OpenAI's `finish_reason` for Anthropic's `stop_reason` (LiteLLM's `map_finish_reason`).
pub fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "compaction" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// The `chat.completion` for the Messages answer `body`, created at `created` (Unix seconds);
/// `Err` when the body is no Messages answer.
pub fn chat_completion(body: &[u8], created: u64) -> Result<Vec<u8>, String> {
    let m: Message = serde_json::from_slice(body)
        .map_err(|e| format!("the Anthropic answer is not a Messages response: {e}"))?;
    let text: String = m
        .content
        .iter()
        .filter(|b| b.kind == "text")
        .map(|b| b.text.as_str())
        .collect();
    let has_text = m.content.iter().any(|b| b.kind == "text");
    let answer = json!({
        "id": super::completion_id(&m.id),
        "object": "chat.completion",
        "created": created,
        "model": m.model,
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": if has_text { Value::String(text) } else { Value::Null }},
            "finish_reason": finish_reason(m.stop_reason.as_deref().unwrap_or("end_turn")),
        }],
        "usage": m.usage.openai(),
    });
    serde_json::to_vec(&answer).map_err(|e| format!("cannot write the answer: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_messages_answer_becomes_a_chat_completion() {
        let body = br#"{"id":"msg_01","type":"message","role":"assistant","model":"claude-haiku-4-5",
            "content":[{"type":"text","text":"Hello"},{"type":"text","text":" there"}],
            "stop_reason":"end_turn","stop_sequence":null,
            "usage":{"input_tokens":12,"output_tokens":3,"cache_read_input_tokens":4,"cache_creation_input_tokens":null}}"#;
        let v: Value = serde_json::from_slice(&chat_completion(body, 7).unwrap()).unwrap();
        assert_eq!(
            v,
            json!({
                "id": "chatcmpl-msg_01", "object": "chat.completion", "created": 7, "model": "claude-haiku-4-5",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 16, "completion_tokens": 3, "total_tokens": 19},
            })
        );
    }

    #[test]
    fn stop_reasons_map_as_litellm_maps_them() {
        assert_eq!(finish_reason("end_turn"), "stop");
        assert_eq!(finish_reason("stop_sequence"), "stop");
        assert_eq!(finish_reason("max_tokens"), "length");
        assert_eq!(finish_reason("tool_use"), "tool_calls");
        assert_eq!(finish_reason("refusal"), "content_filter");
        assert_eq!(finish_reason("pause_turn"), "stop");
        let body = br#"{"id":"m","content":[],"stop_reason":"max_tokens","usage":{"input_tokens":1,"output_tokens":9}}"#;
        let v: Value = serde_json::from_slice(&chat_completion(body, 0).unwrap()).unwrap();
        assert_eq!(v["choices"][0]["finish_reason"], "length");
        assert_eq!(v["choices"][0]["message"]["content"], Value::Null);
        assert!(chat_completion(b"{\"choices\":[]}", 0).is_err());
    }
}
