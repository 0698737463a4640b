//! The sweep's `index.html`: the Pareto chart, the front, and every point in a table sorted by
//! clicking a column's header.
//!
//! One self-contained file: inline CSS, inline SVG and a few lines of inline JavaScript for the
//! sorting, no network reference. It decides layout only; the numbers come in the
//! [`SweepReport`].

use std::fmt::Write as _;

use anyhow::Result;

use super::charts::ChartFile;
use super::html::{escape, figures, page_start};
use super::sweep::{SweepReport, short};

/// Sorts a `table.sortable` by the clicked header: numbers as numbers, the rest as text; a
/// second click reverses.
const SORT_SCRIPT: &str = "document.querySelectorAll('table.sortable th').forEach(function(th,i){\
th.style.cursor='pointer';th.addEventListener('click',function(){\
var body=th.closest('table').tBodies[0];var rows=Array.from(body.rows);\
var dir=th.dataset.dir==='asc'?-1:1;th.dataset.dir=dir===1?'asc':'desc';\
rows.sort(function(a,b){var x=a.cells[i].dataset.v||a.cells[i].textContent,y=b.cells[i].dataset.v||b.cells[i].textContent;\
var p=parseFloat(x),q=parseFloat(y);if(!isNaN(p)&&!isNaN(q)){return dir*(p-q);}return dir*x.localeCompare(y);});\
rows.forEach(function(r){body.appendChild(r);});});});";

const EXTRA_STYLE: &str = ".front{background:#fde8e8}.banner{background:#fff3cd;border:1px solid #e0c060;padding:.6rem 1rem}";

/// The banner of a report stopped before every run completed.
pub fn partial_banner(missing: &[String]) -> String {
    format!(
        "<p class=\"banner\"><strong>Partial report:</strong> stopped before every run \
         completed; left out: {}.</p>",
        escape(&missing.join(", "))
    )
}

fn points_table(r: &SweepReport, out: &mut String) {
    out.push_str("<table class=\"sortable\"><thead><tr>");
    for key in &r.settings {
        let _ = write!(out, "<th>{}</th>", escape(key));
    }
    if let Some(p) = r.points.first() {
        for m in &p.metrics {
            let _ = write!(out, "<th>{}</th>", escape(m.metric));
        }
    }
    out.push_str("<th>pareto</th></tr></thead><tbody>");
    for p in &r.points {
        let class = if p.pareto { " class=\"front\"" } else { "" };
        let _ = write!(out, "<tr{class}>");
        for v in &p.values {
            let _ = write!(out, "<td>{}</td>", escape(v));
        }
        for m in &p.metrics {
            let v = m.value;
            let _ = write!(
                out,
                "<td data-v=\"{}\" title=\"95 % interval {} to {}\">{}</td>",
                v.mean,
                v.low,
                v.high,
                short(v.mean)
            );
        }
        let _ = write!(out, "<td>{}</td></tr>", if p.pareto { "yes" } else { "" });
    }
    out.push_str("</tbody></table>");
}

/// The sweep's page.
pub fn sweep_html(r: &SweepReport, description: &str, charts: &[ChartFile]) -> Result<String> {
    let mut out = String::with_capacity(1 << 16);
    page_start(&mut out, " sweep", &r.scenario, EXTRA_STYLE);
    let front = r.front().count();
    let _ = write!(
        out,
        "<h1>{} — settings sweep</h1><p class=\"muted\">{} points × {} seeds ({}…{}), 95 % intervals; \
         {front} on the Pareto front over {}</p><p>{}</p>",
        escape(&r.scenario),
        r.points.len(),
        r.seeds.len(),
        r.seeds.first().copied().unwrap_or_default(),
        r.seeds.last().copied().unwrap_or_default(),
        escape(
            &r.objectives
                .iter()
                .map(|o| o.metric.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        escape(description.trim())
    );
    if r.partial {
        out.push_str(&partial_banner(&r.missing));
    }
    figures(charts, &mut out)?;
    out.push_str(
        "<h2>Every point</h2><p class=\"muted\">Click a header to sort; the front is shaded; \
         hover a number for its interval.</p>",
    );
    points_table(r, &mut out);
    let _ = writeln!(out, "<script>{SORT_SCRIPT}</script></body></html>");
    Ok(out)
}
