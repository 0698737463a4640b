//! Workload shapes and bounds: scripted requests arrive exactly when written with their own
//! settings, closed-loop clients keep a fixed number of requests in flight, clients that retry
//! by themselves make new gateway calls, and workload input that would panic, hang or run away
//! is refused with a located message.

use proptest::prelude::*;

use switchyard::app::runner::{run_scenario, simulate_quietly};
use switchyard::metrics::{RecordSink, RequestRecord};
use switchyard::scenario::Scenario;

use crate::common::scenario;

const ROUTER: &str = r#"
router:
  model_list:
    - {model_name: m, litellm_params: {model: openai/m}, model_info: {id: only}}
    - {model_name: spare, litellm_params: {model: openai/spare}, model_info: {id: spare}}
  router_settings: {num_retries: 0}
"#;

fn with(head: &str, providers: &str, workload: &str) -> String {
    format!("name: w\n{head}\n{ROUTER}\nproviders:\n{providers}\nworkload:\n{workload}")
}

const STEADY: &str = "  - {match: {id: only}, ttft: 1s}\n  - {match: {id: spare}, ttft: 1s}";
const BROKEN: &str = "  - {match: {id: only}, ttft: 1s, errors: {internal_server: 1.0}}\n  - {match: {id: spare}, ttft: 1s}";

fn err(text: &str) -> String {
    scenario(text).expect_err("refused").to_string()
}

/// Every record of a run, as (arrival s, end s, attempts, client retries, retries).
#[derive(Default)]
struct Rows(Vec<(f64, f64, u32, u32, u32)>);

impl RecordSink for Rows {
    fn request(&mut self, r: &RequestRecord<'_>) {
        self.0.push((
            r.arrival.as_secs_f64(),
            r.end.as_secs_f64(),
            r.attempts(),
            r.client.retries,
            r.retries(),
        ));
    }
}

fn rows(s: &Scenario) -> Vec<(f64, f64, u32, u32, u32)> {
    let mut rows = Rows::default();
    switchyard::app::runner::simulate(s, &s.policies[0], 1, &mut rows).unwrap();
    rows.0.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.0
}

#[test]
fn scripted_requests_arrive_exactly_when_written_with_their_own_settings() {
    let s = scenario(&with(
        "duration: 10s",
        STEADY,
        "  script:\n    - {at: 0s, model: m, input_tokens: 100, output_tokens: 20}\n    - {at: 1.5s, model: m, tags: [free], num_retries: 0, disable_fallbacks: true, timeout: 5s, stream: true}\n    - {at: 2s, model: m, fallbacks: [spare], count: 5, every: 100ms}",
    ))
    .unwrap();
    let arrivals: Vec<f64> = rows(&s).iter().map(|r| r.0).collect();
    let want = [0.0, 1.5, 2.0, 2.1, 2.2, 2.3, 2.4];
    assert_eq!(arrivals.len(), want.len());
    for (got, want) in arrivals.iter().zip(want) {
        assert!((got - want).abs() < 1e-9, "{arrivals:?}");
    }
    assert_eq!(s.workload.mix.len(), 3, "one class per entry");
    assert!(s.workload.mix[1].disable_fallbacks && s.workload.mix[1].stream);
    assert_eq!(s.workload.mix[1].tags, vec!["free".to_string()]);
    assert_eq!(s.workload.mix[2].fallbacks, Some(vec!["spare".to_string()]));
    assert_eq!(
        s.workload.mix[1].input_tokens.mean(),
        100.0,
        "default tokens"
    );
}

#[test]
fn script_mistakes_are_located() {
    let script = |entries: &str| with("duration: 10s", STEADY, &format!("  script:\n{entries}"));
    assert_eq!(
        err(&with(
            "duration: 10s",
            STEADY,
            "  rate: 1/s\n  script:\n    - {at: 0s, model: m}"
        )),
        "scenario.yaml: workload.rate: `rate` cannot be given with `script` (a script lists every request itself); remove one of them"
    );
    assert_eq!(
        err(&script(
            "    - {at: 2s, model: m}\n    - {at: 1s, model: m}"
        )),
        "scenario.yaml: workload.script[1].at: script entries must be in non-decreasing order of `at`: this one is at 1s, the one before at 2s"
    );
    assert_eq!(
        err(&script("    - {at: 9s, model: m, count: 3, every: 1s}")),
        "scenario.yaml: workload.script[0].at: the last of these requests arrives at 11s, not before the scenario's duration of 10s; lengthen `duration` or move the entry"
    );
    assert_eq!(
        err(&script("    - {model: m}")),
        "scenario.yaml: workload.script[0]: missing required key `at`"
    );
    assert_eq!(
        err(&script("    - {at: 0s, model: m, count: 0}")),
        "scenario.yaml: workload.script[0].count: expected a count of at least 1, found 0"
    );
}

#[test]
fn closed_loop_clients_each_send_their_next_request_when_the_last_ends() {
    // Every request takes exactly 1 s and clients think 500 ms: each client's requests arrive
    // at 0, 1.5, 3, … 9 s (7 before 10 s), never two at once.
    let s = scenario(&with(
        "duration: 10s",
        STEADY,
        "  arrivals: {closed: {clients: 3, think: 500ms}}\n  mix:\n    - {model: m, input_tokens: 10, output_tokens: 0}",
    ))
    .unwrap();
    let rows = rows(&s);
    assert_eq!(rows.len(), 3 * 7);
    for r in &rows {
        assert!((r.1 - r.0 - 1.0).abs() < 1e-9, "{r:?}");
        let k = r.0 / 1.5;
        assert!((k - k.round()).abs() < 1e-9, "arrivals every 1.5 s: {r:?}");
    }
    let at_zero = rows.iter().filter(|r| r.0 == 0.0).count();
    assert_eq!(at_zero, 3, "all clients start at time zero");
}

#[test]
fn closed_loop_mistakes_are_located() {
    let closed = |spec: &str, extra: &str| {
        with(
            "duration: 10s",
            STEADY,
            &format!(
                "{extra}  arrivals: {spec}\n  mix:\n    - {{model: m, input_tokens: 10, output_tokens: 0}}"
            ),
        )
    };
    assert_eq!(
        err(&closed("{closed: {clients: 0}}", "")),
        "scenario.yaml: workload.arrivals.closed.clients: expected between 1 and 100000 clients, found 0"
    );
    assert_eq!(
        err(&closed("{closed: {clients: 2}}", "  rate: 5/s\n")),
        "scenario.yaml: workload.rate: `rate` cannot be given with closed-loop clients (they send as fast as their requests end); remove one of them"
    );
    assert_eq!(
        err(&closed("{closed: {clients: 2, thinking: 1s}}", "")),
        "scenario.yaml: workload.arrivals.closed.thinking: unknown key `thinking` (expected one of: clients, think)"
    );
}

#[test]
fn a_client_retries_errors_as_the_openai_sdk_does_and_the_report_counts_both_kinds() {
    // The only deployment always fails with a 500 and the router does not retry: each user
    // request is three gateway calls (max_retries 2), each one provider attempt, with waits of
    // 0.5 s and 1 s less up to 25 % between them.
    let s = scenario(&with(
        "duration: 10s",
        BROKEN,
        "  arrivals: constant\n  rate: 1/s\n  mix:\n    - {model: m, input_tokens: 10, output_tokens: 0, client: {max_retries: 2}}",
    ))
    .unwrap();
    let rows = rows(&s);
    assert_eq!(rows.len(), 9);
    for &(arrival, end, attempts, client_retries, retries) in &rows {
        assert_eq!((attempts, client_retries, retries), (3, 2, 0));
        let waited = end - arrival - 3.0;
        assert!(
            (0.75 * 1.5 - 1e-9..=1.5 + 1e-9).contains(&waited),
            "three 1 s tries and two backoffs: {waited}"
        );
    }
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = run_scenario(&s, &policies, 1, dir.path()).unwrap();
    let p = &out.summary.policies["default"];
    assert_eq!(p.client_retries, Some(18));
    assert_eq!(p.attempts, 27);
    assert_eq!(p.attempts_per_request, Some(3.0));
    let csv = std::fs::read_to_string(&out.requests_path).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(header.ends_with(",final_group,client_retries"), "{header}");
    let json = std::fs::read_to_string(&out.summary_path).unwrap();
    assert!(json.contains("\"client_retries\": 18"), "{json}");
}

#[test]
fn without_a_client_block_reports_keep_their_shape() {
    let s = scenario(&with(
        "duration: 10s",
        BROKEN,
        "  arrivals: constant\n  rate: 1/s\n  mix:\n    - {model: m, input_tokens: 10, output_tokens: 0}",
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let policies: Vec<_> = s.policies.iter().collect();
    let out = run_scenario(&s, &policies, 1, dir.path()).unwrap();
    assert_eq!(out.summary.policies["default"].attempts, 9);
    let csv = std::fs::read_to_string(&out.requests_path).unwrap();
    assert!(csv.lines().next().unwrap().ends_with(",final_group"));
    let json = std::fs::read_to_string(&out.summary_path).unwrap();
    assert!(!json.contains("client_retries"));
    assert!(!json.contains("attempts_per_request"));
}

#[test]
fn runaway_or_empty_workloads_are_refused_before_the_run() {
    let open = |head: &str, rate: &str| {
        with(
            head,
            STEADY,
            &format!(
                "  rate: {rate}\n  mix:\n    - {{model: m, input_tokens: 10, output_tokens: 0}}"
            ),
        )
    };
    assert_eq!(
        err(&open("duration: 1m", "1e308/s")),
        "scenario.yaml: workload.rate: expected a rate of at most 1000000/s, found 1e308/s"
    );
    assert_eq!(
        err(&open("duration: 1h", "1e5/s")),
        "scenario.yaml: workload.rate: rate × duration is about 360000000 requests per policy, more than the 50000000 one run may simulate; lower `workload.rate` or `duration`"
    );
    assert_eq!(
        err(&open("duration: 106751d", "1/s")),
        "scenario.yaml: duration: expected a duration of at most 400 days, found 106751 days"
    );
    assert_eq!(
        err(&open("duration: 1m", "0/s")),
        "scenario.yaml: workload.rate: the workload sends no requests: the rate is 0/s and no rate change raises it before the end"
    );
    let tiny = scenario(&open("duration: 1m", "1e-20/s")).unwrap();
    assert!(
        tiny.warnings
            .iter()
            .any(|w| w.path == "workload.rate" && w.message.contains("expected to send")),
        "{:?}",
        tiny.warnings
    );
    let stats = simulate_quietly(&tiny, &tiny.policies[0], 1).unwrap();
    assert_eq!(
        stats.requests, 0,
        "a tiny rate runs (and sends nothing) without a panic"
    );
}

#[test]
fn requests_for_models_no_deployment_serves_are_refused() {
    let mix = |class: &str| {
        with(
            "duration: 1m",
            STEADY,
            &format!("  rate: 1/s\n  mix:\n    - {class}"),
        )
    };
    assert_eq!(
        err(&mix("{model: gpt-5, input_tokens: 10, output_tokens: 0}")),
        "scenario.yaml: workload.mix[0].model: no deployment serves model \"gpt-5\" (model_list has m, spare)"
    );
    assert_eq!(
        err(&mix(
            "{model: m, fallbacks: [nope], input_tokens: 10, output_tokens: 0}"
        )),
        "scenario.yaml: workload.mix[0].fallbacks: no deployment serves fallback model \"nope\" (model_list has m, spare)"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Any rate a user can write either is refused with a message or runs to the end within
    /// the request limit: no panic, no hang.
    #[test]
    fn any_rate_and_duration_is_refused_or_bounded(
        mantissa in 1.0f64..10.0,
        exponent in -30i32..30,
        secs in 1u64..100_000,
    ) {
        let rate = mantissa * 10f64.powi(exponent);
        let text = with(
            &format!("duration: {secs}s"),
            STEADY,
            &format!("  rate: {rate:e}/s\n  mix:\n    - {{model: m, input_tokens: 10, output_tokens: 0}}"),
        );
        match scenario(&text) {
            Err(e) => prop_assert!(e.path == "workload.rate", "{e}"),
            Ok(s) => {
                let expected = rate * secs as f64;
                prop_assert!(expected <= 50e6 && rate <= 1e6);
                // Run only the cheap ones; the bound itself is what the others test.
                if expected < 20_000.0 {
                    let stats = simulate_quietly(&s, &s.policies[0], 1).unwrap();
                    prop_assert!((stats.requests as f64) < expected + 10.0 * expected.sqrt() + 10.0);
                }
            }
        }
    }

    /// Any distribution of think times or tokens a user can write is refused or sampled into
    /// values the engine can carry: finite, not negative, never a panic.
    #[test]
    fn any_distribution_is_refused_or_samples_non_negative_values(
        a in -1e12f64..1e12,
        b in -1e12f64..1e12,
        family in 0usize..5,
    ) {
        let d = match family {
            0 => switchyard::sim::Distribution::uniform(a, b),
            1 => switchyard::sim::Distribution::exponential(a),
            2 => switchyard::sim::Distribution::truncated_normal(a, b),
            3 => switchyard::sim::Distribution::lognormal_from_quantiles(a, b),
            _ => switchyard::sim::Distribution::lognormal(a / 1e10, b / 1e10),
        };
        if let Ok(d) = d {
            let mut rng = switchyard::sim::rng::stream(1, "p");
            for _ in 0..64 {
                let x = d.sample(&mut rng);
                prop_assert!(x >= 0.0 && !x.is_nan(), "{d:?} gave {x}");
                // What the engine does with a sampled time: saturate, never panic.
                let _ = std::time::Duration::try_from_secs_f64(x).unwrap_or(std::time::Duration::MAX);
            }
        }
    }
}

#[test]
fn closed_loop_clients_whose_requests_fail_at_once_still_let_time_pass() {
    // The provider rejects every request the instant it arrives and clients do not think: a
    // client's next request comes 1 ms after its last, not at the same instant forever.
    let s = scenario(&with(
        "duration: 1s",
        "  - {match: {id: only}, ttft: 0s, errors: {bad_request: 1.0}}\n  - {match: {id: spare}, ttft: 1s}",
        "  arrivals: {closed: {clients: 2}}\n  mix:\n    - {model: m, input_tokens: 10, output_tokens: 0}",
    ))
    .unwrap();
    let rows = rows(&s);
    assert_eq!(
        rows.len(),
        2 * 1000,
        "one request per client per millisecond for 1 s"
    );
}

#[cfg(feature = "live")]
#[tokio::test]
async fn drive_refuses_workloads_it_cannot_send_instead_of_sending_nothing() {
    use switchyard::live::drive::{self, DriveOptions};
    let s = scenario(&with(
        "duration: 10s",
        STEADY,
        "  script:\n    - {at: 0s, model: m}",
    ))
    .unwrap();
    let options = DriveOptions::new("http://127.0.0.1:9");
    let Err(e) = drive::run(&s, &options).await else {
        panic!("drive must refuse a script");
    };
    assert!(
        e.to_string().contains("only `switchyard run` simulates"),
        "{e}"
    );
}
