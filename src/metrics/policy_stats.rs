//! Streaming aggregates of one policy's run: counts, a latency histogram, cost, errors by class
//! and per-deployment counters.
//!
//! Memory does not grow with the number of requests: latency quantiles come from an HDR
//! histogram (microseconds, 3 significant digits), the mean and maximum are exact. It decides
//! what is counted and kept; it must not round or format (reports do).

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::record::{RecordSink, RequestRecord};
use crate::router::{CallResult, Cooldown, CooldownReason, DeploymentIdx, ErrorClass, GroupIdx};
use crate::time::Time;

/// One cooldown, for the report's timeline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CooldownEvent {
    /// The deployment cooled.
    pub deployment: DeploymentIdx,
    /// From.
    pub start: Time,
    /// Until.
    pub end: Time,
    /// Why.
    pub reason: CooldownReason,
}

/// A budget's state at the end of a run.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetState {
    /// `provider:openai`, `deployment:<id>` or `tag:<name>`.
    pub key: String,
    /// USD per period.
    pub limit: f64,
    /// Spend over the whole run.
    pub spent: f64,
    /// When spend first reached the limit.
    pub exhausted_at: Option<Time>,
    /// Windows opened after the first.
    pub window_resets: u32,
}

/// A budget's spend at a sampling instant.
#[derive(Debug, Clone, PartialEq)]
pub struct BudgetSample {
    /// When.
    pub at: Time,
    /// `provider:…`, `deployment:…` or `tag:…`.
    pub key: String,
    /// Spend in the current window.
    pub spent: f64,
    /// The limit.
    pub limit: f64,
}

/// Requests by arrival time, in fixed buckets, for charts over time. Memory grows with the
/// run's duration, never with its number of requests.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timeline {
    /// Bucket width.
    pub width: Duration,
    /// Requests that arrived in each bucket.
    pub requests: Vec<u64>,
    /// Of those, the ones served.
    pub succeeded: Vec<u64>,
    /// Served requests per bucket and deployment: `served[bucket * deployments + d]`.
    pub served: Vec<u64>,
    /// Deployments per bucket row.
    pub deployments: usize,
}

impl Timeline {
    /// Buckets of `width` covering `duration`, for `deployments` deployments.
    pub fn new(duration: Duration, width: Duration, deployments: usize) -> Self {
        let n = (duration.as_secs_f64() / width.as_secs_f64().max(1e-9))
            .ceil()
            .max(1.0) as usize;
        Timeline {
            width,
            requests: vec![0; n],
            succeeded: vec![0; n],
            served: vec![0; n * deployments],
            deployments,
        }
    }

    /// A bucket width giving about 120 buckets, rounded to a whole number of seconds.
    pub fn width_for(duration: Duration) -> Duration {
        Duration::from_secs((duration.as_secs_f64() / 120.0).round().max(1.0) as u64)
    }

    fn bucket(&self, at: Time) -> usize {
        let i = (at.as_secs_f64() / self.width.as_secs_f64().max(1e-9)) as usize;
        i.min(self.requests.len().saturating_sub(1))
    }
}

/// A step of a fallback path: a group, or a name nothing matched.
pub type PathStep = Option<GroupIdx>;

/// Counters of one deployment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DeploymentStats {
    /// Requests it answered successfully.
    pub served: u64,
    /// Attempts sent to it.
    pub attempts: u64,
    /// Attempts that failed.
    pub failures: u64,
    /// Times it was put in cooldown.
    pub cooldowns: u64,
}

/// Where a replay's attempts at one deployment got their answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AnswerSources {
    /// Attempts answered as the log recorded (the same request on the same deployment).
    pub observed: u64,
    /// Attempts answered by the deployment's profile (fitted from the log, or modelled).
    pub profiled: u64,
}

/// Latency quantiles in milliseconds; `summary.json` writes it as `latency_ms`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Exact mean.
    pub mean: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// 95th percentile.
    pub p95: f64,
    /// 99th percentile.
    pub p99: f64,
    /// Exact maximum.
    pub max: f64,
}

impl LatencySummary {
    /// The summary with `f` applied to every figure (a report rounds them).
    pub fn map(self, f: impl Fn(f64) -> f64) -> LatencySummary {
        LatencySummary {
            mean: f(self.mean),
            p50: f(self.p50),
            p90: f(self.p90),
            p95: f(self.p95),
            p99: f(self.p99),
            max: f(self.max),
        }
    }
}

/// Aggregates of one policy's run.
#[derive(Debug, Clone)]
pub struct PolicyStats {
    /// Requests that ended.
    pub requests: u64,
    /// Requests served.
    pub succeeded: u64,
    /// Requests failed.
    pub failed: u64,
    /// Attempts in all.
    pub attempts: u64,
    /// Retries in all.
    pub retries: u64,
    /// Requests served or failed after falling back, each weighted by its attempted-fallbacks
    /// count.
    pub fallbacks: u64,
    /// Spend on served requests.
    pub cost_usd: f64,
    /// Failed requests by final error class.
    pub errors: [u64; ErrorClass::ALL.len()],
    /// Per deployment, indexed by [`DeploymentIdx`].
    pub deployments: Vec<DeploymentStats>,
    /// Every cooldown, in time order.
    pub cooldown_events: Vec<CooldownEvent>,
    /// Requests that fell back, by the path of groups they went through.
    pub fallbacks_by_path: BTreeMap<Vec<PathStep>, u64>,
    /// Requests by number of attempts (index = attempts).
    pub attempts_histogram: Vec<u64>,
    /// Budgets at the end of the run.
    pub budgets: Vec<BudgetState>,
    /// Budget spend sampled once a minute.
    pub budget_samples: Vec<BudgetSample>,
    /// Requests over time.
    pub timeline: Timeline,
    /// Client retries in all (gateway calls a client made after its first).
    pub client_retries: u64,
    /// Whether the workload's clients retry by themselves (the report then shows their view).
    pub uses_client_retries: bool,
    /// Whether a closed loop stopped sending at the simulator's request limit.
    pub request_limit_reached: bool,
    /// When arrivals stopped early because the sink asked ([`super::RecordSink::stop_requested`]):
    /// the run covers arrivals before this instant only.
    pub stopped_at: Option<Time>,
    /// What the fleet did, when the run simulated several gateway instances (`instances:`).
    pub fleet: Option<super::FleetStats>,
    /// In a replay, per deployment, where its attempts got their answers (empty otherwise).
    pub answer_sources: Vec<AnswerSources>,
    latency_us: Histogram<u64>,
    ttft_us: Histogram<u64>,
    latency_sum_us: f64,
    latency_max_us: u64,
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

impl PolicyStats {
    /// Empty aggregates for `deployments` deployments.
    pub fn new(deployments: usize) -> Self {
        let hist = || {
            // Up to ~11.5 days in microseconds with 3 significant digits: bounded memory.
            Histogram::new_with_bounds(1, 1_000_000_000_000, 3).expect("valid histogram bounds")
        };
        PolicyStats {
            requests: 0,
            succeeded: 0,
            failed: 0,
            attempts: 0,
            retries: 0,
            fallbacks: 0,
            cost_usd: 0.0,
            errors: [0; ErrorClass::ALL.len()],
            deployments: vec![DeploymentStats::default(); deployments],
            cooldown_events: Vec::new(),
            fallbacks_by_path: BTreeMap::new(),
            attempts_histogram: Vec::new(),
            budgets: Vec::new(),
            budget_samples: Vec::new(),
            timeline: Timeline::default(),
            client_retries: 0,
            uses_client_retries: false,
            request_limit_reached: false,
            stopped_at: None,
            fleet: None,
            answer_sources: Vec::new(),
            latency_us: hist(),
            ttft_us: hist(),
            latency_sum_us: 0.0,
            latency_max_us: 0,
        }
    }

    /// Share of requests served (1 when there were none).
    pub fn success_rate(&self) -> f64 {
        if self.requests == 0 {
            1.0
        } else {
            self.succeeded as f64 / self.requests as f64
        }
    }

    /// Latency of served requests, arrival to last token, in milliseconds.
    pub fn latency_ms(&self) -> LatencySummary {
        summarize(&self.latency_us, self.latency_sum_us, self.latency_max_us)
    }

    /// The latency distribution of served requests as (milliseconds, cumulative share) points.
    pub fn latency_cdf(&self) -> Vec<(f64, f64)> {
        if self.latency_us.is_empty() {
            return Vec::new();
        }
        let total = self.latency_us.len() as f64;
        let mut seen = 0u64;
        self.latency_us
            .iter_recorded()
            .map(|v| {
                seen += v.count_at_value();
                (v.value_iterated_to() as f64 / 1000.0, seen as f64 / total)
            })
            .collect()
    }

    /// Time to first token of served requests, p50 and p99 in milliseconds.
    pub fn ttft_ms(&self) -> (f64, f64) {
        let q = |p: f64| self.ttft_us.value_at_quantile(p) as f64 / 1000.0;
        (q(0.5), q(0.99))
    }

    /// Failed requests by class name, classes with no failures left out, in class order.
    pub fn errors_by_class(&self) -> impl Iterator<Item = (ErrorClass, u64)> + '_ {
        ErrorClass::ALL
            .iter()
            .zip(self.errors.iter())
            .filter(|(_, n)| **n > 0)
            .map(|(c, n)| (*c, *n))
    }
}

fn summarize(h: &Histogram<u64>, sum_us: f64, max_us: u64) -> LatencySummary {
    if h.is_empty() {
        return LatencySummary::default();
    }
    let q = |p: f64| h.value_at_quantile(p) as f64 / 1000.0;
    LatencySummary {
        mean: sum_us / h.len() as f64 / 1000.0,
        p50: q(0.50),
        p90: q(0.90),
        p95: q(0.95),
        p99: q(0.99),
        max: max_us as f64 / 1000.0,
    }
}

impl RecordSink for PolicyStats {
    #[inline]
    fn attempt(&mut self, deployment: DeploymentIdx, ok: bool) {
        let d = &mut self.deployments[deployment.get()];
        d.attempts += 1;
        if !ok {
            d.failures += 1;
        }
    }

    fn cooldown(&mut self, deployment: DeploymentIdx, now: Time, cooldown: Cooldown) {
        self.deployments[deployment.get()].cooldowns += 1;
        self.cooldown_events.push(CooldownEvent {
            deployment,
            start: now,
            end: cooldown.until,
            reason: cooldown.reason,
        });
    }

    fn answered(&mut self, deployment: DeploymentIdx, observed: bool) {
        if self.answer_sources.len() < self.deployments.len() {
            self.answer_sources
                .resize(self.deployments.len(), AnswerSources::default());
        }
        let sources = &mut self.answer_sources[deployment.get()];
        if observed {
            sources.observed += 1;
        } else {
            sources.profiled += 1;
        }
    }

    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        self.budget_samples.push(BudgetSample {
            at,
            key: budget.to_string(),
            spent,
            limit,
        });
    }

    #[cfg_attr(not(feature = "profile-parts"), inline)]
    #[cfg_attr(feature = "profile-parts", inline(never))]
    fn request(&mut self, r: &RequestRecord<'_>) {
        self.requests += 1;
        if !self.timeline.requests.is_empty() {
            let b = self.timeline.bucket(r.arrival);
            self.timeline.requests[b] += 1;
            if let CallResult::Served(s) = r.result {
                self.timeline.succeeded[b] += 1;
                self.timeline.served[b * self.timeline.deployments + s.deployment.get()] += 1;
            }
        }
        let attempts = r.attempts() as usize;
        if self.attempts_histogram.len() <= attempts {
            self.attempts_histogram.resize(attempts + 1, 0);
        }
        self.attempts_histogram[attempts] += 1;
        if r.fallbacks() > 0 {
            let mut path: Vec<PathStep> = r.failed_groups.iter().map(|f| f.group).collect();
            path.push(r.final_group);
            path.dedup();
            *self.fallbacks_by_path.entry(path).or_insert(0) += 1;
        }
        self.attempts += u64::from(r.attempts());
        self.client_retries += u64::from(r.client.retries);
        self.retries += u64::from(r.retries());
        self.fallbacks += u64::from(r.fallbacks());
        match r.result {
            CallResult::Served(s) => {
                self.succeeded += 1;
                self.cost_usd += r.cost_usd;
                self.deployments[s.deployment.get()].served += 1;
                let us = r.latency_micros();
                self.latency_us.saturating_record(us.max(1));
                self.latency_sum_us += us as f64;
                self.latency_max_us = self.latency_max_us.max(us);
                if let Some(ttft) = r.time_to_first_token {
                    self.ttft_us.saturating_record(micros(ttft).max(1));
                }
            }
            CallResult::Failed(f) => {
                self.failed += 1;
                // `ErrorClass::ALL` lists the classes in declaration order.
                self.errors[f.class as usize] += 1;
            }
        }
    }
}
