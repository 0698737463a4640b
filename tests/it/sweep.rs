//! `sweep`: the grid read from a scenario (and refused with a located error), identical files
//! whatever the thread count, `sweep.csv` readable back, and a stopped sweep's partial report.

use std::path::{Path, PathBuf};

use switchyard::app::interrupt::StopFlag;
use switchyard::app::sweep::{SweepRequest, Swept, sweep_to_dir};
use switchyard::app::validation::load_runnable;
use switchyard::metrics::METRICS;
use switchyard::scenario::Scenario;

use crate::common::{env, scenario, scenarios_dir};

/// The bundled sweep scenario cut to two minutes of traffic and a 2 × 2 grid, written to `dir`.
pub fn small_sweep_file(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(scenarios_dir().join("sweep-cooldowns.yaml")).unwrap();
    let text = text
        .replace("duration: 10m", "duration: 2m")
        .replace("start: 3m, end: 7m", "start: 30s, end: 90s")
        .replace("cooldown_time: [5, 30, 60]", "cooldown_time: [5, 60]")
        .replace("allowed_fails: [1, 3, 5]", "allowed_fails: [1, 5]")
        .replace(
            "routing_strategy: [simple-shuffle, latency-based-routing]",
            "routing_strategy: [simple-shuffle]",
        );
    assert!(
        text.contains("cooldown_time: [5, 60]"),
        "the bundled grid moved"
    );
    let path = dir.join("sweep.yaml");
    std::fs::write(&path, text).unwrap();
    path
}

/// Every file under `dir` (relative path, bytes), in path order.
pub fn files(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                ));
            }
        }
    }
    out.sort();
    out
}

fn run_sweep(s: &Scenario, path: &Path, seeds: &[u64], threads: usize, out: &Path) -> Swept {
    let stop = StopFlag::new();
    let request = SweepRequest {
        path,
        seeds,
        objectives: None,
        shard: None,
        stop: &stop,
        on_run: &|| {},
    };
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .unwrap()
        .install(|| sweep_to_dir(s, request, out))
        .unwrap()
}

const BASE: &str = "name: s\nduration: 1m\nrouter:\n  model_list:\n    - {model_name: m, litellm_params: {model: openai/m}}\nproviders:\n  - match: {model_name: m}\n    ttft: 100ms\nworkload: {rate: 1/s, mix: [{model: m, input_tokens: 10, output_tokens: 10}]}\n";

fn refused(extra: &str) -> String {
    match scenario(&format!("{BASE}{extra}")) {
        Ok(_) => panic!("accepted:\n{extra}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn a_bad_sweep_block_names_the_key_path_and_what_was_expected() {
    let e = refused("sweep: {cooldown_time: [5, 30, fast]}\n");
    assert!(e.contains("sweep.cooldown_time[2]"), "{e}");
    let e = refused("sweep: {cooldwn_time: [5]}\n");
    assert!(
        e.contains("sweep.cooldwn_time") && e.contains("cooldown_time"),
        "{e}"
    );
    let e = refused("sweep: {allowed_fails: 3}\n");
    assert!(
        e.contains("sweep.allowed_fails") && e.contains("a list of values"),
        "{e}"
    );
    let e = refused("sweep: {allowed_fails: []}\n");
    assert!(e.contains("at least one value"), "{e}");
    let e = refused("sweep: {}\n");
    assert!(e.contains("at least one setting"), "{e}");
    let e = refused("sweep: {routing_strategy: [simple-shuffle, fastest-please]}\n");
    assert!(e.contains("sweep.routing_strategy[1]"), "{e}");
    let e = refused("sweep: {instances: [1]}\n");
    assert!(e.contains("cannot be swept"), "{e}");
    let e = refused("sweep: {num_retries: [1]}\nsweep_objectives: [success_rate, speed]\n");
    assert!(
        e.contains("sweep_objectives[1]") && e.contains("latency_p99_ms"),
        "{e}"
    );
    let e = refused("sweep_objectives: [success_rate]\n");
    assert!(e.contains("needs a `sweep:` block"), "{e}");
    let hundred: Vec<String> = (0..101).map(|i| i.to_string()).collect();
    let list = format!("[{}]", hundred.join(", "));
    let e = refused(&format!(
        "sweep: {{num_retries: {list}, allowed_fails: {list}}}\n"
    ));
    assert!(
        e.contains("at most 10000 points") && e.contains("101 × 101"),
        "{e}"
    );
}

#[test]
fn the_grid_is_every_combination_first_setting_slowest_each_a_checked_policy() {
    let s = scenario(&format!(
        "{BASE}policies: {{a: {{cooldown_time: 60, allowed_fails: 1}}}}\nsweep: {{cooldown_time: [5, 60], allowed_fails: [1, 3]}}\n"
    ))
    .unwrap();
    let sweep = s.sweep.as_ref().unwrap();
    let names: Vec<&str> = sweep
        .points
        .iter()
        .map(|p| p.policy.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "cooldown_time=5,allowed_fails=1",
            "cooldown_time=5,allowed_fails=3",
            "cooldown_time=60,allowed_fails=1",
            "cooldown_time=60,allowed_fails=3"
        ]
    );
    // A point is the policy with the same overrides.
    assert_eq!(sweep.points[2].policy.settings, s.policies[0].settings);
    assert_ne!(sweep.points[0].policy.settings, s.policies[0].settings);
    assert_eq!(
        sweep.objectives,
        ["success_rate", "latency_p99_ms", "cost_usd"]
    );
    // `run` and `compare` still see the scenario's own policies.
    assert_eq!(s.policies.len(), 1);
}

#[test]
fn a_sweep_writes_the_same_bytes_whatever_the_thread_count_and_on_a_rerun() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let s = load_runnable(&path, &env()).unwrap();
    let seeds = [11, 12, 13];
    let outs: Vec<PathBuf> = (0..3).map(|i| dir.path().join(format!("out{i}"))).collect();
    run_sweep(&s, &path, &seeds, 1, &outs[0]);
    run_sweep(&s, &path, &seeds, 2, &outs[1]);
    run_sweep(&s, &path, &seeds, 2, &outs[2]);
    let first = files(&outs[0]);
    assert_eq!(
        first.len(),
        5,
        "sweep.json, sweep.csv, index.html, two charts"
    );
    assert!(first == files(&outs[1]) && first == files(&outs[2]));
}

#[test]
fn sweep_csv_reads_back_with_one_row_per_point_and_the_front_marked() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let s = load_runnable(&path, &env()).unwrap();
    let Swept::Report(report) = run_sweep(&s, &path, &[1, 2], 2, dir.path()) else {
        panic!("a report")
    };
    let mut reader = csv::Reader::from_path(dir.path().join("sweep.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    assert_eq!(header.len(), 1 + 3 + 3 * METRICS.len() + 1);
    assert_eq!(&header[1], "cooldown_time");
    assert_eq!(&header[header.len() - 1], "pareto");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 4);
    let col = |name: &str| header.iter().position(|h| h == name).unwrap();
    for (row, point) in rows.iter().zip(&report.points) {
        assert_eq!(&row[0], point.point);
        assert_eq!(row[col("pareto")].parse::<bool>().unwrap(), point.pareto);
        let success: f64 = row[col("success_rate_mean")].parse().unwrap();
        assert_eq!(success, report.mean(point, "success_rate"));
        assert!((0.0..=1.0).contains(&success));
    }
    assert!(rows.iter().any(|r| &r[col("pareto")] == "true"));
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["points"].as_array().unwrap().len(), 4);
    assert!(json.get("partial").is_none());
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains("class=\"sortable\"") && page.contains("<svg"));
}

#[test]
fn a_stopped_sweep_reports_only_the_points_whose_every_seed_completed() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let s = load_runnable(&path, &env()).unwrap();
    let stop = StopFlag::new();
    // Stop after five runs: points 0 and 1 (two seeds each) are complete, point 2 is not.
    let on_run = crate::common::stop_at_run(5, &stop);
    let request = SweepRequest {
        path: &path,
        seeds: &[1, 2],
        objectives: None,
        shard: None,
        stop: &stop,
        on_run: &on_run,
    };
    let pool = crate::common::one_thread();
    let Swept::Report(report) = pool
        .install(|| sweep_to_dir(&s, request, dir.path()))
        .unwrap()
    else {
        panic!("a report")
    };
    assert!(report.partial);
    assert_eq!(report.points.len(), 2);
    assert_eq!(report.missing.len(), 2);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("sweep.json")).unwrap()).unwrap();
    assert_eq!(json["partial"], true);
    assert_eq!(json["missing"].as_array().unwrap().len(), 2);
    let page = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    assert!(page.contains("Partial report"));
}
