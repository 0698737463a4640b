//! What is sent for one planned request: the chat-completions JSON body.
//!
//! Conventions other components rely on (the mock provider counts `ceil(chars / 4)` prompt
//! tokens and reads the category marker):
//!
//! - `model`, `messages` (one user message), `max_tokens` (the drawn output tokens), `stream`,
//!   and for a stream `stream_options.include_usage`, as the OpenAI SDK's users set it to get
//!   the answer's token counts (without it a gateway can only estimate them);
//! - `tags`, `num_retries`, `fallbacks`, `disable_fallbacks` and `timeout` (seconds) only when
//!   the request class sets them; the timeout is the class's, divided by the driver's speed,
//!   since the gateway counts it on the wall clock;
//! - the prompt is the drawn prompt text when the class has prompts (the auto router reads
//!   it), else filler of exactly 4 × the drawn input tokens in ASCII characters; a class with a
//!   `category` starts it with `[switchyard category=NAME] `, counted inside the filler's length.
//!
//! It decides the body's contents; it sends nothing.

use serde_json::{Map, Value, json};

use super::plan::PlannedRequest;
use crate::sim::workload::RequestClass;

/// Characters per token of the filler prompt (the mock provider counts `ceil(chars / 4)`).
pub const CHARS_PER_TOKEN: usize = 4;

/// Filler the prompt repeats; ASCII, so characters and bytes agree.
const FILLER: &str = "the quick brown fox jumps over the lazy dog ";

/// The marker a class's content category puts in front of the prompt.
pub fn category_marker(category: &str) -> String {
    format!("[switchyard category={category}] ")
}

/// The prompt of `request` in `class`.
pub fn prompt(class: &RequestClass, request: &PlannedRequest) -> String {
    let mut text = class
        .category
        .as_deref()
        .map(category_marker)
        .unwrap_or_default();
    match request.drawn.prompt {
        Some(p) => text.push_str(&class.prompts[p as usize]),
        None => {
            let len = request.drawn.input_tokens as usize * CHARS_PER_TOKEN;
            while text.len() < len {
                let missing = len - text.len();
                text.push_str(&FILLER[..missing.min(FILLER.len())]);
            }
        }
    }
    text
}

/// The JSON body for `request` of `class`, with per-attempt timeouts divided by `speed`.
pub fn body(class: &RequestClass, request: &PlannedRequest, speed: f64) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(class.model));
    body.insert(
        "messages".into(),
        json!([{"role": "user", "content": prompt(class, request)}]),
    );
    body.insert("max_tokens".into(), json!(request.drawn.output_tokens));
    body.insert("stream".into(), json!(class.stream));
    if class.stream {
        body.insert("stream_options".into(), json!({"include_usage": true}));
    }
    if !class.tags.is_empty() {
        body.insert("tags".into(), json!(class.tags));
    }
    if let Some(n) = class.num_retries {
        body.insert("num_retries".into(), json!(n));
    }
    if let Some(groups) = &class.fallbacks {
        body.insert("fallbacks".into(), json!(groups));
    }
    if class.disable_fallbacks {
        body.insert("disable_fallbacks".into(), json!(true));
    }
    if let Some(t) = class.timeout {
        body.insert("timeout".into(), json!(t.as_secs_f64() / speed));
    }
    Value::Object(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::distribution::Distribution;
    use crate::sim::workload::DrawnRequest;
    use crate::time::Time;

    fn class(category: Option<&str>) -> RequestClass {
        RequestClass {
            name: "chat".into(),
            weight: 1.0,
            model: "gpt-4o".into(),
            input_tokens: Distribution::Constant(10.0),
            output_tokens: Distribution::Constant(5.0),
            tags: vec!["paid".into()],
            stream: true,
            category: category.map(str::to_string),
            num_retries: Some(2),
            fallbacks: None,
            disable_fallbacks: false,
            timeout: Some(std::time::Duration::from_secs(30)),
            prompts: vec![],
            client: None,
        }
    }

    fn request(input_tokens: u32) -> PlannedRequest {
        PlannedRequest {
            id: 0,
            at: Time::ZERO,
            drawn: DrawnRequest {
                class: 0,
                input_tokens,
                output_tokens: 5,
                prompt: None,
            },
        }
    }

    #[test]
    fn filler_is_four_characters_per_token_marker_included() {
        let plain = prompt(&class(None), &request(300));
        assert_eq!(plain.len(), 1200);
        assert!(plain.is_ascii());
        let marked = prompt(&class(Some("medical")), &request(300));
        assert_eq!(marked.len(), 1200);
        assert!(marked.starts_with("[switchyard category=medical] "));
    }

    #[test]
    fn the_body_carries_the_class_settings_it_sets() {
        let b = body(&class(None), &request(10), 10.0);
        assert_eq!(b["model"], "gpt-4o");
        assert_eq!(b["max_tokens"], 5);
        assert_eq!(b["stream"], true);
        assert_eq!(b["stream_options"]["include_usage"], true);
        assert_eq!(b["tags"], json!(["paid"]));
        assert_eq!(b["num_retries"], 2);
        assert_eq!(b["timeout"], 3.0);
        assert!(b.get("fallbacks").is_none());
        assert!(b.get("disable_fallbacks").is_none());
        assert_eq!(b["messages"][0]["role"], "user");
    }
}
