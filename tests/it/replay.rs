//! `switchyard replay` on hand-built recorded traffic: exact reproduction where the router's
//! choices match the log, provenance of answers, refusal to invent a profile, an outage that
//! makes a cooldown policy matter, unknown models, paired seeds and determinism.

use std::time::Duration;

use switchyard::app::replay::{ReplayRequest, replay, replay_worlds};
use switchyard::metrics::{RecordSink, RequestRecord};
use switchyard::replay::profiles::ProfileSource;
use switchyard::replay::{
    LogFormat, RecordedAttempt, RecordedDeployment, RecordedRequest, RecordedTraffic, RequestKind,
};
use switchyard::report::comparison::Verdict;
use switchyard::router::ErrorClass;
use switchyard::sim::{Distribution, FaultSpec, ProviderMatch, ProviderProfile};
use switchyard::time::{Span, Time};

use crate::common::{config, one_thread};

/// A logged attempt: deployment index, error (None = ok), duration in milliseconds.
type Attempt = (u32, Option<ErrorClass>, u64);

/// Recorded traffic of requests `(arrival s, model, attempts)` over deployments `ids` (each
/// logged with its id and `http://<id>` as api_base), every attempt logged.
fn traffic(ids: &[&str], requests: &[(f64, &str, Vec<Attempt>)]) -> RecordedTraffic {
    let mut kinds: Vec<RequestKind> = Vec::new();
    let mut attempts = Vec::new();
    let mut recorded = Vec::new();
    for (at, model, tries) in requests {
        let kind = RequestKind {
            model: (*model).to_string(),
            ..RequestKind::default()
        };
        let k = kinds.iter().position(|x| *x == kind).unwrap_or_else(|| {
            kinds.push(kind);
            kinds.len() - 1
        });
        let start = attempts.len() as u32;
        attempts.extend(tries.iter().map(|&(d, error, ms)| RecordedAttempt {
            deployment: d,
            error,
            status: Some(error.map_or(200, ErrorClass::status)),
            duration: Span::from_nanos(ms * 1_000_000),
            time_to_first_token: None,
            retry_after: None,
        }));
        let last = tries.last().expect("at least one attempt");
        recorded.push(RecordedRequest {
            at: Time::from_secs_f64(*at),
            kind: k as u32,
            input_tokens: 100,
            output_tokens: 50,
            attempts: start..attempts.len() as u32,
            status: last.1.map_or(200, ErrorClass::status),
            error: last.1,
            served_by: last.1.is_none().then_some(last.0),
            cost_usd: None,
            duration: Span::from_nanos(tries.iter().map(|t| t.2).sum::<u64>() * 1_000_000),
        });
    }
    RecordedTraffic {
        file: "log.jsonl".into(),
        format: LogFormat::SwitchyardJsonl,
        start_unix_s: 0.0,
        requests: recorded,
        kinds,
        deployments: ids
            .iter()
            .map(|id| RecordedDeployment {
                id: Some((*id).to_string()),
                api_base: Some(format!("http://{id}")),
                model: Some("openai/gpt-4o".into()),
                model_group: Some("gpt-4o".into()),
            })
            .collect(),
        attempts,
        every_attempt: true,
        skipped: Vec::new(),
    }
}

/// A config with one `gpt-4o` deployment per id, and `settings` as router_settings.
fn litellm(ids: &[&str], settings: &str) -> switchyard::config::LitellmConfig {
    let mut text = String::from("model_list:\n");
    for id in ids {
        text.push_str(&format!(
            "  - {{model_name: gpt-4o, litellm_params: {{model: openai/gpt-4o, api_base: 'http://{id}'}}, model_info: {{id: {id}}}}}\n"
        ));
    }
    text.push_str(&format!("router_settings: {{{settings}}}\n"));
    config(&text).expect("config parses")
}

fn request(candidate: switchyard::config::LitellmConfig) -> ReplayRequest {
    ReplayRequest {
        candidate,
        current: None,
        providers: Vec::new(),
        seeds: vec![1, 2, 3],
    }
}

/// Every finished request: (id, arrival, latency, served).
#[derive(Default)]
struct Requests(Vec<(u64, Time, Duration, bool)>);

impl RecordSink for Requests {
    fn request(&mut self, r: &RequestRecord<'_>) {
        self.0
            .push((r.id, r.arrival, r.latency(), r.error_class().is_none()));
    }
}

fn requests_of(
    world: &switchyard::replay::world::ReplayWorld,
    seed: u64,
) -> Vec<(u64, Time, Duration, bool)> {
    let mut sink = Requests::default();
    switchyard::sim::run(
        world.world(),
        world.config.settings.clone(),
        seed,
        &mut sink,
    );
    sink.0.sort_by_key(|r| r.0);
    sink.0
}

/// 300 requests a second apart, on one deployment, latencies 200…1100 ms.
fn single_deployment_log() -> RecordedTraffic {
    let requests: Vec<(f64, &str, Vec<Attempt>)> = (0..300u32)
        .map(|i| {
            (
                f64::from(i),
                "gpt-4o",
                vec![(0, None, 200 + u64::from(i % 10) * 100)],
            )
        })
        .collect();
    traffic(&["a"], &requests)
}

#[test]
fn replaying_the_recording_config_reproduces_every_request() {
    let log = single_deployment_log();
    let worlds = replay_worlds(&log, &request(litellm(&["a"], ""))).unwrap();
    let got = requests_of(&worlds[0], 7);
    assert_eq!(got.len(), log.requests.len());
    for (i, (id, arrival, latency, ok)) in got.iter().enumerate() {
        assert_eq!(*id, i as u64, "request ids index the log");
        assert_eq!(*arrival, log.requests[i].at);
        assert_eq!(
            *latency,
            log.requests[i].duration.as_duration(),
            "request {i}"
        );
        assert!(*ok);
    }
    let report = one_thread()
        .install(|| replay(&log, &request(litellm(&["a"], ""))))
        .unwrap();
    assert_eq!(
        report.candidate.answers.observed, 1.0,
        "every attempt observed"
    );
    assert!(report.trust.all_within, "{:#?}", report.trust.rows);
    let success = &report.trust.rows[0];
    assert_eq!((success.logged, success.replayed), (1.0, 1.0));
}

#[test]
fn a_logged_failure_is_replayed_as_that_failure() {
    // Every third request failed with a 400 (neither retried nor cooling the deployment).
    let requests: Vec<(f64, &str, Vec<Attempt>)> = (0..90)
        .map(|i| {
            let error = (i % 3 == 0).then_some(ErrorClass::BadRequest);
            (f64::from(i), "gpt-4o", vec![(0, error, 300)])
        })
        .collect();
    let log = traffic(&["a"], &requests);
    let report = one_thread()
        .install(|| replay(&log, &request(litellm(&["a"], ""))))
        .unwrap();
    let success = &report.trust.rows[0];
    assert_eq!(success.measure, "success_rate");
    assert!((success.logged - 60.0 / 90.0).abs() < 1e-6);
    assert_eq!(success.replayed, success.logged);
}

#[test]
fn a_deployment_the_log_never_saw_needs_a_profile_and_is_counted_modelled() {
    let log = single_deployment_log();
    let e = replay_worlds(&log, &request(litellm(&["a", "b"], ""))).unwrap_err();
    let message = e.to_string();
    assert!(message.contains("\"b\""), "{message}");
    assert!(message.contains("--providers"), "{message}");

    let mut req = request(litellm(&["a", "b"], ""));
    req.providers = vec![ProviderProfile {
        name: "b-model".into(),
        matches: ProviderMatch {
            id: Some("b".into()),
            ..ProviderMatch::default()
        },
        ttft: Distribution::constant(0.5).unwrap(),
        per_token: Distribution::constant(0.0).unwrap(),
        error_latency: None,
        concurrency: Some(1),
        faults: FaultSpec::default(),
    }];
    let report = one_thread().install(|| replay(&log, &req)).unwrap();
    let c = &report.candidate;
    assert_eq!(c.deployments[1].profile, ProfileSource::Modelled);
    assert_eq!(c.deployments[0].profile, ProfileSource::Fitted);
    assert!(c.answers.modelled > 0.2, "{:?}", c.answers);
    assert!(c.answers.observed > 0.2, "{:?}", c.answers);
    let total = c.answers.observed + c.answers.fitted + c.answers.modelled;
    assert!((total - 1.0).abs() < 1e-6);
    assert_eq!(c.deployments[1].observed_share, 0.0);
}

#[test]
fn an_outage_in_the_log_makes_the_cooldown_policy_matter() {
    // Each request tried `a` then `b`; from 60 s to 180 s every call to `a` failed with a 500.
    let requests: Vec<(f64, &str, Vec<Attempt>)> = (0..480)
        .map(|i| {
            let at = f64::from(i) * 0.5;
            let a_fails = (60.0..180.0).contains(&at);
            let tries = if a_fails {
                vec![(0, Some(ErrorClass::InternalServer), 100), (1, None, 400)]
            } else {
                vec![(0, None, 400), (1, None, 400)]
            };
            (at, "gpt-4o", tries)
        })
        .collect();
    let log = traffic(&["a", "b"], &requests);
    let mut req = request(litellm(
        &["a", "b"],
        "num_retries: 2, allowed_fails: 0, cooldown_time: 30",
    ));
    req.current = Some(litellm(
        &["a", "b"],
        "num_retries: 2, disable_cooldowns: true",
    ));
    req.seeds = (1..=5).collect();
    let report = one_thread().install(|| replay(&log, &req)).unwrap();
    let metric = |c: &switchyard::report::replay::ConfigReplay, name: &str| {
        c.metrics.iter().find(|m| m.metric == name).unwrap().clone()
    };
    let current = report.current.as_ref().unwrap();
    assert_eq!(metric(current, "cooldown_events").value.mean, 0.0);
    assert!(metric(&report.candidate, "cooldown_events").value.mean >= 1.0);
    let retries = metric(&report.candidate, "retries_per_request");
    assert_eq!(retries.verdict, Some(Verdict::Better), "{retries:?}");
    assert!(
        report.candidate.answers.observed > 0.9,
        "{:?}",
        report.candidate.answers
    );
}

#[test]
fn a_request_for_a_model_the_candidate_does_not_know_fails_and_is_counted() {
    let mut requests: Vec<(f64, &str, Vec<Attempt>)> = (0..20)
        .map(|i| (f64::from(i), "gpt-4o", vec![(0, None, 300)]))
        .collect();
    requests.push((21.0, "claude", vec![(0, None, 300)]));
    requests.push((22.0, "claude", vec![(0, None, 300)]));
    let log = traffic(&["a"], &requests);
    let report = one_thread()
        .install(|| replay(&log, &request(litellm(&["a"], ""))))
        .unwrap();
    assert_eq!(report.candidate.unknown_model_requests, 2);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("2 logged requests")),
        "{:?}",
        report.warnings
    );
}

#[test]
fn both_configs_see_the_same_arrivals_on_a_seed() {
    let log = single_deployment_log();
    let mut req = request(litellm(&["a", "b"], ""));
    req.current = Some(litellm(&["a"], ""));
    req.providers = vec![ProviderProfile {
        name: "any".into(),
        matches: ProviderMatch {
            model_name: Some("gpt-4o".into()),
            ..ProviderMatch::default()
        },
        ttft: Distribution::constant(0.2).unwrap(),
        per_token: Distribution::constant(0.001).unwrap(),
        error_latency: None,
        concurrency: None,
        faults: FaultSpec::default(),
    }];
    let worlds = replay_worlds(&log, &req).unwrap();
    let arrivals =
        |w| -> Vec<(u64, Time)> { requests_of(w, 3).into_iter().map(|r| (r.0, r.1)).collect() };
    assert_eq!(arrivals(&worlds[0]), arrivals(&worlds[1]));
    assert_eq!(arrivals(&worlds[0]).len(), 300);
}

#[test]
fn the_report_is_the_same_whatever_the_threads() {
    let log = single_deployment_log();
    let mut req = request(litellm(&["a", "b"], "routing_strategy: simple-shuffle"));
    req.current = Some(litellm(&["a"], ""));
    req.providers = vec![ProviderProfile {
        name: "b".into(),
        matches: ProviderMatch {
            id: Some("b".into()),
            ..ProviderMatch::default()
        },
        ttft: Distribution::lognormal_from_quantiles(0.3, 2.0).unwrap(),
        per_token: Distribution::constant(0.001).unwrap(),
        error_latency: None,
        concurrency: None,
        faults: FaultSpec::default(),
    }];
    let json = |threads| {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap();
        serde_json::to_string(&pool.install(|| replay(&log, &req)).unwrap()).unwrap()
    };
    assert_eq!(json(1), json(2));
    assert_eq!(json(1), json(1));
}

/// A pseudo-random number in [0, 1) from `i` (splitmix64).
fn unit(i: u64) -> f64 {
    let mut z = i.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    (z ^ (z >> 31)) as f64 / u64::MAX as f64
}

/// A shuffle log: 1,200 requests at 2/s over three deployments chosen at random, latencies
/// 300–1,500 ms, and 3 % of first attempts failing with a 503 then served by the next
/// deployment.
fn shuffle_log() -> RecordedTraffic {
    let requests: Vec<(f64, &str, Vec<Attempt>)> = (0..1200u64)
        .map(|i| {
            let d = (unit(i) * 3.0) as u32;
            let ms = 300 + (unit(i + 10_000) * 1200.0) as u64;
            let tries = if unit(i + 20_000) < 0.03 {
                vec![
                    (d, Some(ErrorClass::ServiceUnavailable), 50),
                    ((d + 1) % 3, None, ms),
                ]
            } else {
                vec![(d, None, ms)]
            };
            (i as f64 * 0.5, "gpt-4o", tries)
        })
        .collect();
    traffic(&["a", "b", "c"], &requests)
}

#[test]
fn replaying_an_unchanged_shuffle_config_agrees_with_the_log_within_tolerance() {
    let log = shuffle_log();
    let mut req = request(litellm(&["a", "b", "c"], "num_retries: 2"));
    req.current = Some(litellm(&["a", "b", "c"], "num_retries: 2"));
    req.seeds = (1..=10).collect();
    let report = one_thread().install(|| replay(&log, &req)).unwrap();
    for row in &report.trust.rows {
        println!("{row:?}");
    }
    println!("{:?}", report.candidate.answers);
    assert_eq!(report.trust.role, "current");
    assert!(report.trust.all_within, "{:#?}", report.trust.rows);
    for m in &report.candidate.metrics {
        assert_eq!(
            m.verdict,
            Some(Verdict::NoSignificantDifference),
            "the same config against itself: {m:?}"
        );
    }
}

#[test]
fn the_report_files_are_written_and_say_how_far_to_trust_the_replay() {
    let log = shuffle_log();
    let mut req = request(litellm(&["a", "b", "c"], ""));
    req.current = Some(litellm(&["a", "b", "c"], ""));
    let report = one_thread().install(|| replay(&log, &req)).unwrap();
    let dir = tempfile::tempdir().unwrap();
    switchyard::app::replay::write_report(&report, dir.path()).unwrap();
    let read = |name: &str| std::fs::read_to_string(dir.path().join(name)).unwrap();
    let json: serde_json::Value = serde_json::from_str(&read("replay.json")).unwrap();
    assert_eq!(json["requests"], 1200);
    assert_eq!(json["trust"]["role"], "current");
    let md = read("replay.md");
    assert!(md.contains("## How far to trust it"), "{md}");
    assert!(md.contains("| success_rate |"), "{md}");
    let html = read("index.html");
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("Where the answers came from"));
}

#[test]
fn the_command_says_plainly_that_it_cannot_read_logs_yet() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.yaml");
    std::fs::write(&config, "model_list: []\n").unwrap();
    let args = switchyard::app::replay::ReplayArgs {
        log: dir.path().join("log.jsonl"),
        config,
        baseline_config: None,
        seeds: 2,
        providers: None,
        out: Some(dir.path().join("out")),
        format: None,
        skip_bad_rows: false,
        threads: Some(1),
    };
    let e = switchyard::app::replay::run_replay(args).unwrap_err();
    assert!(e.to_string().contains("log.jsonl"), "{e}");
}

#[test]
fn a_logged_answer_slower_than_the_candidates_timeout_times_out() {
    // Every request took 3 s; the candidate gives an attempt 1 s and no retry.
    let requests: Vec<(f64, &str, Vec<Attempt>)> = (0..30)
        .map(|i| (f64::from(i) * 10.0, "gpt-4o", vec![(0, None, 3000)]))
        .collect();
    let log = traffic(&["a"], &requests);
    let candidate = litellm(&["a"], "timeout: 1, num_retries: 0");
    let worlds = replay_worlds(&log, &request(candidate.clone())).unwrap();
    let got = requests_of(&worlds[0], 1);
    assert_eq!(got.len(), 30);
    assert!(got.iter().all(|r| !r.3), "every request timed out");
    assert!(got.iter().all(|r| r.2 == Duration::from_secs(1)), "{got:?}");
    let report = one_thread()
        .install(|| replay(&log, &request(candidate)))
        .unwrap();
    assert!(
        !report.trust.all_within,
        "the log's successes are not reproduced"
    );
    assert!(!report.trust.rows[0].within);
}
