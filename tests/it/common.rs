//! Helpers shared by the test modules.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use switchyard::config::{InputError, LitellmConfig};
use switchyard::router::Router;
use switchyard::scenario::{Scenario, load_scenario, parse_scenario};

/// An environment with a few variables set.
pub fn env() -> BTreeMap<String, String> {
    [
        ("OPENAI_API_KEY", "sk-test"),
        ("AZURE_API_KEY", "az-test"),
        ("NUM_RETRIES", "4"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

/// Parses a LiteLLM config named `config.yaml`.
pub fn config(text: &str) -> Result<LitellmConfig, InputError> {
    LitellmConfig::from_str(text, "config.yaml", Path::new("."), &env())
}

/// A router over a config's deployments and settings.
pub fn router(text: &str) -> Router {
    let c = config(text).expect("config parses");
    Router::new(&c.deployments, c.settings)
}

/// The repository's `scenarios/` directory.
pub fn scenarios_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios")
}

/// Loads a bundled scenario.
pub fn bundled(name: &str) -> Scenario {
    load_scenario(&scenarios_dir().join(name), &env()).expect("bundled scenario loads")
}

/// Parses scenario text named `scenario.yaml`.
pub fn scenario(text: &str) -> Result<Scenario, InputError> {
    parse_scenario(text, "scenario.yaml", &scenarios_dir(), &env())
}

/// A run counter that sets `stop` when run `k` ends (for the stopped compare and sweep tests).
pub fn stop_at_run(k: usize, stop: &switchyard::app::interrupt::StopFlag) -> impl Fn() + Sync + '_ {
    let done = std::sync::atomic::AtomicUsize::new(0);
    move || {
        if done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1 == k {
            stop.stop();
        }
    }
}

/// A pool of one worker, so runs end in job order and a stop after K runs leaves known ones.
pub fn one_thread() -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool")
}
