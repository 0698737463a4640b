//! Retries, cooldowns and fallbacks, driven through the router's state machine with scripted
//! provider answers (the behaviour of ROUTING.md §4–6 as observed in LiteLLM 1.108).

use std::time::Duration;

use proptest::prelude::*;
use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::router::{CallResult, ErrorClass, RequestSpec, Step};
use switchyard::time::Time;

use crate::common::router;
use crate::driver::*;

#[test]
fn a_lone_deployment_answering_429_is_never_cooled() {
    let mut r = router(&format!("model_list:\n{}", group_of(1, "a", "")));
    let mut g = rng();
    for i in 0..30 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i) * 20.0),
            &mut |_| fail(ErrorClass::RateLimit),
        );
        assert!(life.cooled.is_empty());
        assert_eq!(life.attempts.len(), 3, "1 + num_retries 2");
    }
}

#[test]
fn in_a_group_of_two_one_429_cools_the_failing_deployment_and_the_retry_goes_to_the_other_at_once()
{
    let mut r = router(&format!("model_list:\n{}", group_of(2, "a", "")));
    let mut g = rng();
    // Find a request whose first attempt lands on a-0, which answers 429.
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |id| {
        if id == "a-0" {
            fail(ErrorClass::RateLimit)
        } else {
            ok()
        }
    });
    if life.attempts[0].deployment == "a-0" {
        assert_eq!(life.cooled, ["a-0"]);
        assert_eq!(ids(&life), ["a-0", "a-1"]);
        assert_eq!(
            life.attempts[1].at - life.attempts[0].at,
            Duration::from_millis(100),
            "no wait: the retry follows the failure at once"
        );
    } else {
        assert_eq!(ids(&life), ["a-1"]);
    }
    // Either way, within the 5 s cooldown every request reaches a-1 only.
    let a0 = r.table().deployment_with_id("a-0").unwrap();
    if r.health(a0).is_cooling(Time::from_secs_f64(1.0)) {
        for i in 0..10 {
            let life = drive(
                &mut r,
                &mut g,
                "a",
                Time::from_secs_f64(1.0 + f64::from(i) * 0.1),
                &mut |_| ok(),
            );
            assert_eq!(ids(&life), ["a-1"]);
        }
    }
}

#[test]
fn one_of_two_always_answering_500_is_cooled_on_its_fifth_failure() {
    let mut r = router(&format!("model_list:\n{}", group_of(2, "a", "")));
    let mut g = rng();
    let mut failures_of_a0 = 0;
    for i in 0..200 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i)),
            &mut |id| {
                if id == "a-0" {
                    fail(ErrorClass::InternalServer)
                } else {
                    ok()
                }
            },
        );
        failures_of_a0 += life
            .attempts
            .iter()
            .filter(|a| a.deployment == "a-0")
            .count();
        if !life.cooled.is_empty() {
            assert_eq!(life.cooled, ["a-0"]);
            assert_eq!(failures_of_a0, 5, "cooled on its 5th failure");
            return;
        }
        assert!(
            matches!(life.result, CallResult::Served(_)),
            "a-1 always serves the retry"
        );
    }
    panic!("a-0 was never cooled");
}

#[test]
fn three_deployments_failing_a_quarter_of_the_time_are_never_cooled() {
    let mut r = router(&format!("model_list:\n{}", group_of(3, "a", "")));
    let mut g = rng();
    let mut coin = Xoshiro256PlusPlus::seed_from_u64(5);
    for i in 0..100 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i) * 0.5),
            &mut |_| {
                if coin.random::<f64>() < 0.25 {
                    fail(ErrorClass::InternalServer)
                } else {
                    ok()
                }
            },
        );
        assert!(
            life.cooled.is_empty(),
            "request {i} cooled {:?}",
            life.cooled
        );
    }
}

#[test]
fn allowed_fails_one_cools_on_the_second_failure() {
    let mut r = router(&format!(
        "model_list:\n{}router_settings: {{allowed_fails: 1}}\n",
        group_of(2, "a", "")
    ));
    let mut g = rng();
    let mut failures = 0;
    for i in 0..50 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i) * 0.1),
            &mut |id| {
                if id == "a-0" {
                    fail(ErrorClass::InternalServer)
                } else {
                    ok()
                }
            },
        );
        failures += life
            .attempts
            .iter()
            .filter(|a| a.deployment == "a-0")
            .count();
        if !life.cooled.is_empty() {
            assert_eq!(failures, 2);
            return;
        }
    }
    panic!("never cooled");
}

#[test]
fn a_lone_deployment_with_a_fallback_is_cooled_by_allowed_fails_and_then_skipped() {
    let config = format!(
        "model_list:\n{}{}router_settings:\n  allowed_fails: 1\n  fallbacks: [{{a: [b]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let answer = &mut |id: &str| {
        if id == "a-0" {
            fail(ErrorClass::InternalServer)
        } else {
            ok()
        }
    };
    let first = drive(&mut r, &mut g, "a", Time::ZERO, answer);
    assert_eq!(
        first.cooled,
        ["a-0"],
        "cooled on its 2nd failure within the first request"
    );
    assert_eq!(ids(&first), ["a-0", "a-0", "b-0"]);
    let later = drive(&mut r, &mut g, "a", first.end, answer);
    assert_eq!(
        ids(&later),
        ["b-0"],
        "straight to the fallback while a-0 cools"
    );
    match later.result {
        CallResult::Served(s) => assert_eq!((s.fallbacks, s.retries), (1, 0)),
        other => panic!("{other:?}"),
    }
    // Without the fallback the lone deployment is never cooled.
    let mut lone = router(&format!(
        "model_list:\n{}router_settings: {{allowed_fails: 1}}\n",
        group_of(1, "a", "")
    ));
    for i in 0..5 {
        let life = drive(
            &mut lone,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i) * 30.0),
            answer,
        );
        assert!(life.cooled.is_empty());
    }
}

#[test]
fn bad_requests_and_cooldown_time_zero_never_cool_but_a_404_cools_even_a_lone_deployment() {
    let mut g = rng();
    let mut r = router(&format!("model_list:\n{}", group_of(2, "a", "")));
    for i in 0..20 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i)),
            &mut |_| fail(ErrorClass::BadRequest),
        );
        assert!(life.cooled.is_empty());
        assert_eq!(life.attempts.len(), 1, "a 400 is not retried");
    }
    let mut zero = router(&format!(
        "model_list:\n{}",
        group_of(2, "a", ", cooldown_time: 0")
    ));
    for i in 0..20 {
        let life = drive(
            &mut zero,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i)),
            &mut |_| fail(ErrorClass::RateLimit),
        );
        assert!(life.cooled.is_empty());
    }
    let mut lone = router(&format!("model_list:\n{}", group_of(1, "a", "")));
    let life = drive(&mut lone, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::NotFound)
    });
    assert_eq!(life.cooled, ["a-0"]);
    assert_eq!(life.attempts.len(), 1, "a 404 is not retried");
}

#[test]
fn a_whole_group_cooling_answers_no_deployments_available_without_an_attempt() {
    let mut r = router(&format!("model_list:\n{}", group_of(2, "a", "")));
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::RateLimit)
    });
    assert_eq!(
        life.attempts.len(),
        2,
        "two deployments both answering 429: two attempts, not three"
    );
    assert_eq!(life.cooled.len(), 2);
    let later = drive(&mut r, &mut g, "a", Time::from_secs_f64(1.0), &mut |_| ok());
    assert!(later.attempts.is_empty());
    match later.result {
        CallResult::Failed(f) => {
            assert_eq!(f.class, ErrorClass::NoDeploymentsAvailable);
            assert_eq!(f.class.status(), 429);
            let wait = f
                .retry_after
                .expect("retry-after until the first cooldown ends");
            assert!(
                wait > Duration::from_secs(3) && wait <= Duration::from_secs(5),
                "{wait:?}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn content_policy_and_context_window_errors_go_to_their_fallbacks_without_retries() {
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  content_policy_fallbacks: [{{a: [permissive]}}]\n  fallbacks: [{{a: [long]}}]\n",
        group_of(2, "a", ""),
        group_of(1, "permissive", ""),
        group_of(1, "long", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |id| {
        if id.starts_with("a-") {
            fail(ErrorClass::ContentPolicyViolation)
        } else {
            ok()
        }
    });
    assert_eq!(life.attempts.len(), 2, "{:?}", ids(&life));
    assert_eq!(life.attempts[1].deployment, "permissive-0");
    let life = drive(&mut r, &mut g, "a", Time::from_secs_f64(10.0), &mut |id| {
        if id.starts_with("a-") {
            fail(ErrorClass::ContextWindowExceeded)
        } else {
            ok()
        }
    });
    assert_eq!(life.attempts.len(), 2, "{:?}", ids(&life));
    assert_eq!(
        life.attempts[1].deployment, "long-0",
        "no context_window_fallbacks: the general ones"
    );
}

#[test]
fn fallbacks_run_in_list_order_and_the_primary_groups_error_is_returned() {
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 1\n  fallbacks: [{{a: [b, c]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |id| match id {
        "a-0" => fail(ErrorClass::InternalServer),
        "b-0" => fail(ErrorClass::ServiceUnavailable),
        _ => fail(ErrorClass::BadGateway),
    });
    assert_eq!(ids(&life), ["a-0", "a-0", "b-0", "b-0", "c-0", "c-0"]);
    assert_eq!(failed_class(&life), ErrorClass::InternalServer);
}

#[test]
fn max_fallbacks_bounds_the_depth_of_chains_not_the_length_of_a_list() {
    let chain = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  max_fallbacks: 1\n  fallbacks: [{{a: [b]}}, {{b: [c]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    );
    let mut r = router(&chain);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::InternalServer)
    });
    assert_eq!(ids(&life), ["a-0", "b-0"], "c is two levels deep");
    let list = chain.replace(
        "fallbacks: [{a: [b]}, {b: [c]}]",
        "fallbacks: [{a: [b, c]}]",
    );
    let mut r = router(&list);
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::InternalServer)
    });
    assert_eq!(ids(&life), ["a-0", "b-0", "c-0"]);
    let deep = chain.replace("max_fallbacks: 1", "max_fallbacks: 5");
    let mut r = router(&deep);
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::InternalServer)
    });
    assert_eq!(
        ids(&life),
        ["a-0", "b-0", "c-0"],
        "chains follow each group's own fallbacks"
    );
}

#[test]
fn retry_policy_counts() {
    let base = format!("model_list:\n{}", group_of(2, "a", ""));
    let mut g = rng();
    let attempts = |policy: &str, class: ErrorClass, g: &mut Xoshiro256PlusPlus| {
        let mut r = router(&format!(
            "{base}router_settings:\n  disable_cooldowns: true\n  retry_policy: {{{policy}}}\n"
        ));
        drive(&mut r, g, "a", Time::ZERO, &mut |_| fail(class))
            .attempts
            .len()
    };
    assert_eq!(
        attempts("RateLimitErrorRetries: 3", ErrorClass::RateLimit, &mut g),
        4
    );
    assert_eq!(
        attempts("BadRequestErrorRetries: 0", ErrorClass::BadRequest, &mut g),
        1
    );
    assert_eq!(
        attempts("BadRequestErrorRetries: 2", ErrorClass::BadRequest, &mut g),
        3
    );
    assert_eq!(
        attempts("TimeoutErrorRetries: 1", ErrorClass::Timeout, &mut g),
        2
    );
}

#[test]
fn a_lone_deployment_failing_with_429_waits_half_a_second_one_and_two_the_last_after_the_final_attempt()
 {
    let mut r = router(&format!("model_list:\n{}", group_of(1, "a", "")));
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::RateLimit)
    });
    assert_eq!(life.attempts.len(), 3);
    let gap = |i: usize| (life.attempts[i + 1].at - life.attempts[i].at).as_secs_f64() - 0.1;
    assert!((0.5..1.25).contains(&gap(0)), "first wait {}", gap(0));
    assert!((1.0..1.75).contains(&gap(1)), "second wait {}", gap(1));
    let last = (life.end - life.attempts[2].at).as_secs_f64() - 0.1;
    assert!(
        (2.0..2.75).contains(&last),
        "a third wait after the final attempt: {last}"
    );
}

#[test]
fn disable_fallbacks_stops_after_the_primary() {
    let config = format!(
        "model_list:\n{}{}router_settings:\n  fallbacks: [{{a: [b]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let mut s = RequestSpec::new(r.resolve("a"), 100);
    s.disable_fallbacks = true;
    let life = drive_spec(&mut r, &mut g, s, Time::ZERO, &mut |id| {
        if id == "a-0" {
            fail(ErrorClass::InternalServer)
        } else {
            ok()
        }
    });
    assert!(ids(&life).iter().all(|d| *d == "a-0"));
    assert_eq!(failed_class(&life), ErrorClass::InternalServer);
}

#[test]
fn an_unknown_model_moves_to_default_fallbacks() {
    let config = format!(
        "model_list:\n{}router_settings:\n  default_fallbacks: [b]\n",
        group_of(1, "b", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "nope", Time::ZERO, &mut |_| ok());
    assert_eq!(ids(&life), ["b-0"]);
}

#[test]
fn order_tiers_try_the_next_tier_as_a_fallback() {
    let config = "model_list:\n  - {model_name: a, litellm_params: {model: openai/x, order: 1}, model_info: {id: first}}\n  - {model_name: a, litellm_params: {model: openai/y, order: 2}, model_info: {id: second}}\nrouter_settings: {num_retries: 0}\n";
    let mut r = router(config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |id| {
        if id == "first" {
            fail(ErrorClass::InternalServer)
        } else {
            ok()
        }
    });
    assert_eq!(ids(&life), ["first", "second"]);
    match life.result {
        CallResult::Served(s) => assert_eq!(s.fallbacks, 1, "the next tier counts as a fallback"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn pre_call_checks_turn_an_oversized_prompt_into_a_context_window_fallback() {
    let config = "model_list:\n  - {model_name: small, litellm_params: {model: openai/s}, model_info: {id: s, max_input_tokens: 50}}\n  - {model_name: big, litellm_params: {model: openai/b}, model_info: {id: b, max_input_tokens: 5000}}\nrouter_settings:\n  enable_pre_call_checks: true\n  context_window_fallbacks: [{small: [big]}]\n";
    let mut r = router(config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "small", Time::ZERO, &mut |_| ok());
    assert_eq!(ids(&life), ["b"], "no attempt reaches the small model");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn attempts_stay_within_the_allowance_and_never_reach_a_cooling_deployment(
        sizes in proptest::collection::vec(1usize..4, 1..4),
        num_retries in 0u32..4,
        fail_share in 0.0f64..1.0,
        seed in any::<u64>(),
    ) {
        let mut config = String::from("model_list:\n");
        let names: Vec<String> = (0..sizes.len()).map(|i| format!("g{i}")).collect();
        for (name, n) in names.iter().zip(&sizes) {
            config.push_str(&group_of(*n, name, ""));
        }
        let chain: Vec<String> = names.windows(2).map(|w| format!("{{{}: [{}]}}", w[0], w[1])).collect();
        config.push_str(&format!("router_settings:\n  num_retries: {num_retries}\n  fallbacks: [{}]\n", chain.join(", ")));
        let mut r = router(&config);
        let mut g = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut coin = Xoshiro256PlusPlus::seed_from_u64(seed ^ 1);
        let classes = [ErrorClass::InternalServer, ErrorClass::RateLimit, ErrorClass::BadRequest, ErrorClass::Timeout];
        let mut now = Time::ZERO;
        for _ in 0..20 {
            let life = drive(&mut r, &mut g, "g0", now, &mut |_| {
                if coin.random::<f64>() < fail_share {
                    fail(classes[coin.random_range(0..classes.len())])
                } else {
                    ok()
                }
            });
            // Each group allows 1 + num_retries attempts; groups are tried once each.
            let bound = sizes.len() as u32 * (1 + num_retries);
            prop_assert!(life.attempts.len() as u32 <= bound, "{} attempts > {bound}", life.attempts.len());
            for w in life.attempts.windows(2) {
                prop_assert!(w[1].at >= w[0].at, "time went backwards");
            }
            prop_assert!(life.end >= now);
            now = life.end;
        }
    }
}

#[test]
fn improvement_prefer_untried_deployment_never_retries_the_same_one_while_another_is_left() {
    let base = format!(
        "model_list:\n{}router_settings: {{num_retries: 2, disable_cooldowns: true}}\n",
        group_of(3, "a", "")
    );
    let with = format!("{base}switchyard_settings: {{prefer_untried_deployment: true}}\n");
    let mut g = rng();
    let mut repeats_default = 0;
    let mut r = router(&base);
    for i in 0..200 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i)),
            &mut |_| fail(ErrorClass::InternalServer),
        );
        let mut seen = ids(&life);
        let n = seen.len();
        seen.sort_unstable();
        seen.dedup();
        repeats_default += n - seen.len();
    }
    assert!(
        repeats_default > 0,
        "LiteLLM may pick a failed deployment again"
    );
    let mut r = router(&with);
    for i in 0..200 {
        let life = drive(
            &mut r,
            &mut g,
            "a",
            Time::from_secs_f64(f64::from(i)),
            &mut |_| fail(ErrorClass::InternalServer),
        );
        let mut seen = ids(&life);
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(
            seen.len(),
            3,
            "three attempts on three different deployments"
        );
    }
}

#[test]
fn improvement_skip_final_wait_ends_a_lone_group_at_its_last_failure() {
    let config = format!(
        "model_list:\n{}switchyard_settings: {{skip_final_wait: true}}\n",
        group_of(1, "a", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::RateLimit)
    });
    assert_eq!(life.attempts.len(), 3);
    assert_eq!(
        life.end - life.attempts[2].at,
        Duration::from_millis(100),
        "no wait after the last attempt"
    );
}

#[test]
fn improvement_cool_lone_deployments_sends_later_requests_straight_to_the_fallback() {
    let config = format!(
        "model_list:\n{}{}router_settings:\n  fallbacks: [{{a: [b]}}]\nswitchyard_settings: {{cool_lone_deployments: true}}\n",
        group_of(1, "a", ""),
        group_of(1, "b", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let answer = &mut |id: &str| {
        if id == "a-0" {
            fail(ErrorClass::RateLimit)
        } else {
            ok()
        }
    };
    let first = drive(&mut r, &mut g, "a", Time::ZERO, answer);
    assert_eq!(first.cooled, ["a-0"]);
    assert_eq!(
        ids(&first),
        ["a-0", "b-0"],
        "the cooled primary has no healthy deployment left to retry"
    );
    let later = drive(&mut r, &mut g, "a", first.end, answer);
    assert_eq!(ids(&later), ["b-0"]);
}

#[test]
fn with_final_error_last_group_the_error_names_the_last_group_and_lists_the_ones_before_it() {
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{a: [b, c]}}]\nswitchyard_settings: {{final_error_last_group: true}}\n",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let mut call = r.start(RequestSpec::new(r.resolve("a"), 10));
    let mut now = Time::ZERO;
    loop {
        match r.next_step(&mut call, now, &mut g) {
            Step::Send {
                attempt,
                deployment,
                ..
            } => {
                let class = match r.table().deployment(deployment).config.id.as_str() {
                    "a-0" => ErrorClass::InternalServer,
                    "b-0" => ErrorClass::RateLimit,
                    _ => ErrorClass::BadGateway,
                };
                r.record(&mut call, attempt, &fail(class), now, &mut g);
            }
            Step::Wait { until } => now = until,
            Step::Pending { .. } => panic!("nothing is in flight between two steps"),
            Step::Finish(_) => break,
        }
    }
    assert_eq!(
        r.failure_message(&call).unwrap(),
        "BadGatewayError (502) from model group c; groups tried before it: a: internal_server, b: rate_limit"
    );
}

#[test]
fn a_request_s_own_fallbacks_replace_the_configured_ones() {
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{a: [b]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let mut s = RequestSpec::new(r.resolve("a"), 10);
    s.fallbacks = Some(vec![r.resolve("c")].into());
    let life = drive_spec(&mut r, &mut g, s, Time::ZERO, &mut |id| {
        if id == "a-0" {
            fail(ErrorClass::InternalServer)
        } else {
            ok()
        }
    });
    assert_eq!(ids(&life), ["a-0", "c-0"]);
}

#[test]
fn pre_call_checks_enforce_rpm_per_minute() {
    let config = "model_list:\n  - {model_name: a, litellm_params: {model: openai/x, rpm: 3}, model_info: {id: x}}\nrouter_settings: {enable_pre_call_checks: true}\n";
    let mut r = router(config);
    let mut g = rng();
    let served: Vec<bool> = (0..5)
        .map(|i| {
            let life = drive(
                &mut r,
                &mut g,
                "a",
                Time::from_secs_f64(f64::from(i)),
                &mut |_| ok(),
            );
            matches!(life.result, CallResult::Served(_))
        })
        .collect();
    assert_eq!(
        served,
        [true, true, true, false, false],
        "exactly rpm requests a minute"
    );
    let next_minute = drive(&mut r, &mut g, "a", Time::from_secs_f64(60.0), &mut |_| {
        ok()
    });
    assert!(matches!(next_minute.result, CallResult::Served(_)));
}

#[test]
fn fallback_targets_already_tried_are_skipped_so_cycles_end() {
    let config = format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{a: [b, c]}}, {{b: [c, a]}}]\n",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    );
    let mut r = router(&config);
    let mut g = rng();
    let life = drive(&mut r, &mut g, "a", Time::ZERO, &mut |_| {
        fail(ErrorClass::InternalServer)
    });
    assert_eq!(ids(&life), ["a-0", "b-0", "c-0"], "c once, a never again");
}
