//! What happened in a run, aggregated as it streams by.
//!
//! [`RequestRecord`] is one finished request; [`RecordSink`] receives records (aggregates, CSV);
//! [`PolicyStats`] keeps bounded-memory aggregates. Nothing here formats output.

pub mod budget_ledger;
pub mod policy_stats;
pub mod record;

pub use budget_ledger::BudgetLedger;
pub use policy_stats::{
    BudgetSample, BudgetState, CooldownEvent, DeploymentStats, LatencySummary, PathStep,
    PolicyStats, Timeline,
};
pub use record::{Discard, RecordSink, RequestRecord};
