//! Reading a streamed answer: server-sent events, one `data:` line per chunk.
//!
//! It notes when the first `data:` line arrives (the client's time to first token), keeps the
//! last chunk's `usage` (sent when the gateway reports usage on streams) and an `error` object a
//! gateway sends mid-stream. It decides how the bytes read; the timing is the caller's.

use serde_json::Value;

use super::classify::{ErrorBody, classify};
use super::observed::Usage;
use crate::router::ErrorClass;

/// Events read so far from one stream.
#[derive(Debug, Default)]
pub struct SseReader {
    pending: Vec<u8>,
    /// Whether a `data:` line has arrived.
    pub started: bool,
    /// The last usage a chunk carried.
    pub usage: Option<Usage>,
    /// The class of an error event, if the stream carried one.
    pub error: Option<ErrorClass>,
    /// Whether `data: [DONE]` arrived.
    pub done: bool,
}

impl SseReader {
    /// Reads `bytes`; returns true when they brought the stream's first `data:` line.
    pub fn feed(&mut self, bytes: &[u8]) -> bool {
        let was_started = self.started;
        self.pending.extend_from_slice(bytes);
        while let Some(end) = self.pending.iter().position(|b| *b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=end).collect();
            self.line(&line);
        }
        !was_started && self.started
    }

    /// Reads what is left after the last newline, at the end of the stream.
    pub fn finish(&mut self) {
        let rest = std::mem::take(&mut self.pending);
        self.line(&rest);
    }

    fn line(&mut self, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        let Some(data) = line.trim_end().strip_prefix("data:") else {
            return;
        };
        self.started = true;
        let data = data.trim();
        if data == "[DONE]" {
            self.done = true;
            return;
        }
        let Ok(chunk) = serde_json::from_str::<Value>(data) else {
            return;
        };
        if let Some(usage) = Usage::of(&chunk) {
            self.usage = Some(usage);
        }
        if chunk.get("error").is_some() {
            let body = ErrorBody::parse(data.as_bytes());
            let status = body.code.parse::<u16>().unwrap_or(500);
            self.error = Some(classify(status, &body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_split_anywhere_read_the_same() {
        let text = "data: {\"choices\":[]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":7,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n";
        for cut in 0..text.len() {
            let mut r = SseReader::default();
            let first = r.feed(&text.as_bytes()[..cut]);
            let second = r.feed(&text.as_bytes()[cut..]);
            r.finish();
            assert!(
                first ^ second,
                "exactly one feed starts the stream (cut {cut})"
            );
            assert!(r.done);
            assert_eq!(
                r.usage,
                Some(Usage {
                    prompt_tokens: 7,
                    completion_tokens: 3
                })
            );
            assert_eq!(r.error, None);
        }
    }

    #[test]
    fn an_error_event_is_classified() {
        let mut r = SseReader::default();
        r.feed(b"data: {\"error\": {\"message\": \"slow down\", \"code\": \"429\"}}\n\n");
        assert_eq!(r.error, Some(ErrorClass::RateLimit));
    }
}
