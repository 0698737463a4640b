//! The application: the `switchyard` commands over the library below.
//!
//! [`cli`] parses the command line and prints; [`runner`] runs a scenario's policies and writes
//! the report directory; [`compare`] runs every policy over several seeds; [`check`] runs
//! scenarios and evaluates their expectations ([`expectations`]) and baselines; [`validation`]
//! is what `validate` reports and what the running commands refuse; [`output`] prints without
//! panicking; [`interrupt`] turns Ctrl-C into a request to stop; [`progress`] shows how far a run has got. It decides which simulations run and where their results go; it must not route,
//! panicking; [`interrupt`] turns Ctrl-C into a request to stop; [`sweep`] runs a
//! scenario's settings grid, [`shard`] splits `compare` and `sweep` into shards and [`merge`]
//! joins their partial results. It decides which simulations run and where their results go; it must not route,
//! simulate or format on its own account — those are the router's, the simulator's and the report's.

pub mod check;
pub mod cli;
pub mod compare;
pub mod expectations;
pub mod fit;
pub mod interrupt;
pub mod merge;
pub mod output;
pub mod progress;
pub mod replay;
pub mod requests_writer;
pub mod runner;
#[cfg(feature = "live")]
pub mod serve;
pub mod shard;
pub mod sweep;
pub mod sync_sweep;
pub mod validation;
