//! ROUTING.md §8 as a filter (`enable_tag_filtering`): which deployments a request's tags admit.
//!
//! A tagged request goes to deployments whose tags match (any, or all with
//! `tag_filtering_match_any: false`), else — when none of its tags is known to the group (carried
//! by any member, cooling or not) — to those tagged `default`, else nowhere; an untagged request
//! goes to `default`-tagged deployments when there are any, else anywhere. When none is left the
//! group fails with LiteLLM's tag refusal. The rule depends on the candidates, so it is chosen
//! once per decision; it decides only the exclusion.

use super::Filter;
use crate::config::deployment_table::DeploymentIdx;
use crate::router::error_class::ErrorClass;
use crate::router::tags::{RequestTags, TagSet, matches};
use crate::router::trace::Filtered;

/// Which deployments are admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Admit {
    /// Those matching the request's tags.
    Matching,
    /// Those tagged `default`.
    Default,
    /// Every deployment.
    All,
    /// None.
    Nothing,
}

/// Excludes deployments the request's tags do not admit.
pub(in crate::router) struct Tags<'a> {
    deployment_tags: &'a [TagSet],
    request: &'a RequestTags,
    default: TagSet,
    match_any: bool,
    admit: Admit,
}

impl<'a> Tags<'a> {
    /// The rule for `request` among `candidates`, in a group whose members carry the tags
    /// `known` between them ([`TagSet::EMPTY`] for a pinned deployment, which LiteLLM looks up as
    /// a group of its own name).
    ///
    /// As LiteLLM 1.108.7's `get_deployments_for_tag` (router_strategy/tag_based_routing.py
    /// 608–642): when no candidate matches, the `default` deployments are used only if none of
    /// the request's tags is known to the group (`_tag_known_to_group`); otherwise the request is
    /// refused. With match-any this bites only when the deployments carrying the tag are
    /// filtered out (cooling, say); with match-all, whenever a tag set is carried only in part.
    pub(in crate::router) fn new(
        candidates: &[DeploymentIdx],
        deployment_tags: &'a [TagSet],
        request: &'a RequestTags,
        default: TagSet,
        match_any: bool,
        known: TagSet,
    ) -> Self {
        let mut tags = Tags {
            deployment_tags,
            request,
            default,
            match_any,
            admit: Admit::Nothing,
        };
        let any = |admit| candidates.iter().any(|d| tags.admits(admit, *d));
        tags.admit = if request.is_empty() {
            if any(Admit::Default) {
                Admit::Default
            } else {
                Admit::All
            }
        } else if any(Admit::Matching) {
            Admit::Matching
        } else if !known.intersects(request.set) && any(Admit::Default) {
            Admit::Default
        } else {
            Admit::Nothing
        };
        tags
    }

    fn admits(&self, admit: Admit, d: DeploymentIdx) -> bool {
        let tags = self.deployment_tags[d.get()];
        match admit {
            Admit::Matching => matches(tags, self.request, self.match_any),
            Admit::Default => tags.intersects(self.default),
            Admit::All => true,
            Admit::Nothing => false,
        }
    }
}

impl Filter for Tags<'_> {
    const REFUSAL: Option<ErrorClass> = Some(ErrorClass::TagsNotAllowed);

    fn excludes(&self, d: DeploymentIdx) -> Option<Filtered> {
        (!self.admits(self.admit, d)).then_some(Filtered::Tags)
    }
}
