//! The conformance suite: every situation of `tests/conformance/situations/` replayed through
//! Switchyard's router and compared with what LiteLLM 1.108.7 did in it
//! (`tests/conformance/expected/`, written by `tests/conformance/litellm_side.py`).
//!
//! It decides whether Switchyard and LiteLLM agree, situation by situation: attempt sequences,
//! each attempt's outcome, the waits (within LiteLLM's jitter), the final result, retries and
//! fallbacks, the deployments cooling after each request, and traffic shares within a stated
//! tolerance. Every disagreement must be listed in `tests/conformance/differences.yaml` (and
//! described in `DIFFERENCES.md`), and every listed one must still occur, so the list never goes
//! stale. It needs no Python: the goldens are committed. It must not change what it compares to
//! make a situation pass.

mod closed_loop;
mod compare;
mod differences;
mod record;
mod replay;
mod simulator;
mod situation;

use std::path::{Path, PathBuf};

use compare::Diff;
use differences::Listed;
use situation::Situation;

/// `tests/conformance/`.
fn suite_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// Every situation's name, sorted.
fn situation_names() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(suite_dir().join("situations"))
        .expect("tests/conformance/situations exists")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".yaml").map(str::to_string))
        .collect();
    names.sort();
    names
}

/// The differences between Switchyard's replay of `name` and LiteLLM's golden.
fn differences_in(name: &str) -> Vec<Diff> {
    let situation = Situation::load(&suite_dir(), name);
    let golden = record::Golden::load(&suite_dir(), name);
    let replayed = replay::replay(&situation);
    compare::compare(&situation, &golden, &replayed)
}

#[test]
fn every_situation_agrees_with_litellm_or_its_difference_is_listed() {
    let listed = differences::load(&suite_dir());
    let mut problems = Vec::new();
    for name in situation_names() {
        let found = differences_in(&name);
        problems.extend(differences::unlisted(&name, &found, &listed));
        problems.extend(differences::stale(&name, &found, &listed));
    }
    assert!(
        problems.is_empty(),
        "the conformance suite disagrees with tests/conformance/differences.yaml:\n{}",
        problems.join("\n")
    );
}

#[test]
fn every_situation_has_a_golden_and_every_listed_difference_a_situation_and_a_description() {
    let names = situation_names();
    assert!(
        names.len() >= 20,
        "the suite has {} situations",
        names.len()
    );
    for name in &names {
        let golden = suite_dir().join("expected").join(format!("{name}.json"));
        assert!(
            golden.exists(),
            "{name} has no golden: run litellm_side.py {name}"
        );
    }
    let described = std::fs::read_to_string(suite_dir().join("DIFFERENCES.md")).unwrap();
    for Listed {
        situation,
        difference,
        ..
    } in differences::load(&suite_dir())
    {
        assert!(
            names.contains(&situation),
            "differences.yaml names unknown situation {situation}"
        );
        let entry = format!("`{situation}` — `{difference}`");
        assert!(
            described.contains(&entry),
            "DIFFERENCES.md lacks the entry {entry}"
        );
    }
}

#[test]
fn the_simulator_gives_the_share_situations_litellm_s_shares() {
    let mut checked = 0;
    for name in situation_names() {
        let situation = Situation::load(&suite_dir(), &name);
        if !simulator::qualifies(&situation) {
            continue;
        }
        let golden = record::Golden::load(&suite_dir(), &name);
        let simulated = record::Golden {
            requests: None,
            served_counts: Some(simulator::served_counts(&situation)),
        };
        let found = compare::compare(&situation, &golden, &simulated);
        assert!(found.is_empty(), "{name} through the simulator: {found:?}");
        checked += 1;
    }
    assert!(
        checked >= 4,
        "only {checked} share situations went through the simulator"
    );
}

#[test]
fn a_changed_attempt_sequence_result_or_cooldown_is_a_difference() {
    let situation = Situation::load(&suite_dir(), "cooldown_rate_limit");
    let mut golden = record::Golden::load(&suite_dir(), "cooldown_rate_limit");
    let replayed = replay::replay(&situation);
    assert!(compare::compare(&situation, &golden, &replayed).is_empty());
    let requests = golden.requests.as_mut().unwrap();
    requests[0].attempts.reverse();
    requests[1].result.served_by = Some("a".into());
    requests[2].cooling_after.clear();
    requests[2].waits[0] = 2.0;
    let keys: Vec<String> = compare::compare(&situation, &golden, &replayed)
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(
        keys,
        [
            "request 0: attempts",
            "request 1: result",
            "request 2: wait 0",
            "request 2: cooling_after"
        ]
    );
}

#[test]
fn shares_outside_the_tolerance_are_a_difference() {
    let situation = Situation::load(&suite_dir(), "shares_weight");
    let mut golden = record::Golden::load(&suite_dir(), "shares_weight");
    let replayed = replay::replay(&situation);
    assert!(compare::compare(&situation, &golden, &replayed).is_empty());
    let counts = golden.served_counts.as_mut().unwrap();
    counts.insert("a".into(), 500);
    counts.insert("b".into(), 500);
    let keys: Vec<String> = compare::compare(&situation, &golden, &replayed)
        .into_iter()
        .map(|d| d.key)
        .collect();
    assert_eq!(keys, ["share of a", "share of b"]);
}

#[test]
fn a_listed_difference_that_no_longer_occurs_is_stale_and_an_unlisted_one_is_reported() {
    let listed: Vec<Listed> = serde_yaml::from_str(
        "- {situation: tags, difference: 'request 0: result', status: open, reason: r}",
    )
    .unwrap();
    let found = vec![Diff {
        key: "request 1: attempts".into(),
        detail: "d".into(),
    }];
    let stale = differences::stale("tags", &found, &listed);
    assert_eq!(stale.len(), 1);
    assert!(stale[0].contains("request 0: result"));
    let unlisted = differences::unlisted("tags", &found, &listed);
    assert_eq!(unlisted.len(), 1);
    assert!(unlisted[0].contains("request 1: attempts"));
    assert!(differences::stale("shares_weight", &found, &listed).is_empty());
}
