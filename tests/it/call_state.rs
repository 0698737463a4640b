//! The request state machine's guarantees to a driver: asking twice never sends twice, and a
//! late or repeated outcome changes nothing (router, call and random stream alike), and a call
//! restarted in place for a new request is the call `start` gives.

use std::time::Duration;

use proptest::prelude::*;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::router::{
    AttemptFailure, AttemptId, Call, Completion, ErrorClass, Outcome, Phase, RequestSpec, Router,
    Step,
};
use switchyard::time::Time;

use crate::common::router;

const CONFIG: &str = "\
model_list:
  - {model_name: a, litellm_params: {model: openai/a0}, model_info: {id: a0}}
  - {model_name: a, litellm_params: {model: openai/a1}, model_info: {id: a1}}
  - {model_name: a, litellm_params: {model: openai/a2}, model_info: {id: a2}}
  - {model_name: b, litellm_params: {model: openai/b0}, model_info: {id: b0}}
router_settings:
  num_retries: 2
  allowed_fails: 1
  fallbacks: [{a: [b]}]
";

fn outcome(kind: u8) -> Outcome {
    let class = match kind % 6 {
        0 | 1 => {
            return Outcome::Success(Completion {
                input_tokens: 10,
                output_tokens: 10,
                latency: Duration::from_millis(100),
                time_to_first_token: Duration::from_millis(50),
            });
        }
        2 => ErrorClass::InternalServer,
        3 => ErrorClass::RateLimit,
        4 => ErrorClass::Timeout,
        _ => ErrorClass::BadRequest,
    };
    Outcome::Failure(AttemptFailure {
        class,
        retry_after: None,
        latency: Duration::from_millis(100),
    })
}

/// Everything a stale outcome must leave alone.
fn snapshot(r: &Router, call: &Call, rng: &Xoshiro256PlusPlus) -> String {
    format!("{r:?}\n{call:?}\n{rng:?}")
}

/// Records `outcome` for `attempt`, asserting it is ignored and changes nothing.
fn assert_stale(
    r: &mut Router,
    call: &mut Call,
    attempt: AttemptId,
    kind: u8,
    now: Time,
    rng: &mut Xoshiro256PlusPlus,
) -> Result<(), TestCaseError> {
    let before = snapshot(r, call, rng);
    let recorded = r.record(call, attempt, &outcome(kind), now, rng);
    prop_assert!(recorded.stale, "attempt {attempt:?} was taken as current");
    prop_assert_eq!(recorded.cooldown, None);
    prop_assert_eq!(
        before,
        snapshot(r, call, rng),
        "a stale outcome changed state"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn a_driver_that_asks_twice_never_gets_two_sends_and_stale_outcomes_change_nothing(
        seed in any::<u64>(),
        plan in proptest::collection::vec((any::<u8>(), 0u8..3, any::<bool>()), 1..40),
    ) {
        let mut r = router(CONFIG);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut now = Time::ZERO;
        let mut sent: Vec<AttemptId> = Vec::new();
        for (request, (kind, asks, late)) in plan.into_iter().enumerate() {
            let mut call = r.start(RequestSpec::new(r.resolve("a"), 10));
            for _ in 0..100 {
                match r.next_step(&mut call, now, &mut rng) {
                    Step::Send { attempt, deployment, .. } => {
                        prop_assert!(!sent.contains(&attempt), "attempt id {attempt:?} reused");
                        sent.push(attempt);
                        let in_flight = r.live().get(deployment).in_flight;
                        for _ in 0..asks {
                            prop_assert_eq!(
                                r.next_step(&mut call, now, &mut rng),
                                Step::Pending { attempt },
                                "asked again while attempt {:?} is out", attempt
                            );
                        }
                        prop_assert_eq!(r.live().get(deployment).in_flight, in_flight);
                        prop_assert_eq!(call.phase(), Phase::InFlight { attempt, deployment });
                        if late && sent.len() > 1 {
                            // An earlier attempt's answer arriving now (after a timeout, say).
                            assert_stale(&mut r, &mut call, sent[0], kind, now, &mut rng)?;
                        }
                        // An id no attempt has had yet.
                        assert_stale(&mut r, &mut call, AttemptId(u64::MAX), kind, now, &mut rng)?;
                        now = now + Duration::from_millis(100);
                        let kind = kind.wrapping_add(request as u8).wrapping_add(sent.len() as u8);
                        let recorded = r.record(&mut call, attempt, &outcome(kind), now, &mut rng);
                        prop_assert!(!recorded.stale);
                        // The same outcome reported twice is the second time stale.
                        assert_stale(&mut r, &mut call, attempt, kind, now, &mut rng)?;
                    }
                    Step::Pending { attempt } => {
                        prop_assert!(false, "pending {attempt:?} with nothing sent");
                    }
                    Step::Wait { until } => {
                        prop_assert!(until > now, "a wait must move time forward");
                        assert_stale(&mut r, &mut call, *sent.last().unwrap(), kind, now, &mut rng)?;
                        now = until;
                    }
                    Step::Finish(result) => {
                        prop_assert_eq!(call.result(), Some(&result));
                        prop_assert_eq!(result.attempts(), call.attempts());
                        if let Some(last) = sent.last() {
                            assert_stale(&mut r, &mut call, *last, kind, now, &mut rng)?;
                        }
                        prop_assert_eq!(
                            r.next_step(&mut call, now, &mut rng),
                            Step::Finish(result),
                            "a finished call stays finished"
                        );
                        break;
                    }
                }
            }
            prop_assert!(call.result().is_some(), "request {request} never finished");
            let next = RequestSpec::new(r.resolve("b"), 20 + request as u32);
            if request % 2 == 1 {
                // The next request differs from the last in its route and prompt tokens only.
                call.restart_with(|spec| {
                    spec.route = next.route;
                    spec.input_tokens = next.input_tokens;
                });
            } else {
                call.restart(next.clone());
            }
            prop_assert_eq!(&call, &r.start(next), "a restarted call is a new call");
            now = now + Duration::from_secs(1);
        }
        for d in r.table().deployments().iter().enumerate() {
            let idx = switchyard::router::DeploymentIdx(d.0 as u32);
            prop_assert_eq!(r.live().get(idx).in_flight, 0, "an attempt was left in flight");
        }
    }
}

#[test]
fn asking_before_a_backoff_ends_waits_and_the_wait_ends_in_a_send() {
    let mut r = router(
        "model_list:\n  - {model_name: a, litellm_params: {model: openai/a0}, model_info: {id: a0}}\n",
    );
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2);
    let mut call = r.start(RequestSpec::new(r.resolve("a"), 10));
    let Step::Send { attempt, .. } = r.next_step(&mut call, Time::ZERO, &mut rng) else {
        panic!("first step sends");
    };
    let failed = outcome(2);
    let at = Time::from_secs_f64(0.1);
    r.record(&mut call, attempt, &failed, at, &mut rng);
    let Step::Wait { until } = r.next_step(&mut call, at, &mut rng) else {
        panic!("a lone deployment backs off");
    };
    assert_eq!(call.phase(), Phase::Backoff { until });
    let halfway = Time::from_nanos((at.as_nanos() + until.as_nanos()) / 2);
    assert_eq!(
        r.next_step(&mut call, halfway, &mut rng),
        Step::Wait { until },
        "asking early changes nothing"
    );
    let Step::Send {
        attempt: second, ..
    } = r.next_step(&mut call, until, &mut rng)
    else {
        panic!("the retry is sent when the wait ends");
    };
    assert_ne!(second, attempt, "every attempt has its own id");
}
