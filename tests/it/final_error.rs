//! The error a request ends with when its every group failed (ROUTING.md §6): LiteLLM 1.108.7
//! raises the primary group's, whatever its fallbacks answered; the `final_error_last_group`
//! improvement gives the last group's instead.

use std::time::Duration;

use switchyard::router::{
    AttemptFailure, Call, CallResult, ErrorClass, Outcome, RequestSpec, Router, Step,
};
use switchyard::time::Time;

use crate::common::router;
use crate::driver::*;

/// Groups `a`, `b` (and `c`), one deployment each, `a` falling back to `fallbacks`.
fn chain(fallbacks: &str, improvement: &str) -> String {
    format!(
        "model_list:\n{}{}{}router_settings:\n  num_retries: 0\n  fallbacks: [{{a: [{fallbacks}]}}]\n{improvement}",
        group_of(1, "a", ""),
        group_of(1, "b", ""),
        group_of(1, "c", "")
    )
}

const LAST: &str = "switchyard_settings: {final_error_last_group: true}\n";

/// Runs a request to `a` to its end, each attempt answered by `answer(id)`.
fn run(r: &mut Router, answer: &dyn Fn(&str) -> Outcome) -> Call {
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
                let outcome = answer(&r.table().deployment(deployment).config.id);
                r.record(&mut call, attempt, &outcome, now, &mut g);
            }
            Step::Wait { until } => now = until,
            Step::Pending { .. } => panic!("nothing is in flight between two steps"),
            Step::Finish(_) => return call,
        }
    }
}

fn by_group(id: &str) -> Outcome {
    match id {
        "a-0" => fail(ErrorClass::InternalServer),
        "b-0" => fail(ErrorClass::RateLimit),
        _ => fail(ErrorClass::BadGateway),
    }
}

fn final_class(call: &Call) -> ErrorClass {
    match call.result() {
        Some(CallResult::Failed(f)) => f.class,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn primary_500_and_fallback_429_end_in_the_primary_s_500() {
    let mut r = router(&chain("b", ""));
    let call = run(&mut r, &by_group);
    assert_eq!(final_class(&call), ErrorClass::InternalServer);
    assert_eq!(final_class(&call).status(), 500);
    assert_eq!(
        r.failure_message(&call).unwrap(),
        "InternalServerError (500) from model group a; model group a failed with the error above, fallbacks also failed: b: rate_limit"
    );
    let mut r = router(&chain("b", LAST));
    let call = run(&mut r, &by_group);
    assert_eq!(
        final_class(&call),
        ErrorClass::RateLimit,
        "the improvement: the last group's"
    );
    assert_eq!(
        r.failure_message(&call).unwrap(),
        "RateLimitError (429) from model group b; groups tried before it: a: internal_server"
    );
}

#[test]
fn a_longer_chain_still_ends_in_the_primary_s_error() {
    let mut r = router(&chain("b, c", ""));
    let call = run(&mut r, &by_group);
    assert_eq!(call.group_failures().len(), 3, "a, b and c were all tried");
    assert_eq!(final_class(&call), ErrorClass::InternalServer);
    let mut r = router(&chain("b, c", LAST));
    assert_eq!(final_class(&run(&mut r, &by_group)), ErrorClass::BadGateway);
}

#[test]
fn the_primary_s_retry_after_comes_with_its_error() {
    let mut r = router(&chain("b", ""));
    let call = run(&mut r, &|id| {
        if id == "a-0" {
            Outcome::Failure(AttemptFailure {
                class: ErrorClass::RateLimit,
                retry_after: Some(Duration::from_secs(7)),
                latency: Duration::from_millis(100),
            })
        } else {
            fail(ErrorClass::InternalServer)
        }
    });
    match call.result() {
        Some(CallResult::Failed(f)) => {
            assert_eq!(f.class, ErrorClass::RateLimit);
            assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
        }
        other => panic!("{other:?}"),
    }
}
