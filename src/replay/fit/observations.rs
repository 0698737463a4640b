//! A deployment's logged attempts, each with the instant it was sent.
//!
//! A log gives a request's arrival and each attempt's duration, not when each attempt left;
//! the fit takes an attempt as sent when the one before it ended (retry backoff and the
//! router's own waits are not logged, so a retried attempt is placed a little early). It
//! decides that placement and groups attempts by deployment, in arrival order; it must not fit
//! anything.

use crate::replay::traffic::{RecordedAttempt, RecordedTraffic};

/// One attempt as the fit sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Observed<'t> {
    /// When it was sent, in seconds since the log's first arrival.
    pub sent: f64,
    /// The logged attempt.
    pub attempt: &'t RecordedAttempt,
    /// The request's output tokens.
    pub output_tokens: u32,
}

/// Every deployment's attempts, indexed like [`RecordedTraffic::deployments`].
pub fn by_deployment(traffic: &RecordedTraffic) -> Vec<Vec<Observed<'_>>> {
    let mut out = vec![Vec::new(); traffic.deployments.len()];
    for request in &traffic.requests {
        let mut sent = request.at.as_secs_f64();
        for attempt in traffic.attempts_of(request) {
            if let Some(list) = out.get_mut(attempt.deployment as usize) {
                list.push(Observed {
                    sent,
                    attempt,
                    output_tokens: request.output_tokens,
                });
            }
            sent += attempt.duration.as_secs_f64();
        }
    }
    out
}
