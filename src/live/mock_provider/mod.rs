//! The mock provider: a scenario's synthetic providers served over HTTP on the wall clock.
//!
//! Each deployment of the scenario is served under `/p/{id}` (its `model_info.id`), and each
//! provider profile under `/p/{profile name}` (the first deployment it describes, or a provider
//! of its own when it describes none). Under the prefix: `POST /v1/chat/completions`,
//! `/chat/completions`, Azure's `/openai/deployments/{d}/chat/completions`, and the same three
//! shapes for embeddings, and Anthropic's Messages API at `/v1/messages` ([`anthropic_wire`]).
//! Un-prefixed `POST /v1/chat/completions` (and embeddings) pick the
//! profile by the `x-switchyard-profile` header. `GET /health` answers 200.
//!
//! Latency, queueing and every fault come from the simulator's provider model
//! ([`profile_state`]), timed from the mock's start and compressed `speed`-fold; bodies are
//! OpenAI's shapes ([`wire`], [`embeddings`]); a `connection` error closes the connection with
//! no answer ([`connection`]). It makes no decision a gateway would make.

pub mod anthropic_wire;
pub mod connection;
pub mod embeddings;
pub mod profile_state;
pub mod request;
mod routes;
pub mod wire;

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use self::connection::{Connection, CuttableListener};
use self::profile_state::{ProfileState, VirtualClock};
use self::request::Categories;
use crate::scenario::Scenario;
use crate::sim::rng::stream;

/// How the mock is served.
#[derive(Debug, Clone, PartialEq)]
pub struct MockOptions {
    /// The address to bind.
    pub host: IpAddr,
    /// The port to bind (0: any free port).
    pub port: u16,
    /// How many times faster than the wall clock the scenario's time runs.
    pub speed: f64,
    /// The providers' seed (default: the scenario's).
    pub seed: Option<u64>,
}

impl Default for MockOptions {
    fn default() -> Self {
        MockOptions {
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: 9100,
            speed: 1.0,
            seed: None,
        }
    }
}

/// A name served under `/p/{name}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServedName {
    /// The path segment: a deployment id or a profile name.
    pub name: String,
    /// The profile behind it.
    pub profile: String,
}

/// What the handlers share: the providers by served name.
#[derive(Debug)]
struct Mock {
    by_name: BTreeMap<String, Arc<ProfileState>>,
    categories: Categories,
}

/// A running mock provider.
#[derive(Debug)]
pub struct MockHandle {
    task: JoinHandle<io::Result<()>>,
    served: Vec<ServedName>,
    seed: u64,
    speed: f64,
}

impl MockHandle {
    /// The names served under `/p/`, deployments first.
    pub fn served(&self) -> &[ServedName] {
        &self.served
    }

    /// The line printed at start: where the mock listens and each `api_base` it offers.
    pub fn banner(&self, addr: SocketAddr) -> String {
        let names: Vec<String> = self
            .served
            .iter()
            .map(|s| format!("http://{addr}/p/{} → {}", s.name, s.profile))
            .collect();
        format!(
            "mock-provider on http://{addr} (speed {}×, seed {}): {}",
            self.speed,
            self.seed,
            names.join(", ")
        )
    }

    /// Stops serving at once (requests in flight are dropped).
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }

    /// Serves until the server fails.
    pub async fn wait(self) -> io::Result<()> {
        match self.task.await {
            Ok(result) => result,
            Err(e) => Err(io::Error::other(e)),
        }
    }
}

/// The providers of `scenario` by served name, on `clock`, seeded with `seed`.
fn providers(scenario: &Scenario, seed: u64, clock: VirtualClock) -> (Mock, Vec<ServedName>) {
    let mix_categories = scenario
        .workload
        .mix
        .iter()
        .filter_map(|c| c.category.as_deref());
    let policy_categories = scenario
        .profiles
        .iter()
        .flat_map(|p| p.faults.content_policy.iter().map(|(c, _)| c.as_str()));
    let categories = Categories::new(mix_categories.chain(policy_categories));
    let new_state = |profile: usize, stream_name: &str| {
        ProfileState::new(
            &scenario.profiles[profile],
            categories.as_slice(),
            stream(seed, &format!("provider/{stream_name}")),
            clock,
        )
    };
    let mut by_name = BTreeMap::new();
    let mut served = Vec::new();
    let mut first_of_profile: Vec<Option<Arc<ProfileState>>> = vec![None; scenario.profiles.len()];
    for (d, &p) in scenario
        .config
        .table
        .deployments()
        .iter()
        .zip(&scenario.profile_of)
    {
        let id = &d.config.id;
        let state = new_state(p, id);
        first_of_profile[p].get_or_insert_with(|| Arc::clone(&state));
        if by_name.insert(id.clone(), state).is_none() {
            served.push(ServedName {
                name: id.clone(),
                profile: scenario.profiles[p].name.clone(),
            });
        }
    }
    for (p, first) in first_of_profile.into_iter().enumerate() {
        let name = &scenario.profiles[p].name;
        if by_name.contains_key(name) {
            continue;
        }
        let state = first.unwrap_or_else(|| new_state(p, name));
        by_name.insert(name.clone(), state);
        served.push(ServedName {
            name: name.clone(),
            profile: name.clone(),
        });
    }
    (
        Mock {
            by_name,
            categories,
        },
        served,
    )
}

/// Starts serving `scenario`'s providers: returns the bound address (useful with port 0) and
/// the handle that stops the server. Virtual time starts now.
pub async fn start(
    scenario: &Scenario,
    options: &MockOptions,
) -> io::Result<(SocketAddr, MockHandle)> {
    if !(options.speed.is_finite() && options.speed > 0.0) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("--speed must be a positive number, found {}", options.speed),
        ));
    }
    let seed = options.seed.unwrap_or(scenario.seed);
    let listener = TcpListener::bind((options.host, options.port)).await?;
    let addr = listener.local_addr()?;
    let clock = VirtualClock::starting_now(options.speed);
    let (mock, served) = providers(scenario, seed, clock);
    let app = routes::router(Arc::new(mock));
    let server = axum::serve(
        CuttableListener(listener),
        app.into_make_service_with_connect_info::<Connection>(),
    );
    #[allow(
        clippy::disallowed_methods,
        reason = "the live edge: the mock's server runs as its own task"
    )]
    let task = tokio::spawn(async move { server.await });
    Ok((
        addr,
        MockHandle {
            task,
            served,
            seed,
            speed: options.speed,
        },
    ))
}

/// Serves `scenario` until Ctrl-C (or the server fails), after printing the banner line.
pub async fn run(scenario: &Scenario, options: &MockOptions) -> io::Result<()> {
    let (addr, handle) = start(scenario, options).await?;
    // A closed or full standard output must not stop the server (println! would panic).
    let mut stdout = io::stdout().lock();
    let _ = writeln!(stdout, "{}", handle.banner(addr)).and_then(|()| stdout.flush());
    drop(stdout);
    let mut task = handle.task;
    tokio::select! {
        signal = tokio::signal::ctrl_c() => {
            task.abort();
            signal
        }
        served = &mut task => served.unwrap_or_else(|e| Err(io::Error::other(e))),
    }
}
