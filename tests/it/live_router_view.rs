//! The router's state and explanations through `serve`, with `mock-provider` serving the
//! providers: `/router/cooldowns` during a mock outage and after it, `/router/usage` and
//! `/router/budgets` against what the requests reported, the master key on every view, and
//! `x-switchyard-explain` — its lines equal to the simulator's `--explain` for the same events,
//! and its bounded history. Outcomes only: time passes by the proxy's compressed clock, and
//! waits for it are bounded polls, never assertions.

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use serde_json::{Value, json};
use switchyard::app::runner::explain_request;
use switchyard::live::mock_provider::{self, MockHandle, MockOptions};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};
use switchyard::scenario::Scenario;

use crate::common::scenario;

const KEY: &str = "sk-view";

/// `chat-a` answers 429 for the first 30 s of scenario time; `solo-1` always answers 500 and
/// falls back to `backup`, which is priced, budgeted and rate-limited.
const SCENARIO: &str = r#"
name: router-view
duration: 10m
seed: 5
router:
  model_list:
    - {model_name: chat, litellm_params: {model: openai/m}, model_info: {id: chat-a}}
    - {model_name: chat, litellm_params: {model: openai/m}, model_info: {id: chat-b}}
    - {model_name: solo, litellm_params: {model: openai/m}, model_info: {id: solo-1}}
    - {model_name: backup, litellm_params: {model: openai/m, input_cost_per_token: 0.001, output_cost_per_token: 0.002, max_budget: 5, budget_duration: 1d, rpm: 1000, tpm: 1000000}, model_info: {id: backup-1}}
  router_settings:
    num_retries: 0
    cooldown_time: 15
    fallbacks: [{solo: [backup]}]
    provider_budget_config: {openai: {budget_limit: 100, time_period: 1d}}
  general_settings: {master_key: sk-view}
  switchyard_settings: {explain_history: 3, skip_final_wait: true, allow_client_mock_response: true}
providers:
  - {match: {id: chat-a}, ttft: 5ms, outages: [{start: 0s, end: 30s, error: rate_limit}]}
  - {match: {id: chat-b}, ttft: 5ms}
  - {match: {id: solo-1}, ttft: 5ms, outages: [{start: 0s, end: 1h, error: internal_server}]}
  - {match: {id: backup-1}, ttft: 5ms}
workload:
  rate: 1/s
  mix:
    - {model: solo, input_tokens: 10, output_tokens: 5}
"#;

struct Fixture {
    scenario: Scenario,
    mock: MockHandle,
    server: proxy::Server,
    client: reqwest::Client,
    url: String,
    _log: tempfile::TempDir,
}

/// The mock provider and the proxy, both `speed` times faster than the wall clock.
async fn start(speed: f64) -> Fixture {
    start_with(SCENARIO, speed).await
}

/// [`start`] for scenario `text`.
async fn start_with(text: &str, speed: f64) -> Fixture {
    let scenario = scenario(text).expect("scenario parses");
    let mock_options = MockOptions {
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        port: 0,
        speed,
        seed: None,
    };
    let (mock_addr, mock) = mock_provider::start(&scenario, &mock_options)
        .await
        .unwrap();
    let log = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        key_environment: KeyEnvironment::default(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log.path().join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(5),
        seed: Some(3),
        speed,
        mock_upstream: Some(format!("http://{mock_addr}")),
    };
    let server = proxy::start(&scenario.config, None, &options)
        .await
        .unwrap();
    let url = format!("http://{}", server.addr);
    Fixture {
        scenario,
        mock,
        server,
        client: reqwest::Client::new(),
        url,
        _log: log,
    }
}

impl Fixture {
    async fn chat(&self, body: Value, explain: bool) -> reqwest::Response {
        let mut request = self
            .client
            .post(format!("{}/v1/chat/completions", self.url))
            .bearer_auth(KEY)
            .json(&body);
        if explain {
            request = request.header("x-switchyard-explain", "true");
        }
        request.send().await.unwrap()
    }

    async fn view(&self, path: &str) -> Value {
        let r = self
            .client
            .get(format!("{}{path}", self.url))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        r.json().await.unwrap()
    }

    async fn stop(self) {
        self.server.shutdown().await;
        self.mock.stop().await;
    }
}

fn ask(model: &str) -> Value {
    json!({"model": model, "messages": [{"role": "user", "content": "hello there, how are you"}]})
}

/// The entry of `list` whose `deployment` is `id`.
fn entry<'a>(list: &'a Value, id: &str) -> Option<&'a Value> {
    list.as_array()?.iter().find(|e| e["deployment"] == id)
}

/// An explanation's lines without their instants.
fn untimed(lines: &Value) -> Vec<String> {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| untimed_line(l.as_str().unwrap()))
        .collect()
}

fn untimed_line(line: &str) -> String {
    let (_, what) = line.trim_start().split_once("  ").unwrap();
    what.to_string()
}

/// Polls the cooldown view until `done` holds for it (at most `wall` of wall time); returns
/// the last view.
async fn cooldowns_until(f: &Fixture, wall: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let mut waited = Duration::ZERO;
    loop {
        let view = f.view("/router/cooldowns").await;
        if done(&view) || waited >= wall {
            return view;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += Duration::from_millis(20);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_view_shows_a_deployment_during_a_mock_outage_and_not_after_it() {
    // 20-fold: the 15 s cooldown lasts 0.75 s of wall time, the 30 s outage 1.5 s.
    let f = start(20.0).await;
    assert_eq!(
        f.view("/router/cooldowns").await["cooldowns"],
        json!([]),
        "nothing cools before any failure"
    );
    // Requests to `chat` until one lands on `chat-a` (its 429 cools it at once).
    let mut view = Value::Null;
    for _ in 0..30 {
        f.chat(ask("chat"), false).await;
        view = f.view("/router/cooldowns").await;
        if entry(&view["cooldowns"], "chat-a").is_some() {
            break;
        }
    }
    let cooling = entry(&view["cooldowns"], "chat-a").expect("chat-a cools during its outage");
    assert_eq!(cooling["model_group"], "chat");
    assert_eq!(cooling["reason"], "rate_limited");
    assert_eq!(cooling["error_class"], "rate_limit");
    assert_eq!(cooling["status"], 429);
    let since = cooling["since"]["unix_s"].as_f64().unwrap();
    let until = cooling["until"]["unix_s"].as_f64().unwrap();
    let now = view["now"]["unix_s"].as_f64().unwrap();
    assert!((until - since - 15.0).abs() < 1e-3, "cooldown_time 15 s");
    assert!(since <= now && now < until);
    assert!(cooling["counts"]["failures"].as_u64() >= Some(1));
    assert!(cooling["until"]["iso"].as_str().unwrap().ends_with('Z'));
    assert!(entry(&view["cooldowns"], "chat-b").is_none());

    // While it cools, an explained request names the filter that skipped it.
    let r = f.chat(ask("chat"), true).await;
    let body: Value = r.json().await.unwrap();
    let lines = untimed(&body["switchyard_explain"]["lines"]);
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("  skip chat-a: cooling down until")),
        "{lines:?}"
    );
    assert!(lines.contains(&"  send to chat-b (chosen among 1)".to_string()));
    let events = body["switchyard_explain"]["events"].as_array().unwrap();
    assert_eq!(events.len(), lines.len(), "one event per line");
    let skip = events.iter().find(|e| e["event"] == "skip").unwrap();
    assert_eq!(
        (&skip["deployment"], &skip["reason"]),
        (&json!("chat-a"), &json!("cooling"))
    );
    assert!(skip["until_s"].as_f64().unwrap() > skip["at_s"].as_f64().unwrap());

    // After the outage (30 s on the mock's clock, which started first) and the cooldown: gone,
    // and requests land on chat-a again without cooling it.
    let after_outage = now + 31.0;
    let view = cooldowns_until(&f, Duration::from_secs(10), |v| {
        v["now"]["unix_s"].as_f64().unwrap() > after_outage && v["cooldowns"] == json!([])
    })
    .await;
    assert_eq!(view["cooldowns"], json!([]), "the cooldown ended");
    let mut served_by_a = 0;
    for _ in 0..12 {
        let r = f.chat(ask("chat"), false).await;
        assert_eq!(r.status(), 200);
        let by = r.headers()["x-litellm-model-id"]
            .to_str()
            .unwrap()
            .to_string();
        served_by_a += u32::from(by == "chat-a");
    }
    assert!(served_by_a > 0, "chat-a serves again after its outage");
    assert_eq!(f.view("/router/cooldowns").await["cooldowns"], json!([]));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn usage_and_budgets_agree_with_the_requests_sent() {
    let f = start(1.0).await;
    // Start well inside a minute so that every request counts in the same one.
    let in_minute = |v: &Value| v["now"]["unix_s"].as_f64().unwrap() % 60.0;
    let mut waited = 0;
    while in_minute(&f.view("/router/usage").await) > 50.0 && waited < 600 {
        tokio::time::sleep(Duration::from_millis(20)).await;
        waited += 1;
    }
    let (mut tokens, mut cost) = (0u64, 0.0f64);
    for _ in 0..4 {
        let r = f.chat(ask("backup"), false).await;
        assert_eq!(r.status(), 200);
        cost += r.headers()["x-litellm-response-cost"]
            .to_str()
            .unwrap()
            .parse::<f64>()
            .unwrap();
        let body: Value = r.json().await.unwrap();
        tokens += body["usage"]["total_tokens"].as_u64().unwrap();
    }
    let usage = f.view("/router/usage").await;
    let backup = entry(&usage["usage"], "backup-1").unwrap();
    assert_eq!(backup["requests"], 4, "{usage}");
    assert_eq!(backup["tokens"], tokens);
    assert_eq!(
        (backup["rpm"].as_u64(), backup["tpm"].as_u64()),
        (Some(1000), Some(1_000_000))
    );
    assert_eq!(backup["in_flight"], 0);
    let idle = entry(&usage["usage"], "chat-b").unwrap();
    assert_eq!(
        (idle["requests"].as_u64(), idle["rpm"].as_u64()),
        (Some(0), None)
    );

    let budgets = f.view("/router/budgets").await;
    let list = budgets["budgets"].as_array().unwrap();
    let find = |scope: &str, name: &str| {
        list.iter()
            .find(|b| b["scope"] == scope && b["name"] == name)
            .unwrap_or_else(|| panic!("{scope}:{name} in {budgets}"))
    };
    for b in [find("deployment", "backup-1"), find("provider", "openai")] {
        let spent = b["spent_usd"].as_f64().unwrap();
        assert!(
            cost > 0.0 && (spent - cost).abs() < 1e-9,
            "{b} against {cost}"
        );
        let start = b["window_start"]["unix_s"].as_f64().unwrap();
        let end = b["window_end"]["unix_s"].as_f64().unwrap();
        assert!((end - start - 86_400.0).abs() < 1e-3, "a day's window");
        assert_eq!(b["exhausted"], false);
    }
    // LiteLLM's own view of provider budgets, in its shape.
    let litellm = f.view("/provider/budgets").await;
    let openai = &litellm["providers"]["openai"];
    assert_eq!(
        (
            openai["budget_limit"].as_f64(),
            openai["time_period"].as_str()
        ),
        (Some(100.0), Some("1d"))
    );
    assert!(
        (openai["spend"].as_f64().unwrap() - cost).abs() < 1e-9,
        "{litellm}"
    );
    assert!(
        openai["budget_reset_at"]
            .as_str()
            .unwrap()
            .ends_with("+00:00")
    );
    let own = find("deployment", "backup-1");
    assert_eq!(own["limit_usd"], 5.0);
    assert!((own["remaining_usd"].as_f64().unwrap() - (5.0 - cost)).abs() < 1e-9);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_view_needs_the_master_key() {
    let f = start(1.0).await;
    for path in [
        "/router/cooldowns",
        "/router/budgets",
        "/router/usage",
        "/router/explain/1",
        "/provider/budgets",
    ] {
        let url = format!("{}{path}", f.url);
        let none = f.client.get(&url).send().await.unwrap();
        assert_eq!(none.status(), 401, "{path} without a key");
        let wrong = f
            .client
            .get(&url)
            .bearer_auth("sk-nope")
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status(), 401, "{path} with a wrong key");
    }
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_explained_request_that_retried_and_fell_back_names_every_step() {
    let f = start(20.0).await;
    let mut body = ask("solo");
    body["num_retries"] = json!(1);
    let r = f.chat(body, true).await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-switchyard-explain-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(id, r.headers()["x-switchyard-request-id"].to_str().unwrap());
    let answer: Value = r.json().await.unwrap();
    assert_eq!(
        answer["choices"][0]["message"]["role"], "assistant",
        "the answer is intact"
    );
    let explained = &answer["switchyard_explain"];
    assert_eq!(explained["status"], 200);
    let lines = untimed(&explained["lines"]);
    let expected_start = [
        "try model group solo",
        "  candidates: solo-1",
        "  send to solo-1 (chosen among 1)",
        "  solo-1 failed: internal_server (500)",
    ];
    assert_eq!(lines[..4], expected_start, "{lines:#?}");
    assert!(
        lines[4].starts_with("  wait "),
        "a backoff before the retry: {lines:#?}"
    );
    assert_eq!(
        lines[5..],
        [
            "  candidates: solo-1",
            "  send to solo-1 (chosen among 1)",
            "  solo-1 failed: internal_server (500)",
            "  group gives up: internal_server",
            "fall back (depth 1) to model group backup",
            "  candidates: backup-1",
            "  send to backup-1 (chosen among 1)",
            "  backup-1 answered",
            "served",
        ],
        "{lines:#?}"
    );
    let events = explained["events"].as_array().unwrap();
    assert_eq!(events.len(), lines.len(), "one event per line");
    let failed: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "outcome" && e["status"] == 500)
        .collect();
    assert_eq!(failed.len(), 2);
    assert!(
        failed
            .iter()
            .all(|e| e["deployment"] == "solo-1" && e["error_class"] == "internal_server")
    );
    assert_eq!(events.last().unwrap()["event"], "finished");
    assert_eq!(events.last().unwrap()["status"], 200);
    // The same explanation, looked up afterwards.
    let kept = f.view(&format!("/router/explain/{id}")).await;
    assert_eq!(&kept, explained);
    // An error carries its explanation too.
    let mut fails = ask("solo");
    fails["disable_fallbacks"] = json!(true);
    let r = f.chat(fails, true).await;
    assert_eq!(r.status(), 500);
    let error: Value = r.json().await.unwrap();
    assert!(error["error"]["message"].is_string());
    let lines = untimed(&error["switchyard_explain"]["lines"]);
    assert_eq!(
        lines.last().unwrap(),
        "failed: internal_server (500)",
        "{lines:#?}"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_explanation_reads_as_the_simulators_for_the_same_events() {
    // The workload's first request goes to `solo`: no retries, no final wait, so the live and
    // the simulated request make the same decisions; only their instants differ.
    let f = start(20.0).await;
    let r = f.chat(ask("solo"), true).await;
    assert_eq!(r.status(), 200);
    let answer: Value = r.json().await.unwrap();
    let live = untimed(&answer["switchyard_explain"]["lines"]);
    let policy = &f.scenario.policies[0];
    let simulated = explain_request(&f.scenario, policy, f.scenario.seed, 0).unwrap();
    let simulated: Vec<String> = simulated.iter().map(|l| untimed_line(l)).collect();
    assert_eq!(live, simulated);
    assert!(live.contains(&"fall back (depth 1) to model group backup".to_string()));
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_forgets_the_oldest_explanation_beyond_its_size() {
    let f = start(1.0).await;
    let mut ids = Vec::new();
    for _ in 0..4 {
        let mut body = ask("backup");
        body["mock_response"] = json!("hi");
        let r = f.chat(body, true).await;
        ids.push(
            r.headers()["x-switchyard-explain-id"]
                .to_str()
                .unwrap()
                .to_string(),
        );
    }
    // A request that did not ask is neither explained nor kept.
    let plain = f.chat(ask("backup"), false).await;
    assert!(plain.headers().get("x-switchyard-explain-id").is_none());
    let plain_id = plain.headers()["x-switchyard-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let get = |id: &str| {
        f.client
            .get(format!("{}/router/explain/{id}", f.url))
            .bearer_auth(KEY)
            .send()
    };
    assert_eq!(
        get(&ids[0]).await.unwrap().status(),
        404,
        "explain_history: 3"
    );
    for id in &ids[1..] {
        let r = get(id).await.unwrap();
        assert_eq!(r.status(), 200);
        let kept: Value = r.json().await.unwrap();
        assert_eq!(kept["request_id"].to_string(), *id);
    }
    assert_eq!(get(&plain_id).await.unwrap().status(), 404);
    assert_eq!(get("not-a-number").await.unwrap().status(), 400);
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_streams_explanation_is_looked_up_once_the_stream_has_ended() {
    let f = start(1.0).await;
    let mut body = ask("backup");
    body["stream"] = json!(true);
    let r = f.chat(body, true).await;
    assert_eq!(r.status(), 200);
    let id = r.headers()["x-switchyard-explain-id"]
        .to_str()
        .unwrap()
        .to_string();
    let events = r.text().await.unwrap();
    assert!(
        events.contains("data: [DONE]"),
        "the events are the upstream's"
    );
    assert!(!events.contains("switchyard_explain"));
    let kept = f.view(&format!("/router/explain/{id}")).await;
    assert_eq!(kept["status"], 200);
    let lines = untimed(&kept["lines"]);
    assert_eq!(lines.first().unwrap(), "try model group backup");
    assert_eq!(
        &lines[lines.len() - 2..],
        ["  backup-1 answered", "served"],
        "{lines:#?}"
    );
    f.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_every_request_keeps_requests_that_did_not_ask() {
    let text = SCENARIO.replace(
        "explain_history: 3,",
        "explain_history: 3, explain_every_request: true,",
    );
    let f = start_with(&text, 1.0).await;
    let r = f.chat(ask("backup"), false).await;
    let id = r.headers()["x-switchyard-explain-id"]
        .to_str()
        .unwrap()
        .to_string();
    let answer: Value = r.json().await.unwrap();
    assert!(
        answer.get("switchyard_explain").is_none(),
        "only a request that asks gets it in its body"
    );
    let kept = f.view(&format!("/router/explain/{id}")).await;
    assert_eq!(untimed(&kept["lines"]).last().unwrap(), "served");
    f.stop().await;
}

#[test]
fn an_explain_history_that_is_no_count_or_too_large_is_refused_naming_the_key() {
    for bad in ["2000000", "-1", "lots"] {
        let text = SCENARIO.replace("explain_history: 3", &format!("explain_history: {bad}"));
        let e = scenario(&text).expect_err("refused").to_string();
        assert!(e.contains("explain_history"), "{bad}: {e}");
    }
    let text = SCENARIO.replace("explain_history: 3,", "explain_every_request: maybe,");
    let e = scenario(&text).expect_err("refused").to_string();
    assert!(e.contains("explain_every_request"), "{e}");
}
