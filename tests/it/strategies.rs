//! Each routing strategy's decision (ROUTING.md §3), with a property per strategy.

use std::collections::BTreeMap;
use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::router::{
    AttemptFailure, AttemptId, Call, CallResult, Completion, ErrorClass, Outcome, Phase,
    RequestSpec, Router, Step, TraceEvent,
};
use switchyard::time::Time;

use crate::common::router;

fn group(strategy: &str, params: &[&str], extra: &str) -> String {
    let mut text = String::from("model_list:\n");
    for (i, p) in params.iter().enumerate() {
        text.push_str(&format!(
            "  - {{model_name: g, litellm_params: {{model: openai/m{i}{p}}}, model_info: {{id: d{i}}}}}\n"
        ));
    }
    text.push_str(&format!(
        "router_settings:\n  routing_strategy: {strategy}\n{extra}"
    ));
    text
}

fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// Starts a request to `model` and returns the call with its first attempt outstanding.
fn send(
    r: &mut Router,
    g: &mut Xoshiro256PlusPlus,
    model: &str,
    stream: bool,
    now: Time,
) -> (Call, Option<String>) {
    let mut spec = RequestSpec::new(r.resolve(model), 100);
    spec.stream = stream;
    let mut call = r.start(spec);
    let id = match r.next_step(&mut call, now, g) {
        Step::Send { deployment, .. } => Some(r.table().deployment(deployment).config.id.clone()),
        _ => None,
    };
    (call, id)
}

fn success(latency: f64, ttft: f64, tokens: u32) -> Outcome {
    Outcome::Success(Completion {
        input_tokens: 100,
        output_tokens: tokens,
        latency: Duration::from_secs_f64(latency),
        time_to_first_token: Duration::from_secs_f64(ttft),
    })
}

/// One whole request whose attempt is answered by `answer(id)`; returns the serving id.
fn serve(
    r: &mut Router,
    g: &mut Xoshiro256PlusPlus,
    now: Time,
    answer: &dyn Fn(&str) -> Outcome,
) -> Option<String> {
    let (mut call, id) = send(r, g, "g", false, now);
    let id = id?;
    let attempt = in_flight(&call);
    r.record(&mut call, attempt, &answer(&id), now, g);
    Some(id)
}

fn counts(ids: impl IntoIterator<Item = String>) -> BTreeMap<String, u32> {
    let mut m = BTreeMap::new();
    for id in ids {
        *m.entry(id).or_insert(0) += 1;
    }
    m
}

#[test]
fn least_busy_sends_to_the_deployment_with_fewest_started_attempts_ties_to_the_first() {
    let mut r = router(&group("least-busy", &["", "", ""], ""));
    let mut g = rng(1);
    let (_a, first) = send(&mut r, &mut g, "g", false, Time::ZERO);
    let (_b, second) = send(&mut r, &mut g, "g", false, Time::from_secs_f64(0.1));
    let (_c, third) = send(&mut r, &mut g, "g", false, Time::from_secs_f64(0.2));
    let all = vec![first.unwrap(), second.unwrap(), third.unwrap()];
    assert_eq!(
        all,
        ["d0", "d1", "d2"],
        "requests at distinct instants see each other"
    );
    // Sequential requests, each answered before the next: always a tie, always the first.
    let mut r = router(&group("least-busy", &["", "", ""], ""));
    let picks = counts((0..60).filter_map(|i| {
        serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
            success(0.1, 0.05, 10)
        })
    }));
    assert_eq!(picks.get("d0"), Some(&60), "{picks:?}");
    // The exact-count improvement breaks ties at random.
    let exact = "switchyard_settings: {least_busy_exact: true}\n";
    let mut r = router(&group("least-busy", &["", "", ""], exact));
    let picks = counts((0..600).filter_map(|i| {
        serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
            success(0.1, 0.05, 10)
        })
    }));
    assert!(picks.values().all(|n| *n > 150), "{picks:?}");
}

#[test]
fn latency_based_prefers_the_fastest_per_token_and_tries_unseen_deployments_first() {
    let mut r = router(&group("latency-based-routing", &["", "", ""], ""));
    let mut g = rng(2);
    let speed = |id: &str| match id {
        "d0" => success(2.0, 0.5, 100),
        "d1" => success(0.5, 0.8, 100),
        _ => success(1.0, 0.1, 100),
    };
    let first: Vec<String> = (0..3)
        .filter_map(|i| serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &speed))
        .collect();
    let mut sorted = first.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["d0", "d1", "d2"],
        "each unseen deployment scores 0 and is tried"
    );
    for i in 3..50 {
        assert_eq!(
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &speed).unwrap(),
            "d1",
            "lowest seconds per token"
        );
    }
    // Streaming requests are judged by time to first token.
    let mut stream_r = router(&group("latency-based-routing", &["", "", ""], ""));
    for i in 0..30 {
        let (mut call, id) = send(
            &mut stream_r,
            &mut g,
            "g",
            true,
            Time::from_secs_f64(f64::from(i)),
        );
        let id = id.unwrap();
        if i >= 3 {
            assert_eq!(id, "d2", "lowest time to first token");
        }
        let attempt = in_flight(&call);
        stream_r.record(
            &mut call,
            attempt,
            &speed(&id),
            Time::from_secs_f64(f64::from(i)),
            &mut g,
        );
    }
}

#[test]
fn latency_based_penalises_timeouts_forgets_after_ttl_and_randomises_within_the_buffer() {
    let extra = "  routing_strategy_args: {ttl: 60, lowest_latency_buffer: 0.5}\n";
    let mut r = router(&group("latency-based-routing", &["", ""], extra));
    let mut g = rng(3);
    let answer = |id: &str| match id {
        "d0" => success(1.0, 0.1, 100),
        _ => Outcome::Failure(AttemptFailure {
            class: ErrorClass::Timeout,
            retry_after: None,
            latency: Duration::from_secs(6),
        }),
    };
    let mut last = String::new();
    for i in 0..20 {
        let (mut call, id) = send(
            &mut r,
            &mut g,
            "g",
            false,
            Time::from_secs_f64(f64::from(i)),
        );
        last = id.unwrap();
        let attempt = in_flight(&call);
        r.record(
            &mut call,
            attempt,
            &answer(&last),
            Time::from_secs_f64(f64::from(i)),
            &mut g,
        );
    }
    assert_eq!(
        last, "d0",
        "the timing-out deployment carries a 1000 penalty"
    );
    // 10 minutes later d1's penalty is forgotten: it counts as unseen (0) again.
    let (_call, id) = send(&mut r, &mut g, "g", false, Time::from_secs_f64(700.0));
    assert_eq!(id.unwrap(), "d1");

    // Within the buffer (0.01 and 0.012 s/token, buffer 50 %) the choice is random.
    let mut r = router(&group("latency-based-routing", &["", ""], extra));
    let close = |id: &str| {
        if id == "d0" {
            success(1.0, 0.1, 100)
        } else {
            success(1.2, 0.1, 100)
        }
    };
    let picks = counts((0..400).filter_map(|i| {
        serve(
            &mut r,
            &mut g,
            Time::from_secs_f64(f64::from(i) * 0.1),
            &close,
        )
    }));
    assert!(picks.values().all(|n| *n > 120), "{picks:?}");
}

#[test]
fn cost_based_takes_the_cheapest_under_its_limits() {
    let params = [
        ", input_cost_per_token: 0.00001, output_cost_per_token: 0.00003, rpm: 100",
        ", input_cost_per_token: 0.000001, output_cost_per_token: 0.000002, rpm: 2",
        ", input_cost_per_token: 0.000002, output_cost_per_token: 0.000002, rpm: 100",
    ];
    let mut r = router(&group("cost-based-routing", &params, ""));
    let mut g = rng(4);
    let picks: Vec<String> = (0..5)
        .filter_map(|i| {
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
                success(0.1, 0.05, 10)
            })
        })
        .collect();
    assert_eq!(
        picks,
        ["d1", "d1", "d2", "d2", "d2"],
        "cheapest until its rpm, then the next cheapest"
    );
    let next_minute = serve(&mut r, &mut g, Time::from_secs_f64(61.0), &|_| {
        success(0.1, 0.05, 10)
    });
    assert_eq!(next_minute.unwrap(), "d1");
}

#[test]
fn cost_based_reads_the_built_in_price_table() {
    let text = "model_list:\n  - {model_name: g, litellm_params: {model: openai/gpt-4o}, model_info: {id: big}}\n  - {model_name: g, litellm_params: {model: azure/gpt-4o-mini}, model_info: {id: mini}}\nrouter_settings: {routing_strategy: cost-based-routing}\n";
    let mut r = router(text);
    let mut g = rng(5);
    for i in 0..10 {
        assert_eq!(
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
                success(0.1, 0.05, 10)
            })
            .unwrap(),
            "mini"
        );
    }
    let mini = r.table().deployment_with_id("mini").unwrap();
    assert_eq!(r.price(mini).unwrap().input, 1.5e-7);
}

#[test]
fn usage_based_refuses_one_request_early_and_then_answers_its_own_429() {
    let mut r = router(&group(
        "usage-based-routing-v2",
        &[", rpm: 2", ", rpm: 3"],
        "",
    ));
    let mut g = rng(6);
    let served = (0..6)
        .filter_map(|i| {
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
                success(0.1, 0.05, 10)
            })
        })
        .count();
    assert_eq!(
        served, 3,
        "rpm 2 and 3 serve 3 requests a minute in LiteLLM"
    );
    let (mut call, id) = send(&mut r, &mut g, "g", false, Time::from_secs_f64(10.0));
    assert_eq!(id, None, "no attempt reaches a provider");
    match r.next_step(&mut call, Time::from_secs_f64(10.0), &mut g) {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.class, ErrorClass::NoDeploymentsAvailable);
            assert_eq!(f.retry_after, Some(Duration::from_secs(60)));
            assert!(
                !r.failed_all_cooling(&call, Time::from_secs_f64(10.0)),
                "limits, not cooldowns: not LiteLLM's all_deployments_in_cooldown"
            );
        }
        other => panic!("{other:?}"),
    }
    let exact = group(
        "usage-based-routing",
        &[", rpm: 2", ", rpm: 3"],
        "switchyard_settings: {usage_exact_rpm: true}\n",
    );
    let mut r = router(&exact);
    let served = (0..6)
        .filter_map(|i| {
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &|_| {
                success(0.1, 0.05, 10)
            })
        })
        .count();
    assert_eq!(served, 5, "the exact-limit improvement serves rpm requests");
}

#[test]
fn usage_based_serves_an_rpm_1_deployment_the_first_request_of_each_minute() {
    let mut r = router(&group("usage-based-routing-v2", &[", rpm: 1"], ""));
    let mut g = rng(9);
    let at = |s: f64| Time::from_secs_f64(s);
    let ok = |_: &str| success(0.1, 0.05, 10);
    assert_eq!(serve(&mut r, &mut g, at(0.0), &ok).as_deref(), Some("d0"));
    assert_eq!(serve(&mut r, &mut g, at(1.0), &ok), None, "1 + 1 >= rpm 1");
    assert_eq!(serve(&mut r, &mut g, at(59.0), &ok), None);
    assert_eq!(
        serve(&mut r, &mut g, at(60.0), &ok).as_deref(),
        Some("d0"),
        "a new minute has no count yet, and no count never excludes"
    );
    assert_eq!(serve(&mut r, &mut g, at(61.0), &ok), None);
}

#[test]
fn usage_based_stops_a_tpm_50_deployment_after_two_30_token_calls() {
    // LiteLLM 1.108.7, 20 sequential calls of 8 input + 22 output tokens: the tpm-50
    // deployment served 2 (tokens 0 and 30 let an 8-token prompt in; 60 does not).
    for seed in 0..20 {
        let mut r = router(&group("usage-based-routing-v2", &[", tpm: 50", ""], ""));
        let mut g = rng(seed);
        let mut picks = BTreeMap::new();
        for i in 0..20 {
            let mut spec = RequestSpec::new(r.resolve("g"), 8);
            spec.stream = false;
            let mut call = r.start(spec);
            let now = Time::from_secs_f64(f64::from(i));
            let Step::Send {
                attempt,
                deployment,
                ..
            } = r.next_step(&mut call, now, &mut g)
            else {
                panic!("the unlimited deployment always has room")
            };
            let done = Outcome::Success(Completion {
                input_tokens: 8,
                output_tokens: 22,
                latency: Duration::from_millis(100),
                time_to_first_token: Duration::from_millis(50),
            });
            r.record(&mut call, attempt, &done, now, &mut g);
            let id = r.table().deployment(deployment).config.id.clone();
            *picks.entry(id).or_insert(0u32) += 1;
        }
        assert_eq!(picks.get("d0"), Some(&2), "seed {seed}: {picks:?}");
    }
}

#[test]
fn explain_names_the_usage_based_exclusion_with_its_numbers() {
    let mut r = router(&group(
        "usage-based-routing-v2",
        &[", rpm: 2", ", tpm: 100"],
        "",
    ));
    let mut g = rng(10);
    // d1 uses 100 tokens, d0 one request: both are at their limits now.
    for (i, tokens) in [(0u32, 90u32), (1, 90)] {
        let now = Time::from_secs_f64(f64::from(i));
        let (mut call, _) = send(&mut r, &mut g, "g", false, now);
        let attempt = in_flight(&call);
        r.record(&mut call, attempt, &success(0.1, 0.05, tokens), now, &mut g);
    }
    let mut trace: Vec<(Time, TraceEvent)> = Vec::new();
    let mut call = r.start(RequestSpec::new(r.resolve("g"), 100));
    let now = Time::from_secs_f64(2.0);
    let step = r.next_step_traced(&mut call, now, &mut g, &mut trace);
    assert!(
        matches!(step, Step::Finish(CallResult::Failed(_))),
        "{step:?}"
    );
    let lines = switchyard::report::explain::explain(&trace, r.table());
    let skips: Vec<&String> = lines.iter().filter(|l| l.contains("skip")).collect();
    assert_eq!(skips.len(), 2, "{lines:#?}");
    assert!(
        skips[0].contains("usage-based routing: rpm 2 reached (1 sent this minute)"),
        "{lines:#?}"
    );
    assert!(
        skips[1].contains("usage-based routing: 190 tokens used this minute + 100 input > tpm 100"),
        "{lines:#?}"
    );
}

#[test]
fn usage_based_picks_the_deployment_with_fewest_tokens_this_minute() {
    let mut r = router(&group("usage-based-routing", &["", ""], ""));
    let mut g = rng(7);
    // d0's answers are big, d1's small: d1 keeps the lower token count.
    let answer = |id: &str| {
        if id == "d0" {
            success(0.1, 0.05, 5000)
        } else {
            success(0.1, 0.05, 10)
        }
    };
    let picks = counts(
        (0..40).filter_map(|i| serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &answer)),
    );
    assert!(picks["d1"] > 35, "{picks:?}");
}

#[test]
fn p2c_ewma_moves_traffic_away_from_a_slow_deployment() {
    let mut r = router(&group(
        "p2c-ewma",
        &["", "", ""],
        "  routing_strategy_args: {decay: 5}\n",
    ));
    let mut g = rng(8);
    let answer = |id: &str| {
        if id == "d0" {
            success(3.0, 1.0, 100)
        } else {
            success(0.3, 0.1, 100)
        }
    };
    let picks = counts((0..600).filter_map(|i| {
        serve(
            &mut r,
            &mut g,
            Time::from_secs_f64(f64::from(i) * 0.1),
            &answer,
        )
    }));
    assert!(picks.get("d0").copied().unwrap_or(0) < 30, "{picks:?}");
    assert!(picks["d1"] > 200 && picks["d2"] > 200, "{picks:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn least_busy_never_picks_a_deployment_with_strictly_more_in_flight(
        outstanding in proptest::collection::vec(0usize..4, 2..6),
        seed in any::<u64>(),
    ) {
        let params = vec![""; outstanding.len()];
        let mut r = router(&group("least-busy", &params, ""));
        let mut g = rng(seed);
        let mut held = Vec::new();
        // Pin `outstanding[i]` requests on deployment i through its id.
        for (i, n) in outstanding.iter().enumerate() {
            for _ in 0..*n {
                let (call, _) = send(&mut r, &mut g, &format!("d{i}"), false, Time::ZERO);
                held.push(call);
            }
        }
        // Chosen after the pinned attempts have started (a later instant).
        let (_call, id) = send(&mut r, &mut g, "g", false, Time::from_secs_f64(0.01));
        let chosen: usize = id.unwrap()[1..].parse().unwrap();
        let least = *outstanding.iter().min().unwrap();
        prop_assert_eq!(outstanding[chosen], least);
        let first = outstanding.iter().position(|n| *n == least).unwrap();
        prop_assert_eq!(chosen, first, "ties go to the first deployment");
    }

    #[test]
    fn limit_aware_strategies_never_choose_a_deployment_over_its_rpm(
        rpms in proptest::collection::vec(1u64..6, 2..5),
        strategy in prop::sample::select(vec!["latency-based-routing", "cost-based-routing", "usage-based-routing", "usage-based-routing-v2"]),
        requests in 1usize..30,
        seed in any::<u64>(),
    ) {
        let params: Vec<String> = rpms.iter().map(|r| format!(", rpm: {r}")).collect();
        let params: Vec<&str> = params.iter().map(String::as_str).collect();
        let mut r = router(&group(strategy, &params, ""));
        let mut g = rng(seed);
        let mut sent = vec![0u64; rpms.len()];
        for i in 0..requests {
            let now = Time::from_secs_f64(i as f64);
            if let Some(id) = serve(&mut r, &mut g, now, &|_| success(0.2, 0.1, 20)) {
                let d: usize = id[1..].parse().unwrap();
                sent[d] += 1;
                prop_assert!(sent[d] <= rpms[d], "{strategy}: {id} got {} requests with rpm {}", sent[d], rpms[d]);
            }
        }
    }

    #[test]
    fn p2c_ewma_of_two_always_takes_the_lower_score(
        slow in 0.1f64..5.0,
        fast in 0.01f64..0.1,
        seed in any::<u64>(),
    ) {
        let mut r = router(&group("p2c-ewma", &["", ""], ""));
        let mut g = rng(seed);
        let answer = move |id: &str| if id == "d0" { success(slow, 0.1, 10) } else { success(fast, 0.1, 10) };
        for i in 0..4 {
            serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &answer);
        }
        for i in 4..20 {
            let id = serve(&mut r, &mut g, Time::from_secs_f64(f64::from(i)), &answer).unwrap();
            prop_assert_eq!(id, "d1");
        }
    }
}

#[test]
fn a_price_file_overrides_the_built_in_table_for_routing_and_cost() {
    let text = "model_list:\n  - {model_name: g, litellm_params: {model: openai/gpt-4o}, model_info: {id: big}}\n  - {model_name: g, litellm_params: {model: azure/gpt-4o-mini}, model_info: {id: mini}}\nrouter_settings: {routing_strategy: cost-based-routing}\n";
    let c = crate::common::config(text).unwrap();
    let file = switchyard::router::PriceFile::parse(
        r#"{"gpt-4o": {"input_cost_per_token": 1e-9, "output_cost_per_token": 1e-9}}"#,
        "prices.json",
    )
    .unwrap();
    let mut r = Router::with_prices(&c.deployments, c.settings, Some(&file));
    let mut g = rng(9);
    assert_eq!(
        serve(&mut r, &mut g, Time::ZERO, &|_| success(0.1, 0.05, 10)).unwrap(),
        "big"
    );
    let big = r.table().deployment_with_id("big").unwrap();
    let price = r.price(big).unwrap();
    assert_eq!(price.source, switchyard::router::PriceSource::File);
    assert!((price.cost(1000, 1000) - 2e-6).abs() < 1e-15);
}

/// The id of `call`'s attempt in flight.
fn in_flight(call: &Call) -> AttemptId {
    match call.phase() {
        Phase::InFlight { attempt, .. } => attempt,
        other => panic!("no attempt in flight: {other:?}"),
    }
}
