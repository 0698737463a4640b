//! The final error of a failed request in words, as the client reads it.
//!
//! LiteLLM 1.108.7 raises the primary group's exception and appends what its fallbacks said
//! ("LiteLLM: model group 'a' failed with the error above. Fallback to b also failed: …"). With
//! the `final_error_last_group` improvement the error is the last group's, followed by the
//! groups tried before it. It decides only the text; the error's class and status are decided
//! when the request fails (`fallback_walk`).

use super::call::{Call, GroupFailure};
use super::error_class::ErrorClass;
use super::request::{CallResult, Route};
use crate::config::deployment_table::{DeploymentTable, Target};

/// The message of `call`'s failure (`None` unless it failed), for a router whose final error
/// is the last group's when `last_group` is set, else the primary group's.
pub fn failure_message(table: &DeploymentTable, call: &Call, last_group: bool) -> Option<String> {
    let Some(CallResult::Failed(f)) = call.result() else {
        return None;
    };
    let name = |f: &GroupFailure| match (f.group, f.route) {
        (Some(g), _) => table.group(g).name.as_str(),
        (None, Route::To(Target::Model(m))) => table.litellm_model(m).name.as_str(),
        (None, _) => "<unknown model>",
    };
    let failures = call.group_failures();
    let (own, others): (Option<&GroupFailure>, &[GroupFailure]) = if last_group {
        match failures.split_last() {
            Some((last, before)) => (Some(last), before),
            None => (None, &[]),
        }
    } else {
        match failures.split_first() {
            Some((first, after)) => (Some(first), after),
            None => (None, &[]),
        }
    };
    let group = own.map_or("<unknown model>", name);
    let mut message = format!(
        "{} ({}) from model group {group}",
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
    if !others.is_empty() {
        let listed: Vec<String> = others
            .iter()
            .map(|g| format!("{}: {}", name(g), g.class.name()))
            .collect();
        if last_group {
            message.push_str(&format!("; groups tried before it: {}", listed.join(", ")));
        } else {
            message.push_str(&format!(
                "; model group {group} failed with the error above, fallbacks also failed: {}",
                listed.join(", ")
            ));
        }
    }
    Some(message)
}
