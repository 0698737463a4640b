//! What happened in a run, aggregated as it streams by.
//!
//! [`RequestRecord`] is one finished request; [`RecordSink`] receives records (aggregates, CSV);
//! [`PolicyStats`] keeps bounded-memory aggregates ([`fleet_stats`] a fleet's); [`definitions`] names the metrics a
//! comparison reads from them ([`METRICS`]). Nothing here formats output, runs a simulation or
//! reads a scenario: it sits above the router (whose outcomes it counts) and below everything
//! that produces or shows records.

pub mod budget_ledger;
pub mod definitions;
pub mod fleet_stats;
pub mod policy_stats;
pub mod record;

pub use budget_ledger::BudgetLedger;
pub use definitions::{Direction, METRICS, Metric};
pub use fleet_stats::{FleetBudget, FleetDeployment, FleetStats, InstanceTraffic};
pub use policy_stats::{
    AnswerSources, BudgetSample, BudgetState, CooldownEvent, DeploymentStats, LatencySummary,
    PathStep, PolicyStats, Timeline,
};
pub use record::{ClientTries, Discard, RecordSink, RequestRecord};
