//! `index.html` and `summary.md`: the report a person opens, and the one a pull request quotes.
//!
//! `index.html` is one self-contained file: inline CSS and inline SVG charts, no script and no
//! network reference. It shows the scenario's description and config, the summary tables, the
//! charts and, after `compare`, the verdicts. It decides layout only.

use std::fmt::Write as _;

use anyhow::Result;

use super::charts::ChartFile;
use super::comparison::{Comparison, Verdict};
use super::summary::Summary;

/// HTML-escapes text.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}\
h1{margin-bottom:.2rem}h2{margin-top:2.2rem;border-bottom:1px solid #ddd;padding-bottom:.3rem}\
table{border-collapse:collapse;margin:.8rem 0;font-size:.92rem}th,td{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}\
th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}\
.better{background:#e3f6e3}.worse{background:#fbe3e3}.muted{color:#777}\
figure{margin:1.2rem 0}figure svg{max-width:100%;height:auto}pre{background:#f7f7f7;padding:1rem;overflow:auto;font-size:.85rem}";

/// Each chart as an inline SVG figure with its title as caption.
pub(super) fn figures(charts: &[ChartFile], out: &mut String) -> Result<()> {
    for chart in charts {
        let _ = write!(
            out,
            "<figure>{}<figcaption>{}</figcaption></figure>",
            svg_inline(chart)?,
            escape(&chart.title)
        );
    }
    Ok(())
}

fn svg_inline(chart: &ChartFile) -> Result<String> {
    let text = std::fs::read_to_string(&chart.svg)?;
    // Drop the XML declaration: the SVG sits inside HTML.
    let body = match text.find("<svg") {
        Some(i) => &text[i..],
        None => &text,
    };
    Ok(body.to_string())
}

fn policies_table(summary: &Summary, out: &mut String) {
    out.push_str("<table><tr><th>policy</th><th>requests</th><th>success</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>mean ms</th><th>attempts/req</th><th>fallbacks</th><th>cost $</th><th>errors</th></tr>");
    for (name, p) in &summary.policies {
        let per_req = if p.requests == 0 {
            0.0
        } else {
            p.attempts as f64 / p.requests as f64
        };
        let errors: Vec<String> = p.errors.iter().map(|(c, n)| format!("{c} {n}")).collect();
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{:.2}%</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.1}</td><td>{:.3}</td><td>{}</td><td>{:.4}</td><td>{}</td></tr>",
            escape(name),
            p.requests,
            p.success_rate * 100.0,
            p.latency_ms.p50,
            p.latency_ms.p95,
            p.latency_ms.p99,
            p.latency_ms.mean,
            per_req,
            p.fallbacks,
            p.cost_usd,
            escape(&errors.join(", "))
        );
    }
    out.push_str("</table>");
}

fn deployments_tables(summary: &Summary, out: &mut String) {
    for (name, p) in &summary.policies {
        let _ = write!(
            out,
            "<h3>{}</h3><table><tr><th>deployment</th><th>model group</th><th>served</th><th>share</th><th>attempts</th><th>failures</th><th>cooldowns</th></tr>",
            escape(name)
        );
        for id in &p.deployment_order {
            let Some(d) = p.deployments.get(id) else {
                continue;
            };
            let share = if p.succeeded == 0 {
                0.0
            } else {
                d.served as f64 / p.succeeded as f64
            };
            let _ = write!(
                out,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{:.1}%</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&d.label),
                escape(&d.model_name),
                d.served,
                share * 100.0,
                d.attempts,
                d.failures,
                d.cooldowns
            );
        }
        out.push_str("</table>");
    }
}

fn comparison_table(c: &Comparison, out: &mut String) {
    let _ = write!(
        out,
        "<p>{} seeds ({}–{}), baseline <b>{}</b>, 95 % intervals; differences are paired by seed.</p>",
        c.seeds.len(),
        c.seeds.first().copied().unwrap_or(0),
        c.seeds.last().copied().unwrap_or(0),
        escape(&c.baseline)
    );
    out.push_str("<table><tr><th>policy</th><th>metric</th><th>mean</th><th>95 % interval</th><th>Δ vs baseline</th><th>verdict</th></tr>");
    for p in &c.policies {
        for m in &p.metrics {
            let class = match m.verdict {
                Verdict::Better => "better",
                Verdict::Worse => "worse",
                Verdict::Baseline | Verdict::NoSignificantDifference => "muted",
            };
            let diff = m.difference.map_or(String::from("—"), |d| {
                format!("{:.4} [{:.4}, {:.4}]", d.mean, d.low, d.high)
            });
            let _ = write!(
                out,
                "<tr class=\"{class}\"><td>{}</td><td>{}</td><td>{:.4}</td><td>[{:.4}, {:.4}]</td><td>{}</td><td>{}</td></tr>",
                escape(&p.policy),
                m.metric,
                m.value.mean,
                m.value.low,
                m.value.high,
                diff,
                m.verdict.label()
            );
        }
    }
    out.push_str("</table>");
}

/// The banner of a run stopped early (`summary.partial`): what the page covers.
fn partial_banner(summary: &Summary, out: &mut String) {
    if let Some(line) = super::table::partial_line(summary) {
        let _ = write!(
            out,
            "<p class=\"partial\" role=\"alert\" style=\"background:#fff3cd;border:1px solid #e0b000;padding:.6rem 1rem\"><b>{}</b></p>",
            escape(&line)
        );
    }
}

/// Starts a report page: the head, titled `Switchyard<kind> — <name>`, with the reports'
/// style and `extra_style`, and the opening of the body.
pub(super) fn page_start(out: &mut String, kind: &str, name: &str, extra_style: &str) {
    let _ = write!(
        out,
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Switchyard{kind} — {}</title><style>{STYLE}{extra_style}</style></head><body>",
        escape(name)
    );
}

/// The whole page.
pub fn index_html(
    summary: &Summary,
    description: &str,
    config_yaml: &str,
    charts: &[ChartFile],
    comparison: Option<&Comparison>,
) -> Result<String> {
    let mut out = String::with_capacity(1 << 20);
    page_start(&mut out, "", &summary.scenario, "");
    let _ = write!(
        out,
        "<h1>{}</h1><p class=\"muted\">seed {}, {} s of traffic, Switchyard {}</p><p>{}</p>",
        escape(&summary.scenario),
        summary.seed,
        summary.duration_s,
        escape(&summary.switchyard_version),
        escape(description.trim())
    );
    partial_banner(summary, &mut out);
    if let Some(c) = comparison {
        out.push_str("<h2>Comparison across seeds</h2>");
        comparison_table(c, &mut out);
    }
    out.push_str("<h2>Policies</h2>");
    policies_table(summary, &mut out);
    super::fleet_html::fleet_section(summary, &mut out);
    out.push_str("<h2>Charts</h2>");
    figures(charts, &mut out)?;
    out.push_str("<h2>Deployments</h2>");
    deployments_tables(summary, &mut out);
    let _ = write!(
        out,
        "<h2>Router config</h2><pre>{}</pre>",
        escape(config_yaml)
    );
    out.push_str("</body></html>\n");
    Ok(out)
}

/// A Markdown summary sized for a pull-request comment.
pub fn summary_md(summary: &Summary, comparison: Option<&Comparison>) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "### Switchyard: `{}` (seed {}, {} s)\n",
        summary.scenario, summary.seed, summary.duration_s
    );
    if let Some(line) = super::table::partial_line(summary) {
        let _ = writeln!(out, "**{line}**\n");
    }
    out.push_str("| policy | requests | success | p50 ms | p99 ms | attempts/req | cost $ |\n|---|---:|---:|---:|---:|---:|---:|\n");
    for (name, p) in &summary.policies {
        let per_req = if p.requests == 0 {
            0.0
        } else {
            p.attempts as f64 / p.requests as f64
        };
        let _ = writeln!(
            out,
            "| {name} | {} | {:.2}% | {:.0} | {:.0} | {:.3} | {:.2} |",
            p.requests,
            p.success_rate * 100.0,
            p.latency_ms.p50,
            p.latency_ms.p99,
            per_req,
            p.cost_usd
        );
    }
    if let Some(c) = comparison {
        let _ = writeln!(
            out,
            "\nAgainst `{}` over {} seeds (95 %):\n",
            c.baseline,
            c.seeds.len()
        );
        for p in c.policies.iter().filter(|p| p.policy != c.baseline) {
            let notable: Vec<String> = p
                .metrics
                .iter()
                .filter(|m| matches!(m.verdict, Verdict::Better | Verdict::Worse))
                .map(|m| format!("{} {}", m.metric, m.verdict.label()))
                .collect();
            let text = if notable.is_empty() {
                "no significant difference".to_string()
            } else {
                notable.join(", ")
            };
            let _ = writeln!(out, "- **{}**: {text}", p.policy);
        }
    }
    out
}
