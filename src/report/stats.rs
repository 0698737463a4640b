//! Cross-seed statistics: a mean's 95 % confidence interval, and the paired difference of two
//! policies run on the same seeds.
//!
//! Intervals use Student's t distribution with n − 1 degrees of freedom (statrs). Pairing by
//! seed removes the workload's variance from the difference, which is what makes a comparison
//! sharp with few seeds. It decides only the arithmetic; which direction is "better" is the
//! caller's.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Confidence level of every interval.
pub const CONFIDENCE: f64 = 0.95;

/// A mean with its confidence interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The sample mean.
    pub mean: f64,
    /// Lower end.
    pub low: f64,
    /// Upper end.
    pub high: f64,
    /// Sample size.
    pub n: usize,
}

impl Interval {
    /// Whether the interval contains `x`.
    pub fn contains(&self, x: f64) -> bool {
        self.low <= x && x <= self.high
    }
}

/// The t quantile for a two-sided interval at [`CONFIDENCE`] with `df` degrees of freedom.
pub fn t_quantile(df: usize) -> f64 {
    match StudentsT::new(0.0, 1.0, df as f64) {
        Ok(t) => t.inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0),
        Err(_) => f64::INFINITY,
    }
}

/// The mean of `xs` with its 95 % interval (a single value has an unbounded interval).
pub fn mean_interval(xs: &[f64]) -> Interval {
    let n = xs.len();
    if n == 0 {
        return Interval {
            mean: f64::NAN,
            low: f64::NAN,
            high: f64::NAN,
            n,
        };
    }
    let mean = xs.iter().sum::<f64>() / n as f64;
    if n == 1 {
        return Interval {
            mean,
            low: f64::NEG_INFINITY,
            high: f64::INFINITY,
            n,
        };
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile(n - 1) * (var / n as f64).sqrt();
    Interval {
        mean,
        low: mean - half,
        high: mean + half,
        n,
    }
}

/// The paired difference `a[i] − b[i]` with its interval.
pub fn paired_difference(a: &[f64], b: &[f64]) -> Interval {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    mean_interval(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantiles_match_the_tables() {
        // Two-sided 95 % critical values of Student's t (standard tables).
        for (df, want) in [
            (1, 12.706),
            (4, 2.776),
            (9, 2.262),
            (19, 2.093),
            (29, 2.045),
        ] {
            assert!(
                (t_quantile(df) - want).abs() < 1e-3,
                "df {df}: {}",
                t_quantile(df)
            );
        }
    }

    #[test]
    fn interval_of_fixed_values_matches_a_hand_computation() {
        // xs = 1..=10: mean 5.5, sample sd sqrt(110/12) = 3.02765, se = 0.957427,
        // half-width 2.262157 × 0.957427 = 2.165852.
        let xs: Vec<f64> = (1..=10).map(f64::from).collect();
        let i = mean_interval(&xs);
        assert!((i.mean - 5.5).abs() < 1e-12);
        assert!((i.high - i.mean - 2.165_852).abs() < 1e-5, "{i:?}");
        assert!((i.mean - i.low - 2.165_852).abs() < 1e-5);
    }

    #[test]
    fn pairing_removes_the_shared_variation() {
        let base = [10.0, 20.0, 30.0, 40.0, 50.0];
        let better = [9.0, 19.1, 28.9, 39.0, 49.0];
        let d = paired_difference(&better, &base);
        assert!(d.high < 0.0, "{d:?}");
        let same = paired_difference(&base, &base);
        assert_eq!((same.low, same.high), (0.0, 0.0));
        assert!(same.contains(0.0));
    }
}
