//! Random quantities of the simulation: latencies, token counts.
//!
//! A [`Distribution`] is built once from checked parameters and sampled from a stream handed in
//! by the caller. Values are plain `f64`s in the caller's unit (seconds for times, tokens for
//! counts). It decides how each family is sampled; not where the randomness comes from.

use rand::Rng;
use rand_distr::{Distribution as _, Exp, StandardNormal};
use statrs::function::erf::{erf, erf_inv};

use super::exp::exp;

/// z such that P(Z ≤ z) = 0.99 for a standard normal Z.
pub const Z_99: f64 = 2.326_347_874_040_841;

/// A distribution of non-negative values.
#[derive(Debug, Clone)]
pub enum Distribution {
    /// Always the same value.
    Constant(f64),
    /// Uniform on `[low, high]`.
    Uniform {
        /// Smallest value.
        low: f64,
        /// Largest value.
        high: f64,
    },
    /// Exponential with the given mean.
    Exponential {
        /// The mean.
        mean: f64,
        /// The sampler (rate 1/mean).
        sampler: Exp<f64>,
    },
    /// Normal, truncated at 0 (sampled exactly by inverting the truncated CDF).
    TruncatedNormal {
        /// Mean of the untruncated normal.
        mean: f64,
        /// Standard deviation of the untruncated normal.
        std_dev: f64,
        /// P(X < 0) for the untruncated normal.
        mass_below_zero: f64,
    },
    /// Log-normal: `ln X` is normal with `mu` and `sigma`.
    LogNormal {
        /// Mean of `ln X`.
        mu: f64,
        /// Standard deviation of `ln X`.
        sigma: f64,
    },
    /// Piecewise-linear inverse CDF through `(quantile, value)` points from 0 to 1.
    Empirical {
        /// Points sorted by quantile, first at 0 and last at 1, values non-decreasing.
        points: Vec<(f64, f64)>,
        /// For each `k` in `0..=B` (`B` buckets, a power of two), the number of points with
        /// quantile ≤ `k / B`: a draw searches only between two neighbouring entries, so a
        /// fitted distribution of a million points costs what one of ten does (the same result
        /// as searching them all).
        guide: Vec<u32>,
    },
}

/// The most buckets of an empirical distribution's guide table.
const MAX_GUIDE: usize = 1 << 20;

/// The guide table of `points` (see [`Distribution::Empirical`]): a power of two of buckets,
/// about one per point (so `u × buckets` and `k / buckets` are exact and a draw looks at one
/// or two points).
fn guide(points: &[(f64, f64)]) -> Vec<u32> {
    let buckets = points.len().next_power_of_two().clamp(2, MAX_GUIDE);
    (0..=buckets)
        .map(|k| {
            let at = k as f64 / buckets as f64;
            points.partition_point(|(q, _)| *q <= at) as u32
        })
        .collect()
}

/// Why a distribution's parameters were refused.
pub type ParamError = String;

fn standard_normal_cdf(z: f64) -> f64 {
    0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
}

fn standard_normal_quantile(p: f64) -> f64 {
    std::f64::consts::SQRT_2 * erf_inv(2.0 * p - 1.0)
}

impl Distribution {
    /// A constant.
    pub fn constant(value: f64) -> Result<Distribution, ParamError> {
        if !(value.is_finite() && value >= 0.0) {
            return Err(format!(
                "constant must be a number that is not negative, found {value}"
            ));
        }
        Ok(Distribution::Constant(value))
    }

    /// Uniform on `[low, high]`.
    pub fn uniform(low: f64, high: f64) -> Result<Distribution, ParamError> {
        if !(low.is_finite() && high.is_finite() && 0.0 <= low && low <= high) {
            return Err(format!(
                "uniform needs 0 <= min <= max, found min {low}, max {high}"
            ));
        }
        Ok(Distribution::Uniform { low, high })
    }

    /// Exponential with `mean`.
    pub fn exponential(mean: f64) -> Result<Distribution, ParamError> {
        if !(mean.is_finite() && mean > 0.0) {
            return Err(format!("exponential mean must be positive, found {mean}"));
        }
        let sampler = Exp::new(1.0 / mean).map_err(|e| e.to_string())?;
        Ok(Distribution::Exponential { mean, sampler })
    }

    /// Normal with `mean` and `std_dev`, truncated at 0.
    pub fn truncated_normal(mean: f64, std_dev: f64) -> Result<Distribution, ParamError> {
        if !(mean.is_finite() && std_dev.is_finite() && std_dev >= 0.0) {
            return Err(format!(
                "normal needs a finite mean and std_dev >= 0, found mean {mean}, std_dev {std_dev}"
            ));
        }
        if std_dev == 0.0 {
            return Distribution::constant(mean.max(0.0));
        }
        let mass_below_zero = standard_normal_cdf(-mean / std_dev);
        if mass_below_zero > 1.0 - 1e-12 {
            return Err(format!(
                "normal with mean {mean} and std_dev {std_dev} has almost no mass above 0"
            ));
        }
        Ok(Distribution::TruncatedNormal {
            mean,
            std_dev,
            mass_below_zero,
        })
    }

    /// Log-normal from the parameters of `ln X`.
    pub fn lognormal(mu: f64, sigma: f64) -> Result<Distribution, ParamError> {
        if !(mu.is_finite() && sigma.is_finite() && sigma >= 0.0) {
            return Err(format!(
                "lognormal needs finite mu and sigma >= 0, found mu {mu}, sigma {sigma}"
            ));
        }
        Ok(Distribution::LogNormal { mu, sigma })
    }

    /// Log-normal with the given median and 99th percentile.
    pub fn lognormal_from_quantiles(median: f64, p99: f64) -> Result<Distribution, ParamError> {
        if !(median.is_finite() && p99.is_finite() && median > 0.0 && p99 >= median) {
            return Err(format!(
                "lognormal needs 0 < median <= p99, found median {median}, p99 {p99}"
            ));
        }
        Distribution::lognormal(median.ln(), (p99.ln() - median.ln()) / Z_99)
    }

    /// Piecewise-linear inverse CDF through `(quantile, value)` points.
    pub fn empirical(points: Vec<(f64, f64)>) -> Result<Distribution, ParamError> {
        if points.len() < 2 {
            return Err("empirical needs at least two quantile points (at 0 and at 1)".into());
        }
        if points[0].0 != 0.0 || points[points.len() - 1].0 != 1.0 {
            return Err("empirical quantiles must start at 0 and end at 1".into());
        }
        for pair in points.windows(2) {
            let ((q0, v0), (q1, v1)) = (pair[0], pair[1]);
            if q1 <= q0 || v1 < v0 {
                return Err(format!(
                    "empirical quantiles must increase and values must not decrease (at q {q0} → {q1})"
                ));
            }
        }
        if points.iter().any(|(_, v)| !(v.is_finite() && *v >= 0.0)) {
            return Err("empirical values must be numbers that are not negative".into());
        }
        Ok(Distribution::Empirical {
            guide: guide(&points),
            points,
        })
    }

    /// Draws one value.
    #[inline(always)]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { low, high } => low + (high - low) * rng.random::<f64>(),
            Distribution::Exponential { sampler, .. } => sampler.sample(rng),
            Distribution::TruncatedNormal {
                mean,
                std_dev,
                mass_below_zero,
            } => {
                let u: f64 = rng.random();
                let p = mass_below_zero + (1.0 - mass_below_zero) * u;
                let p = p.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON);
                (mean + std_dev * standard_normal_quantile(p)).max(0.0)
            }
            // As `rand_distr::LogNormal` draws it, with this crate's `exp`.
            Distribution::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                exp(mu + sigma * z)
            }
            Distribution::Empirical { points, guide } => {
                let u: f64 = rng.random();
                // u < 1, so k < B; every point before guide[k] has q ≤ u and every one from
                // guide[k + 1] on has q > u.
                let buckets = guide.len() - 1;
                let k = ((u * buckets as f64) as usize).min(buckets - 1);
                let (lo, hi) = (guide[k] as usize, guide[k + 1] as usize);
                let i = (lo + points[lo..hi].partition_point(|(q, _)| *q <= u))
                    .clamp(1, points.len() - 1);
                let ((q0, v0), (q1, v1)) = (points[i - 1], points[i]);
                v0 + (v1 - v0) * (u - q0) / (q1 - q0)
            }
        }
    }

    /// The distribution's mean.
    pub fn mean(&self) -> f64 {
        match self {
            Distribution::Constant(v) => *v,
            Distribution::Uniform { low, high } => (low + high) / 2.0,
            Distribution::Exponential { mean, .. } => *mean,
            Distribution::TruncatedNormal {
                mean,
                std_dev,
                mass_below_zero,
            } => {
                let alpha = -mean / std_dev;
                let pdf = (-0.5 * alpha * alpha).exp() / (2.0 * std::f64::consts::PI).sqrt();
                mean + std_dev * pdf / (1.0 - mass_below_zero)
            }
            Distribution::LogNormal { mu, sigma, .. } => (mu + sigma * sigma / 2.0).exp(),
            Distribution::Empirical { points, .. } => points
                .windows(2)
                .map(|w| (w[1].0 - w[0].0) * (w[0].1 + w[1].1) / 2.0)
                .sum(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guide_table_finds_the_same_point_as_a_full_search() {
        // Irregular quantiles, crowded near 0 and 1 and around bucket edges.
        let mut qs: Vec<f64> = (1..5000).map(|i| (f64::from(i) / 5000.0).powi(3)).collect();
        qs.extend([0.5, 0.5 + 1e-12, 1.0 - 1e-9, 3.0 / 1024.0]);
        qs.push(0.0);
        qs.push(1.0);
        qs.sort_by(f64::total_cmp);
        qs.dedup();
        let points: Vec<(f64, f64)> = qs.iter().enumerate().map(|(i, q)| (*q, i as f64)).collect();
        let d = Distribution::empirical(points.clone()).unwrap();
        let mut a = crate::sim::rng::stream(5, "x");
        let mut b = crate::sim::rng::stream(5, "x");
        for _ in 0..20_000 {
            let u: f64 = b.random();
            let i = points
                .partition_point(|(q, _)| *q <= u)
                .clamp(1, points.len() - 1);
            let ((q0, v0), (q1, v1)) = (points[i - 1], points[i]);
            let want = v0 + (v1 - v0) * (u - q0) / (q1 - q0);
            assert_eq!(d.sample(&mut a).to_bits(), want.to_bits());
        }
    }
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn sample_mean(d: &Distribution, n: usize) -> f64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        (0..n).map(|_| d.sample(&mut rng)).sum::<f64>() / n as f64
    }

    #[test]
    fn sample_means_match_the_analytic_means() {
        let cases = [
            Distribution::uniform(1.0, 3.0).unwrap(),
            Distribution::exponential(0.25).unwrap(),
            Distribution::truncated_normal(1.0, 1.0).unwrap(),
            Distribution::lognormal(0.0, 0.5).unwrap(),
            Distribution::empirical(vec![(0.0, 0.0), (0.5, 1.0), (1.0, 4.0)]).unwrap(),
        ];
        for d in &cases {
            let got = sample_mean(d, 200_000);
            let want = d.mean();
            assert!(
                (got - want).abs() / want < 0.01,
                "{d:?}: sample mean {got}, analytic {want}"
            );
        }
    }

    #[test]
    fn lognormal_from_quantiles_puts_them_in_place() {
        let d = Distribution::lognormal_from_quantiles(0.3, 2.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut xs: Vec<f64> = (0..100_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort_by(f64::total_cmp);
        let median = xs[50_000];
        let p99 = xs[99_000];
        assert!((median - 0.3).abs() < 0.01, "median {median}");
        assert!((p99 - 2.0).abs() < 0.1, "p99 {p99}");
    }

    #[test]
    fn truncated_normal_is_never_negative() {
        let d = Distribution::truncated_normal(0.1, 1.0).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
        assert!((0..50_000).all(|_| d.sample(&mut rng) >= 0.0));
    }

    #[test]
    fn bad_parameters_are_refused() {
        assert!(Distribution::uniform(3.0, 1.0).is_err());
        assert!(Distribution::exponential(0.0).is_err());
        assert!(Distribution::lognormal_from_quantiles(2.0, 1.0).is_err());
        assert!(Distribution::empirical(vec![(0.0, 1.0), (0.9, 2.0)]).is_err());
        assert!(Distribution::empirical(vec![(0.0, 3.0), (1.0, 2.0)]).is_err());
    }
}
