//! The load driver against a fixed-answer gateway on loopback: the workload is the simulator's,
//! the deployments come from the gateway's headers, error answers are classified, and the
//! report's files are written.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchyard::live::drive::{self, DriveOptions};
use switchyard::scenario::Scenario;
use switchyard::sim::rng::stream;
use switchyard::sim::workload::{Arrivals, MixSampler};
use switchyard::time::Time;

const SCENARIO: &str = r#"
name: drive-fixture
duration: 20s
seed: 7
router:
  model_list:
    - {model_name: gpt-4o, litellm_params: {model: azure/gpt-4o, api_base: "https://us.example.com/"}, model_info: {id: azure-us}}
    - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o}, model_info: {id: openai}}
    - {model_name: claude, litellm_params: {model: anthropic/claude-sonnet-4}, model_info: {id: claude}}
providers:
  - match: {model_name: gpt-4o}
    ttft: {constant: 100ms}
    per_token: {constant: 1ms}
  - match: {id: claude}
    ttft: {constant: 100ms}
    per_token: {constant: 1ms}
workload:
  arrivals: poisson
  rate: 5/s
  mix:
    - {name: chat, weight: 2, model: gpt-4o, stream: true, input_tokens: {uniform: {min: 10, max: 400}}, output_tokens: {uniform: {min: 5, max: 50}}}
    - {name: batch, weight: 1, model: gpt-4o, category: medical, input_tokens: {uniform: {min: 10, max: 400}}, output_tokens: {uniform: {min: 5, max: 50}}}
    - {name: code, weight: 1, model: claude, input_tokens: {constant: 100}, output_tokens: {constant: 10}}
"#;

/// Answers gpt-4o from `azure-us` and `openai` in turn and `claude` with a 429; usage counts
/// `ceil(chars / 4)` prompt tokens.
async fn completions(State(turn): State<Arc<AtomicU64>>, Json(body): Json<Value>) -> Response {
    if body["model"] == "claude" {
        let error = json!({"error": {"message": "rate limited", "type": "rate_limit_error", "code": "429"}});
        return (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, "2")],
            Json(error),
        )
            .into_response();
    }
    let id = if turn.fetch_add(1, Ordering::SeqCst) % 2 == 0 {
        "azure-us"
    } else {
        "openai"
    };
    let chars = body["messages"][0]["content"].as_str().unwrap_or("").len();
    let usage =
        json!({"prompt_tokens": chars.div_ceil(4), "completion_tokens": body["max_tokens"]});
    let mut headers = HeaderMap::new();
    headers.insert("x-litellm-model-id", id.parse().unwrap());
    headers.insert("x-litellm-attempted-retries", "0".parse().unwrap());
    if body["stream"] == true {
        headers.insert(header::CONTENT_TYPE, "text/event-stream".parse().unwrap());
        let chunk = json!({"choices": [{"delta": {"content": "hi"}}]});
        let last = json!({"choices": [], "usage": usage});
        let sse = format!("data: {chunk}\n\ndata: {last}\n\ndata: [DONE]\n\n");
        (headers, sse).into_response()
    } else {
        let answer = json!({"choices": [{"message": {"role": "assistant", "content": "hi"}}], "usage": usage});
        (headers, Json(answer)).into_response()
    }
}

/// Serves the fixed-answer gateway on an ephemeral loopback port; returns its address.
async fn gateway() -> String {
    let app = axum::Router::new()
        .route("/v1/chat/completions", axum::routing::post(completions))
        .with_state(Arc::new(AtomicU64::new(0)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    #[allow(
        clippy::disallowed_methods,
        reason = "the test's gateway runs beside the driver"
    )]
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}")
}

fn scenario() -> Scenario {
    crate::common::scenario(SCENARIO).expect("the fixture scenario parses")
}

/// The classes of the arrivals the simulator draws for `s` with `seed`.
fn simulated_classes(s: &Scenario, seed: u64) -> Vec<u32> {
    let end = Time::ZERO + s.duration;
    let mut arrivals = Arrivals::new(&s.workload, end, stream(seed, "arrivals"));
    let mut mix = MixSampler::new(&s.workload.mix, stream(seed, "mix"));
    std::iter::from_fn(|| arrivals.next_arrival())
        .map(|_| mix.draw(&s.workload.mix).class)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn drive_plays_the_simulated_workload_and_reads_the_gateway_headers() {
    let s = scenario();
    let classes = simulated_classes(&s, s.seed);
    let options = DriveOptions {
        speed: 10.0,
        key: Some("sk-test".into()),
        ..DriveOptions::new(gateway().await)
    };
    let live = drive::run(&s, &options).await.expect("the drive runs");

    assert_eq!(live.records.len(), classes.len(), "one request per arrival");
    assert_eq!(live.stats.requests, classes.len() as u64);
    assert_eq!(live.unfinished, 0);
    assert!(
        live.unknown_model_ids.is_empty(),
        "{:?}",
        live.unknown_model_ids
    );
    let ids: Vec<u64> = live.records.iter().map(|r| r.id).collect();
    assert_eq!(ids, (0..classes.len() as u64).collect::<Vec<_>>());
    for (r, class) in live.records.iter().zip(&classes) {
        assert_eq!(r.class, *class, "request {}: the simulator's class", r.id);
    }

    let table = &s.config.table;
    let served =
        |id: &str| live.stats.deployments[table.deployment_with_id(id).unwrap().get()].served;
    let gpt = classes.iter().filter(|c| **c < 2).count() as u64;
    let claude = classes.len() as u64 - gpt;
    assert!(
        claude > 0 && gpt > 10,
        "the fixture has both kinds ({gpt}, {claude})"
    );
    assert_eq!(live.stats.succeeded, gpt);
    assert_eq!(served("azure-us") + served("openai"), gpt);
    assert!(
        served("azure-us").abs_diff(served("openai")) <= 1,
        "alternating ids share evenly"
    );
    assert_eq!(served("claude"), 0);
    assert_eq!(live.stats.failed, claude);
    let classes_seen: Vec<_> = live.stats.errors_by_class().collect();
    assert_eq!(
        classes_seen,
        vec![(switchyard::router::ErrorClass::RateLimit, claude)]
    );

    let dir = tempfile::tempdir().unwrap();
    let (output, _charts) = switchyard::app::runner::write_recorded_run(
        &s,
        drive::POLICY,
        live.seed,
        live.stats.clone(),
        &live.records,
        drive::CLIENT_VIEW,
        dir.path(),
    )
    .expect("the report is written");
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&output.summary_path).unwrap()).unwrap();
    let policy = &summary["policies"]["live"];
    assert_eq!(policy["requests"], classes.len());
    assert_eq!(policy["errors"]["rate_limit"], claude);
    assert_eq!(
        policy["deployments"]["azure-us"]["served"],
        served("azure-us")
    );
    let csv = std::fs::read_to_string(&output.requests_path).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows.len(),
        classes.len() + 1,
        "a header and a row per request"
    );
    assert!(rows[0].starts_with("id,policy,"));
    assert!(rows[1].starts_with("0,live,"));
    assert!(csv.contains(",429,rate_limit,"));
    assert!(dir.path().join("index.html").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn drive_sends_the_drawn_prompt_sizes_and_stops_at_max_requests() {
    let s = scenario();
    let options = DriveOptions {
        speed: 20.0,
        max_requests: Some(12),
        concurrency_limit: Some(2),
        ..DriveOptions::new(format!("{}/v1", gateway().await))
    };
    let live = drive::run(&s, &options).await.expect("the drive runs");
    assert_eq!(live.records.len(), 12);
    let end = Time::ZERO + s.duration;
    let mut arrivals = Arrivals::new(&s.workload, end, stream(s.seed, "arrivals"));
    let mut mix = MixSampler::new(&s.workload.mix, stream(s.seed, "mix"));
    for r in &live.records {
        let at = arrivals.next_arrival().unwrap();
        let drawn = mix.draw(&s.workload.mix);
        assert_eq!(r.arrival, at);
        // The gateway counted ceil(chars / 4) of the prompt: the drawn input tokens.
        assert_eq!(r.input_tokens, drawn.input_tokens, "request {}", r.id);
        if r.error_class().is_none() {
            assert_eq!(r.output_tokens, drawn.output_tokens, "request {}", r.id);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_gateway_that_is_not_there_is_a_connection_error() {
    let s = scenario();
    // Bind then drop a listener: its port is free and refuses connections.
    let addr = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let options = DriveOptions {
        speed: 50.0,
        max_requests: Some(3),
        ..DriveOptions::new(format!("http://{addr}"))
    };
    let live = drive::run(&s, &options).await.expect("the drive runs");
    assert_eq!(live.stats.failed, 3);
    let classes: Vec<_> = live.stats.errors_by_class().collect();
    assert_eq!(
        classes,
        vec![(switchyard::router::ErrorClass::Connection, 3)]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stopped_drive_records_the_requests_out_as_timeouts_and_sends_no_more() {
    let s = scenario();
    // A gateway that never answers and says when its first request arrived.
    let arrived = Arc::new(tokio::sync::Notify::new());
    let app = axum::Router::new()
        .route(
            "/v1/chat/completions",
            axum::routing::post(
                |State(arrived): State<Arc<tokio::sync::Notify>>| async move {
                    arrived.notify_one();
                    std::future::pending::<()>().await;
                },
            ),
        )
        .with_state(arrived.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    #[allow(
        clippy::disallowed_methods,
        reason = "the test's gateway runs beside the driver"
    )]
    tokio::spawn(async move { axum::serve(listener, app).await });

    let options = DriveOptions {
        speed: 10.0,
        ..DriveOptions::new(format!("http://{addr}"))
    };
    let live = drive::run_until(&s, &options, arrived.notified())
        .await
        .expect("the drive runs");
    let n = live.records.len();
    assert!(n >= 1 && n < simulated_classes(&s, s.seed).len(), "{n}");
    assert_eq!(live.unfinished, n as u64);
    let ids: Vec<u64> = live.records.iter().map(|r| r.id).collect();
    assert_eq!(ids, (0..n as u64).collect::<Vec<_>>());
    let classes: Vec<_> = live.stats.errors_by_class().collect();
    assert_eq!(
        classes,
        vec![(switchyard::router::ErrorClass::Timeout, n as u64)]
    );
}

#[test]
fn the_serving_deployment_is_found_by_id_else_by_api_base() {
    use switchyard::live::drive::observed::{Answer, Exchange, GatewayHeaders, Reader};
    use switchyard::live::drive::plan::PlannedRequest;
    use switchyard::router::CallResult;
    use switchyard::sim::workload::DrawnRequest;

    let s = scenario();
    let table = &s.config.table;
    let reader = Reader {
        table,
        price_file: None,
        speed: 10.0,
    };
    let request = PlannedRequest {
        id: 3,
        at: Time::from_secs_f64(1.0),
        drawn: DrawnRequest {
            class: 0,
            input_tokens: 100,
            output_tokens: 20,
            prompt: None,
        },
    };
    let served = |headers: GatewayHeaders| {
        let exchange = Exchange {
            answer: Answer::Served { usage: None },
            headers,
            first_token: Some(std::time::Duration::from_millis(10)),
            latency: std::time::Duration::from_millis(50),
        };
        let observed = reader.record(&request, "gpt-4o", &exchange);
        let CallResult::Served(served) = observed.record.result else {
            panic!("served");
        };
        assert_eq!(
            observed.record.end,
            Time::from_secs_f64(1.5),
            "wall × speed"
        );
        assert_eq!(
            observed.record.output_tokens, 20,
            "the drawn tokens without usage"
        );
        (
            table.deployment(served.deployment).config.id.clone(),
            observed.unknown_model_id.map(str::to_string),
        )
    };
    let by_id = GatewayHeaders {
        model_id: Some("openai".into()),
        ..GatewayHeaders::default()
    };
    assert_eq!(served(by_id), ("openai".to_string(), None));
    let by_base = GatewayHeaders {
        model_id: Some("5c1f…hash".into()),
        api_base: Some("https://us.example.com".into()),
        ..GatewayHeaders::default()
    };
    assert_eq!(served(by_base), ("azure-us".to_string(), None));
    let unknown = GatewayHeaders {
        model_id: Some("elsewhere".into()),
        ..GatewayHeaders::default()
    };
    assert_eq!(
        served(unknown),
        ("azure-us".to_string(), Some("elsewhere".to_string()))
    );
}
