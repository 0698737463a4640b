//! Joins the parts of a log, each read into its own [`Builder`] (the proxy log's parts on the
//! pool's threads, other formats as one part), into one [`RecordedTraffic`].
//!
//! Kinds and deployments are interned across the parts in first-seen order, so the result is
//! the one reading the file as one would give. Requests are put in arrival order (ties in file
//! order) with instants counted from the first arrival; attempts stay in file order. Every row
//! and attempt is moved once, straight into its place, in parallel on the current rayon pool:
//! a million-line log's rows are hundreds of megabytes, and copying them through a growing
//! vector was a third of reading it. It decides where each row goes; it must not parse or judge
//! a row.

use rayon::prelude::*;

use super::builder::{Builder, remap};
use crate::replay::traffic::{LogFormat, RecordedAttempt, RecordedRequest, RecordedTraffic};
use crate::time::Time;

/// The traffic of `parts`, in file order, interned into `whole` (an empty builder for the
/// file).
pub(super) fn join(mut whole: Builder, mut parts: Vec<Builder>) -> RecordedTraffic {
    let renumbered: Vec<Renumbering> = parts
        .iter_mut()
        .map(|part| renumber(&mut whole, part))
        .collect();
    let row_starts = starts(parts.iter().map(|p| p.rows.len()));
    let attempt_starts = starts(parts.iter().map(|p| p.attempts.len()));
    let arrivals: Vec<f64> = parts
        .iter()
        .flat_map(|p| p.arrivals.iter().copied())
        .collect();
    let order = arrival_order(&arrivals);
    let first = order
        .as_ref()
        .map_or(Some(0), |o| o.first().map(|&i| i as usize));
    let start_unix_s = first.and_then(|i| arrivals.get(i)).copied().unwrap_or(0.0);
    let mut requests = Vec::new();
    (0..arrivals.len())
        .into_par_iter()
        .map(|i| {
            let row = order.as_ref().map_or(i, |o| o[i] as usize);
            let (p, at) = locate(&row_starts, row);
            let r = &parts[p].rows[at];
            let (map, offset) = (&renumbered[p], attempt_starts[p] as u32);
            RecordedRequest {
                at: Time::from_secs_f64(arrivals[row] - start_unix_s),
                kind: map.kinds[r.kind as usize],
                served_by: r.served_by.map(|d| map.deployments[d as usize]),
                attempts: r.attempts.start + offset..r.attempts.end + offset,
                ..r.clone()
            }
        })
        .collect_into_vec(&mut requests);
    let mut attempts = Vec::new();
    (0..*attempt_starts.last().unwrap_or(&0))
        .into_par_iter()
        .map(|i| {
            let (p, at) = locate(&attempt_starts, i);
            let a = parts[p].attempts[at];
            RecordedAttempt {
                deployment: renumbered[p].deployments[a.deployment as usize],
                ..a
            }
        })
        .collect_into_vec(&mut attempts);
    let skipped = parts.iter_mut().flat_map(|p| p.skipped.drain(..)).collect();
    RecordedTraffic {
        every_attempt: matches!(whole.format, LogFormat::SwitchyardJsonl),
        file: whole.file,
        format: whole.format,
        start_unix_s,
        requests,
        kinds: whole.kinds,
        deployments: whole.deployments,
        attempts,
        skipped,
    }
}

/// A part's kinds and deployments, as numbered in the whole.
struct Renumbering {
    kinds: Vec<u32>,
    deployments: Vec<u32>,
}

/// Interns `part`'s kinds and deployments into `whole`, in the part's first-seen order.
fn renumber(whole: &mut Builder, part: &mut Builder) -> Renumbering {
    let kinds = std::mem::take(&mut part.kinds);
    let deployments = std::mem::take(&mut part.deployments);
    Renumbering {
        kinds: remap(&part.kind_index, kinds, |key, kind| {
            whole.interned_kind(key, kind)
        }),
        deployments: remap(&part.deployment_index, deployments, |key, d| {
            whole.interned_deployment(key, d)
        }),
    }
}

/// Where each of a run of pieces of `sizes` starts, and (last) where the run ends.
fn starts(sizes: impl Iterator<Item = usize>) -> Vec<usize> {
    let mut starts = vec![0];
    for size in sizes {
        starts.push(starts[starts.len() - 1] + size);
    }
    starts
}

/// Which piece holds item `i` of the run, and where in it.
fn locate(starts: &[usize], i: usize) -> (usize, usize) {
    let piece = starts.partition_point(|&s| s <= i) - 1;
    (piece, i - starts[piece])
}

/// The rows in arrival order (ties in file order), or `None` when they already are.
fn arrival_order(arrivals: &[f64]) -> Option<Vec<u32>> {
    if arrivals.windows(2).all(|w| w[0] <= w[1]) {
        return None;
    }
    let mut order: Vec<u32> = (0..arrivals.len() as u32).collect();
    order.par_sort_by(|&a, &b| arrivals[a as usize].total_cmp(&arrivals[b as usize]));
    Some(order)
}
