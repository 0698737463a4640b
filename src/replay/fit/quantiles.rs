//! Compact empirical distributions: at most [`MAX_POINTS`] `(quantile, value)` points of a
//! sample, and the rounding that makes a fitted value exactly what its written form reads back
//! as.
//!
//! It decides how a sample becomes points and how values are rounded; it must not choose which
//! samples are taken (that is the latency and workload fits').

use rayon::prelude::*;

use crate::config::units::parse_duration;
use crate::sim::Distribution;

/// The most points a fitted empirical distribution has: every percentile, 0 and 100 included.
pub const MAX_POINTS: usize = 101;

/// A time in seconds rounded to the microsecond, exactly as [`time_text`] reads back.
pub fn canonical_time(secs: f64) -> f64 {
    parse_duration(&time_text(secs)).map_or(0.0, |d| d.as_secs_f64())
}

/// A time in seconds as the scenario language writes it: milliseconds to three decimals.
pub fn time_text(secs: f64) -> String {
    format!("{:.3}ms", secs.max(0.0) * 1000.0)
}

/// A token count rounded to a whole token (a fitted value is written as a plain number).
pub fn canonical_count(tokens: f64) -> f64 {
    tokens.max(0.0).round()
}

/// The `q` quantile (0 ≤ q ≤ 1) of sorted values, interpolating linearly between order
/// statistics (the usual "type 7" estimate); `None` for no values.
pub fn quantile(sorted: &[f64], q: f64) -> Option<f64> {
    let last = sorted.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let low = pos.floor() as usize;
    let high = pos.ceil() as usize;
    let frac = pos - low as f64;
    Some(sorted[low] + (sorted[high] - sorted[low]) * frac)
}

/// Points of sorted values with each value passed through `canon`: every value when there are
/// at most [`MAX_POINTS`], else every percentile. Empty for no values.
pub fn points(sorted: &[f64], canon: fn(f64) -> f64) -> Vec<(f64, f64)> {
    match sorted.len() {
        0 => Vec::new(),
        1 => vec![(0.0, canon(sorted[0])), (1.0, canon(sorted[0]))],
        n if n <= MAX_POINTS => {
            let last = (n - 1) as f64;
            (0..n)
                .map(|i| (i as f64 / last, canon(sorted[i])))
                .collect()
        }
        _ => (0..MAX_POINTS)
            .map(|i| {
                let q = i as f64 / (MAX_POINTS - 1) as f64;
                (q, canon(quantile(sorted, q).unwrap_or(0.0)))
            })
            .collect(),
    }
}

/// The distribution of points: a constant when every value is the same (or there are none),
/// else the piecewise-linear inverse CDF through them.
pub fn distribution(points: &[(f64, f64)]) -> Distribution {
    let first = points.first().map_or(0.0, |p| p.1);
    if points.iter().all(|p| p.1 == first) {
        return Distribution::Constant(first);
    }
    Distribution::empirical(points.to_vec()).unwrap_or(Distribution::Constant(first))
}

/// Sorts values (NaN last, though fitted samples have none). Values equal in the total order
/// have the same bits, so an unstable sort gives what a stable one would.
pub fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.par_sort_unstable_by(f64::total_cmp);
    values
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_sample_becomes_every_percentile() {
        let values: Vec<f64> = (0..1000).map(f64::from).collect();
        let p = points(&values, canonical_count);
        assert_eq!(p.len(), MAX_POINTS);
        assert_eq!(p[0], (0.0, 0.0));
        assert_eq!(p[50], (0.5, 500.0));
        assert_eq!(p[100], (1.0, 999.0));
    }

    #[test]
    fn a_small_sample_keeps_every_value() {
        let p = points(&[1.0, 2.0, 4.0], canonical_count);
        assert_eq!(p, vec![(0.0, 1.0), (0.5, 2.0), (1.0, 4.0)]);
    }

    #[test]
    fn canonical_times_read_back_from_their_text() {
        let t = canonical_time(0.123_456_789);
        assert_eq!(time_text(t), "123.457ms");
        assert_eq!(canonical_time(t), t);
    }
}
