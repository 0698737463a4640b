//! Fitting providers from a log: per deployment the log saw, a [`ProviderProfile`] that answers
//! as it did.
//!
//! It decides how a deployment's logged attempts become a profile; it must not simulate, and
//! it never makes up a profile for a deployment the log did not see.

use crate::replay::traffic::RecordedTraffic;
use crate::sim::{Distribution, FaultSpec, ProviderMatch, ProviderProfile};

/// How profiles are fitted.
#[derive(Debug, Clone, Default)]
pub struct FitOptions {}

/// One deployment's fitted profile.
#[derive(Debug, Clone)]
pub struct FittedProvider {
    /// Index into [`RecordedTraffic::deployments`].
    pub deployment: u32,
    /// The profile, matching the deployment by id (else `api_base`).
    pub profile: ProviderProfile,
    /// How many logged attempts it was fitted from.
    pub attempts: u64,
}

/// A profile for every deployment with at least one logged attempt, in deployment order:
/// whole-call latency as an empirical distribution of the logged durations, no faults.
pub fn fit(traffic: &RecordedTraffic, _options: &FitOptions) -> Vec<FittedProvider> {
    let mut durations: Vec<Vec<f64>> = vec![Vec::new(); traffic.deployments.len()];
    for a in &traffic.attempts {
        durations[a.deployment as usize].push(a.duration.as_secs_f64());
    }
    durations
        .into_iter()
        .enumerate()
        .filter(|(_, d)| !d.is_empty())
        .map(|(i, mut d)| {
            d.sort_by(f64::total_cmp);
            let points = quantile_points(&d);
            let recorded = &traffic.deployments[i];
            FittedProvider {
                deployment: i as u32,
                attempts: d.len() as u64,
                profile: ProviderProfile {
                    name: recorded.label(),
                    matches: ProviderMatch {
                        id: recorded.id.clone(),
                        api_base: recorded
                            .id
                            .is_none()
                            .then(|| recorded.api_base.clone())
                            .flatten(),
                        model_name: None,
                    },
                    ttft: Distribution::empirical(points)
                        .unwrap_or_else(|_| Distribution::constant(0.0).expect("zero is valid")),
                    per_token: Distribution::constant(0.0).expect("zero is valid"),
                    concurrency: None,
                    faults: FaultSpec::default(),
                },
            }
        })
        .collect()
}

/// `(quantile, value)` points of sorted values, first at 0 and last at 1.
fn quantile_points(sorted: &[f64]) -> Vec<(f64, f64)> {
    if sorted.len() == 1 {
        return vec![(0.0, sorted[0]), (1.0, sorted[0])];
    }
    let last = (sorted.len() - 1) as f64;
    sorted
        .iter()
        .enumerate()
        .map(|(i, v)| (i as f64 / last, *v))
        .collect()
}
