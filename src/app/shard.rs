//! Splitting a multi-run command (`compare`, `sweep`) into shards, and the partial result each
//! shard writes.
//!
//! The job list is (policy or point, seed) in a fixed order — policy slowest — and shard `I/N`
//! (0-based, like Kubernetes' `JOB_COMPLETION_INDEX`) owns jobs `j` with `j % N == I`, so the
//! expensive and cheap points spread evenly. Every job is one simulation; its metric values are
//! kept as the bits of each `f64`, so a merge rebuilds exactly the numbers a single run has.
//! It decides the job order, who owns a job, how a stop is obeyed, and the partial file's
//! shape; it must not assemble reports ([`super::compare`] and [`super::sweep`] do, from the
//! runs).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::interrupt::{StopFlag, StopWhen};
use super::runner::simulate;
use super::sync_sweep::overshoot;
use crate::metrics::{Discard, METRICS};
use crate::scenario::{Policy, Scenario};

/// Shard `index` of `count` (0-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, from 0.
    pub index: usize,
    /// How many shards.
    pub count: usize,
}

impl Shard {
    /// The one shard that owns every job.
    pub const WHOLE: Shard = Shard { index: 0, count: 1 };

    /// Whether job `job` is this shard's.
    pub fn owns(&self, job: usize) -> bool {
        job % self.count == self.index
    }

    /// The partial file's name: `partial-I-of-N.json`.
    pub fn file_name(&self) -> String {
        format!("partial-{}-of-{}.json", self.index, self.count)
    }
}

impl FromStr for Shard {
    type Err = String;

    /// `I/N` with 0 ≤ I < N ≤ 100000.
    fn from_str(text: &str) -> std::result::Result<Shard, String> {
        let bad = || {
            format!(
                "expected I/N with 0 <= I < N (I counts from 0, like Kubernetes' \
                 JOB_COMPLETION_INDEX and a Slurm array --array=0-<N-1>), found {text:?}"
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || count > 100_000 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// What one simulation measured: every metric of [`METRICS`] and the fleet's overshoots.
#[derive(Debug, Clone, PartialEq)]
pub struct RunValues {
    /// In [`METRICS`]' order.
    pub metrics: Vec<f64>,
    /// Rate-limit overshoot, provider 429s, budget overshoot (for the sync-interval view).
    pub overshoot: [f64; 3],
}

/// Runs this shard's jobs of `policies` × `seeds` (policy slowest), in parallel, calling
/// `on_run` after each. Once `stop` is set no job starts and running ones stop; a job that did
/// not run its whole arrival window is `None`. Returns (job, values) in job order.
pub fn run_jobs(
    scenario: &Scenario,
    policies: &[&Policy],
    seeds: &[u64],
    shard: Shard,
    stop: &StopFlag,
    on_run: &(dyn Fn() + Sync),
) -> Result<Vec<(usize, Option<RunValues>)>> {
    let jobs: Vec<usize> = (0..policies.len() * seeds.len())
        .filter(|&j| shard.owns(j))
        .collect();
    let table = &scenario.config.table;
    jobs.par_iter()
        .map(|&j| {
            if stop.is_set() {
                return Ok((j, None));
            }
            let policy = policies[j / seeds.len()];
            let seed = seeds[j % seeds.len()];
            let sink = StopWhen {
                sink: Discard,
                flag: stop.clone(),
            };
            let stats = simulate(scenario, policy, seed, sink)?;
            on_run();
            let values = stats.stopped_at.is_none().then(|| RunValues {
                metrics: METRICS.iter().map(|m| (m.value)(&stats)).collect(),
                overshoot: overshoot(&stats, table),
            });
            Ok((j, values))
        })
        .collect()
}

/// Which command a partial result belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Command {
    /// `switchyard compare`.
    Compare,
    /// `switchyard sweep`.
    Sweep,
}

/// One job's values, as the bits of each `f64` (exact, NaN included).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunBits {
    /// The job's number in the full job list.
    pub job: usize,
    /// [`RunValues::metrics`]' bits.
    pub metrics: Vec<u64>,
    /// [`RunValues::overshoot`]'s bits.
    pub overshoot: [u64; 3],
}

/// A shard's result (`partial-I-of-N.json`): what identifies the run, and its jobs' values.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Partial {
    /// The Switchyard version that wrote it.
    pub switchyard_version: String,
    /// The command.
    pub command: Command,
    /// The scenario file as named on the command line.
    pub scenario_file: String,
    /// SHA-256 of the scenario file's bytes.
    pub scenario_sha256: String,
    /// The seeds every policy or point runs.
    pub seeds: Vec<u64>,
    /// `compare`'s baseline policy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline: Option<String>,
    /// `sweep`'s objectives.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<Vec<String>>,
    /// Which shard this is.
    pub shard: Shard,
    /// How many jobs the whole command has.
    pub jobs: usize,
    /// This shard's jobs, in job order.
    pub runs: Vec<RunBits>,
}

impl Partial {
    /// The runs as values.
    pub fn values(&self) -> impl Iterator<Item = (usize, RunValues)> + '_ {
        self.runs.iter().map(|r| {
            (
                r.job,
                RunValues {
                    metrics: r.metrics.iter().map(|b| f64::from_bits(*b)).collect(),
                    overshoot: r.overshoot.map(f64::from_bits),
                },
            )
        })
    }
}

/// The runs' bits; `None` when a run did not complete.
pub fn to_bits(runs: &[(usize, Option<RunValues>)]) -> Option<Vec<RunBits>> {
    runs.iter()
        .map(|(job, v)| {
            v.as_ref().map(|v| RunBits {
                job: *job,
                metrics: v.metrics.iter().map(|x| x.to_bits()).collect(),
                overshoot: v.overshoot.map(f64::to_bits),
            })
        })
        .collect()
}

/// SHA-256 of the file at `path`, in hex.
pub fn file_sha256(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a shard ran: the command and what a merge must find equal in every shard.
pub struct ShardRun<'a> {
    /// The command sharded.
    pub command: Command,
    /// The scenario file (its path is recorded and its content hashed).
    pub scenario_file: &'a Path,
    /// The seeds of every point.
    pub seeds: &'a [u64],
    /// `compare`'s baseline policy.
    pub baseline: Option<&'a str>,
    /// `sweep`'s Pareto objectives.
    pub objectives: Option<Vec<String>>,
    /// Which share this was.
    pub shard: Shard,
    /// Jobs (points × seeds) of the whole command.
    pub jobs: usize,
}

/// Writes the partial result of `run` holding its `runs` into `out_dir`; returns the path. An
/// error, and nothing written, when the shard was stopped before its runs completed.
pub fn write_shard(
    run: ShardRun<'_>,
    runs: &[(usize, Option<RunValues>)],
    out_dir: &Path,
) -> Result<PathBuf> {
    let Some(bits) = to_bits(runs) else {
        bail!("stopped before this shard's runs completed: no partial result written");
    };
    let partial = Partial {
        switchyard_version: env!("CARGO_PKG_VERSION").to_string(),
        command: run.command,
        scenario_file: run.scenario_file.display().to_string(),
        scenario_sha256: file_sha256(run.scenario_file)?,
        seeds: run.seeds.to_vec(),
        baseline: run.baseline.map(str::to_string),
        objectives: run.objectives,
        shard: run.shard,
        jobs: run.jobs,
        runs: bits,
    };
    write_partial(&partial, out_dir)
}

/// Writes `partial` as `DIR/partial-I-of-N.json`; returns the path.
pub fn write_partial(partial: &Partial, out_dir: &Path) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir)
        .with_context(|| format!("cannot create the report directory {}", out_dir.display()))?;
    let path = out_dir.join(partial.shard.file_name());
    let mut json = serde_json::to_string(partial)?;
    json.push('\n');
    std::fs::write(&path, json).with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// Reads a partial result written by [`write_partial`].
pub fn read_partial(path: &Path) -> Result<Partial> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    let partial: Partial = serde_json::from_str(&text).with_context(|| {
        format!(
            "{}: expected a partial result written by `switchyard compare|sweep --shard`",
            path.display()
        )
    })?;
    if partial.shard.count == 0 || partial.shard.index >= partial.shard.count {
        bail!(
            "{}: shard {}/{} is not a shard (expected 0 <= I < N)",
            path.display(),
            partial.shard.index,
            partial.shard.count
        );
    }
    Ok(partial)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_from_zero_and_refuse_out_of_range() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { index: 2, count: 3 }));
        assert_eq!("0/1".parse::<Shard>(), Ok(Shard::WHOLE));
        for bad in ["3/3", "1/0", "-1/3", "1", "a/b", "1/2/3"] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("0 <= I < N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_job_has_exactly_one_owner() {
        let shards: Vec<Shard> = (0..3).map(|index| Shard { index, count: 3 }).collect();
        for job in 0..10 {
            assert_eq!(shards.iter().filter(|s| s.owns(job)).count(), 1);
        }
    }
}
