//! Closed-loop clients in virtual time, for the least-busy burst situations: every client
//! starts at zero and sends its requests back to back with no think time, so several requests
//! are in flight at once and the router sees them all. It decides only the order of events
//! (time, then the order they were scheduled); every routing decision is the router's.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};

use rand_xoshiro::Xoshiro256PlusPlus;
use switchyard::router::{AttemptId, Call, CallResult, Outcome, Router, Step};
use switchyard::time::Time;

use super::replay::{Answers, id_of, latency_of, outcome, spec_for};
use super::situation::{Request, Situation};

/// What happens next to a closed-loop client, at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Due {
    /// An attempt's answer (an index into the answers given) arrives.
    Answer { attempt: AttemptId, answer: usize },
    /// The client asks the router for its next step (a backoff ended, or a new request).
    Step,
}

/// Closed-loop clients in virtual time: their requests in progress, what is due when.
struct ClosedLoop<'s> {
    requests: Vec<&'s Request>,
    calls: Vec<Call>,
    left: Vec<usize>,
    given: Vec<Outcome>,
    queue: BinaryHeap<Reverse<(Time, u64, usize, Due)>>,
    seq: u64,
    served: BTreeMap<String, u32>,
}

impl ClosedLoop<'_> {
    fn push(&mut self, at: Time, client: usize, due: Due) {
        self.seq += 1;
        self.queue.push(Reverse((at, self.seq, client, due)));
    }

    /// Carries out client `c`'s next step at `now`.
    fn step(
        &mut self,
        c: usize,
        now: Time,
        router: &mut Router,
        rng: &mut Xoshiro256PlusPlus,
        answers: &mut Answers,
    ) {
        match router.next_step(&mut self.calls[c], now, rng) {
            Step::Send {
                attempt,
                deployment,
                ..
            } => {
                let answer = answers.next(&id_of(router, deployment));
                let latency = latency_of(&answer);
                self.given.push(outcome(&answer, latency));
                let due = Due::Answer {
                    attempt,
                    answer: self.given.len() - 1,
                };
                self.push(now + latency, c, due);
            }
            Step::Wait { until } => self.push(until, c, Due::Step),
            Step::Pending { .. } => panic!("nothing is in flight between two steps"),
            Step::Finish(result) => {
                if let CallResult::Served(s) = result {
                    *self.served.entry(id_of(router, s.deployment)).or_default() += 1;
                }
                self.left[c] -= 1;
                if self.left[c] > 0 {
                    let next = self.requests[self.requests.len() - self.left[c]];
                    self.calls[c] = router.start(spec_for(router, next));
                    self.push(now, c, Due::Step);
                }
            }
        }
    }
}

/// `clients` clients that all start at zero and send their requests back to back, with no
/// think time; returns the requests each deployment served.
pub fn run(
    s: &Situation,
    clients: u32,
    router: &mut Router,
    rng: &mut Xoshiro256PlusPlus,
    answers: &mut Answers,
) -> BTreeMap<String, u32> {
    let requests: Vec<&Request> = s.expanded().collect();
    let n = clients as usize;
    let mut run = ClosedLoop {
        calls: (0..n)
            .map(|_| router.start(spec_for(router, requests[0])))
            .collect(),
        left: vec![requests.len(); n],
        requests,
        given: Vec::new(),
        queue: BinaryHeap::new(),
        seq: 0,
        served: router
            .table()
            .deployments()
            .iter()
            .map(|d| (d.config.id.clone(), 0))
            .collect(),
    };
    for c in 0..n {
        run.push(Time::ZERO, c, Due::Step);
    }
    while let Some(Reverse((now, _, c, due))) = run.queue.pop() {
        if let Due::Answer { attempt, answer } = due {
            let given = run.given[answer];
            router.record(&mut run.calls[c], attempt, &given, now, rng);
        }
        run.step(c, now, router, rng, answers);
    }
    run.served
}
