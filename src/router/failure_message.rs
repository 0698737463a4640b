//! The final error of a failed request in words, as the client reads it.
//!
//! LiteLLM names the exception class and the status, then appends what the groups tried before
//! said ("Fallback to … also failed"). It decides only the text; the error's class and status
//! are decided when the request fails.

use super::call::Call;
use super::error_class::ErrorClass;
use super::request::CallResult;
use crate::config::deployment_table::{DeploymentTable, GroupIdx};

/// The message of `call`'s failure (`None` unless it failed): the last group's error, then the
/// errors of the groups tried before it.
pub fn failure_message(table: &DeploymentTable, call: &Call) -> Option<String> {
    let Some(CallResult::Failed(f)) = call.result() else {
        return None;
    };
    let name = |g: Option<GroupIdx>| g.map_or("<unknown model>", |g| table.group(g).name.as_str());
    let failures = call.group_failures();
    let last = failures.last().map_or("<unknown model>", |l| name(l.group));
    let mut message = format!(
        "{} ({}) from model group {last}",
        f.class.litellm_exception(),
        f.class.status()
    );
    if f.class == ErrorClass::TagsNotAllowed {
        message.push_str(&format!(
            ": not allowed to access model due to tags configuration (request tags: [{}])",
            call.spec().tags.names().join(", ")
        ));
    } else if f.class == ErrorClass::BudgetExceeded {
        message.push_str(": no deployments available, crossed budget");
    }
    if failures.len() > 1 {
        let earlier: Vec<String> = failures[..failures.len() - 1]
            .iter()
            .map(|g| format!("{}: {}", name(g.group), g.class.name()))
            .collect();
        message.push_str(&format!("; groups tried before it: {}", earlier.join(", ")));
    }
    Some(message)
}
