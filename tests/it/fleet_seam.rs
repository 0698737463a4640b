//! The sync seam between routers of one fleet (issue: several gateway instances): two routers
//! sharing usage, cooldowns and spend through the store's rule (`SharedTotals`), and a router
//! whose write failed sending its amounts again.

use std::time::Duration;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use switchyard::router::sync::{SharedTotals, SyncDelta};
use switchyard::router::{
    AttemptFailure, Completion, ErrorClass, Outcome, RequestSpec, Router, Step,
};
use switchyard::time::Time;

use crate::common::router;

fn at(s: f64) -> Time {
    Time::from_secs_f64(s)
}

/// One sync of `r` through `store` at `now`: take, absorb, apply.
fn sync(r: &mut Router, store: &mut SharedTotals, now: Time) -> SyncDelta {
    let delta = r.take_sync_delta(now);
    store.absorb(&delta, now);
    r.apply_sync_totals(&store.totals(now), now);
    delta
}

/// Sends one request to group `m` at `now` and answers it with `outcome`; the id that was sent
/// to, `None` when the router sent nothing.
fn request(r: &mut Router, now: Time, outcome: &Outcome) -> Option<String> {
    let mut g = Xoshiro256PlusPlus::seed_from_u64(now.as_nanos());
    let mut call = r.start(RequestSpec::new(r.resolve("m"), 100));
    let Step::Send {
        attempt,
        deployment,
        ..
    } = r.next_step(&mut call, now, &mut g)
    else {
        return None;
    };
    r.record(&mut call, attempt, outcome, now, &mut g);
    Some(r.table().deployment(deployment).config.id.clone())
}

fn ok() -> Outcome {
    Outcome::Success(Completion {
        input_tokens: 10,
        output_tokens: 10,
        latency: Duration::from_millis(100),
        time_to_first_token: Duration::from_millis(50),
    })
}

fn rate_limited() -> Outcome {
    Outcome::Failure(AttemptFailure {
        class: ErrorClass::RateLimit,
        retry_after: None,
        latency: Duration::from_millis(10),
    })
}

const RPM_1: &str = "model_list:
  - {model_name: m, litellm_params: {model: openai/a, rpm: 1}, model_info: {id: a}}
router_settings: {routing_strategy: usage-based-routing-v2, num_retries: 0}
";

#[test]
fn usage_one_instance_sent_counts_on_the_other_after_a_sync() {
    let (mut a, mut b) = (router(RPM_1), router(RPM_1));
    let mut store = SharedTotals::default();
    assert_eq!(request(&mut a, at(0.0), &ok()).as_deref(), Some("a"));
    let mut unsynced = router(RPM_1);
    assert_eq!(
        request(&mut unsynced, at(1.0), &ok()).as_deref(),
        Some("a"),
        "without sharing, another instance's minute is empty: it sends again"
    );
    let sent = sync(&mut a, &mut store, at(1.0));
    assert_eq!(sent.usage.len(), 1);
    assert_eq!((sent.usage[0].requests, sent.usage[0].minute), (1, 0));
    sync(&mut b, &mut store, at(1.5));
    assert_eq!(
        request(&mut b, at(2.0), &ok()),
        None,
        "the fleet already sent the minute's one request"
    );
    sync(&mut b, &mut store, at(60.5));
    assert_eq!(
        request(&mut b, at(61.0), &ok()).as_deref(),
        Some("a"),
        "a new minute"
    );
}

const TWO: &str = "model_list:
  - {model_name: m, litellm_params: {model: openai/a}, model_info: {id: a}}
  - {model_name: m, litellm_params: {model: openai/b}, model_info: {id: b}}
router_settings: {num_retries: 0, cooldown_time: 30}
";

#[test]
fn a_cooldown_one_instance_started_cools_the_deployment_on_the_other() {
    let (mut a, mut b) = (router(TWO), router(TWO));
    let mut store = SharedTotals::default();
    let cooled = (0..50)
        .find_map(|i| {
            let now = at(f64::from(i) * 0.01);
            (request(&mut a, now, &rate_limited()).as_deref() == Some("a")).then_some(now)
        })
        .expect("a is picked within 50 requests");
    let a_idx = a.table().deployment_with_id("a").unwrap();
    assert!(a.health(a_idx).is_cooling(at(1.0)), "a 429 cools it here");
    assert!(!b.health(a_idx).is_cooling(at(1.0)), "not yet there");
    let sent = sync(&mut a, &mut store, at(1.0));
    assert_eq!(sent.cooldowns.len(), 1);
    assert!(
        sync(&mut a, &mut store, at(1.1)).cooldowns.is_empty(),
        "the store has it"
    );
    sync(&mut b, &mut store, at(1.2));
    assert!(b.health(a_idx).is_cooling(at(1.2)));
    assert_eq!(
        b.health(a_idx).cooling_until,
        a.health(a_idx).cooling_until,
        "the same deadline on both"
    );
    let end = cooled + Duration::from_secs(30);
    assert!(!b.health(a_idx).is_cooling(end));
    for i in 0..20 {
        assert_eq!(
            request(&mut b, at(2.0 + f64::from(i)), &ok()).as_deref(),
            Some("b"),
            "b serves while a cools fleet-wide"
        );
    }
}

const BUDGET: &str = "model_list:
  - {model_name: m, litellm_params: {model: openai/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001}, model_info: {id: oa}}
  - {model_name: m, litellm_params: {model: azure/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001}, model_info: {id: az}}
router_settings:
  num_retries: 0
  provider_budget_config: {openai: {budget_limit: 0.1, time_period: 1h}}
";

#[test]
fn a_provider_budget_is_spent_fleet_wide_and_a_failed_write_is_sent_again() {
    let (mut a, mut b) = (router(BUDGET), router(BUDGET));
    let mut store = SharedTotals::default();
    let mut spent_on_openai = 0;
    for i in 0..40 {
        if request(&mut a, at(f64::from(i)), &ok()).as_deref() == Some("oa") {
            spent_on_openai += 1;
        }
    }
    assert_eq!(spent_on_openai, 5, "$0.02 a request: 5 reach the $0.10");
    let delta = a.take_sync_delta(at(50.0));
    assert_eq!(delta.spend.len(), 1);
    assert_eq!(delta.spend[0].budget, "provider:openai");
    a.sync_failed();
    let again = sync(&mut a, &mut store, at(51.0));
    assert_eq!(again.spend, delta.spend, "what failed goes again, once");
    sync(&mut b, &mut store, at(52.0));
    for i in 0..20 {
        assert_eq!(
            request(&mut b, at(60.0 + f64::from(i)), &ok()).as_deref(),
            Some("az"),
            "openai's budget is exhausted for the whole fleet"
        );
    }
}

#[test]
fn usage_whose_write_failed_is_given_up_as_litellm_does_unless_told_to_resend_it() {
    let resend = format!("{RPM_1}switchyard_settings: {{resend_unsynced_usage: true}}\n");
    for (config, again) in [(RPM_1.to_string(), false), (resend, true)] {
        let mut r = router(&config);
        assert!(request(&mut r, at(0.0), &ok()).is_some());
        assert_eq!(r.take_sync_delta(at(1.0)).usage.len(), 1);
        r.sync_failed();
        assert_eq!(
            !r.take_sync_delta(at(2.0)).usage.is_empty(),
            again,
            "{config}"
        );
        assert_eq!(
            request(&mut r, at(3.0), &ok()),
            None,
            "it still counts here"
        );
    }
}
