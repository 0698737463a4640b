//! The auto router live (ROUTING.md §9): the routing article's config served with its
//! embedding deployment answered by mock-provider, and the same decision from precomputed
//! vectors as from the built-in encoder. Outcomes and request counts only, never durations.
//!
//! Between the proxy and mock-provider sits a relay the test controls: it counts the embedding
//! requests that reach the mock (and their inputs), and can answer them 503 (an outage of the
//! embedding deployment).

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path as UrlPath, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use prometheus_parse::Scrape;
use serde_json::{Value, json};

use switchyard::config::auto_router::{AutoRouterSpec, RouteSpec};
use switchyard::live::mock_provider::embeddings::embed;
use switchyard::live::mock_provider::{self, MockHandle, MockOptions};
use switchyard::live::proxy::master_key::KeyEnvironment;
use switchyard::live::proxy::{self, ServeOptions};
use switchyard::router::auto_router::AutoRouter;
use switchyard::router::auto_router::encoder::{Encoder, NgramEncoder, SparseVec};
use switchyard::scenario::load_scenario;

use crate::common::{env, router};
use crate::live_metrics::total;

/// The relay in front of mock-provider.
struct Relay {
    mock: SocketAddr,
    client: reqwest::Client,
    /// Every embeddings request's inputs, in arrival order.
    embedded: Mutex<Vec<Vec<String>>>,
    /// Embedding requests are answered 503 without reaching the mock.
    down: AtomicBool,
}

impl Relay {
    fn embedded(&self) -> Vec<Vec<String>> {
        self.embedded.lock().unwrap().clone()
    }
}

async fn relay(
    State(relay): State<Arc<Relay>>,
    UrlPath((name, rest)): UrlPath<(String, String)>,
    body: Bytes,
) -> Response {
    if rest.ends_with("embeddings") {
        let v: Value = serde_json::from_slice(&body).unwrap_or_default();
        let inputs = v["input"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|i| i.as_str().unwrap_or("").to_string())
                    .collect()
            })
            .unwrap_or_default();
        relay.embedded.lock().unwrap().push(inputs);
        if relay.down.load(Ordering::SeqCst) {
            let error =
                r#"{"error":{"message":"embedding service down","type":"service_unavailable"}}"#;
            return (StatusCode::SERVICE_UNAVAILABLE, error).into_response();
        }
    }
    let url = format!("http://{}/p/{name}/{rest}", relay.mock);
    let answer = relay
        .client
        .post(url)
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    let status = StatusCode::from_u16(answer.status().as_u16()).unwrap();
    (
        status,
        [("content-type", "application/json")],
        answer.bytes().await.unwrap(),
    )
        .into_response()
}

#[allow(
    clippy::disallowed_methods,
    reason = "the test's relay runs as its own task"
)]
async fn start_relay(relay: Arc<Relay>) -> SocketAddr {
    let app = axum::Router::new()
        .route("/p/{name}/{*rest}", post(self::relay))
        .with_state(relay);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

struct Stack {
    relay: Arc<Relay>,
    server: proxy::Server,
    mock: MockHandle,
    log: tempfile::TempDir,
    url: String,
}

/// The article's config and providers (`examples/live`), served with every upstream behind the
/// relay; the embedding deployment is down from the start when `down`.
async fn article_stack(down: bool) -> Stack {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/live");
    let scenario = load_scenario(&examples.join("article-providers.yaml"), &env()).unwrap();
    let options = MockOptions {
        port: 0,
        ..MockOptions::default()
    };
    let (mock_addr, mock) = mock_provider::start(&scenario, &options).await.unwrap();
    let relay = Arc::new(Relay {
        mock: mock_addr,
        client: reqwest::Client::new(),
        embedded: Mutex::new(Vec::new()),
        down: AtomicBool::new(down),
    });
    let relay_addr = start_relay(relay.clone()).await;
    let log = tempfile::tempdir().unwrap();
    let options = ServeOptions {
        key_environment: KeyEnvironment::local_development(),
        listen: "127.0.0.1:0".parse().unwrap(),
        log_path: log.path().join("requests.jsonl"),
        log_prompts: false,
        grace: Duration::from_secs(5),
        seed: Some(14),
        // Retry waits (0.5 s, 1 s, 2 s …) pass 50 times faster.
        speed: 50.0,
        mock_upstream: Some(format!("http://{relay_addr}")),
    };
    let server = proxy::start(&scenario.config, None, &options)
        .await
        .expect("proxy starts");
    let url = format!("http://{}/chat/completions", server.addr);
    Stack {
        relay,
        server,
        mock,
        log,
        url,
    }
}

impl Stack {
    /// The article's `curl`: `prompt` to `auto_router`; the status and the serving group.
    async fn ask(&self, prompt: &str) -> (u16, String) {
        let body =
            json!({"model": "auto_router", "messages": [{"role": "user", "content": prompt}]});
        let r = reqwest::Client::new()
            .post(&self.url)
            .bearer_auth("sk-1234")
            .json(&body)
            .send()
            .await
            .unwrap();
        let group = r
            .headers()
            .get("x-litellm-model-group")
            .map_or("", |v| v.to_str().unwrap())
            .to_string();
        (r.status().as_u16(), group)
    }

    /// The sum of `family`'s samples for the embedding deployment in `GET /metrics`, read
    /// with a Prometheus text-format parser.
    async fn embedding_metric(&self, family: &str) -> f64 {
        let text = reqwest::Client::new()
            .get(format!("http://{}/metrics", self.server.addr))
            .bearer_auth("sk-1234")
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let scrape = Scrape::parse(text.lines().map(|l| Ok(l.to_string()))).unwrap();
        total(&scrape, family, &[("model_id", "embedding")])
    }

    async fn stop(self) -> Vec<Value> {
        self.server.shutdown().await;
        self.mock.stop().await;
        let text = std::fs::read_to_string(self.log.path().join("requests.jsonl")).unwrap();
        text.lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    }
}

const POEM: &str = "写一首关于春天的诗";
const BUBBLE_SORT: &str = "使用 Python 语言实现冒泡排序算法";

/// The article's router.json's utterances, as one embedding request carries them.
fn utterances() -> Vec<String> {
    vec![POEM.to_string(), BUBBLE_SORT.to_string()]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_articles_curls_land_on_their_models_with_embeddings_from_mock_provider() {
    let stack = article_stack(false).await;
    assert_eq!(stack.ask(POEM).await, (200, "gpt-4o".to_string()));
    assert_eq!(
        stack.ask(BUBBLE_SORT).await,
        (200, "claude-sonnet-4".to_string())
    );
    assert_eq!(stack.ask(POEM).await, (200, "gpt-4o".to_string()));
    // The utterances once (in one request), then one request per prompt.
    assert_eq!(
        stack.relay.embedded(),
        vec![
            utterances(),
            vec![POEM.to_string()],
            vec![BUBBLE_SORT.to_string()],
            vec![POEM.to_string()]
        ]
    );
    let lines = stack.stop().await;
    assert_eq!(lines.len(), 3);
    for line in &lines {
        let embedding = line["embedding_attempts"].as_array().unwrap();
        assert_eq!(embedding.last().unwrap()["deployment"], "embedding");
        assert_eq!(embedding.last().unwrap()["outcome"], "ok");
        assert_eq!(line["attempts"].as_array().unwrap().len(), 1);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_embedding_outage_sends_prompts_to_the_default_model_after_the_groups_retries() {
    let stack = article_stack(false).await;
    assert_eq!(
        stack.ask(BUBBLE_SORT).await,
        (200, "claude-sonnet-4".to_string())
    );
    stack.relay.down.store(true, Ordering::SeqCst);
    // The prompt's embedding fails: the default model (gpt-4o) serves the code prompt.
    assert_eq!(stack.ask(BUBBLE_SORT).await, (200, "gpt-4o".to_string()));
    // The article's num_retries: 2, so three attempts at the lone embedding deployment.
    let during: Vec<Vec<String>> = stack.relay.embedded().split_off(2);
    assert_eq!(during, vec![vec![BUBBLE_SORT.to_string()]; 3]);
    stack.relay.down.store(false, Ordering::SeqCst);
    assert_eq!(
        stack.ask(BUBBLE_SORT).await,
        (200, "claude-sonnet-4".to_string())
    );
    // The prompts' embedding attempts are in the embedding deployment's metrics, as a chat
    // deployment's are: two successes and the outage's three failures. The utterances' (the
    // first request the relay saw) are not: LiteLLM embeds them with its synchronous
    // `Router.embedding`, which its Prometheus callbacks do not count.
    let embedded = stack.relay.embedded().len() as f64;
    let failures = stack
        .embedding_metric("litellm_deployment_failure_responses_total")
        .await;
    let successes = stack
        .embedding_metric("litellm_deployment_success_responses_total")
        .await;
    assert_eq!((failures, successes), (3.0, embedded - 4.0));
    let lines = stack.stop().await;
    let outcomes: Vec<Vec<&str>> = lines
        .iter()
        .map(|l| {
            l["embedding_attempts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["outcome"].as_str().unwrap())
                .collect()
        })
        .collect();
    assert_eq!(outcomes[1], vec!["service_unavailable"; 3]);
    assert_eq!(outcomes[2], vec!["ok"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn utterances_that_cannot_be_embedded_at_start_fail_requests_until_they_can() {
    let stack = article_stack(true).await;
    let (status, _) = stack.ask(POEM).await;
    assert_eq!(status, 500);
    stack.relay.down.store(false, Ordering::SeqCst);
    assert_eq!(
        stack.ask(BUBBLE_SORT).await,
        (200, "claude-sonnet-4".to_string())
    );
    let embedded = stack.relay.embedded();
    // Every try embeds the utterances; the last two requests are the successful build and the
    // prompt's embedding.
    assert!(embedded.len() >= 4, "{embedded:?}");
    assert_eq!(embedded[embedded.len() - 2], utterances());
    assert_eq!(embedded[embedded.len() - 1], vec![BUBBLE_SORT.to_string()]);
    let lines = stack.stop().await;
    assert_eq!(lines[0]["status"], 500);
    assert_eq!(lines[0]["error_class"], "internal_server");
}

const TARGETS: &str = r#"
model_list:
  - {model_name: poems, litellm_params: {model: openai/gpt-4o}, model_info: {id: poems}}
  - {model_name: code, litellm_params: {model: openai/gpt-4o}, model_info: {id: code}}
  - {model_name: travel, litellm_params: {model: openai/gpt-4o}, model_info: {id: travel}}
"#;

/// The built-in encoder's vector of `text`, laid out densely.
fn dense(text: &str) -> Vec<f32> {
    let encoder = NgramEncoder::default();
    let mut sparse = SparseVec::new();
    encoder.encode(text, &mut sparse).unwrap();
    let mut v = vec![0.0; encoder.dims()];
    for (d, x) in sparse {
        v[d as usize] = x;
    }
    v
}

#[test]
fn precomputed_vectors_decide_as_the_built_in_encoder_does_for_the_same_vectors() {
    let route = |name: &str, utterances: &[&str], threshold| RouteSpec {
        name: name.into(),
        utterances: utterances.iter().map(|u| u.to_string()).collect(),
        description: None,
        score_threshold: threshold,
    };
    let spec = AutoRouterSpec {
        encoder_type: None,
        encoder_name: None,
        routes: vec![
            route(
                "poems",
                &["写一首关于春天的诗", "write a poem about the sea"],
                Some(0.5),
            ),
            route(
                "code",
                &[
                    "使用 Python 语言实现冒泡排序算法",
                    "implement quicksort in Rust",
                    "fix this SQL query",
                ],
                None,
            ),
            route(
                "travel",
                &["plan a trip to Kyoto", "best hotels in Paris"],
                Some(0.2),
            ),
        ],
    };
    let r = router(TARGETS);
    let aliases = &r.settings().model_group_alias;
    let mut built_in = AutoRouter::new(&spec, "poems", r.table(), aliases);
    let vectors: Vec<Vec<f32>> = spec
        .routes
        .iter()
        .flat_map(|r| r.utterances.iter().map(|u| dense(u)))
        .collect();
    let mut precomputed =
        AutoRouter::with_vectors(&spec, "poems", r.table(), aliases, &vectors).unwrap();
    assert!(precomputed.wants_vectors() && !built_in.wants_vectors());
    let prompts = [
        "写一首关于秋天的诗",
        "用 Python 实现快速排序算法",
        "a trip to Kyoto in spring",
        "what is the weather",
        "write a poem about the sea",
    ];
    let mut matched = 0;
    for prompt in prompts {
        let a = built_in.decide(Some(prompt));
        let b = precomputed.decide_with(Some(prompt), Some(&dense(prompt)));
        assert_eq!((a.route, a.matched), (b.route, b.matched), "{prompt}");
        assert!(
            (a.score - b.score).abs() < 1e-5,
            "{prompt}: {} {}",
            a.score,
            b.score
        );
        matched += usize::from(a.matched.is_some());
    }
    // Both branches were taken: some prompts matched a route, some went to the default.
    assert!(matched > 0 && matched < prompts.len(), "{matched}");
    // Without a vector (the embedding failed), or one of another dimension: the default model.
    let default = built_in.decide(Some("definitely nothing")).route;
    assert_eq!(precomputed.decide_with(Some(POEM), None).route, default);
    assert_eq!(
        precomputed.decide_with(Some(POEM), Some(&[1.0, 0.0])).route,
        default
    );
    assert!(precomputed.decide_with(Some(POEM), None).unscored.is_some());
}

#[test]
fn precomputed_vectors_must_be_one_per_utterance_and_of_one_length() {
    let spec = AutoRouterSpec {
        encoder_type: None,
        encoder_name: None,
        routes: vec![RouteSpec {
            name: "poems".into(),
            utterances: vec!["a".into(), "b".into()],
            description: None,
            score_threshold: None,
        }],
    };
    let r = router(TARGETS);
    let aliases = &r.settings().model_group_alias;
    let build = |v: &[Vec<f32>]| AutoRouter::with_vectors(&spec, "poems", r.table(), aliases, v);
    assert!(
        build(&[vec![1.0]])
            .unwrap_err()
            .contains("one vector per utterance (2), got 1")
    );
    assert!(
        build(&[vec![1.0], vec![1.0, 0.0]])
            .unwrap_err()
            .contains("different lengths")
    );
    assert!(build(&[vec![], vec![]]).unwrap_err().contains("empty"));
    assert!(build(&[embed("a"), embed("b")]).is_ok());
}
