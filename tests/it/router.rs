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
