//! A situation file: a LiteLLM config as its users write it, how each deployment answers, and
//! the requests sent. It decides the file's shape (unknown keys are refused) and the router it
//! builds; not how the requests are replayed.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use switchyard::config::LitellmConfig;
use switchyard::router::Router;

/// How a situation's results are compared.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Request by request: attempts, waits, result, cooldowns.
    #[default]
    Exact,
    /// Only the share of requests each deployment served, within `tolerance`.
    Shares,
    /// Which requests were served or failed how, and how many each deployment served (the
    /// order among deployments is a random tie-break).
    Tally,
}

/// One deployment's answers: the same every call, or a sequence whose last entry repeats.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum AnswerSpec {
    /// `ok` or an error class name.
    Name(String),
    /// Per call, in order.
    Sequence {
        /// The answers.
        sequence: Vec<AnswerSpec>,
    },
    /// An error with a Retry-After, or a success after a latency.
    Detail(Detail),
}

/// An answer with details.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detail {
    /// The error class (absent: success).
    pub error: Option<String>,
    /// Retry-After in seconds (429 only).
    pub retry_after: Option<f64>,
    /// Seconds the attempt takes.
    pub latency: Option<f64>,
}

/// One line of `requests` (sent `count` times).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Request {
    pub model: String,
    #[serde(default = "one")]
    pub count: u32,
    /// Idle seconds after the previous request ended.
    #[serde(default)]
    pub after: f64,
    #[serde(default)]
    pub tags: Vec<String>,
    pub num_retries: Option<u32>,
    pub fallbacks: Option<Vec<String>>,
    #[serde(default)]
    pub disable_fallbacks: bool,
    pub input_tokens: Option<u32>,
}

fn one() -> u32 {
    1
}

/// A situation file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Situation {
    #[serde(skip)]
    pub name: String,
    #[allow(dead_code)]
    pub description: String,
    #[serde(default)]
    pub compare: Mode,
    /// Shares: the largest allowed difference of a deployment's share.
    pub tolerance: Option<f64>,
    /// Shares: the tolerance between two LiteLLM runs (`litellm_side.py --check` only).
    #[allow(dead_code)]
    pub rerun_tolerance: Option<f64>,
    /// `unordered`: attempt sequences are compared as multisets (two equal deployments).
    pub ids: Option<String>,
    /// LiteLLM side only: start early in a wall-clock minute (usage limits are per minute).
    #[serde(default)]
    #[allow(dead_code)]
    pub minute: bool,
    /// Closed-loop clients, each sending the requests back to back.
    pub clients: Option<u32>,
    pub config: serde_yaml::Value,
    #[serde(default)]
    pub answers: BTreeMap<String, AnswerSpec>,
    pub requests: Vec<Request>,
}

impl Situation {
    /// Reads `situations/NAME.yaml` under `dir`; a malformed file fails naming it.
    pub fn load(dir: &Path, name: &str) -> Situation {
        let path = dir.join("situations").join(format!("{name}.yaml"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let mut s: Situation = serde_yaml::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not a situation: {e}", path.display()));
        s.name = name.to_string();
        s
    }

    /// A router over the situation's config, read by Switchyard's own config loader.
    pub fn router(&self) -> Router {
        let text = serde_yaml::to_string(&self.config).expect("a YAML value serialises");
        let file = format!("situations/{}.yaml#config", self.name);
        let env = BTreeMap::<String, String>::new();
        let config = LitellmConfig::from_str(&text, &file, Path::new("."), &env)
            .unwrap_or_else(|e| panic!("{e}"));
        Router::new(&config.deployments, config.settings)
    }

    /// The requests in the order sent, each line repeated `count` times.
    pub fn expanded(&self) -> impl Iterator<Item = &Request> {
        self.requests
            .iter()
            .flat_map(|r| std::iter::repeat_n(r, r.count as usize))
    }

    /// The idle time before a request.
    pub fn idle_before(request: &Request) -> Duration {
        Duration::from_secs_f64(request.after)
    }
}
