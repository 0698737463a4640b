//! Integration and property tests, one module per area, compiled as one binary.

mod auto_router;
mod bad_input;
mod call_state;
mod check;
mod common;
mod comparison;
mod config;
mod conformance;
mod determinism;
#[cfg(feature = "live")]
mod drive;
mod driver;
mod engine;
mod final_error;
mod fit;
mod fleet;
mod fleet_seam;
mod fuzz;
mod layers;
mod least_busy;
mod lint;
mod litellm_examples;
#[cfg(feature = "live")]
mod live_agreement;
#[cfg(feature = "live")]
mod live_anthropic;
#[cfg(feature = "live")]
mod live_auto_router;
#[cfg(feature = "live")]
mod live_metrics;
#[cfg(feature = "live")]
mod live_proxy;
#[cfg(feature = "live")]
mod live_redis;
#[cfg(feature = "live")]
mod live_router_view;
mod long_runs;
#[cfg(feature = "live")]
mod mock_provider;
mod queueing;
mod reliability;
mod replay;
mod replay_example;
mod replay_inputs;
mod requests_output;
mod router;
mod scenario;
mod shard_merge;
mod shuffle;
mod strategies;
mod sweep;
mod tags_budgets;
mod workloads;
mod yaml_bounds;
