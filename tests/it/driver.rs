//! A scripted driver for the router's state machine: each attempt takes 100 ms and is answered
//! by a closure, so tests can state exactly what providers do.

use std::time::Duration;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::router::{
    AttemptFailure, CallResult, Completion, ErrorClass, Outcome, RequestSpec, Router, Step,
};
use switchyard::time::Time;

/// One attempt as the driver saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct Attempt {
    pub at: Time,
    pub deployment: String,
}

/// A request's whole life.
#[derive(Debug, Clone)]
pub struct Life {
    pub attempts: Vec<Attempt>,
    pub result: CallResult,
    pub end: Time,
    pub cooled: Vec<String>,
}

pub fn ok() -> Outcome {
    Outcome::Success(Completion {
        input_tokens: 10,
        output_tokens: 10,
        latency: Duration::from_millis(100),
        time_to_first_token: Duration::from_millis(50),
    })
}

pub fn fail(class: ErrorClass) -> Outcome {
    Outcome::Failure(AttemptFailure {
        class,
        retry_after: None,
        latency: Duration::from_millis(100),
    })
}

/// Drives one request for `model` from `start`; each attempt takes 100 ms and is answered by
/// `answer(deployment id)`.
pub fn drive(
    r: &mut Router,
    rng: &mut Xoshiro256PlusPlus,
    model: &str,
    start: Time,
    answer: &mut dyn FnMut(&str) -> Outcome,
) -> Life {
    let spec = RequestSpec::new(r.resolve(model), 100);
    drive_spec(r, rng, spec, start, answer)
}

pub fn drive_spec(
    r: &mut Router,
    rng: &mut Xoshiro256PlusPlus,
    spec: RequestSpec,
    start: Time,
    answer: &mut dyn FnMut(&str) -> Outcome,
) -> Life {
    let mut call = r.start(spec);
    let mut now = start;
    let mut attempts = Vec::new();
    let mut cooled = Vec::new();
    for _ in 0..1000 {
        match r.next_step(&mut call, now, rng) {
            Step::Send {
                attempt,
                deployment,
                ..
            } => {
                let id = r.table().deployment(deployment).config.id.clone();
                assert!(
                    !r.health(deployment).is_cooling(now),
                    "an attempt went to {id}, which is cooling"
                );
                attempts.push(Attempt {
                    at: now,
                    deployment: id.clone(),
                });
                now = now + Duration::from_millis(100);
                let recorded = r.record(&mut call, attempt, &answer(&id), now, rng);
                if recorded.cooldown.is_some() {
                    cooled.push(id);
                }
            }
            Step::Pending { .. } => panic!("nothing is in flight between two steps"),
            Step::Wait { until } => {
                assert!(until > now, "a wait must move time forward");
                now = until;
            }
            Step::Finish(result) => {
                return Life {
                    attempts,
                    result,
                    end: now,
                    cooled,
                };
            }
        }
    }
    panic!("the request never finished");
}

pub fn ids(life: &Life) -> Vec<&str> {
    life.attempts
        .iter()
        .map(|a| a.deployment.as_str())
        .collect()
}

pub fn failed_class(life: &Life) -> ErrorClass {
    match life.result {
        CallResult::Failed(f) => f.class,
        CallResult::Served(_) => panic!("expected a failure, got {:?}", life.result),
    }
}

pub fn group_of(n: usize, name: &str, extra: &str) -> String {
    (0..n)
        .map(|i| {
            format!(
                "  - {{model_name: {name}, litellm_params: {{model: openai/{name}{i}{extra}}}, model_info: {{id: {name}-{i}}}}}\n"
            )
        })
        .collect()
}

pub fn rng() -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(11)
}
