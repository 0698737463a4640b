//! Charts of a run and of a comparison (plotters), each written as SVG and PNG.
//!
//! A run: the latency CDF per policy (log time axis), success rate over time with outage and
//! brownout windows shaded, traffic share per deployment over time (stacked), spend against
//! budget limits, a cooldown timeline with one lane per deployment, and the distribution of
//! attempts per request. A comparison: each key metric's mean and 95 % interval per policy.
//! It decides how the numbers look; it computes none of them.

use std::ops::Range;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, anyhow};
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::metrics::PolicyStats;
use crate::report::summary::label;
use crate::router::DeploymentTable;
use crate::time::Time;

const SIZE: (u32, u32) = (960, 540);
/// The most labels an axis gets (a run with hundreds of attempts or deployments still draws).
const MAX_LABELS: usize = 30;
pub(super) const TITLE: (&str, u32) = ("sans-serif", 24);
pub(super) const LABEL: (&str, u32) = ("sans-serif", 16);

/// A shaded window on time charts.
#[derive(Debug, Clone)]
pub struct Window {
    /// From.
    pub start: Time,
    /// To.
    pub end: Time,
    /// What happened (`outage azure-eu`, `brownout ×5 azure-eu`).
    pub label: String,
}

/// A chart written to disk: its title and the two files.
#[derive(Debug, Clone)]
pub struct ChartFile {
    /// The chart's title.
    pub title: String,
    /// The SVG file.
    pub svg: PathBuf,
    /// The PNG file.
    pub png: PathBuf,
}

pub(super) fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e:?}")
}

/// The largest magnitude an axis reaches: beyond it values are drawn at the edge. Larger (or
/// infinite) spans make the tick search of the chart library loop or overflow.
pub const AXIS_LIMIT: f64 = 1.0e15;

/// A drawable axis from `lo` to `hi`: finite, within ±[`AXIS_LIMIT`] and not empty, whatever
/// the numbers (NaN, infinite, equal, reversed).
pub fn axis(lo: f64, hi: f64) -> Range<f64> {
    let clamp = |x: f64, nan: f64| {
        if x.is_nan() {
            nan
        } else {
            x.clamp(-AXIS_LIMIT, AXIS_LIMIT)
        }
    };
    let (lo, hi) = (clamp(lo, 0.0), clamp(hi, 1.0));
    if hi > lo {
        lo..hi
    } else {
        lo..lo + lo.abs().max(1.0)
    }
}

/// A value placed on `range`: NaN is not drawn, anything outside is drawn at the edge.
pub fn on_axis(x: f64, range: &Range<f64>) -> Option<f64> {
    (!x.is_nan()).then(|| x.clamp(range.start, range.end))
}

/// The longest file-name stem a policy contributes to its charts' names.
const MAX_SLUG: usize = 60;

/// File-name stems for `names` (one per name, in order): letters and digits kept, anything
/// else a `-`, at most [`MAX_SLUG`] characters, and distinct (a repeat gets `-2`, `-3`, …) so
/// two policies never write the same chart file.
pub fn slugs(names: &[&str]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let base: String = name
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .take(MAX_SLUG)
            .collect();
        let mut slug = base.clone();
        let mut n = 2;
        while out.contains(&slug) {
            slug = format!("{base}-{n}");
            n += 1;
        }
        out.push(slug);
    }
    out
}

pub(super) type Area<'a, DB> = DrawingArea<DB, Shift>;

/// Draws with `draw` into `<dir>/<name>.svg` and `.png`.
pub(super) fn render(
    dir: &Path,
    name: &str,
    title: &str,
    draw: &dyn Fn(&Area<'_, SVGBackend>) -> Result<()>,
    draw_png: &dyn Fn(&Area<'_, BitMapBackend>) -> Result<()>,
) -> Result<ChartFile> {
    let svg = dir.join(format!("{name}.svg"));
    let png = dir.join(format!("{name}.png"));
    let drawn = |file: &Path| format!("cannot write the chart {file:?} ({title})");
    (|| {
        let root = SVGBackend::new(&svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw(&root)?;
        root.present().map_err(err)
    })()
    .with_context(|| drawn(&svg))?;
    (|| {
        let root = BitMapBackend::new(&png, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        draw_png(&root)?;
        root.present().map_err(err)
    })()
    .with_context(|| drawn(&png))?;
    Ok(ChartFile {
        title: title.to_string(),
        svg,
        png,
    })
}

/// Draws the series legend at `position` in the house style.
macro_rules! legend {
    ($chart:expr, $position:expr) => {
        $chart
            .configure_series_labels()
            .position($position)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(LABEL)
            .draw()
            .map_err(err)?
    };
}

/// The name of lane `y` (an integer position on a categorical axis), empty between lanes.
pub(super) fn lane_label(names: &[String], y: f64) -> String {
    let i = y.round();
    if (y - i).abs() < 0.01 && i >= 0.0 && (i as usize) < names.len() {
        names[i as usize].clone()
    } else {
        String::new()
    }
}

macro_rules! chart {
    ($dir:expr, $name:expr, $title:expr, |$root:ident| $body:expr) => {
        render(
            $dir,
            $name,
            $title,
            &|$root: &Area<'_, SVGBackend>| $body,
            &|$root: &Area<'_, BitMapBackend>| $body,
        )
    };
}

pub(super) fn color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(255, 127, 14),
        RGBColor(44, 160, 44),
        RGBColor(214, 39, 40),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    COLORS[i % COLORS.len()]
}

fn latency_cdf<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policies: &[(&str, &PolicyStats)],
) -> Result<()> {
    let curves: Vec<Vec<(f64, f64)>> = policies.iter().map(|(_, s)| s.latency_cdf()).collect();
    let max = curves.iter().flatten().map(|p| p.0).fold(10.0f64, f64::max) * 1.2;
    let min = curves
        .iter()
        .flatten()
        .map(|p| p.0)
        .fold(max, f64::min)
        .max(0.1)
        * 0.8;
    let x = axis(min, max);
    let (min, max) = (x.start.max(0.08), x.end.max(x.start.max(0.08) * 10.0));
    let mut chart = ChartBuilder::on(root)
        .caption("Latency distribution of served requests", TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d((min..max).log_scale(), 0f64..1f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("latency, arrival to last token (ms, log scale)")
        .y_desc("share of served requests")
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    for (i, ((name, _), points)) in policies.iter().zip(&curves).enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(
                points
                    .iter()
                    .filter_map(|&(x, y)| Some((on_axis(x, &(min..max))?, y))),
                c.stroke_width(2),
            ))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend!(chart, SeriesLabelPosition::LowerRight);
    Ok(())
}

fn success_over_time<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policies: &[(&str, &PolicyStats)],
    windows: &[Window],
) -> Result<()> {
    let width_min = policies
        .first()
        .map_or(1.0, |(_, s)| s.timeline.width.as_secs_f64() / 60.0);
    let buckets = policies
        .first()
        .map_or(1, |(_, s)| s.timeline.requests.len());
    let x = axis(0.0, width_min * buckets as f64);
    let series: Vec<Vec<(f64, f64)>> = policies
        .iter()
        .map(|(_, s)| {
            s.timeline
                .requests
                .iter()
                .zip(&s.timeline.succeeded)
                .enumerate()
                .filter(|(_, (r, _))| **r > 0)
                .map(|(b, (r, ok))| ((b as f64 + 0.5) * width_min, 100.0 * *ok as f64 / *r as f64))
                .collect()
        })
        .collect();
    let low = series
        .iter()
        .flatten()
        .map(|p| p.1)
        .fold(100.0f64, f64::min);
    let floor = if low > 99.0 {
        98.0
    } else {
        (low - 5.0).max(0.0).floor()
    };
    let mut chart = ChartBuilder::on(root)
        .caption("Success rate over time", TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(x.clone(), floor..100.5f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time since start (minutes)")
        .y_desc("requests served (%)")
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    for (i, w) in windows.iter().enumerate() {
        let minutes = |t: Time| on_axis(t.as_secs_f64() / 60.0, &x).unwrap_or(x.start);
        let (a, b) = (minutes(w.start), minutes(w.end));
        let shade = RGBColor(214, 39, 40).mix(0.12 + 0.05 * (i % 2) as f64);
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(a, floor), (b, 100.5)],
                shade.filled(),
            )))
            .map_err(err)?
            .label(w.label.clone())
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], shade.filled()));
    }
    for (i, ((name, _), points)) in policies.iter().zip(&series).enumerate() {
        let c = color(i);
        chart
            .draw_series(LineSeries::new(points.iter().copied(), c.stroke_width(2)))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
    }
    legend!(chart, SeriesLabelPosition::LowerLeft);
    Ok(())
}

fn traffic_share<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policy: &str,
    stats: &PolicyStats,
    names: &[String],
) -> Result<()> {
    let t = &stats.timeline;
    let width_min = t.width.as_secs_f64() / 60.0;
    let buckets = t.requests.len();
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Traffic share per deployment — {policy}"), TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(axis(0.0, width_min * buckets as f64), 0f64..100f64)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time since start (minutes)")
        .y_desc("share of served requests (%)")
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    let bands = share_bands(&t.served, t.deployments, names);
    let d = t.deployments;
    // Served requests of bands 0..=j in bucket b, as a percentage of the bucket's.
    let share = |b: usize, upto: usize| -> f64 {
        let row = &t.served[b * d..(b + 1) * d];
        let total: u64 = row.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let below: u64 = bands[..=upto]
            .iter()
            .flat_map(|band| &band.1)
            .map(|&k| row[k])
            .sum();
        100.0 * below as f64 / total as f64
    };
    for (k, (name, _)) in bands.iter().enumerate().rev() {
        let c = color(k);
        let points: Vec<(f64, f64)> = (0..buckets)
            .map(|b| ((b as f64 + 0.5) * width_min, share(b, k)))
            .collect();
        chart
            .draw_series(AreaSeries::new(points, 0.0, c.mix(0.75)).border_style(c))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| {
                Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.mix(0.75).filled())
            });
    }
    legend!(chart, SeriesLabelPosition::UpperRight);
    Ok(())
}

/// Bands of the traffic-share chart drawn one by one at most; a bigger config draws its
/// busiest deployments and one band for the rest (a thousand stacked areas would be unreadable
/// and slow to draw).
const MAX_SHARE_BANDS: usize = 16;

/// The traffic-share chart's bands, bottom first: each deployment in `model_list` order when
/// there are at most [`MAX_SHARE_BANDS`]; else the busiest `MAX_SHARE_BANDS - 1` (in
/// `model_list` order) and `other (N deployments)`.
fn share_bands(served: &[u64], deployments: usize, names: &[String]) -> Vec<(String, Vec<usize>)> {
    if deployments <= MAX_SHARE_BANDS {
        return (0..deployments)
            .map(|k| (names[k].clone(), vec![k]))
            .collect();
    }
    let mut totals = vec![0u64; deployments];
    for row in served.chunks(deployments) {
        for (total, n) in totals.iter_mut().zip(row) {
            *total += n;
        }
    }
    let mut busiest: Vec<usize> = (0..deployments).collect();
    busiest.sort_by_key(|&k| (std::cmp::Reverse(totals[k]), k));
    let mut shown = busiest[..MAX_SHARE_BANDS - 1].to_vec();
    shown.sort_unstable();
    let mut rest = busiest[MAX_SHARE_BANDS - 1..].to_vec();
    rest.sort_unstable();
    let mut bands: Vec<(String, Vec<usize>)> = shown
        .into_iter()
        .map(|k| (names[k].clone(), vec![k]))
        .collect();
    bands.push((format!("other ({} deployments)", rest.len()), rest));
    bands
}

fn cooldowns<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policy: &str,
    stats: &PolicyStats,
    names: &[String],
    end_min: f64,
) -> Result<()> {
    let lanes = names.len();
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Cooldowns per deployment — {policy}"), TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(200)
        .build_cartesian_2d(axis(0.0, end_min), -0.5f64..lanes as f64 - 0.5)
        .map_err(err)?;
    let x = axis(0.0, end_min);
    chart
        .configure_mesh()
        .x_desc("time since start (minutes)")
        .y_labels(lanes.min(MAX_LABELS))
        .y_label_formatter(&|y| lane_label(names, *y))
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    chart
        .draw_series(stats.cooldown_events.iter().map(|e| {
            let lane = e.deployment.get() as f64;
            let minutes = |t: Time| on_axis(t.as_secs_f64() / 60.0, &x).unwrap_or(x.start);
            let (a, b) = (minutes(e.start), minutes(e.end));
            Rectangle::new(
                [(a, lane - 0.35), (b.max(a + x.end / 800.0), lane + 0.35)],
                color(3).filled(),
            )
        }))
        .map_err(err)?;
    Ok(())
}

fn attempts<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policies: &[(&str, &PolicyStats)],
) -> Result<()> {
    let max_attempts = policies
        .iter()
        .map(|(_, s)| s.attempts_histogram.len())
        .max()
        .unwrap_or(1)
        .max(2);
    let shares: Vec<Vec<f64>> = policies
        .iter()
        .map(|(_, s)| {
            (0..max_attempts)
                .map(|a| {
                    let n = s.attempts_histogram.get(a).copied().unwrap_or(0);
                    if s.requests == 0 {
                        0.0
                    } else {
                        100.0 * n as f64 / s.requests as f64
                    }
                })
                .collect()
        })
        .collect();
    let top = shares.iter().flatten().fold(1.0f64, |m, x| m.max(*x));
    let mut chart = ChartBuilder::on(root)
        .caption("Attempts per request", TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(64)
        .build_cartesian_2d(-0.5f64..max_attempts as f64 - 0.5, 0f64..top * 1.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("attempts (0: refused by the router)")
        .y_desc("share of requests (%)")
        .x_labels(max_attempts.min(MAX_LABELS))
        .x_label_formatter(&|x| format!("{x:.0}"))
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    let n = policies.len().max(1) as f64;
    for (i, ((name, _), values)) in policies.iter().zip(&shares).enumerate() {
        let c = color(i);
        let w = 0.8 / n;
        chart
            .draw_series(values.iter().enumerate().map(|(a, v)| {
                let x0 = a as f64 - 0.4 + w * i as f64;
                Rectangle::new([(x0, 0.0), (x0 + w * 0.9, *v)], c.filled())
            }))
            .map_err(err)?
            .label(*name)
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 20, y + 6)], c.filled()));
    }
    legend!(chart, SeriesLabelPosition::UpperRight);
    Ok(())
}

fn budgets<DB: DrawingBackend>(
    root: &Area<'_, DB>,
    policy: &str,
    stats: &PolicyStats,
    end_min: f64,
) -> Result<()> {
    let mut keys: Vec<&str> = stats
        .budget_samples
        .iter()
        .map(|s| s.key.as_str())
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let top = stats
        .budget_samples
        .iter()
        .map(|s| s.spent.max(s.limit))
        .fold(1e-9f64, f64::max)
        * 1.1;
    let (x, y) = (axis(0.0, end_min), axis(0.0, top));
    let mut chart = ChartBuilder::on(root)
        .caption(format!("Spend against budget limits — {policy}"), TITLE)
        .margin(16)
        .x_label_area_size(48)
        .y_label_area_size(72)
        .build_cartesian_2d(x.clone(), y.clone())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("time since start (minutes)")
        .y_desc("spend in the current window (USD)")
        .label_style(LABEL)
        .draw()
        .map_err(err)?;
    for (i, key) in keys.iter().enumerate() {
        let c = color(i);
        let points: Vec<(f64, f64)> = stats
            .budget_samples
            .iter()
            .filter(|s| s.key == *key)
            .filter_map(|s| {
                Some((
                    on_axis(s.at.as_secs_f64() / 60.0, &x)?,
                    on_axis(s.spent, &y)?,
                ))
            })
            .collect();
        let limit = stats
            .budget_samples
            .iter()
            .find(|s| s.key == *key)
            .map_or(0.0, |s| s.limit);
        chart
            .draw_series(LineSeries::new(points, c.stroke_width(2)))
            .map_err(err)?
            .label(format!("{key} (limit ${limit})"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        let drawn_limit = on_axis(limit, &y).unwrap_or(y.end);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x.start, drawn_limit), (x.end, drawn_limit)],
                6,
                4,
                c.stroke_width(1),
            ))
            .map_err(err)?;
    }
    legend!(chart, SeriesLabelPosition::UpperLeft);
    Ok(())
}

/// Every chart of a run into `dir`.
pub fn run_charts(
    dir: &Path,
    policies: &[(&str, &PolicyStats)],
    table: &DeploymentTable,
    windows: &[Window],
    duration_min: f64,
) -> Result<Vec<ChartFile>> {
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create the chart directory {}", dir.display()))?;
    let names: Vec<String> = table
        .deployments()
        .iter()
        .map(|d| label(&d.config))
        .collect();
    let mut files = vec![
        chart!(dir, "latency-cdf", "Latency distribution", |root| {
            latency_cdf(root, policies)
        })?,
        chart!(dir, "success-over-time", "Success rate over time", |root| {
            success_over_time(root, policies, windows)
        })?,
        chart!(dir, "attempts", "Attempts per request", |root| attempts(
            root, policies
        ))?,
    ];
    let names_of: Vec<&str> = policies.iter().map(|(n, _)| *n).collect();
    for ((name, stats), slug) in policies.iter().zip(slugs(&names_of)) {
        files.push(chart!(
            dir,
            &format!("traffic-share-{slug}"),
            &format!("Traffic share — {name}"),
            |root| traffic_share(root, name, stats, &names)
        )?);
        if !stats.cooldown_events.is_empty() {
            files.push(chart!(
                dir,
                &format!("cooldowns-{slug}"),
                &format!("Cooldowns — {name}"),
                |root| cooldowns(root, name, stats, &names, duration_min)
            )?);
        }
        if !stats.budget_samples.is_empty() {
            files.push(chart!(
                dir,
                &format!("budgets-{slug}"),
                &format!("Budgets — {name}"),
                |root| budgets(root, name, stats, duration_min)
            )?);
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_big_config_shares_one_band_among_all_but_the_busiest_deployments() {
        let names: Vec<String> = (0..3).map(|k| format!("d{k}")).collect();
        let small = share_bands(&[1, 2, 3], 3, &names);
        assert_eq!(small.len(), 3);
        assert_eq!(small[2], ("d2".to_string(), vec![2]));

        let n = MAX_SHARE_BANDS + 4;
        let names: Vec<String> = (0..n).map(|k| format!("d{k}")).collect();
        // Two buckets; deployment k serves k requests in each, so the busiest are the last.
        let served: Vec<u64> = (0..2).flat_map(|_| 0..n as u64).collect();
        let bands = share_bands(&served, n, &names);
        assert_eq!(bands.len(), MAX_SHARE_BANDS);
        assert_eq!(bands[0].1, vec![5], "the busiest, in model_list order");
        assert_eq!(bands[MAX_SHARE_BANDS - 1].0, "other (5 deployments)");
        assert_eq!(bands[MAX_SHARE_BANDS - 1].1, vec![0, 1, 2, 3, 4]);
    }
}
