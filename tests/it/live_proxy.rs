//! The live proxy end to end on loopback: a fixture upstream the test starts, `serve`'s library
//! entry point in front of it, and a real HTTP client. Asserts outcomes and headers, never
//! durations.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;

use switchyard::config::LitellmConfig;
use switchyard::live::proxy::master_key::{KeyEnvironment, UnsafeKey};
use switchyard::live::proxy::{self, ServeOptions};

use crate::common::env;

const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#;

/// The fixture upstream: `/ok` answers, `/fail` answers 500, `/busy` 429 with Retry-After 7,
/// `/big` a context-window error; a streaming request to `/ok` gets three events.
async fn upstream(UrlPath(kind): UrlPath<String>, body: String) -> Response {
    let stream = body.contains(r#""stream":true"#);
    match kind.as_str() {
        // A stream that never ends: events as fast as they are read.
        "endless" => {
            let event = Bytes::from_static(b"data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"la\"}}]}\n\n");
            let events = futures_util::stream::repeat(Ok::<_, std::convert::Infallible>(event));
            ([("content-type", "text/event-stream")], axum::body::Body::from_stream(events)).into_response()
        }
        "ok" if stream => {
            let chunk = |c: &str| format!("data: {{\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\"{c}\"}}}}]}}\n\n");
            let events = format!("{}{}data: [DONE]\n\n", chunk("hel"), chunk("lo"));
            ([("content-type", "text/event-stream")], events).into_response()
        }
        "ok" => ([("content-type", "application/json")], ANSWER).into_response(),
        "busy" => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")], r#"{"error":{"message":"slow down"}}"#).into_response(),
        "big" => (StatusCode::BAD_REQUEST, r#"{"error":{"message":"This model's maximum context length is 10 tokens.","code":"context_length_exceeded"}}"#).into_response(),
        _ => (StatusCode::INTERNAL_SERVER_ERROR, r#"{"error":{"message":"boom"}}"#).into_response(),
    }
}

#[allow(
    clippy::disallowed_methods,
    reason = "the test's upstream server runs as its own task"
)]
async fn start_upstream() -> SocketAddr {
    let app = axum::Router::new().route("/{kind}/v1/chat/completions", post(upstream));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

fn config(up: SocketAddr) -> LitellmConfig {
    config_with(up, "", "")
}

/// The fixture's config with `router_extra` lines added to its `router_settings` and `extra`
/// YAML appended.
fn config_with(up: SocketAddr, router_extra: &str, extra: &str) -> LitellmConfig {
    let base = |kind: &str| format!("http://{up}/{kind}/v1");
    let text = format!(
        r#"
model_list:
  - {{model_name: good, litellm_params: {{model: openai/good-m, api_base: "{ok}", input_cost_per_token: 0.001, output_cost_per_token: 0.002}}, model_info: {{id: good-1}}}}
  - {{model_name: flaky, litellm_params: {{model: openai/m, api_base: "{fail}"}}, model_info: {{id: flaky-1}}}}
  - {{model_name: busy, litellm_params: {{model: openai/m, api_base: "{busy}"}}, model_info: {{id: busy-1}}}}
  - {{model_name: busy, litellm_params: {{model: openai/m, api_base: "{busy}"}}, model_info: {{id: busy-2}}}}
  - {{model_name: small, litellm_params: {{model: openai/m, api_base: "{big}"}}, model_info: {{id: small-1}}}}
  - {{model_name: endless, litellm_params: {{model: openai/m, api_base: "{endless}"}}, model_info: {{id: endless-1}}}}
router_settings:
{router_extra}  num_retries: 1
  retry_after: 0
  retry_policy: {{RateLimitErrorRetries: 0}}
  fallbacks: [{{flaky: [good]}}]
  context_window_fallbacks: [{{small: [good]}}]
general_settings:
  master_key: sk-1234
{extra}"#,
        ok = base("ok"),
        fail = base("fail"),
        busy = base("busy"),
        big = base("big"),
        endless = base("endless"),
    );
    LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &env()).expect("config loads")
}

struct Fixture {
    server: proxy::Server,
    client: reqwest::Client,
    url: String,
    log: tempfile::TempDir,
}

async fn fixture() -> Fixture {
    fixture_with("", "").await
}

/// How the fixture serves: any free port, the log in `dir`, a fixed seed.
fn options(dir: &Path, key_environment: KeyEnvironment) -> ServeOptions {
    ServeOptions {
        key_environment,
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: dir.join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(5),
        seed: Some(7),
        speed: 1.0,
        mock_upstream: None,
    }
}

/// The fixture with `router_extra` lines in its `router_settings` and `extra` YAML appended.
async fn fixture_with(router_extra: &str, extra: &str) -> Fixture {
    let up = start_upstream().await;
    serving(config_with(up, router_extra, extra)).await
}

/// A fixture serving the config `text` writes for the test upstream's address.
async fn fixture_of(text: impl FnOnce(SocketAddr) -> String) -> Fixture {
    let up = start_upstream().await;
    let config = LitellmConfig::from_str(&text(up), "proxy.yaml", Path::new("."), &env())
        .expect("config loads");
    serving(config).await
}

async fn serving(config: LitellmConfig) -> Fixture {
    let log = tempfile::tempdir().unwrap();
    let options = options(log.path(), KeyEnvironment::local_development());
    let server = proxy::start(&config, None, &options)
        .await
        .expect("proxy starts");
    let url = format!("http://{}", server.addr);
    Fixture {
        server,
        client: reqwest::Client::new(),
        url,
        log,
    }
}

impl Fixture {
    /// Posts a chat request; a body without `messages` gets a one-message conversation (the
    /// proxy refuses a chat without them before routing, as LiteLLM's does).
    async fn chat(&self, mut body: serde_json::Value) -> reqwest::Response {
        if body.get("messages").is_none() {
            body["messages"] = serde_json::json!([{"role": "user", "content": "hi"}]);
        }
        self.client
            .post(format!("{}/v1/chat/completions", self.url))
            .bearer_auth("sk-1234")
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// Stops the proxy and returns the request log's lines.
    async fn log_lines(self) -> Vec<serde_json::Value> {
        self.server.shutdown().await;
        let text = std::fs::read_to_string(self.log.path().join("requests.jsonl")).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

fn header<'a>(r: &'a reqwest::Response, name: &str) -> &'a str {
    r.headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_publicly_known_key_stops_the_proxy_unless_local_development_permits_it() {
    let up = start_upstream().await;
    let log = tempfile::tempdir().unwrap();
    let options = |key_environment| options(log.path(), key_environment);
    let refused = proxy::start(&config(up), None, &options(KeyEnvironment::default())).await;
    let Err(refused) = refused else {
        panic!("sk-1234 must not start the proxy");
    };
    assert!(
        refused
            .0
            .contains("proxy.yaml: general_settings.master_key: refusing to start"),
        "{refused}"
    );
    assert!(refused.0.contains("publicly known default"), "{refused}");
    assert!(!log.path().join("requests.jsonl").exists());
    let server = proxy::start(
        &config(up),
        None,
        &options(KeyEnvironment::local_development()),
    )
    .await
    .expect("permitted for local development");
    assert_eq!(server.unsafe_key, Some(UnsafeKey::PubliclyKnown));
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_s_mock_response_is_stripped_unless_switchyard_settings_allow_it() {
    let body = serde_json::json!({"model": "good", "mock_response": "mocked"});
    let content = |v: &serde_json::Value| v["choices"][0]["message"]["content"].clone();
    let stripped = fixture().await;
    let r = stripped.chat(body.clone()).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        content(&v),
        "hello",
        "the upstream answered, as under LiteLLM's proxy"
    );
    let lines = stripped.log_lines().await;
    assert_eq!(lines[0]["attempts"].as_array().unwrap().len(), 1);

    let allowed = fixture_with(
        "",
        "switchyard_settings: {allow_client_mock_response: true}\n",
    )
    .await;
    let r = allowed.chat(body).await;
    assert_eq!(r.status(), 200);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(content(&v), "mocked", "answered without an upstream");
    allowed.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn liveliness_answers_litellm_s_json_string() {
    let f = fixture().await;
    let r = f
        .client
        .get(format!("{}/health/liveliness", f.url))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "application/json");
    assert_eq!(r.text().await.unwrap(), "\"I'm alive!\"");
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn litellm_s_gate_refuses_before_routing_and_every_refusal_is_logged() {
    let f = fixture().await;
    let post = |body: &'static str| {
        f.client
            .post(format!("{}/v1/chat/completions", f.url))
            .bearer_auth("sk-1234")
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let cases = [
        (
            "{\"model\": \"nope\", \"messages\": []}",
            "/chat/completions: Invalid model name passed in model=nope. Call `/v1/models` to view available models for your key.",
        ),
        (
            "{\"model\": \"flaky\"}",
            "/chat/completions: Missing required parameter: 'messages'.",
        ),
        (
            "",
            "/chat/completions: Missing required parameter: 'messages'.",
        ),
        ("{\"model\": 7}", "'model' must be a string."),
    ];
    for (body, message) in cases {
        let r = post(body).await.unwrap();
        assert_eq!(r.status(), 400, "{body}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["error"]["message"], message, "{body}");
    }
    let bad = post("{\"model\":").await.unwrap();
    assert_eq!(bad.status(), 400);
    let v: serde_json::Value = bad.json().await.unwrap();
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("Invalid JSON payload: ")
    );
    assert_eq!(v["error"]["param"], "request_body");
    let lines = f.log_lines().await;
    assert_eq!(lines.len(), 5, "every refusal is a log line");
    let classes: Vec<&str> = lines
        .iter()
        .map(|l| l["error_class"].as_str().unwrap())
        .collect();
    assert_eq!(
        classes,
        [
            "unknown_model",
            "bad_request",
            "bad_request",
            "bad_request",
            "bad_request"
        ]
    );
    assert_eq!(lines[0]["model"], "nope");
    assert_eq!(lines[1]["model"], "flaky");
    for line in &lines {
        assert_eq!(line["status"], 400);
        assert_eq!(
            line["attempts"],
            serde_json::json!([]),
            "no upstream was called: {line}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gate_knows_aliases_deployment_ids_and_litellm_models() {
    let f = fixture_with("  model_group_alias: {best: good}\n", "").await;
    for model in ["best", "good-1", "good", "openai/good-m"] {
        let r = f.chat(serde_json::json!({"model": model})).await;
        assert_eq!(r.status(), 200, "{model}");
        assert_eq!(header(&r, "x-litellm-model-id"), "good-1", "{model}");
    }
    // A `litellm_params.model` is its own model group, as LiteLLM reports it.
    let r = f.chat(serde_json::json!({"model": "openai/good-m"})).await;
    assert_eq!(header(&r, "x-litellm-model-group"), "openai/good-m");
    let r = f.chat(serde_json::json!({"model": "good"})).await;
    assert_eq!(header(&r, "x-litellm-model-group"), "good");
    f.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_completion_is_served_with_litellm_s_headers_and_logged() {
    let f = fixture().await;
    let r = f
        .chat(serde_json::json!({"model": "good", "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "good-1");
    assert_eq!(header(&r, "x-litellm-model-group"), "good");
    assert_eq!(header(&r, "x-litellm-model-name"), "openai/good-m");
    assert_eq!(header(&r, "x-litellm-attempted-retries"), "0");
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "0");
    let cost: f64 = header(&r, "x-litellm-response-cost").parse().unwrap();
    assert!(
        (cost - (5.0 * 0.001 + 3.0 * 0.002)).abs() < 1e-12,
        "cost from the upstream's usage: {cost}"
    );
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["choices"][0]["message"]["content"], "hello");
    let models: serde_json::Value = f
        .client
        .get(format!("{}/v1/models", f.url))
        .bearer_auth("sk-1234")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = models["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["busy", "endless", "flaky", "good", "small"]);
    let lines = f.log_lines().await;
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["status"], 200);
    assert_eq!(lines[0]["deployment"], "good-1");
    assert_eq!(lines[0]["output_tokens"], 3);
    assert!(
        lines[0].get("prompt").is_none(),
        "no prompt text without --log-prompts"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_key_is_401_in_openai_s_shape_and_never_echoed() {
    let f = fixture().await;
    let r = f
        .client
        .post(format!("{}/chat/completions", f.url))
        .header("authorization", "Bearer sk-wrong-secret")
        .json(&serde_json::json!({"model": "good"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body = r.text().await.unwrap();
    assert!(!body.contains("sk-wrong-secret") && !body.contains("sk-1234"));
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["error"]["type"], "authentication_error");
    let by_header = f
        .client
        .post(format!("{}/chat/completions", f.url))
        .header("x-litellm-api-key", "sk-1234")
        .json(
            &serde_json::json!({"model": "good", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(by_header.status(), 200);
    assert_eq!(header(&by_header, "x-litellm-model-id"), "good-1");
    let lines = f.log_lines().await;
    assert_eq!(
        lines
            .iter()
            .map(|l| l["status"].as_u64().unwrap())
            .collect::<Vec<_>>(),
        [401, 200]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_group_retries_then_falls_back_and_says_so() {
    let f = fixture().await;
    let r = f
        .chat(
            serde_json::json!({"model": "flaky", "messages": [{"role": "user", "content": "hi"}]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "good-1");
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "1");
    assert_eq!(
        header(&r, "x-litellm-attempted-retries"),
        "0",
        "0 when a fallback served"
    );
    let off = f
        .chat(serde_json::json!({"model": "flaky", "disable_fallbacks": true, "num_retries": 0}))
        .await;
    assert_eq!(off.status(), 500, "the upstream's 500 reaches the client");
    let v: serde_json::Value = off.json().await.unwrap();
    assert!(
        v["error"]["message"].as_str().unwrap().contains("boom"),
        "{v}"
    );
    let small = f.chat(serde_json::json!({"model": "small"})).await;
    assert_eq!(
        header(&small, "x-litellm-model-id"),
        "good-1",
        "context-window fallback"
    );
    let lines = f.log_lines().await;
    let attempts: Vec<&str> = lines[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["deployment"].as_str().unwrap())
        .collect();
    assert_eq!(
        attempts,
        ["flaky-1", "flaky-1", "good-1"],
        "one retry on the lone deployment, then the fallback"
    );
}

/// LiteLLM 1.108.7 counts the targets tried from the requested group's list, not the depth:
/// `flaky → [busy, good]` served by `good`, the list's second target, says 2.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_attempted_fallbacks_header_counts_the_targets_tried_from_the_list() {
    let f = fixture().await;
    let r = f
        .chat(
            serde_json::json!({"model": "flaky", "num_retries": 0, "fallbacks": ["busy", "good"]}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "x-litellm-model-id"), "good-1");
    assert_eq!(header(&r, "x-litellm-attempted-fallbacks"), "2");
    let lines = f.log_lines().await;
    let attempts: Vec<&str> = lines[0]["attempts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["deployment"].as_str().unwrap())
        .collect();
    assert_eq!(attempts.first(), Some(&"flaky-1"));
    assert_eq!(attempts.last(), Some(&"good-1"));
    assert!(
        attempts.iter().any(|a| a.starts_with("busy-")),
        "busy was tried first: {attempts:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_every_deployment_is_cooling_the_client_gets_429_with_retry_after() {
    let f = fixture().await;
    // RateLimitErrorRetries: 0 — each request makes one attempt, and its 429 cools the
    // deployment for the upstream's Retry-After (7 s).
    for _ in 0..2 {
        let r = f.chat(serde_json::json!({"model": "busy"})).await;
        assert_eq!(r.status(), 429, "the upstream's 429 reaches the client");
    }
    let third = f.chat(serde_json::json!({"model": "busy"})).await;
    assert_eq!(third.status(), 429);
    let wait: u64 = header(&third, "retry-after")
        .parse()
        .expect("a Retry-After");
    assert!(
        (1..=7).contains(&wait),
        "until the first cooldown ends: {wait}"
    );
    let v: serde_json::Value = third.json().await.unwrap();
    assert_eq!(
        v["error"]["type"], "all_deployments_in_cooldown",
        "LiteLLM's RouterRateLimitError carries this type: {v}"
    );
    let lines = f.log_lines().await;
    let attempted: Vec<&str> = lines[..2]
        .iter()
        .map(|l| l["attempts"][0]["deployment"].as_str().unwrap())
        .collect();
    assert!(
        attempted.contains(&"busy-1") && attempted.contains(&"busy-2"),
        "{attempted:?}"
    );
    assert_eq!(
        lines[2]["attempts"].as_array().unwrap().len(),
        0,
        "no attempt reaches a cooling deployment"
    );
    assert_eq!(lines[2]["error_class"], "no_deployments_available");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_passes_events_through_and_feeds_the_router() {
    let f = fixture().await;
    let r = f
        .chat(serde_json::json!({"model": "good", "stream": true, "messages": [{"role": "user", "content": "hi"}]}))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(header(&r, "content-type"), "text/event-stream");
    assert_eq!(header(&r, "x-litellm-model-id"), "good-1");
    let text = r.text().await.unwrap();
    assert!(
        text.contains("\"hel\"") && text.ends_with("data: [DONE]\n\n"),
        "{text}"
    );
    let lines = f.log_lines().await;
    assert_eq!(lines[0]["stream"], true);
    assert_eq!(
        lines[0]["output_tokens"], 2,
        "one token per content event without a usage event"
    );
    assert_eq!(lines[0]["attempts"][0]["outcome"], "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_leaves_a_stream_frees_its_slot_and_is_logged_as_499() {
    let f = fixture().await;
    let mut r = f
        .chat(serde_json::json!({"model": "endless", "stream": true}))
        .await;
    assert_eq!(r.status(), 200);
    let first = r.chunk().await.unwrap().expect("the first events");
    assert!(first.starts_with(b"data:"));
    assert_eq!(
        f.server.proxy.in_flight(),
        1,
        "the attempt is out while the stream flows"
    );
    drop(r); // the client goes away mid-stream
    let proxy = f.server.proxy.clone();
    let lines = f.log_lines().await;
    assert_eq!(lines[0]["status"], 499);
    assert_eq!(lines[0]["error_class"], "client_closed");
    assert_eq!(
        proxy.in_flight(),
        0,
        "the abandoned attempt went back to the router"
    );
}

#[test]
fn an_api_base_that_is_no_url_is_refused_at_start_and_keys_are_never_printed() {
    use switchyard::live::upstream::Upstreams;
    let load = |api_base: &str| {
        let text = format!(
            "model_list:\n  - {{model_name: m, litellm_params: {{model: openai/m, api_base: \"{api_base}\", api_key: sk-secret-upstream}}, model_info: {{id: m-1}}}}\n"
        );
        LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &env()).expect("config loads")
    };
    let refused = Upstreams::new(&load("not a url").table, None).unwrap_err();
    assert_eq!(refused.deployment, "m-1");
    assert_eq!(refused.path, "model_list[0].litellm_params.api_base");
    assert!(
        refused.message.contains("is not a URL"),
        "{}",
        refused.message
    );

    let upstreams = Upstreams::new(&load("http://127.0.0.1:9/v1").table, None).unwrap();
    let target = upstreams
        .target(switchyard::router::DeploymentIdx(0))
        .expect("an OpenAI-compatible upstream");
    assert_eq!(
        target.chat_url.as_str(),
        "http://127.0.0.1:9/v1/chat/completions"
    );
    let (name, value) = target.credential.as_ref().expect("a key was configured");
    assert_eq!(name.as_str(), "authorization");
    assert!(value.is_sensitive());
    assert!(!format!("{target:?}").contains("sk-secret-upstream"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_budget_refusal_is_litellm_s_429_with_the_type_of_a_value_error() {
    // docs/litellm-compat.md §14: LiteLLM's `ProxyException` recodes any message saying "No
    // deployments available" to 429; the budget's refusal says it, and is a `ValueError`.
    let f = fixture_with(
        "  provider_budget_config: {openai: {budget_limit: 0.000001, time_period: 1d}}\n",
        "",
    )
    .await;
    assert_eq!(
        f.chat(serde_json::json!({"model": "good"})).await.status(),
        200
    );
    let r = f.chat(serde_json::json!({"model": "good"})).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().get("retry-after").is_none());
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "internal_server_error");
    assert_eq!(v["error"]["code"], "429");
    let lines = f.log_lines().await;
    assert_eq!(lines[1]["status"], 429);
    assert_eq!(lines[1]["error_class"], "budget_exceeded");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_litellm_params_model_s_fallbacks_are_looked_up_as_litellm_models() {
    // docs/litellm-compat.md §4: LiteLLM's proxy routes `openai/flaky` with
    // `specific_deployment=True`, which its fallbacks keep: the group `good` is looked up as a
    // `litellm_params.model`, finds none, and the 500 is recoded to 429.
    let f = fixture_of(|up| {
        format!(
            r#"
model_list:
  - {{model_name: flaky, litellm_params: {{model: openai/flaky, api_base: "http://{up}/fail/v1"}}, model_info: {{id: flaky-1}}}}
  - {{model_name: good, litellm_params: {{model: openai/good, api_base: "http://{up}/ok/v1"}}, model_info: {{id: good-1}}}}
router_settings:
  num_retries: 0
  fallbacks: [{{"openai/flaky": [good]}}, {{flaky: [good]}}]
general_settings:
  master_key: sk-1234
"#
        )
    })
    .await;
    let specific = f.chat(serde_json::json!({"model": "openai/flaky"})).await;
    assert_eq!(specific.status(), 429);
    let v: serde_json::Value = specific.json().await.unwrap();
    assert_eq!(
        v["error"]["type"], "internal_server_error",
        "the primary's: {v}"
    );
    let by_group = f.chat(serde_json::json!({"model": "flaky"})).await;
    assert_eq!(
        by_group.status(),
        200,
        "a group's fallback is looked up as usual"
    );
    assert_eq!(header(&by_group, "x-litellm-model-id"), "good-1");
    let lines = f.log_lines().await;
    assert_eq!(
        lines[0]["attempts"].as_array().unwrap().len(),
        1,
        "{}",
        lines[0]
    );
    assert_eq!(
        lines[1]["attempts"].as_array().unwrap().len(),
        2,
        "{}",
        lines[1]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fallback_out_of_deployments_makes_the_primary_s_error_a_429() {
    // LiteLLM 1.108.7's proxy, observed: a 500 whose fallback group is all cooling answers 429
    // with the primary's message and type (the message ends "Fallback to busy also failed: No
    // deployments available…").
    let f = fixture_of(|up| {
        format!(
            r#"
model_list:
  - {{model_name: flaky, litellm_params: {{model: openai/m, api_base: "http://{up}/fail/v1"}}, model_info: {{id: flaky-1}}}}
  - {{model_name: busy, litellm_params: {{model: openai/m, api_base: "http://{up}/busy/v1"}}, model_info: {{id: busy-1}}}}
  - {{model_name: busy, litellm_params: {{model: openai/m, api_base: "http://{up}/busy/v1"}}, model_info: {{id: busy-2}}}}
router_settings:
  num_retries: 0
  retry_after: 0
  cooldown_time: 600
  fallbacks: [{{flaky: [busy]}}]
general_settings:
  master_key: sk-1234
"#
        )
    })
    .await;
    let plain = f.chat(serde_json::json!({"model": "flaky"})).await;
    assert_eq!(
        plain.status(),
        500,
        "a fallback's own 429 leaves the primary's status"
    );
    // Both busy deployments are cooling now (a 429 cools a deployment of a group of two).
    let busy = f.chat(serde_json::json!({"model": "busy"})).await;
    assert_eq!(busy.status(), 429);
    let v: serde_json::Value = busy.json().await.unwrap();
    assert_eq!(
        v["error"]["type"], "throttling_error",
        "LiteLLM's RateLimitError carries its own type: {v}"
    );
    let r = f.chat(serde_json::json!({"model": "flaky"})).await;
    assert_eq!(r.status(), 429);
    let v: serde_json::Value = r.json().await.unwrap();
    assert_eq!(v["error"]["type"], "internal_server_error", "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("busy: no_deployments_available"),
        "{v}"
    );
    let lines = f.log_lines().await;
    assert_eq!(lines.last().unwrap()["error_class"], "internal_server");
    assert_eq!(lines.last().unwrap()["status"], 429);
}
