//! The replay's report data (`replay.json`): each config's metrics over the paired seeds, the
//! candidate's difference to the current config with verdicts, where the attempts' answers
//! came from, and how far the current config's replay agrees with what the log recorded.
//!
//! It decides the report's shape and assembles it from each run's [`RunDigest`]; the intervals
//! are [`super::stats`]', the verdicts [`Verdict`]'s and the tolerances
//! [`crate::replay::tolerance`]'s. It must not run simulations or read logs.

use serde::Serialize;

use super::comparison::{IntervalOut, Verdict};
use super::stats::{CONFIDENCE, mean_interval, paired_difference};
use super::summary::round;
use crate::metrics::{AnswerSources, Direction, METRICS, PolicyStats};
use crate::replay::observed::logged_outcome;
use crate::replay::profiles::ProfileSource;
use crate::replay::tolerance::{self, Tolerance};
use crate::replay::traffic::RecordedTraffic;
use crate::replay::world::ReplayWorld;
use crate::router::ErrorClass;

/// What one replay run measured, kept for the report.
#[derive(Debug, Clone, PartialEq)]
pub struct RunDigest {
    /// In [`METRICS`]' order.
    pub metrics: Vec<f64>,
    /// Served requests per deployment.
    pub served: Vec<u64>,
    /// Requests served.
    pub succeeded: u64,
    /// Where each deployment's attempts got their answers.
    pub answers: Vec<AnswerSources>,
    /// Requests that failed because no deployment serves their model.
    pub unknown_model: u64,
}

impl RunDigest {
    /// The digest of a run's aggregates.
    pub fn of(stats: &PolicyStats) -> RunDigest {
        let mut answers = stats.answer_sources.clone();
        answers.resize(stats.deployments.len(), AnswerSources::default());
        RunDigest {
            metrics: METRICS.iter().map(|m| (m.value)(stats)).collect(),
            served: stats.deployments.iter().map(|d| d.served).collect(),
            succeeded: stats.succeeded,
            answers,
            unknown_model: stats.errors[ErrorClass::UnknownModel as usize],
        }
    }

    fn metric(&self, name: &str) -> f64 {
        METRICS
            .iter()
            .position(|m| m.name == name)
            .map_or(f64::NAN, |i| self.metrics[i])
    }
}

/// One config's runs, for the report.
#[derive(Debug, Clone, Copy)]
pub struct ConfigRuns<'a> {
    /// "candidate" or "current".
    pub role: &'static str,
    /// Its replay world.
    pub world: &'a ReplayWorld,
    /// One digest per seed, in seed order.
    pub runs: &'a [RunDigest],
}

/// A metric of one config over the seeds.
#[derive(Debug, Clone, Serialize)]
pub struct ReplayMetric {
    /// The metric.
    pub metric: &'static str,
    /// Which way is better.
    pub direction: Direction,
    /// Per seed.
    pub values: Vec<f64>,
    /// Mean and 95 % interval.
    pub value: IntervalOut,
    /// Candidate − current, paired by seed (the candidate's, with a current config).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difference: Option<IntervalOut>,
    /// The verdict on the difference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<Verdict>,
}

/// Shares of attempts by where their answer came from, over every seed.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct AnswerShares {
    /// Attempts over every seed.
    pub attempts: u64,
    /// Answered as the log recorded.
    pub observed: f64,
    /// Answered by a profile fitted from the log.
    pub fitted: f64,
    /// Answered by a profile the user gave (never seen in the log).
    pub modelled: f64,
}

/// One deployment of a config's replay.
#[derive(Debug, Clone, Serialize)]
pub struct DeploymentReplay {
    /// Its id.
    pub id: String,
    /// Its model group.
    pub model_name: String,
    /// Where its profile came from.
    pub profile: ProfileSource,
    /// Attempts per run (mean over seeds).
    pub attempts: f64,
    /// Of those, the share answered as logged.
    pub observed_share: f64,
    /// Its share of served requests (mean over seeds).
    pub served_share: f64,
}

/// One config's replay.
#[derive(Debug, Clone, Serialize)]
pub struct ConfigReplay {
    /// "candidate" or "current".
    pub role: &'static str,
    /// The config file.
    pub config: String,
    /// [`METRICS`] over the seeds.
    pub metrics: Vec<ReplayMetric>,
    /// Where the attempts' answers came from.
    pub answers: AnswerShares,
    /// Per deployment, in config order.
    pub deployments: Vec<DeploymentReplay>,
    /// The log's deployments this config does not have.
    pub unmatched_log_deployments: Vec<String>,
    /// Requests whose model this config does not know (they fail as `UnknownModel`).
    pub unknown_model_requests: u64,
}

/// One measure of the log against the replay.
#[derive(Debug, Clone, Serialize)]
pub struct TrustRow {
    /// What is compared.
    pub measure: String,
    /// What the log recorded.
    pub logged: f64,
    /// The replay's mean over seeds.
    pub replayed: f64,
    /// Replayed − logged.
    pub difference: f64,
    /// The tolerance.
    pub tolerance: Tolerance,
    /// Whether the difference is within it.
    pub within: bool,
}

/// How far to trust the replay: a config's replay held against the log.
#[derive(Debug, Clone, Serialize)]
pub struct TrustCheck {
    /// Which config was held against the log ("current", or "candidate" without one).
    pub role: &'static str,
    /// Every measure.
    pub rows: Vec<TrustRow>,
    /// Whether every measure is within tolerance.
    pub all_within: bool,
}

/// A row the reader skipped.
#[derive(Debug, Clone, Serialize)]
pub struct SkippedRow {
    /// Its line.
    pub line: u64,
    /// Why.
    pub reason: String,
}

/// The whole report (`replay.json`).
#[derive(Debug, Clone, Serialize)]
pub struct ReplayReport {
    /// The log file.
    pub log: String,
    /// The format it was read as.
    pub format: &'static str,
    /// Requests replayed.
    pub requests: u64,
    /// Whether the log records every attempt (else only each request's last).
    pub every_attempt: bool,
    /// The seeds, in order.
    pub seeds: Vec<u64>,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// The candidate config's replay.
    pub candidate: ConfigReplay,
    /// The current config's replay, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub current: Option<ConfigReplay>,
    /// The replay held against the log.
    pub trust: TrustCheck,
    /// Rows skipped as bad.
    pub skipped_rows: Vec<SkippedRow>,
    /// Warnings (unknown models, unmatched deployments).
    pub warnings: Vec<String>,
}

/// The report of `candidate`'s (and `current`'s) runs of `traffic` on `seeds`.
pub fn replay_report(
    traffic: &RecordedTraffic,
    seeds: &[u64],
    candidate: ConfigRuns<'_>,
    current: Option<ConfigRuns<'_>>,
) -> ReplayReport {
    let cand = config_replay(traffic, candidate, current);
    let cur = current.map(|c| config_replay(traffic, c, None));
    let reference = current.unwrap_or(candidate);
    let mut warnings = Vec::new();
    for c in std::iter::once(&cand).chain(cur.iter()) {
        warnings.extend(warnings_of(c));
    }
    ReplayReport {
        log: traffic.file.clone(),
        format: traffic.format.name(),
        requests: traffic.requests.len() as u64,
        every_attempt: traffic.every_attempt,
        seeds: seeds.to_vec(),
        confidence: CONFIDENCE,
        candidate: cand,
        current: cur,
        trust: trust_check(traffic, reference),
        skipped_rows: traffic
            .skipped
            .iter()
            .map(|b| SkippedRow {
                line: b.line,
                reason: b.reason.clone(),
            })
            .collect(),
        warnings,
    }
}

fn warnings_of(c: &ConfigReplay) -> Vec<String> {
    let mut w = Vec::new();
    if c.unknown_model_requests > 0 {
        w.push(format!(
            "{} ({}): {} logged requests ask for a model it does not know; they fail as UnknownModel",
            c.role, c.config, c.unknown_model_requests
        ));
    }
    if !c.unmatched_log_deployments.is_empty() {
        w.push(format!(
            "{} ({}): the log's deployments {} are not in it; their recorded answers are not replayed",
            c.role,
            c.config,
            c.unmatched_log_deployments.join(", ")
        ));
    }
    w
}

fn config_replay(
    traffic: &RecordedTraffic,
    runs: ConfigRuns<'_>,
    against: Option<ConfigRuns<'_>>,
) -> ConfigReplay {
    let world = runs.world;
    ConfigReplay {
        role: runs.role,
        config: world.config.file.clone(),
        metrics: metrics(runs.runs, against.map(|a| a.runs)),
        answers: answer_shares(runs),
        deployments: deployments(runs),
        unmatched_log_deployments: world.unmatched(traffic),
        unknown_model_requests: runs.runs.first().map_or(0, |r| r.unknown_model),
    }
}

fn metrics(runs: &[RunDigest], against: Option<&[RunDigest]>) -> Vec<ReplayMetric> {
    let series =
        |rs: &[RunDigest], m: usize| -> Vec<f64> { rs.iter().map(|r| r.metrics[m]).collect() };
    METRICS
        .iter()
        .enumerate()
        .map(|(m, metric)| {
            let values = series(runs, m);
            let diff = against.map(|a| paired_difference(&values, &series(a, m)));
            ReplayMetric {
                metric: metric.name,
                direction: metric.direction,
                value: mean_interval(&values).into(),
                values: values.iter().map(|v| round(*v, 6)).collect(),
                difference: diff.map(Into::into),
                verdict: diff.map(|d| Verdict::judge(metric.direction, &d)),
            }
        })
        .collect()
}

fn share(part: f64, whole: f64) -> f64 {
    if whole == 0.0 {
        0.0
    } else {
        round(part / whole, 6)
    }
}

fn answer_shares(runs: ConfigRuns<'_>) -> AnswerShares {
    let sources = &runs.world.profiles.sources;
    let (mut observed, mut fitted, mut modelled) = (0u64, 0u64, 0u64);
    for r in runs.runs {
        for (d, a) in r.answers.iter().enumerate() {
            observed += a.observed;
            match sources[d] {
                ProfileSource::Fitted => fitted += a.profiled,
                ProfileSource::Modelled => modelled += a.profiled,
            }
        }
    }
    let attempts = observed + fitted + modelled;
    let s = |n: u64| share(n as f64, attempts as f64);
    AnswerShares {
        attempts,
        observed: s(observed),
        fitted: s(fitted),
        modelled: s(modelled),
    }
}

fn deployments(runs: ConfigRuns<'_>) -> Vec<DeploymentReplay> {
    let n = runs.runs.len().max(1) as f64;
    let world = runs.world;
    world
        .config
        .deployments
        .iter()
        .enumerate()
        .map(|(d, config)| {
            let observed: u64 = runs.runs.iter().map(|r| r.answers[d].observed).sum();
            let attempts: u64 = runs
                .runs
                .iter()
                .map(|r| r.answers[d].observed + r.answers[d].profiled)
                .sum();
            let served_share = runs
                .runs
                .iter()
                .map(|r| share(r.served[d] as f64, r.succeeded as f64))
                .sum::<f64>()
                / n;
            DeploymentReplay {
                id: config.id.clone(),
                model_name: config.model_name.clone(),
                profile: world.profiles.sources[d],
                attempts: round(attempts as f64 / n, 3),
                observed_share: share(observed as f64, attempts as f64),
                served_share: round(served_share, 6),
            }
        })
        .collect()
}

fn mean_of(runs: &[RunDigest], f: impl Fn(&RunDigest) -> f64) -> f64 {
    runs.iter().map(f).sum::<f64>() / runs.len().max(1) as f64
}

fn row(measure: impl Into<String>, logged: f64, replayed: f64, tolerance: Tolerance) -> TrustRow {
    TrustRow {
        measure: measure.into(),
        logged: round(logged, 6),
        replayed: round(replayed, 6),
        difference: round(replayed - logged, 6),
        tolerance,
        within: tolerance.accepts(logged, replayed),
    }
}

/// The reference config's replay against the log: success rate, latency percentiles, spend
/// (when logged) and each deployment's share of served requests.
fn trust_check(traffic: &RecordedTraffic, reference: ConfigRuns<'_>) -> TrustCheck {
    let logged = logged_outcome(traffic);
    let runs = reference.runs;
    let mut rows = vec![row(
        "success_rate",
        logged.success_rate(),
        mean_of(runs, |r| r.metric("success_rate")),
        tolerance::SUCCESS_RATE,
    )];
    for (i, (name, tol)) in [
        ("latency_p50_ms", tolerance::LATENCY_P50),
        ("latency_p95_ms", tolerance::LATENCY_P95),
        ("latency_p99_ms", tolerance::LATENCY_P99),
    ]
    .into_iter()
    .enumerate()
    {
        rows.push(row(
            name,
            logged.latency_ms[i],
            mean_of(runs, |r| r.metric(name)),
            tol,
        ));
    }
    if let Some(cost) = logged.cost_usd {
        rows.push(row(
            "cost_usd",
            cost,
            mean_of(runs, |r| r.metric("cost_usd")),
            tolerance::SPEND,
        ));
    }
    rows.extend(share_rows(
        traffic,
        reference,
        &logged.served_by,
        logged.succeeded,
    ));
    TrustCheck {
        role: reference.role,
        all_within: rows.iter().all(|r| r.within),
        rows,
    }
}

/// Each config deployment's share of served requests, logged and replayed; then each logged
/// deployment the config lacks (replayed share 0).
fn share_rows(
    traffic: &RecordedTraffic,
    reference: ConfigRuns<'_>,
    served_by: &[u64],
    succeeded: u64,
) -> Vec<TrustRow> {
    let world = reference.world;
    let mut logged = vec![0u64; world.config.deployments.len()];
    let mut rows = Vec::new();
    for (r, &n) in served_by.iter().enumerate() {
        match world.config_index[r] {
            Some(d) => logged[d] += n,
            None if n > 0 => rows.push(row(
                format!(
                    "share {} (not in the config)",
                    traffic.deployments[r].label()
                ),
                share(n as f64, succeeded as f64),
                0.0,
                tolerance::SHARE,
            )),
            None => {}
        }
    }
    let mut shares: Vec<TrustRow> = world
        .config
        .deployments
        .iter()
        .enumerate()
        .map(|(d, config)| {
            row(
                format!("share {}", config.id),
                share(logged[d] as f64, succeeded as f64),
                mean_of(reference.runs, |r| {
                    share(r.served[d] as f64, r.succeeded as f64)
                }),
                tolerance::SHARE,
            )
        })
        .collect();
    shares.extend(rows);
    shares
}
