//! simple-shuffle's traffic shares, tested with a χ² goodness-of-fit test.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use statrs::distribution::{ChiSquared, ContinuousCDF};

use switchyard::router::{Completion, Outcome, RequestSpec, Route, Step, Target};
use switchyard::time::Time;

use crate::common::router;

const DRAWS: usize = 30_000;

/// Counts how often each deployment of group `g` is chosen in `DRAWS` decisions.
fn counts(config: &str, seed: u64) -> Vec<u64> {
    let mut r = router(config);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let group = r.table().group_named("g").unwrap();
    let members = r.table().group(group).members.clone();
    let mut counts = vec![0u64; members.len()];
    let done = Outcome::Success(Completion {
        input_tokens: 1,
        output_tokens: 1,
        latency: Default::default(),
        time_to_first_token: Default::default(),
    });
    for _ in 0..DRAWS {
        let mut call = r.start(RequestSpec::new(Route::To(Target::Group(group)), 10));
        let Step::Send {
            attempt,
            deployment,
            ..
        } = r.next_step(&mut call, Time::ZERO, &mut rng)
        else {
            panic!("must send");
        };
        counts[members.iter().position(|m| *m == deployment).unwrap()] += 1;
        r.record(&mut call, attempt, &done, Time::ZERO, &mut rng);
    }
    counts
}

/// p-value of a χ² goodness-of-fit test of `observed` against `shares` (zero shares must be
/// observed zero times and add no degree of freedom).
fn chi_square_p(observed: &[u64], shares: &[f64]) -> f64 {
    let total: u64 = observed.iter().sum();
    let mut stat = 0.0;
    let mut cells = 0;
    for (&o, &s) in observed.iter().zip(shares) {
        if s == 0.0 {
            assert_eq!(o, 0, "a deployment with share 0 was chosen");
            continue;
        }
        let e = s * total as f64;
        stat += (o as f64 - e).powi(2) / e;
        cells += 1;
    }
    let dist = ChiSquared::new((cells - 1) as f64).unwrap();
    1.0 - dist.cdf(stat)
}

fn group(params: &[&str]) -> String {
    let mut text = String::from("model_list:\n");
    for (i, p) in params.iter().enumerate() {
        text.push_str(&format!(
            "  - model_name: g\n    litellm_params: {{model: openai/m{i}{p}}}\n"
        ));
    }
    text
}

fn assert_shares(config: &str, shares: &[f64]) {
    for seed in [1, 2, 3] {
        let observed = counts(config, seed);
        let p = chi_square_p(&observed, shares);
        assert!(
            p > 0.001,
            "seed {seed}: counts {observed:?} vs shares {shares:?}: p = {p}"
        );
    }
}

#[test]
fn no_weight_field_shares_uniformly() {
    assert_shares(&group(&["", "", ""]), &[1.0 / 3.0; 3]);
}

#[test]
fn weights_nine_and_one_share_ninety_and_ten_percent() {
    assert_shares(&group(&[", weight: 9", ", weight: 1"]), &[0.9, 0.1]);
}

#[test]
fn rpm_weighs_when_no_weight_is_set() {
    assert_shares(&group(&[", rpm: 100", ", rpm: 300"]), &[0.25, 0.75]);
}

#[test]
fn tpm_weighs_when_neither_weight_nor_rpm_is_set() {
    assert_shares(
        &group(&[", tpm: 1000", ", tpm: 1000", ", tpm: 2000"]),
        &[0.25, 0.25, 0.5],
    );
}

#[test]
fn weight_wins_over_rpm_and_a_deployment_without_it_weighs_zero() {
    assert_shares(
        &group(&[", weight: 3, rpm: 1", ", rpm: 1000", ", weight: 1"]),
        &[0.75, 0.0, 0.25],
    );
}

#[test]
fn the_test_can_tell_a_wrong_share() {
    // The χ² test would fail a 50/50 split claimed to be 90/10: the assertions above have teeth.
    let observed = counts(&group(&["", ""]), 1);
    assert!(chi_square_p(&observed, &[0.9, 0.1]) < 1e-6);
}

#[test]
fn rpm_in_model_info_does_not_weigh_but_a_top_level_rpm_does() {
    // LiteLLM 1.108.7: model_info.rpm 900/100 shuffled uniformly (docs/litellm-compat.md §5).
    let info = "model_list:\n  - {model_name: g, litellm_params: {model: openai/a}, model_info: {rpm: 900}}\n  - {model_name: g, litellm_params: {model: openai/b}, model_info: {rpm: 100}}\n";
    assert_shares(info, &[0.5, 0.5]);
    let top = "model_list:\n  - {model_name: g, rpm: 900, litellm_params: {model: openai/a}}\n  - {model_name: g, rpm: 100, litellm_params: {model: openai/b}}\n";
    assert_shares(top, &[0.9, 0.1]);
}
