//! Fitting providers from a log: per deployment the log saw, a [`ProviderProfile`] that answers
//! as it did.
//!
//! Latency comes from [`latency`], errors per class over time windows (outages included) from
//! [`error_windows`], the Retry-After of rate-limit answers from [`rate_limits`]; the workload
//! a fitted scenario sends from [`workload`], and the scenario file itself from
//! [`scenario_file`]. It decides how a deployment's logged attempts become a profile; it must
//! not simulate, and it never makes up a profile for a deployment the log did not see.

pub mod error_windows;
pub mod latency;
pub mod observations;
pub mod quantiles;
pub mod rate_limits;
pub mod scenario_file;
pub mod workload;

use std::time::Duration;

use rayon::prelude::*;

use crate::replay::traffic::{RecordedDeployment, RecordedTraffic};
use crate::router::ErrorClass;
use crate::sim::{FaultSpec, ProviderMatch, ProviderProfile};

use error_windows::fit_errors;
use latency::fit_latency;
use observations::by_deployment;
use rate_limits::{inferred_rpm, median_retry_after};

/// The error windows' length when none is given.
pub const DEFAULT_WINDOW: Duration = Duration::from_secs(60);

/// How profiles are fitted.
#[derive(Debug, Clone)]
pub struct FitOptions {
    /// The length of the error windows (at least a millisecond).
    pub window: Duration,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            window: DEFAULT_WINDOW,
        }
    }
}

/// One deployment's fitted profile.
#[derive(Debug, Clone)]
pub struct FittedProvider {
    /// Index into [`RecordedTraffic::deployments`].
    pub deployment: u32,
    /// The profile, matching the deployment by id (else `api_base`, else its model group).
    pub profile: ProviderProfile,
    /// How many logged attempts it was fitted from.
    pub attempts: u64,
    /// How many of them succeeded.
    pub successes: u64,
    /// The log had no time to first token: `ttft` is the whole call, `per_token` 0.
    pub whole_call: bool,
    /// Median, 90th and 99th percentile of the successful attempts' durations, in seconds.
    pub success_percentiles: Option<[f64; 3]>,
    /// Median duration of failed attempts, in seconds (the fitted file's comment; the
    /// distribution is the profile's `error_latency`).
    pub error_median: Option<f64>,
    /// The median Retry-After of its logged 429s (not carried by fitted outages).
    pub retry_after: Option<Duration>,
}

/// How a fitted profile names its deployment: by id, else `api_base`, else its model group.
pub fn profile_match(recorded: &RecordedDeployment) -> ProviderMatch {
    let (id, api_base, model_name) = match recorded {
        RecordedDeployment { id: Some(id), .. } => (Some(id.clone()), None, None),
        RecordedDeployment {
            api_base: Some(base),
            ..
        } => (None, Some(base.clone()), None),
        other => (
            None,
            None,
            other.model_group.clone().or(other.model.clone()),
        ),
    };
    ProviderMatch {
        id,
        api_base,
        model_name,
    }
}

/// A profile for every deployment with at least one logged attempt, in deployment order; a
/// deployment the log never saw gets none.
pub fn fit(traffic: &RecordedTraffic, options: &FitOptions) -> Vec<FittedProvider> {
    let window = options.window.as_secs_f64().max(1e-3);
    by_deployment(traffic)
        .into_par_iter()
        .enumerate()
        .filter(|(_, attempts)| !attempts.is_empty())
        .map(|(i, attempts)| {
            let recorded = &traffic.deployments[i];
            let latency = fit_latency(&attempts);
            let mut errors = fit_errors(&attempts, window);
            let rpm = inferred_rpm(&attempts);
            if rpm.is_some() {
                let not_429 = |c: &ErrorClass| *c != ErrorClass::RateLimit;
                errors.steady.retain(|(c, _)| not_429(c));
                errors.outages.retain(|o| not_429(&o.class));
            }
            FittedProvider {
                deployment: i as u32,
                attempts: attempts.len() as u64,
                successes: attempts
                    .iter()
                    .filter(|o| o.attempt.error.is_none())
                    .count() as u64,
                whole_call: latency.whole_call,
                success_percentiles: latency.success_percentiles,
                error_median: latency.error_median,
                retry_after: median_retry_after(&attempts),
                profile: ProviderProfile {
                    name: recorded.label(),
                    matches: profile_match(recorded),
                    ttft: latency.ttft,
                    per_token: latency.per_token,
                    error_latency: latency.error_latency,
                    concurrency: None,
                    faults: FaultSpec {
                        error_rates: errors.steady,
                        outages: errors.outages,
                        rpm,
                        ..FaultSpec::default()
                    },
                },
            }
        })
        .collect()
}
