//! The record of one finished request, as the engine (and later the live proxy) emits it.
//!
//! It decides what is known about a request when it ends; aggregation and formatting are
//! elsewhere. Records are `Copy` and carry indexes, not strings, so emitting one allocates
//! nothing.

use std::time::Duration;

use crate::router::{CallResult, Cooldown, DeploymentIdx, ErrorClass, GroupFailure, GroupIdx};
use crate::time::Time;

/// One finished request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RequestRecord<'a> {
    /// Sequence number of the request in its run, from 0.
    pub id: u64,
    /// When it arrived.
    pub arrival: Time,
    /// When it ended (served or failed).
    pub end: Time,
    /// Index of its class in the workload's mix.
    pub class: u32,
    /// How it ended.
    pub result: CallResult,
    /// From arrival to the first token of the answer (served requests only).
    pub time_to_first_token: Option<Duration>,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens (of the answer; 0 when failed).
    pub output_tokens: u32,
    /// What the answer cost (0 when failed).
    pub cost_usd: f64,
    /// The groups that failed before the end, in the order tried.
    pub failed_groups: &'a [GroupFailure],
    /// The group tried last (the one that served, or the last that failed); `None` for a
    /// name nothing matched.
    pub final_group: Option<GroupIdx>,
    /// The client's own retries before the gateway call that ended the request.
    pub client: ClientTries,
}

/// What a client that retries by itself did before its last gateway call; all zero when it
/// made one call.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ClientTries {
    /// Client retries: gateway calls after the first.
    pub retries: u32,
    /// Provider attempts made by the earlier gateway calls.
    pub earlier_attempts: u32,
    /// Gateway retries made by the earlier gateway calls.
    pub earlier_retries: u32,
}

impl RequestRecord<'_> {
    /// From arrival to end.
    pub fn latency(&self) -> Duration {
        self.end - self.arrival
    }

    /// [`RequestRecord::latency`] in whole microseconds, without going through a `Duration`.
    pub fn latency_micros(&self) -> u64 {
        self.end.micros_since(self.arrival)
    }

    /// The deployment that served it, or that made its last attempt.
    pub fn deployment(&self) -> Option<DeploymentIdx> {
        match self.result {
            CallResult::Served(s) => Some(s.deployment),
            CallResult::Failed(f) => f.last_deployment,
        }
    }

    /// The final error's class, if it failed.
    pub fn error_class(&self) -> Option<ErrorClass> {
        match self.result {
            CallResult::Served(_) => None,
            CallResult::Failed(f) => Some(f.class),
        }
    }

    /// Gateway retries made (in the group that ended each gateway call), over all the
    /// client's calls.
    pub fn retries(&self) -> u32 {
        let last = match self.result {
            CallResult::Served(s) => s.retries,
            CallResult::Failed(f) => f.retries,
        };
        last.saturating_add(self.client.earlier_retries)
    }

    /// Provider attempts made, over all the client's gateway calls.
    pub fn attempts(&self) -> u32 {
        self.result
            .attempts()
            .saturating_add(self.client.earlier_attempts)
    }

    /// Attempted fallbacks, as LiteLLM's `x-litellm-attempted-fallbacks` counts them.
    pub fn fallbacks(&self) -> u32 {
        match self.result {
            CallResult::Served(s) => s.fallbacks,
            CallResult::Failed(f) => f.fallbacks,
        }
    }
}

/// Receives every attempt and every finished request of a run.
pub trait RecordSink {
    /// An attempt at `deployment` ended, successfully or not.
    fn attempt(&mut self, _deployment: DeploymentIdx, _ok: bool) {}

    /// `deployment` was put in cooldown at `now`.
    fn cooldown(&mut self, _deployment: DeploymentIdx, _now: Time, _cooldown: Cooldown) {}

    /// In a replay, an attempt was sent to `deployment` and will get the answer the log
    /// recorded (`observed`) or its profile's.
    fn answered(&mut self, _deployment: DeploymentIdx, _observed: bool) {}

    /// A budget's spend in its current window at `at` (sampled once a minute).
    fn budget_sample(&mut self, _at: Time, _budget: &str, _spent: f64, _limit: f64) {}

    /// A request ended.
    fn request(&mut self, record: &RequestRecord<'_>);

    /// Whether the run should take no more arrivals (the user pressed Ctrl-C). The engine asks
    /// at each arrival; requests already in progress still finish, so a stopped run is a
    /// complete run of a shorter arrival window.
    fn stop_requested(&self) -> bool {
        false
    }
}

/// A sink that drops everything (benchmarks measure the engine alone).
#[derive(Debug, Default, Clone, Copy)]
pub struct Discard;

impl RecordSink for Discard {
    fn request(&mut self, _record: &RequestRecord<'_>) {}
}

impl<A: RecordSink, B: RecordSink> RecordSink for (A, B) {
    fn stop_requested(&self) -> bool {
        self.0.stop_requested() || self.1.stop_requested()
    }

    fn attempt(&mut self, deployment: DeploymentIdx, ok: bool) {
        self.0.attempt(deployment, ok);
        self.1.attempt(deployment, ok);
    }

    fn cooldown(&mut self, deployment: DeploymentIdx, now: Time, cooldown: Cooldown) {
        self.0.cooldown(deployment, now, cooldown);
        self.1.cooldown(deployment, now, cooldown);
    }

    fn answered(&mut self, deployment: DeploymentIdx, observed: bool) {
        self.0.answered(deployment, observed);
        self.1.answered(deployment, observed);
    }

    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        self.0.budget_sample(at, budget, spent, limit);
        self.1.budget_sample(at, budget, spent, limit);
    }

    fn request(&mut self, record: &RequestRecord<'_>) {
        self.0.request(record);
        self.1.request(record);
    }
}

impl<S: RecordSink + ?Sized> RecordSink for &mut S {
    fn attempt(&mut self, deployment: DeploymentIdx, ok: bool) {
        (**self).attempt(deployment, ok);
    }

    fn cooldown(&mut self, deployment: DeploymentIdx, now: Time, cooldown: Cooldown) {
        (**self).cooldown(deployment, now, cooldown);
    }

    fn answered(&mut self, deployment: DeploymentIdx, observed: bool) {
        (**self).answered(deployment, observed);
    }

    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        (**self).budget_sample(at, budget, spent, limit);
    }

    fn request(&mut self, record: &RequestRecord<'_>) {
        (**self).request(record);
    }

    fn stop_requested(&self) -> bool {
        (**self).stop_requested()
    }
}
