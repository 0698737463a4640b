//! The workload to play: every arrival of the scenario with what it asks for, drawn by the
//! simulator's own generators from the streams the engine uses, so a live run sees the arrivals
//! and the request mix `switchyard run` sees with the same seed.
//!
//! It decides only which requests are sent and when (in virtual time); not what goes on the wire.

use crate::scenario::Scenario;
use crate::sim::rng::stream;
use crate::sim::workload::{Arrivals, DrawnRequest, MixSampler};
use crate::time::Time;

/// One request to send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedRequest {
    /// Its number, from 0 in arrival order (the simulator's request id).
    pub id: u64,
    /// When it arrives, in the scenario's virtual time.
    pub at: Time,
    /// Its class, token counts and prompt, as the simulator draws them.
    pub drawn: DrawnRequest,
}

/// The scenario's arrivals over its duration with `seed`, at most `max_requests` of them.
pub fn plan(scenario: &Scenario, seed: u64, max_requests: Option<u64>) -> Vec<PlannedRequest> {
    let workload = &scenario.workload;
    let end = Time::ZERO + scenario.duration;
    let mut arrivals = Arrivals::new(workload, end, stream(seed, "arrivals"));
    let mut mix = MixSampler::new(&workload.mix, stream(seed, "mix"));
    let limit = max_requests.unwrap_or(u64::MAX);
    let mut out = Vec::new();
    while (out.len() as u64) < limit {
        let Some(at) = arrivals.next_arrival() else {
            break;
        };
        out.push(PlannedRequest {
            id: out.len() as u64,
            at,
            drawn: mix.draw(&workload.mix),
        });
    }
    out
}
