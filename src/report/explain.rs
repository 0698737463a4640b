//! `--explain ID`: one request's attempts in words.
//!
//! Turns the router's trace events into lines a person can follow: the group tried, what each
//! filter removed and why, the choice, the outcome, cooldowns and waits. It decides the wording
//! only; it must not re-derive a decision the trace does not record.

use crate::router::{DeploymentTable, Filtered, TraceEvent};
use crate::time::Time;

fn deployment_name(table: &DeploymentTable, d: crate::router::DeploymentIdx) -> String {
    let c = &table.deployment(d).config;
    super::summary::label(c)
}

/// The trace as lines, each starting with the instant.
pub fn explain(trace: &[(Time, TraceEvent)], table: &DeploymentTable) -> Vec<String> {
    trace
        .iter()
        .map(|(at, event)| {
            let what = match *event {
                TraceEvent::Group { group, depth } => {
                    let name = group.map_or("<no such model>", |g| table.group(g).name.as_str());
                    if depth == 0 {
                        format!("try model group {name}")
                    } else {
                        format!("fall back (depth {depth}) to model group {name}")
                    }
                }
                TraceEvent::AutoRouted { group, matched, score } => {
                    let name = group.map_or("<no such model>", |g| table.group(g).name.as_str());
                    if matched {
                        format!("  auto router: route {name} (score {score:.3})")
                    } else {
                        format!("  auto router: no route reached its threshold (best {score:.3}); default model {name}")
                    }
                }
                TraceEvent::Candidates(target) => {
                    let members: Vec<String> = match target {
                        crate::router::Target::Group(g) => table
                            .group(g)
                            .members
                            .iter()
                            .map(|d| deployment_name(table, *d))
                            .collect(),
                        crate::router::Target::Deployment(d) => vec![deployment_name(table, d)],
                    };
                    format!("  candidates: {}", members.join(", "))
                }
                TraceEvent::Filtered(d, why) => {
                    let reason = match why {
                        Filtered::Cooling(until) => format!("cooling down until {until}"),
                        Filtered::OverBudget(kind) => match kind {
                            crate::router::trace::BudgetKind::Provider => "its provider's budget is used up",
                            crate::router::trace::BudgetKind::Deployment => "its own budget is used up",
                            crate::router::trace::BudgetKind::Tag => "a budget of the request's tags is used up",
                        }
                        .to_string(),
                        Filtered::Tags => "its tags do not admit the request's".to_string(),
                        Filtered::FailedEarlier => {
                            "failed this request with a status that is not retried".to_string()
                        }
                        Filtered::ContextWindow { max_input_tokens } => {
                            format!("context window {max_input_tokens} tokens is too small")
                        }
                        Filtered::RpmLimit { used, rpm } => {
                            format!("at its rpm ({used}/{rpm} this minute)")
                        }
                        Filtered::UsageLimit {
                            requests,
                            rpm,
                            tokens,
                            input_tokens,
                            tpm,
                        } => usage_limit_reason(requests, rpm, tokens, input_tokens, tpm),
                        Filtered::OrderTier { order, tier } => {
                            format!("order {order}, tier {tier} in use")
                        }
                    };
                    format!("  skip {}: {reason}", deployment_name(table, d))
                }
                TraceEvent::Chosen {
                    deployment,
                    candidates,
                } => format!(
                    "  send to {} (chosen among {candidates})",
                    deployment_name(table, deployment)
                ),
                TraceEvent::Outcome { deployment, error } => match error {
                    None => format!("  {} answered", deployment_name(table, deployment)),
                    Some(class) => format!(
                        "  {} failed: {} ({})",
                        deployment_name(table, deployment),
                        class.name(),
                        class.status()
                    ),
                },
                TraceEvent::Cooled(d, c) => format!(
                    "  {} cooled until {} ({})",
                    deployment_name(table, d),
                    c.until,
                    c.reason.name()
                ),
                TraceEvent::Wait(w) => format!("  wait {:.3}s", w.as_secs_f64()),
                TraceEvent::GroupFailed(class) => format!("  group gives up: {}", class.name()),
                TraceEvent::Finished(None) => "served".to_string(),
                TraceEvent::Finished(Some(class)) => {
                    format!("failed: {} ({})", class.name(), class.status())
                }
            };
            format!("{:>10}  {what}", at.to_string())
        })
        .collect()
}

/// Why usage-based routing refused a deployment, with its numbers: the `tpm` the request's
/// input tokens would pass, else the `rpm` it is at (by LiteLLM's early count, or the exact
/// one with `usage_exact_rpm`).
fn usage_limit_reason(
    requests: u32,
    rpm: Option<u64>,
    tokens: u64,
    input_tokens: u32,
    tpm: Option<u64>,
) -> String {
    let over_tpm = tpm.filter(|tpm| tokens + u64::from(input_tokens) > *tpm);
    match over_tpm {
        Some(tpm) => format!(
            "usage-based routing: {tokens} tokens used this minute + {input_tokens} input > tpm {tpm}"
        ),
        None => format!(
            "usage-based routing: rpm {} reached ({requests} sent this minute)",
            rpm.map_or_else(|| "none".to_string(), |r| r.to_string())
        ),
    }
}
