//! `switchyard serve CONFIG`: the live proxy from the command line.
//!
//! CONFIG is a LiteLLM proxy config, or a scenario whose router is served. It loads the file,
//! says what it serves (and warns when a weak or unset master key was let through), starts
//! the proxy, and on SIGTERM or Ctrl-C stops accepting, lets in-flight requests finish within
//! the grace period, flushes the request log and reports the router lock's contention. It
//! decides nothing about routing or HTTP.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Context, Result, anyhow};

use crate::config::LitellmConfig;
use crate::config::yaml::{ProcessEnv, Source};
use crate::live::proxy::master_key::{KeyEnvironment, PERMIT_WEAK_SETTING};
use crate::live::proxy::{self, ServeOptions};
use crate::router::PriceFile;
use crate::scenario::load_scenario;

/// `eprintln!` that never panics (standard error may be closed or full).
macro_rules! note {
    ($($arg:tt)*) => {
        super::output::err(format_args!($($arg)*))
    };
}

/// `serve`'s arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// A LiteLLM proxy config (or a scenario, whose router is served).
    pub config: PathBuf,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    pub host: IpAddr,
    /// Port to listen on.
    #[arg(long, default_value_t = 4000)]
    pub port: u16,
    /// The request log (one JSON line per request).
    #[arg(long, value_name = "FILE", default_value = "switchyard-requests.jsonl")]
    pub log: PathBuf,
    /// Also log prompts and answers.
    #[arg(long)]
    pub log_prompts: bool,
    /// Seconds in-flight requests get to finish after a stop signal.
    #[arg(long, default_value_t = 30.0)]
    pub grace: f64,
    /// Seed of the router's random choices (default: from the clock).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Prices in LiteLLM's model_prices_and_context_window.json format.
    #[arg(long, value_name = "FILE")]
    pub prices: Option<PathBuf>,
    /// Send every deployment's traffic to this `switchyard mock-provider` (e.g.
    /// http://127.0.0.1:9100) instead of its api_base: serve a scenario against its own
    /// synthetic providers.
    #[arg(long, value_name = "URL")]
    pub mock_upstream: Option<String>,
    /// Run the proxy's clock this many times faster (cooldowns, backoffs, timeouts, rate-limit
    /// minutes), to match `mock-provider --speed`; for tests.
    #[arg(long, default_value_t = 1.0)]
    pub speed: f64,
}

/// Loads CONFIG: a LiteLLM config, or a scenario's router config and its price file.
fn load(path: &PathBuf) -> Result<(LitellmConfig, Option<PriceFile>)> {
    let file = path.display().to_string();
    let text =
        std::fs::read_to_string(path).with_context(|| format!("{file}: cannot read the file"))?;
    let value = Source::new(&file, &ProcessEnv)
        .parse(&text)
        .map_err(|e| anyhow!("{e}"))?;
    if value.get("workload").is_some() || value.get("providers").is_some() {
        let scenario = load_scenario(path, &ProcessEnv).map_err(|e| anyhow!("{e}"))?;
        return Ok((scenario.config.clone(), scenario.price_file.clone()));
    }
    let config = LitellmConfig::load(path, &ProcessEnv).map_err(|e| anyhow!("{e}"))?;
    Ok((config, None))
}

/// Runs `serve` until a stop signal.
pub fn serve(args: ServeArgs) -> Result<()> {
    let (config, mut prices) = load(&args.config)?;
    for w in &config.warnings {
        note!("warning: {w}");
    }
    if let Some(file) = &args.prices {
        prices = Some(PriceFile::load(file).map_err(|e| anyhow!("{e}"))?);
    }
    let options = ServeOptions {
        listen: SocketAddr::new(args.host, args.port),
        log_path: args.log.clone(),
        log_prompts: args.log_prompts,
        grace: Duration::from_secs_f64(args.grace.clamp(0.0, 3600.0)),
        seed: args.seed,
        speed: args.speed,
        mock_upstream: args.mock_upstream.clone(),
        key_environment: KeyEnvironment::from_env(&ProcessEnv),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let server = proxy::start(&config, prices.as_ref(), &options)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        announce(&config, &server, &options);
        stop_signal().await;
        note!(
            "stopping: no new requests; in-flight ones have {} s",
            options.grace.as_secs_f64()
        );
        let (acquired, contended) = server.proxy.lock_contention();
        server.shutdown().await;
        note!(
            "router lock: {acquired} acquisitions, {contended} waited ({:.3} %)",
            100.0 * contended as f64 / acquired.max(1) as f64
        );
        Ok(())
    })
}

fn announce(config: &LitellmConfig, server: &proxy::Server, options: &ServeOptions) {
    let groups: Vec<&str> = config
        .table
        .groups()
        .iter()
        .map(|g| g.name.as_str())
        .collect();
    note!(
        "switchyard serve: {} deployments in {} model groups ({}) on http://{}",
        config.table.deployments().len(),
        groups.len(),
        groups.join(", "),
        server.addr
    );
    if let Some(unsafe_key) = server.unsafe_key {
        note!(
            "warning: {PERMIT_WEAK_SETTING} is on, so the proxy is starting with {}. Never run \
             this outside local development.",
            unsafe_key.state()
        );
    }
    note!("request log: {}", options.log_path.display());
    if let Some(fleet) = server.fleet() {
        note!("fleet: {fleet}");
    }
}

/// Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = term => {}
    }
}
