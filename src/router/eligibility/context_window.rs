//! ROUTING.md §3, the first pre-call check (`enable_pre_call_checks`): a deployment whose
//! `max_input_tokens` is below the prompt's size is not eligible; when none is left the group
//! fails with a context-window error, which context-window fallbacks catch.
//!
//! It decides only the exclusion, from the config and the request; it reads no live state.

use super::Filter;
use crate::config::deployment_table::{DeploymentIdx, DeploymentTable};
use crate::router::error_class::ErrorClass;
use crate::router::trace::Filtered;

/// Excludes deployments too small for `input_tokens`.
pub(in crate::router) struct ContextWindow<'a> {
    pub(in crate::router) table: &'a DeploymentTable,
    pub(in crate::router) input_tokens: u64,
}

impl Filter for ContextWindow<'_> {
    const REFUSAL: Option<ErrorClass> = Some(ErrorClass::ContextWindowExceeded);

    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        let max_input_tokens = self.table.deployment(d).config.max_input_tokens?;
        (max_input_tokens < self.input_tokens)
            .then_some(Filtered::ContextWindow { max_input_tokens })
    }
}
