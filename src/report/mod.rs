//! What a run writes and prints: `summary.json`, `requests.parquet` (or `requests.csv`),
//! `budgets.csv`, charts, `index.html` and `summary.md`, terminal tables, `--explain` text, and
//! a comparison's data with its cross-seed statistics.
//!
//! Formatting only; the numbers come from [`crate::metrics`] and the router's trace. It sits
//! below the application and above the simulator: it must not run simulations or read
//! scenarios — whatever it needs from a scenario (fault windows, descriptions) comes as data.

pub mod budgets_csv;
pub mod charts;
pub mod comparison;
pub mod comparison_charts;
pub mod explain;
pub mod fleet_html;
pub mod fleet_summary;
pub mod html;
pub mod pareto;
pub mod replay;
pub mod replay_html;
pub mod replay_text;
pub mod requests_csv;
pub mod requests_format;
pub mod requests_parquet;
pub mod stats;
pub mod summary;
pub mod sweep;
pub mod sweep_charts;
pub mod sweep_html;
pub mod table;

pub use summary::{PolicySummary, Summary};
