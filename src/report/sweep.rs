//! A settings sweep's results: each point's metrics over the seeds with 95 % intervals and
//! whether it is on the Pareto front, as written to `sweep.json`, `sweep.csv` and the terminal.
//!
//! It decides the shape of those files and the front's table; it must not run simulations (the
//! application does, then hands the per-seed values over) or read scenarios.

use anyhow::Result;
use comfy_table::{Cell, CellAlignment, Table, presets::UTF8_FULL_CONDENSED};
use serde::Serialize;

use super::comparison::IntervalOut;
use super::pareto;
use super::stats::{CONFIDENCE, mean_interval};
use crate::metrics::{Direction, METRICS};

/// An objective of the front.
#[derive(Debug, Clone, Serialize)]
pub struct Objective {
    /// The metric (a name of [`METRICS`]).
    pub metric: String,
    /// Which way is better.
    pub direction: Direction,
}

/// One metric of one point.
#[derive(Debug, Clone, Serialize)]
pub struct PointMetric {
    /// The metric.
    pub metric: &'static str,
    /// Mean and 95 % interval over the seeds.
    pub value: IntervalOut,
}

/// One point of the grid.
#[derive(Debug, Clone, Serialize)]
pub struct PointResult {
    /// The point's name (`key=value,…`).
    pub point: String,
    /// The value of each swept setting, in [`SweepReport::settings`]' order.
    pub values: Vec<String>,
    /// Every metric of [`METRICS`], in order.
    pub metrics: Vec<PointMetric>,
    /// Whether no other point is at least as good on every objective and better on one.
    pub pareto: bool,
}

/// The whole sweep (`sweep.json`).
#[derive(Debug, Clone, Serialize)]
pub struct SweepReport {
    /// Scenario name.
    pub scenario: String,
    /// The seeds every point ran, in order.
    pub seeds: Vec<u64>,
    /// Confidence level of every interval.
    pub confidence: f64,
    /// The swept settings' keys.
    pub settings: Vec<String>,
    /// The front's objectives.
    pub objectives: Vec<Objective>,
    /// The points, in grid order (first setting slowest).
    pub points: Vec<PointResult>,
    /// Whether the sweep was stopped before every point completed.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub partial: bool,
    /// The points left out because a seed of theirs did not complete.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub missing: Vec<String>,
}

/// A point's input: its name, its settings' values, and each seed's metric values (in
/// [`METRICS`] order).
#[derive(Debug, Clone)]
pub struct PointRuns {
    /// The point's name.
    pub point: String,
    /// The value of each swept setting.
    pub values: Vec<String>,
    /// `runs[seed][metric]`.
    pub runs: Vec<Vec<f64>>,
}

/// The direction of metric `name` (lower is better for a name not in [`METRICS`]).
fn direction(name: &str) -> Direction {
    METRICS
        .iter()
        .find(|m| m.name == name)
        .map_or(Direction::LowerIsBetter, |m| m.direction)
}

impl SweepReport {
    /// The report of `points` (complete ones only), with the front over `objectives`.
    pub fn new(
        scenario: &str,
        seeds: &[u64],
        settings: Vec<String>,
        objectives: &[String],
        points: &[PointRuns],
    ) -> SweepReport {
        let index: Vec<usize> = objectives
            .iter()
            .filter_map(|o| METRICS.iter().position(|m| m.name == o))
            .collect();
        let means: Vec<Vec<f64>> = points
            .iter()
            .map(|p| {
                (0..METRICS.len())
                    .map(|m| mean_interval(&p.runs.iter().map(|r| r[m]).collect::<Vec<_>>()).mean)
                    .collect()
            })
            .collect();
        let directions: Vec<Direction> = index.iter().map(|&m| METRICS[m].direction).collect();
        let on_objectives: Vec<Vec<f64>> = means
            .iter()
            .map(|m| index.iter().map(|&i| m[i]).collect())
            .collect();
        let front = pareto::front(&directions, &on_objectives);
        let results = points
            .iter()
            .zip(front)
            .map(|(p, pareto)| PointResult {
                point: p.point.clone(),
                values: p.values.clone(),
                metrics: METRICS
                    .iter()
                    .enumerate()
                    .map(|(m, metric)| PointMetric {
                        metric: metric.name,
                        value: mean_interval(&p.runs.iter().map(|r| r[m]).collect::<Vec<_>>())
                            .into(),
                    })
                    .collect(),
                pareto,
            })
            .collect();
        SweepReport {
            scenario: scenario.to_string(),
            seeds: seeds.to_vec(),
            confidence: CONFIDENCE,
            settings,
            objectives: objectives
                .iter()
                .map(|o| Objective {
                    metric: o.clone(),
                    direction: direction(o),
                })
                .collect(),
            points: results,
            partial: false,
            missing: Vec::new(),
        }
    }

    /// The mean of `metric` at `point`.
    pub fn mean(&self, point: &PointResult, metric: &str) -> f64 {
        point
            .metrics
            .iter()
            .find(|m| m.metric == metric)
            .map_or(f64::NAN, |m| m.value.mean)
    }

    /// The points on the front, in grid order.
    pub fn front(&self) -> impl Iterator<Item = &PointResult> {
        self.points.iter().filter(|p| p.pareto)
    }
}

/// `sweep.csv`: one row per point — its settings, each metric's mean, low and high, `pareto`.
pub fn to_csv(r: &SweepReport) -> Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let mut header: Vec<String> = vec!["point".to_string()];
    header.extend(r.settings.iter().cloned());
    for m in METRICS {
        for part in ["mean", "low", "high"] {
            header.push(format!("{}_{part}", m.name));
        }
    }
    header.push("pareto".to_string());
    w.write_record(&header)?;
    for p in &r.points {
        let mut row: Vec<String> = vec![p.point.clone()];
        row.extend(p.values.iter().cloned());
        for m in &p.metrics {
            row.push(m.value.mean.to_string());
            row.push(m.value.low.to_string());
            row.push(m.value.high.to_string());
        }
        row.push(p.pareto.to_string());
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{e}"))
}

fn right(s: String) -> Cell {
    Cell::new(s).set_alignment(CellAlignment::Right)
}

/// The front for the terminal: each point's settings and objectives' means with intervals.
pub fn front_table(r: &SweepReport) -> Table {
    let mut t = Table::new();
    t.load_preset(UTF8_FULL_CONDENSED);
    let mut header: Vec<String> = r.settings.clone();
    header.extend(r.objectives.iter().map(|o| o.metric.clone()));
    t.set_header(header);
    for p in r.front() {
        let mut row: Vec<Cell> = p.values.iter().map(Cell::new).collect();
        for o in &r.objectives {
            let cell = p
                .metrics
                .iter()
                .find(|m| m.metric == o.metric)
                .map_or(String::new(), |m| {
                    format!(
                        "{} [{}, {}]",
                        short(m.value.mean),
                        short(m.value.low),
                        short(m.value.high)
                    )
                });
            row.push(right(cell));
        }
        t.add_row(row);
    }
    t
}

/// A number in four significant figures or so, for tables.
pub fn short(x: f64) -> String {
    if !x.is_finite() {
        return x.to_string();
    }
    let a = x.abs();
    if a == 0.0 {
        return "0".to_string();
    }
    if (0.001..1.0e6).contains(&a) {
        let decimals = (3 - a.log10().floor() as i32).clamp(0, 6) as usize;
        format!("{x:.decimals$}")
    } else {
        format!("{x:.3e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(success: f64, p99: f64, cost: f64) -> Vec<Vec<f64>> {
        let one = |d: f64| {
            METRICS
                .iter()
                .map(|m| match m.name {
                    "success_rate" => success + d,
                    "latency_p99_ms" => p99 + d,
                    "cost_usd" => cost + d,
                    _ => 0.0,
                })
                .collect()
        };
        vec![one(0.0), one(0.001)]
    }

    #[test]
    fn the_front_is_computed_on_the_means_over_the_named_objectives() {
        let points = vec![
            PointRuns {
                point: "a".into(),
                values: vec!["1".into()],
                runs: runs(0.99, 900.0, 1.0),
            },
            PointRuns {
                point: "b".into(),
                values: vec!["2".into()],
                runs: runs(0.98, 950.0, 1.0),
            },
            PointRuns {
                point: "c".into(),
                values: vec!["3".into()],
                runs: runs(0.98, 950.0, 0.5),
            },
        ];
        let all: Vec<String> = ["success_rate", "latency_p99_ms", "cost_usd"]
            .map(String::from)
            .to_vec();
        let r = SweepReport::new("s", &[1, 2], vec!["k".into()], &all, &points);
        let on: Vec<bool> = r.points.iter().map(|p| p.pareto).collect();
        assert_eq!(on, vec![true, false, true]);
        let r = SweepReport::new("s", &[1, 2], vec!["k".into()], &all[..2], &points);
        let on: Vec<bool> = r.points.iter().map(|p| p.pareto).collect();
        assert_eq!(on, vec![true, false, false]);
    }

    #[test]
    fn short_numbers_keep_four_figures() {
        assert_eq!(short(0.98765), "0.9877");
        assert_eq!(short(1234.4), "1234");
        assert_eq!(short(0.0), "0");
    }
}
