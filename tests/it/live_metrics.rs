//! `GET /metrics` after a fault scenario driven through the live proxy: `mock-provider` serves
//! the providers (one of two `gpt-4o` deployments down throughout, a lone `flaky` deployment
//! failing every other answer, some requests naming a `litellm_params.model`), `serve` routes with retries, a cooldown and a fallback, `drive`
//! plays the workload 20 times faster. The scrape is parsed with a real Prometheus text parser
//! (`prometheus-parse`) and its counters must equal what the request log says, exactly; the
//! cooling gauges must show the deployment in outage (its cooldown outlasts the run).

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use prometheus_parse::{Sample, Scrape, Value};
use serde_json::Value as Json;

use switchyard::live::drive::{self, DriveOptions};
use switchyard::live::mock_provider::{self, MockOptions};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};

use crate::common::scenario;

const SPEED: f64 = 20.0;

const SCENARIO: &str = r#"
name: metrics-outage
duration: 40s
seed: 5
router:
  model_list:
    - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_base: "https://a.example.com/v1", input_cost_per_token: 0.00001, output_cost_per_token: 0.00003}, model_info: {id: gpt-4o-a}}
    - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_base: "https://b.example.com/v1", input_cost_per_token: 0.00001, output_cost_per_token: 0.00003}, model_info: {id: gpt-4o-b}}
    - {model_name: gpt-4o-mini, litellm_params: {model: openai/gpt-4o-mini, input_cost_per_token: 0.000001, output_cost_per_token: 0.000002}, model_info: {id: gpt-4o-mini}}
    - {model_name: flaky, litellm_params: {model: openai/flaky}, model_info: {id: flaky-1}}
  router_settings:
    num_retries: 1
    retry_after: 0
    allowed_fails: 1
    cooldown_time: 3000
    fallbacks: [{gpt-4o: [gpt-4o-mini]}]
  general_settings:
    master_key: sk-1234
providers:
  - match: {id: gpt-4o-a}
    ttft: 40ms
    per_token: 1ms
  - match: {id: gpt-4o-b}
    ttft: 40ms
    per_token: 1ms
    outages: [{start: 0s, end: 40s, error: service_unavailable, fraction: 1.0}]
  - match: {model_name: gpt-4o-mini}
    ttft: 20ms
    per_token: 1ms
  - match: {model_name: flaky}
    ttft: 20ms
    errors: {internal_server: 0.5}
workload:
  rate: 2/s
  mix:
    - {model: gpt-4o, weight: 2, input_tokens: 200, output_tokens: 30}
    - {model: gpt-4o, stream: true, input_tokens: 200, output_tokens: 30}
    - {model: flaky, input_tokens: 50, output_tokens: 10}
    - {model: openai/gpt-4o-mini, weight: 0.5, input_tokens: 50, output_tokens: 10}
"#;

/// The samples named `name` (a counter's `<name>_total`, a histogram's `_count`…).
fn named<'a>(scrape: &'a Scrape, name: &str) -> Vec<&'a Sample> {
    scrape.samples.iter().filter(|s| s.metric == name).collect()
}

fn number(s: &Sample) -> f64 {
    match s.value {
        Value::Counter(v) | Value::Gauge(v) | Value::Untyped(v) => v,
        _ => panic!("{} is no single number", s.metric),
    }
}

/// The sum of `name`'s samples whose labels include every pair of `with`.
pub(crate) fn total(scrape: &Scrape, name: &str, with: &[(&str, &str)]) -> f64 {
    named(scrape, name)
        .into_iter()
        .filter(|s| with.iter().all(|(k, v)| s.labels.get(k) == Some(*v)))
        .map(number)
        .sum()
}

async fn get(client: &reqwest::Client, url: &str, key: Option<&str>) -> reqwest::Response {
    let mut request = client.get(url);
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    request.send().await.unwrap()
}

fn log_lines(path: &std::path::Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_agree_with_the_request_log_after_an_outage() {
    let scenario = scenario(SCENARIO).expect("scenario parses");
    let mock_options = MockOptions {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        speed: SPEED,
        seed: None,
    };
    let (mock_addr, mock) = mock_provider::start(&scenario, &mock_options)
        .await
        .unwrap();
    let log = tempfile::tempdir().unwrap();
    let log_path = log.path().join("requests.jsonl");
    let serve_options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log_path.clone(),
        log_prompts: false,
        grace: Duration::from_secs(10),
        seed: Some(3),
        speed: SPEED,
        mock_upstream: Some(format!("http://{mock_addr}")),
    };
    let server = proxy::start(&scenario.config, None, &serve_options)
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    let mut options = DriveOptions::new(url.clone());
    options.speed = SPEED;
    options.key = Some("sk-1234".into());
    drive::run(&scenario, &options).await.unwrap();

    let client = reqwest::Client::new();
    let refused = get(&client, &format!("{url}/metrics"), None).await;
    assert_eq!(refused.status(), 401, "LiteLLM asks for the key by default");
    let response = get(&client, &format!("{url}/metrics"), Some("sk-1234")).await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let text = response.text().await.unwrap();
    server.shutdown().await;
    mock.stop().await;

    let mut series: Vec<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').map(|(series, _)| series))
        .collect();
    let all = series.len();
    series.sort_unstable();
    series.dedup();
    assert_eq!(series.len(), all, "no series is written twice");
    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let lines = log_lines(&log_path);
    assert!(lines.len() > 40, "{} requests", lines.len());
    requests_agree(&scrape, &lines);
    attempts_agree(&scrape, &lines);
    spend_and_tokens_agree(&scrape, &lines);
    outage_shows(&scrape);
}

/// Requests by group and status, failures by class, latency histogram counts.
fn requests_agree(scrape: &Scrape, lines: &[Json]) {
    fn of<'a>(lines: &'a [Json], m: &'a str) -> impl Iterator<Item = &'a Json> + 'a {
        lines.iter().filter(move |l| l["model"] == m)
    }
    let of_model = |m: &'static str| of(lines, m);
    // A `litellm_params.model` is counted under its own name, as LiteLLM labels the model
    // requested.
    for model in ["gpt-4o", "flaky", "openai/gpt-4o-mini"] {
        let n = of_model(model).count() as f64;
        assert!(n > 0.0);
        let by = [("requested_model", model)];
        assert_eq!(
            total(scrape, "litellm_proxy_total_requests_metric_total", &by),
            n,
            "{model}"
        );
        assert_eq!(
            total(scrape, "litellm_request_total_latency_metric_count", &by),
            n,
            "{model}"
        );
        let ok = of_model(model)
            .filter(|l| l["status"] == 200 && l["error_class"].is_null())
            .count();
        let status = [("requested_model", model), ("status_code", "200")];
        assert_eq!(
            total(scrape, "litellm_proxy_total_requests_metric_total", &status),
            ok as f64
        );
        let duration_s: f64 = of_model(model)
            .map(|l| l["duration_ms"].as_f64().unwrap() / 1000.0)
            .sum();
        let sum = total(scrape, "litellm_request_total_latency_metric_sum", &by);
        assert!(
            (sum - duration_s).abs() < 1e-3 * n,
            "{model}: {sum} vs {duration_s}"
        );
    }
    let failed: Vec<&Json> = lines
        .iter()
        .filter(|l| !l["error_class"].is_null())
        .collect();
    assert!(
        !failed.is_empty(),
        "flaky's 500s after its retry reach clients"
    );
    for class in [
        "internal_server",
        "service_unavailable",
        "no_deployments_available",
    ] {
        let n = failed.iter().filter(|l| l["error_class"] == class).count() as f64;
        assert_eq!(
            total(
                scrape,
                "switchyard_request_failures_total",
                &[("error_class", class)]
            ),
            n,
            "{class}"
        );
    }
    assert_eq!(
        total(scrape, "litellm_proxy_failed_requests_metric_total", &[]),
        failed.len() as f64
    );
}

/// Attempts, retries and fallbacks per group; attempts and failures per deployment and class.
fn attempts_agree(scrape: &Scrape, lines: &[Json]) {
    let sum = |model: &str, key: &str| -> f64 {
        lines
            .iter()
            .filter(|l| l["model"] == model)
            .map(|l| match &l[key] {
                Json::Array(a) => a.len() as f64,
                v => v.as_f64().unwrap(),
            })
            .sum()
    };
    for model in ["gpt-4o", "flaky"] {
        let by = [("requested_model", model)];
        for (metric, key) in [
            ("switchyard_attempts_total", "attempts"),
            ("switchyard_retries_total", "retries"),
            ("switchyard_fallbacks_total", "fallbacks"),
        ] {
            assert_eq!(
                total(scrape, metric, &by),
                sum(model, key),
                "{metric} {model}"
            );
        }
    }
    assert!(
        sum("gpt-4o", "fallbacks") > 0.0,
        "the outage made gpt-4o-mini serve"
    );
    let attempts: Vec<&Json> = lines
        .iter()
        .flat_map(|l| l["attempts"].as_array().unwrap())
        .collect();
    for id in ["gpt-4o-a", "gpt-4o-b", "gpt-4o-mini", "flaky-1"] {
        let at = |outcome: Option<&str>| {
            attempts
                .iter()
                .filter(|a| a["deployment"] == id && outcome.is_none_or(|o| a["outcome"] == o))
                .count() as f64
        };
        let by = [("model_id", id)];
        assert_eq!(
            total(scrape, "litellm_deployment_total_requests_total", &by),
            at(None),
            "{id}"
        );
        assert_eq!(
            total(scrape, "litellm_deployment_success_responses_total", &by),
            at(Some("ok")),
            "{id}"
        );
        assert_eq!(
            total(scrape, "litellm_llm_api_latency_metric_count", &by),
            at(Some("ok")),
            "{id}"
        );
        for class in ["service_unavailable", "internal_server"] {
            let with = [("model_id", id), ("error_class", class)];
            assert_eq!(
                total(scrape, "litellm_deployment_failure_responses_total", &with),
                at(Some(class)),
                "{id} {class}"
            );
        }
    }
    let served_streams = lines
        .iter()
        .filter(|l| l["stream"] == true && l["status"] == 200 && l["error_class"].is_null())
        .count() as f64;
    assert!(served_streams > 0.0);
    assert_eq!(
        total(
            scrape,
            "litellm_llm_api_time_to_first_token_metric_count",
            &[]
        ),
        served_streams,
        "one TTFT per served stream (one successful attempt each)"
    );
    let fell_back_and_served = lines
        .iter()
        .filter(|l| l["fallbacks"].as_u64() > Some(0) && l["model_group"] == "gpt-4o-mini")
        .count() as f64;
    let fallback = [
        ("requested_model", "gpt-4o"),
        ("fallback_model", "gpt-4o-mini"),
    ];
    assert_eq!(
        total(
            scrape,
            "litellm_deployment_successful_fallbacks_total",
            &fallback
        ),
        fell_back_and_served
    );
}

/// Spend and tokens per serving deployment.
fn spend_and_tokens_agree(scrape: &Scrape, lines: &[Json]) {
    for id in ["gpt-4o-a", "gpt-4o-mini"] {
        let served: Vec<&Json> = lines.iter().filter(|l| l["deployment"] == id).collect();
        assert!(!served.is_empty(), "{id} served");
        let by = [("model_id", id)];
        let cost: f64 = served.iter().map(|l| l["cost_usd"].as_f64().unwrap()).sum();
        let spend = total(scrape, "litellm_spend_metric_total", &by);
        assert!(
            (spend - cost).abs() <= 1e-12 * served.len() as f64,
            "{id}: {spend} vs {cost}"
        );
        assert!(spend > 0.0);
        for (metric, key) in [
            ("litellm_input_tokens_metric_total", "input_tokens"),
            ("litellm_output_tokens_metric_total", "output_tokens"),
        ] {
            let tokens: f64 = served.iter().map(|l| l[key].as_f64().unwrap()).sum();
            assert_eq!(total(scrape, metric, &by), tokens, "{metric} {id}");
        }
    }
}

/// The deployment in outage is cooling (its cooldown outlasts the run), the others are not.
fn outage_shows(scrape: &Scrape) {
    let b = [("model_id", "gpt-4o-b")];
    assert_eq!(total(scrape, "switchyard_deployment_cooling", &b), 1.0);
    assert_eq!(
        total(scrape, "litellm_deployment_state", &b),
        2.0,
        "complete outage"
    );
    assert!(
        total(
            scrape,
            "switchyard_deployment_cooldown_remaining_seconds",
            &b
        ) > 0.0
    );
    assert!(
        total(
            scrape,
            "litellm_deployment_cooled_down_total",
            &[("model_id", "gpt-4o-b"), ("exception_status", "503")]
        ) >= 1.0
    );
    assert!(
        total(
            scrape,
            "switchyard_cooldowns_total",
            &[("model_id", "gpt-4o-b")]
        ) >= 1.0
    );
    assert_eq!(
        total(
            scrape,
            "switchyard_deployment_cooling",
            &[("model_id", "gpt-4o-a")]
        ),
        0.0
    );
    assert_eq!(
        total(
            scrape,
            "switchyard_deployments_cooling",
            &[("model_group", "gpt-4o")]
        ),
        1.0
    );
    assert_eq!(
        total(scrape, "litellm_in_flight_requests", &[]),
        0.0,
        "drive waited for every answer"
    );
}

const BUDGETED: &str = r#"
model_list:
  - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o, api_base: "http://127.0.0.1:9/v1", input_cost_per_token: 0.001, output_cost_per_token: 0.002, rpm: 600}, model_info: {id: gpt-4o-1}}
router_settings:
  provider_budget_config:
    openai: {budget_limit: 1.0, time_period: 1d}
litellm_settings:
  require_auth_for_metrics_endpoint: false
general_settings:
  master_key: sk-1234
switchyard_settings:
  allow_client_mock_response: true
"#;

/// A provider budget's spend, limit and remainder as the router holds them; with
/// `require_auth_for_metrics_endpoint: false` a scrape needs no key (chat still does).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn budgets_show_their_spend_and_an_opened_endpoint_needs_no_key() {
    let config = crate::common::config(BUDGETED).unwrap();
    let log = tempfile::tempdir().unwrap();
    let log_path = log.path().join("requests.jsonl");
    let options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log_path.clone(),
        log_prompts: false,
        grace: Duration::from_secs(5),
        seed: Some(1),
        speed: 1.0,
        mock_upstream: None,
    };
    let server = proxy::start(&config, None, &options).await.unwrap();
    let url = format!("http://{}", server.addr);
    let client = reqwest::Client::new();
    for text in ["a short answer", "a somewhat longer answer than that"] {
        let body = serde_json::json!({"model": "gpt-4o", "messages": [{"role": "user", "content": "hi there"}], "mock_response": text});
        let r = client
            .post(format!("{url}/chat/completions"))
            .bearer_auth("sk-1234")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let open = get(&client, &format!("{url}/metrics"), None).await;
    assert_eq!(open.status(), 200, "scrapes opened by the config");
    let text = open.text().await.unwrap();
    server.shutdown().await;

    let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
    let spent: f64 = log_lines(&log_path)
        .iter()
        .map(|l| l["cost_usd"].as_f64().unwrap())
        .sum();
    assert!(spent > 0.0);
    let budget = [
        ("budget", "provider:openai"),
        ("scope", "provider"),
        ("name", "openai"),
    ];
    assert!((total(&scrape, "switchyard_budget_spent_usd", &budget) - spent).abs() < 1e-12);
    assert_eq!(total(&scrape, "switchyard_budget_limit_usd", &budget), 1.0);
    assert!(
        (total(&scrape, "switchyard_budget_remaining_usd", &budget) - (1.0 - spent)).abs() < 1e-12
    );
    let provider = [("api_provider", "openai")];
    assert!(
        (total(
            &scrape,
            "litellm_provider_remaining_budget_metric",
            &provider
        ) - (1.0 - spent))
            .abs()
            < 1e-12
    );
    let d = [("model_id", "gpt-4o-1")];
    assert_eq!(
        total(&scrape, "switchyard_deployment_requests_this_minute", &d),
        2.0
    );
    assert_eq!(total(&scrape, "litellm_deployment_rpm_limit", &d), 600.0);
    assert!(
        named(&scrape, "litellm_deployment_tpm_limit").is_empty(),
        "no tpm configured"
    );
}

#[test]
fn a_metrics_auth_setting_that_is_no_boolean_stops_serve_with_its_key_path() {
    let text = BUDGETED.replace(
        "require_auth_for_metrics_endpoint: false",
        "require_auth_for_metrics_endpoint: sometimes",
    );
    let config = crate::common::config(&text).unwrap();
    let e = proxy::metrics::require_auth(&config).unwrap_err();
    assert!(e.contains("config.yaml: litellm_settings.require_auth_for_metrics_endpoint: expected true or false, found sometimes"), "{e}");
    let default = crate::common::config(
        &BUDGETED.replace("  require_auth_for_metrics_endpoint: false\n", "  {}\n"),
    )
    .unwrap();
    assert_eq!(
        proxy::metrics::require_auth(&default),
        Ok(true),
        "LiteLLM's default"
    );
}

/// What the metrics add to one request: a served request's `finished` plus its one attempt's
/// `attempt`, on two threads at once (the proxy's worker count on this machine) so that shared
/// cache lines count. Prints nanoseconds per request; asserts nothing about time.
/// `cargo test --release --test it live_metrics::measure -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check"]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a measurement reads the wall clock and runs two threads"
)]
fn measure_the_per_request_update() {
    use switchyard::live::proxy::metrics::counters::{Counters, Finished};
    use switchyard::live::proxy::request_log::{AttemptLine, RequestLine};
    use switchyard::router::{Completion, DeploymentIdx, GroupIdx, Outcome};

    let counters = Counters::new(3, 2, 6);
    let line = RequestLine {
        status: 200,
        input_tokens: 100,
        output_tokens: 20,
        cost_usd: 0.001,
        duration_ms: 230.0,
        attempts: vec![AttemptLine {
            deployment: "d".into(),
            outcome: "ok",
            status: Some(200),
            duration_ms: 220.0,
            ttft_ms: None,
            retry_after_s: None,
        }],
        ..RequestLine::default()
    };
    let outcome = Outcome::Success(Completion {
        input_tokens: 100,
        output_tokens: 20,
        latency: Duration::from_millis(220),
        time_to_first_token: Duration::from_millis(220),
    });
    let n = 2_000_000u32;
    let started = std::time::Instant::now();
    std::thread::scope(|s| {
        for t in 0..2u32 {
            let (counters, line, outcome) = (&counters, &line, &outcome);
            s.spawn(move || {
                for i in 0..n {
                    let d = DeploymentIdx((i + t) % 2);
                    counters.attempt(d, outcome, false, None);
                    counters.finished(Finished {
                        requested: 0,
                        line,
                        served: Some((d, GroupIdx(0))),
                    });
                }
            });
        }
    });
    let per = started.elapsed().as_nanos() as f64 / f64::from(n);
    println!("metrics per served request, two threads at once: {per:.0} ns");
    assert_eq!(counters.requests_ended(), u64::from(2 * n));
}

/// How long a scrape holds the router's lock: the routing state of 100 deployments, each with
/// its own budget, copied 1,000 times; prints the median. Asserts nothing about time.
/// `cargo test --release --test it live_metrics::measure -- --ignored --nocapture`
#[test]
#[ignore = "a measurement, not a check"]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a measurement reads the wall clock"
)]
fn measure_the_scrape_s_lock_hold() {
    use switchyard::live::proxy::metrics::routing_state;
    use switchyard::live::proxy::state::SharedCore;
    use switchyard::router::Router;

    let mut text = String::from("model_list:\n");
    for i in 0..100 {
        text.push_str(&format!(
            "  - {{model_name: g{}, litellm_params: {{model: openai/m, max_budget: 10, budget_duration: 1d}}, model_info: {{id: d{i}}}}}\n",
            i % 10
        ));
    }
    let config = crate::common::config(&text).unwrap();
    let router = Router::from_table(config.table.clone(), config.settings.clone(), None);
    let core = SharedCore::new(router, 1);
    let now = switchyard::time::Time::from_secs_f64(1.0e9);
    let mut times: Vec<u128> = (0..1000)
        .map(|_| {
            let started = std::time::Instant::now();
            let state = routing_state::read(&core, now, 100, 100);
            let took = started.elapsed().as_nanos();
            assert_eq!(state.budgets.len(), 100);
            took
        })
        .collect();
    times.sort_unstable();
    println!(
        "routing state of 100 deployments and 100 budgets, lock taken and released: median {} ns",
        times[500]
    );
}
