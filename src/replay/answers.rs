//! The answers a replay can reuse: each logged attempt on a deployment the config has, as the
//! simulator's [`RecordedAnswer`].
//!
//! It decides which logged attempts can answer a replayed attempt (those on a deployment the
//! config matched; the others name a deployment the config does not have) and how they
//! translate. Which attempt gets which answer at run time is the simulator's
//! ([`crate::sim::recorded::Recording::take_answer`]). It must not simulate.

use crate::replay::traffic::{RecordedAttempt, RecordedRequest, RecordedTraffic};
use crate::sim::RecordedAnswer;

/// Appends to `out` the answers of `request`'s logged attempts whose deployment the config
/// has (`config_index[recorded deployment]`), in the order they were sent.
pub fn push_answers(
    traffic: &RecordedTraffic,
    request: &RecordedRequest,
    config_index: &[Option<usize>],
    out: &mut Vec<RecordedAnswer>,
) {
    for attempt in traffic.attempts_of(request) {
        if let Some(d) = config_index[attempt.deployment as usize] {
            out.push(answer(attempt, d));
        }
    }
}

fn answer(attempt: &RecordedAttempt, deployment: usize) -> RecordedAnswer {
    RecordedAnswer {
        deployment: deployment as u32,
        error: attempt.error,
        duration: attempt.duration,
        time_to_first_token: attempt.time_to_first_token,
        retry_after: attempt.retry_after,
    }
}
