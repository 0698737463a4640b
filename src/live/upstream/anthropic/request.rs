//! An OpenAI chat body as Anthropic's Messages API takes it, translated as LiteLLM 1.108.7 does
//! (`AnthropicConfig.transform_request`, observed against a capturing server).
//!
//! - `system` and `developer` messages become `system` text blocks; the other messages keep
//!   their role, their content becomes text blocks, and consecutive messages of one role merge
//!   into one (the Messages API wants the roles to alternate).
//! - `max_tokens` (or `max_completion_tokens`) is sent, else the model's default
//!   ([`super::default_max_tokens`]); `stop` becomes `stop_sequences`; `temperature`, `top_p`
//!   and `stream` are kept; `user` becomes `metadata.user_id`; `n: 1` and `stream_options` are
//!   dropped; keys OpenAI does not define pass through, as LiteLLM passes them.
//! - OpenAI parameters Anthropic has no equivalent for (`presence_penalty`, `seed`, `n > 1`, …)
//!   are refused, as LiteLLM refuses them without `drop_params`; tools, tool messages,
//!   `response_format` and non-text content are refused because Switchyard does not translate
//!   them yet.
//!
//! It decides only the body; nothing is sent here.

use serde_json::{Map, Value, json};

/// OpenAI parameters LiteLLM refuses for Anthropic (`UnsupportedParamsError`).
const UNSUPPORTED: &[&str] = &[
    "presence_penalty",
    "frequency_penalty",
    "seed",
    "logit_bias",
    "logprobs",
    "top_logprobs",
    "modalities",
    "audio",
    "prediction",
];

/// OpenAI features Switchyard does not translate to the Messages API yet.
const NOT_TRANSLATED: &[&str] = &[
    "tools",
    "tool_choice",
    "parallel_tool_calls",
    "functions",
    "function_call",
    "response_format",
];

/// Keys read here and not passed on as they are.
const TRANSLATED: &[&str] = &[
    "model",
    "messages",
    "max_tokens",
    "max_completion_tokens",
    "stop",
    "user",
    "n",
    "stream_options",
];

/// The Messages body for the OpenAI chat `body`, for `model`, with `default_max_tokens` when
/// the body names none; `Err` says why the request cannot be sent to Anthropic.
pub fn messages_body(
    body: &Map<String, Value>,
    model: &str,
    default_max_tokens: u32,
) -> Result<Vec<u8>, String> {
    refuse_untranslatable(body)?;
    let mut out = Map::new();
    out.insert("model".into(), Value::String(model.to_string()));
    let (system, messages) = split_messages(body.get("messages"))?;
    out.insert("messages".into(), Value::Array(messages));
    if !system.is_empty() {
        out.insert("system".into(), Value::Array(system));
    }
    let max_tokens = body
        .get("max_tokens")
        .or_else(|| body.get("max_completion_tokens"))
        .filter(|v| !v.is_null())
        .cloned()
        .unwrap_or_else(|| json!(default_max_tokens));
    out.insert("max_tokens".into(), max_tokens);
    if let Some(stop) = stop_sequences(body.get("stop"))? {
        out.insert("stop_sequences".into(), stop);
    }
    if let Some(user) = body.get("user").and_then(Value::as_str) {
        out.insert("metadata".into(), json!({ "user_id": user }));
    }
    for (key, value) in body {
        if !TRANSLATED.contains(&key.as_str()) && !value.is_null() {
            out.insert(key.clone(), value.clone());
        }
    }
    serde_json::to_vec(&out).map_err(|e| format!("cannot write the Messages body: {e}"))
}

/// Refuses what LiteLLM refuses and what Switchyard does not translate.
fn refuse_untranslatable(body: &Map<String, Value>) -> Result<(), String> {
    let mut unsupported: Vec<&str> = UNSUPPORTED
        .iter()
        .copied()
        .filter(|k| body.get(*k).is_some_and(|v| !v.is_null()))
        .collect();
    if body.get("n").and_then(Value::as_u64).is_some_and(|n| n > 1) {
        unsupported.push("n");
    }
    if !unsupported.is_empty() {
        return Err(format!(
            "anthropic does not support parameters: {unsupported:?} (LiteLLM's UnsupportedParamsError)"
        ));
    }
    if let Some(key) = NOT_TRANSLATED
        .iter()
        .find(|k| body.get(**k).is_some_and(|v| !v.is_null()))
    {
        return Err(format!(
            "`{key}` is not translated to Anthropic's Messages API by Switchyard yet"
        ));
    }
    Ok(())
}

/// `(system blocks, messages)`: system and developer messages lifted out, consecutive
/// messages of one role merged.
fn split_messages(messages: Option<&Value>) -> Result<(Vec<Value>, Vec<Value>), String> {
    let list = messages
        .and_then(Value::as_array)
        .ok_or("`messages` must be an array")?;
    let mut system = Vec::new();
    let mut out: Vec<Value> = Vec::new();
    for (i, m) in list.iter().enumerate() {
        let role = m.get("role").and_then(Value::as_str).unwrap_or("");
        if m.get("tool_calls").is_some_and(|v| !v.is_null()) {
            return Err(format!(
                "messages[{i}].tool_calls: tool calls are not translated to Anthropic's Messages API by Switchyard yet"
            ));
        }
        let blocks = text_blocks(m.get("content"), i)?;
        match role {
            "system" | "developer" => system.extend(blocks),
            "user" | "assistant" => push_merged(&mut out, role, blocks),
            other => {
                return Err(format!(
                    "messages[{i}].role: {other:?} is not translated to Anthropic's Messages API (expected system, developer, user or assistant)"
                ));
            }
        }
    }
    Ok((system, out))
}

/// Appends a message, merging it into the last one when the role repeats.
fn push_merged(out: &mut Vec<Value>, role: &str, blocks: Vec<Value>) {
    if let Some(last) = out.last_mut()
        && last["role"] == role
        && let Some(content) = last["content"].as_array_mut()
    {
        content.extend(blocks);
        return;
    }
    out.push(json!({ "role": role, "content": blocks }));
}

/// A message's content as text blocks: a string is one block, text parts one block each.
fn text_blocks(content: Option<&Value>, i: usize) -> Result<Vec<Value>, String> {
    let block = |text: &str| json!({ "type": "text", "text": text });
    match content {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::String(s)) => Ok(vec![block(s)]),
        Some(Value::Array(parts)) => parts
            .iter()
            .enumerate()
            .map(|(j, p)| match (p.get("type").and_then(Value::as_str), p.get("text").and_then(Value::as_str)) {
                (Some("text") | None, Some(text)) => Ok(block(text)),
                (kind, _) => Err(format!(
                    "messages[{i}].content[{j}]: a {} part is not translated to Anthropic's Messages API by Switchyard yet (text only)",
                    kind.unwrap_or("untyped")
                )),
            })
            .collect(),
        Some(_) => Err(format!(
            "messages[{i}].content: expected a string or an array of parts"
        )),
    }
}

/// `stop` as `stop_sequences`: a string becomes a one-element list.
fn stop_sequences(stop: Option<&Value>) -> Result<Option<Value>, String> {
    match stop {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(json!([s]))),
        Some(Value::Array(list)) if list.iter().all(Value::is_string) => {
            Ok(Some(Value::Array(list.clone())))
        }
        Some(_) => Err("`stop`: expected a string or an array of strings".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translate(body: Value, default: u32) -> Result<Value, String> {
        let Value::Object(map) = body else {
            panic!("an object")
        };
        messages_body(&map, "claude-haiku-4-5", default)
            .map(|b| serde_json::from_slice(&b).unwrap())
    }

    #[test]
    fn system_roles_stops_and_sampling_translate_as_litellm_s_do() {
        let out = translate(
            json!({
                "model": "claude", "stream": true, "stream_options": {"include_usage": true},
                "temperature": 0.5, "top_p": 0.9, "stop": "END", "user": "u1", "n": 1, "top_k": 3,
                "messages": [
                    {"role": "system", "content": "be brief"},
                    {"role": "developer", "content": [{"type": "text", "text": "D"}]},
                    {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": " there"}]},
                    {"role": "user", "content": "two"},
                    {"role": "assistant", "content": "yo"},
                ],
            }),
            64_000,
        )
        .unwrap();
        assert_eq!(
            out,
            json!({
                "model": "claude-haiku-4-5",
                "system": [{"type": "text", "text": "be brief"}, {"type": "text", "text": "D"}],
                "messages": [
                    {"role": "user", "content": [{"type": "text", "text": "hi"}, {"type": "text", "text": " there"}, {"type": "text", "text": "two"}]},
                    {"role": "assistant", "content": [{"type": "text", "text": "yo"}]},
                ],
                "max_tokens": 64_000, "stop_sequences": ["END"], "metadata": {"user_id": "u1"},
                "temperature": 0.5, "top_p": 0.9, "stream": true, "top_k": 3,
            })
        );
    }

    #[test]
    fn the_client_s_max_tokens_wins_over_the_default() {
        let msgs = json!([{"role": "user", "content": "hi"}]);
        let out = translate(json!({"messages": msgs, "max_completion_tokens": 77}), 4096).unwrap();
        assert_eq!(out["max_tokens"], 77);
        let out = translate(
            json!({"messages": msgs, "max_tokens": 5, "stop": ["a", "b"]}),
            4096,
        )
        .unwrap();
        assert_eq!(
            (out["max_tokens"].clone(), out["stop_sequences"].clone()),
            (json!(5), json!(["a", "b"]))
        );
        assert!(out.get("system").is_none());
        let out = translate(json!({"messages": msgs}), 4096).unwrap();
        assert_eq!(out["max_tokens"], 4096);
    }

    #[test]
    fn what_anthropic_or_switchyard_cannot_take_is_refused_with_its_name() {
        let msgs = json!([{"role": "user", "content": "hi"}]);
        let e = translate(
            json!({"messages": msgs, "seed": 3, "presence_penalty": 0.1}),
            1,
        )
        .unwrap_err();
        assert!(e.contains("presence_penalty") && e.contains("seed"), "{e}");
        assert!(
            translate(json!({"messages": msgs, "n": 2}), 1)
                .unwrap_err()
                .contains("\"n\"")
        );
        let e = translate(json!({"messages": msgs, "tools": [{}]}), 1).unwrap_err();
        assert!(e.contains("`tools`"), "{e}");
        let e = translate(json!({"messages": [{"role": "tool", "content": "x"}]}), 1).unwrap_err();
        assert!(e.contains("messages[0].role"), "{e}");
        let image = json!([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}]);
        let e = translate(json!({"messages": image}), 1).unwrap_err();
        assert!(
            e.contains("messages[0].content[0]") && e.contains("image_url"),
            "{e}"
        );
        assert!(
            translate(json!({"model": "m"}), 1)
                .unwrap_err()
                .contains("`messages`")
        );
    }
}
