//! Where a run's user requests come from: an open-loop rate, a script, closed-loop clients, or
//! a recording (a replay).
//!
//! It decides when the next user request arrives (and, for a script, its class; for a
//! recording, its class and tokens are the recording's, read by request id); what the
//! request asks for is the mix's, and carrying it through the router is the engine's. A
//! closed-loop client sends its next request `think` after its last one ended, never sooner
//! than [`MIN_CLIENT_CYCLE`] after its last one started, and none at or after the end.

use std::time::Duration;

use super::rng::{SimRng, stream};
use super::workload::{Arrivals, ScriptArrivals, WorkloadSpec};
use crate::time::Time;

/// The shortest time between two requests of one closed-loop client (a network round trip), so
/// a client whose requests end at once cannot stop virtual time.
pub const MIN_CLIENT_CYCLE: Duration = Duration::from_millis(1);

/// Where user requests come from.
#[derive(Debug, Clone)]
pub enum ArrivalSource {
    /// A rate: the next arrival is drawn when one arrives.
    Open(Arrivals),
    /// A script: the next arrival and its class.
    Script {
        /// The script's arrivals in time order.
        arrivals: ScriptArrivals,
        /// The class of the arrival queued last.
        next_class: u32,
    },
    /// A recording: the logged arrivals, in order.
    Recorded {
        /// The instants, classes and tokens.
        recording: std::sync::Arc<super::recorded::Recording>,
        /// The next arrival to queue.
        next: usize,
    },
    /// Closed-loop clients: a client's next request follows the end of its last.
    Closed {
        /// Think times.
        think_rng: SimRng,
        /// When clients stop sending.
        end: Time,
    },
}

impl ArrivalSource {
    /// The source of `workload`'s requests until `end`, its streams derived from `seed`.
    pub fn new(workload: &WorkloadSpec, end: Time, seed: u64) -> Self {
        if let Some(recording) = &workload.recorded {
            ArrivalSource::Recorded {
                recording: recording.clone(),
                next: 0,
            }
        } else if workload.closed.is_some() {
            ArrivalSource::Closed {
                think_rng: stream(seed, "think"),
                end,
            }
        } else if !workload.script.is_empty() {
            ArrivalSource::Script {
                arrivals: ScriptArrivals::new(&workload.script),
                next_class: 0,
            }
        } else {
            ArrivalSource::Open(Arrivals::new(workload, end, stream(seed, "arrivals")))
        }
    }

    /// The instants of the first arrivals: every closed-loop client at time zero, or the
    /// first open-loop or scripted arrival.
    pub fn first(&mut self, workload: &WorkloadSpec) -> Vec<Time> {
        match &workload.closed {
            Some(closed) => vec![Time::ZERO; closed.clients as usize],
            None => self.next(workload).into_iter().collect(),
        }
    }

    /// The next open-loop or scripted arrival, after one arrived; `None` for closed loops.
    pub fn next(&mut self, workload: &WorkloadSpec) -> Option<Time> {
        match self {
            ArrivalSource::Open(arrivals) => arrivals.next_arrival(),
            ArrivalSource::Script {
                arrivals,
                next_class,
            } => arrivals.next_arrival(&workload.script).map(|(at, class)| {
                *next_class = class;
                at
            }),
            ArrivalSource::Recorded { recording, next } => {
                let at = recording.arrivals.get(*next)?.at;
                *next += 1;
                Some(at)
            }
            ArrivalSource::Closed { .. } => None,
        }
    }

    /// The class of the scripted request arriving now, if requests are scripted.
    pub fn scripted_class(&self) -> Option<u32> {
        match self {
            ArrivalSource::Script { next_class, .. } => Some(*next_class),
            _ => None,
        }
    }

    /// Whether requests come from closed-loop clients.
    pub fn is_closed(&self) -> bool {
        matches!(self, ArrivalSource::Closed { .. })
    }

    /// When the closed-loop client whose request was sent at `sent` and ended at `now` sends
    /// its next one; `None` for other sources and past the end.
    pub fn after_request(
        &mut self,
        workload: &WorkloadSpec,
        sent: Time,
        now: Time,
    ) -> Option<Time> {
        let (ArrivalSource::Closed { think_rng, end }, Some(closed)) = (self, &workload.closed)
        else {
            return None;
        };
        let think = closed.think.sample(think_rng);
        let at = now.after_secs_f64(think);
        let at = at.max(sent + MIN_CLIENT_CYCLE);
        (at < *end).then_some(at)
    }
}
