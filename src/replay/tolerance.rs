//! How close a replay of the current config must come to what the log recorded for the replay
//! to be trusted: one tolerance per compared measure.
//!
//! The numbers are stated in docs/replay.md ("How far to trust a replay") and were chosen from
//! what replaying an unchanged config achieves: with every attempt logged the replay
//! reproduces each request exactly, so what is left is the latency histogram's rounding (3
//! significant digits) and, where the log lacks an attempt, the fitted profile's draws. It
//! decides the tolerances and the test; it must not compute the figures.

/// A tolerance: a difference within `absolute` or within `relative` × the logged value passes.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Tolerance {
    /// Allowed absolute difference.
    pub absolute: f64,
    /// Allowed difference as a share of the logged value.
    pub relative: f64,
}

impl Tolerance {
    /// Whether `replayed` is within tolerance of `logged`.
    pub fn accepts(&self, logged: f64, replayed: f64) -> bool {
        let d = (replayed - logged).abs();
        d <= self.absolute || d <= self.relative * logged.abs()
    }
}

/// Success rate: one percentage point.
pub const SUCCESS_RATE: Tolerance = Tolerance {
    absolute: 0.01,
    relative: 0.0,
};

/// Median latency: 10 % (or 5 ms).
pub const LATENCY_P50: Tolerance = Tolerance {
    absolute: 5.0,
    relative: 0.10,
};

/// 95th percentile latency: 15 % (or 10 ms).
pub const LATENCY_P95: Tolerance = Tolerance {
    absolute: 10.0,
    relative: 0.15,
};

/// 99th percentile latency: 25 % (or 20 ms): the tail is a few requests.
pub const LATENCY_P99: Tolerance = Tolerance {
    absolute: 20.0,
    relative: 0.25,
};

/// Spend: 5 % (or a cent): prices may differ from what the proxy charged.
pub const SPEND: Tolerance = Tolerance {
    absolute: 0.01,
    relative: 0.05,
};

/// A deployment's share of served requests: three percentage points.
pub const SHARE: Tolerance = Tolerance {
    absolute: 0.03,
    relative: 0.0,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn either_bound_accepts() {
        assert!(LATENCY_P50.accepts(1000.0, 1090.0), "9 % is within 10 %");
        assert!(!LATENCY_P50.accepts(1000.0, 1200.0));
        assert!(LATENCY_P50.accepts(10.0, 14.0), "within 5 ms");
        assert!(!SUCCESS_RATE.accepts(0.99, 0.97));
    }
}
