//! Tag routing (ROUTING.md §8) and budgets (§7) through the router.

use std::time::Duration;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use switchyard::router::{CallResult, ErrorClass, Outcome, RequestSpec, Router, Step};
use switchyard::time::Time;

use crate::common::router;
use crate::driver::{Life, drive_spec, fail, ok};

const ARTICLE_TAGS: &str = r#"
model_list:
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o-mini, tags: ["free"]}
    model_info: {id: free}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o, tags: ["paid"]}
    model_info: {id: paid}
  - model_name: gpt-4o
    litellm_params: {model: openai/gpt-4o-mini, tags: ["default"]}
    model_info: {id: default}
router_settings:
  enable_tag_filtering: true
"#;

fn tagged(r: &Router, model: &str, tags: &[&str]) -> RequestSpec {
    let mut s = RequestSpec::new(r.resolve(model), 100);
    let names: Vec<String> = tags.iter().map(|t| t.to_string()).collect();
    s.tags = r.request_tags(&names);
    s
}

fn rng() -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(21)
}

fn served_by(life: &Life) -> &str {
    match life.result {
        CallResult::Served(_) => &life.attempts.last().unwrap().deployment,
        _ => panic!("not served: {:?}", life.result),
    }
}

#[test]
fn the_articles_free_paid_and_default_tags() {
    let mut r = router(ARTICLE_TAGS);
    let mut g = rng();
    for i in 0..30 {
        let t = Time::from_secs_f64(f64::from(i));
        let s = tagged(&r, "gpt-4o", &["free"]);
        assert_eq!(
            served_by(&drive_spec(&mut r, &mut g, s, t, &mut |_| ok())),
            "free"
        );
        let s = tagged(&r, "gpt-4o", &["paid"]);
        assert_eq!(
            served_by(&drive_spec(&mut r, &mut g, s, t, &mut |_| ok())),
            "paid"
        );
        let s = tagged(&r, "gpt-4o", &[]);
        assert_eq!(
            served_by(&drive_spec(&mut r, &mut g, s, t, &mut |_| ok())),
            "default",
            "untagged"
        );
        let s = tagged(&r, "gpt-4o", &["vip"]);
        assert_eq!(
            served_by(&drive_spec(&mut r, &mut g, s, t, &mut |_| ok())),
            "default",
            "an unknown tag falls to default"
        );
    }
}

#[test]
fn a_tag_nobody_has_without_a_default_is_refused_naming_model_and_tags() {
    let text = ARTICLE_TAGS.replace("tags: [\"default\"]", "tags: [\"other\"]");
    let mut r = router(&text);
    let mut g = rng();
    let spec = tagged(&r, "gpt-4o", &["vip"]);
    let mut call = r.start(spec);
    match r.next_step(&mut call, Time::ZERO, &mut g) {
        Step::Finish(CallResult::Failed(f)) => {
            assert_eq!(f.class, ErrorClass::TagsNotAllowed);
            // LiteLLM's Router raises a bare ValueError; its proxy answers it 401.
            assert_eq!(f.class.status(), 401);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(call.attempts(), 0);
    assert_eq!(
        r.failure_message(&call).unwrap(),
        "ValueError (401) from model group gpt-4o: not allowed to access model due to tags configuration (request tags: [vip])"
    );
    // With tag filtering off, tags are ignored.
    let off = text.replace("enable_tag_filtering: true", "enable_tag_filtering: false");
    let mut r = router(&off);
    let spec = tagged(&r, "gpt-4o", &["vip"]);
    assert!(matches!(
        drive_spec(&mut r, &mut g, spec, Time::ZERO, &mut |_| ok()).result,
        CallResult::Served(_)
    ));
}

#[test]
fn match_any_and_match_all_through_the_router() {
    let text = r#"
model_list:
  - {model_name: m, litellm_params: {model: openai/a, tags: [teamA, teamB]}, model_info: {id: ab}}
router_settings: {enable_tag_filtering: true}
"#;
    let mut r = router(text);
    let mut g = rng();
    let s = tagged(&r, "m", &["teamA", "teamC"]);
    assert_eq!(
        served_by(&drive_spec(&mut r, &mut g, s, Time::ZERO, &mut |_| ok())),
        "ab"
    );
    let s = tagged(&r, "m", &["teamC"]);
    assert!(
        matches!(drive_spec(&mut r, &mut g, s, Time::ZERO, &mut |_| ok()).result, CallResult::Failed(f) if f.class == ErrorClass::TagsNotAllowed)
    );
    let mut all = router(&text.replace(
        "{enable_tag_filtering: true}",
        "{enable_tag_filtering: true, tag_filtering_match_any: false}",
    ));
    let s = tagged(&all, "m", &["teamA", "teamC"]);
    assert!(
        matches!(
            drive_spec(&mut all, &mut g, s, Time::ZERO, &mut |_| ok()).result,
            CallResult::Failed(_)
        ),
        "match-all needs teamC"
    );
    let s = tagged(&all, "m", &["teamA", "teamB"]);
    assert_eq!(
        served_by(&drive_spec(&mut all, &mut g, s, Time::ZERO, &mut |_| ok())),
        "ab"
    );
}

/// Two providers; the driver's answers use 10 input and 10 output tokens at $0.001 each:
/// $0.02 a request.
fn budget_config(extra: &str) -> String {
    format!(
        r#"
model_list:
  - {{model_name: m, litellm_params: {{model: openai/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001}}, model_info: {{id: oa}}}}
  - {{model_name: m, litellm_params: {{model: azure/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001}}, model_info: {{id: az}}}}
  - {{model_name: backup, litellm_params: {{model: anthropic/b}}, model_info: {{id: backup}}}}
router_settings:
  num_retries: 0
{extra}"#
    )
}

fn plain(r: &Router) -> RequestSpec {
    RequestSpec::new(r.resolve("m"), 100)
}

#[test]
fn a_provider_over_its_budget_stops_receiving_traffic() {
    let mut r = router(&budget_config(
        "  provider_budget_config: {openai: {budget_limit: 0.5, time_period: 1d}}\n",
    ));
    let mut g = rng();
    let mut openai = 0;
    for i in 0..200 {
        let s = plain(&r);
        let life = drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
        if served_by(&life) == "oa" {
            openai += 1;
        }
    }
    assert_eq!(
        openai, 25,
        "$0.02 a request: the 25th reaches $0.50, then azure serves"
    );
}

#[test]
fn everything_over_budget_is_the_crossed_budget_error_and_fallbacks_take_over() {
    let extra = "  provider_budget_config: {openai: {budget_limit: 0.04, time_period: 1h}, azure: {budget_limit: 0.04, time_period: 1h}}\n  fallbacks: [{m: [backup]}]\n";
    let mut r = router(&budget_config(extra));
    let mut g = rng();
    let mut served = Vec::new();
    for i in 0..8 {
        let s = plain(&r);
        let life = drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
        served.push(served_by(&life).to_string());
    }
    assert_eq!(
        served.iter().filter(|s| *s == "backup").count(),
        4,
        "{served:?}"
    );
    // Without a fallback the request fails with the crossed-budget error.
    let mut r = router(&budget_config(
        "  provider_budget_config: {openai: {budget_limit: 0.02, time_period: 1h}, azure: {budget_limit: 0.02, time_period: 1h}}\n",
    ));
    for i in 0..2 {
        let s = plain(&r);
        drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
    }
    let s = plain(&r);
    let life = drive_spec(&mut r, &mut g, s, Time::from_secs_f64(5.0), &mut |_| ok());
    assert!(life.attempts.is_empty());
    assert!(matches!(life.result, CallResult::Failed(f) if f.class == ErrorClass::BudgetExceeded));
    // LiteLLM's proxy answers "No deployments available - crossed budget" with 429.
    assert!(matches!(life.result, CallResult::Failed(f) if f.status() == 429));
}

#[test]
fn a_budget_window_resets_after_its_period() {
    let mut r = router(&budget_config(
        "  provider_budget_config: {openai: {budget_limit: 0.02, time_period: 10m}, azure: {budget_limit: 0.02, time_period: 10m}}\n",
    ));
    let mut g = rng();
    for i in 0..2 {
        let s = plain(&r);
        drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
    }
    let s = plain(&r);
    assert!(
        drive_spec(&mut r, &mut g, s, Time::from_secs_f64(599.0), &mut |_| ok())
            .attempts
            .is_empty()
    );
    let s = plain(&r);
    let life = drive_spec(&mut r, &mut g, s, Time::from_secs_f64(601.5), &mut |_| ok());
    assert!(
        matches!(life.result, CallResult::Served(_)),
        "ten minutes after the first spend the window is over"
    );
    let resets: Vec<u32> = r
        .budgets()
        .map(|(_, b)| b.opened().saturating_sub(1))
        .collect();
    assert_eq!(resets.iter().sum::<u32>(), 1);
}

#[test]
fn deployment_budgets_exclude_just_that_deployment_and_failures_cost_nothing() {
    let text = budget_config("").replace(
        "input_cost_per_token: 0.001, output_cost_per_token: 0.001}}, model_info: {{id: oa}}",
        "input_cost_per_token: 0.001, output_cost_per_token: 0.001, max_budget: 0.06, budget_duration: 1d}, model_info: {id: oa}",
    );
    let text = text.replace("{model_name: m, litellm_params: {model: openai/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001}, model_info: {id: oa}}", "{model_name: m, litellm_params: {model: openai/a, input_cost_per_token: 0.001, output_cost_per_token: 0.001, max_budget: 0.06, budget_duration: 1d}, model_info: {id: oa}}");
    let mut r = router(&text);
    let mut g = rng();
    // Failures are not charged.
    for i in 0..50 {
        let s = plain(&r);
        drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| fail(ErrorClass::BadRequest),
        );
    }
    let (_, first) = r.budgets().next().expect("a budget");
    assert_eq!(first.spent(Time::from_secs_f64(50.0)), 0.0);
    let mut oa = 0;
    for i in 100..300 {
        let s = plain(&r);
        if served_by(&drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        )) == "oa"
        {
            oa += 1;
        }
    }
    assert_eq!(oa, 3);
}

#[test]
fn a_tag_over_budget_blocks_requests_with_that_tag_and_no_others() {
    let text = format!(
        "{}litellm_settings:\n  tag_budget_config:\n    product:chat-bot: {{max_budget: 0.06, budget_duration: 1d}}\n",
        budget_config("")
    );
    let mut r = router(&text);
    let mut g = rng();
    let mut outcomes = Vec::new();
    for i in 0..6 {
        let s = tagged(&r, "m", &["product:chat-bot"]);
        let life = drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
        outcomes.push(matches!(life.result, CallResult::Served(_)));
    }
    assert_eq!(outcomes, [true, true, true, false, false, false]);
    let s = tagged(&r, "m", &["product:internal-tool"]);
    assert!(matches!(
        drive_spec(&mut r, &mut g, s, Time::from_secs_f64(10.0), &mut |_| ok()).result,
        CallResult::Served(_)
    ));
    let s = plain(&r);
    assert!(matches!(
        drive_spec(&mut r, &mut g, s, Time::from_secs_f64(10.0), &mut |_| ok()).result,
        CallResult::Served(_)
    ));
    let _ = (Duration::ZERO, Outcome::Failure);
}

#[test]
fn explanations_say_which_budget_excluded_a_deployment() {
    use switchyard::router::{Filtered, TraceEvent, trace::BudgetKind};
    let mut r = router(&budget_config(
        "  provider_budget_config: {openai: {budget_limit: 0.02, time_period: 1h}}\n",
    ));
    let mut g = rng();
    // Spend openai's budget, then trace a request.
    for i in 0..10 {
        let s = plain(&r);
        drive_spec(
            &mut r,
            &mut g,
            s,
            Time::from_secs_f64(f64::from(i)),
            &mut |_| ok(),
        );
    }
    let mut call = r.start(plain(&r));
    let mut trace: Vec<(Time, TraceEvent)> = Vec::new();
    r.next_step_traced(&mut call, Time::from_secs_f64(20.0), &mut g, &mut trace);
    let oa = r.table().deployment_with_id("oa").unwrap();
    assert!(
        trace.iter().any(
            |(_, e)| *e == TraceEvent::Filtered(oa, Filtered::OverBudget(BudgetKind::Provider))
        ),
        "{trace:?}"
    );
}
