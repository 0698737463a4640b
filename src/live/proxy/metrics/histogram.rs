//! A latency histogram updated from many requests at once: one atomic add on the bucket the
//! value falls in and one on the sum, no lock and no allocation. Buckets are stored apart and
//! made cumulative only when a scrape reads them, so an observation touches one bucket.
//!
//! It decides the bucket bounds (LiteLLM's `LATENCY_BUCKETS`, so dashboards built for LiteLLM
//! read Switchyard's histograms unchanged) and nothing about what is measured.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// LiteLLM 1.108.7's `LATENCY_BUCKETS` (`litellm/types/integrations/prometheus.py`), seconds,
/// without the final `+Inf` (every histogram has it).
pub const LATENCY_BUCKETS: [f64; 17] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 420.0,
    600.0,
];

/// Observations per bucket (the last one is `+Inf`) and their sum in nanoseconds.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; LATENCY_BUCKETS.len() + 1],
    sum_nanos: AtomicU64,
}

/// A histogram as a scrape reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSnapshot {
    /// Cumulative counts: `cumulative[i]` observations at most `LATENCY_BUCKETS[i]`, the last
    /// entry every observation (`+Inf`).
    pub cumulative: [u64; LATENCY_BUCKETS.len() + 1],
    /// The sum of the observations, seconds.
    pub sum_seconds: f64,
}

impl HistogramSnapshot {
    /// How many observations there were.
    pub fn count(&self) -> u64 {
        self.cumulative[LATENCY_BUCKETS.len()]
    }
}

impl Histogram {
    /// Counts one observation of `value`.
    #[inline]
    pub fn observe(&self, value: Duration) {
        let secs = value.as_secs_f64();
        let bucket = LATENCY_BUCKETS.partition_point(|bound| *bound < secs);
        self.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(value.as_nanos()).unwrap_or(u64::MAX);
        self.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
    }

    /// The counts so far, cumulative.
    pub fn snapshot(&self) -> HistogramSnapshot {
        let mut cumulative = [0; LATENCY_BUCKETS.len() + 1];
        let mut running = 0;
        for (slot, bucket) in cumulative.iter_mut().zip(&self.buckets) {
            running += bucket.load(Ordering::Relaxed);
            *slot = running;
        }
        HistogramSnapshot {
            cumulative,
            sum_seconds: self.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_a_value_on_a_bound_counts_in_it() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(5));
        h.observe(Duration::from_millis(7));
        h.observe(Duration::from_secs(2));
        h.observe(Duration::from_secs(3600));
        let s = h.snapshot();
        assert_eq!(
            s.cumulative[0], 1,
            "5 ms is in the 0.005 bucket (le is inclusive)"
        );
        assert_eq!(s.cumulative[1], 2);
        assert_eq!(s.cumulative[8], 3, "2 s is in the le=2 bucket");
        assert_eq!(s.cumulative[16], 3, "an hour is above 600 s");
        assert_eq!(s.count(), 4, "+Inf holds every observation");
        assert!((s.sum_seconds - 3602.012).abs() < 1e-9, "{}", s.sum_seconds);
        assert!(s.cumulative.windows(2).all(|w| w[0] <= w[1]));
    }
}
