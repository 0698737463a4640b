//! One config's replay world: its deployments, the log's arrivals and answers matched to them,
//! and a profile for every deployment.
//!
//! Two configs (the candidate and the current one) may have different `model_list`s, so each
//! gets its own world from the same log: same arrivals, answers matched to its own
//! deployments. It decides what a config's replay is made of; it must not run it.

use std::time::Duration;

use anyhow::Result;

use crate::config::LitellmConfig;
use crate::replay::fit::FittedProvider;
use crate::replay::matching::match_deployments;
use crate::replay::profiles::{ReplayProfiles, replay_profiles};
use crate::replay::traffic::RecordedTraffic;
use crate::replay::workload::{replay_duration, replay_workload};
use crate::sim::{ProviderProfile, WorkloadSpec, World};

/// A config's replay of a log.
#[derive(Debug, Clone)]
pub struct ReplayWorld {
    /// The config.
    pub config: LitellmConfig,
    /// For each of the log's deployments, the config deployment it matched.
    pub config_index: Vec<Option<usize>>,
    /// The log's arrivals and matched answers.
    pub workload: WorkloadSpec,
    /// A profile for every deployment, and where each came from.
    pub profiles: ReplayProfiles,
    /// The run's length: the last arrival plus the longest logged request.
    pub duration: Duration,
}

impl ReplayWorld {
    /// The world the engine simulates.
    pub fn world(&self) -> World<'_> {
        World {
            table: &self.config.table,
            profiles: &self.profiles.profiles,
            profile_of: &self.profiles.profile_of,
            workload: &self.workload,
            duration: self.duration,
            price_file: None,
            fleet: None,
        }
    }

    /// Labels of the log's deployments this config does not have (their answers are not
    /// replayed).
    pub fn unmatched(&self, traffic: &RecordedTraffic) -> Vec<String> {
        traffic
            .deployments
            .iter()
            .zip(&self.config_index)
            .filter(|(_, m)| m.is_none())
            .map(|(d, _)| d.label())
            .collect()
    }
}

/// A config's share of its world that needs no fitted profile: the config, the log's
/// deployments matched to the config's, and its arrivals and answers, so that it can be built
/// while the log is being fitted.
#[derive(Debug, Clone)]
pub struct MatchedTraffic {
    config: LitellmConfig,
    config_index: Vec<Option<usize>>,
    workload: WorkloadSpec,
    duration: Duration,
}

impl MatchedTraffic {
    /// `traffic` matched to `config`'s deployments.
    pub fn new(traffic: &RecordedTraffic, config: LitellmConfig) -> MatchedTraffic {
        let config_index = match_deployments(traffic, &config.deployments);
        MatchedTraffic {
            workload: replay_workload(traffic, &config_index),
            duration: replay_duration(traffic),
            config_index,
            config,
        }
    }

    /// The config's world, with the profiles `fitted` from the log and the user's (`user`) for
    /// deployments the log never saw; an error naming any deployment with neither.
    pub fn with_profiles(
        self,
        fitted: &[FittedProvider],
        user: &[ProviderProfile],
    ) -> Result<ReplayWorld> {
        let profiles = replay_profiles(
            &self.config.file,
            &self.config.deployments,
            &self.config_index,
            fitted,
            user,
        )?;
        Ok(ReplayWorld {
            config: self.config,
            config_index: self.config_index,
            workload: self.workload,
            profiles,
            duration: self.duration,
        })
    }
}
