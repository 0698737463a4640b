//! `switchyard serve`: an OpenAI-compatible gateway over the decision core.
//!
//! Endpoints: `POST /chat/completions` and `/v1/chat/completions`, `POST /embeddings` and
//! `/v1/embeddings`, `GET /models` and `/v1/models` (the model groups, OpenAI's list shape),
//! `GET /health/liveliness` and `/health/readiness`, `GET /metrics` ([`metrics`]); behind the
//! master key, the router's state ([`router_view`]: `GET /router/cooldowns`, `/router/budgets`,
//! `/router/usage`; and LiteLLM's `GET /provider/budgets`, [`provider_budgets`]) and kept
//! explanations ([`explain`]: `GET /router/explain/<request id>`). Every request is authenticated
//! ([`auth`]), read ([`controls`]) and driven through the router ([`exchange`], [`stream`]);
//! every one ends in a response or an OpenAI-shaped error ([`errors`]) and one log line
//! ([`request_log`]). SIGTERM or Ctrl-C stops accepting, lets in-flight requests finish up to a
//! deadline and flushes the log.
//!
//! It decides the HTTP surface; every routing decision is the router's.

pub mod auth;
mod auto_route;
pub mod controls;
mod embedding_call;
pub mod errors;
mod exchange;
pub mod explain;
pub mod explain_history;
pub mod master_key;
pub mod metrics;
pub mod provider_budgets;
pub mod request_gate;
pub mod request_log;
mod response_headers;
pub mod router_view;
pub mod state;
mod stream;
mod usage;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router as Routes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use serde_json::Value;

use self::errors::ApiError;
use self::exchange::Exchange;
use self::request_log::{RequestLine, RequestLog};
use self::response_headers::DeploymentLabels;
use self::state::SharedCore;
use super::clock::{self, LiveClock};
use super::fleet::{self, FleetOptions, FleetStatus, FleetSync};
use super::upstream::{Endpoint, Upstreams};
use crate::config::LitellmConfig;
use crate::config::deployment_table::DeploymentTable;
use crate::config::yaml::ProcessEnv;
use crate::router::{Price, PriceFile, Router};

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Address to listen on (port 0: any free port).
    pub listen: SocketAddr,
    /// Where the request log goes.
    pub log_path: PathBuf,
    /// Log prompts and answers too.
    pub log_prompts: bool,
    /// How long in-flight requests may take to finish after a stop signal.
    pub grace: Duration,
    /// Seed of the router's random stream (`None`: from the clock).
    pub seed: Option<u64>,
    /// The proxy's clock runs this many times faster than the wall clock (1 for serving; more
    /// to replay a scenario compressed against `mock-provider --speed`).
    pub speed: f64,
    /// Send every deployment's traffic to this mock provider (`URL/p/<deployment id>`) instead
    /// of its `api_base`.
    pub mock_upstream: Option<String>,
    /// `LITELLM_MASTER_KEY` and whether a weak or unset key is permitted, from the environment
    /// ([`master_key`]).
    pub key_environment: master_key::KeyEnvironment,
}

/// Everything the handlers share.
#[derive(Debug)]
pub struct Proxy {
    core: Arc<SharedCore>,
    fleet: Arc<FleetStatus>,
    upstreams: Upstreams,
    table: Arc<DeploymentTable>,
    master_key: Option<String>,
    log: RequestLog,
    next_id: AtomicU64,
    clock: LiveClock,
    /// The router's price of each deployment (fixed at start; read without the lock).
    prices: Vec<Option<Price>>,
    /// Each deployment's names for response headers and log lines.
    labels: Vec<DeploymentLabels>,
    /// The auto routers whose prompts an embedding deployment embeds.
    auto_routes: auto_route::AutoRoutes,
    /// What `/metrics` shows.
    metrics: metrics::ProxyMetrics,
    /// Recent requests' explanations.
    explanations: explain::Explanations,
    /// `switchyard_settings.allow_client_mock_response`: a request's `mock_response` answers it
    /// (else it is stripped unread, as LiteLLM's proxy strips it).
    allow_client_mock_response: bool,
    /// `model_group_alias`: a request's model is resolved against `table` and these, before and
    /// without the router's lock, as the router would resolve it.
    aliases: BTreeMap<String, String>,
}

impl Proxy {
    /// Attempts the router counts as in flight, over every deployment.
    pub fn in_flight(&self) -> u32 {
        self.core
            .with(|c| c.router.live().all().iter().map(|d| d.in_flight).sum())
    }

    /// How this instance stands with the fleet's shared store (Redis).
    pub fn fleet_status(&self) -> &FleetStatus {
        &self.fleet
    }

    /// (router lock acquisitions, acquisitions that waited for another request).
    pub fn lock_contention(&self) -> (u64, u64) {
        self.core.contention()
    }
}

/// Why the proxy would not start.
#[derive(Debug)]
pub struct StartError(pub String);

impl std::fmt::Display for StartError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StartError {}

/// A running proxy.
pub struct Server {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The shared state (for its counters).
    pub proxy: Arc<Proxy>,
    /// What is unsafe about the master key it started with, when the override allowed one.
    pub unsafe_key: Option<master_key::UnsafeKey>,
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    log_writer: tokio::task::JoinHandle<()>,
    fleet: Option<FleetSync>,
}

impl Server {
    /// The fleet sync in force (which Redis, how often), if the config asks for one.
    pub fn fleet(&self) -> Option<&str> {
        self.fleet.as_ref().map(FleetSync::describe)
    }

    /// Stops accepting, waits for in-flight requests (up to the grace period) and flushes the
    /// request log.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
        if let Some(fleet) = self.fleet {
            fleet.stop().await;
        }
        self.proxy.log.close();
        drop(self.proxy);
        let _ = self.log_writer.await;
    }
}

/// Starts serving `config` (with `prices` beside the built-in table).
pub async fn start(
    config: &LitellmConfig,
    prices: Option<&PriceFile>,
    options: &ServeOptions,
) -> Result<Server, StartError> {
    start_on_clock(config, prices, options, LiveClock::scaled(options.speed)).await
}

/// The fleet sync `config` asks for (`None`: no Redis configured).
fn fleet_options(config: &LitellmConfig) -> Result<Option<FleetOptions>, StartError> {
    let target = fleet::redis_target::resolve(config, &ProcessEnv).map_err(StartError)?;
    if let Some(t) = &target {
        t.connection_info()
            .map_err(|e| StartError(format!("{}: {e}", config.file)))?;
    }
    Ok(target.map(|target| FleetOptions {
        target,
        interval: config
            .settings
            .improvements
            .redis_sync_interval
            .unwrap_or(fleet::DEFAULT_SYNC_INTERVAL),
    }))
}

/// [`start`] on a given clock (instances of one fleet started with a faster clock share it, so
/// that they agree on every instant).
#[allow(
    clippy::disallowed_methods,
    reason = "the live edge: the server runs as its own task"
)]
pub async fn start_on_clock(
    config: &LitellmConfig,
    prices: Option<&PriceFile>,
    options: &ServeOptions,
    live_clock: LiveClock,
) -> Result<Server, StartError> {
    let boot_key = master_key::boot_key(config, &options.key_environment).map_err(StartError)?;
    let metrics_auth = metrics::require_auth(config).map_err(StartError)?;
    let fleet_options = fleet_options(config)?;
    let table = config.table.clone();
    let upstreams = Upstreams::new(&table, options.mock_upstream.as_deref())
        .map_err(|e| StartError(format!("{}: {e}", config.file)))?;
    let router = Router::from_table(table.clone(), config.settings.clone(), prices);
    let auto_routes = auto_route::AutoRoutes::new(config, &router);
    let deployment_prices = (0..table.deployments().len())
        .map(|d| router.price(crate::router::DeploymentIdx(d as u32)))
        .collect();
    let labels = DeploymentLabels::for_table(&table, |d| {
        upstreams.target(d).map_or("", |t| t.api_base.as_str())
    });
    let (log, log_writer) =
        RequestLog::open(&options.log_path, options.log_prompts).map_err(|e| {
            StartError(format!(
                "cannot open the request log {}: {e}",
                options.log_path.display()
            ))
        })?;
    let seed = options
        .seed
        .unwrap_or_else(|| clock::now().as_nanos() ^ 0x5eed_5eed_5eed_5eed);
    let core = Arc::new(SharedCore::new(router, seed));
    let metrics = metrics::ProxyMetrics::new(
        &core,
        &table,
        |d| upstreams.target(d).map_or("", |t| t.api_base.as_str()),
        metrics_auth,
    );
    let proxy = Arc::new(Proxy {
        metrics,
        core,
        fleet: Arc::new(FleetStatus::default()),
        upstreams,
        table,
        master_key: boot_key.key,
        log,
        next_id: AtomicU64::new(1),
        clock: live_clock,
        prices: deployment_prices,
        labels,
        auto_routes,
        explanations: explain::Explanations::configured(&config.settings.improvements),
        allow_client_mock_response: config.settings.improvements.allow_client_mock_response,
        aliases: config.settings.model_group_alias.clone(),
    });
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .map_err(|e| StartError(format!("cannot listen on {}: {e}", options.listen)))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError(format!("cannot read the listening address: {e}")))?;
    let (stop, mut stopped) = tokio::sync::watch::channel(false);
    let app = routes(proxy.clone());
    let grace = options.grace;
    let task = tokio::spawn(async move {
        let mut signal = stopped.clone();
        let serving = axum::serve(listener, app).with_graceful_shutdown(async move {
            let _ = signal.wait_for(|s| *s).await;
        });
        let serving = std::pin::pin!(serving.into_future());
        tokio::select! {
            _ = serving => {}
            // After the stop signal, in-flight requests get `grace` to finish.
            _ = async { let _ = stopped.wait_for(|s| *s).await; tokio::time::sleep(grace).await } => {}
        }
    });
    if !proxy.auto_routes.is_empty() {
        tokio::spawn(auto_route::embed_utterances_at_start(proxy.clone()));
    }
    let fleet =
        fleet_options.map(|o| fleet::start(proxy.core.clone(), proxy.fleet.clone(), live_clock, o));
    Ok(Server {
        addr,
        proxy,
        unsafe_key: boot_key.permitted,
        stop,
        task,
        log_writer,
        fleet,
    })
}

fn routes(proxy: Arc<Proxy>) -> Routes {
    Routes::new()
        .route("/chat/completions", post(chat))
        .route("/v1/chat/completions", post(chat))
        .route("/embeddings", post(embeddings))
        .route("/v1/embeddings", post(embeddings))
        .route("/models", get(models))
        .route("/v1/models", get(models))
        .route("/health/liveliness", get(alive))
        .route("/health/readiness", get(ready))
        .route("/metrics", get(metrics::scrape))
        .route("/router/cooldowns", get(router_view::get_cooldowns))
        .route("/router/budgets", get(router_view::get_budgets))
        .route("/router/usage", get(router_view::get_usage))
        .route(
            "/provider/budgets",
            get(provider_budgets::get_provider_budgets),
        )
        .route("/router/explain/{id}", get(explain::get_explanation))
        .with_state(proxy)
}

async fn chat(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(proxy, headers, body, Endpoint::Chat).await
}

async fn embeddings(State(proxy): State<Arc<Proxy>>, headers: HeaderMap, body: Bytes) -> Response {
    handle(proxy, headers, body, Endpoint::Embeddings).await
}

/// Authenticates, reads and drives one request.
async fn handle(
    proxy: Arc<Proxy>,
    headers: HeaderMap,
    body: Bytes,
    endpoint: Endpoint,
) -> Response {
    let arrived = proxy.clock.now();
    let request_id = proxy.next_id.fetch_add(1, Ordering::Relaxed);
    let refuse = |error: ApiError, class: &'static str, model: Option<&Value>| {
        let line = RequestLine {
            arrival_unix_s: arrived.as_secs_f64(),
            request_id,
            status: error.status,
            error_class: Some(class),
            model: model
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            ..RequestLine::default()
        };
        proxy
            .metrics
            .counters
            .finished(metrics::counters::Finished {
                requested: proxy.metrics.unknown_slot(),
                line: &line,
                served: None,
            });
        proxy.log.write(line);
        error.into_response()
    };
    if !auth::allowed(proxy.master_key.as_deref(), &headers) {
        let error = ApiError::new(401, "Authentication Error: invalid or missing proxy key");
        return refuse(error, "authentication", None);
    }
    let parsed = match request_gate::body(&body) {
        Ok(map) => map,
        Err(error) => return refuse(error, "bad_request", None),
    };
    let resolve = |m: &str| proxy.table.resolve(m, &proxy.aliases);
    let target = match request_gate::check(&parsed, endpoint, resolve) {
        Ok(target) => target,
        Err(refusal) => return refuse(refusal.error, refusal.class, parsed.get("model")),
    };
    let mut controls = match controls::read(&parsed, &headers) {
        Ok(c) => c,
        Err(e) => return refuse(ApiError::new(400, e.0), "bad_request", parsed.get("model")),
    };
    if !proxy.allow_client_mock_response {
        controls.mock_response = None;
    }
    let request = exchange::Request {
        controls,
        target,
        body: parsed,
        endpoint,
    };
    Exchange::new(proxy, request, arrived, request_id, body)
        .run()
        .await
}

/// The model groups, as OpenAI lists models.
async fn models(State(proxy): State<Arc<Proxy>>, headers: HeaderMap) -> Response {
    if !auth::allowed(proxy.master_key.as_deref(), &headers) {
        return ApiError::new(401, "Authentication Error: invalid or missing proxy key")
            .into_response();
    }
    let data: Vec<Value> = proxy
        .table
        .groups()
        .iter()
        .filter(|g| !g.is_pattern)
        .map(|g| serde_json::json!({"id": g.name, "object": "model", "created": 0, "owned_by": "switchyard"}))
        .collect();
    axum::Json(serde_json::json!({"object": "list", "data": data})).into_response()
}

/// LiteLLM's answer: the JSON string `"I'm alive!"`.
async fn alive() -> axum::Json<&'static str> {
    axum::Json("I'm alive!")
}

async fn ready(State(proxy): State<Arc<Proxy>>) -> Response {
    let deployments = proxy.table.deployments().len();
    let redis = proxy.fleet.describe();
    axum::Json(serde_json::json!({"status": "healthy", "deployments": deployments, "redis": redis}))
        .into_response()
}
