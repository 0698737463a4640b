//! The Pareto front: the points no other point beats on every objective at once.
//!
//! A point is dominated when another is at least as good on every objective and strictly
//! better on at least one; equal points do not dominate each other, so both stay on the front.
//! A NaN value is worse than any number. It decides only the dominance arithmetic; which
//! metrics are objectives, and their values (the means over seeds), are the caller's.

use std::cmp::Ordering;

use crate::metrics::Direction;

/// `a` against `b` for an objective going `direction`: `Greater` when `a` is better.
fn better(direction: Direction, a: f64, b: f64) -> Ordering {
    let ord = match (a.is_nan(), b.is_nan()) {
        (true, true) => return Ordering::Equal,
        (true, false) => return Ordering::Less,
        (false, true) => return Ordering::Greater,
        (false, false) => a.partial_cmp(&b).unwrap_or(Ordering::Equal),
    };
    match direction {
        Direction::HigherIsBetter => ord,
        Direction::LowerIsBetter => ord.reverse(),
    }
}

/// Whether `a` dominates `b`: at least as good on every objective, better on one.
pub fn dominates(directions: &[Direction], a: &[f64], b: &[f64]) -> bool {
    let mut strictly = false;
    for ((d, x), y) in directions.iter().zip(a).zip(b) {
        match better(*d, *x, *y) {
            Ordering::Less => return false,
            Ordering::Greater => strictly = true,
            Ordering::Equal => {}
        }
    }
    strictly
}

/// For each point (its objective values, in `directions`' order): whether it is on the front.
pub fn front(directions: &[Direction], points: &[Vec<f64>]) -> Vec<bool> {
    points
        .iter()
        .map(|p| !points.iter().any(|q| dominates(directions, q, p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use Direction::{HigherIsBetter as Up, LowerIsBetter as Down};

    #[test]
    fn a_hand_made_front_over_success_and_latency() {
        // (success, p99): a and b trade off; c is beaten by a; d ties a on success but is
        // slower; e is the best at nothing but beaten by nobody on both.
        let points = vec![
            vec![0.99, 900.0], // a
            vec![0.95, 400.0], // b
            vec![0.98, 950.0], // c: a is better on both
            vec![0.99, 901.0], // d: equal success, slower than a
            vec![0.97, 600.0], // e: between a and b
        ];
        assert_eq!(
            front(&[Up, Down], &points),
            vec![true, true, false, false, true]
        );
    }

    #[test]
    fn equal_points_both_stay_on_the_front() {
        let points = vec![vec![1.0, 2.0], vec![1.0, 2.0], vec![0.5, 3.0]];
        assert_eq!(front(&[Up, Down], &points), vec![true, true, false]);
    }

    #[test]
    fn one_objective_keeps_only_the_best_and_its_ties() {
        let points = vec![vec![3.0], vec![1.0], vec![1.0], vec![2.0]];
        assert_eq!(front(&[Down], &points), vec![false, true, true, false]);
        assert_eq!(front(&[Up], &points), vec![true, false, false, false]);
    }

    #[test]
    fn nan_is_worse_than_any_number() {
        let points = vec![vec![f64::NAN], vec![5.0]];
        assert_eq!(front(&[Down], &points), vec![false, true]);
        assert!(!dominates(&[Down], &[f64::NAN], &[f64::NAN]));
    }
}
