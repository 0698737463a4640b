//! The terminal view of a run: one summary line per policy and a table of each policy's
//! deployments, and a comparison's verdicts.
//!
//! It decides columns and cell formatting; it must not print (the command line does) or compute
//! figures the summary does not hold.

use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};

use super::summary::{PolicySummary, Summary};

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

/// The policies side by side.
pub fn policies_table(summary: &Summary) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "policy",
        "requests",
        "success",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "mean ms",
        "attempts/req",
        "cost $",
    ]);
    for (name, p) in &summary.policies {
        let per_req = if p.requests == 0 {
            0.0
        } else {
            p.attempts as f64 / p.requests as f64
        };
        t.add_row(vec![
            Cell::new(name),
            right(p.requests.to_string()),
            right(format!("{:.2}%", p.success_rate * 100.0)),
            right(format!("{:.1}", p.latency_ms.p50)),
            right(format!("{:.1}", p.latency_ms.p95)),
            right(format!("{:.1}", p.latency_ms.p99)),
            right(format!("{:.1}", p.latency_ms.mean)),
            right(format!("{per_req:.3}")),
            right(format!("{:.4}", p.cost_usd)),
        ]);
    }
    t
}

/// One policy's deployments: traffic share and failures.
pub fn deployments_table(policy: &PolicySummary) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "deployment",
        "model group",
        "served",
        "share",
        "attempts",
        "failures",
        "cooldowns",
    ]);
    for d in policy
        .deployment_order
        .iter()
        .filter_map(|id| policy.deployments.get(id))
    {
        let share = if policy.succeeded == 0 {
            0.0
        } else {
            d.served as f64 / policy.succeeded as f64
        };
        t.add_row(vec![
            Cell::new(&d.label),
            Cell::new(&d.model_name),
            right(d.served.to_string()),
            right(format!("{:.1}%", share * 100.0)),
            right(d.attempts.to_string()),
            right(d.failures.to_string()),
            right(d.cooldowns.to_string()),
        ]);
    }
    t
}

/// Failed requests by class, as one line.
pub fn errors_line(policy: &PolicySummary) -> String {
    if policy.errors.is_empty() {
        return "errors: none".to_string();
    }
    let parts: Vec<String> = policy
        .errors
        .iter()
        .map(|(c, n)| format!("{c} {n}"))
        .collect();
    format!("errors: {}", parts.join(", "))
}

/// A figure with as many digits as its size needs: none from 100, two from 1, else four.
pub fn fmt_value(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 1.0 {
        format!("{x:.2}")
    } else {
        format!("{x:.4}")
    }
}

/// A comparison: each policy's metrics with intervals and verdicts against the baseline.
pub fn comparison_table(c: &super::comparison::Comparison) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "policy",
        "metric",
        "mean [95 % CI]",
        "Δ vs baseline [95 % CI]",
        "verdict",
    ]);
    for p in &c.policies {
        for m in &p.metrics {
            let v = m.value;
            let diff = m.difference.map_or(String::from("—"), |d| {
                format!(
                    "{} [{}, {}]",
                    fmt_value(d.mean),
                    fmt_value(d.low),
                    fmt_value(d.high)
                )
            });
            t.add_row(vec![
                Cell::new(&p.policy),
                Cell::new(m.metric),
                right(format!(
                    "{} [{}, {}]",
                    fmt_value(v.mean),
                    fmt_value(v.low),
                    fmt_value(v.high)
                )),
                right(diff),
                Cell::new(m.verdict.label()),
            ]);
        }
    }
    t
}

/// The policies that ran on several gateway instances: traffic per instance, the providers'
/// 429s, the busiest minute against `rpm`, budget overshoot and cooldown disagreement. `None`
/// when no policy had an `instances:` block.
pub fn fleet_table(summary: &Summary) -> Option<Table> {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "policy",
        "instances",
        "shared",
        "sync s",
        "requests per instance",
        "provider 429s",
        "peak min / rpm",
        "budget over $",
        "cooldown disagreement s",
    ]);
    let mut any = false;
    for (name, p) in &summary.policies {
        let Some(f) = &p.fleet else { continue };
        any = true;
        let per_instance: Vec<String> = f
            .per_instance
            .iter()
            .map(|i| i.requests.to_string())
            .collect();
        let limited: u64 = f
            .deployments
            .values()
            .map(|d| d.provider_rate_limited)
            .sum();
        let over = (!f.budgets.is_empty())
            .then(|| f.budgets.values().fold(0.0, |sum, b| sum + b.overshoot_usd));
        let disagreement = f
            .deployments
            .values()
            .fold(0.0, |sum, d| sum + d.cooldown_disagreement_s);
        t.add_row(vec![
            Cell::new(name),
            right(f.instances.to_string()),
            Cell::new(if f.shared_state { "yes" } else { "no" }),
            right(if f.shared_state {
                fmt_value(f.sync_interval_s)
            } else {
                "—".into()
            }),
            Cell::new(per_instance.join(" / ")),
            right(limited.to_string()),
            right(
                f.worst_peak_over_rpm()
                    .map_or("—".into(), |x| format!("{x:.3}")),
            ),
            right(over.map_or("—".into(), |x| format!("{x:.4}"))),
            right(format!("{disagreement:.1}")),
        ]);
    }
    any.then_some(t)
}

/// A comparison's sync-interval sweep: per interval, the fleet's overshoot of the rate limit,
/// the providers' 429s and the budget overshoot. `None` without a sweep.
pub fn sync_sweep_table(c: &super::comparison::Comparison) -> Option<Table> {
    if c.sync_sweep.is_empty() {
        return None;
    }
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    t.set_header(vec![
        "policy",
        "sync s",
        "busiest minute over rpm",
        "provider 429s",
        "budget over $",
    ]);
    for p in &c.sync_sweep {
        t.add_row(vec![
            Cell::new(&p.policy),
            right(fmt_value(p.sync_interval_s)),
            right(format!("{:.2}%", p.rpm_overshoot * 100.0)),
            right(format!("{:.1}", p.provider_rate_limited)),
            right(format!("{:.4}", p.budget_overshoot_usd)),
        ]);
    }
    Some(t)
}

/// The terminal's note that a run was stopped early: what the report covers and which
/// policies did not run; `None` for a complete run.
pub fn partial_line(summary: &Summary) -> Option<String> {
    let partial = summary.partial.as_ref()?;
    let covered = match partial.stopped_at_s {
        Some(t) => format!("arrivals before {t} s of {} s", summary.duration_s),
        None => "no arrivals".to_string(),
    };
    let not_run = if partial.not_run.is_empty() {
        String::new()
    } else {
        format!("; not run: {}", partial.not_run.join(", "))
    };
    Some(format!(
        "PARTIAL REPORT ({}): covers {covered}, each one finished{not_run}",
        partial.reason
    ))
}
