//! Replay: recorded production traffic through a candidate routing config.
//!
//! A request log (Switchyard's own proxy log, LiteLLM's spend-log export or a plain CSV) is read
//! into one [`RecordedTraffic`]: every request's arrival, what it asked for, and what actually
//! happened to it, attempt by attempt where the log says. From that the layer fits providers
//! (per deployment: latency, errors per class over time windows, rate-limit answers), turns the
//! arrivals into a simulator workload, and gives each simulated attempt the answer the log
//! recorded for that request on that deployment when there is one ("observed"), else a draw
//! from the deployment's fitted profile ("fitted"), else from a profile the user wrote in the
//! scenario language ("modelled"): a replay never invents a deployment's behaviour.
//!
//! It sits above [`crate::scenario`] (it builds simulator inputs and scenario files) and below
//! [`crate::report`]; it must not run a simulation, write a report or read a clock.

pub mod answers;
pub mod fit;
pub mod matching;
pub mod observed;
pub mod profiles;
pub mod read;
pub mod tolerance;
pub mod traffic;
pub mod workload;
pub mod world;

pub use traffic::{
    BadRow, LogFormat, RecordedAttempt, RecordedDeployment, RecordedRequest, RecordedTraffic,
    RequestKind,
};
