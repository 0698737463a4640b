//! Anthropic upstreams end to end: `serve` in front of `mock-provider` speaking the Messages API
//! for `anthropic/…` deployments (and a fixture upstream that checks what LiteLLM sends), with a
//! real HTTP client. Chat, streams, a 429 with Retry-After cooling both deployments of a group,
//! Anthropic's 529 overloaded, and "prompt is too long" firing a context-window fallback.
//! Outcomes, bodies and headers only, never durations.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use serde_json::{Value, json};

use switchyard::config::LitellmConfig;
use switchyard::live::mock_provider::{self, MockHandle, MockOptions};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};

use crate::common::{env, scenario};

/// The proxy's config and the mock's providers in one scenario. `claude` is healthy, `busy`'s
/// two deployments allow one request a minute each, `overloaded`'s answer 529, `small` has a
/// 50-token context window and falls back to `big` (an OpenAI deployment).
const SCENARIO: &str = r#"
name: anthropic
duration: 1h
router:
  model_list:
    - {model_name: claude, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: claude-1}}
    - {model_name: busy, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: busy-1}}
    - {model_name: busy, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: busy-2}}
    - {model_name: overloaded, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: over-1}}
    - {model_name: overloaded, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: over-2}}
    - {model_name: small, litellm_params: {model: anthropic/claude-haiku-4-5}, model_info: {id: small-1}}
    - {model_name: big, litellm_params: {model: openai/gpt-4o}, model_info: {id: big-1}}
  router_settings:
    num_retries: 0
    retry_after: 0
    allowed_fails: 0
    context_window_fallbacks: [{small: [big]}]
providers:
  - {match: {model_name: claude}, ttft: 5ms, per_token: 1ms}
  - {match: {model_name: big}, ttft: 5ms, per_token: 1ms}
  - {match: {model_name: busy}, ttft: 5ms, rate_limit: {rpm: 1}}
  - match: {model_name: overloaded}
    ttft: 5ms
    outages: [{start: 0s, end: 1h, error: service_unavailable}]
  - {match: {model_name: small}, ttft: 5ms, max_input_tokens: 50}
workload:
  rate: 1/s
  mix:
    - {model: claude, input_tokens: 10, output_tokens: 10}
"#;

struct Stack {
    mock: MockHandle,
    mock_addr: SocketAddr,
    server: proxy::Server,
    url: String,
    log: tempfile::TempDir,
}

async fn serve(
    config: &LitellmConfig,
    mock_upstream: Option<String>,
) -> (proxy::Server, tempfile::TempDir) {
    let log = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log.path().join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(5),
        seed: Some(3),
        speed: 1.0,
        mock_upstream,
    };
    let server = proxy::start(config, None, &options)
        .await
        .expect("proxy starts");
    (server, log)
}

/// The mock on the wall clock (the rpm window must outlast the test) and the proxy in front.
async fn stack() -> Stack {
    let s = scenario(SCENARIO).expect("scenario parses");
    let options = MockOptions {
        port: 0,
        speed: 1.0,
        ..MockOptions::default()
    };
    let (mock_addr, mock) = mock_provider::start(&s, &options)
        .await
        .expect("mock starts");
    let (server, log) = serve(&s.config, Some(format!("http://{mock_addr}"))).await;
    let url = format!("http://{}/v1/chat/completions", server.addr);
    Stack {
        mock,
        mock_addr,
        server,
        url,
        log,
    }
}

impl Stack {
    async fn chat(&self, body: Value) -> reqwest::Response {
        reqwest::Client::new()
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    async fn log_lines(self) -> Vec<Value> {
        self.server.shutdown().await;
        self.mock.stop().await;
        read_log(&self.log)
    }
}

fn read_log(dir: &tempfile::TempDir) -> Vec<Value> {
    let text = std::fs::read_to_string(dir.path().join("requests.jsonl")).unwrap();
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

fn outcomes(line: &Value) -> Vec<(String, String, Value)> {
    line["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            (
                a["deployment"].as_str().unwrap().to_string(),
                a["outcome"].as_str().unwrap().to_string(),
                a["status"].clone(),
            )
        })
        .collect()
}

/// The `data:` payloads of an OpenAI stream, `[DONE]` excluded.
fn chunks(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|e| e.strip_prefix("data: "))
        .filter(|d| *d != "[DONE]")
        .map(|d| serde_json::from_str(d).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anthropic_deployment_answers_in_openai_s_shape_with_its_usage() {
    let s = stack().await;
    let r = s
        .chat(json!({"model": "claude", "max_tokens": 8, "messages": [
            {"role": "system", "content": "abcd"}, {"role": "user", "content": "abcdefgh"}]}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "claude-1");
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["object"], "chat.completion");
    assert!(
        v["id"].as_str().unwrap().starts_with("chatcmpl-msg_mock"),
        "{v}"
    );
    assert_eq!(v["model"], "claude-haiku-4-5");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(
        v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .split(' ')
            .count(),
        8
    );
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11}),
        "the system prompt reached Anthropic's `system` and was counted"
    );
    // No max_tokens: LiteLLM's default for the model (64000) is sent, which the mock reads as
    // a cap and answers its default length.
    let r = s
        .chat(json!({"model": "claude", "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["usage"]["completion_tokens"], 100, "{v}");
    // What Anthropic cannot take is refused without an upstream call.
    let r = s
        .chat(json!({"model": "claude", "tools": [{"type": "function"}], "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    assert_eq!(r.status(), 400);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("`tools`"),
        "{v}"
    );
    let lines = s.log_lines().await;
    assert_eq!(
        (
            lines[0]["input_tokens"].clone(),
            lines[0]["output_tokens"].clone()
        ),
        (json!(3), json!(8))
    );
    assert_eq!(
        outcomes(&lines[2]),
        [(
            "claude-1".to_string(),
            "bad_request".to_string(),
            Value::Null
        )]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anthropic_stream_becomes_openai_chunks_ending_in_done() {
    let s = stack().await;
    let body = |usage: bool| {
        json!({"model": "claude", "max_tokens": 12, "stream": true,
        "stream_options": {"include_usage": usage}, "messages": [{"role": "user", "content": "count"}]})
    };
    let r = s.chat(body(true)).await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/event-stream");
    assert_eq!(header(&r, "x-litellm-model-id"), "claude-1");
    let text = r.text().await.unwrap();
    assert!(text.ends_with("data: [DONE]\n\n"), "{text}");
    assert!(
        !text.contains("message_start") && !text.contains("event:"),
        "no Anthropic event leaks: {text}"
    );
    let got = chunks(&text);
    assert!(got.iter().all(|c| c["object"] == "chat.completion.chunk"));
    assert_eq!(got[0]["choices"][0]["delta"]["role"], "assistant");
    let joined: String = got
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .collect();
    assert_eq!(joined.split(' ').count(), 12, "{joined}");
    let finish: Vec<&Value> = got
        .iter()
        .map(|c| &c["choices"][0]["finish_reason"])
        .filter(|f| !f.is_null())
        .collect();
    assert_eq!(finish, [&json!("stop")]);
    assert_eq!(
        got.last().unwrap()["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 12, "total_tokens": 14})
    );
    let plain = s.chat(body(false)).await.text().await.unwrap();
    assert!(
        chunks(&plain).iter().all(|c| c.get("usage").is_none()),
        "usage only when asked: {plain}"
    );
    let lines = s.log_lines().await;
    for line in &lines {
        assert_eq!(line["stream"], true);
        assert_eq!(
            line["output_tokens"], 12,
            "Anthropic's own counts, asked for or not: {line}"
        );
        assert_eq!(line["input_tokens"], 2);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_with_retry_after_cools_the_deployment_for_that_long() {
    let s = stack().await;
    let hi =
        json!({"model": "busy", "max_tokens": 1, "messages": [{"role": "user", "content": "hi"}]});
    let mut last = (0, String::new());
    for _ in 0..6 {
        let r = s.chat(hi.clone()).await;
        last = (r.status().as_u16(), header(&r, "retry-after").to_string());
    }
    let lines = s.log_lines().await;
    let attempts: Vec<(String, String, Value)> = lines.iter().flat_map(outcomes).collect();
    let ok = attempts.iter().filter(|a| a.1 == "ok").count();
    let limited: Vec<&(String, String, Value)> =
        attempts.iter().filter(|a| a.1 == "rate_limit").collect();
    assert_eq!(
        ok, 2,
        "each deployment serves its one request a minute: {attempts:?}"
    );
    assert_eq!(
        limited.len(),
        2,
        "then answers 429 once and is cooled: {attempts:?}"
    );
    assert!(limited.iter().all(|a| a.2 == json!(429)));
    assert_ne!(limited[0].0, limited[1].0);
    let refused = lines.last().unwrap();
    assert_eq!(refused["error_class"], "no_deployments_available");
    assert!(
        refused["attempts"].as_array().unwrap().is_empty(),
        "no attempt reaches a cooling deployment"
    );
    assert_eq!(last.0, 429);
    let wait: u64 = last.1.parse().expect("a Retry-After once both cool");
    assert!(
        wait > 5,
        "the cooldown lasts the upstream's Retry-After (up to a minute), not the 5 s default: {wait}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anthropic_s_529_overloaded_is_an_internal_server_error_that_cools() {
    let s = stack().await;
    let hi = json!({"model": "overloaded", "num_retries": 1, "messages": [{"role": "user", "content": "hi"}]});
    let r = s.chat(hi.clone()).await;
    assert_eq!(
        r.status(),
        500,
        "LiteLLM raises InternalServerError for a 529"
    );
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Overloaded"),
        "{v}"
    );
    let again = s.chat(hi).await;
    assert_eq!(again.status(), 429, "both deployments cooling");
    let lines = s.log_lines().await;
    let first = outcomes(&lines[0]);
    assert_eq!(first.len(), 2, "{first:?}");
    assert!(
        first
            .iter()
            .all(|a| a.1 == "internal_server" && a.2 == json!(529)),
        "{first:?}"
    );
    assert_ne!(
        first[0].0, first[1].0,
        "the retry went to the deployment not cooling"
    );
    assert!(outcomes(&lines[1]).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_is_too_long_fires_the_context_window_fallback() {
    let s = stack().await;
    let r = s
        .chat(json!({"model": "small", "max_tokens": 2, "messages": [{"role": "user", "content": "x".repeat(400)}]}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "big-1");
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "1");
    let lines = s.log_lines().await;
    assert_eq!(
        outcomes(&lines[0]),
        [
            (
                "small-1".to_string(),
                "context_window_exceeded".to_string(),
                json!(400)
            ),
            ("big-1".to_string(), "ok".to_string(), json!(200)),
        ]
    );
}

/// A fixture Anthropic that answers only what LiteLLM would send: `POST /v1/messages` with
/// `x-api-key`, `anthropic-version: 2023-06-01` and a Messages body.
async fn strict_anthropic(headers: HeaderMap, body: String) -> axum::response::Response {
    let v: Value = serde_json::from_str(&body).unwrap_or_default();
    let good = headers.get("x-api-key").is_some_and(|k| k == "sk-ant-test")
        && headers
            .get("anthropic-version")
            .is_some_and(|k| k == "2023-06-01")
        && headers.get("authorization").is_none()
        && v["max_tokens"] == 4096
        && v["system"] == json!([{"type": "text", "text": "S"}])
        && v["model"] == "claude-sonnet-4-20250514";
    if !good {
        let error = json!({"type": "error", "error": {"type": "invalid_request_error", "message": format!("unexpected request: {headers:?} {body}")}});
        return (StatusCode::BAD_REQUEST, error.to_string()).into_response();
    }
    let answer = json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-4-20250514",
        "content": [{"type": "text", "text": "ok"}], "stop_reason": "max_tokens", "usage": {"input_tokens": 4, "output_tokens": 1}});
    ([("content-type", "application/json")], answer.to_string()).into_response()
}

#[allow(
    clippy::disallowed_methods,
    reason = "the test's upstream server runs as its own task"
)]
async fn start_strict_anthropic() -> SocketAddr {
    let app = axum::Router::new().route("/v1/messages", post(strict_anthropic));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_anthropic_api_base_gets_v1_messages_with_litellm_s_headers() {
    let up = start_strict_anthropic().await;
    let text = format!(
        "model_list:\n  - {{model_name: c, litellm_params: {{model: anthropic/claude-sonnet-4-20250514, api_base: \"http://{up}/\", api_key: sk-ant-test}}, model_info: {{id: c-1}}}}\n"
    );
    let config =
        LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &env()).expect("config loads");
    let (server, log) = serve(&config, None).await;
    let r = reqwest::Client::new()
        .post(format!("http://{}/v1/chat/completions", server.addr))
        .json(&json!({"model": "c", "messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "hi"}]}))
        .send()
        .await
        .unwrap();
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["choices"][0]["finish_reason"], "length");
    server.shutdown().await;
    assert_eq!(read_log(&log)[0]["output_tokens"], 1);
}

#[test]
fn anthropic_targets_use_litellm_s_url_rule() {
    use switchyard::live::upstream::{Upstreams, Wire};
    let load = |api_base: &str| {
        let base = if api_base.is_empty() {
            String::new()
        } else {
            format!(", api_base: \"{api_base}\"")
        };
        let text = format!(
            "model_list:\n  - {{model_name: m, litellm_params: {{model: anthropic/claude-haiku-4-5{base}, api_key: k}}, model_info: {{id: m-1}}}}\n"
        );
        LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &env()).expect("config loads")
    };
    let url = |api_base: &str| {
        let config = load(api_base);
        let upstreams = Upstreams::new(&config.table, None).unwrap();
        let target = upstreams
            .target(switchyard::router::DeploymentIdx(0))
            .unwrap()
            .clone();
        assert_eq!(
            target.wire,
            Wire::Anthropic {
                default_max_tokens: 64_000
            }
        );
        target.chat_url.to_string()
    };
    assert_eq!(url(""), "https://api.anthropic.com/v1/messages");
    assert_eq!(url("http://h/prefix/"), "http://h/prefix/v1/messages");
    assert_eq!(url("http://h/v1/messages"), "http://h/v1/messages");
    assert_eq!(
        url("http://h/v1"),
        "http://h/v1/v1/messages",
        "LiteLLM appends /v1/messages to a /v1 base too"
    );
    let mocked = Upstreams::new(&load("").table, Some("http://mock:1")).unwrap();
    let target = mocked.target(switchyard::router::DeploymentIdx(0)).unwrap();
    assert_eq!(target.chat_url.as_str(), "http://mock:1/p/m-1/v1/messages");
    assert!(target.credential.is_none());
}

/// Anthropic's stream events, as the fixture sends them.
fn sse(name: &str, data: &Value) -> String {
    format!("event: {name}\ndata: {data}\n\n")
}

/// A fixture Anthropic streaming `/{kind}/v1/messages`: `ok` a whole answer, `early` an
/// `overloaded_error` event before any text, `late` one after the first text.
async fn streaming_anthropic(
    axum::extract::Path(kind): axum::extract::Path<String>,
) -> axum::response::Response {
    let start = sse(
        "message_start",
        &json!({"type": "message_start", "message": {"id": "msg_s", "model": "claude-haiku-4-5", "content": [], "usage": {"input_tokens": 3, "output_tokens": 1}}}),
    );
    let text = sse(
        "content_block_delta",
        &json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hel"}}),
    );
    let error = sse(
        "error",
        &json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    );
    let end = sse(
        "message_delta",
        &json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 2}}),
    ) + &sse("message_stop", &json!({"type": "message_stop"}));
    let events = match kind.as_str() {
        "early" => format!("{start}{error}"),
        "late" => format!("{start}{text}{error}"),
        _ => format!("{start}{text}{end}"),
    };
    ([("content-type", "text/event-stream")], events).into_response()
}

#[allow(
    clippy::disallowed_methods,
    reason = "the test's upstream server runs as its own task"
)]
async fn start_streaming_anthropic() -> SocketAddr {
    let app = axum::Router::new().route("/{kind}/v1/messages", post(streaming_anthropic));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_error_event_before_the_first_text_falls_back_and_after_it_ends_the_stream() {
    let up = start_streaming_anthropic().await;
    let deployment = |name: &str, kind: &str| {
        format!(
            "  - {{model_name: {name}, litellm_params: {{model: anthropic/claude-haiku-4-5, api_base: \"http://{up}/{kind}\", api_key: k}}, model_info: {{id: {name}-1}}}}\n"
        )
    };
    let text = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{early: [good]}}]\n",
        deployment("early", "early"),
        deployment("late", "late"),
        deployment("good", "ok"),
    );
    let config =
        LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &env()).expect("config loads");
    let (server, log) = serve(&config, None).await;
    let chat = |model: &str| {
        reqwest::Client::new()
            .post(format!("http://{}/v1/chat/completions", server.addr))
            .json(&json!({"model": model, "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
    };
    let r = chat("early").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "good-1");
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "1");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("\"Hel\"") && text.ends_with("data: [DONE]\n\n"),
        "{text}"
    );
    let late = chat("late").await.unwrap().text().await.unwrap();
    assert!(
        late.contains("\"Hel\""),
        "the text before the error reached the client: {late}"
    );
    assert!(
        late.contains("Overloaded") && !late.contains("[DONE]"),
        "{late}"
    );
    server.shutdown().await;
    let lines = read_log(&log);
    assert_eq!(
        outcomes(&lines[0]),
        [
            (
                "early-1".to_string(),
                "internal_server".to_string(),
                json!(529)
            ),
            ("good-1".to_string(), "ok".to_string(), json!(200)),
        ]
    );
    assert_eq!(lines[0]["output_tokens"], 2);
    assert_eq!(lines[1]["error_class"], "internal_server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_provider_speaks_the_messages_api_for_any_deployment() {
    let s = stack().await;
    let url = |id: &str| format!("http://{}/p/{id}/v1/messages", s.mock_addr);
    let post = |id: &str, body: Value| reqwest::Client::new().post(url(id)).json(&body).send();
    let hi = |extra: Value| {
        let mut body = json!({"model": "claude-haiku-4-5", "max_tokens": 3, "system": "abcd",
            "messages": [{"role": "user", "content": [{"type": "text", "text": "abcd"}]}]});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let answer: Value = post("claude-1", hi(json!({})))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(answer["type"], "message");
    assert_eq!(answer["stop_reason"], "end_turn");
    assert_eq!(
        answer["usage"],
        json!({"input_tokens": 2, "output_tokens": 3})
    );
    assert_eq!(answer["content"][0]["type"], "text");
    let events = post("claude-1", hi(json!({"stream": true})))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let names: Vec<&str> = events
        .lines()
        .filter_map(|l| l.strip_prefix("event: "))
        .collect();
    assert_eq!(names.first(), Some(&"message_start"));
    assert_eq!(names.last(), Some(&"message_stop"));
    assert!(names.contains(&"content_block_delta") && names.contains(&"message_delta"));
    let over = post("over-1", hi(json!({}))).await.unwrap();
    assert_eq!(over.status(), 529);
    let v: Value = over.json().await.unwrap();
    assert_eq!(
        (v["type"].as_str(), v["error"]["type"].as_str()),
        (Some("error"), Some("overloaded_error"))
    );
    let long = hi(json!({"messages": [{"role": "user", "content": "x".repeat(400)}]}));
    let small = post("small-1", long).await.unwrap();
    assert_eq!(small.status(), 400);
    let v: Value = small.json().await.unwrap();
    assert_eq!(
        v["error"]["message"],
        "prompt is too long: 101 tokens > 50 maximum"
    );
    let missing: Value = post("claude-1", json!({"messages": []}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(missing["error"]["type"], "invalid_request_error");
    s.log_lines().await;
}
