//! Bad input never panics, hangs or is silently accepted: closed and full standard output,
//! infinite values in charts, expectations that can never pass, unsafe scenario names, errors
//! that name the file and key, and `run`/`check` refusing what `validate` reports as an error.

use std::path::Path;
use std::process::{Command, Output, Stdio};

use proptest::prelude::*;
use switchyard::app::validation::{load_runnable, validate_file};
use switchyard::report::charts::{AXIS_LIMIT, axis, on_axis, slugs};
use switchyard::scenario::parse_scenario;

use crate::common::env;

const SCENARIO: &str = r#"
name: small
duration: 20s
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
providers:
  - {match: {model_name: m}, ttft: 100ms, per_token: 1ms}
workload:
  rate: 2/s
  mix:
    - {model: m, input_tokens: 10, output_tokens: 10}
"#;

fn switchyard(dir: &Path, args: &[&str], stdout: Stdio) -> Output {
    Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(args)
        .current_dir(dir)
        .stdout(stdout)
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A pipe whose reader is already gone: every write to it fails with a broken pipe.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    writer.into()
}

#[test]
fn a_closed_stdout_ends_every_command_quietly_with_the_sigpipe_status() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.yaml", SCENARIO);
    for args in [
        &["validate", "s.yaml"][..],
        &["run", "s.yaml", "--out", "r"],
        &["check", "s.yaml"],
    ] {
        let out = switchyard(dir.path(), args, closed_pipe());
        assert_eq!(out.status.code(), Some(141), "{args:?}: {}", stderr(&out));
        assert_eq!(stderr(&out), "", "{args:?} ends quietly");
    }
}

#[test]
fn a_full_stdout_is_a_clear_error_with_a_failing_exit() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.yaml", SCENARIO);
    for (args, code) in [
        (&["validate", "s.yaml"][..], 2),
        (&["run", "s.yaml", "--out", "r"], 1),
        (&["check", "s.yaml"], 2),
    ] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = switchyard(dir.path(), args, full.into());
        assert_eq!(out.status.code(), Some(code), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("cannot write to standard output") && !err.contains("panicked"),
            "{args:?}: {err}"
        );
    }
}

#[test]
fn an_infinite_spend_draws_a_budget_chart_instead_of_looping() {
    let dir = tempfile::tempdir().unwrap();
    let text = SCENARIO.replace(
        "litellm_params: {model: openai/a}",
        "litellm_params: {model: openai/a, input_cost_per_token: 1.0e+308, output_cost_per_token: 1.0e+308, max_budget: 10, budget_duration: 1d}",
    );
    write(dir.path(), "s.yaml", &text);
    let out = switchyard(
        dir.path(),
        &["run", "s.yaml", "--out", "r", "--brief"],
        Stdio::null(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(dir.path().join("r/charts/budgets-default.svg").is_file());
}

proptest! {
    #[test]
    fn every_axis_is_finite_bounded_and_not_empty(lo in any::<f64>(), hi in any::<f64>(), x in any::<f64>()) {
        let r = axis(lo, hi);
        prop_assert!(r.start.is_finite() && r.end.is_finite());
        prop_assert!(r.start < r.end, "{r:?} from {lo}..{hi}");
        prop_assert!(r.start >= -AXIS_LIMIT && r.end <= 2.0 * AXIS_LIMIT);
        match on_axis(x, &r) {
            None => prop_assert!(x.is_nan()),
            Some(v) => prop_assert!(r.start <= v && v <= r.end),
        }
    }

    #[test]
    fn chart_names_are_short_distinct_and_plain(names in proptest::collection::vec(".{0,300}", 1..6)) {
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let s = slugs(&refs);
        prop_assert_eq!(s.len(), names.len());
        for (i, a) in s.iter().enumerate() {
            prop_assert!(a.len() <= 70);
            prop_assert!(a.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
            prop_assert!(!s[..i].contains(a), "{a} repeats");
        }
    }
}

fn parse(text: &str) -> Result<switchyard::scenario::Scenario, String> {
    parse_scenario(text, "s.yaml", Path::new("."), &env()).map_err(|e| e.to_string())
}

fn with_expect(expect: &str) -> String {
    format!("{SCENARIO}policies:\n  a: {{}}\n  b: {{num_retries: 0}}\nexpect:\n  - {expect}\n")
}

#[test]
fn expectations_that_can_never_pass_are_errors_at_their_key() {
    for (expect, says) in [
        (
            r#""success_rate >= NaN""#,
            "expect[0]: expectation \"success_rate >= NaN\": expected a finite number",
        ),
        (
            r#""latency_ms.p99 in 0..inf""#,
            "expect[0]: expectation \"latency_ms.p99 in 0..inf\": expected a finite number",
        ),
        (
            r#""errors.ratelimit == 0""#,
            "expect[0]: expectation \"errors.ratelimit == 0\" names no error class \"ratelimit\"",
        ),
        (
            "{compare: success_rate, higher: a, than: a}",
            "expect[0].than: expected a policy other than \"a\"",
        ),
        (
            "{compare: success_rate, higher: a, than: b, seeds: 0}",
            "expect[0].seeds: expected 2 to 1000 seeds",
        ),
        (
            "{compare: success_rate, higher: a, than: b, seeds: 1000000000}",
            "expect[0].seeds: expected 2 to 1000 seeds",
        ),
    ] {
        let err = parse(&with_expect(expect)).expect_err(expect);
        assert!(
            err.starts_with("s.yaml: ") && err.contains(says),
            "{expect}: {err}"
        );
    }
}

#[test]
fn an_unknown_metric_is_a_validate_error_and_run_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    for (expect, ok) in [
        (r#""latency_ms.p999 < 10""#, false),
        (r#""deployments.a < 1""#, false),
        (r#""succes_rate > 0.5""#, false),
        (r#""budgets.provider:openai.spent < 1""#, false),
        (r#""deployments.a.share <= 1""#, true),
        (r#""errors.rate_limit == 0""#, true),
        (r#""cooldown_events == 0""#, true),
    ] {
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, with_expect(expect)).unwrap();
        let v = validate_file(&path, &env()).unwrap();
        assert_eq!(v.errors() == 0, ok, "{expect}: {:?}", v.findings);
        let refused = load_runnable(&path, &env());
        assert_eq!(refused.is_ok(), ok, "{expect}: run and validate agree");
        if let Err(e) = refused {
            assert!(e.to_string().contains("expect[0]"), "{e}");
        }
    }
}

#[test]
fn scenario_names_are_safe_path_components() {
    for name in ["..", ".", ".hidden", "a/b", "", &"x".repeat(101)] {
        let text = SCENARIO.replace("name: small", &format!("name: {name:?}"));
        let err = parse(&text).expect_err(name);
        assert!(
            err.starts_with("s.yaml: name: expected a name"),
            "{name}: {err}"
        );
    }
    assert!(parse(&SCENARIO.replace("name: small", "name: v1.2_a-b")).is_ok());
}

#[test]
fn a_dot_dot_scenario_never_writes_its_report_into_the_working_directory() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "s.yaml",
        &SCENARIO.replace("name: small", "name: \"..\""),
    );
    let out = switchyard(dir.path(), &["run", "s.yaml"], Stdio::null());
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("s.yaml: name:"), "{}", stderr(&out));
    assert!(!dir.path().join("summary.json").exists());
}

#[test]
fn referenced_files_are_errors_at_their_key() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("configs")).unwrap();
    let router_at = SCENARIO.find("router:").unwrap();
    let providers_at = SCENARIO.find("providers:").unwrap();
    let without_router = format!("{}{}", &SCENARIO[..router_at], &SCENARIO[providers_at..]);
    for (key, says) in [
        (
            "prices: ''",
            "s.yaml: prices: expected the path of a price file",
        ),
        (
            "prices: configs",
            "s.yaml: prices: expected a price file (LiteLLM's JSON format), found the directory",
        ),
        (
            "prices: nothing.json",
            "s.yaml: prices: expected a price file (LiteLLM's JSON format): ",
        ),
    ] {
        let path = dir.path().join("s.yaml");
        std::fs::write(&path, format!("{SCENARIO}{key}\n")).unwrap();
        let err = load_runnable(&path, &env()).unwrap_err().to_string();
        assert!(
            err.starts_with(&format!("{}", path.display())) && err.contains(&says[6..]),
            "{key}: {err}"
        );
    }
    let path = dir.path().join("s.yaml");
    std::fs::write(&path, format!("{without_router}config: configs\n")).unwrap();
    let err = load_runnable(&path, &env()).unwrap_err().to_string();
    assert!(
        err.contains(": config: expected a LiteLLM config file, found the directory"),
        "{err}"
    );
}

#[test]
fn validate_and_run_report_a_missing_key_in_the_same_words() {
    let dir = tempfile::tempdir().unwrap();
    let providers_at = SCENARIO.find("providers:").unwrap();
    let workload_at = SCENARIO.find("workload:").unwrap();
    // Without `providers` and `workload` the file still reads as a scenario (it has `name`).
    write(dir.path(), "s.yaml", &SCENARIO[..providers_at]);
    let validate = switchyard(dir.path(), &["validate", "s.yaml"], Stdio::piped());
    let run = switchyard(dir.path(), &["run", "s.yaml", "--out", "r"], Stdio::null());
    let said = "s.yaml: missing required key `providers`";
    assert!(String::from_utf8_lossy(&validate.stdout).contains(&format!("error[schema]: {said}")));
    assert_eq!(stderr(&run), format!("error: {said}\n"));
    assert!(workload_at > providers_at);
}

#[test]
fn run_and_check_refuse_what_validate_reports_as_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!("{SCENARIO}policies:\n  broken: {{fallbacks: [{{m: [nowhere]}}]}}\n");
    write(dir.path(), "s.yaml", &text);
    let validate = switchyard(dir.path(), &["validate", "s.yaml"], Stdio::piped());
    assert_eq!(validate.status.code(), Some(1));
    let line = "s.yaml: policies.broken.fallbacks[0].m: falls back to \"nowhere\"";
    assert!(String::from_utf8_lossy(&validate.stdout).contains(line));
    let run = switchyard(dir.path(), &["run", "s.yaml", "--out", "r"], Stdio::null());
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains(line), "{}", stderr(&run));
    assert!(!dir.path().join("r").exists(), "nothing was run");
    let check = switchyard(dir.path(), &["check", "s.yaml"], Stdio::piped());
    assert_eq!(check.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&check.stdout).contains(&format!("INVALID {line}")));
}

#[test]
fn a_litellm_config_is_not_run_as_a_scenario() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "c.yaml",
        "model_list:\n  - {model_name: m, litellm_params: {model: openai/a}}\n",
    );
    let run = switchyard(dir.path(), &["run", "c.yaml"], Stdio::null());
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains("c.yaml: this is a LiteLLM config, not a scenario"));
}

#[test]
fn compare_bounds_its_seeds_and_threads() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.yaml", SCENARIO);
    for args in [
        &["compare", "s.yaml", "--seeds", "0"][..],
        &["compare", "s.yaml", "--seeds", "1"],
        &["compare", "s.yaml", "--seeds", "18446744073709551615"],
        &["compare", "s.yaml", "--threads", "0"],
        &["compare", "s.yaml", "--threads", "100000000"],
    ] {
        let out = switchyard(dir.path(), args, Stdio::null());
        assert_eq!(out.status.code(), Some(2), "{args:?}: a usage error");
        assert!(
            stderr(&out).contains("invalid value"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}

#[test]
fn long_and_lookalike_policy_names_get_their_own_charts() {
    let dir = tempfile::tempdir().unwrap();
    let long = "p".repeat(300);
    let text = format!("{SCENARIO}policies:\n  {long}: {{}}\n  \"a b\": {{}}\n  \"a/b\": {{}}\n");
    write(dir.path(), "s.yaml", &text);
    let out = switchyard(dir.path(), &["run", "s.yaml", "--out", "r"], Stdio::null());
    assert!(out.status.success(), "{}", stderr(&out));
    let charts = dir.path().join("r/charts");
    for file in [
        format!("traffic-share-{}.svg", "p".repeat(60)),
        "traffic-share-a-b.svg".to_string(),
        "traffic-share-a-b-2.svg".to_string(),
    ] {
        assert!(charts.join(&file).is_file(), "{file}");
    }
}

#[test]
fn help_and_version_fail_on_a_full_stdout_and_end_quietly_on_a_closed_one() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["--help"][..], &["--version"], &["run", "--help"]] {
        let full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let out = switchyard(dir.path(), args, full.into());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(stderr(&out).contains("cannot write to standard output"));
        let out = switchyard(dir.path(), args, closed_pipe());
        assert_eq!(out.status.code(), Some(141), "{args:?}");
    }
}

proptest! {
    #[test]
    fn an_expectation_number_is_accepted_exactly_when_finite(x in prop_oneof![
        any::<f64>(),
        Just(f64::NAN),
        Just(f64::INFINITY),
        Just(f64::NEG_INFINITY),
    ]) {
        let parsed = parse(&with_expect(&format!("\"success_rate >= {x}\"")));
        prop_assert_eq!(parsed.is_ok(), x.is_finite(), "{}: {:?}", x, parsed.err());
    }
}

#[test]
fn a_litellm_config_with_a_policies_key_is_still_a_config() {
    // LiteLLM's proxy reads a top-level `policies` (its guardrail policy engine) too.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.yaml");
    let config = "model_list:\n  - {model_name: m, litellm_params: {model: openai/a}}\n";
    std::fs::write(&path, format!("{config}policies: {{}}\n")).unwrap();
    assert!(!validate_file(&path, &env()).unwrap().is_scenario);
    std::fs::write(&path, format!("{config}policies: {{}}\nworkload: {{}}\n")).unwrap();
    assert!(validate_file(&path, &env()).unwrap().is_scenario);
    std::fs::write(&path, "name: x\n").unwrap();
    assert!(validate_file(&path, &env()).unwrap().is_scenario);
}

#[test]
fn client_metrics_are_expectable_exactly_when_the_workload_has_clients_that_retry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("s.yaml");
    let with_client = with_expect(r#""client_retries >= 0""#).replace(
        "{model: m, input_tokens: 10, output_tokens: 10}",
        "{model: m, input_tokens: 10, output_tokens: 10, client: {max_retries: 2}}",
    );
    assert!(with_client.contains("client:"), "the base scenario changed");
    for (text, ok) in [
        (with_client.clone(), true),
        (
            with_client.replace("client_retries", "attempts_per_request"),
            true,
        ),
        (with_expect(r#""client_retries >= 0""#), false),
        (with_expect(r#""attempts_per_request >= 0""#), false),
    ] {
        std::fs::write(&path, &text).unwrap();
        let v = validate_file(&path, &env()).unwrap();
        assert_eq!(v.errors() == 0, ok, "{text}: {:?}", v.findings);
        assert_eq!(load_runnable(&path, &env()).is_ok(), ok, "{text}");
    }
}

#[test]
fn serve_refuses_to_start_without_a_master_key_as_litellm_does() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.yaml", SCENARIO);
    let out = Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args(["serve", "s.yaml", "--port", "0"])
        .current_dir(dir.path())
        .env_remove("LITELLM_MASTER_KEY")
        .env_remove("LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("s.yaml: neither router.general_settings.master_key nor the LITELLM_MASTER_KEY environment variable is set"),
        "{err}"
    );
    assert!(
        err.contains("LITELLM_DANGEROUSLY_PERMIT_WEAK_OR_UNSET_MASTER_KEY=true"),
        "{err}"
    );
    assert!(!dir.path().join("switchyard-requests.jsonl").exists());
}
