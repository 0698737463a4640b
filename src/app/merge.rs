//! `switchyard merge`: the shards' partial results of one `compare` or `sweep`, combined into
//! the report the unsharded command writes — byte for byte.
//!
//! It checks the partials belong together (same command, scenario file hash, seeds, baseline or
//! objectives and shard count; every shard present exactly once and every job once), reloads
//! the scenario (the path recorded in the partials, or the one given) and verifies its hash,
//! then hands the runs to the same report functions the single run uses. It decides what
//! "belong together" means; it must not assemble a report itself.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::compare::{comparison_from_runs, write_comparison};
use super::shard::{self, Command, Partial, RunValues};
use super::sweep::{grid, sweep_from_runs, write_sweep};
use super::validation::load_runnable;
use crate::config::yaml::EnvLookup;
use crate::report::comparison::Comparison;
use crate::report::sweep::SweepReport;

/// The report a merge wrote.
#[derive(Debug)]
pub enum Merged {
    /// A comparison's, with its chart count.
    Compare(Comparison, usize),
    /// A sweep's.
    Sweep(SweepReport),
}

/// The partial files named by `paths`: files as given, directories for their
/// `partial-*-of-*.json` files (in name order).
pub fn partial_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut found: Vec<PathBuf> = std::fs::read_dir(path)
                .with_context(|| format!("cannot read the directory {}", path.display()))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("partial-") && n.ends_with(".json"))
                })
                .collect();
            if found.is_empty() {
                bail!(
                    "{}: no partial-I-of-N.json files in this directory",
                    path.display()
                );
            }
            found.sort();
            out.extend(found);
        } else {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Checks that `partials` are the shards of one command, each exactly once; returns every
/// job's values in job order.
pub fn combine(partials: &[(PathBuf, Partial)]) -> Result<Vec<RunValues>> {
    let Some((first_path, first)) = partials.first() else {
        bail!("no partial results to merge");
    };
    let count = first.shard.count;
    let mut by_index: BTreeMap<usize, &Path> = BTreeMap::new();
    for (path, p) in partials {
        let differs = |what: &str| {
            anyhow::anyhow!(
                "{} and {} are not shards of the same run: different {what}",
                first_path.display(),
                path.display()
            )
        };
        if p.command != first.command {
            return Err(differs("commands (compare against sweep)"));
        }
        if p.scenario_sha256 != first.scenario_sha256 {
            return Err(differs("scenario files (their SHA-256 differ)"));
        }
        if p.seeds != first.seeds {
            return Err(differs("seeds"));
        }
        if p.baseline != first.baseline || p.objectives != first.objectives {
            return Err(differs("baselines or objectives"));
        }
        if p.shard.count != count || p.jobs != first.jobs {
            return Err(differs("shard counts (N)"));
        }
        if p.switchyard_version != first.switchyard_version {
            return Err(differs("Switchyard versions"));
        }
        if let Some(other) = by_index.insert(p.shard.index, path) {
            bail!(
                "shard {}/{count} is given twice: {} and {}",
                p.shard.index,
                other.display(),
                path.display()
            );
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        bail!(
            "missing shards {} (of {count}; run `--shard I/{count}` for each and merge all \
             their partial-I-of-{count}.json files)",
            missing.join(", ")
        );
    }
    let mut runs: Vec<Option<RunValues>> = vec![None; first.jobs];
    for (path, p) in partials {
        for (job, values) in p.values() {
            match runs.get_mut(job) {
                Some(slot @ None) if p.shard.owns(job) => *slot = Some(values),
                _ => bail!(
                    "{}: job {job} does not belong to shard {}/{count} or appears twice",
                    path.display(),
                    p.shard.index
                ),
            }
        }
    }
    runs.into_iter()
        .enumerate()
        .map(|(job, r)| r.with_context(|| format!("job {job} is in no partial result")))
        .collect()
}

/// Merges the partial results at `paths` into `out_dir`, reloading the scenario from
/// `scenario` or the path the partials recorded.
pub fn merge(
    paths: &[PathBuf],
    scenario: Option<&Path>,
    out_dir: Option<&Path>,
    env: &dyn EnvLookup,
) -> Result<(Merged, PathBuf)> {
    let partials = partial_files(paths)?
        .into_iter()
        .map(|p| shard::read_partial(&p).map(|partial| (p, partial)))
        .collect::<Result<Vec<_>>>()?;
    let runs: Vec<Option<RunValues>> = combine(&partials)?.into_iter().map(Some).collect();
    let first = &partials[0].1;
    let path = scenario.map_or_else(|| PathBuf::from(&first.scenario_file), Path::to_path_buf);
    if shard::file_sha256(&path)? != first.scenario_sha256 {
        bail!(
            "{}: not the scenario file the shards ran (its SHA-256 differs); give the same file \
             with --scenario PATH",
            path.display()
        );
    }
    let scenario = load_runnable(&path, env)?;
    let out = out_dir.map_or_else(
        || match first.command {
            Command::Compare => super::compare::default_dir(&scenario),
            Command::Sweep => super::sweep::default_dir(&scenario),
        },
        Path::to_path_buf,
    );
    let merged = match first.command {
        Command::Compare => {
            if scenario.policies.len() * first.seeds.len() != first.jobs {
                bail!(
                    "{}: the scenario has {} policies, not what the shards ran",
                    path.display(),
                    scenario.policies.len()
                );
            }
            let baseline = first.baseline.as_deref().unwrap_or_default();
            let c = comparison_from_runs(&scenario, &first.seeds, baseline, &runs)?;
            let charts = write_comparison(&scenario, &c, &out)?;
            Merged::Compare(c, charts)
        }
        Command::Sweep => {
            let sweep = grid(&scenario)?;
            if sweep.points.len() * first.seeds.len() != first.jobs {
                bail!(
                    "{}: the grid has {} points, not what the shards ran",
                    path.display(),
                    sweep.points.len()
                );
            }
            let objectives = first.objectives.clone().unwrap_or_default();
            let r = sweep_from_runs(&scenario, sweep, &first.seeds, &objectives, &runs);
            write_sweep(&scenario, &r, &out)?;
            Merged::Sweep(r)
        }
    };
    Ok((merged, out))
}
