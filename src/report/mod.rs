//! What a run writes and prints: `summary.json`, `requests.csv` and terminal tables.
//!
//! Formatting only; the numbers come from [`crate::metrics`].

pub mod budgets_csv;
pub mod charts;
pub mod comparison;
pub mod comparison_charts;
pub mod explain;
pub mod html;
pub mod requests_csv;
pub mod stats;
pub mod summary;
pub mod table;

pub use summary::{PolicySummary, Summary};
