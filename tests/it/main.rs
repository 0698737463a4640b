//! Integration and property tests, one module per area, compiled as one binary.

mod auto_router;
mod call_state;
mod check;
mod common;
mod comparison;
mod config;
mod determinism;
#[cfg(feature = "live")]
mod drive;
mod driver;
mod engine;
mod layers;
mod lint;
mod litellm_examples;
#[cfg(feature = "live")]
mod live_agreement;
#[cfg(feature = "live")]
mod live_proxy;
#[cfg(feature = "live")]
mod mock_provider;
mod queueing;
mod reliability;
mod router;
mod scenario;
mod shuffle;
mod strategies;
mod tags_budgets;
mod yaml_bounds;
