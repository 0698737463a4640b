//! The decision core: name resolution, the request state machine, and properties of choices.

use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::time::Duration;

use switchyard::router::{
    CallResult, Completion, DeploymentIdx, ErrorClass, Outcome, RequestSpec, Route, Step, Target,
};
use switchyard::time::Time;

use crate::common::router;

const GROUPS: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o}
    model_info: {id: oai}
  - model_name: gpt-4o
    litellm_params: {model: azure/gpt-4o}
    model_info: {id: az}
  - model_name: claude
    litellm_params: {model: anthropic/claude-sonnet-4}
    model_info: {id: claude-1}
  - model_name: "openai/*"
    litellm_params: {model: "openai/*"}
    model_info: {id: oai-wild}
  - model_name: "*"
    litellm_params: {model: "openai/*"}
    model_info: {id: catch-all}
router_settings:
  model_group_alias: {gpt4: gpt-4o}
"#;

fn spec(route: Route) -> RequestSpec {
    RequestSpec::new(route, 100)
}

fn success() -> Outcome {
    Outcome::Success(Completion {
        input_tokens: 100,
        output_tokens: 20,
        latency: Duration::from_millis(300),
        time_to_first_token: Duration::from_millis(100),
    })
}

#[test]
fn names_resolve_through_alias_group_id_and_wildcards() {
    let r = router(GROUPS);
    let t = r.table();
    let group = |n: &str| Route::To(Target::Group(t.group_named(n).unwrap()));
    assert_eq!(r.resolve("gpt-4o"), group("gpt-4o"));
    assert_eq!(r.resolve("gpt4"), group("gpt-4o"), "alias");
    assert_eq!(
        r.resolve("claude-1"),
        Route::To(Target::Deployment(
            t.deployment_with_id("claude-1").unwrap()
        )),
        "a deployment id routes straight to that deployment"
    );
    assert_eq!(
        r.resolve("openai/o3"),
        group("openai/*"),
        "the more specific pattern wins"
    );
    assert_eq!(r.resolve("mistral-large"), group("*"));
    let no_wildcard =
        router("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n");
    assert_eq!(no_wildcard.resolve("nope"), Route::Unknown);
}

#[test]
fn a_request_is_sent_then_finished_by_its_outcome() {
    let mut r = router(GROUPS);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let route = r.resolve("gpt-4o");
    let mut call = r.start(spec(route));
    let now = Time::from_secs_f64(3.0);
    let Step::Send {
        attempt,
        deployment,
        timeout,
    } = r.next_step(&mut call, now, &mut rng)
    else {
        panic!("first step must send");
    };
    assert_eq!(
        timeout,
        Duration::from_secs(6000),
        "the router's default timeout"
    );
    let group = r.table().group(r.table().group_named("gpt-4o").unwrap());
    assert!(group.members.contains(&deployment));
    assert_eq!(r.live().get(deployment).in_flight, 1);
    assert_eq!(
        r.next_step(&mut call, now, &mut rng),
        Step::Pending { attempt },
        "asking again before the outcome sends nothing: the attempt is pending"
    );
    assert_eq!(
        r.live().get(deployment).in_flight,
        1,
        "and dispatches nothing more"
    );
    r.record(
        &mut call,
        attempt,
        &success(),
        Time::from_secs_f64(3.3),
        &mut rng,
    );
    assert_eq!(r.live().get(deployment).in_flight, 0);
    match r.next_step(&mut call, Time::from_secs_f64(3.3), &mut rng) {
        Step::Finish(CallResult::Served(s)) => {
            assert_eq!(s.deployment, deployment);
            assert_eq!((s.attempts, s.retries, s.fallbacks), (1, 0, 0));
        }
        other => panic!("expected a served finish, got {other:?}"),
    }
}

#[test]
fn an_unknown_model_finishes_with_a_400_and_no_attempt() {
    let mut r = router("model_list:\n  - model_name: m\n    litellm_params: {model: openai/m}\n");
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut call = r.start(spec(r.resolve("gpt-5")));
    match r.next_step(&mut call, Time::ZERO, &mut rng) {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.class, ErrorClass::UnknownModel);
            assert_eq!(f.class.status(), 400);
            assert_eq!(f.attempts, 0);
            assert_eq!(f.last_deployment, None);
        }
        other => panic!("expected a failed finish, got {other:?}"),
    }
}

#[test]
fn a_deployment_id_always_reaches_that_deployment() {
    let mut r = router(GROUPS);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let az = r.table().deployment_with_id("az").unwrap();
    for _ in 0..50 {
        let mut call = r.start(spec(r.resolve("az")));
        let Step::Send {
            attempt,
            deployment,
            ..
        } = r.next_step(&mut call, Time::ZERO, &mut rng)
        else {
            panic!("must send");
        };
        assert_eq!(deployment, az);
        r.record(&mut call, attempt, &success(), Time::ZERO, &mut rng);
    }
}

/// A config with one group of deployments with the given weights (None: no `weight` key).
fn weighted_config(weights: &[Option<u32>]) -> String {
    let mut text = String::from("model_list:\n");
    for (i, w) in weights.iter().enumerate() {
        text.push_str(&format!(
            "  - model_name: g\n    litellm_params: {{model: openai/g{}",
            i
        ));
        if let Some(w) = w {
            text.push_str(&format!(", weight: {w}"));
        }
        text.push_str(&format!("}}\n    model_info: {{id: d{i}}}\n"));
    }
    text.push_str("  - model_name: other\n    litellm_params: {model: openai/other}\n    model_info: {id: other}\n");
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn shuffle_never_picks_outside_the_group_nor_a_zero_weight_while_a_positive_one_exists(
        weights in proptest::collection::vec(proptest::option::of(0u32..5), 1..12),
        seed in any::<u64>(),
    ) {
        let mut r = router(&weighted_config(&weights));
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let group = r.table().group_named("g").unwrap();
        let members: Vec<DeploymentIdx> = r.table().group(group).members.clone();
        let any_positive = weights.iter().any(|w| w.is_some_and(|w| w > 0));
        for _ in 0..40 {
            let mut call = r.start(spec(Route::To(Target::Group(group))));
            let Step::Send { attempt, deployment, .. } = r.next_step(&mut call, Time::ZERO, &mut rng) else {
                panic!("a group with members always sends");
            };
            prop_assert!(members.contains(&deployment), "picked {deployment:?} outside the group");
            let w = weights[members.iter().position(|m| *m == deployment).unwrap()];
            if any_positive {
                prop_assert!(w.is_some_and(|w| w > 0), "picked weight {w:?} while a positive weight exists");
            }
            r.record(&mut call, attempt, &success(), Time::ZERO, &mut rng);
        }
    }
}

#[test]
fn resolution_reproduces_litellm_s_observed_precedence() {
    // docs/litellm-compat.md §1 and §4: an alias beats a group of the same name; a group beats
    // a deployment id of the same name; a deployment id beats an alias of the same name.
    let text = r#"
model_list:
  - {model_name: gpt, litellm_params: {model: openai/gpt}, model_info: {id: d-gpt}}
  - {model_name: other, litellm_params: {model: openai/other}, model_info: {id: gpt2}}
  - {model_name: gpt2, litellm_params: {model: openai/gpt2}, model_info: {id: d-gpt2}}
  - {model_name: third, litellm_params: {model: openai/third}, model_info: {id: al}}
router_settings:
  model_group_alias: {gpt: other, al: gpt}
"#;
    let r = router(text);
    let t = r.table();
    let group = |n: &str| Route::To(Target::Group(t.group_named(n).unwrap()));
    assert_eq!(r.resolve("gpt"), group("other"), "alias over group");
    assert_eq!(r.resolve("gpt2"), group("gpt2"), "group over deployment id");
    assert_eq!(
        r.resolve("al"),
        Route::To(Target::Deployment(t.deployment_with_id("al").unwrap())),
        "deployment id over alias"
    );
}

/// Two groups share `openai/gpt-4o`; the weighted one is in the second group.
const SHARED_MODEL: &str = r#"
model_list:
  - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o}, model_info: {id: a}}
  - {model_name: gpt-4o, litellm_params: {model: openai/gpt-4o-2024}, model_info: {id: b}}
  - {model_name: fast, litellm_params: {model: openai/gpt-4o}, model_info: {id: c}}
  - {model_name: other, litellm_params: {model: openai/other}, model_info: {id: d}}
router_settings:
  num_retries: 0
  model_group_alias: {four-o: openai/gpt-4o}
  fallbacks: [{"openai/gpt-4o": ["other"]}]
"#;

/// Sends the call's next attempt and returns the deployment it went to.
fn send(
    r: &mut switchyard::router::Router,
    call: &mut switchyard::router::Call,
    rng: &mut Xoshiro256PlusPlus,
) -> (switchyard::router::AttemptId, DeploymentIdx) {
    match r.next_step(call, Time::ZERO, rng) {
        Step::Send {
            attempt,
            deployment,
            ..
        } => (attempt, deployment),
        other => panic!("expected a send, got {other:?}"),
    }
}

#[test]
fn a_litellm_params_model_names_every_deployment_calling_it_whatever_its_group() {
    // docs/litellm-compat.md §4: LiteLLM's `_get_deployment_by_litellm_model`, tried after
    // groups, ids, aliases and patterns.
    let r = router(SHARED_MODEL);
    let t = r.table();
    let id = |n: &str| t.deployment_with_id(n).unwrap();
    let Route::To(target @ Target::Model(_)) = r.resolve("openai/gpt-4o") else {
        panic!(
            "expected the litellm model, got {:?}",
            r.resolve("openai/gpt-4o")
        );
    };
    assert_eq!(
        t.members(&target),
        [id("a"), id("c")],
        "file order, across groups"
    );
    assert_eq!(r.route_name(Route::To(target)), "openai/gpt-4o");
    assert_eq!(
        r.resolve("four-o"),
        Route::To(target),
        "an alias may name one"
    );
    assert_eq!(
        r.resolve("openai/gpt-4o-2024"),
        Route::To(Target::Model(match r.resolve("openai/gpt-4o-2024") {
            Route::To(Target::Model(m)) => m,
            other => panic!("expected a litellm model, got {other:?}"),
        }))
    );
    assert_eq!(r.resolve("openai/gpt-5"), Route::Unknown);
    // A group of the same name, and a matching pattern, come first.
    assert_eq!(
        router(GROUPS).resolve("openai/gpt-4o"),
        Route::To(Target::Group(
            router(GROUPS).table().group_named("openai/*").unwrap()
        ))
    );
}

#[test]
fn the_strategy_picks_among_a_litellm_model_s_deployments_only() {
    let mut r = router(SHARED_MODEL);
    let route = r.resolve("openai/gpt-4o");
    let t = r.table().clone();
    let mut seen = std::collections::BTreeSet::new();
    for seed in 0..64 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut call = r.start(spec(route));
        let (attempt, deployment) = send(&mut r, &mut call, &mut rng);
        seen.insert(t.deployment(deployment).config.id.clone());
        r.record(&mut call, attempt, &success(), Time::ZERO, &mut rng);
    }
    assert_eq!(seen.into_iter().collect::<Vec<_>>(), ["a", "c"]);
}

#[test]
fn shuffle_weights_count_across_the_groups_of_a_litellm_model() {
    // `c` (group `fast`) has a weight and `a` (group `gpt-4o`) none: LiteLLM's shuffle weighs
    // by `weight` when any candidate has one, so `c` takes every request.
    let text = SHARED_MODEL.replace(
        "model: openai/gpt-4o}, model_info: {id: c}",
        "model: openai/gpt-4o, weight: 3}, model_info: {id: c}",
    );
    let mut r = router(&text);
    let route = r.resolve("openai/gpt-4o");
    let c = r.table().deployment_with_id("c").unwrap();
    for seed in 0..32 {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut call = r.start(spec(route));
        let (attempt, deployment) = send(&mut r, &mut call, &mut rng);
        assert_eq!(deployment, c, "seed {seed}");
        r.record(&mut call, attempt, &success(), Time::ZERO, &mut rng);
    }
}

#[test]
fn a_litellm_model_falls_back_along_the_list_keyed_by_its_own_name() {
    let mut r = router(SHARED_MODEL);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut call = r.start(spec(r.resolve("openai/gpt-4o")));
    let failure = Outcome::Failure(switchyard::router::AttemptFailure {
        class: ErrorClass::InternalServer,
        retry_after: None,
        latency: Duration::from_millis(50),
    });
    let (attempt, first) = send(&mut r, &mut call, &mut rng);
    let table = r.table().clone();
    let ids = |d: DeploymentIdx| table.deployment(d).config.id.clone();
    assert!(["a", "c"].contains(&ids(first).as_str()));
    r.record(&mut call, attempt, &failure, Time::ZERO, &mut rng);
    let (attempt, second) = send(&mut r, &mut call, &mut rng);
    assert_eq!(
        ids(second),
        "d",
        "no retries: the fallback keyed `openai/gpt-4o`"
    );
    r.record(&mut call, attempt, &failure, Time::ZERO, &mut rng);
    match r.next_step(&mut call, Time::ZERO, &mut rng) {
        Step::Finish(CallResult::Failed(f)) => assert_eq!(f.class, ErrorClass::InternalServer),
        other => panic!("expected a failed finish, got {other:?}"),
    }
    let message = r.failure_message(&call).unwrap();
    assert!(
        message.contains("from model group openai/gpt-4o") && message.contains("other: "),
        "{message}"
    );
}

/// The request to `model` (as a client sends it) failing once with a 500, then what follows.
fn after_one_500(text: &str, model: &str) -> (switchyard::router::Router, Step) {
    let mut r = router(text);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let route = r.resolve(model);
    let mut request = spec(route);
    request.specific_deployment = r.routes_as_specific_deployment(model, route);
    let mut call = r.start(request);
    let failure = Outcome::Failure(switchyard::router::AttemptFailure {
        class: ErrorClass::InternalServer,
        retry_after: None,
        latency: Duration::from_millis(50),
    });
    let (attempt, _) = send(&mut r, &mut call, &mut rng);
    r.record(&mut call, attempt, &failure, Time::ZERO, &mut rng);
    let next = r.next_step(&mut call, Time::ZERO, &mut rng);
    (r, next)
}

#[test]
fn a_litellm_model_named_by_itself_keeps_specific_deployment_for_its_fallbacks() {
    // docs/litellm-compat.md §4: LiteLLM's proxy passes `specific_deployment=True` for such a
    // name, and its fallbacks keep it: a group named as a target finds no deployment.
    let r = router(SHARED_MODEL);
    let direct = r.resolve("openai/gpt-4o");
    assert!(r.routes_as_specific_deployment("openai/gpt-4o", direct));
    assert!(
        !r.routes_as_specific_deployment("four-o", r.resolve("four-o")),
        "an alias is a name the router recognises"
    );
    assert!(!r.routes_as_specific_deployment("other", r.resolve("other")));
    // A `*` pattern anywhere in the config sends the name down the pattern path instead.
    let with_pattern = SHARED_MODEL.replace(
        "router_settings:",
        "  - {model_name: \"claude-*\", litellm_params: {model: \"anthropic/*\"}, model_info: {id: p}}\nrouter_settings:",
    );
    let patterned = router(&with_pattern);
    let route = patterned.resolve("openai/gpt-4o");
    assert!(matches!(route, Route::To(Target::Model(_))), "{route:?}");
    assert!(!patterned.routes_as_specific_deployment("openai/gpt-4o", route));
    match after_one_500(&with_pattern, "openai/gpt-4o") {
        (r, Step::Send { deployment, .. }) => {
            assert_eq!(r.table().deployment(deployment).config.id, "d");
        }
        (_, other) => panic!("expected a send to `d`, got {other:?}"),
    }

    match after_one_500(SHARED_MODEL, "openai/gpt-4o").1 {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.class, ErrorClass::InternalServer, "the primary's error");
            assert_eq!(
                f.attempts, 1,
                "the group `other` was looked up as a litellm model"
            );
            assert_eq!(
                f.status(),
                429,
                "the fallback found no deployment: LiteLLM's 429"
            );
        }
        other => panic!("expected a failed finish, got {other:?}"),
    }
    match after_one_500(SHARED_MODEL, "four-o").1 {
        Step::Send { deployment, .. } => {
            let r = router(SHARED_MODEL);
            assert_eq!(
                r.table().deployment(deployment).config.id,
                "d",
                "through an alias the group serves"
            );
        }
        other => panic!("expected a send to `other`, got {other:?}"),
    }
    let to_model = SHARED_MODEL.replace(r#"["other"]"#, r#"["openai/other"]"#);
    match after_one_500(&to_model, "openai/gpt-4o") {
        (r, Step::Send { deployment, .. }) => {
            assert_eq!(
                r.table().deployment(deployment).config.id,
                "d",
                "a litellm model as target serves"
            );
        }
        (_, other) => panic!("expected a send to `d`, got {other:?}"),
    }
    let to_nothing = SHARED_MODEL.replace(r#"["other"]"#, r#"["nope"]"#);
    match after_one_500(&to_nothing, "openai/gpt-4o").1 {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.status(), 429, "no deployments, not an unknown model")
        }
        other => panic!("expected a failed finish, got {other:?}"),
    }
    match after_one_500(&to_nothing, "four-o").1 {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.status(), 500, "an unknown fallback leaves the 500")
        }
        other => panic!("expected a failed finish, got {other:?}"),
    }
}

/// `flaky` falls back to `busy`, a group of two; no retries.
const FLAKY_TO_BUSY: &str = r#"
model_list:
  - {model_name: flaky, litellm_params: {model: openai/flaky}, model_info: {id: flaky-1}}
  - {model_name: busy, litellm_params: {model: openai/busy}, model_info: {id: busy-1}}
  - {model_name: busy, litellm_params: {model: openai/busy}, model_info: {id: busy-2}}
router_settings:
  num_retries: 0
  cooldown_time: 600
  fallbacks: [{flaky: [busy]}]
"#;

/// Sends the call's next attempt and records it failing with `class`.
fn fail_next(
    r: &mut switchyard::router::Router,
    call: &mut switchyard::router::Call,
    class: ErrorClass,
    rng: &mut Xoshiro256PlusPlus,
) {
    let (attempt, _) = send(r, call, rng);
    let failure = Outcome::Failure(switchyard::router::AttemptFailure {
        class,
        retry_after: None,
        latency: Duration::from_millis(50),
    });
    r.record(call, attempt, &failure, Time::ZERO, rng);
}

/// How `call` finished.
fn failed_with(
    r: &mut switchyard::router::Router,
    call: &mut switchyard::router::Call,
    rng: &mut Xoshiro256PlusPlus,
) -> switchyard::router::Failed {
    match r.next_step(call, Time::ZERO, rng) {
        Step::Finish(CallResult::Failed(f)) => f,
        other => panic!("expected a failed finish, got {other:?}"),
    }
}

#[test]
fn a_fallback_out_of_deployments_makes_the_failure_a_429_with_the_primary_s_class() {
    // docs/litellm-compat.md §14: LiteLLM's message ends with the last fallback's "No
    // deployments available", and its proxy answers any such message with 429.
    let mut r = router(FLAKY_TO_BUSY);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    // Without cooldowns the fallback's own 429 leaves the primary's 500; it cools one `busy`
    // deployment (a 429 cools a deployment of a group of two), and a second request the other.
    let mut call = r.start(spec(r.resolve("flaky")));
    fail_next(&mut r, &mut call, ErrorClass::InternalServer, &mut rng);
    fail_next(&mut r, &mut call, ErrorClass::RateLimit, &mut rng);
    let f = failed_with(&mut r, &mut call, &mut rng);
    assert_eq!(
        (f.class, f.out_of_deployments, f.status()),
        (ErrorClass::InternalServer, false, 500)
    );
    let mut call = r.start(spec(r.resolve("busy")));
    fail_next(&mut r, &mut call, ErrorClass::RateLimit, &mut rng);
    // Now the fallback has no deployment left.
    let mut call = r.start(spec(r.resolve("flaky")));
    fail_next(&mut r, &mut call, ErrorClass::InternalServer, &mut rng);
    let f = failed_with(&mut r, &mut call, &mut rng);
    assert_eq!(f.class, ErrorClass::InternalServer, "the primary's error");
    assert!(f.out_of_deployments);
    assert_eq!(f.status(), 429);
}
