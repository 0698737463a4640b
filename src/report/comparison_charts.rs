//! The comparison's chart: each key metric's mean and 95 % interval per policy, as SVG and PNG;
//! and, when policies differ only in their instances' sync interval, the fleet's overshoot
//! against the interval.
//!
//! It decides which metrics are drawn and how; it must not compute intervals (they come in the
//! [`Comparison`]).

use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;

use super::charts::{Area, ChartFile, LABEL, TITLE, axis, color, err, lane_label, on_axis, render};
use super::comparison::Comparison;

fn comparison_metric<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    c: &Comparison,
    metric: &str,
) -> Result<()> {
    let rows: Vec<(&str, f64, f64, f64)> = c
        .policies
        .iter()
        .filter_map(|p| {
            p.metrics
                .iter()
                .find(|m| m.metric == metric)
                .map(|m| (p.policy.as_str(), m.value.mean, m.value.low, m.value.high))
        })
        .collect();
    let finite = |x: f64| if x.is_finite() { x } else { 0.0 };
    let lo = rows
        .iter()
        .map(|r| finite(r.2))
        .fold(f64::INFINITY, f64::min);
    let hi = rows
        .iter()
        .map(|r| finite(r.3))
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo).abs() * 0.15).max(hi.abs() * 0.001).max(1e-9);
    let x = axis(lo - pad, hi + pad);
    let n = rows.len();
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{metric}: mean and 95 % interval over {} seeds",
                c.seeds.len()
            ),
            TITLE,
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(220)
        .build_cartesian_2d(x.clone(), -0.5f64..n as f64 - 0.5)
        .map_err(err)?;
    let names: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    chart
        .configure_mesh()
        .x_desc(metric)
        .y_labels(n.min(30))
        .y_label_formatter(&|y| lane_label(&names, *y))
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    let place = |v: f64| on_axis(finite(v), &x).unwrap_or(x.start);
    for (i, (_, mean, low, high)) in rows.iter().enumerate() {
        let y = i as f64;
        let c = color(i);
        chart
            .draw_series(std::iter::once(PathElement::new(
                vec![(place(*low), y), (place(*high), y)],
                c.stroke_width(3),
            )))
            .map_err(err)?;
        chart
            .draw_series(on_axis(*mean, &x).map(|m| Circle::new((m, y), 6, c.filled())))
            .map_err(err)?;
    }
    Ok(())
}

/// The fleet's rate-limit overshoot (busiest minute over `rpm`, minus one) against the sync
/// interval, one point per policy of the sweep.
fn sync_sweep_chart<DB: DrawingBackend>(root: &Area<'_, DB>, c: &Comparison) -> Result<()> {
    let points = &c.sync_sweep;
    let rpm: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.sync_interval_s, p.rpm_overshoot * 100.0))
        .collect();
    let hi_x = points.iter().map(|p| p.sync_interval_s).fold(0.0, f64::max);
    let hi_y = rpm.iter().map(|p| p.1).fold(0.0, f64::max);
    let x = axis(0.0, hi_x * 1.05);
    let y = axis(0.0, (hi_y * 1.15).max(1.0));
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "rate-limit overshoot against sync interval ({} seeds)",
                c.seeds.len()
            ),
            TITLE,
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(80)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("sync interval (s)")
        .y_desc("busiest minute over rpm (%)")
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    let placed: Vec<(f64, f64)> = rpm
        .iter()
        .filter_map(|&(a, b)| Some((on_axis(a, &x)?, on_axis(b, &y)?)))
        .collect();
    chart
        .draw_series(LineSeries::new(placed.clone(), color(0).stroke_width(2)))
        .map_err(err)?;
    chart
        .draw_series(placed.iter().map(|&p| Circle::new(p, 5, color(0).filled())))
        .map_err(err)?;
    Ok(())
}

/// The comparison's charts into `dir`.
pub fn comparison_charts(dir: &Path, c: &Comparison) -> Result<Vec<ChartFile>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the chart directory {}", dir.display()))?;
    [
        "success_rate",
        "latency_p99_ms",
        "latency_mean_ms",
        "cost_usd",
    ]
    .iter()
    .map(|m| {
        render(
            dir,
            &format!("compare-{m}"),
            &format!("{m} across seeds"),
            &|root: &Area<'_, SVGBackend>| comparison_metric(root, c, m),
            &|root: &Area<'_, BitMapBackend>| comparison_metric(root, c, m),
        )
    })
    .chain((!c.sync_sweep.is_empty()).then(|| {
        render(
            dir,
            "compare-overshoot-vs-sync-interval",
            "fleet overshoot against sync interval",
            &|root: &Area<'_, SVGBackend>| sync_sweep_chart(root, c),
            &|root: &Area<'_, BitMapBackend>| sync_sweep_chart(root, c),
        )
    }))
    .collect()
}
