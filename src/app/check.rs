//! `switchyard check`: run scenarios, evaluate their expectations, compare with baselines.
//!
//! Each scenario runs every policy once on its own seed (comparative expectations run
//! `compare` over their seeds); each expectation gives one pass/fail result with the measured
//! value. Results can be written as JUnit XML. A baseline directory holds each scenario's
//! `summary.json`; a metric that got worse beyond its tolerance is a regression.
//!
//! It decides what is checked and the pass/fail wording; it must not print (the command line
//! does) or read expectations' syntax (the scenario does).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde_json::Value;

use super::compare::compare;
use super::expectations::{holds, lookup};
use super::runner::simulate_quietly;
use super::validation::load_runnable;
use crate::config::yaml::EnvLookup;
use crate::report::{PolicySummary, Summary};
use crate::scenario::Scenario;

/// One checked claim.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckResult {
    /// The scenario's name.
    pub scenario: String,
    /// What was checked, in words.
    pub name: String,
    /// Whether it held.
    pub passed: bool,
    /// The measured value or the reason, in words.
    pub detail: String,
}

/// The scenario files under `paths` (directories give their `*.yaml`, sorted).
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut files: Vec<PathBuf> = std::fs::read_dir(p)
                .with_context(|| format!("cannot read directory {}", p.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|f| f.extension().is_some_and(|x| x == "yaml" || x == "yml"))
                .collect();
            files.sort();
            out.extend(files);
        } else {
            out.push(p.clone());
        }
    }
    Ok(out)
}

/// Runs every policy of `scenario` on its seed: the summary `summary.json` would hold.
pub fn summarize(scenario: &Scenario) -> Result<Summary> {
    let mut summary = Summary {
        scenario: scenario.name.clone(),
        seed: scenario.seed,
        duration_s: scenario.duration.as_secs_f64(),
        switchyard_version: env!("CARGO_PKG_VERSION").to_string(),
        partial: None,
        policies: Default::default(),
    };
    for policy in &scenario.policies {
        let stats = simulate_quietly(scenario, policy, scenario.seed)?;
        let table = &scenario.config.table;
        summary
            .policies
            .insert(policy.name.clone(), PolicySummary::new(&stats, table));
    }
    Ok(summary)
}

/// Evaluates `scenario`'s expectations against `summary` (and runs comparisons as needed).
pub fn evaluate(scenario: &Scenario, summary: &Summary) -> Result<Vec<CheckResult>> {
    let mut out = Vec::new();
    for e in &scenario.expect.simple {
        for (name, p) in &summary.policies {
            if e.policy.as_ref().is_some_and(|only| only != name) {
                continue;
            }
            let json = serde_json::to_value(p)?;
            let (passed, detail) = match lookup(&json, &e.metric) {
                Some(v) => (holds(e, v), format!("measured {}", fmt(v))),
                None => (false, format!("no metric {:?} in the summary", e.metric)),
            };
            out.push(CheckResult {
                scenario: scenario.name.clone(),
                name: format!("{name}: {}", e.text),
                passed,
                detail,
            });
        }
    }
    for c in &scenario.expect.comparative {
        let seeds: Vec<u64> = (0..c.seeds)
            .map(|i| scenario.seed.wrapping_add(i))
            .collect();
        let comparison = compare(scenario, &seeds, &c.than, &|| {})?;
        let m = comparison
            .policies
            .iter()
            .find(|p| p.policy == c.policy)
            .and_then(|p| p.metrics.iter().find(|m| m.metric == c.metric));
        let (passed, detail) = match m.and_then(|m| m.difference) {
            Some(d) => {
                let passed = if c.lower { d.high < 0.0 } else { d.low > 0.0 };
                (
                    passed,
                    format!(
                        "difference {} [{}, {}]",
                        fmt(d.mean),
                        fmt(d.low),
                        fmt(d.high)
                    ),
                )
            }
            None => (false, "no comparison".to_string()),
        };
        out.push(CheckResult {
            scenario: scenario.name.clone(),
            name: c.text.clone(),
            passed,
            detail,
        });
    }
    Ok(out)
}

fn fmt(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.4}")
    }
}

/// Metrics compared with a baseline, and whether more is worse.
const BASELINE_METRICS: &[(&str, bool)] = &[
    ("success_rate", false),
    ("latency_ms.mean", true),
    ("latency_ms.p50", true),
    ("latency_ms.p95", true),
    ("latency_ms.p99", true),
    ("cost_usd", true),
    ("attempts", true),
    ("retries", true),
    ("fallbacks", true),
];

/// Compares `summary` with the saved baseline: a metric worse by more than its tolerance
/// (absolute + relative × baseline; default relative 5 %) is a regression.
pub fn against_baseline(
    scenario: &Scenario,
    summary: &Summary,
    baseline: &Value,
) -> Vec<CheckResult> {
    let mut out = Vec::new();
    for (name, p) in &summary.policies {
        let Ok(now) = serde_json::to_value(p) else {
            continue;
        };
        let Some(before) = baseline.get("policies").and_then(|b| b.get(name)) else {
            out.push(CheckResult {
                scenario: scenario.name.clone(),
                name: format!("{name}: baseline"),
                passed: false,
                detail: "policy missing from the baseline (run with --update-baseline)".to_string(),
            });
            continue;
        };
        for (metric, more_is_worse) in BASELINE_METRICS {
            let (Some(a), Some(b)) = (lookup(&now, metric), lookup(before, metric)) else {
                continue;
            };
            let (abs, rel) = scenario
                .baseline_tolerance
                .get(*metric)
                .copied()
                .unwrap_or((0.0, 0.05));
            let allowed = abs + rel * b.abs();
            let worse_by = if *more_is_worse { a - b } else { b - a };
            out.push(CheckResult {
                scenario: scenario.name.clone(),
                name: format!("{name}: {metric} within baseline"),
                passed: worse_by <= allowed + 1e-12,
                detail: format!(
                    "{} now, {} in the baseline (tolerance {})",
                    fmt(a),
                    fmt(b),
                    fmt(allowed)
                ),
            });
        }
    }
    out
}

/// The outcome of checking a set of paths.
#[derive(Debug, Clone, Default)]
pub struct CheckRun {
    /// Every result, in scenario order.
    pub results: Vec<CheckResult>,
    /// Files that could not be loaded, with the error.
    pub invalid: Vec<String>,
}

/// Checks every scenario under `paths`.
pub fn check(
    paths: &[PathBuf],
    env: &dyn EnvLookup,
    baseline: Option<&Path>,
    update_baseline: bool,
) -> Result<CheckRun> {
    let mut run = CheckRun::default();
    for file in scenario_files(paths)? {
        let scenario = match load_runnable(&file, env) {
            Ok(s) => s,
            Err(e) => {
                run.invalid.push(e.to_string());
                continue;
            }
        };
        let summary = summarize(&scenario)?;
        run.results.extend(evaluate(&scenario, &summary)?);
        if let Some(dir) = baseline {
            let path = dir.join(format!("{}.json", scenario.name));
            if update_baseline {
                std::fs::create_dir_all(dir).with_context(|| {
                    format!("cannot create the baseline directory {}", dir.display())
                })?;
                let mut json = serde_json::to_string_pretty(&summary)?;
                json.push('\n');
                std::fs::write(&path, json)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            } else {
                match std::fs::read_to_string(&path) {
                    Ok(text) => {
                        let saved: Value = serde_json::from_str(&text)
                            .with_context(|| format!("{}: not a summary.json", path.display()))?;
                        run.results
                            .extend(against_baseline(&scenario, &summary, &saved));
                    }
                    Err(_) => run.results.push(CheckResult {
                        scenario: scenario.name.clone(),
                        name: "baseline".to_string(),
                        passed: false,
                        detail: format!(
                            "no baseline at {} (run with --update-baseline)",
                            path.display()
                        ),
                    }),
                }
            }
        }
    }
    Ok(run)
}

fn xml(text: &str) -> String {
    crate::report::html::escape(text).replace('\'', "&apos;")
}

/// JUnit XML: one test suite per scenario, one test case per result.
pub fn junit(run: &CheckRun) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let failures = run.results.iter().filter(|r| !r.passed).count() + run.invalid.len();
    let _ = writeln!(
        out,
        "<testsuites name=\"switchyard\" tests=\"{}\" failures=\"{failures}\">",
        run.results.len() + run.invalid.len()
    );
    let mut scenarios: Vec<&str> = run.results.iter().map(|r| r.scenario.as_str()).collect();
    scenarios.dedup();
    for s in scenarios {
        let cases: Vec<&CheckResult> = run.results.iter().filter(|r| r.scenario == s).collect();
        let failed = cases.iter().filter(|c| !c.passed).count();
        let _ = writeln!(
            out,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\">",
            xml(s),
            cases.len()
        );
        for c in cases {
            let _ = write!(
                out,
                "    <testcase classname=\"{}\" name=\"{}\"",
                xml(s),
                xml(&c.name)
            );
            if c.passed {
                let _ = writeln!(
                    out,
                    "><system-out>{}</system-out></testcase>",
                    xml(&c.detail)
                );
            } else {
                let _ = writeln!(out, "><failure message=\"{}\"/></testcase>", xml(&c.detail));
            }
        }
        out.push_str("  </testsuite>\n");
    }
    if !run.invalid.is_empty() {
        let _ = writeln!(
            out,
            "  <testsuite name=\"invalid input\" tests=\"{0}\" failures=\"{0}\">",
            run.invalid.len()
        );
        for e in &run.invalid {
            let _ = writeln!(
                out,
                "    <testcase classname=\"invalid\" name=\"load\"><failure message=\"{}\"/></testcase>",
                xml(e)
            );
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}
