//! `compare`: paired verdicts across seeds, and identical output whatever the thread count.

use switchyard::app::compare::compare;
use switchyard::report::comparison::{Comparison, Verdict};

use crate::common::{bundled, scenario};

fn verdict(c: &Comparison, policy: &str, metric: &str) -> Verdict {
    c.policies
        .iter()
        .find(|p| p.policy == policy)
        .unwrap()
        .metrics
        .iter()
        .find(|m| m.metric == metric)
        .unwrap()
        .verdict
}

#[test]
fn cooldowns_are_clearly_better_than_none_during_an_outage() {
    let mut s = bundled("outage.yaml");
    s.duration = std::time::Duration::from_secs(20 * 60);
    let seeds: Vec<u64> = (1..=6).collect();
    let c = compare(&s, &seeds, "no-cooldowns", &|| {}).unwrap();
    assert_eq!(
        verdict(&c, "litellm-default", "success_rate"),
        Verdict::Better
    );
    assert_eq!(
        verdict(&c, "litellm-default", "retries_per_request"),
        Verdict::Better
    );
    assert_eq!(
        verdict(&c, "no-cooldowns", "success_rate"),
        Verdict::Baseline
    );
}

#[test]
fn a_policy_compared_with_itself_shows_no_significant_difference() {
    let text = r#"
name: same
duration: 5m
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
    - {model_name: m, litellm_params: {model: openai/b}, model_info: {id: b}}
providers:
  - {match: {model_name: m}, ttft: {lognormal: {median: 300ms, p99: 2s}}, errors: {internal_server: 0.05}}
workload:
  rate: 10/s
  mix:
    - {model: m, input_tokens: 100, output_tokens: {uniform: {min: 10, max: 200}}}
policies:
  one: {}
  same-again: {}
"#;
    let s = scenario(text).unwrap();
    let c = compare(&s, &[1, 2, 3, 4, 5], "one", &|| {}).unwrap();
    for m in &c.policies[1].metrics {
        assert_eq!(m.verdict, Verdict::NoSignificantDifference, "{}", m.metric);
    }
}

#[test]
fn the_comparison_is_byte_identical_with_one_and_four_threads() {
    let mut s = bundled("seed-cooldown.yaml");
    s.duration = std::time::Duration::from_secs(5 * 60);
    let run = |threads: usize| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        let c = pool
            .install(|| compare(&s, &[4, 5, 6, 7], "article", &|| {}))
            .unwrap();
        serde_json::to_string(&c).unwrap()
    };
    assert_eq!(run(1), run(4));
}

#[test]
fn an_unknown_baseline_or_a_single_seed_is_refused() {
    let s = bundled("outage.yaml");
    let e = compare(&s, &[1, 2], "nope", &|| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("no policy named \"nope\""), "{e}");
    let e = compare(&s, &[1], "litellm-default", &|| {})
        .unwrap_err()
        .to_string();
    assert!(e.contains("at least 2 seeds"), "{e}");
}

#[test]
fn the_html_report_embeds_every_chart_and_references_nothing_outside() {
    let mut s = bundled("outage.yaml");
    s.duration = std::time::Duration::from_secs(20 * 60);
    let dir = tempfile::tempdir().unwrap();
    let c = compare(&s, &[3, 4, 5], "litellm-default", &|| {}).unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let output = switchyard::app::runner::run_scenario(&s, &policies, 3, dir.path()).unwrap();
    let charts = switchyard::app::runner::write_pages(&s, &output, Some(&c), dir.path()).unwrap();
    let html = std::fs::read_to_string(dir.path().join("index.html")).unwrap();
    let svg_files = std::fs::read_dir(dir.path().join("charts"))
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .path()
                .extension()
                .is_some_and(|x| x == "svg")
        })
        .count();
    assert_eq!(svg_files, charts);
    assert!(
        charts >= 4 + 3 + 4,
        "comparison, run and per-policy charts: {charts}"
    );
    assert_eq!(html.matches("<svg").count(), charts, "every chart inline");
    for forbidden in ["src=", "href=", "<link", "<script", "url(", "@import"] {
        assert!(!html.contains(forbidden), "index.html contains {forbidden}");
    }
    for title in [
        "Latency distribution",
        "Success rate over time",
        "Attempts per request",
        "Traffic share",
        "Cooldowns",
        "across seeds",
    ] {
        assert!(html.contains(title), "missing {title}");
    }
    for png in std::fs::read_dir(dir.path().join("charts")).unwrap() {
        let path = png.unwrap().path();
        if path.extension().is_some_and(|x| x == "png") {
            let bytes = std::fs::read(&path).unwrap();
            assert!(bytes.starts_with(b"\x89PNG"), "{}", path.display());
        }
    }
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("| litellm-default |") && md.contains("over 3 seeds"));
}
