//! `budgets.csv`: each budget's spend in its current window, sampled once a minute.
//!
//! Columns: `policy, time_s, budget, spent, limit`. Written only when the config has budgets.
//! It decides the columns and their spelling; the samples come from the engine's records.

use std::io::Write;

use crate::metrics::{RecordSink, RequestRecord};
use crate::time::Time;

/// The header row.
pub const HEADER: [&str; 5] = ["policy", "time_s", "budget", "spent", "limit"];

/// Writes one policy's budget samples.
pub struct BudgetsCsv<'a, W: Write> {
    out: &'a mut csv::Writer<W>,
    policy: &'a str,
    error: Option<csv::Error>,
}

impl<'a, W: Write> BudgetsCsv<'a, W> {
    /// Rows for `policy`.
    pub fn new(out: &'a mut csv::Writer<W>, policy: &'a str) -> Self {
        BudgetsCsv {
            out,
            policy,
            error: None,
        }
    }

    /// The first write error, if any happened.
    pub fn finish(self) -> Result<(), csv::Error> {
        self.error.map_or(Ok(()), Err)
    }
}

impl<W: Write> RecordSink for BudgetsCsv<'_, W> {
    fn budget_sample(&mut self, at: Time, budget: &str, spent: f64, limit: f64) {
        if self.error.is_some() {
            return;
        }
        let row = [
            self.policy.to_string(),
            format!("{:.0}", at.as_secs_f64()),
            budget.to_string(),
            format!("{spent:.6}"),
            format!("{limit}"),
        ];
        if let Err(e) = self.out.write_record(&row) {
            self.error = Some(e);
        }
    }

    fn request(&mut self, _record: &RequestRecord<'_>) {}
}
