//! Scenario files: Switchyard's own schema for "this config, these providers, this traffic".
//!
//! A scenario names a LiteLLM config (inline under `router:` or by `config:` path relative to the
//! scenario file), provider profiles, a workload and the policies to compare (named overrides of
//! `router_settings`; without any, one policy named `default`) and what it expects of the
//! results ([`expectations`]). Unknown keys are errors that suggest the nearest valid key.
//! Loading checks everything a run needs, so a run never fails on bad input halfway.
//!
//! It decides the schema and builds the simulator's inputs from it; it must not run, report or
//! judge anything, and it imports nothing above the simulator.

pub mod distribution;
pub mod expectations;
pub mod instances;
mod load;
pub mod provider;
pub mod request_class;
pub mod script;
pub mod sweep;
pub mod workload;
pub mod workload_bounds;

use std::time::Duration;

pub use expectations::Expectations;
pub use load::{MAX_NAME_LEN, load_scenario, looks_like_scenario, parse_scenario};

use crate::config::{InputWarning, LitellmConfig, RouterSettings};
use crate::router::PriceFile;
use crate::sim::{FleetSpec, ProviderProfile, WorkloadSpec, World};

/// A named set of router settings to simulate.
#[derive(Debug, Clone)]
pub struct Policy {
    /// The policy's name (a key of `policies`, or `default`).
    pub name: String,
    /// The config's settings with the policy's overrides.
    pub settings: RouterSettings,
    /// The gateway instances it runs on (`instances:`, the scenario's or the policy's own);
    /// `None`: one router.
    pub fleet: Option<FleetSpec>,
}

/// A checked scenario.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// The scenario file as named by the user.
    pub file: String,
    /// `name`: also the report directory's name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// How long requests keep arriving.
    pub duration: Duration,
    /// The seed of every random stream.
    pub seed: u64,
    /// The LiteLLM config under test.
    pub config: LitellmConfig,
    /// Provider profiles.
    pub profiles: Vec<ProviderProfile>,
    /// For each deployment, its profile.
    pub profile_of: Vec<usize>,
    /// The workload.
    pub workload: WorkloadSpec,
    /// Policies in file order.
    pub policies: Vec<Policy>,
    /// Prices from the scenario's `prices:` file or the command line's `--prices`.
    pub price_file: Option<PriceFile>,
    /// What the scenario claims about its results (`expect:`).
    pub expect: Expectations,
    /// Per-metric baseline tolerances (`baseline_tolerance: {metric: {absolute, relative}}`).
    pub baseline_tolerance: std::collections::BTreeMap<String, (f64, f64)>,
    /// Accepted-with-a-remark input, from the scenario and its config.
    pub warnings: Vec<InputWarning>,
    /// The settings grid `switchyard sweep` runs (`sweep:`); other commands ignore it.
    pub sweep: Option<sweep::Sweep>,
}

impl Scenario {
    /// The world the engine simulates.
    pub fn world(&self) -> World<'_> {
        World {
            table: &self.config.table,
            profiles: &self.profiles,
            profile_of: &self.profile_of,
            workload: &self.workload,
            duration: self.duration,
            price_file: self.price_file.as_ref(),
            fleet: None,
        }
    }

    /// The world `policy` runs in: with its gateway instances (`instances:`), if any.
    pub fn world_for<'s>(&'s self, policy: &'s Policy) -> World<'s> {
        World {
            fleet: policy.fleet.as_ref(),
            ..self.world()
        }
    }

    /// The policy called `name`.
    pub fn policy(&self, name: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.name == name)
    }
}
