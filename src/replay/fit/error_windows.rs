//! A deployment's errors per class over time windows: a steady rate per class, and outages
//! where a window's rate clearly differs from it.
//!
//! Only the provider's own answers count: a success or an error of a class a provider sends
//! (`timeout` is the router's per-attempt deadline against the provider's latency, and the
//! router's refusals never reach a deployment). Time is cut into windows of a fixed length
//! from the log's first arrival. Per class, a window is an outage when all three hold:
//! at least [`MIN_FAILURES`] failures of the class, a failing share at least [`MIN_EXCESS`]
//! above the steady rate, and a binomial test putting that many failures below [`ALPHA`] at
//! the steady rate. The steady rate is the class's share over the windows that are not
//! outages, found by repeating the test until the set of outage windows stops changing.
//! Consecutive outage windows (empty windows between them included) merge when their rates
//! are alike (a two-proportion z below [`MERGE_Z`]). A window's outage fraction is
//! (r − s) / (1 − s) for its rate r and steady rate s, since the simulator applies the steady
//! rates to the calls an outage lets through. Windows with fewer failures than usual are not
//! fitted. It decides the windows and the rule; it must not look at latency.

use statrs::distribution::{Binomial, DiscreteCDF};

use crate::router::ErrorClass;
use crate::sim::Outage;
use crate::time::Time;

use super::observations::Observed;

/// Fewest failures of a class in a window for it to be an outage.
pub const MIN_FAILURES: u64 = 3;
/// Smallest excess of a window's failing share over the steady rate for an outage.
pub const MIN_EXCESS: f64 = 0.1;
/// Largest binomial p-value (chance of that many failures at the steady rate) for an outage.
pub const ALPHA: f64 = 1e-4;
/// Two outage windows' rates are alike below this two-proportion z.
pub const MERGE_Z: f64 = 3.0;
/// Rates and fractions are written to four decimals (rounded down, so rates never add up to
/// more than 1).
const RESOLUTION: f64 = 1e4;

/// The errors fitted for one deployment.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FittedErrors {
    /// Steady rates by class (non-zero ones, in [`ErrorClass::ALL`] order).
    pub steady: Vec<(ErrorClass, f64)>,
    /// Outage windows, by start then class.
    pub outages: Vec<Outage>,
}

/// Whether a class is a provider's answer that the fit models as an error rate.
pub fn is_provider_answer(class: ErrorClass) -> bool {
    !class.is_router_refusal() && class != ErrorClass::Timeout
}

fn floor4(x: f64) -> f64 {
    (x * RESOLUTION).floor() / RESOLUTION
}

/// Per window, the attempts counted and the failures of each class (ALL order; `None` for a
/// class the deployment never answered, so a long log with short windows stays small).
struct Counts {
    attempts: Vec<u64>,
    failures: Vec<Option<Vec<u64>>>,
}

fn counts(attempts: &[Observed<'_>], window: f64) -> Counts {
    let n_windows = attempts
        .iter()
        .map(|o| (o.sent / window) as usize + 1)
        .max()
        .unwrap_or(0);
    let mut c = Counts {
        attempts: vec![0; n_windows],
        failures: vec![None; ErrorClass::ALL.len()],
    };
    for o in attempts {
        if o.attempt.error.is_some_and(|e| !is_provider_answer(e)) {
            continue;
        }
        let w = (o.sent / window) as usize;
        c.attempts[w] += 1;
        if let Some(e) = o.attempt.error {
            let k = ErrorClass::ALL.iter().position(|x| *x == e).unwrap_or(0);
            c.failures[k].get_or_insert_with(|| vec![0; n_windows])[w] += 1;
        }
    }
    c
}

/// P(X ≥ k) for X ~ Binomial(n, p).
fn upper_tail(k: u64, n: u64, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    Binomial::new(p.clamp(0.0, 1.0), n).map_or(1.0, |b| b.sf(k - 1))
}

fn is_outage(k: u64, n: u64, steady: f64) -> bool {
    n > 0
        && k >= MIN_FAILURES
        && k as f64 / n as f64 - steady >= MIN_EXCESS
        && upper_tail(k, n, steady) < ALPHA
}

/// The steady rate and outage windows of one class.
fn steady_and_flags(attempts: &[u64], failures: &[u64]) -> (f64, Vec<bool>) {
    let mut flags = vec![false; attempts.len()];
    let mut steady = 0.0;
    for _ in 0..10 {
        let (k, n) = (0..attempts.len())
            .filter(|&w| !flags[w])
            .fold((0, 0), |(k, n), w| (k + failures[w], n + attempts[w]));
        steady = if n == 0 { 0.0 } else { k as f64 / n as f64 };
        let next: Vec<bool> = (0..attempts.len())
            .map(|w| is_outage(failures[w], attempts[w], steady))
            .collect();
        if next == flags {
            break;
        }
        flags = next;
    }
    (steady, flags)
}

fn alike(k1: u64, n1: u64, k2: u64, n2: u64) -> bool {
    let (r1, r2) = (k1 as f64 / n1 as f64, k2 as f64 / n2 as f64);
    let pooled = (k1 + k2) as f64 / (n1 + n2) as f64;
    let se = (pooled * (1.0 - pooled) * (1.0 / n1 as f64 + 1.0 / n2 as f64)).sqrt();
    se == 0.0 || ((r1 - r2) / se).abs() < MERGE_Z
}

/// A run of outage windows being merged: first window, last window, failures, attempts.
type Run = (usize, usize, u64, u64);

/// Merged runs of flagged windows.
fn runs(attempts: &[u64], failures: &[u64], flags: &[bool]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for w in (0..flags.len()).filter(|&w| flags[w]) {
        let (k, n) = (failures[w], attempts[w]);
        match out.last_mut() {
            Some(run) if (run.1 + 1..w).all(|g| attempts[g] == 0) && alike(run.2, run.3, k, n) => {
                *run = (run.0, w, run.2 + k, run.3 + n);
            }
            _ => out.push((w, w, k, n)),
        }
    }
    out
}

/// Fits the errors of a deployment's attempts with windows of `window` seconds.
pub fn fit_errors(attempts: &[Observed<'_>], window: f64) -> FittedErrors {
    let c = counts(attempts, window);
    let mut fitted = FittedErrors::default();
    for (i, class) in ErrorClass::ALL.into_iter().enumerate() {
        let Some(failures) = &c.failures[i] else {
            continue;
        };
        let (steady, flags) = steady_and_flags(&c.attempts, failures);
        let steady = floor4(steady);
        if steady > 0.0 {
            fitted.steady.push((class, steady));
        }
        for (first, last, k, n) in runs(&c.attempts, failures, &flags) {
            let rate = k as f64 / n as f64;
            let fraction = if steady >= 1.0 {
                1.0
            } else {
                floor4(((rate - steady) / (1.0 - steady)).clamp(0.0, 1.0))
            };
            fitted.outages.push(Outage {
                start: Time::from_secs_f64(first as f64 * window),
                end: Time::from_secs_f64((last + 1) as f64 * window),
                class,
                fraction,
            });
        }
    }
    fitted.outages.sort_by_key(|o| o.start);
    let total: f64 = fitted.steady.iter().map(|(_, r)| r).sum();
    if total > 1.0 {
        for (_, r) in &mut fitted.steady {
            *r = floor4(*r / total);
        }
    }
    fitted
}
