//! Which per-request file a run writes: `requests.parquet` (the default), `requests.csv`, or
//! none.
//!
//! It decides the formats' names and file names; it must not write anything (see
//! [`super::requests_parquet`] and [`super::requests_csv`]).

use std::fmt;
use std::str::FromStr;

/// The per-request file of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RequestsFormat {
    /// `requests.parquet`: typed columns, Snappy-compressed; what pandas, polars and DuckDB
    /// read directly.
    #[default]
    Parquet,
    /// `requests.csv`: the same columns as text.
    Csv,
    /// No per-request file (the aggregates are in `summary.json`).
    None,
}

impl RequestsFormat {
    /// Every format, by its command-line name.
    pub const ALL: [(&'static str, RequestsFormat); 3] = [
        ("parquet", RequestsFormat::Parquet),
        ("csv", RequestsFormat::Csv),
        ("none", RequestsFormat::None),
    ];

    /// The file it writes in the report directory, if any.
    pub fn file_name(self) -> Option<&'static str> {
        match self {
            RequestsFormat::Parquet => Some("requests.parquet"),
            RequestsFormat::Csv => Some("requests.csv"),
            RequestsFormat::None => None,
        }
    }
}

impl FromStr for RequestsFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, f)| *f)
            .ok_or_else(|| format!("expected parquet, csv or none, not {s:?}"))
    }
}

impl fmt::Display for RequestsFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::ALL.iter().find(|(_, v)| v == self).map(|(n, _)| *n);
        f.write_str(name.unwrap_or("?"))
    }
}
