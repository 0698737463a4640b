//! Fuzzing the input files: the bundled scenarios and configs, mutated (keys deleted, list
//! items duplicated, values retyped, numbers swapped for extremes, durations made huge or
//! negative, values nested deep), must never make `validate` or a run panic or hang, and a run
//! must refuse whatever `validate` reports as an error.
//!
//! A run's cost is bounded through the library: at most [`MAX_SECONDS`] simulated seconds at
//! [`MAX_RATE`] requests a second, comparative expectations on two seeds. The number of cases
//! is `SWITCHYARD_FUZZ_CASES` (default [`CI_CASES`], a few seconds in a debug build);
//! `scripts/fuzz.sh` runs a longer campaign.

use std::path::{Path, PathBuf};
use std::time::Duration;

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use serde_yaml::Value;
use switchyard::app::check::{evaluate, summarize};
use switchyard::app::runner::{run_scenario, write_pages};
use switchyard::app::validation::{load_runnable, validate_file};
use switchyard::scenario::Scenario;
use switchyard::time::Time;

use crate::common::{env, scenarios_dir};

/// Cases run by `cargo test` (CI).
const CI_CASES: u32 = 500;
/// The longest simulated run of a fuzzed scenario.
const MAX_SECONDS: f64 = 30.0;
/// The highest arrival rate of a fuzzed scenario (requests a second).
const MAX_RATE: f64 = 10.0;
/// How long a case may take before the watchdog names it and stops the process; far above
/// what any bounded case needs, so it only fires on a hang.
const WATCHDOG: Duration = Duration::from_secs(300);

/// The files mutated: every bundled scenario and the example LiteLLM configs.
fn seeds() -> Vec<(String, Value)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(scenarios_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.push(root.join("examples/live/article.yaml"));
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).unwrap();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, serde_yaml::from_str(&text).unwrap())
        })
        .collect()
}

/// One step from a node to a child.
#[derive(Debug, Clone)]
enum Step {
    Key(Value),
    Item(usize),
}

/// The path of every node under `v` (the root's is empty), and whether it is a scalar.
fn paths(v: &Value, here: &mut Vec<Step>, out: &mut Vec<(Vec<Step>, bool)>) {
    out.push((here.clone(), !v.is_mapping() && !v.is_sequence()));
    match v {
        Value::Mapping(m) => {
            for (k, child) in m {
                here.push(Step::Key(k.clone()));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Sequence(s) => {
            for (i, child) in s.iter().enumerate() {
                here.push(Step::Item(i));
                paths(child, here, out);
                here.pop();
            }
        }
        Value::Tagged(t) => paths(&t.value, here, out),
        _ => {}
    }
}

fn node_mut<'v>(mut v: &'v mut Value, path: &[Step]) -> Option<&'v mut Value> {
    for step in path {
        v = match (step, v) {
            (Step::Key(k), Value::Mapping(m)) => m.get_mut(k)?,
            (Step::Item(i), Value::Sequence(s)) => s.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(v)
}

/// What a mutation does to the node it lands on.
#[derive(Debug, Clone)]
enum Mutation {
    /// Remove it from its mapping or list.
    Delete,
    /// Repeat it in its list (or, in a mapping, under a new key).
    Duplicate,
    /// Replace it by a value of another type (or an extreme of its own).
    Replace(Value),
    /// Wrap it in this many lists.
    Nest(usize),
    /// Multiply a number by this (a milder change, which often stays valid).
    Scale(f64),
    /// Replace a scalar (a number, a duration, a name) by this extreme.
    Leaf(Value),
}

fn extreme() -> impl Strategy<Value = Value> {
    let numbers = prop::sample::select(vec![
        0.0,
        -1.0,
        1e308,
        -1e308,
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        1e-308,
        0.5,
        9.007_199_254_740_993e15,
        1.8446744073709552e19,
    ])
    .prop_map(Value::from);
    let integers = prop::sample::select(vec![0i64, -1, 1, 2, i64::MAX, i64::MIN, 4_294_967_296])
        .prop_map(Value::from);
    let texts = prop::sample::select(vec![
        "",
        "..",
        "0s",
        "-1s",
        "1e308s",
        "100000000000h",
        "NaN ms",
        "1ns",
        "10000000/s",
        "0/s",
        "-5/s",
        "1e-300/s",
        "1e308/s",
        "os.environ/SWITCHYARD_UNSET",
        "../../etc/passwd",
        "nothing",
        "gpt-4o",
        "x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x x",
    ])
    .prop_map(Value::from);
    let shapes = prop::sample::select(vec![
        Value::Null,
        Value::Bool(true),
        Value::Sequence(vec![]),
        Value::Mapping(Default::default()),
    ]);
    prop_oneof![numbers, integers, texts, shapes]
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        2 => Just(Mutation::Delete),
        1 => Just(Mutation::Duplicate),
        6 => extreme().prop_map(Mutation::Replace),
        1 => (1usize..40).prop_map(Mutation::Nest),
        6 => prop::sample::select(vec![0.0, 0.1, 0.5, 2.0, 10.0, 1000.0]).prop_map(Mutation::Scale),
        8 => extreme().prop_map(Mutation::Leaf),
    ]
}

/// Applies `m` at the node `at` picks among `doc`'s nodes.
fn mutate(doc: &mut Value, at: Index, m: &Mutation) {
    let mut all = Vec::new();
    paths(doc, &mut Vec::new(), &mut all);
    if matches!(m, Mutation::Leaf(_) | Mutation::Scale(_)) {
        all.retain(|(_, scalar)| *scalar);
        if all.is_empty() {
            return;
        }
    }
    let path = &all[at.index(all.len())].0;
    let Some((last, parent_path)) = path.split_last() else {
        if let Mutation::Replace(v) = m {
            *doc = v.clone();
        }
        return;
    };
    let Some(parent) = node_mut(doc, parent_path) else {
        return;
    };
    match (m, parent, last) {
        (Mutation::Delete, Value::Mapping(map), Step::Key(k)) => {
            map.remove(k);
        }
        (Mutation::Delete, Value::Sequence(s), Step::Item(i)) => {
            s.remove(*i);
        }
        (Mutation::Duplicate, Value::Sequence(s), Step::Item(i)) => {
            let copy = s[*i].clone();
            s.insert(*i, copy);
        }
        (Mutation::Duplicate, Value::Mapping(map), Step::Key(k)) => {
            let copy = map.get(k).cloned().unwrap_or_default();
            let key = format!("{}_", k.as_str().unwrap_or("key"));
            map.insert(Value::from(key), copy);
        }
        (Mutation::Replace(v) | Mutation::Leaf(v), parent, _) => {
            if let Some(node) = node_mut(parent, std::slice::from_ref(last)) {
                *node = v.clone();
            }
        }
        (Mutation::Scale(factor), parent, _) => {
            if let Some(node) = node_mut(parent, std::slice::from_ref(last))
                && let Some(x) = node.as_f64()
            {
                *node = if node.is_f64() {
                    Value::from(x * factor)
                } else {
                    Value::from((x * factor).round() as i64)
                };
            }
        }
        (Mutation::Nest(depth), parent, _) => {
            if let Some(node) = node_mut(parent, std::slice::from_ref(last)) {
                for _ in 0..*depth {
                    *node = Value::Sequence(vec![node.clone()]);
                }
            }
        }
        _ => {}
    }
}

/// Bounds what a run of `scenario` may cost: its length, its arrival rate, its seeds.
fn bounded(mut scenario: Scenario) -> Scenario {
    scenario.duration = scenario.duration.min(Duration::from_secs_f64(MAX_SECONDS));
    let w = &mut scenario.workload;
    w.rate = w.rate.min(MAX_RATE);
    for change in &mut w.rate_changes {
        change.rate = change.rate.min(MAX_RATE);
        change.at = change.at.min(Time::from_secs_f64(MAX_SECONDS));
    }
    for c in &mut scenario.expect.comparative {
        c.seeds = 2;
    }
    scenario
}

/// One case: validate and load the mutated file; when it is runnable, run it (bounded), check
/// its expectations and, for every `report_every`th case, write its report.
fn case(dir: &Path, doc: &Value, write_report: bool) -> Result<(), TestCaseError> {
    let text = serde_yaml::to_string(doc).unwrap();
    let path = dir.join("case.yaml");
    std::fs::write(&path, &text).unwrap();
    let validated = validate_file(&path, &env());
    let runnable = load_runnable(&path, &env());
    let refused_by_validate = match &validated {
        Ok(v) => v.errors() > 0 || !v.is_scenario,
        Err(_) => true,
    };
    prop_assert_eq!(
        runnable.is_err(),
        refused_by_validate,
        "run refuses exactly what validate reports as an error:\n{}\nvalidate: {:?}",
        text,
        validated.map(|v| v.findings)
    );
    let Ok(scenario) = runnable else {
        return Ok(());
    };
    RAN.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let scenario = bounded(scenario);
    let summary = summarize(&scenario).map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    evaluate(&scenario, &summary).map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    if write_report {
        let out = dir.join("report");
        let policies: Vec<_> = scenario.policies.iter().collect();
        let output = run_scenario(&scenario, &policies, scenario.seed, &out)
            .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
        write_pages(&scenario, &output, None, &out)
            .map_err(|e| TestCaseError::fail(format!("{e:#}")))?;
    }
    Ok(())
}

/// Cases that were runnable (and ran), for the closing line.
static RAN: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);

/// A watchdog for one case: if the case is still running after [`WATCHDOG`], it prints the
/// input and aborts, so a hang fails loudly and names its input instead of stalling CI.
struct Watchdog(std::sync::mpsc::Sender<()>);

impl Watchdog {
    #[allow(
        clippy::disallowed_methods,
        reason = "the test harness watches for a hang from outside the code under test"
    )]
    fn start(input: String) -> Watchdog {
        let (done, wait) = std::sync::mpsc::channel::<()>();
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(WATCHDOG) {
                eprintln!("fuzz case hung (over {WATCHDOG:?}); its input:\n{input}");
                std::process::abort();
            }
        });
        Watchdog(done)
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        let _ = self.0.send(());
    }
}

#[test]
fn mutated_inputs_never_panic_hang_or_run_what_validate_refuses() {
    let cases = std::env::var("SWITCHYARD_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(CI_CASES);
    let dir = tempfile::tempdir().unwrap();
    // The bundled scenarios name files beside them.
    std::fs::copy(
        scenarios_dir().join("router.json"),
        dir.path().join("router.json"),
    )
    .unwrap();
    let seeds = seeds();
    let strategy = (
        any::<Index>(),
        prop::collection::vec((any::<Index>(), mutation()), 1..3),
        0u32..8,
    );
    // A fixed seed: CI is deterministic; `scripts/fuzz.sh` varies it with PROPTEST_RNG_SEED.
    let seed: u64 = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0x5EED);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            cases,
            failure_persistence: None,
            ..Config::default()
        },
        proptest::test_runner::TestRng::from_seed(
            proptest::test_runner::RngAlgorithm::ChaCha,
            &seed_bytes,
        ),
    );
    let result = runner.run(&strategy, |(file, mutations, report)| {
        let (name, original) = &seeds[file.index(seeds.len())];
        let mut doc = original.clone();
        for (at, m) in &mutations {
            mutate(&mut doc, *at, m);
        }
        let _watchdog = Watchdog::start(format!("{name} with {mutations:?}"));
        case(dir.path(), &doc, report == 0)
    });
    if let Err(e) = result {
        panic!("{e}");
    }
    let ran = RAN.load(std::sync::atomic::Ordering::Relaxed);
    eprintln!("fuzz: {cases} cases, {ran} runnable and run");
}
