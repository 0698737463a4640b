//! Switchyard: see what an LLM gateway's routing configuration does to traffic.
//!
//! The crate is a library with a thin binary. [`config`] reads LiteLLM's config language;
//! [`router`] is the sans-IO decision core (no clock, no I/O, no global randomness); [`sim`] is
//! the discrete-event engine with synthetic providers and workloads; [`scenario`] reads
//! Switchyard's scenario files; [`metrics`] aggregates per-request records; [`report`] writes
//! summaries, CSV and terminal tables.

pub mod app;
pub mod config;
pub mod metrics;
pub mod report;
pub mod router;
pub mod scenario;
pub mod sim;
pub mod time;
