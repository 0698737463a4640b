//! `--shard I/N` and `merge`: the shards' partial results merged give the very bytes of the
//! single run, for `compare` and for `sweep`; merge refuses shards that do not belong together;
//! the cluster examples name the command and the index variable as the CLI takes them.

use std::path::{Path, PathBuf};

use switchyard::app::compare::{CompareRequest, Compared, compare_to_dir};
use switchyard::app::interrupt::StopFlag;
use switchyard::app::merge::merge;
use switchyard::app::shard::Shard;
use switchyard::app::sweep::{SweepRequest, Swept, sweep_to_dir};
use switchyard::app::validation::load_runnable;

use crate::common::env;
use crate::sweep::{files, small_sweep_file};

/// The sweep scenario's file, its policies compared on 5 seeds (10 jobs: N = 3 divides
/// unevenly).
const SEEDS: [u64; 5] = [3, 4, 5, 6, 7];

fn compare_into(path: &Path, shard: Option<Shard>, out: &Path) -> Compared {
    let s = load_runnable(path, &env()).unwrap();
    let stop = StopFlag::new();
    let request = CompareRequest {
        path,
        seeds: &SEEDS,
        baseline: "litellm-default",
        shard,
        stop: &stop,
        on_run: &|| {},
    };
    compare_to_dir(&s, request, out).unwrap()
}

fn sweep_into(path: &Path, shard: Option<Shard>, out: &Path) -> Swept {
    let s = load_runnable(path, &env()).unwrap();
    let stop = StopFlag::new();
    let request = SweepRequest {
        path,
        seeds: &SEEDS[..3],
        objectives: None,
        shard,
        stop: &stop,
        on_run: &|| {},
    };
    sweep_to_dir(&s, request, out).unwrap()
}

/// Runs every shard of `count` with `run` into `dir`, and returns the partials' paths.
fn shards(count: usize, dir: &Path, run: &dyn Fn(Shard, &Path) -> PathBuf) -> Vec<PathBuf> {
    (0..count)
        .map(|index| run(Shard { index, count }, dir))
        .collect()
}

#[test]
fn sharded_compares_merge_into_the_single_runs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let single = dir.path().join("single");
    assert!(matches!(
        compare_into(&path, None, &single),
        Compared::Report(..)
    ));
    let expected = files(&single);
    assert!(expected.iter().any(|(p, _)| p.ends_with("comparison.json")));
    assert!(
        expected
            .iter()
            .any(|(p, _)| p.ends_with("requests.parquet"))
    );
    for count in 1..=3 {
        let partials = dir.path().join(format!("partials-{count}"));
        shards(
            count,
            &partials,
            &|shard, out| match compare_into(&path, Some(shard), out) {
                Compared::Shard(p) => p,
                Compared::Report(..) => panic!("a shard writes a partial result"),
            },
        );
        let merged = dir.path().join(format!("merged-{count}"));
        merge(&[partials], None, Some(&merged), &env()).unwrap();
        let got = files(&merged);
        assert_eq!(
            got.iter().map(|f| &f.0).collect::<Vec<_>>(),
            expected.iter().map(|f| &f.0).collect::<Vec<_>>()
        );
        for ((name, a), (_, b)) in got.iter().zip(&expected) {
            assert!(a == b, "N = {count}: {} differs", name.display());
        }
    }
}

#[test]
fn sharded_sweeps_merge_into_the_single_runs_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let single = dir.path().join("single");
    sweep_into(&path, None, &single);
    let expected = files(&single);
    assert_eq!(expected.len(), 5);
    for count in 1..=3 {
        let partials = dir.path().join(format!("partials-{count}"));
        let written = shards(count, &partials, &|shard, out| match sweep_into(
            &path,
            Some(shard),
            out,
        ) {
            Swept::Shard(p) => p,
            Swept::Report(_) => panic!("a shard writes a partial result"),
        });
        let merged = dir.path().join(format!("merged-{count}"));
        // Files named one by one, in any order, merge as a directory does.
        let mut named = written.clone();
        named.reverse();
        merge(&named, None, Some(&merged), &env()).unwrap();
        assert!(
            files(&merged) == expected,
            "N = {count}: the merged sweep differs"
        );
    }
}

#[test]
fn merge_refuses_a_missing_shard_a_repeated_one_and_another_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let partials = dir.path().join("p");
    let run = |shard, out: &Path| match sweep_into(&path, Some(shard), out) {
        Swept::Shard(p) => p,
        Swept::Report(_) => panic!("a partial"),
    };
    let written = shards(3, &partials, &run);
    let out = dir.path().join("out");
    let err = |paths: &[PathBuf]| {
        merge(paths, None, Some(&out), &env())
            .unwrap_err()
            .to_string()
    };

    let e = err(&written[..2]);
    assert!(e.contains("missing shards 2/3"), "{e}");
    let e = err(&[written[0].clone(), written[1].clone(), written[1].clone()]);
    assert!(e.contains("shard 1/3 is given twice"), "{e}");

    // A shard of an edited scenario.
    let other_dir = dir.path().join("other");
    std::fs::create_dir_all(&other_dir).unwrap();
    let other = small_sweep_file(&other_dir);
    let text = std::fs::read_to_string(&other)
        .unwrap()
        .replace("seed: 11", "seed: 12");
    std::fs::write(&other, text).unwrap();
    let foreign = match sweep_into(&other, Some(Shard { index: 2, count: 3 }), &other_dir) {
        Swept::Shard(p) => p,
        Swept::Report(_) => panic!("a partial"),
    };
    let e = err(&[written[0].clone(), written[1].clone(), foreign]);
    assert!(e.contains("different scenario files"), "{e}");

    // The scenario edited after the shards ran.
    std::fs::write(&path, std::fs::read_to_string(&other).unwrap()).unwrap();
    let e = err(&written);
    assert!(e.contains("SHA-256 differs"), "{e}");
    assert!(!out.exists(), "nothing written on a refused merge");
}

#[test]
fn the_kubernetes_example_runs_one_shard_per_completion_index() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/cluster");
    let text = std::fs::read_to_string(root.join("sweep-job.yaml")).unwrap();
    let docs: Vec<serde_yaml::Value> = serde_yaml::Deserializer::from_str(&text)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .collect();
    let job = docs
        .iter()
        .find(|d| d["kind"] == "Job" && d["spec"]["completionMode"] == "Indexed")
        .expect("an Indexed Job");
    let completions = job["spec"]["completions"].as_u64().unwrap();
    let container = &job["spec"]["template"]["spec"]["containers"][0];
    let command: Vec<&str> = container["command"]
        .as_sequence()
        .or(container["args"].as_sequence())
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let line = command.join(" ");
    assert!(line.contains("switchyard sweep"), "{line}");
    let shard = format!("--shard \"$JOB_COMPLETION_INDEX/{completions}\"");
    assert!(line.contains(&shard), "{line}");
    // The shard the CLI would parse for the last index is valid, one past it is not.
    let last = format!("{}/{completions}", completions - 1);
    assert!(last.parse::<Shard>().is_ok());
    assert!(
        format!("{completions}/{completions}")
            .parse::<Shard>()
            .is_err()
    );
    // The merge step names the same directory the shards write to.
    let merge_doc = docs
        .iter()
        .find(|d| {
            serde_yaml::to_string(d)
                .unwrap()
                .contains("switchyard merge")
        })
        .expect("a merge step");
    assert!(
        serde_yaml::to_string(merge_doc)
            .unwrap()
            .contains("/shared/partials")
    );
    let slurm = std::fs::read_to_string(root.join("sweep.slurm")).unwrap();
    assert!(slurm.contains("--shard \"$SLURM_ARRAY_TASK_ID/8\"") && slurm.contains("--array=0-7"));
}

#[test]
fn a_stopped_compare_reports_the_policies_whose_every_seed_completed_marked_partial() {
    let dir = tempfile::tempdir().unwrap();
    let path = small_sweep_file(dir.path());
    let s = load_runnable(&path, &env()).unwrap();
    let stop = StopFlag::new();
    // Stop after six runs: the baseline's five seeds and one of `article`'s.
    let on_run = crate::common::stop_at_run(6, &stop);
    let request = |shard| CompareRequest {
        path: &path,
        seeds: &SEEDS,
        baseline: "litellm-default",
        shard,
        stop: &stop,
        on_run: &on_run,
    };
    let pool = crate::common::one_thread();
    let out = dir.path().join("out");
    let Compared::Report(c, _) = pool
        .install(|| compare_to_dir(&s, request(None), &out))
        .unwrap()
    else {
        panic!("a report")
    };
    assert!(c.partial);
    assert_eq!(c.missing, ["article"]);
    assert_eq!(c.policies.len(), 1);
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("comparison.json")).unwrap()).unwrap();
    assert_eq!(json["partial"], true);
    assert_eq!(json["missing"][0], "article");
    let page = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(page.contains("Partial report") && page.contains("article"));
    // A stopped shard writes nothing rather than a partial result merge would take as whole.
    let e = pool
        .install(|| compare_to_dir(&s, request(Some(Shard { index: 0, count: 2 })), &out))
        .unwrap_err();
    assert!(e.to_string().contains("no partial result written"), "{e}");
}
