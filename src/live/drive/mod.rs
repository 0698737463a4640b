//! The load driver: a scenario's workload played in real time against any OpenAI-compatible
//! gateway (Switchyard's proxy, LiteLLM's proxy), recorded as its clients observed it.
//!
//! [`run`] draws the arrivals and the request mix with the simulator's generators and streams
//! ([`plan`]), so a live run sees the workload `switchyard run` sees with the same seed. Virtual
//! time `t` is due on the wall clock at `start + t / speed`; each arrival becomes one HTTP
//! request in its own task ([`request_body`] says what is sent, [`send`] sends it), and each
//! answer becomes a [`RequestRecord`] as it arrives ([`observed`]), fed into the run's
//! [`PolicyStats`]. The run ends when every request has ended, or at a deadline (the scenario's
//! duration / speed plus the longest client timeout), when requests still out are recorded as
//! timeouts: no request goes unrecorded.
//!
//! It decides when requests are sent and how their ends are collected; it writes no files (the
//! application writes the report from [`DriveOutput`]) and makes no routing decision.

pub mod classify;
pub mod collect;
pub mod observed;
pub mod plan;
pub mod request_body;
pub mod send;
pub mod sse;
pub mod target;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use tokio::sync::{Semaphore, mpsc};

use self::observed::{Exchange, Reader};
use self::send::Endpoint;
use super::clock;
use crate::metrics::{PolicyStats, RequestRecord};
use crate::router::ErrorClass;
use crate::scenario::Scenario;
use crate::sim::workload::RequestClass;
use crate::time::Time;

/// The name of the one policy a live run reports (the gateway's own, whatever it is).
pub const POLICY: &str = "live";

/// What a client cannot observe, for the report's description.
pub const CLIENT_VIEW: &str = "Recorded by the load driver from what its clients observed: \
status, x-litellm-model-id / -attempted-retries / -attempted-fallbacks / -response-cost \
headers, usage and timings (wall-clock spans × speed). Attempts per deployment, cooldowns \
and the groups tried before a fallback are not visible to a client and are left empty.";

/// The client timeout of a request whose class sets no `timeout`, on the wall clock.
pub const DEFAULT_CLIENT_TIMEOUT: Duration = Duration::from_secs(600);

/// Retries assumed of a gateway when a class with a timeout does not set `num_retries`.
const ASSUMED_RETRIES: u32 = 3;

/// Wall-clock slack added to a client timeout derived from a class's `timeout`.
const TIMEOUT_SLACK: Duration = Duration::from_secs(5);

/// How to drive.
#[derive(Debug, Clone, PartialEq)]
pub struct DriveOptions {
    /// The gateway's address (`http://127.0.0.1:4000`, or its `/v1` or chat-completions URL).
    pub target: String,
    /// Sent as `Authorization: Bearer KEY`.
    pub key: Option<String>,
    /// Virtual seconds per wall-clock second (10 plays a minute of traffic in 6 s).
    pub speed: f64,
    /// Seed of the workload (default: the scenario's).
    pub seed: Option<u64>,
    /// Send at most this many requests (default: every arrival of the scenario's duration).
    pub max_requests: Option<u64>,
    /// At most this many requests in flight; arrivals beyond wait for a slot (the wait counts
    /// in their latency, as a client would see it).
    pub concurrency_limit: Option<usize>,
}

impl DriveOptions {
    /// Options for `target` at speed 1 with the scenario's seed and no limits.
    pub fn new(target: impl Into<String>) -> DriveOptions {
        DriveOptions {
            target: target.into(),
            key: None,
            speed: 1.0,
            seed: None,
            max_requests: None,
            concurrency_limit: None,
        }
    }
}

/// What a live run observed.
#[derive(Debug, Clone)]
pub struct DriveOutput {
    /// The workload's seed.
    pub seed: u64,
    /// The aggregates of every request (policy [`POLICY`]).
    pub stats: PolicyStats,
    /// Every request's record, by request id.
    pub records: Vec<RequestRecord<'static>>,
    /// Model ids the gateway named that match no deployment of the scenario, with their counts
    /// (those requests count under the first deployment of the requested group).
    pub unknown_model_ids: BTreeMap<String, u64>,
    /// Requests still out at the deadline or the stop, recorded as timeouts.
    pub unfinished: u64,
    /// How long the run took on the wall clock.
    pub wall: Duration,
}

/// The client timeout of a request of `class` on the wall clock: generous enough for every
/// attempt the gateway may make at the class's `timeout` (÷ speed), or
/// [`DEFAULT_CLIENT_TIMEOUT`].
pub fn client_timeout(class: &RequestClass, speed: f64) -> Duration {
    match class.timeout {
        None => DEFAULT_CLIENT_TIMEOUT,
        Some(t) => {
            let groups = 1 + class.fallbacks.as_ref().map_or(0, Vec::len) as u32;
            let attempts = (2 + class.num_retries.unwrap_or(ASSUMED_RETRIES)) * groups;
            t.div_f64(speed) * attempts + TIMEOUT_SLACK
        }
    }
}

/// Plays `scenario`'s workload against `options.target` and records what the clients saw.
pub async fn run(scenario: &Scenario, options: &DriveOptions) -> Result<DriveOutput> {
    run_until(scenario, options, std::future::pending()).await
}

/// [`run`], ending early when `stop` completes (the command line's Ctrl-C): nothing is sent
/// after it, requests still out are given up and recorded as timeouts, and requests never sent
/// are left out of the run, as `max_requests` would.
pub async fn run_until(
    scenario: &Scenario,
    options: &DriveOptions,
    stop: impl Future<Output = ()>,
) -> Result<DriveOutput> {
    let speed = options.speed;
    if !(speed.is_finite() && speed > 0.0) {
        bail!("--speed must be a positive number, not {speed}");
    }
    if options.concurrency_limit == Some(0) {
        bail!("--concurrency-limit must be at least 1");
    }
    if !scenario.workload.is_open_loop() || scenario.workload.uses_client_retries() {
        bail!(
            "{}: drive sends open-loop workloads (`rate` and `mix`) without client retries; this one has a `script`, closed-loop clients or a `client` block, which only `switchyard run` simulates",
            scenario.file
        );
    }
    let endpoint = Arc::new(Endpoint {
        // Straight to the target: the driver never goes through a proxy from the environment.
        client: reqwest::Client::builder()
            .no_proxy()
            .build()
            .context("cannot build the HTTP client")?,
        url: target::completions_url(&options.target)?,
        key: options.key.clone(),
    });
    let seed = options.seed.unwrap_or(scenario.seed);
    let planned = plan::plan(scenario, seed, options.max_requests);
    let mix = &scenario.workload.mix;
    let timeouts: Vec<Duration> = mix.iter().map(|c| client_timeout(c, speed)).collect();
    let longest = timeouts
        .iter()
        .copied()
        .max()
        .unwrap_or(DEFAULT_CLIENT_TIMEOUT);
    let slots = options
        .concurrency_limit
        .map(|n| Arc::new(Semaphore::new(n)));
    let reader = Reader {
        table: &scenario.config.table,
        price_file: scenario.price_file.as_ref(),
        speed,
    };

    let start = clock::now();
    let due = |at: Time| start + (at - Time::ZERO).div_f64(speed);
    let deadline = start + scenario.duration.div_f64(speed) + longest;
    let mut seen = collect::Collector {
        reader,
        planned: &planned,
        mix,
        stats: collect::policy_stats(scenario),
        records: Vec::with_capacity(planned.len()),
        ended: vec![false; planned.len()],
        unknown_model_ids: BTreeMap::new(),
    };
    let mut tasks = Vec::with_capacity(planned.len());
    let mut sent = 0;
    let (tx, mut rx) = mpsc::unbounded_channel::<(usize, Exchange)>();
    let schedule = async {
        let tx = tx;
        for (i, request) in planned.iter().enumerate() {
            let due = due(request.at);
            clock::sleep_until(due).await;
            let class = &mix[request.drawn.class as usize];
            let body =
                serde_json::to_vec(&request_body::body(class, request, speed)).unwrap_or_default();
            let (endpoint, slots, tx) = (endpoint.clone(), slots.clone(), tx.clone());
            let (stream, timeout) = (class.stream, timeouts[request.drawn.class as usize]);
            #[allow(
                clippy::disallowed_methods,
                reason = "the live edge: one task per request in flight, bounded by the plan"
            )]
            tasks.push(tokio::spawn(async move {
                let _slot = match slots {
                    Some(s) => s.acquire_owned().await.ok(),
                    None => None,
                };
                let exchange = send::send(&endpoint, body, stream, timeout, due).await;
                let _ = tx.send((i, exchange));
            }));
            sent += 1;
        }
    };
    let collect = async {
        while let Some((i, exchange)) = rx.recv().await {
            seen.observe(i, &exchange);
        }
    };
    let left = deadline - clock::now();
    let stopped = tokio::select! {
        _ = tokio::time::timeout(left, async { tokio::join!(schedule, collect) }) => false,
        () = stop => true,
    };

    // At the deadline or the stop: answers already in, then a timeout for every request still
    // out (at the deadline, those not even sent yet too).
    for task in &tasks {
        task.abort();
    }
    while let Ok((i, exchange)) = rx.try_recv() {
        seen.observe(i, &exchange);
    }
    let given_up = clock::now().min(deadline);
    let considered = if stopped { sent } else { planned.len() };
    let out: Vec<usize> = (0..considered).filter(|&i| !seen.ended[i]).collect();
    for &i in &out {
        let waited = given_up - due(planned[i].at);
        seen.observe(i, &Exchange::failed(ErrorClass::Timeout, waited));
    }
    let mut records = seen.records;
    records.sort_by_key(|r| r.id);
    Ok(DriveOutput {
        seed,
        stats: seen.stats,
        records,
        unknown_model_ids: seen.unknown_model_ids,
        unfinished: out.len() as u64,
        wall: clock::now() - start,
    })
}
