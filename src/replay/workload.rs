//! The simulator workload of a replay: the log's requests at their logged instants, one request
//! class per distinct [`RequestKind`], exact logged token counts, and the logged answers.
//!
//! It decides how recorded traffic becomes a [`WorkloadSpec`] whose request `i` is the log's
//! request `i` (the engine's request ids then index the log), and how long the run lasts: the
//! last arrival plus the longest logged request, so every request can end inside the run's
//! timeline. It must not fit profiles or run the simulation.

use std::sync::Arc;
use std::time::Duration;

use crate::replay::answers::push_answers;
use crate::replay::traffic::{RecordedTraffic, RequestKind};
use crate::sim::{
    ArrivalProcess, Distribution, RecordedArrival, Recording, RequestClass, WorkloadSpec,
};

/// The workload replaying `traffic` against a config whose deployments the log's deployments
/// match as `config_index` says.
pub fn replay_workload(traffic: &RecordedTraffic, config_index: &[Option<usize>]) -> WorkloadSpec {
    WorkloadSpec {
        process: ArrivalProcess::Constant,
        rate: 0.0,
        rate_changes: Vec::new(),
        mix: traffic.kinds.iter().enumerate().map(class).collect(),
        closed: None,
        script: Vec::new(),
        recorded: Some(Arc::new(recording(traffic, config_index))),
    }
}

/// The arrivals and answers, request by request.
pub fn recording(traffic: &RecordedTraffic, config_index: &[Option<usize>]) -> Recording {
    let mut answers = Vec::with_capacity(traffic.attempts.len());
    let arrivals = traffic
        .requests
        .iter()
        .map(|r| {
            let start = answers.len() as u32;
            push_answers(traffic, r, config_index, &mut answers);
            RecordedArrival {
                at: r.at,
                class: r.kind,
                input_tokens: r.input_tokens,
                output_tokens: r.output_tokens,
                answers_start: start,
                answers_end: answers.len() as u32,
            }
        })
        .collect();
    Recording { arrivals, answers }
}

/// How long a replay of `traffic` runs: the last arrival plus the longest logged request (at
/// least a second), so the timeline covers every request's end.
pub fn replay_duration(traffic: &RecordedTraffic) -> Duration {
    let longest = traffic
        .requests
        .iter()
        .map(|r| r.duration.as_duration())
        .max()
        .unwrap_or_default();
    let last = traffic.last_arrival().since(crate::time::Time::ZERO);
    last + longest.max(Duration::from_secs(1))
}

/// The request class of the `i`th kind: its model, tags, streaming and own settings; the
/// token draws are never used (every request carries its logged tokens).
fn class((i, kind): (usize, &RequestKind)) -> RequestClass {
    let zero = || Distribution::constant(0.0).expect("zero is a valid constant");
    RequestClass {
        name: format!("kind-{i}"),
        weight: 1.0,
        model: kind.model.clone(),
        input_tokens: zero(),
        output_tokens: zero(),
        tags: kind.tags.clone(),
        stream: kind.stream,
        category: None,
        num_retries: kind.num_retries,
        fallbacks: kind.fallbacks.clone(),
        disable_fallbacks: kind.disable_fallbacks,
        timeout: kind.timeout,
        prompts: Vec::new(),
        client: None,
    }
}
