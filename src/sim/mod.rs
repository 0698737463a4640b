//! The simulator: a deterministic, virtual-clock discrete-event engine around the router core.
//!
//! [`event_queue`] orders events by (time, sequence); [`rng`] derives one stream per source of
//! randomness; [`provider`] and [`workload`] are the synthetic world, [`arrival_source`] when
//! its requests arrive and [`client_retry`] its clients' own retries, [`recorded`] a replay's logged arrivals and answers, [`fleet`] several gateway instances sharing a store; [`engine`] runs a policy
//! through it. Same seed, same bytes: nothing here reads a clock or a global RNG.

pub mod arrival_source;
pub mod client_retry;
pub mod distribution;
pub mod engine;
pub mod event_queue;
mod exp;
pub mod faults;
pub mod fleet;
pub mod provider;
pub mod recorded;
pub mod rng;
mod windows_in_force;
pub mod workload;

pub use client_retry::ClientRetries;
pub use distribution::Distribution;
pub use engine::{World, run};
pub use faults::{Brownout, FaultSpec, Outage};
pub use fleet::{FleetSpec, Spread};
pub use provider::{ProviderMatch, ProviderProfile};
pub use recorded::{RecordedAnswer, RecordedArrival, Recording};
pub use workload::{
    ArrivalProcess, ClosedLoop, MAX_REQUESTS, RateChange, RequestClass, ScriptedRequest,
    WorkloadSpec,
};
