//! Ctrl-C for the long commands: the first press asks the running work to stop cleanly, the
//! second ends the process at once.
//!
//! A [`StopFlag`] is the request to stop; the command line gets the process's own from
//! [`on_ctrl_c`], tests make their own with [`StopFlag::new`] and set it by hand. A simulation
//! sees the flag through [`StopWhen`], a record sink that asks the engine to take no more
//! arrivals once the flag is set ([`crate::metrics::RecordSink::stop_requested`]): the requests
//! in progress finish, so what was simulated is a complete run of a shorter arrival window
//! (`PolicyStats::stopped_at`). It decides how a stop is asked for; it must not decide what a
//! stopped command reports — that is each command's.

use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::{Context, Result};

use crate::metrics::{RecordSink, RequestRecord};
use crate::router::{Cooldown, DeploymentIdx};
use crate::time::Time;

/// A request to stop, shared by whoever asks and whoever obeys.
#[derive(Debug, Clone, Default)]
pub struct StopFlag(Arc<AtomicBool>);

impl StopFlag {
    /// A flag nobody has set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Asks everything watching this flag to stop.
    pub fn stop(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    /// Whether a stop was asked for.
    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// The exit status after a second Ctrl-C: 128 + SIGINT (2), as a shell reports it.
pub const INTERRUPTED_EXIT: i32 = 130;

/// The process's flag, set by the first Ctrl-C; the second exits with [`INTERRUPTED_EXIT`].
/// Installs the handler on first use.
pub fn on_ctrl_c() -> Result<StopFlag> {
    static FLAG: OnceLock<std::result::Result<StopFlag, String>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = StopFlag::new();
        let handler = flag.clone();
        ctrlc::set_handler(move || {
            if handler.is_set() {
                std::process::exit(INTERRUPTED_EXIT);
            }
            handler.stop();
            super::output::err(
                "stopping: no new requests; the report will cover what was simulated \
                 (Ctrl-C again to quit at once)",
            );
        })
        .map(|()| flag)
        .map_err(|e| e.to_string())
    })
    .clone()
    .map_err(anyhow::Error::msg)
    .context("cannot install the Ctrl-C handler")
}

/// A record sink that forwards everything to `sink` and asks the run to stop once `flag` is
/// set.
#[derive(Debug)]
pub struct StopWhen<S> {
    /// Where records go.
    pub sink: S,
    /// The stop request watched.
    pub flag: StopFlag,
}

impl<S: RecordSink> RecordSink for StopWhen<S> {
    fn attempt(&mut self, deployment: DeploymentIdx, ok: bool) {
        self.sink.attempt(deployment, ok);
    }

    fn cooldown(&mut self, deployment: DeploymentIdx, now: Time, cooldown: Cooldown) {
        self.sink.cooldown(deployment, now, cooldown);
    }

    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        self.sink.budget_sample(at, budget, spent, limit);
    }

    fn request(&mut self, record: &RequestRecord<'_>) {
        self.sink.request(record);
    }

    fn stop_requested(&self) -> bool {
        self.flag.is_set() || self.sink.stop_requested()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_is_shared_by_its_clones_and_asks_the_sink_to_stop() {
        let flag = StopFlag::new();
        let sink = StopWhen {
            sink: crate::metrics::Discard,
            flag: flag.clone(),
        };
        assert!(!sink.stop_requested());
        flag.stop();
        assert!(sink.stop_requested());
        assert!(!StopFlag::new().is_set());
    }
}
