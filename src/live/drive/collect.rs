//! The ends of a live run's requests, gathered as they arrive: each exchange read as a record
//! ([`Reader`]), fed into the run's aggregates and kept for `requests.csv`.
//!
//! It decides what is kept of each end; it neither sends nor writes.

use std::collections::BTreeMap;

use super::observed::{Exchange, Reader};
use super::plan::PlannedRequest;
use crate::metrics::{PolicyStats, RecordSink, RequestRecord, Timeline};
use crate::scenario::Scenario;
use crate::sim::workload::RequestClass;

/// Empty aggregates for the scenario's deployments, with a timeline over its duration.
pub fn policy_stats(scenario: &Scenario) -> PolicyStats {
    let n = scenario.config.table.deployments().len();
    let mut stats = PolicyStats::new(n);
    stats.timeline = Timeline::new(scenario.duration, Timeline::width_for(scenario.duration), n);
    stats
}

/// The ends of requests, gathered as they arrive.
pub struct Collector<'a> {
    /// Reads exchanges as records.
    pub reader: Reader<'a>,
    /// The requests of the run.
    pub planned: &'a [PlannedRequest],
    /// The workload's request classes.
    pub mix: &'a [RequestClass],
    /// The aggregates so far.
    pub stats: PolicyStats,
    /// The records so far, in the order the requests ended.
    pub records: Vec<RequestRecord<'static>>,
    /// Whether each planned request has ended.
    pub ended: Vec<bool>,
    /// Model ids naming no deployment, with their counts.
    pub unknown_model_ids: BTreeMap<String, u64>,
}

impl Collector<'_> {
    /// Records the end of planned request `i`.
    pub fn observe(&mut self, i: usize, exchange: &Exchange) {
        let request = &self.planned[i];
        let model = &self.mix[request.drawn.class as usize].model;
        let observed = self.reader.record(request, model, exchange);
        if let Some(id) = observed.unknown_model_id {
            *self.unknown_model_ids.entry(id.to_string()).or_insert(0) += 1;
        }
        self.stats.request(&observed.record);
        self.records.push(observed.record);
        self.ended[i] = true;
    }
}
