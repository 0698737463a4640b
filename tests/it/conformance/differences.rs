//! The list of known differences (`tests/conformance/differences.yaml`): each names a
//! situation and a difference key, says whether it is deliberate or being fixed, and why. It
//! decides which found differences are unlisted and which listed ones no longer occur; not
//! whether a difference is acceptable (the list's reviewers do).

use std::path::Path;

use serde::Deserialize;

use super::compare::Diff;

/// Why a difference is accepted for now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Status {
    /// Switchyard chose otherwise on purpose.
    Deliberate,
    /// Switchyard is being changed to match; the entry goes when the change lands.
    BeingFixed,
    /// Found by the suite: Switchyard should follow LiteLLM, or make the difference deliberate.
    Open,
}

/// One listed difference.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Listed {
    pub situation: String,
    /// A [`Diff::key`].
    pub difference: String,
    #[allow(dead_code)]
    pub status: Status,
    #[allow(dead_code)]
    pub reason: String,
}

/// Reads `differences.yaml` under `dir`.
pub fn load(dir: &Path) -> Vec<Listed> {
    let path = dir.join("differences.yaml");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn is_listed(situation: &str, key: &str, listed: &[Listed]) -> bool {
    listed
        .iter()
        .any(|l| l.situation == situation && l.difference == key)
}

/// Found differences that the list does not name, as messages.
pub fn unlisted(situation: &str, found: &[Diff], listed: &[Listed]) -> Vec<String> {
    found
        .iter()
        .filter(|d| !is_listed(situation, &d.key, listed))
        .map(|d| format!("unlisted difference: {situation} — {}: {}", d.key, d.detail))
        .collect()
}

/// Listed differences of `situation` that no longer occur, as messages.
pub fn stale(situation: &str, found: &[Diff], listed: &[Listed]) -> Vec<String> {
    listed
        .iter()
        .filter(|l| l.situation == situation && !found.iter().any(|d| d.key == l.difference))
        .map(|l| {
            format!(
                "listed difference no longer occurs (remove it): {situation} — {}",
                l.difference
            )
        })
        .collect()
}
