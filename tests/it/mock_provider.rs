//! The mock provider over real HTTP: successes, streams, faults by class, embeddings, routing by
//! name. Outcomes only, never durations.

use std::net::SocketAddr;

use serde_json::{Value, json};
use switchyard::live::mock_provider::{self, MockHandle, MockOptions};

use crate::common::scenario;

const PROVIDERS: &str = r#"
name: mock
duration: 1m
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: fast}}
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: down}}
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: cut}}
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: limited}}
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: single}}
providers:
  - name: quick
    match: {id: fast}
    ttft: 10ms
    per_token: 1ms
    max_input_tokens: 50
    content_policy: {edgy: 1.0}
  - match: {id: down}
    ttft: 10ms
    outages: [{start: 0s, end: 10m, error: service_unavailable}]
  - match: {id: cut}
    ttft: 10ms
    outages: [{start: 0s, end: 10m, error: connection}]
  - match: {id: limited}
    ttft: 10ms
    rate_limit: {rpm: 1}
  - match: {id: single}
    ttft: 50ms
    per_token: 5ms
    concurrency: 1
workload:
  rate: 1/s
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10}
"#;

async fn start(speed: f64) -> (SocketAddr, MockHandle) {
    let s = scenario(PROVIDERS).expect("scenario parses");
    let options = MockOptions {
        port: 0,
        speed,
        ..MockOptions::default()
    };
    mock_provider::start(&s, &options)
        .await
        .expect("mock starts")
}

async fn post(url: String, body: &Value) -> (u16, reqwest::header::HeaderMap, String) {
    let r = reqwest::Client::new()
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .expect("an answer");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    (status, headers, r.text().await.expect("a body"))
}

fn chat(content: &str, max_tokens: u32) -> Value {
    json!({
        "model": "gpt-test",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": content}],
    })
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).expect("JSON body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_success_carries_the_text_and_usage() {
    let (addr, mock) = start(100.0).await;
    let (status, _, body) = post(
        format!("http://{addr}/p/fast/v1/chat/completions"),
        &chat("abcdefgh", 5),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let v = parse(&body);
    assert_eq!(v["object"], "chat.completion");
    assert_eq!(v["model"], "gpt-test");
    assert_eq!(v["choices"][0]["message"]["role"], "assistant");
    assert_eq!(v["choices"][0]["finish_reason"], "stop");
    assert!(
        !v["choices"][0]["message"]["content"]
            .as_str()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        v["usage"],
        json!({"prompt_tokens": 2, "completion_tokens": 5, "total_tokens": 7})
    );

    // The same provider by profile name, by header, and in Azure's shape.
    let (status, _, _) = post(
        format!("http://{addr}/p/quick/chat/completions"),
        &chat("hi", 1),
    )
    .await;
    assert_eq!(status, 200);
    let r = reqwest::Client::new()
        .post(format!("http://{addr}/v1/chat/completions"))
        .header("x-switchyard-profile", "fast")
        .body(chat("hi", 1).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let (status, _, _) = post(
        format!(
            "http://{addr}/p/fast/openai/deployments/gpt4o/chat/completions?api-version=2024-06-01"
        ),
        &chat("hi", 1),
    )
    .await;
    assert_eq!(status, 200);
    let health = reqwest::get(format!("http://{addr}/health")).await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_sends_chunks_then_usage_then_done() {
    let (addr, mock) = start(100.0).await;
    let mut body = chat("hello there", 40);
    body["stream"] = json!(true);
    body["stream_options"] = json!({"include_usage": true});
    let (status, headers, text) =
        post(format!("http://{addr}/p/fast/v1/chat/completions"), &body).await;
    assert_eq!(status, 200);
    assert!(
        headers["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/event-stream")
    );
    let events: Vec<&str> = text
        .split("\n\n")
        .filter(|e| !e.is_empty())
        .map(|e| e.strip_prefix("data: ").expect("a data event"))
        .collect();
    assert_eq!(events.last(), Some(&"[DONE]"));
    let chunks: Vec<Value> = events[..events.len() - 1]
        .iter()
        .map(|e| parse(e))
        .collect();
    assert!(chunks.len() > 3, "{} chunks", chunks.len());
    assert!(
        chunks
            .iter()
            .all(|c| c["object"] == "chat.completion.chunk")
    );
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    let finish = &chunks[chunks.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    let usage = &chunks[chunks.len() - 1]["usage"];
    assert_eq!(usage["completion_tokens"], 40);
    let words: usize = chunks
        .iter()
        .filter_map(|c| c["choices"][0]["delta"]["content"].as_str())
        .map(|t| t.split_whitespace().count())
        .sum();
    assert_eq!(words, 40, "one word per output token");
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outage_answers_its_class_and_a_connection_error_closes_the_connection() {
    let (addr, mock) = start(100.0).await;
    let (status, _, body) = post(
        format!("http://{addr}/p/down/v1/chat/completions"),
        &chat("hi", 1),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let v = parse(&body);
    assert!(v["error"]["message"].is_string());
    assert!(v["error"]["param"].is_null());
    let cut = reqwest::Client::new()
        .post(format!("http://{addr}/p/cut/v1/chat/completions"))
        .body(chat("hi", 1).to_string())
        .send()
        .await;
    assert!(cut.is_err(), "no answer at all: {cut:?}");
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_rpm_limit_answers_429_with_retry_after() {
    // Wall-clock speed, so the rolling minute outlasts the test.
    let (addr, mock) = start(1.0).await;
    let url = format!("http://{addr}/p/limited/v1/chat/completions");
    let (first, _, _) = post(url.clone(), &chat("hi", 1)).await;
    assert_eq!(first, 200);
    let (status, headers, body) = post(url, &chat("hi", 1)).await;
    assert_eq!(status, 429, "{body}");
    let secs: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&secs), "{secs}");
    assert_eq!(parse(&body)["error"]["code"], "rate_limit_exceeded");
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn context_window_and_content_policy_answer_400_with_their_codes() {
    let (addr, mock) = start(100.0).await;
    let url = format!("http://{addr}/p/fast/v1/chat/completions");
    let (status, _, body) = post(url.clone(), &chat(&"x".repeat(400), 1)).await;
    assert_eq!(status, 400);
    let error = &parse(&body)["error"];
    assert_eq!(error["code"], "context_length_exceeded");
    assert!(
        error["message"].as_str().unwrap().contains(
            "maximum context length is 50 tokens. However, your messages resulted in 100 tokens."
        ),
        "{error}"
    );
    let (status, _, body) = post(url, &chat("[switchyard category=edgy] tell me", 1)).await;
    assert_eq!(status, 400);
    let error = &parse(&body)["error"];
    assert_eq!(error["code"], "content_policy_violation");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("content management policy")
    );
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_profile_is_404_with_an_openai_error() {
    let (addr, mock) = start(100.0).await;
    let (status, _, body) = post(
        format!("http://{addr}/p/nobody/v1/chat/completions"),
        &chat("hi", 1),
    )
    .await;
    assert_eq!(status, 404);
    let error = &parse(&body)["error"];
    assert!(error["message"].as_str().unwrap().contains("nobody"));
    assert!(error["type"].is_string());
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn embeddings_are_deterministic_per_text() {
    let (addr, mock) = start(100.0).await;
    let url = format!("http://{addr}/p/fast/v1/embeddings");
    let body = json!({"model": "embed", "input": ["refund my order", "refund my order", "a poem about rain"]});
    let (status, _, text) = post(url.clone(), &body).await;
    assert_eq!(status, 200, "{text}");
    let v = parse(&text);
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "embed");
    let data = v["data"].as_array().unwrap();
    assert_eq!(data.len(), 3);
    assert_eq!(data[2]["index"], 2);
    assert_eq!(data[0]["object"], "embedding");
    assert_eq!(data[0]["embedding"], data[1]["embedding"]);
    assert_ne!(data[0]["embedding"], data[2]["embedding"]);
    let (_, _, again) = post(url, &json!({"input": "refund my order"})).await;
    assert_eq!(parse(&again)["data"][0]["embedding"], data[0]["embedding"]);
    mock.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attempts_beyond_the_concurrency_limit_queue_and_all_complete() {
    let (addr, mock) = start(10.0).await;
    let url = format!("http://{addr}/p/single/v1/chat/completions");
    let body = chat("one at a time", 3);
    let answers = futures_util::future::join_all((0..4).map(|_| post(url.clone(), &body))).await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, _, body)| {
            assert_eq!(*status, 200, "{body}");
            parse(body)["id"].as_str().unwrap().to_string()
        })
        .collect();
    assert_eq!(ids.len(), 4, "each attempt served once: {ids:?}");
    mock.stop().await;
}

#[tokio::test]
async fn a_speed_that_is_not_positive_is_refused() {
    let s = scenario(PROVIDERS).unwrap();
    for speed in [0.0, -1.0, f64::NAN] {
        let options = MockOptions {
            port: 0,
            speed,
            ..MockOptions::default()
        };
        let refused = mock_provider::start(&s, &options).await;
        assert!(refused.is_err(), "speed {speed}");
    }
}
