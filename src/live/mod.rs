//! The live side: the same decision core, driven from tokio against real HTTP.
//!
//! The proxy ([`proxy`], `switchyard serve`) answers OpenAI-compatible requests by driving a [`crate::router::Router`]'s
//! `Call` state machine: a `Send` becomes an HTTP request to the chosen deployment's upstream
//! ([`upstream`]), a `Wait` a `tokio::time::sleep`, a `Finish` the client's response. No policy is
//! implemented here: every choice, retry, cooldown and fallback is the router's. The mock provider
//! ([`mock_provider`]) serves a scenario's synthetic providers on the wall clock, and the load
//! driver ([`drive`]) plays a scenario's workload against any gateway. Several proxies share
//! their usage, cooldowns and spend through Redis ([`fleet`]).
//!
//! Must not: decide anything the router decides, read the clock anywhere but at the edge where
//! an instant becomes a [`crate::time::Time`], or let a request end without a response and a log
//! line.

pub mod clock;
pub mod drive;
pub mod fleet;
pub mod mock_provider;
pub mod proxy;
pub mod upstream;
