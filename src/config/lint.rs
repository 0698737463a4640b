//! `switchyard validate`: lint findings for a LiteLLM config, beyond what loading refuses.
//!
//! Loading already refuses wrong types, duplicate ids, unknown routing strategies and negative
//! weights. Linting looks at the config as a whole: references to groups that do not exist,
//! fallback cycles, settings that contradict each other, and retry/fallback settings whose worst
//! case is expensive. Each finding has a severity, the key path it concerns and a message. It
//! decides what is suspicious; it never changes the config.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::deployment_table::DeploymentTable;
use super::master_key::{UnsafeKey, remedy};
use super::settings::{INITIAL_DELAY, MAX_DELAY};
use super::{InputWarning, LitellmConfig, RouterSettings};

/// How serious a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Worth knowing; the config works.
    Warning,
    /// The config will not do what it says.
    Error,
}

/// One lint finding.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// How serious.
    pub severity: Severity,
    /// The rule's name.
    pub rule: &'static str,
    /// Key path in the config.
    pub path: String,
    /// What is wrong and why it matters.
    pub message: String,
}

/// Attempts per request above which the worst case is reported.
pub const WORST_CASE_ATTEMPTS: u64 = 20;

fn finding(
    severity: Severity,
    rule: &'static str,
    path: impl Into<String>,
    message: impl Into<String>,
) -> Finding {
    Finding {
        severity,
        rule,
        path: path.into(),
        message: message.into(),
    }
}

/// Lints `config`; `warnings` are the loader's (unused keys, unset environment variables).
pub fn lint(config: &LitellmConfig, warnings: &[InputWarning]) -> Vec<Finding> {
    let s = &config.settings;
    let table = &config.table;
    let exists = |name: &str| table.resolve(name, &s.model_group_alias).is_some();
    let mut out = Vec::new();

    for w in warnings {
        let rule = if w.message.contains("environment variable") {
            "unset-env"
        } else if w.message.contains("appears twice in one mapping") {
            "duplicate-key"
        } else {
            "unused-key"
        };
        out.push(finding(
            Severity::Warning,
            rule,
            w.path.clone(),
            w.message.clone(),
        ));
    }

    for (key, tables) in [
        ("fallbacks", &s.fallbacks),
        ("context_window_fallbacks", &s.context_window_fallbacks),
        ("content_policy_fallbacks", &s.content_policy_fallbacks),
    ] {
        for (i, (group, targets)) in tables.iter().enumerate() {
            if group != "*" && !exists(group) {
                out.push(finding(Severity::Error, "fallback-unknown-group", format!("router_settings.{key}[{i}]"), format!("fallbacks for {group:?}, which no model_list entry, alias or wildcard serves")));
            }
            for t in targets {
                if !exists(t) {
                    out.push(finding(Severity::Error, "fallback-unknown-group", format!("router_settings.{key}[{i}].{group}"), format!("falls back to {t:?}, which no model_list entry, alias or wildcard serves")));
                }
            }
        }
    }
    for t in &s.default_fallbacks {
        if !exists(t) {
            out.push(finding(
                Severity::Error,
                "fallback-unknown-group",
                "router_settings.default_fallbacks",
                format!("falls back to {t:?}, which nothing serves"),
            ));
        }
    }
    out.extend(auto_router_targets(config, &exists));
    for (key, table) in [
        ("fallbacks", &s.fallbacks),
        ("context_window_fallbacks", &s.context_window_fallbacks),
        ("content_policy_fallbacks", &s.content_policy_fallbacks),
    ] {
        if let Some(cycle) = fallback_cycle(table) {
            out.push(finding(
                Severity::Warning,
                "fallback-cycle",
                format!("router_settings.{key}"),
                format!(
                    "{key} form a cycle: {} (only max_fallbacks, {}, stops it, as in LiteLLM)",
                    cycle_text(&cycle),
                    s.max_fallbacks
                ),
            ));
        }
    }
    for (alias, target) in &s.model_group_alias {
        if table.group_named(target).is_none()
            && table.resolve(target, &s.model_group_alias).is_none()
        {
            out.push(finding(
                Severity::Error,
                "alias-to-nothing",
                format!("router_settings.model_group_alias.{alias}"),
                format!("alias {alias:?} points to {target:?}, which no deployment serves"),
            ));
        }
    }

    for (g, group) in table.groups().iter().enumerate() {
        let weights: Vec<Option<f64>> = group
            .members
            .iter()
            .map(|d| table.deployment(*d).config.weight)
            .collect();
        if weights.iter().any(Option::is_some) && weights.iter().all(|w| w.unwrap_or(0.0) == 0.0) {
            out.push(finding(Severity::Warning, "zero-weights", format!("model_list (group {})", group.name), "every weight in the group is 0 or unset: LiteLLM falls back to rpm, tpm, then a uniform shuffle"));
        }
        for d in &group.members {
            let c = &table.deployment(*d).config;
            if let Some(w) = c.weight
                && w.fract() != 0.0
            {
                out.push(finding(Severity::Warning, "fractional-weight", format!("model_list[{}].litellm_params.weight", d.get()), format!("weight {w} is fractional; gateways that read weights as integers truncate it")));
            }
        }
        let _ = g;
    }

    let tagged = config.deployments.iter().any(|d| !d.tags.is_empty());
    if tagged && !s.enable_tag_filtering {
        out.push(finding(
            Severity::Warning,
            "tags-without-filtering",
            "router_settings.enable_tag_filtering",
            "deployments carry tags but enable_tag_filtering is off, so tags are ignored",
        ));
    }
    if !tagged && s.enable_tag_filtering {
        out.push(finding(
            Severity::Warning,
            "filtering-without-tags",
            "router_settings.enable_tag_filtering",
            "tag filtering is on but no deployment has tags: every tagged request is refused",
        ));
    }
    for provider in s.provider_budget_config.keys() {
        if !config.deployments.iter().any(|d| &d.provider == provider) {
            out.push(finding(
                Severity::Warning,
                "budget-unknown-provider",
                format!("router_settings.provider_budget_config.{provider}"),
                format!("no deployment uses provider {provider:?}"),
            ));
        }
    }

    let worst = worst_case_attempts(s, table);
    if let Some((group, n)) = worst.into_iter().max_by_key(|(_, n)| *n)
        && n > WORST_CASE_ATTEMPTS
    {
        out.push(finding(Severity::Warning, "worst-case-attempts", "router_settings", format!("a request to {group:?} can make up to {n} attempts ((1 + retries) for each group of its fallback chain); every one costs latency and may cost money")));
    }
    if s.retry_after > MAX_DELAY {
        out.push(finding(
            Severity::Warning,
            "retry-after-above-cap",
            "router_settings.retry_after",
            format!(
                "retry_after {} s is above the 8 s backoff cap: every backoff waits this long",
                s.retry_after.as_secs_f64()
            ),
        ));
    }
    let longest_backoff = INITIAL_DELAY
        .saturating_mul(1u32 << s.num_retries.min(5))
        .min(MAX_DELAY);
    if !s.disable_cooldowns && !s.cooldown_time.is_zero() && s.cooldown_time < longest_backoff {
        out.push(finding(Severity::Warning, "cooldown-shorter-than-backoff", "router_settings.cooldown_time", format!("cooldown_time {} s is shorter than the last backoff ({} s): a cooled deployment is back before the retry that avoided it", s.cooldown_time.as_secs_f64(), longest_backoff.as_secs_f64())));
    }
    if let Some(weak) = weak_master_key(config) {
        out.push(weak);
    }
    out.sort_by(|a, b| b.severity.cmp(&a.severity).then(a.path.cmp(&b.path)));
    out
}

/// A `general_settings.master_key` that LiteLLM 1.108.7's proxy (and `serve`) refuses to start
/// with, unless the config permits it. A key left to the environment is not judged.
fn weak_master_key(config: &LitellmConfig) -> Option<Finding> {
    let key = config.master_key.as_ref()?.value.as_deref()?;
    let reason = UnsafeKey::of(Some(key))?;
    if config.permit_weak_master_key {
        return None;
    }
    Some(finding(
        Severity::Warning,
        "weak-master-key",
        "general_settings.master_key",
        format!(
            "LiteLLM 1.108.7's proxy (and `switchyard serve`) refuses to start: {} {}",
            reason.headline(),
            remedy()
        ),
    ))
}

/// A cycle in the general fallbacks, if any (group names, first repeated at the end).
/// A cycle as `a > b > a`, its middle elided when it is long.
fn cycle_text(cycle: &[String]) -> String {
    const SHOWN: usize = 8;
    if cycle.len() <= SHOWN {
        return cycle.join(" > ");
    }
    let head = cycle[..SHOWN - 2].join(" > ");
    let tail = cycle[cycle.len() - 2..].join(" > ");
    format!("{head} > … ({} more) > {tail}", cycle.len() - SHOWN)
}

fn fallback_cycle(table: &[(String, Vec<String>)]) -> Option<Vec<String>> {
    let mut edges: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (group, targets) in table {
        edges
            .entry(group.as_str())
            .or_default()
            .extend(targets.iter().map(String::as_str));
    }
    // Depth-first, with an explicit stack so that a chain of any length cannot overflow it.
    let mut done: BTreeSet<&str> = BTreeSet::new();
    for start in edges.keys().copied() {
        if done.contains(start) {
            continue;
        }
        let mut path: Vec<(&str, usize)> = vec![(start, 0)];
        let mut on_path: BTreeSet<&str> = BTreeSet::from([start]);
        while let Some((node, next)) = path.last_mut() {
            let targets = edges.get(node).map(Vec::as_slice).unwrap_or_default();
            let Some(&target) = targets.get(*next) else {
                on_path.remove(*node);
                done.insert(*node);
                path.pop();
                continue;
            };
            *next += 1;
            if on_path.contains(target) {
                let from = path.iter().position(|(n, _)| *n == target).unwrap_or(0);
                let mut cycle: Vec<String> =
                    path[from..].iter().map(|(n, _)| n.to_string()).collect();
                cycle.push(target.to_string());
                return Some(cycle);
            }
            if !done.contains(target) {
                path.push((target, 0));
                on_path.insert(target);
            }
        }
    }
    None
}

/// Auto-router routes and default models naming a group nothing serves: LiteLLM accepts them and
/// fails each request routed there.
fn auto_router_targets(config: &LitellmConfig, exists: &dyn Fn(&str) -> bool) -> Vec<Finding> {
    let mut out = Vec::new();
    for d in &config.deployments {
        let Some(auto) = &d.auto_router else { continue };
        let routes = auto.spec.iter().flat_map(|spec| &spec.routes);
        let named = routes.map(|r| ("a route", &r.name)).chain(
            auto.default_model
                .iter()
                .map(|m| ("auto_router_default_model", m)),
        );
        for (what, group) in named {
            if !exists(group) {
                out.push(finding(
                    Severity::Error,
                    "auto-router-unknown-group",
                    "model_list",
                    format!(
                        "{what} of auto router {:?} (deployment {}) sends requests to {group:?}, which no model_list entry, alias or wildcard serves",
                        d.model_name, d.id
                    ),
                ));
            }
        }
    }
    out
}

/// For each group with fallbacks, the most attempts one request can make: each group in the
/// chain (bounded by max_fallbacks) makes 1 + num_retries attempts.
fn worst_case_attempts(s: &RouterSettings, table: &DeploymentTable) -> Vec<(String, u64)> {
    let per_group = 1 + u64::from(
        s.num_retries.max(
            [
                s.retry_policy.rate_limit,
                s.retry_policy.timeout,
                s.retry_policy.internal_server,
            ]
            .into_iter()
            .flatten()
            .max()
            .unwrap_or(0),
        ),
    );
    let lists: BTreeMap<&str, &Vec<String>> =
        s.fallbacks.iter().map(|(g, t)| (g.as_str(), t)).collect();
    fn groups_reached(
        g: &str,
        depth: u32,
        max: u32,
        lists: &BTreeMap<&str, &Vec<String>>,
        seen: &mut BTreeSet<String>,
    ) {
        if !seen.insert(g.to_string()) || depth >= max {
            return;
        }
        for t in lists.get(g).into_iter().flat_map(|l| l.iter()) {
            groups_reached(t, depth + 1, max, lists, seen);
        }
    }
    table
        .groups()
        .iter()
        .map(|group| {
            let mut seen = BTreeSet::new();
            groups_reached(&group.name, 0, s.max_fallbacks + 1, &lists, &mut seen);
            (group.name.clone(), seen.len() as u64 * per_group)
        })
        .collect()
}
