//! Replays a situation through Switchyard's router: the same requests, in the same order and
//! with the same idle times as the LiteLLM side, each attempt answered as the situation says.
//! Requests one after another by default; with `clients`, closed-loop clients in virtual time
//! (`closed_loop`).
//! It decides only what a provider answers and when; every routing decision is the router's.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use switchyard::router::{
    AttemptFailure, CallResult, Completion, DeploymentIdx, ErrorClass, Outcome, RequestSpec, Route,
    Router, Step,
};
use switchyard::time::Time;

use super::record::{Attempt, Golden, RequestRecord, RequestResult};
use super::situation::{AnswerSpec, Detail, Request, Situation};

/// The router's random stream (Switchyard's draws differ from LiteLLM's whatever the seed).
const SEED: u64 = 1_108_007;

/// How long an attempt takes unless the situation gives a latency (LiteLLM's mock answers take
/// a few milliseconds).
const MOCK_LATENCY: Duration = Duration::from_millis(2);

/// Switchyard's record of the situation.
pub fn replay(s: &Situation) -> Golden {
    let mut router = s.router();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    let mut answers = Answers::new(s);
    if let Some(clients) = s.clients {
        let served = super::closed_loop::run(s, clients, &mut router, &mut rng, &mut answers);
        return Golden {
            requests: None,
            served_counts: Some(served),
        };
    }
    let mut now = Time::ZERO;
    let mut records = Vec::new();
    for request in s.expanded() {
        now = now + Situation::idle_before(request);
        let spec = spec_for(&router, request);
        let (record, end) = one_request(&mut router, &mut rng, &mut answers, spec, now);
        records.push(record);
        now = end;
    }
    Golden {
        served_counts: Some(served_counts(&router, &records)),
        requests: Some(records),
    }
}

/// The router's view of one request line.
pub(super) fn spec_for(router: &Router, r: &Request) -> RequestSpec {
    let mut spec = RequestSpec::new(router.resolve(&r.model), r.input_tokens.unwrap_or(10));
    spec.num_retries = r.num_retries;
    spec.fallbacks = r.fallbacks.as_ref().map(|names| {
        names
            .iter()
            .map(|n| router.resolve(n))
            .collect::<Arc<[Route]>>()
    });
    spec.disable_fallbacks = r.disable_fallbacks;
    spec.tags = router.request_tags(&r.tags);
    spec
}

/// What each deployment answers, call by call.
pub(super) struct Answers {
    specs: BTreeMap<String, AnswerSpec>,
    calls: BTreeMap<String, usize>,
}

impl Answers {
    fn new(s: &Situation) -> Answers {
        Answers {
            specs: s.answers.clone(),
            calls: BTreeMap::new(),
        }
    }

    /// The answer to `id`'s next call.
    pub(super) fn next(&mut self, id: &str) -> Detail {
        let n = self.calls.entry(id.to_string()).or_default();
        let call = *n;
        *n += 1;
        match self.specs.get(id) {
            None => Detail::default(),
            Some(spec) => detail(spec, call),
        }
    }
}

fn detail(spec: &AnswerSpec, call: usize) -> Detail {
    match spec {
        AnswerSpec::Name(n) if n == "ok" => Detail::default(),
        AnswerSpec::Name(n) => Detail {
            error: Some(n.clone()),
            ..Detail::default()
        },
        AnswerSpec::Sequence { sequence } => detail(&sequence[call.min(sequence.len() - 1)], 0),
        AnswerSpec::Detail(d) => d.clone(),
    }
}

/// The outcome an answer gives after `latency`.
pub(super) fn outcome(answer: &Detail, latency: Duration) -> Outcome {
    match &answer.error {
        None => Outcome::Success(Completion {
            input_tokens: 10,
            output_tokens: 10,
            latency,
            time_to_first_token: latency,
        }),
        Some(name) => Outcome::Failure(AttemptFailure {
            class: ErrorClass::from_name(name)
                .unwrap_or_else(|| panic!("unknown error class {name} in answers")),
            retry_after: answer.retry_after.map(Duration::from_secs_f64),
            latency,
        }),
    }
}

pub(super) fn latency_of(answer: &Detail) -> Duration {
    answer.latency.map_or(MOCK_LATENCY, Duration::from_secs_f64)
}

pub(super) fn id_of(router: &Router, d: DeploymentIdx) -> String {
    router.table().deployment(d).config.id.clone()
}

/// Drives one request from `start` to its end, alone; returns its record and its end.
fn one_request(
    router: &mut Router,
    rng: &mut Xoshiro256PlusPlus,
    answers: &mut Answers,
    spec: RequestSpec,
    start: Time,
) -> (RequestRecord, Time) {
    let mut call = router.start(spec);
    let mut now = start;
    let mut attempts = Vec::new();
    let mut spans: Vec<(Time, Time)> = Vec::new();
    let result = loop {
        match router.next_step(&mut call, now, rng) {
            Step::Send {
                attempt,
                deployment,
                ..
            } => {
                let id = id_of(router, deployment);
                let answer = answers.next(&id);
                let sent = now;
                now = now + latency_of(&answer);
                router.record(&mut call, attempt, &outcome(&answer, now - sent), now, rng);
                let name = answer.error.clone().unwrap_or_else(|| "ok".into());
                attempts.push(Attempt {
                    deployment: id,
                    outcome: name,
                });
                spans.push((sent, now));
            }
            Step::Wait { until } => now = until,
            Step::Pending { .. } => panic!("nothing is in flight between two steps"),
            Step::Finish(result) => break result,
        }
    };
    let record = RequestRecord {
        attempts,
        waits: waits(&spans, now),
        result: result_of(router, &result),
        retries: served(&result).map(|s| s.0),
        fallbacks: served(&result).map(|s| s.1),
        cooling_after: cooling(router, now),
    };
    (record, now)
}

/// Seconds from each attempt's end to the next attempt's start, and from the last to `end`.
fn waits(spans: &[(Time, Time)], end: Time) -> Vec<f64> {
    spans
        .iter()
        .enumerate()
        .map(|(i, &(_, done))| {
            let next = spans.get(i + 1).map_or(end, |s| s.0);
            (next - done).as_secs_f64()
        })
        .collect()
}

fn served(result: &CallResult) -> Option<(u32, u32)> {
    match result {
        CallResult::Served(s) => Some((s.retries, s.fallbacks)),
        CallResult::Failed(_) => None,
    }
}

fn result_of(router: &Router, result: &CallResult) -> RequestResult {
    match result {
        CallResult::Served(s) => RequestResult {
            served_by: Some(id_of(router, s.deployment)),
            ..RequestResult::default()
        },
        CallResult::Failed(f) => RequestResult {
            served_by: None,
            error: Some(f.class.name().to_string()),
            status: Some(f.class.status()),
        },
    }
}

/// The deployments cooling at `now`, sorted by id.
fn cooling(router: &Router, now: Time) -> Vec<String> {
    let mut ids: Vec<String> = router
        .table()
        .deployments()
        .iter()
        .enumerate()
        .filter(|(i, _)| router.health(DeploymentIdx(*i as u32)).is_cooling(now))
        .map(|(_, d)| d.config.id.clone())
        .collect();
    ids.sort();
    ids
}

fn served_counts(router: &Router, records: &[RequestRecord]) -> BTreeMap<String, u32> {
    let mut counts: BTreeMap<String, u32> = router
        .table()
        .deployments()
        .iter()
        .map(|d| (d.config.id.clone(), 0))
        .collect();
    for by in records.iter().filter_map(|r| r.result.served_by.as_ref()) {
        *counts
            .get_mut(by)
            .expect("a served request names a deployment") += 1;
    }
    counts
}
