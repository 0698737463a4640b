//! The HTML report's section on gateway instances: per policy that ran on several, its traffic
//! per instance, and per deployment the providers' 429s, the busiest minute against `rpm` and
//! how long the instances disagreed about its cooldown; then each budget's overshoot.
//!
//! It decides the section's markup; the figures come from the summary. It writes nothing when
//! no policy had an `instances:` block, so other reports stay as they were.

use std::fmt::Write as _;

use super::html::escape;
use super::summary::Summary;

/// Appends the section to `out` when some policy ran on several instances.
pub fn fleet_section(summary: &Summary, out: &mut String) {
    let fleets: Vec<_> = summary
        .policies
        .iter()
        .filter_map(|(name, p)| Some((name, p.fleet.as_ref()?)))
        .collect();
    if fleets.is_empty() {
        return;
    }
    out.push_str("<h2>Gateway instances</h2>");
    for (name, f) in fleets {
        let per_instance: Vec<String> = f
            .per_instance
            .iter()
            .map(|i| format!("{} ({} attempts)", i.requests, i.attempts))
            .collect();
        let sync = if f.shared_state {
            format!(
                "shared state, synced every {} s ({} syncs, {} failed)",
                f.sync_interval_s, f.syncs, f.failed_syncs
            )
        } else {
            "no shared state (no Redis in the config)".to_string()
        };
        let _ = write!(
            out,
            "<h3>{}</h3><p>{} instances, {}; requests per instance: {}</p>",
            escape(name),
            f.instances,
            sync,
            escape(&per_instance.join(" / "))
        );
        out.push_str("<table><tr><th>deployment</th><th>provider 429s</th><th>busiest minute</th><th>rpm</th><th>busiest / rpm</th><th>cooldown disagreement s</th></tr>");
        for (id, d) in &f.deployments {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{:.3}</td></tr>",
                escape(id),
                d.provider_rate_limited,
                d.peak_minute_requests,
                d.rpm.map_or("—".to_string(), |r| r.to_string()),
                d.peak_over_rpm
                    .map_or("—".to_string(), |x| format!("{x:.3}")),
                d.cooldown_disagreement_s
            );
        }
        out.push_str("</table>");
        if f.budgets.is_empty() {
            continue;
        }
        out.push_str("<table><tr><th>budget</th><th>limit $</th><th>windows</th><th>overshoot $</th><th>largest in a window $</th></tr>");
        for (key, b) in &f.budgets {
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.6}</td><td>{:.6}</td></tr>",
                escape(key),
                b.limit,
                b.windows,
                b.overshoot_usd,
                b.max_window_overshoot_usd
            );
        }
        out.push_str("</table>");
    }
}
