//! Fitting providers from recorded traffic: outages stay outages, steady rates stay steady,
//! 429 windows and Retry-After, latency percentiles, whole-call logs, determinism, unseen
//! deployments, the written scenario's round trip and `switchyard run` on it, and a simulated
//! check of the fitted profile against the log's success rate per window.

use std::path::Path;
use std::time::Duration;

use switchyard::app::fit::{FitScenarioOptions, fit_scenario};
use switchyard::replay::fit::{FitOptions, FittedProvider, fit};
use switchyard::replay::{
    LogFormat, RecordedAttempt, RecordedDeployment, RecordedRequest, RecordedTraffic, RequestKind,
};
use switchyard::router::ErrorClass;
use switchyard::sim::Distribution;
use switchyard::sim::provider::{Admission, SyntheticProvider};
use switchyard::sim::rng::stream;
use switchyard::time::{Span, Time};

/// `secs` seconds as a logged span.
fn span(secs: f64) -> Span {
    Span::from_duration(Duration::from_secs_f64(secs)).expect("a span within the clock's range")
}

/// A log being built by hand: one request kind per model group.
struct Log(RecordedTraffic);

/// One logged attempt, as the tests spell it.
#[derive(Clone, Copy)]
struct Try {
    deployment: u32,
    error: Option<ErrorClass>,
    ms: f64,
    ttft_ms: Option<f64>,
    retry_after: Option<Duration>,
}

fn ok(deployment: u32, ms: f64) -> Try {
    Try {
        deployment,
        error: None,
        ms,
        ttft_ms: None,
        retry_after: None,
    }
}

fn failed(deployment: u32, class: ErrorClass) -> Try {
    Try {
        error: Some(class),
        ms: 50.0,
        ..ok(deployment, 0.0)
    }
}

impl Log {
    /// Deployments `ids`, all in model group `gpt`.
    fn new(ids: &[&str]) -> Log {
        Log(RecordedTraffic {
            file: "test.jsonl".into(),
            format: LogFormat::SwitchyardJsonl,
            start_unix_s: 1.8e9,
            requests: Vec::new(),
            kinds: vec![RequestKind {
                model: "gpt".into(),
                ..RequestKind::default()
            }],
            deployments: ids
                .iter()
                .map(|id| RecordedDeployment {
                    id: Some(id.to_string()),
                    api_base: Some(format!("http://127.0.0.1:9100/{id}")),
                    model: Some(format!("openai/{id}")),
                    model_group: Some("gpt".into()),
                })
                .collect(),
            attempts: Vec::new(),
            every_attempt: true,
            skipped: Vec::new(),
        })
    }

    /// A request arriving at `at` seconds with these attempts and `output` tokens.
    fn request(&mut self, at: f64, tries: &[Try], output: u32) {
        let t = &mut self.0;
        let start = t.attempts.len() as u32;
        for x in tries {
            t.attempts.push(RecordedAttempt {
                deployment: x.deployment,
                error: x.error,
                status: Some(x.error.map_or(200, |e| e.status())),
                duration: span(x.ms / 1000.0),
                time_to_first_token: x.ttft_ms.map(|m| span(m / 1000.0)),
                retry_after: x.retry_after.and_then(Span::from_duration),
            });
        }
        let last = tries.last().expect("a request has an attempt");
        t.requests.push(RecordedRequest {
            at: Time::from_secs_f64(at),
            kind: 0,
            input_tokens: 100,
            output_tokens: output,
            attempts: start..t.attempts.len() as u32,
            status: last.error.map_or(200, |e| e.status()),
            error: last.error,
            served_by: last.error.is_none().then_some(last.deployment),
            cost_usd: None,
            duration: span(tries.iter().map(|x| x.ms).sum::<f64>() / 1000.0),
        });
    }
}

/// A small deterministic generator of uniforms in [0, 1) for the tests' random failures.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> f64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn fitted(log: &Log) -> Vec<FittedProvider> {
    fit(&log.0, &FitOptions::default())
}

/// One deployment, a request a second for 20 minutes, failing with `class` with probability
/// `in_window` between `from` and `to` seconds and `steady` elsewhere.
fn windowed(class: ErrorClass, steady: f64, in_window: f64, from: f64, to: f64) -> Log {
    let mut log = Log::new(&["a"]);
    let mut rng = Lcg(7);
    for s in 0..1200 {
        let at = f64::from(s);
        let p = if (from..to).contains(&at) {
            in_window
        } else {
            steady
        };
        let mut t = if rng.next() < p {
            failed(0, class)
        } else {
            ok(0, 400.0)
        };
        if class == ErrorClass::RateLimit && t.error.is_some() {
            t.retry_after = Some(Duration::from_secs(7));
        }
        log.request(at, &[t], 100);
    }
    log
}

#[test]
fn a_two_minute_total_outage_becomes_outage_windows_covering_it_and_nothing_else() {
    let log = windowed(ErrorClass::ServiceUnavailable, 0.0, 1.0, 630.0, 750.0);
    let f = &fitted(&log)[0];
    let outages = &f.profile.faults.outages;
    assert!(!outages.is_empty());
    for o in outages {
        assert_eq!(o.class, ErrorClass::ServiceUnavailable);
        assert!(
            o.start.as_secs_f64() >= 570.0 && o.end.as_secs_f64() <= 810.0,
            "{o:?}"
        );
    }
    for s in 630..750 {
        let at = Time::from_secs_f64(f64::from(s));
        let covered: f64 = outages
            .iter()
            .filter(|o| o.start <= at && at < o.end)
            .map(|o| o.fraction)
            .sum();
        assert!(
            covered >= 0.5,
            "second {s} is not in an outage: {outages:?}"
        );
    }
    let middle = outages
        .iter()
        .find(|o| o.start <= Time::from_secs_f64(700.0) && Time::from_secs_f64(700.0) < o.end)
        .unwrap();
    assert_eq!(middle.fraction, 1.0);
    assert!(
        f.profile.faults.error_rates.is_empty(),
        "{:?}",
        f.profile.faults
    );
}

#[test]
fn a_steady_five_percent_of_500s_is_an_error_rate_and_no_outage() {
    let log = windowed(ErrorClass::InternalServer, 0.05, 0.05, 0.0, 0.0);
    let f = &fitted(&log)[0];
    assert!(
        f.profile.faults.outages.is_empty(),
        "{:?}",
        f.profile.faults
    );
    let rates = &f.profile.faults.error_rates;
    assert_eq!(rates.len(), 1);
    assert_eq!(rates[0].0, ErrorClass::InternalServer);
    assert!((rates[0].1 - 0.05).abs() < 0.015, "{rates:?}");
    let refusal = f
        .profile
        .error_latency
        .as_ref()
        .expect("failures were logged");
    assert_eq!(at_quantile(refusal, 0.5), 0.05, "a 503 logged in 50 ms");
    assert!(
        at_quantile(&f.profile.ttft, 0.5) > 0.1,
        "refusals do not take a success's time"
    );
}

#[test]
fn a_window_of_429s_is_a_rate_limit_outage_with_its_retry_after_reported() {
    let log = windowed(ErrorClass::RateLimit, 0.0, 0.6, 300.0, 420.0);
    let f = &fitted(&log)[0];
    let outages = &f.profile.faults.outages;
    assert_eq!(outages.len(), 1, "{outages:?}");
    let o = outages[0];
    assert_eq!(o.class, ErrorClass::RateLimit);
    assert_eq!((o.start.as_secs_f64(), o.end.as_secs_f64()), (300.0, 420.0));
    assert!((o.fraction - 0.6).abs() < 0.1, "{o:?}");
    assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
}

#[test]
fn one_failure_among_few_attempts_is_not_an_outage() {
    let mut log = Log::new(&["a"]);
    for s in 0..600 {
        let t = if s == 300 || s == 301 {
            failed(0, ErrorClass::InternalServer)
        } else {
            ok(0, 100.0)
        };
        log.request(f64::from(s * 2), &[t], 10);
    }
    let f = &fitted(&log)[0];
    assert!(
        f.profile.faults.outages.is_empty(),
        "{:?}",
        f.profile.faults
    );
}

#[test]
fn outage_windows_merge_across_windows_the_deployment_got_no_attempts_in() {
    let mut log = Log::new(&["a"]);
    for s in 0..1200 {
        let at = f64::from(s);
        if (660.0..720.0).contains(&at) {
            continue; // cooling down: the router sent it nothing
        }
        let t = if (600.0..780.0).contains(&at) {
            failed(0, ErrorClass::BadGateway)
        } else {
            ok(0, 100.0)
        };
        log.request(at, &[t], 10);
    }
    let outages = &fitted(&log)[0].profile.faults.outages;
    assert_eq!(outages.len(), 1, "{outages:?}");
    let o = outages[0];
    assert_eq!((o.start.as_secs_f64(), o.end.as_secs_f64()), (600.0, 780.0));
    assert_eq!((o.class, o.fraction), (ErrorClass::BadGateway, 1.0));
}

#[test]
fn timed_out_attempts_stay_in_the_latency_so_the_same_timeout_fires_again() {
    let mut log = Log::new(&["a"]);
    for s in 0..100 {
        let t = if s % 10 == 0 {
            Try {
                error: Some(ErrorClass::Timeout),
                ms: 5000.0,
                ..ok(0, 0.0)
            }
        } else {
            Try {
                ttft_ms: Some(100.0),
                ..ok(0, 300.0)
            }
        };
        log.request(f64::from(s), &[t], 20);
    }
    let f = &fitted(&log)[0];
    assert!(!f.whole_call);
    assert!((at_quantile(&f.profile.ttft, 1.0) - 5.0).abs() < 1e-9);
    assert!((at_quantile(&f.profile.ttft, 0.5) - 0.1).abs() < 1e-9);
    assert!(f.profile.faults.error_rates.is_empty());
}

#[test]
fn a_small_but_significant_rise_in_a_busy_window_is_not_an_outage() {
    // 20,000 attempts a minute at 5 % errors, one minute at 7 %: the binomial test alone would
    // call it an outage; it is less than 0.1 above the steady rate, so it stays in the rate.
    let mut log = Log::new(&["a"]);
    for w in 0..10u32 {
        let percent = if w == 4 { 7 } else { 5 };
        for i in 0..20_000u32 {
            let at = f64::from(w) * 60.0 + f64::from(i) * 0.003;
            let t = if i % 100 < percent {
                failed(0, ErrorClass::InternalServer)
            } else {
                ok(0, 100.0)
            };
            log.request(at, &[t], 10);
        }
    }
    let f = &fitted(&log)[0];
    assert!(
        f.profile.faults.outages.is_empty(),
        "{:?}",
        f.profile.faults
    );
    assert_eq!(
        f.profile.faults.error_rates,
        vec![(ErrorClass::InternalServer, 0.052)]
    );
}

/// The value of an empirical distribution at quantile `q`.
fn at_quantile(d: &Distribution, q: f64) -> f64 {
    match d {
        Distribution::Empirical { points, .. } => {
            let i = points.iter().position(|p| p.0 >= q).unwrap();
            if i == 0 {
                return points[0].1;
            }
            let ((q0, v0), (q1, v1)) = (points[i - 1], points[i]);
            v0 + (v1 - v0) * (q - q0) / (q1 - q0)
        }
        other => other.mean(),
    }
}

#[test]
fn fitted_ttft_and_per_token_match_the_logged_percentiles() {
    let mut log = Log::new(&["a"]);
    let mut rng = Lcg(3);
    let mut ttfts = Vec::new();
    for s in 0..2000 {
        let ttft = 100.0 + 900.0 * rng.next() * rng.next();
        ttfts.push(ttft);
        let tokens = 50 + (s % 200);
        let t = Try {
            ttft_ms: Some(ttft),
            ..ok(0, ttft + 20.0 * f64::from(tokens))
        };
        log.request(f64::from(s) * 0.3, &[t], tokens);
    }
    ttfts.sort_by(f64::total_cmp);
    let f = &fitted(&log)[0];
    assert!(!f.whole_call);
    for q in [0.1, 0.5, 0.9, 0.99] {
        let data = ttfts[((ttfts.len() - 1) as f64 * q).round() as usize] / 1000.0;
        let fitted = at_quantile(&f.profile.ttft, q);
        assert!((fitted - data).abs() < 0.01, "q {q}: {fitted} vs {data}");
    }
    assert!(
        (at_quantile(&f.profile.per_token, 0.5) - 0.020).abs() < 1e-5,
        "{:?}",
        f.profile.per_token
    );
    match &f.profile.ttft {
        Distribution::Empirical { points, .. } => assert!(points.len() <= 101),
        other => panic!("expected an empirical ttft, got {other:?}"),
    }
}

#[test]
fn a_whole_call_log_fits_the_whole_call_as_ttft_and_no_per_token_time() {
    let mut log = Log::new(&["a"]);
    for s in 0..50 {
        log.request(f64::from(s), &[ok(0, 200.0 + 10.0 * f64::from(s))], 80);
    }
    let f = &fitted(&log)[0];
    assert!(f.whole_call);
    assert_eq!(f.profile.per_token.mean(), 0.0);
    assert!((at_quantile(&f.profile.ttft, 0.5) - 0.445).abs() < 1e-6);
    assert!((at_quantile(&f.profile.ttft, 1.0) - 0.690).abs() < 1e-6);
}

#[test]
fn a_first_token_time_equal_to_the_whole_call_is_litellms_non_streamed_mark_not_a_ttft() {
    let mut log = Log::new(&["a"]);
    for s in 0..50 {
        let ms = 200.0 + 10.0 * f64::from(s);
        let t = Try {
            ttft_ms: Some(ms),
            ..ok(0, ms)
        };
        log.request(f64::from(s), &[t], 80);
    }
    let f = &fitted(&log)[0];
    assert!(f.whole_call);
    assert_eq!(f.profile.per_token.mean(), 0.0);
    assert!((at_quantile(&f.profile.ttft, 0.5) - 0.445).abs() < 1e-6);
}

#[test]
fn the_same_traffic_gives_the_same_profiles() {
    let log = windowed(ErrorClass::RateLimit, 0.03, 0.8, 200.0, 320.0);
    let a = format!("{:?}", fitted(&log));
    let b = format!("{:?}", fitted(&log));
    assert_eq!(a, b);
}

#[test]
fn a_deployment_the_log_never_saw_gets_no_profile() {
    let mut log = Log::new(&["a", "never", "b"]);
    for s in 0..20 {
        log.request(
            f64::from(s),
            &[failed(0, ErrorClass::Timeout), ok(2, 300.0)],
            10,
        );
    }
    let f = fitted(&log);
    let ids: Vec<_> = f
        .iter()
        .map(|p| p.profile.matches.id.clone().unwrap())
        .collect();
    assert_eq!(ids, ["a", "b"]);
    assert!(f.iter().all(|p| p.deployment != 1));
    // A timeout is the router's deadline, not the provider's answer: no error rate for it.
    assert!(f[0].profile.faults.error_rates.is_empty());
}

fn env() -> std::collections::BTreeMap<String, String> {
    std::collections::BTreeMap::new()
}

fn fitted_text(log: &Log, config: Option<&Path>, out: &Path) -> String {
    let env = env();
    fit_scenario(
        &log.0,
        config,
        out,
        &FitScenarioOptions {
            window: Duration::from_secs(60),
            env: &env,
        },
    )
    .unwrap()
}

/// A log with two deployments: `a` with ttft and a 429 window, `b` whole-call with 500s.
fn two_deployments() -> Log {
    let mut log = Log::new(&["a", "b"]);
    let mut rng = Lcg(11);
    for s in 0..900 {
        let at = f64::from(s) * 0.5;
        let a = if (120.0..240.0).contains(&at) && rng.next() < 0.7 {
            failed(0, ErrorClass::RateLimit)
        } else {
            Try {
                ttft_ms: Some(150.0 + 100.0 * rng.next()),
                ..ok(0, 800.0 + 200.0 * rng.next())
            }
        };
        let b = if rng.next() < 0.05 {
            failed(1, ErrorClass::InternalServer)
        } else {
            ok(1, 300.0 + 300.0 * rng.next())
        };
        let tries: Vec<Try> = if a.error.is_some() {
            vec![a, b]
        } else {
            vec![a]
        };
        log.request(at, &tries, 20 + (s % 30));
        if s % 3 == 0 {
            log.request(at + 0.1, &[b], 40);
        }
    }
    log
}

#[test]
fn the_written_scenario_loads_with_the_fitted_profiles() {
    let log = two_deployments();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.yaml");
    let text = fitted_text(&log, None, &out);
    let scenario = switchyard::scenario::parse_scenario(&text, "fitted.yaml", dir.path(), &env())
        .unwrap_or_else(|e| panic!("{e}\n{text}"));
    let fitted = fitted(&log);
    assert_eq!(scenario.profiles.len(), fitted.len());
    for (loaded, f) in scenario.profiles.iter().zip(&fitted) {
        assert_eq!(loaded.matches, f.profile.matches);
        assert_eq!(
            format!("{:?}", loaded.ttft),
            format!("{:?}", f.profile.ttft)
        );
        assert_eq!(
            format!("{:?}", loaded.per_token),
            format!("{:?}", f.profile.per_token)
        );
        assert_eq!(
            format!("{:?}", loaded.error_latency),
            format!("{:?}", f.profile.error_latency)
        );
        assert_eq!(loaded.faults, f.profile.faults);
    }
    assert!(fitted.iter().all(|f| f.profile.error_latency.is_some()));
    assert!(!fitted[0].profile.faults.outages.is_empty());
    assert!(!fitted[1].profile.faults.error_rates.is_empty());
    assert_eq!(scenario.duration, Duration::from_secs(450));
    assert_eq!(scenario.workload.mix.len(), 1);
    assert!(text.contains("no time to first token in the log"), "{text}");
}

#[test]
fn a_given_config_is_named_relative_to_the_file_and_unseen_deployments_are_flagged() {
    let log = two_deployments();
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("configs")).unwrap();
    std::fs::create_dir(dir.path().join("out")).unwrap();
    let config = dir.path().join("configs/litellm.yaml");
    std::fs::write(
        &config,
        "model_list:\n\
         - {model_name: gpt, litellm_params: {model: openai/a}, model_info: {id: a}}\n\
         - {model_name: gpt, litellm_params: {model: openai/b}, model_info: {id: b}}\n\
         - {model_name: gpt, litellm_params: {model: openai/c}, model_info: {id: c}}\n",
    )
    .unwrap();
    let out = dir.path().join("out/fitted.yaml");
    let text = fitted_text(&log, Some(&config), &out);
    assert!(
        text.contains("config: \"../configs/litellm.yaml\""),
        "{text}"
    );
    assert!(
        text.contains("NOT FITTED: the log never saw deployment c"),
        "{text}"
    );
    std::fs::write(&out, &text).unwrap();
    let err = switchyard::scenario::load_scenario(&out, &env()).unwrap_err();
    assert!(err.to_string().contains("\"c\""), "{err}");
}

#[test]
fn a_config_whose_deployments_the_log_all_saw_loads_with_the_fitted_profiles() {
    let log = two_deployments();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("litellm.yaml");
    std::fs::write(
        &config,
        "model_list:\n\
         - {model_name: gpt, litellm_params: {model: openai/a}, model_info: {id: a}}\n\
         - {model_name: gpt, litellm_params: {model: openai/b}, model_info: {id: b}}\n",
    )
    .unwrap();
    let out = dir.path().join("fitted.yaml");
    let text = fitted_text(&log, Some(&config), &out);
    assert!(text.contains("config: \"litellm.yaml\""), "{text}");
    assert!(!text.contains("NOT FITTED"), "{text}");
    std::fs::write(&out, &text).unwrap();
    let scenario = switchyard::scenario::load_scenario(&out, &env()).unwrap();
    assert_eq!(scenario.profile_of, vec![0, 1]);
}

#[test]
fn switchyard_run_runs_the_fitted_scenario() {
    let log = two_deployments();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("fitted.yaml");
    std::fs::write(&out, fitted_text(&log, None, &out)).unwrap();
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_switchyard"))
        .args([
            "run",
            "fitted.yaml",
            "--brief",
            "--quiet",
            "--requests",
            "none",
        ])
        .args(["--out", "report"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert!(dir.path().join("report").is_dir());
}

#[test]
fn the_fitted_profile_simulated_at_the_logged_instants_succeeds_as_the_log_did_per_window() {
    let log = windowed(ErrorClass::ServiceUnavailable, 0.05, 0.9, 600.0, 780.0);
    let f = &fitted(&log)[0];
    let mut provider = SyntheticProvider::new(&f.profile, &[], stream(5, "fit"));
    let mut logged = [(0u32, 0u32); 20];
    let mut simulated = [0u32; 20];
    for (i, r) in log.0.requests.iter().enumerate() {
        let w = (r.at.as_secs_f64() / 60.0) as usize;
        logged[w].0 += 1;
        logged[w].1 += u32::from(log.0.attempts[i].error.is_none());
        let admitted = provider.offer(i as u32, 0, 100, 100, r.at);
        if let Admission::Started(s) = admitted {
            simulated[w] += 1;
            provider.release(s.done_at);
        }
    }
    for w in 0..20 {
        let (n, ok) = logged[w];
        let (log_rate, sim_rate) = (
            f64::from(ok) / f64::from(n),
            f64::from(simulated[w]) / f64::from(n),
        );
        // Two binomial samples of 60: within 0.15 of each other (well over 3 standard errors).
        assert!(
            (log_rate - sim_rate).abs() < 0.15,
            "window {w}: log {log_rate}, fitted {sim_rate}"
        );
    }
}

#[test]
fn rate_limit_answers_that_come_whenever_the_rolling_minute_is_full_are_fitted_as_an_rpm_limit() {
    let mut log = Log::new(&["a"]);
    let mut rng = Lcg(5);
    let mut accepted: Vec<f64> = Vec::new();
    let mut at = 0.0;
    while at < 600.0 {
        at += -(1.0 - rng.next()).ln();
        let in_minute = accepted.iter().filter(|&&t| t > at - 60.0).count();
        let t = if in_minute >= 30 {
            Try {
                retry_after: Some(Duration::from_secs(5)),
                ..failed(0, ErrorClass::RateLimit)
            }
        } else {
            accepted.push(at);
            ok(0, 400.0)
        };
        log.request(at, &[t], 100);
    }
    let refused = log.0.attempts.iter().filter(|a| a.error.is_some()).count();
    assert!(refused > 100, "the limit refused {refused}");
    let f = &fitted(&log)[0];
    assert_eq!(f.profile.faults.rpm, Some(30));
    assert!(
        f.profile.faults.error_rates.is_empty() && f.profile.faults.outages.is_empty(),
        "the limit explains every 429: {:?}",
        f.profile.faults
    );
}
