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
    let arrivals: Vec<f64> = parts
        .iter()
        .flat_map(|p| p.arrivals.iter().copied())
        .collect();
    let order = arrival_order(&arrivals);
    let first = order
        .as_ref()
        .map_or(Some(0), |o| o.first().map(|&i| i as usize));
    let start_unix_s = first.and_then(|i| arrivals.get(i)).copied().unwrap_or(0.0);
    let requests = gather_requests(
        &parts,
        &renumbered,
        &arrivals,
        order.as_deref(),
        start_unix_s,
    );
    let attempts = gather_attempts(&parts, &renumbered);
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

/// The parts' rows as requests, in `order` (file order when `None`), renumbered, with their
/// instants counted from `start_unix_s` and their attempts' ranges in the joined attempts.
fn gather_requests(
    parts: &[Builder],
    renumbered: &[Renumbering],
    arrivals: &[f64],
    order: Option<&[u32]>,
    start_unix_s: f64,
) -> Vec<RecordedRequest> {
    let row_starts = starts(parts.iter().map(|p| p.rows.len()));
    let attempt_starts = starts(parts.iter().map(|p| p.attempts.len()));
    let mut requests = Vec::new();
    (0..arrivals.len())
        .into_par_iter()
        .map(|i| {
            let row = order.map_or(i, |o| o[i] as usize);
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
    requests
}

/// The parts' attempts in file order, their deployments renumbered.
fn gather_attempts(parts: &[Builder], renumbered: &[Renumbering]) -> Vec<RecordedAttempt> {
    let attempt_starts = starts(parts.iter().map(|p| p.attempts.len()));
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
    attempts
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
    // Each row's arrival as an integer ordered as `total_cmp` orders the floats, beside its
    // row number: pairs are all distinct, so an unstable sort of them puts ties in file order,
    // and it compares in place rather than looking both arrivals up.
    let mut keyed: Vec<(i64, u32)> = arrivals
        .par_iter()
        .enumerate()
        .map(|(row, a)| (total_order_key(*a), row as u32))
        .collect();
    keyed.par_sort_unstable();
    Some(keyed.into_par_iter().map(|(_, row)| row).collect())
}

/// An integer that orders as `f64::total_cmp` orders `x` (its definition's own transform).
fn total_order_key(x: f64) -> i64 {
    let bits = x.to_bits() as i64;
    bits ^ ((((bits >> 63) as u64) >> 1) as i64)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::replay::read::builder::{DeploymentRef, KindRef, Outcome};
    use crate::time::Span;

    /// A row: its arrival (few distinct values, so ties are common), model, tag, deployments
    /// tried (the last served when `served`), and whether it is a row a replay skips.
    type Row = (u8, u8, u8, Vec<u8>, bool, bool);

    fn row() -> impl Strategy<Value = Row> {
        (
            0u8..6,
            0u8..3,
            0u8..3,
            prop::collection::vec(0u8..4, 0..4),
            any::<bool>(),
            prop::bool::weighted(0.1),
        )
    }

    /// Reads `rows` into `b`, numbering lines from `first_line`.
    fn read(b: &mut Builder, rows: &[Row], first_line: u64) {
        for (i, (arrival, model, tag, tried, served, skip)) in rows.iter().enumerate() {
            let line = first_line + i as u64;
            let ids: Vec<String> = tried.iter().map(|d| format!("d{d}")).collect();
            for id in &ids {
                let deployment = b
                    .deployment(DeploymentRef {
                        id: Some(id),
                        model_group: Some(&format!("g{model}")),
                        ..DeploymentRef::default()
                    })
                    .unwrap();
                b.attempt(RecordedAttempt {
                    deployment,
                    error: None,
                    status: Some(200),
                    duration: Span::from_nanos((u64::from(*arrival) + 1) * 1_000_000),
                    time_to_first_token: None,
                    retry_after: None,
                });
            }
            if *skip {
                b.not_replayed(line, "skipped");
                continue;
            }
            let tags = [format!("t{tag}")];
            let kind = b.kind(KindRef {
                model: &format!("m{model}"),
                tags: &tags,
                stream: tag % 2 == 0,
                num_retries: Some(u32::from(*tag)),
                fallbacks: None,
                disable_fallbacks: false,
                timeout: None,
            });
            let served_by = match (served, ids.last()) {
                (true, Some(id)) => b.deployment(DeploymentRef {
                    id: Some(id),
                    ..DeploymentRef::default()
                }),
                _ => None,
            };
            b.request(
                f64::from(*arrival) * 0.5 + 100.0,
                kind,
                Outcome {
                    input_tokens: line as u32,
                    output_tokens: 1,
                    status: 200,
                    error: None,
                    served_by,
                    cost_usd: None,
                    duration: Span::from_nanos(5_000_000),
                },
            );
        }
    }

    proptest! {
        /// However a log is cut into parts, joining them gives what reading it as one does.
        #[test]
        fn parts_join_as_the_whole(
            rows in prop::collection::vec(row(), 0..60),
            cuts in prop::collection::vec(0usize..60, 0..5),
        ) {
            let new = || Builder::new("log", LogFormat::SwitchyardJsonl, true);
            let mut whole = new();
            read(&mut whole, &rows, 1);
            let mut bounds: Vec<usize> = cuts.into_iter().map(|c| c.min(rows.len())).collect();
            bounds.extend([0, rows.len()]);
            bounds.sort_unstable();
            let parts: Vec<Builder> = bounds
                .windows(2)
                .map(|w| {
                    let mut part = new().part(w[1] - w[0]);
                    read(&mut part, &rows[w[0]..w[1]], 1 + w[0] as u64);
                    part
                })
                .collect();
            prop_assert_eq!(join(new(), parts), whole.finish());
        }
    }

    proptest! {
        /// The integer key orders any two floats as `total_cmp` does.
        #[test]
        fn the_order_key_orders_as_total_cmp(a in any::<u64>(), b in any::<u64>(), pick in 0usize..8) {
            let special = [0.0, -0.0, 1.0, -1.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, 1e-310];
            let (a, b) = (f64::from_bits(a), if pick < 4 { f64::from_bits(b) } else { special[pick] });
            prop_assert_eq!(total_order_key(a).cmp(&total_order_key(b)), a.total_cmp(&b));
        }

        /// The order is the stable sort's by `total_cmp`: arrivals from few values, so ties are
        /// many.
        #[test]
        fn arrival_order_is_the_stable_sort(arrivals in prop::collection::vec(0u8..8, 0..200)) {
            let arrivals: Vec<f64> = arrivals.iter().map(|&a| f64::from(a) * 0.25).collect();
            let mut stable: Vec<u32> = (0..arrivals.len() as u32).collect();
            stable.sort_by(|&a, &b| arrivals[a as usize].total_cmp(&arrivals[b as usize]));
            let order = arrival_order(&arrivals).unwrap_or_else(|| (0..arrivals.len() as u32).collect());
            prop_assert_eq!(order, stable);
        }
    }

    #[test]
    fn requests_come_in_arrival_order_with_ties_in_file_order() {
        let mut b = Builder::new("log", LogFormat::PlainCsv, false);
        read(
            &mut b,
            &[
                (4, 0, 0, vec![0], true, false),
                (2, 1, 0, vec![], false, false),
                (4, 2, 0, vec![1, 2], true, false),
                (2, 0, 1, vec![3], true, false),
            ],
            1,
        );
        let t = b.finish();
        let lines: Vec<u32> = t.requests.iter().map(|r| r.input_tokens).collect();
        assert_eq!(lines, [2, 4, 1, 3]);
        assert_eq!(t.start_unix_s, 101.0);
        assert_eq!(t.requests[2].at, Time::from_secs_f64(1.0));
        let served: Vec<Option<u32>> = t.requests.iter().map(|r| r.served_by).collect();
        // Deployments are numbered in first-seen order: d0, d1, d2, d3.
        assert_eq!(served, [None, Some(3), Some(0), Some(2)]);
        assert_eq!(t.attempts_of(&t.requests[3]).len(), 2);
        assert!(!t.every_attempt);
    }
}
