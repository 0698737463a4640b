//! What one side did in a situation, in the shape `litellm_side.py` writes: per request the
//! attempts, the waits after each, the result and the deployments cooling afterwards; or, for
//! share situations, how many requests each deployment served. It decides that shape; not how
//! it is compared.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;

/// One provider attempt.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
pub struct Attempt {
    /// The deployment id.
    pub deployment: String,
    /// `ok` or the error class name.
    pub outcome: String,
}

/// How a request ended.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RequestResult {
    /// The deployment that served it.
    pub served_by: Option<String>,
    /// The error class the caller got.
    pub error: Option<String>,
    /// Its HTTP status (LiteLLM's tag refusal, a `ValueError`, has none).
    pub status: Option<u16>,
}

impl RequestResult {
    /// `served` or the error class.
    pub fn kind(&self) -> &str {
        self.error.as_deref().unwrap_or("served")
    }
}

/// One request's life.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RequestRecord {
    pub attempts: Vec<Attempt>,
    /// Seconds from each attempt's end to the next attempt (or, after the last, to the end).
    pub waits: Vec<f64>,
    pub result: RequestResult,
    /// Retries in the group that served (served requests only).
    pub retries: Option<u32>,
    /// Fallback depth that served (served requests only).
    pub fallbacks: Option<u32>,
    /// Deployments cooling when the request ended, sorted.
    pub cooling_after: Vec<String>,
}

/// A side's record of a whole situation.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct Golden {
    /// Request by request (exact and tally situations).
    pub requests: Option<Vec<RequestRecord>>,
    /// Served requests by deployment id (share situations).
    pub served_counts: Option<BTreeMap<String, u32>>,
}

impl Golden {
    /// Reads `expected/NAME.json` under `dir`.
    pub fn load(dir: &Path, name: &str) -> Golden {
        let path = dir.join("expected").join(format!("{name}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "cannot read {}: {e} (run tests/conformance/litellm_side.py)",
                path.display()
            )
        });
        serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a golden file: {e}", path.display()))
    }
}
