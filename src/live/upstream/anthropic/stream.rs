//! The Messages API's event stream as OpenAI `chat.completion.chunk` events, translated event by
//! event as LiteLLM 1.108.7's `ModelResponseIterator` does.
//!
//! `message_start` gives the id, model and input tokens and sends nothing; `content_block_start`
//! sends its text if it has any; each `text_delta` becomes a chunk with that text (the first also
//! carrying `role: assistant`); `message_delta` becomes the chunk with the mapped
//! `finish_reason` and updates the token counts; `message_stop` sends, when the client asked with
//! `stream_options.include_usage`, LiteLLM's usage chunk (`choices: [{"index": 0, "delta": {}}]`
//! and `usage`), then `data: [DONE]`. `ping`, `content_block_stop` and non-text deltas send
//! nothing. An `error` event ends the translation with the error, classified like an HTTP error
//! of the status Anthropic gives its type. Upstream bytes may split events anywhere; incomplete
//! lines wait for the rest. It decides only the bytes; it never reads the clock.

use serde_json::{Value, json};

use super::errors;
use super::response::{AnthropicUsage, finish_reason};
use crate::router::ErrorClass;

/// An `error` event from the upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    /// The status Anthropic answers the error's type with.
    pub status: u16,
    /// Its class.
    pub class: ErrorClass,
    /// What it says.
    pub message: String,
}

/// What one feed of upstream bytes translates to.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Fed {
    /// OpenAI server-sent events for the client (possibly none).
    pub out: Vec<u8>,
    /// The upstream's `error` event, after which nothing more is translated.
    pub error: Option<StreamError>,
}

/// The translation state of one stream.
#[derive(Debug)]
pub struct StreamTranslator {
    created: u64,
    include_usage: bool,
    pending: Vec<u8>,
    id: String,
    model: String,
    usage: Option<AnthropicUsage>,
    role_sent: bool,
    failed: bool,
}

impl StreamTranslator {
    /// A translator whose chunks say `created` (Unix seconds) and that sends the usage chunk
    /// when `include_usage`.
    pub fn new(created: u64, include_usage: bool) -> Self {
        StreamTranslator {
            created,
            include_usage,
            pending: Vec::new(),
            id: String::new(),
            model: String::new(),
            usage: None,
            role_sent: false,
            failed: false,
        }
    }

    /// The stream's usage so far, once `message_start` has given it: `(prompt, completion)`
    /// tokens as LiteLLM counts them.
    pub fn usage(&self) -> Option<(u64, u64)> {
        self.usage.map(|u| (u.prompt_tokens(), u.output_tokens))
    }

    /// Translates the complete events in `bytes` (and any left from before).
    pub fn feed(&mut self, bytes: &[u8]) -> Fed {
        let mut fed = Fed::default();
        if self.failed {
            return fed;
        }
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let Some(end) = memchr::memchr(b'\n', &self.pending[start..]) {
            let line = &self.pending[start..start + end];
            start += end + 1;
            let Some(data) = line.strip_prefix(b"data:") else {
                continue;
            };
            let Ok(event) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
                continue;
            };
            if let Err(error) = self.event(&event, &mut fed.out) {
                self.failed = true;
                fed.error = Some(error);
                break;
            }
        }
        self.pending.drain(..start);
        fed
    }

    /// Translates one event into `out`.
    fn event(&mut self, event: &Value, out: &mut Vec<u8>) -> Result<(), StreamError> {
        match event.get("type").and_then(Value::as_str).unwrap_or("") {
            "message_start" => self.start(&event["message"]),
            "content_block_start" => {
                if let Some(text) = event.pointer("/content_block/text").and_then(Value::as_str) {
                    self.text(text, out);
                }
            }
            "content_block_delta" => {
                if event.pointer("/delta/type").and_then(Value::as_str) == Some("text_delta")
                    && let Some(text) = event.pointer("/delta/text").and_then(Value::as_str)
                {
                    self.text(text, out);
                }
            }
            "message_delta" => {
                self.add_usage(event.get("usage"));
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.chunk(out, json!({}), Some(finish_reason(reason)));
                }
            }
            "message_stop" => self.stop(out),
            "error" => return Err(stream_error(event)),
            _ => {}
        }
        Ok(())
    }

    fn start(&mut self, message: &Value) {
        let text = |k: &str| {
            message
                .get(k)
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string()
        };
        self.id = text("id");
        self.model = text("model");
        self.usage = Some(
            message
                .get("usage")
                .and_then(|u| serde_json::from_value(u.clone()).ok())
                .unwrap_or_default(),
        );
    }

    /// `message_delta`'s counts are cumulative: each one present replaces the last.
    fn add_usage(&mut self, usage: Option<&Value>) {
        let Some(usage) = usage else { return };
        let current = self.usage.get_or_insert_with(AnthropicUsage::default);
        let count = |k: &str| usage.get(k).and_then(Value::as_u64);
        if let Some(n) = count("output_tokens") {
            current.output_tokens = n;
        }
        if let Some(n) = count("input_tokens") {
            current.input_tokens = n;
        }
        if let Some(n) = count("cache_creation_input_tokens") {
            current.cache_creation_input_tokens = Some(n);
        }
        if let Some(n) = count("cache_read_input_tokens") {
            current.cache_read_input_tokens = Some(n);
        }
    }

    fn text(&mut self, text: &str, out: &mut Vec<u8>) {
        if text.is_empty() {
            return;
        }
        let delta = if self.role_sent {
            json!({ "content": text })
        } else {
            self.role_sent = true;
            json!({ "role": "assistant", "content": text })
        };
        self.chunk(out, delta, None);
    }

    fn stop(&mut self, out: &mut Vec<u8>) {
        if self.include_usage {
            let usage = self.usage.unwrap_or_default().openai();
            let chunk = json!({
                "id": super::completion_id(&self.id),
                "object": "chat.completion.chunk",
                "created": self.created,
                "model": self.model,
                "choices": [{"index": 0, "delta": {}}],
                "usage": usage,
            });
            write_event(out, &chunk);
        }
        out.extend_from_slice(b"data: [DONE]\n\n");
    }

    fn chunk(&self, out: &mut Vec<u8>, delta: Value, finish: Option<&str>) {
        let chunk = json!({
            "id": super::completion_id(&self.id),
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        });
        write_event(out, &chunk);
    }
}

fn write_event(out: &mut Vec<u8>, data: &Value) {
    out.extend_from_slice(b"data: ");
    // Writing a Value to a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, data);
    out.extend_from_slice(b"\n\n");
}

/// An `error` event, classified as the HTTP error of its type's status would be.
fn stream_error(event: &Value) -> StreamError {
    let kind = event
        .pointer("/error/type")
        .and_then(Value::as_str)
        .unwrap_or("api_error");
    let status = errors::status_of_type(kind);
    let body = event.to_string();
    StreamError {
        status,
        class: errors::classify(status, body.as_bytes()),
        message: errors::message_of(body.as_bytes()).unwrap_or(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVENTS: &str = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-haiku-4-5\",\"content\":[],\"stop_reason\":null,\"usage\":{\"input_tokens\":12,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
        "event: ping\ndata: {\"type\":\"ping\"}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hel\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"lo\"}}\n\n",
        "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
        "event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"end_turn\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":5}}\n\n",
        "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n",
    );

    fn data_lines(out: &[u8]) -> Vec<Value> {
        std::str::from_utf8(out)
            .unwrap()
            .split("\n\n")
            .filter_map(|e| e.strip_prefix("data: "))
            .filter(|d| *d != "[DONE]")
            .map(|d| serde_json::from_str(d).unwrap())
            .collect()
    }

    #[test]
    fn events_become_chunks_with_role_first_then_finish_usage_and_done() {
        let mut t = StreamTranslator::new(9, true);
        let fed = t.feed(EVENTS.as_bytes());
        assert_eq!(fed.error, None);
        assert!(fed.out.ends_with(b"data: [DONE]\n\n"));
        let chunks = data_lines(&fed.out);
        let deltas: Vec<&Value> = chunks.iter().map(|c| &c["choices"][0]["delta"]).collect();
        assert_eq!(deltas[0], &json!({"role": "assistant", "content": "Hel"}));
        assert_eq!(deltas[1], &json!({"content": "lo"}));
        assert_eq!(chunks[2]["choices"][0]["finish_reason"], "stop");
        assert_eq!(
            chunks[3]["usage"],
            json!({"prompt_tokens": 12, "completion_tokens": 5, "total_tokens": 17})
        );
        assert_eq!(chunks.len(), 4);
        assert!(chunks.iter().all(|c| c["id"] == "chatcmpl-msg_1"
            && c["object"] == "chat.completion.chunk"
            && c["created"] == 9
            && c["model"] == "claude-haiku-4-5"));
        assert_eq!(t.usage(), Some((12, 5)));
    }

    #[test]
    fn without_include_usage_there_is_no_usage_chunk_but_the_counts_are_kept() {
        let mut t = StreamTranslator::new(0, false);
        let out = t.feed(EVENTS.as_bytes()).out;
        assert!(data_lines(&out).iter().all(|c| c.get("usage").is_none()));
        assert_eq!(t.usage(), Some((12, 5)));
    }

    #[test]
    fn events_split_anywhere_translate_the_same() {
        let whole = StreamTranslator::new(1, true).feed(EVENTS.as_bytes()).out;
        for size in [1, 7, 50] {
            let mut t = StreamTranslator::new(1, true);
            let pieces: Vec<u8> = EVENTS
                .as_bytes()
                .chunks(size)
                .flat_map(|piece| t.feed(piece).out)
                .collect();
            assert_eq!(pieces, whole, "pieces of {size} bytes");
        }
    }

    #[test]
    fn an_error_event_ends_the_stream_with_its_class() {
        let mut t = StreamTranslator::new(0, false);
        let start = EVENTS.split_inclusive("\n\n").next().unwrap();
        let error = "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n";
        let fed = t.feed(format!("{start}{error}").as_bytes());
        assert!(fed.out.is_empty(), "nothing reached the client");
        let e = fed.error.expect("the error");
        assert_eq!((e.status, e.class), (529, ErrorClass::InternalServer));
        assert!(e.message.contains("Overloaded"));
        assert_eq!(
            t.feed(EVENTS.as_bytes()),
            Fed::default(),
            "nothing after an error"
        );
    }
}
