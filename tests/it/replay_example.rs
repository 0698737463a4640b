//! The bundled replay example, end to end through the real readers: the proxy log recorded
//! through `serve` and `mock-provider` (scripts/replay-log.sh) replayed through the config it
//! was recorded with and through both candidates, and LiteLLM's own spend-log sample (CSV and
//! JSON) replayed through the config its rows came from. The replay of a recording config must
//! agree with what the log recorded within the tolerances docs/replay.md states.

use std::path::{Path, PathBuf};

use switchyard::app::replay::{ReplayRequest, replay};
use switchyard::config::LitellmConfig;
use switchyard::config::yaml::ProcessEnv;
use switchyard::replay::read::{ReadOptions, read_log};
use switchyard::report::comparison::Verdict;
use switchyard::report::replay::ReplayReport;

use crate::common::one_thread;

fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/replay")
        .join(name)
}

fn config(name: &str) -> LitellmConfig {
    LitellmConfig::load(&example(name), &ProcessEnv).unwrap()
}

/// `log` replayed through `candidate` (and `current`) on seeds 1–10.
fn replayed(log: &str, candidate: &str, current: Option<&str>) -> ReplayReport {
    let traffic = read_log(&example(log), &ReadOptions::default()).unwrap();
    let request = ReplayRequest {
        candidate: config(candidate),
        current: current.map(config),
        providers: Vec::new(),
        seeds: (1..=10).collect(),
    };
    one_thread().install(|| replay(&traffic, &request)).unwrap()
}

fn assert_trusted(report: &ReplayReport) {
    assert!(report.trust.all_within, "{:#?}", report.trust.rows);
    assert!(report.warnings.is_empty(), "{:?}", report.warnings);
}

#[test]
fn the_bundled_proxy_log_replayed_through_its_own_config_agrees_with_the_log() {
    let report = replayed("proxy-log.jsonl", "current.yaml", None);
    assert_eq!(report.requests, 1466);
    assert!(report.every_attempt);
    assert_trusted(&report);
    let shares = &report.candidate.answers;
    assert!(shares.observed > 0.4, "{shares:?}");
    assert_eq!(shares.modelled, 0.0, "every deployment was in the log");
}

#[test]
fn both_bundled_candidates_replay_against_the_current_config_and_differ_from_it() {
    for candidate in ["candidate-cooldown.yaml", "candidate-latency.yaml"] {
        let report = replayed("proxy-log.jsonl", candidate, Some("current.yaml"));
        assert_eq!(report.trust.role, "current");
        assert_trusted(&report);
        let verdicts: Vec<_> = report
            .candidate
            .metrics
            .iter()
            .map(|m| m.verdict.expect("a verdict against the current config"))
            .collect();
        assert!(
            verdicts
                .iter()
                .any(|v| !matches!(v, Verdict::NoSignificantDifference)),
            "{candidate}: the change shows in some metric: {verdicts:?}"
        );
        assert_eq!(report.candidate.answers.modelled, 0.0);
    }
}

#[test]
fn litellms_spend_log_sample_replays_through_the_config_it_was_recorded_with() {
    let csv = replayed("litellm-spend-logs.csv", "litellm-config.yaml", None);
    assert!(
        !csv.every_attempt,
        "a spend log has each request's last attempt only"
    );
    assert!(csv.requests > 150, "{} requests", csv.requests);
    assert_trusted(&csv);
    let json = replayed("litellm-spend-logs.json", "litellm-config.yaml", None);
    assert!(
        !csv.skipped_rows.is_empty(),
        "the embedding rows are not replayed"
    );
    assert_eq!(csv.skipped_rows.len(), json.skipped_rows.len());
    let text = |r: &ReplayReport| {
        let mut v = serde_json::to_value(r).unwrap();
        for key in ["log", "format", "skipped_rows"] {
            v[key] = serde_json::Value::Null;
        }
        v.to_string()
    };
    assert_eq!(text(&csv), text(&json), "the same rows as CSV and as JSON");
}
