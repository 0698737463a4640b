//! `--explain ID`: one request's attempts in words.
//!
//! Turns the router's trace events into lines a person can follow: the group tried, what each
//! filter removed and why, the choice, the outcome, cooldowns and waits — as text, and as JSON
//! for tools (the live proxy's explanations carry both). It decides the wording only; it must
//! not re-derive a decision the trace does not record.

use serde_json::{Value, json};

use crate::router::{DeploymentTable, Filtered, Route, Target, TraceEvent};
use crate::time::Time;

fn deployment_name(table: &DeploymentTable, d: crate::router::DeploymentIdx) -> String {
    let c = &table.deployment(d).config;
    super::summary::label(c)
}

/// The name a trace's group event gives its route: the group's (for a pinned deployment its
/// group's, where [`crate::router::Router::route_name`] gives the deployment's id), or the
/// `litellm_params.model`'s; `None` for a name nothing matches.
fn group_event_name(table: &DeploymentTable, route: Route) -> Option<&str> {
    match route {
        Route::To(Target::Model(m)) => Some(&table.litellm_model(m).name),
        Route::To(target) => table
            .target_group(&target)
            .map(|g| table.group(g).name.as_str()),
        Route::Unknown => None,
    }
}

/// The trace as lines, each starting with the instant.
pub fn explain(trace: &[(Time, TraceEvent)], table: &DeploymentTable) -> Vec<String> {
    trace
        .iter()
        .map(|(at, event)| {
            let what = match *event {
                TraceEvent::Group { route, depth } => {
                    let name = group_event_name(table, route).unwrap_or("<no such model>");
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
                    let members: Vec<String> = table
                        .members(&target)
                        .iter()
                        .map(|d| deployment_name(table, *d))
                        .collect();
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

/// The trace as JSON objects, one per line of [`explain`] and in its order, for tools: each has
/// `at_s` (the instant in seconds), `event` (`group`, `auto_routed`, `candidates`, `skip`,
/// `chosen`, `outcome`, `cooled`, `wait`, `group_failed`, `finished`) and that event's fields,
/// deployments by id and groups by name. The same facts as the lines, nothing re-derived.
pub fn explain_json(trace: &[(Time, TraceEvent)], table: &DeploymentTable) -> Vec<Value> {
    let id = |d: crate::router::DeploymentIdx| table.deployment(d).config.id.clone();
    let group = |g: Option<crate::router::GroupIdx>| g.map(|g| table.group(g).name.clone());
    trace
        .iter()
        .map(|(at, event)| {
            let mut fields = match *event {
                TraceEvent::Group { route, depth } => {
                    let name = group_event_name(table, route).map(str::to_string);
                    json!({"event": "group", "group": name, "depth": depth})
                }
                TraceEvent::AutoRouted {
                    group: g,
                    matched,
                    score,
                } => json!({"event": "auto_routed", "group": group(g), "matched": matched, "score": score}),
                TraceEvent::Candidates(target) => {
                    let members: Vec<String> =
                        table.members(&target).iter().map(|d| id(*d)).collect();
                    json!({"event": "candidates", "deployments": members})
                }
                TraceEvent::Filtered(d, why) => {
                    let mut skip = filtered_json(why);
                    skip["event"] = json!("skip");
                    skip["deployment"] = json!(id(d));
                    skip
                }
                TraceEvent::Chosen {
                    deployment,
                    candidates,
                } => json!({"event": "chosen", "deployment": id(deployment), "among": candidates}),
                TraceEvent::Outcome { deployment, error } => json!({
                    "event": "outcome",
                    "deployment": id(deployment),
                    "error_class": error.map(|c| c.name()),
                    "status": error.map_or(200, |c| c.status()),
                }),
                TraceEvent::Cooled(d, c) => json!({
                    "event": "cooled",
                    "deployment": id(d),
                    "until_s": c.until.as_secs_f64(),
                    "reason": c.reason.name(),
                }),
                TraceEvent::Wait(w) => json!({"event": "wait", "seconds": w.as_secs_f64()}),
                TraceEvent::GroupFailed(class) => {
                    json!({"event": "group_failed", "error_class": class.name()})
                }
                TraceEvent::Finished(error) => json!({
                    "event": "finished",
                    "error_class": error.map(|c| c.name()),
                    "status": error.map_or(200, |c| c.status()),
                }),
            };
            fields["at_s"] = json!(at.as_secs_f64());
            fields
        })
        .collect()
}

/// A filter's reason as JSON fields: `reason` and its numbers.
fn filtered_json(why: Filtered) -> Value {
    match why {
        Filtered::Cooling(until) => json!({"reason": "cooling", "until_s": until.as_secs_f64()}),
        Filtered::FailedEarlier => json!({"reason": "failed_earlier"}),
        Filtered::OverBudget(kind) => json!({"reason": "over_budget", "budget": match kind {
            crate::router::trace::BudgetKind::Provider => "provider",
            crate::router::trace::BudgetKind::Deployment => "deployment",
            crate::router::trace::BudgetKind::Tag => "tag",
        }}),
        Filtered::Tags => json!({"reason": "tags"}),
        Filtered::ContextWindow { max_input_tokens } => {
            json!({"reason": "context_window", "max_input_tokens": max_input_tokens})
        }
        Filtered::RpmLimit { used, rpm } => json!({"reason": "rpm", "used": used, "rpm": rpm}),
        Filtered::UsageLimit {
            requests,
            rpm,
            tokens,
            input_tokens,
            tpm,
        } => json!({
            "reason": "usage_limit", "requests": requests, "rpm": rpm, "tokens": tokens,
            "input_tokens": input_tokens, "tpm": tpm,
        }),
        Filtered::OrderTier { order, tier } => {
            json!({"reason": "order_tier", "order": order, "tier": tier})
        }
    }
}
