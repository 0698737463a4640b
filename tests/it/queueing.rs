//! The engine against queueing theory: an M/M/1 queue's mean response time is 1/(μ − λ).

use std::time::Duration;

use switchyard::app::runner::simulate_quietly;

use crate::common::bundled;

#[test]
fn mm1_mean_response_time_is_within_two_percent_of_theory() {
    let mut s = bundled("mm1.yaml");
    // λ = 80/s for 4 h: about 1.15 million requests.
    s.duration = Duration::from_secs(4 * 3600);
    let (lambda, mu) = (80.0, 100.0);
    let stats = simulate_quietly(&s, &s.policies[0], s.seed).unwrap();
    assert!(
        stats.requests >= 1_000_000,
        "only {} requests",
        stats.requests
    );
    assert_eq!(stats.succeeded, stats.requests);
    let expected_ms = 1000.0 / (mu - lambda);
    let mean = stats.latency_ms().mean;
    let error = (mean - expected_ms).abs() / expected_ms;
    assert!(
        error < 0.02,
        "mean response {mean:.3} ms vs 1/(μ−λ) = {expected_ms} ms: {:.2}% off",
        error * 100.0
    );
    // The median of an M/M/1 response time (exponential with rate μ−λ) is ln 2/(μ−λ).
    let median_expected = std::f64::consts::LN_2 * expected_ms;
    let median = stats.latency_ms().p50;
    assert!(
        (median - median_expected).abs() / median_expected < 0.03,
        "median {median:.3} ms vs {median_expected:.3} ms"
    );
}
