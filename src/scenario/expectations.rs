//! Expectations: what a scenario claims about its results (`expect:`), as read from the file.
//!
//! An expectation is a metric path into a policy's `summary.json` entry (`success_rate`,
//! `latency_ms.p99`, `errors.rate_limit`, `deployments.<id or label>.share`, `cooldown_events`
//! (a count), `budgets.provider:openai.exhausted_at_s` …), a comparison (`>=`, `<=`, `==`, `<`,
//! `>`) or a range (`in a..b`), for every policy or one. A comparative expectation states that
//! one policy has a lower (or higher) value of a `compare` metric than another, significant at
//! 95 % over paired seeds. It decides the syntax and checks the names; it must not run anything
//! or judge results (`switchyard check` does both).

use crate::config::InputError;
use crate::config::yaml::Node;
use crate::metrics::METRICS;
use crate::router::ErrorClass;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Op {
    /// `>=`
    Ge,
    /// `<=`
    Le,
    /// `==`
    Eq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `in a..b` (inclusive)
    Within(f64, f64),
}

/// `metric op value`, for one policy or all.
#[derive(Debug, Clone, PartialEq)]
pub struct Expectation {
    /// The text as written, for reports.
    pub text: String,
    /// The policy it applies to (`None`: every policy).
    pub policy: Option<String>,
    /// The metric's path.
    pub metric: String,
    /// The operator.
    pub op: Op,
    /// The value compared with (unused by ranges).
    pub value: f64,
    /// Where it is written (`expect[2]`), for messages about it.
    pub path: String,
}

/// `policy` has a lower (or higher) `metric` than `than`, significant at 95 % over `seeds`.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparative {
    /// The text, for reports.
    pub text: String,
    /// A `compare` metric (`latency_p99_ms`, `success_rate`, …).
    pub metric: String,
    /// The policy claimed better.
    pub policy: String,
    /// The policy it is compared with.
    pub than: String,
    /// Lower (true) or higher (false).
    pub lower: bool,
    /// How many seeds.
    pub seeds: u64,
}

/// The fewest seeds a comparative expectation can use: an interval needs two.
pub const MIN_SEEDS: u64 = 2;

/// The most seeds a comparative expectation may ask for: each is a full run of both policies,
/// so more would make `check` run for hours.
pub const MAX_SEEDS: u64 = 1000;

/// Everything a scenario expects.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    /// Per-run expectations.
    pub simple: Vec<Expectation>,
    /// Across-seed expectations.
    pub comparative: Vec<Comparative>,
}

const FORMS: &str = "\"metric >= value\" (or <=, ==, <, >), \"metric in low..high\", {policy: NAME, that: \"…\"}, or {compare: METRIC, lower: POLICY, than: POLICY, seeds: N}";

fn parse_expression(
    node: &Node<'_>,
    text: &str,
    policy: Option<String>,
) -> Result<Expectation, InputError> {
    let bad = || {
        node.error(format!(
            "cannot read expectation {text:?}; expected {FORMS}"
        ))
    };
    let parts: Vec<&str> = text.split_whitespace().collect();
    if parts.len() != 3 {
        return Err(bad());
    }
    let metric = parts[0].to_string();
    if let Some(class) = metric.strip_prefix("errors.")
        && ErrorClass::from_name(class).is_none()
    {
        let names: Vec<&str> = ErrorClass::ALL.iter().map(|c| c.name()).collect();
        return Err(node.error(format!(
            "expectation {text:?} names no error class {class:?} (expected one of: {})",
            names.join(", ")
        )));
    }
    let number = |s: &str| -> Result<f64, InputError> {
        let x = s.parse::<f64>().map_err(|_| bad())?;
        if x.is_finite() {
            Ok(x)
        } else {
            Err(node.error(format!(
                "expectation {text:?}: expected a finite number, found {s:?} (it could never be met)"
            )))
        }
    };
    let (op, value) = match parts[1] {
        ">=" => (Op::Ge, number(parts[2])?),
        "<=" => (Op::Le, number(parts[2])?),
        "==" => (Op::Eq, number(parts[2])?),
        "<" => (Op::Lt, number(parts[2])?),
        ">" => (Op::Gt, number(parts[2])?),
        "in" => {
            let (lo, hi) = parts[2].split_once("..").ok_or_else(bad)?;
            let (lo, hi) = (number(lo)?, number(hi)?);
            if lo > hi {
                return Err(node.error(format!("range {lo}..{hi} is empty")));
            }
            (Op::Within(lo, hi), 0.0)
        }
        _ => return Err(bad()),
    };
    Ok(Expectation {
        text: text.to_string(),
        policy,
        metric,
        op,
        value,
        path: node.path().to_string(),
    })
}

/// A comparative expectation's `seeds:`, within [`MIN_SEEDS`]..=[`MAX_SEEDS`].
fn seed_count(node: &Node<'_>) -> Result<u64, InputError> {
    let n = node.u64()?;
    if (MIN_SEEDS..=MAX_SEEDS).contains(&n) {
        Ok(n)
    } else {
        Err(node.error(format!(
            "expected {MIN_SEEDS} to {MAX_SEEDS} seeds (an interval needs two), found {n}"
        )))
    }
}

impl Expectations {
    /// Reads an `expect:` list; `policies` are the scenario's policy names.
    pub fn parse(node: &Node<'_>, policies: &[String]) -> Result<Expectations, InputError> {
        let mut out = Expectations::default();
        let known = |n: &Node<'_>, name: String| -> Result<String, InputError> {
            if policies.contains(&name) {
                Ok(name)
            } else {
                Err(n.error(format!(
                    "no policy named {name:?} (policies: {})",
                    policies.join(", ")
                )))
            }
        };
        for item in node.items()? {
            if let Some(text) = item.value().as_str() {
                out.simple.push(parse_expression(&item, text, None)?);
                continue;
            }
            if item.get("compare")?.is_some() {
                item.deny_unknown_keys(&["compare", "lower", "higher", "than", "seeds"])?;
                let metric = item.require("compare")?.string()?;
                if !METRICS.iter().any(|m| m.name == metric) {
                    let names: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
                    return Err(item.require("compare")?.error(format!(
                        "unknown compare metric {metric:?} (expected one of: {})",
                        names.join(", ")
                    )));
                }
                let (node_policy, lower) = match (item.get("lower")?, item.get("higher")?) {
                    (Some(p), None) => (p, true),
                    (None, Some(p)) => (p, false),
                    _ => return Err(item.error("expected exactly one of `lower` or `higher`")),
                };
                let policy = known(&node_policy, node_policy.string()?)?;
                let than_node = item.require("than")?;
                let than = known(&than_node, than_node.string()?)?;
                if than == policy {
                    return Err(than_node.error(format!(
                        "expected a policy other than {policy:?}: a policy compared with itself \
                         never differs"
                    )));
                }
                let seeds = match item.get("seeds")? {
                    Some(n) => seed_count(&n)?,
                    None => 5,
                };
                out.comparative.push(Comparative {
                    text: format!(
                        "{policy} has {} {metric} than {than} ({seeds} seeds, 95 %)",
                        if lower { "lower" } else { "higher" }
                    ),
                    metric,
                    policy,
                    than,
                    lower,
                    seeds,
                });
                continue;
            }
            item.deny_unknown_keys(&["policy", "that"])?;
            let p = item.require("policy")?;
            let policy = known(&p, p.string()?)?;
            let that = item.require("that")?;
            out.simple
                .push(parse_expression(&that, &that.string()?, Some(policy))?);
        }
        Ok(out)
    }

    /// Whether there is nothing to check.
    pub fn is_empty(&self) -> bool {
        self.simple.is_empty() && self.comparative.is_empty()
    }
}
