//! The sweep's Pareto chart: every point on two of the objectives, the front highlighted and
//! joined, as SVG and PNG.
//!
//! It decides the axes (the first two objectives; with one objective, it against the first
//! other metric of [`METRICS`]) and the drawing; it must not decide which points are on the
//! front (they come marked in the [`SweepReport`]).

use std::path::Path;

use anyhow::{Context, Result};
use plotters::prelude::*;

use super::charts::{Area, ChartFile, LABEL, TITLE, axis, color, err, on_axis, render};
use super::sweep::SweepReport;
use crate::metrics::METRICS;

/// The chart's (x, y) metrics.
pub fn axes(r: &SweepReport) -> (String, String) {
    let first = r
        .objectives
        .first()
        .map_or("success_rate".to_string(), |o| o.metric.clone());
    let second = r
        .objectives
        .get(1)
        .map(|o| o.metric.clone())
        .unwrap_or_else(|| {
            METRICS
                .iter()
                .map(|m| m.name.to_string())
                .find(|m| *m != first)
                .unwrap_or_default()
        });
    (second, first)
}

/// A padded axis over `values`' finite numbers.
fn span(values: &[f64]) -> std::ops::Range<f64> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo).abs() * 0.08).max(hi.abs() * 0.001).max(1e-9);
    axis(lo - pad, hi + pad)
}

fn pareto_chart<DB: DrawingBackend>(root: &Area<'_, DB>, r: &SweepReport) -> Result<()> {
    let (xm, ym) = axes(r);
    let at = |p| (r.mean(p, &xm), r.mean(p, &ym));
    let all: Vec<(f64, f64)> = r.points.iter().map(at).collect();
    let x = span(&all.iter().map(|p| p.0).collect::<Vec<_>>());
    let y = span(&all.iter().map(|p| p.1).collect::<Vec<_>>());
    let mut chart = ChartBuilder::on(root)
        .caption(
            format!(
                "{} points, Pareto front over {} seeds",
                r.points.len(),
                r.seeds.len()
            ),
            TITLE,
        )
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(90)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(xm.as_str())
        .y_desc(ym.as_str())
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    let place = |(a, b): (f64, f64)| Some((on_axis(a, &x)?, on_axis(b, &y)?));
    let grey = RGBColor(170, 170, 170);
    chart
        .draw_series(
            r.points
                .iter()
                .filter(|p| !p.pareto)
                .filter_map(|p| place(at(p)))
                .map(|p| Circle::new(p, 4, grey.filled())),
        )
        .map_err(err)?;
    let mut front: Vec<(f64, f64)> = r.front().filter_map(|p| place(at(p))).collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
    chart
        .draw_series(LineSeries::new(front.clone(), color(3).stroke_width(2)))
        .map_err(err)?;
    chart
        .draw_series(front.iter().map(|&p| Circle::new(p, 6, color(3).filled())))
        .map_err(err)?;
    Ok(())
}

/// The sweep's chart into `dir`.
pub fn sweep_charts(dir: &Path, r: &SweepReport) -> Result<Vec<ChartFile>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the chart directory {}", dir.display()))?;
    let (xm, ym) = axes(r);
    Ok(vec![render(
        dir,
        "sweep-pareto",
        &format!("Pareto front: {ym} against {xm} (front in red, dominated points in grey)"),
        &|root: &Area<'_, SVGBackend>| pareto_chart(root, r),
        &|root: &Area<'_, BitMapBackend>| pareto_chart(root, r),
    )?])
}
