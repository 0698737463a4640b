//! `switchyard check`: expectations, exit codes, JUnit and baselines.

use std::path::Path;
use std::process::Command;

const SCENARIO: &str = r#"
name: checked
duration: 2m
seed: 3
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
    - {model_name: m, litellm_params: {model: openai/b}, model_info: {id: b}}
providers:
  - {match: {model_name: m}, ttft: {lognormal: {median: 300ms, p99: 2s}}, per_token: 5ms}
workload:
  rate: 10/s
  mix:
    - {model: m, input_tokens: 100, output_tokens: 100}
policies:
  plain: {}
  patient: {num_retries: 5}
expect:
  - "success_rate == 1"
  - "deployments.a.share in 0.4..0.6"
  - {policy: plain, that: "latency_ms.p99 < 60000"}
"#;

fn check(dir: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .arg("check")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

#[test]
fn exit_codes_for_pass_fail_and_invalid_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.yaml"), SCENARIO).unwrap();
    let (code, out) = check(dir.path(), &["ok.yaml"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("PASS checked: plain: deployments.a.share in 0.4..0.6 — measured"),
        "{out}"
    );
    assert!(out.trim_end().ends_with("5 passed, 0 failed"), "{out}");

    std::fs::write(
        dir.path().join("fail.yaml"),
        SCENARIO.replace("\"success_rate == 1\"", "\"success_rate < 0.5\""),
    )
    .unwrap();
    let (code, out) = check(dir.path(), &["fail.yaml"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL checked: plain: success_rate < 0.5 — measured 1.0000"),
        "{out}"
    );

    std::fs::write(
        dir.path().join("bad.yaml"),
        SCENARIO.replace("\"success_rate == 1\"", "\"success_rate is great\""),
    )
    .unwrap();
    let (code, out) = check(dir.path(), &["bad.yaml"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("INVALID bad.yaml: expect[0]: cannot read expectation"),
        "{out}"
    );
}

#[test]
fn junit_output_parses_back_with_the_right_counts() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.yaml"), SCENARIO).unwrap();
    std::fs::write(
        dir.path().join("b.yaml"),
        SCENARIO
            .replace("name: checked", "name: failing")
            .replace("\"success_rate == 1\"", "\"success_rate < 0.5\""),
    )
    .unwrap();
    let (code, _) = check(dir.path(), &[".", "--junit", "junit.xml"]);
    assert_eq!(code, 1);
    let xml = std::fs::read_to_string(dir.path().join("junit.xml")).unwrap();
    let count = |needle: &str| xml.matches(needle).count();
    assert_eq!(count("<testsuite "), 2);
    assert_eq!(count("<testcase "), 10);
    assert_eq!(
        count("<failure "),
        2,
        "success_rate < 0.5 fails for both policies"
    );
    assert!(
        xml.contains("<testsuites name=\"switchyard\" tests=\"10\" failures=\"2\">"),
        "{xml}"
    );
    assert!(xml.starts_with("<?xml"));
}

#[test]
fn baselines_catch_regressions_within_tolerance() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.yaml"), SCENARIO).unwrap();
    let (code, _) = check(
        dir.path(),
        &["s.yaml", "--baseline", "base", "--update-baseline"],
    );
    assert_eq!(code, 0);
    assert!(dir.path().join("base/checked.json").is_file());
    let (code, out) = check(dir.path(), &["s.yaml", "--baseline", "base"]);
    assert_eq!(code, 0, "the same code gives the same summary: {out}");
    // Slower providers: p99 latency regresses past the default 5 % tolerance.
    let slower = SCENARIO.replace("per_token: 5ms", "per_token: 8ms");
    std::fs::write(dir.path().join("s.yaml"), &slower).unwrap();
    let (code, out) = check(dir.path(), &["s.yaml", "--baseline", "base"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("FAIL checked: plain: latency_ms.p99 within baseline"),
        "{out}"
    );
    // A generous tolerance for latency lets the same change pass.
    let tolerant = format!(
        "{slower}baseline_tolerance:\n  latency_ms.mean: {{relative: 1.0}}\n  latency_ms.p50: {{relative: 1.0}}\n  latency_ms.p95: {{relative: 1.0}}\n  latency_ms.p99: {{relative: 1.0}}\n"
    );
    std::fs::write(dir.path().join("s.yaml"), tolerant).unwrap();
    let (code, out) = check(dir.path(), &["s.yaml", "--baseline", "base"]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn comparative_expectations_run_over_seeds() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{}  - {{compare: latency_p99_ms, lower: plain, than: patient, seeds: 3}}\n",
        SCENARIO.replace(
            "ttft: {lognormal: {median: 300ms, p99: 2s}}",
            "ttft: {lognormal: {median: 300ms, p99: 2s}}, errors: {internal_server: 0.2}"
        )
    );
    std::fs::write(
        dir.path().join("c.yaml"),
        text.replace("\"success_rate == 1\"", "\"attempts > 0\""),
    )
    .unwrap();
    let (_, out) = check(dir.path(), &["c.yaml"]);
    assert!(
        out.contains("plain has lower latency_p99_ms than patient (3 seeds, 95 %) — difference"),
        "{out}"
    );
}
