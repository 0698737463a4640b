//! What `validate` reports, and the gate every running command passes: a file that `validate`
//! finds an error in is not run.
//!
//! A file is a scenario or a LiteLLM config (told apart by its top-level keys). A scenario's
//! findings are its config's lint findings, each policy's own (its overrides can make a fallback
//! cycle the config alone does not have) and its expectations' (a metric no summary has).
//! `run`, `check` and `compare` load through [`load_runnable`], so they refuse exactly what
//! `validate` reports as an error, in the same words. It decides which findings bar a run; the
//! findings themselves are the linter's ([`crate::config::lint`]) and the expectations' checks'.

use std::fmt;
use std::path::Path;

use crate::config::lint::{Finding, Severity, lint};
use crate::config::yaml::{EnvLookup, Source};
use crate::config::{InputError, LitellmConfig};
use crate::scenario::{Scenario, load_scenario, looks_like_scenario};

use super::expectations::metric_problem;

/// What `validate` found in a file it could read and parse.
#[derive(Debug, Clone)]
pub struct Validation {
    /// The file as named.
    pub file: String,
    /// Whether the file is a scenario (else a LiteLLM config).
    pub is_scenario: bool,
    /// Every finding, errors and warnings, in the order found.
    pub findings: Vec<Finding>,
}

impl Validation {
    /// How many findings are errors.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// How many findings are warnings.
    pub fn warnings(&self) -> usize {
        self.findings.len() - self.errors()
    }
}

/// A file the running commands refuse: it cannot be loaded, or `validate` finds errors in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    /// The file as named.
    pub file: String,
    /// The errors, one line each (`file: key.path: what was expected`).
    pub errors: Vec<String>,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.errors.join("\n"))
    }
}

impl std::error::Error for Refused {}

impl From<InputError> for Refused {
    fn from(e: InputError) -> Self {
        Refused {
            file: e.file.clone(),
            errors: vec![e.to_string()],
        }
    }
}

/// The one line an error finding reads as: a schema error is already located; a lint finding
/// gets the file and key path in front, and its rule behind.
pub fn finding_line(file: &str, f: &Finding) -> String {
    if f.rule == "schema" {
        f.message.clone()
    } else {
        format!("{file}: {}: {} [{}]", f.path, f.message, f.rule)
    }
}

fn schema_finding(e: &InputError) -> Finding {
    Finding {
        severity: Severity::Error,
        rule: "schema",
        path: e.path.clone(),
        message: e.to_string(),
    }
}

/// Reads `path` and reports its findings; `Err` when the file cannot be read or is not YAML.
pub fn validate_file(path: &Path, env: &dyn EnvLookup) -> Result<Validation, InputError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
    let value = Source::new(&file, env).parse(&text)?;
    let is_scenario = looks_like_scenario(&value);
    let findings = if is_scenario {
        match load_scenario(path, env) {
            Ok(s) => scenario_findings(&s),
            Err(e) => vec![schema_finding(&e)],
        }
    } else {
        match LitellmConfig::load(path, env) {
            Ok(c) => lint(&c, &c.warnings),
            Err(e) => vec![schema_finding(&e)],
        }
    };
    Ok(Validation {
        file,
        is_scenario,
        findings,
    })
}

/// Every finding of a loaded scenario: its config's, each policy's own, its expectations'.
pub fn scenario_findings(scenario: &Scenario) -> Vec<Finding> {
    let mut findings = lint(&scenario.config, &scenario.warnings);
    findings.extend(policy_findings(scenario, &findings));
    findings.extend(expectation_findings(scenario));
    findings
}

/// Lint findings that a policy's overrides add to the config's (`already`), located at the
/// policy (`policies.<name>.<setting>`).
fn policy_findings(scenario: &Scenario, already: &[Finding]) -> Vec<Finding> {
    let mut out = Vec::new();
    for policy in &scenario.policies {
        if policy.settings == scenario.config.settings {
            continue;
        }
        let mut config = scenario.config.clone();
        config.settings = policy.settings.clone();
        for f in lint(&config, &[]) {
            let known = already
                .iter()
                .any(|a| a.rule == f.rule && a.path == f.path && a.message == f.message);
            if known {
                continue;
            }
            let setting = f.path.strip_prefix("router_settings.").unwrap_or(&f.path);
            out.push(Finding {
                path: format!("policies.{}.{setting}", policy.name),
                ..f
            });
        }
    }
    out
}

/// Expectations that can never pass: a metric no policy summary has.
fn expectation_findings(scenario: &Scenario) -> Vec<Finding> {
    scenario
        .expect
        .simple
        .iter()
        .filter_map(|e| {
            metric_problem(scenario, &e.metric).map(|problem| Finding {
                severity: Severity::Error,
                rule: "unknown-metric",
                path: e.path.clone(),
                message: format!("{:?} can never pass: {problem}", e.text),
            })
        })
        .collect()
}

/// Loads the scenario at `path` for a running command: refused when `validate` reports an
/// error in it (or it is a LiteLLM config, which needs a scenario around it to run).
pub fn load_runnable(path: &Path, env: &dyn EnvLookup) -> Result<Scenario, Refused> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path)
        .map_err(|e| InputError::new(&file, "", format!("cannot read the file: {e}")))?;
    let value = Source::new(&file, env).parse(&text)?;
    if !looks_like_scenario(&value) {
        return Err(InputError::new(
            &file,
            "",
            "this is a LiteLLM config, not a scenario; name it from a scenario's `config:` key \
             (with providers and a workload) to run it",
        )
        .into());
    }
    let scenario = load_scenario(path, env)?;
    let errors: Vec<String> = scenario_findings(&scenario)
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| finding_line(&file, f))
        .collect();
    if errors.is_empty() {
        Ok(scenario)
    } else {
        Err(Refused { file, errors })
    }
}
