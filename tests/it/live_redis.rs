//! Several `serve` instances sharing one real Redis: each test starts its own `redis-server` on
//! a free loopback port and stops it. The proxies run in-process on one shared, slowed clock
//! (a usage minute lasts far longer than a test, so no count resets under it) and wait for
//! conditions with bounded polls — never a sleep as an assertion. What "within one sync" means
//! is counted in syncs that reached the store ([`FleetStatus::syncs`]), not in seconds.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use axum::extract::Path as UrlPath;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use switchyard::config::LitellmConfig;
use switchyard::live::clock::LiveClock;
use switchyard::live::fleet::redis_store::{RedisStore, SyncNames};
use switchyard::live::fleet::redis_target::{self, RedisTarget};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};
use switchyard::router::sync::{CooldownMark, SharedTotals, SpendDelta, SyncDelta, UsageDelta};
use switchyard::time::Time;

use crate::common::env;

const ANSWER: &str = r#"{"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":3,"total_tokens":8}}"#;

/// The proxies' clock runs this much slower than the wall clock: a usage minute lasts 100 min.
const SLOW: f64 = 0.01;

/// A `redis-server` of the test's own, stopped when dropped.
struct RedisServer {
    port: u16,
    child: Child,
}

impl RedisServer {
    /// Starts one on a free port and waits (bounded) until it answers.
    fn start() -> RedisServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        RedisServer::start_on(port)
    }

    fn start_on(port: u16) -> RedisServer {
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (.ci/run installs it)");
        let server = RedisServer { port, child };
        let client = redis::Client::open(format!("redis://127.0.0.1:{port}/")).unwrap();
        poll("redis-server answers PING", || {
            client
                .get_connection()
                .and_then(|mut c| redis::cmd("PING").query::<String>(&mut c))
                .is_ok()
        });
        server
    }

    fn client(&self) -> redis::Connection {
        redis::Client::open(format!("redis://127.0.0.1:{}/", self.port))
            .unwrap()
            .get_connection()
            .unwrap()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until `done` holds, checking every 10 ms for at most 20 s; fails naming `what`.
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a bounded poll needs the wall clock"
)]
fn poll(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// [`poll`] for async conditions.
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a bounded poll needs the wall clock"
)]
async fn poll_async<F: std::future::Future<Output = bool>>(
    what: &str,
    mut done: impl FnMut() -> F,
) {
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while !done().await {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// The upstream: `/ok` answers, `/busy` answers 429 with Retry-After 7.
async fn upstream(UrlPath(kind): UrlPath<String>) -> Response {
    match kind.as_str() {
        "ok" => ([("content-type", "application/json")], ANSWER).into_response(),
        _ => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "7")],
            r#"{"error":{"message":"slow down"}}"#,
        )
            .into_response(),
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

/// A config for `up` sharing state through Redis on `port`, syncing every 1 ms of the slowed
/// clock (100 ms of wall time).
fn config(up: SocketAddr, port: u16) -> LitellmConfig {
    let base = |kind: &str| format!("http://{up}/{kind}/v1");
    let text = format!(
        r#"
model_list:
  - {{model_name: pair, litellm_params: {{model: openai/m, api_base: "{busy}"}}, model_info: {{id: busy-1}}}}
  - {{model_name: pair, litellm_params: {{model: openai/m, api_base: "{ok}"}}, model_info: {{id: ok-1}}}}
  - {{model_name: limited, litellm_params: {{model: openai/m, api_base: "{ok}", rpm: 10}}, model_info: {{id: limited-1}}}}
  - {{model_name: paid, litellm_params: {{model: openai/m, api_base: "{ok}", input_cost_per_token: 0.001, output_cost_per_token: 0.002}}, model_info: {{id: paid-1}}}}
router_settings:
  routing_strategy: usage-based-routing-v2
  num_retries: 0
  retry_after: 0
  redis_host: 127.0.0.1
  redis_port: {port}
  provider_budget_config: {{openai: {{budget_limit: 0.05, time_period: 1d}}}}
switchyard_settings:
  redis_sync_interval: 1ms
  # Usage whose write failed goes again (LiteLLM drops it; the router's tests cover that
  # default): the outage tests below check that every amount reaches Redis once it is back.
  resend_unsynced_usage: true
"#,
        ok = base("ok"),
        busy = base("busy"),
    );
    LitellmConfig::from_str(&text, "fleet.yaml", Path::new("."), &env()).expect("config loads")
}

/// Two proxies on one clock sharing the Redis on `port`.
struct Fleet {
    servers: Vec<proxy::Server>,
    clock: LiveClock,
    client: reqwest::Client,
    _logs: tempfile::TempDir,
}

async fn fleet(port: u16) -> Fleet {
    let up = start_upstream().await;
    let logs = tempfile::tempdir().unwrap();
    let clock = LiveClock::scaled(SLOW);
    let config = config(up, port);
    let mut servers = Vec::new();
    for i in 0..2 {
        let options = ServeOptions {
            key_environment: KeyEnvironment::local_development(),
            listen: "127.0.0.1:0".parse().unwrap(),
            log_path: logs.path().join(format!("requests-{i}.jsonl")),
            log_prompts: false,
            grace: Duration::from_secs(5),
            seed: Some(i),
            speed: SLOW,
            mock_upstream: None,
        };
        let server = proxy::start_on_clock(&config, None, &options, clock)
            .await
            .expect("proxy starts");
        servers.push(server);
    }
    Fleet {
        servers,
        clock,
        client: reqwest::Client::new(),
        _logs: logs,
    }
}

impl Fleet {
    /// One chat request to instance `i` for `model`: (status, the deployment that answered).
    async fn chat(&self, i: usize, model: &str) -> (u16, String) {
        let r = self
            .client
            .post(format!("http://{}/v1/chat/completions", self.servers[i].addr))
            .json(&serde_json::json!({"model": model, "messages": [{"role": "user", "content": "hi"}]}))
            .send()
            .await
            .expect("every request gets an answer");
        let id = r
            .headers()
            .get("x-litellm-model-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        (r.status().as_u16(), id)
    }

    fn syncs(&self, i: usize) -> u64 {
        self.servers[i].proxy.fleet_status().syncs()
    }

    /// Waits until instance `i` has completed two more syncs: the second began after the first
    /// ended, so it carried everything `i` did before this call, and read the store after that.
    async fn two_syncs(&self, i: usize) {
        let from = self.syncs(i);
        poll_async("two more syncs", || async { self.syncs(i) >= from + 2 }).await;
    }

    /// Waits until each instance's view holds what every instance did before this call: A
    /// writes, then B writes and reads A's, then A reads B's.
    async fn settle(&self) {
        self.two_syncs(0).await;
        self.two_syncs(1).await;
        self.two_syncs(0).await;
    }

    async fn readiness(&self, i: usize) -> serde_json::Value {
        self.client
            .get(format!("http://{}/health/readiness", self.servers[i].addr))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn shutdown(self) {
        for s in self.servers {
            s.shutdown().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooldown_set_by_one_instance_is_honoured_by_the_other_after_one_sync_each() {
    let redis = RedisServer::start();
    let f = fleet(redis.port).await;
    f.settle().await;
    assert_eq!(f.readiness(0).await["redis"], "connected");
    // Instance A sends until busy-1 answers its 429 once, which cools it (Retry-After 7 s of
    // the slowed clock: 700 s of wall time, far longer than the test).
    let mut cooled = false;
    for _ in 0..40 {
        if f.chat(0, "pair").await.0 == 429 {
            cooled = true;
            break;
        }
    }
    assert!(
        cooled,
        "busy-1 was chosen and answered 429 within 40 requests"
    );
    // One sync of A that began after the cooldown, then one of B that began after it.
    f.two_syncs(0).await;
    f.two_syncs(1).await;
    for _ in 0..20 {
        let (status, id) = f.chat(1, "pair").await;
        assert_eq!(
            (status, id.as_str()),
            (200, "ok-1"),
            "B never chooses the deployment A cooled"
        );
    }
    f.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_rpm_limit_holds_across_both_instances_within_one_round() {
    let redis = RedisServer::start();
    let f = fleet(redis.port).await;
    f.settle().await;
    // Rounds of K requests to each instance, the fleet settling between rounds. Within a round
    // an instance sees the other's traffic only up to the last settle, so the fleet can pass
    // the limit by at most what the other instance admits in one round: K.
    const RPM: usize = 10;
    const K: usize = 3;
    let mut served = 0;
    for _ in 0..8 {
        for _ in 0..K {
            for i in 0..2 {
                if f.chat(i, "limited").await.0 == 200 {
                    served += 1;
                }
            }
        }
        f.settle().await;
    }
    assert!(
        served <= RPM + K,
        "the fleet served {served} in one minute of a {RPM}-rpm deployment (tolerance {K})"
    );
    assert!(
        served >= RPM - 2,
        "the limit still admits the fleet's share: {served}"
    );
    f.shutdown().await;
}

/// Rounds of `k` requests to each instance of `f` (alternating 0, 1, 0, 1, …) for the
/// 10-rpm `limited` deployment, the fleet settling between rounds; how many were served.
async fn served_in_rounds(f: &Fleet, rounds: usize, k: usize) -> u64 {
    let mut served = 0;
    for _ in 0..rounds {
        for _ in 0..k {
            for i in 0..2 {
                if f.chat(i, "limited").await.0 == 200 {
                    served += 1;
                }
            }
        }
        f.settle().await;
    }
    served
}

/// The same fleet and traffic in simulation: two instances behind a round-robin balancer, the
/// 10-rpm deployment under usage-based-routing-v2, `rounds` rounds of `k` requests per instance
/// 10 ms apart, a round every 2 s, syncing every `interval` with no store latency; how many
/// requests the deployment served in the minute.
fn simulated_served(rounds: usize, k: usize, interval: &str) -> u64 {
    let script: String = (0..rounds)
        .map(|r| format!("    - {{at: {}ms, count: {}, every: 10ms, model: limited, input_tokens: 5, output_tokens: 3}}\n", 2000 * r + 10, 2 * k))
        .collect();
    let text = format!(
        r#"
name: live-fleet-twin
duration: 50s
seed: 1
router:
  model_list:
    - {{model_name: limited, litellm_params: {{model: openai/m, rpm: 10}}, model_info: {{id: limited-1}}}}
  router_settings:
    routing_strategy: usage-based-routing-v2
    num_retries: 0
    retry_after: 0
    redis_host: 127.0.0.1
    redis_port: 6379
providers:
  - {{match: {{model_name: limited}}, ttft: 1ms, per_token: 0ms}}
instances: {{count: 2, spread: round_robin, sync_interval: {interval}, read_latency: 0s, write_latency: 0s}}
workload:
  script:
{script}"#
    );
    let s = crate::common::scenario(&text).expect("the twin scenario parses");
    let stats = switchyard::app::runner::simulate_quietly(&s, &s.policies[0], s.seed).unwrap();
    stats.fleet.expect("a fleet run").deployments[0].peak_minute_requests
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_live_fleets_overshoot_lies_between_the_simulated_ones_for_the_same_setup() {
    // Live, an instance may sync in the middle of a round (its task runs on its own interval),
    // so it can know more than at the round's start, never less. The simulated twin with syncs
    // only between rounds (1 s interval, rounds 2 s apart: both instances have read each
    // other's last round before the next) is the most the live fleet can overshoot; with a
    // sync before every request (1 ms against requests 10 ms apart) the least.
    const ROUNDS: usize = 8;
    const K: usize = 3;
    let redis = RedisServer::start();
    let f = fleet(redis.port).await;
    f.settle().await;
    let live = served_in_rounds(&f, ROUNDS, K).await;
    f.shutdown().await;
    let most = simulated_served(ROUNDS, K, "1s");
    let least = simulated_served(ROUNDS, K, "1ms");
    assert!(
        least <= live && live <= most,
        "live {live} served, simulated {least} (a sync before every request) to {most} (syncs between rounds)"
    );
    assert!(
        most > least,
        "the twin's interval matters: {least} vs {most}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_provider_budget_spent_by_one_instance_is_exhausted_for_the_fleet() {
    let redis = RedisServer::start();
    let f = fleet(redis.port).await;
    f.settle().await;
    // Each answer costs 5 × 0.001 + 3 × 0.002 = $0.011; the openai budget is $0.05 a day.
    let mut served = 0;
    for _ in 0..20 {
        match f.chat(0, "paid").await.0 {
            200 => served += 1,
            _ => break,
        }
    }
    assert!((4..=6).contains(&served), "A spent the budget: {served}");
    f.settle().await;
    let (status, _) = f.chat(1, "paid").await;
    assert_ne!(
        status, 200,
        "B, which spent nothing, finds the budget exhausted"
    );
    f.shutdown().await;
}

/// The requests Redis holds for `deployment` in the fleet's current usage minute.
fn stored_requests(redis: &RedisServer, f: &Fleet, deployment: &str) -> Option<u64> {
    let minute = f.clock.now().minute();
    redis::cmd("HGET")
        .arg(format!("switchyard:usage:{deployment}:{minute}"))
        .arg("r")
        .query(&mut redis.client())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killing_redis_mid_run_loses_no_request_and_the_counts_merge_when_it_is_back() {
    let redis = RedisServer::start();
    let port = redis.port;
    let f = fleet(port).await;
    f.settle().await;
    let mut served = 0;
    for n in 0..4 {
        assert_eq!(f.chat(n % 2, "limited").await.0, 200, "under the limit");
        served += 1;
    }
    drop(redis);
    poll_async("both instances see Redis unreachable", || async {
        f.readiness(0).await["redis"] == "unreachable"
            && f.readiness(1).await["redis"] == "unreachable"
    })
    .await;
    // While Redis is down every request is answered, from each instance's own view.
    for n in 0..20 {
        match f.chat(n % 2, "limited").await.0 {
            200 => served += 1,
            429 => {}
            status => panic!("an answer from the local view, not a failure: {status}"),
        }
    }
    assert!(
        served > 10,
        "each instance admitted its own share: {served}"
    );
    // Redis back, empty (no persistence): the amounts not sent meanwhile go with the next sync.
    let redis = RedisServer::start_on(port);
    poll_async("both instances reconnect", || async {
        f.readiness(0).await["redis"] == "connected" && f.readiness(1).await["redis"] == "connected"
    })
    .await;
    f.settle().await;
    let stored = stored_requests(&redis, &f, "limited-1");
    assert_eq!(
        stored,
        Some(served),
        "every request either instance served this minute is in the store"
    );
    f.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_down_at_start_costs_no_request_and_is_joined_when_it_comes_up() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let f = fleet(port).await;
    poll_async("the instance reports Redis unreachable", || async {
        f.readiness(0).await["redis"] == "unreachable"
    })
    .await;
    for n in 0..6 {
        assert_eq!(
            f.chat(n % 2, "limited").await.0,
            200,
            "served on the local view"
        );
    }
    let redis = RedisServer::start_on(port);
    poll_async("both instances connect", || async {
        f.readiness(0).await["redis"] == "connected" && f.readiness(1).await["redis"] == "connected"
    })
    .await;
    f.settle().await;
    let stored = stored_requests(&redis, &f, "limited-1");
    assert_eq!(
        stored,
        Some(6),
        "what was served before Redis came up is merged"
    );
    f.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_settings_readiness_says_not_configured() {
    let text = "model_list:\n  - {model_name: m, litellm_params: {model: openai/m, api_base: \"http://127.0.0.1:9/v1\"}}\n";
    let config = LitellmConfig::from_str(text, "solo.yaml", Path::new("."), &env()).unwrap();
    let logs = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: logs.path().join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(1),
        seed: Some(1),
        speed: 1.0,
        mock_upstream: None,
    };
    let server = proxy::start(&config, None, &options).await.unwrap();
    let ready: serde_json::Value = reqwest::get(format!("http://{}/health/readiness", server.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["redis"], "not configured");
    server.shutdown().await;
}

/// Totals in a canonical order, with spend rounded past float noise.
fn canonical(mut t: switchyard::router::sync::SyncTotals) -> String {
    t.usage.sort_by(|a, b| a.deployment.cmp(&b.deployment));
    t.cooldowns.sort_by(|a, b| a.deployment.cmp(&b.deployment));
    t.spend.sort_by(|a, b| a.budget.cmp(&b.budget));
    for s in &mut t.spend {
        s.spent = (s.spent * 1e9).round() / 1e9;
    }
    format!("{t:?}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_redis_script_absorbs_deltas_by_the_stores_rule() {
    let redis = RedisServer::start();
    let target = RedisTarget::Host {
        host: "127.0.0.1".into(),
        port: redis.port,
        password: None,
        db: 0,
    };
    let mut store = RedisStore::connect(target.connection_info().unwrap(), Duration::from_secs(5))
        .await
        .unwrap();
    let names = SyncNames {
        deployments: vec!["a".into(), "b".into()],
        budgets: vec!["provider:openai".into(), "tag:team".into()],
    };
    let at = |s: f64| Time::from_secs_f64(1_800_000_000.0 + s);
    let hour = Duration::from_secs(3600);
    let usage = |d: &str, t: f64, r: u64| UsageDelta {
        deployment: d.into(),
        minute: at(t).minute(),
        requests: r,
        tokens: 10 * r,
    };
    let spend = |b: &str, start: f64, amount: f64| SpendDelta {
        budget: b.into(),
        window_start: at(start),
        period: hour,
        amount,
    };
    let mark = |d: &str, until: f64| CooldownMark {
        deployment: d.into(),
        until: at(until),
    };
    // Deltas from two instances, in the order the store receives them: usage adds up, the
    // later cooldown deadline wins whichever arrives first, spend adds to the open window and a
    // window that is over is replaced (at its own start when later, else at now).
    let steps: Vec<(f64, SyncDelta)> = vec![
        (
            1.0,
            SyncDelta {
                usage: vec![usage("a", 1.0, 2)],
                cooldowns: vec![mark("a", 30.0)],
                spend: vec![spend("provider:openai", 0.0, 0.25)],
            },
        ),
        (
            2.0,
            SyncDelta {
                usage: vec![usage("a", 2.0, 3), usage("b", 2.0, 1)],
                cooldowns: vec![mark("a", 20.0), mark("b", 5.0)],
                spend: vec![
                    spend("provider:openai", 0.0, 0.5),
                    spend("tag:team", 1.0, 1.0),
                ],
            },
        ),
        (3.0, SyncDelta::default()),
        (
            3700.0,
            SyncDelta {
                usage: vec![usage("b", 3700.0, 4)],
                cooldowns: vec![],
                spend: vec![spend("provider:openai", 0.0, 0.125)],
            },
        ),
        (
            3800.0,
            SyncDelta {
                usage: vec![],
                cooldowns: vec![mark("b", 3900.0)],
                spend: vec![spend("tag:team", 3650.0, 2.0)],
            },
        ),
    ];
    let mut rule = SharedTotals::default();
    for (t, delta) in steps {
        let now = at(t);
        rule.absorb(&delta, now);
        let from_redis = store.sync(&delta, &names, now).await.unwrap();
        assert_eq!(
            canonical(from_redis),
            canonical(rule.totals(now)),
            "at +{t} s"
        );
    }
}

fn target_of(
    router_settings: &str,
    env_vars: &[(&str, &str)],
) -> Result<Option<RedisTarget>, String> {
    let text = format!(
        "model_list:\n  - {{model_name: m, litellm_params: {{model: openai/m}}}}\nrouter_settings:\n{router_settings}"
    );
    let mut vars = env();
    for (k, v) in env_vars {
        vars.insert((*k).to_string(), (*v).to_string());
    }
    let config = LitellmConfig::from_str(&text, "proxy.yaml", Path::new("."), &vars).unwrap();
    redis_target::resolve(&config, &vars)
}

fn host(h: &str, port: u16, password: Option<&str>, db: i64) -> Option<RedisTarget> {
    Some(RedisTarget::Host {
        host: h.into(),
        port,
        password: password.map(String::from),
        db,
    })
}

#[test]
fn redis_settings_follow_litellm_s_precedence() {
    let env_all = [
        ("REDIS_HOST", "env-host"),
        ("REDIS_PORT", "7000"),
        ("REDIS_PASSWORD", "env-secret"),
        ("REDIS_URL", "redis://:u@env-url:7001/0"),
    ];
    // The environment alone turns nothing on (LiteLLM's Router needs redis_url, or redis_host
    // with redis_port).
    assert_eq!(target_of("  num_retries: 1\n", &env_all), Ok(None));
    assert_eq!(target_of("  redis_host: h\n", &env_all), Ok(None));
    // The config's host drops REDIS_URL; the environment fills the password; the config wins.
    assert_eq!(
        target_of("  redis_host: h\n  redis_port: 6380\n", &env_all),
        Ok(host("h", 6380, Some("env-secret"), 0))
    );
    // Values may name environment variables.
    assert_eq!(
        target_of(
            "  redis_host: os.environ/MY_HOST\n  redis_port: os.environ/MY_PORT\n  redis_password: pw\n  redis_db: 2\n",
            &[("MY_HOST", "named"), ("MY_PORT", "6390")]
        ),
        Ok(host("named", 6390, Some("pw"), 2))
    );
    // A url wins over host, port and password.
    assert_eq!(
        target_of(
            "  redis_url: redis://cfg-url:7002\n  redis_host: h\n  redis_port: 1\n",
            &env_all
        ),
        Ok(Some(RedisTarget::Url("redis://cfg-url:7002".into())))
    );
}

#[test]
fn bad_redis_settings_are_named_and_never_print_the_password() {
    let err = target_of(
        "  redis_host: h\n  redis_port: os.environ/MY_PORT\n  redis_password: hunter2\n",
        &[("MY_PORT", "not-a-port")],
    )
    .unwrap_err();
    assert!(
        err.contains("proxy.yaml") && err.contains("router_settings.redis_port"),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    let unset = target_of(
        "  redis_host: h\n  redis_port: 1\n  redis_password: os.environ/NOPE\n",
        &[],
    )
    .unwrap_err();
    assert!(
        unset.contains("router_settings.redis_password") && unset.contains("NOPE"),
        "{unset}"
    );
    let tls = target_of("  redis_url: rediss://:hunter2@example:6380\n", &[])
        .unwrap()
        .unwrap()
        .connection_info()
        .unwrap_err();
    assert!(
        tls.contains("router_settings.redis_url") && !tls.contains("hunter2"),
        "{tls}"
    );
    let url = RedisTarget::Url("redis://user:hunter2@example:6379/0".into());
    assert!(!format!("{url:?}").contains("hunter2"));
    assert!(!url.describe().contains("hunter2"));
}

/// A router of 100 deployments in group `g`, each with rpm, tpm, a price and a daily budget,
/// under a daily provider budget.
fn hundred_deployments() -> switchyard::router::Router {
    let mut text = String::from("model_list:\n");
    for i in 0..100 {
        text.push_str(&format!(
            "  - model_name: g\n    litellm_params: {{model: openai/m{i}, rpm: 1000000, tpm: 1000000000, input_cost_per_token: 0.000001, output_cost_per_token: 0.00001, max_budget: 1000, budget_duration: 1d}}\n    model_info: {{id: d{i}}}\n"
        ));
    }
    text.push_str("router_settings:\n  routing_strategy: usage-based-routing-v2\n  provider_budget_config: {openai: {budget_limit: 100000, time_period: 1d}}\n");
    let c = LitellmConfig::from_str(&text, "bench.yaml", Path::new("."), &env()).unwrap();
    switchyard::router::Router::new(&c.deployments, c.settings)
}

/// Gives every deployment of `r` usage and spend to send at `now`.
fn traffic(
    r: &mut switchyard::router::Router,
    now: Time,
    rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
) {
    use switchyard::router::{Completion, Outcome, RequestSpec, Step};
    let done = Outcome::Success(Completion {
        input_tokens: 500,
        output_tokens: 200,
        latency: Duration::from_millis(800),
        time_to_first_token: Duration::from_millis(200),
    });
    for _ in 0..300 {
        let mut call = r.start(RequestSpec::new(r.resolve("g"), 500));
        if let Step::Send { attempt, .. } = r.next_step(&mut call, now, rng) {
            r.record(&mut call, attempt, &done, now, rng);
        }
    }
}

fn redis_cpu_seconds(c: &mut redis::Connection) -> f64 {
    let info: String = redis::cmd("INFO").arg("cpu").query(c).unwrap();
    info.lines()
        .filter(|l| l.starts_with("used_cpu_sys:") || l.starts_with("used_cpu_user:"))
        .filter_map(|l| l.split(':').nth(1)?.trim().parse::<f64>().ok())
        .sum()
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Measures one sync of 100 deployments' state (usage, a budget each and a provider budget):
/// the router's take and apply (the time the core's lock is held) and the Redis round trip,
/// medians over 300 syncs, plus Redis's own CPU per sync. Prints; asserts nothing about time.
/// `cargo test --release --test it live_redis::measure -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it by name"]
#[allow(
    clippy::disallowed_methods,
    clippy::disallowed_types,
    reason = "a measurement reads the wall clock"
)]
async fn measure_one_sync_of_100_deployments() {
    use rand::SeedableRng;
    let redis = RedisServer::start();
    let target = RedisTarget::Host {
        host: "127.0.0.1".into(),
        port: redis.port,
        password: None,
        db: 0,
    };
    let mut store = RedisStore::connect(target.connection_info().unwrap(), Duration::from_secs(5))
        .await
        .unwrap();
    let mut r = hundred_deployments();
    let names = switchyard::live::fleet::sync_names(&r);
    assert_eq!((names.deployments.len(), names.budgets.len()), (100, 101));
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    let now = switchyard::live::clock::now();
    let (mut take, mut trip, mut apply) = (Vec::new(), Vec::new(), Vec::new());
    let mut admin = redis.client();
    let cpu_before = redis_cpu_seconds(&mut admin);
    for _ in 0..300 {
        traffic(&mut r, now, &mut rng);
        let t0 = std::time::Instant::now();
        let delta = r.take_sync_delta(now);
        let t1 = std::time::Instant::now();
        let totals = store.sync(&delta, &names, now).await.unwrap();
        let t2 = std::time::Instant::now();
        r.apply_sync_totals(&totals, now);
        let t3 = std::time::Instant::now();
        assert_eq!((delta.usage.len(), totals.usage.len()), (100, 100));
        take.push(t1 - t0);
        trip.push(t2 - t1);
        apply.push(t3 - t2);
    }
    let redis_cpu = (redis_cpu_seconds(&mut admin) - cpu_before) / 300.0;
    println!(
        "one sync of 100 deployments + 101 budgets: take {:?}, apply {:?} (lock held), Redis round trip {:?} (median of 300), Redis CPU {:.0} µs per sync",
        median(take),
        median(apply),
        median(trip),
        redis_cpu * 1e6
    );
}
