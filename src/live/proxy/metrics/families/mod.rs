//! Every metric family of a scrape, in one fixed order: its name, type, help and samples,
//! LiteLLM's name where LiteLLM 1.108.7 has one for the same quantity (`_total` appended to
//! counters as `prometheus_client` does), `switchyard_…` otherwise. docs/metrics.md lists them.
//!
//! It decides the names and which counter or state feeds each; the numbers themselves come
//! from [`super::counters`] and [`super::routing_state`].

mod deployments;
mod requests;
mod state;

use std::sync::atomic::{AtomicU64, Ordering};

pub use deployments::deployments;
pub use requests::requests;
pub use state::state;

/// A counter's value as a sample's number.
fn get(c: &AtomicU64) -> f64 {
    c.load(Ordering::Relaxed) as f64
}
