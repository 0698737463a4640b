#![deny(missing_docs)]
//! Switchyard: see what an LLM gateway's routing configuration does to traffic.
//!
//! The crate is a library with a thin binary (`main.rs` calls [`app::cli::main`]).
//!
//! # Layers
//!
//! The modules form a stack, bottom to top. A module may import from the layers below its own
//! (and from itself), never from a layer above; `tests/it/layers.rs` reads every file under
//! `src/` and fails on an upward `crate::` reference.
//!
//! 1. [`time`]: the instant type of the core and the simulator.
//! 2. [`config`]: LiteLLM's config language — YAML with key paths, loading, settings, the
//!    deployment table, periods, units, lint, and the language's fixed constants.
//! 3. [`router`]: the sans-IO decision core (no clock, no I/O, no global randomness).
//! 4. [`metrics`]: per-request records, streaming aggregates and the compared metrics.
//! 5. [`sim`]: the discrete-event engine with synthetic providers and workloads.
//! 6. [`scenario`]: Switchyard's scenario files, including the schema of their expectations.
//! 7. [`replay`]: recorded traffic — request logs read into one form, providers fitted from
//!    them, and the simulator's inputs for replaying them through a candidate config.
//! 8. [`report`]: summaries, CSV, charts, HTML/Markdown, terminal tables, cross-seed statistics
//!    and the comparison's data.
//! 9. [`live`]: the live side — the OpenAI-compatible proxy driving the same core from tokio,
//!    the mock provider serving a scenario's providers over HTTP, and the load driver.
//! 10. [`app`]: the commands — command line, runner, compare, check and expectation evaluation.
//!
//! The bottom three are the decision core, shared with the live proxy; they build alone with
//! `--no-default-features`. The layers from [`metrics`] up need the simulator's dependencies
//! (charts, CSV, tables, statistics, parallel runs) and come with the `simulator` feature.

#[cfg(feature = "simulator")]
pub mod app;
pub mod config;
#[cfg(feature = "live")]
pub mod live;
#[cfg(feature = "simulator")]
pub mod metrics;
#[cfg(feature = "simulator")]
pub mod replay;
#[cfg(feature = "simulator")]
pub mod report;
pub mod router;
#[cfg(feature = "simulator")]
pub mod scenario;
#[cfg(feature = "simulator")]
pub mod sim;
pub mod time;
