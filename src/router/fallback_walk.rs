//! What happens when a group gives up: the next `order` tier of the same group, then the
//! fallback lists walked depth-first (each group with its own retries, `max_fallbacks` bounding
//! LiteLLM's attempted-fallbacks count, targets already tried skipped), and finally the
//! request's error.
//!
//! It decides only the next route or the end, and moves the [`Call`] there; choosing a
//! deployment in that route is `eligibility`'s, and counting retries is `retry`'s. It reads no
//! live state (cooldowns, usage, spend).

use std::time::Duration;

use super::call::{Call, Frame, GroupFailure, ListRef};
use super::error_class::ErrorClass;
use super::fallback::FallbackPlans;
use super::request::{Failed, Route};
use super::trace::{Trace, TraceEvent};
use crate::config::RouterSettings;
use crate::config::deployment_table::{DeploymentTable, GroupIdx, Target};
use crate::time::Time;

/// What the walk reads: the groups, the fallback lists and `max_fallbacks`.
#[derive(Clone, Copy)]
pub(super) struct Walk<'a> {
    /// Group names and members, and each deployment's `order`.
    pub(super) table: &'a DeploymentTable,
    /// The configured fallback lists.
    pub(super) plans: &'a FallbackPlans,
    /// Read for `max_fallbacks` only.
    pub(super) settings: &'a RouterSettings,
}

/// Where a failed group leaves the request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Next {
    /// The call now tries another tier or group.
    MovedOn,
    /// Nothing is left: the request fails with this.
    GaveUp(Failed),
}

impl Walk<'_> {
    /// The group a route tries (a deployment id's group), `None` for an unknown name or a
    /// `litellm_params.model` (its deployments may span groups; LiteLLM names it by itself).
    pub(super) fn route_group(&self, route: Route) -> Option<GroupIdx> {
        match route {
            Route::To(target) => self.table.target_group(&target),
            Route::Unknown => None,
        }
    }

    /// Whether `failure` was a failure of what `route` tries: the same group, or the same
    /// `litellm_params.model`. An unknown name is never the same (it fails again as unknown).
    fn already_failed(&self, failure: &GroupFailure, route: Route) -> bool {
        match self.route_group(route) {
            Some(group) => failure.group == Some(group),
            None => matches!(route, Route::To(Target::Model(_))) && failure.route == route,
        }
    }

    /// The trace event announcing the call's current group.
    pub(super) fn group_event(&self, call: &Call) -> TraceEvent {
        TraceEvent::Group {
            route: call.current,
            depth: call.depth,
        }
    }

    /// The current group gave up with `class`: move `call` to the next `order` tier or
    /// fallback, or say what it fails with.
    ///
    /// The failure is recorded on the call first (so the walk skips that group from now on,
    /// and the final message lists it). When nothing is left, the request fails with the
    /// primary group's error ([`Walk::final_error`]); its retries are those of the last group
    /// tried.
    pub(super) fn group_failed<T: Trace>(
        &self,
        call: &mut Call,
        class: ErrorClass,
        now: Time,
        trace: &mut T,
    ) -> Next {
        if trace.enabled() {
            trace.event(now, TraceEvent::GroupFailed(class));
        }
        let group = self.route_group(call.current);
        let retry_after = call.last_retry_after;
        call.setbacks.get_mut().failures.push(GroupFailure {
            group,
            route: call.current,
            class,
            retry_after,
        });
        if self.next_tier(call, class) || self.next_fallback(call, class) {
            if trace.enabled() {
                trace.event(now, self.group_event(call));
            }
            return Next::MovedOn;
        }
        let last_class = class;
        let (class, retry_after) = self.final_error(call, (class, retry_after));
        Next::GaveUp(Failed {
            // LiteLLM's message is the final error's, then the last fallback's.
            out_of_deployments: class.is_out_of_deployments() || last_class.is_out_of_deployments(),
            class,
            retry_after,
            last_deployment: call.last_deployment,
            attempts: call.attempts,
            retries: call.group.sent.saturating_sub(1),
            fallbacks: call.outer_fallbacks,
        })
    }

    /// The error a request whose every group failed ends with, given the one its last group
    /// just failed with: the primary group's, as LiteLLM 1.108.7 raises it (the original
    /// exception, whatever the fallbacks said), or the last group's with the
    /// `final_error_last_group` improvement.
    fn final_error(
        &self,
        call: &Call,
        last: (ErrorClass, Option<Duration>),
    ) -> (ErrorClass, Option<Duration>) {
        if self.settings.improvements.final_error_last_group {
            return last;
        }
        call.group_failures()
            .first()
            .map_or(last, |primary| (primary.class, primary.retry_after))
    }

    /// LiteLLM tries the next `order` tier of the same group first, as a fallback (not for
    /// context-window or content-policy failures, which have fallbacks of their own).
    ///
    /// Applies only when the last attempt's deployment sets `order` and the group has a higher
    /// one; the move counts as one fallback (LiteLLM puts the higher tiers first in the failed
    /// group's fallback list), raises the call's tier floor and gives the tier fresh retries. A
    /// refusal before any attempt in the group moves no tier.
    fn next_tier(&self, call: &mut Call, class: ErrorClass) -> bool {
        if matches!(
            class,
            ErrorClass::ContextWindowExceeded | ErrorClass::ContentPolicyViolation
        ) {
            return false;
        }
        let (Route::To(Target::Group(group)), Some(last)) = (call.current, call.last_deployment)
        else {
            return false;
        };
        let Some(tier) = self.table.deployment(last).config.order else {
            return false;
        };
        if call.tier_floor.is_some_and(|floor| floor > tier) {
            return false;
        }
        let Some(next) = self.tier_above(group, tier) else {
            return false;
        };
        call.tier_floor = Some(next);
        if call.depth == 0 {
            call.outer_fallbacks = 1;
        }
        call.depth += 1;
        call.reset_group();
        true
    }

    /// The lowest `order` above `tier` among `group`'s deployments.
    fn tier_above(&self, group: GroupIdx, tier: u32) -> Option<u32> {
        self.table
            .group(group)
            .members
            .iter()
            .filter_map(|d| self.table.deployment(*d).config.order)
            .filter(|o| *o > tier)
            .min()
    }

    /// Pushes the failed group's fallback list (within `max_fallbacks`), then takes the next
    /// untried target of the innermost list, depth-first.
    ///
    /// Counts as LiteLLM 1.108.7's `run_async_fallback` does
    /// (router_utils/fallback_event_handlers.py 762–838): a list starts from the failed group's
    /// count, and each target tried from it adds one, so the second target of a list pushed at
    /// count 0 runs at count 2. A list is pushed only while the failed group's count is below
    /// `max_fallbacks`: the setting bounds that count, not a list's length (a list is walked in
    /// full) nor the nesting as such. The count of the outermost list is what the response
    /// reports. A target whose group already failed in this request is skipped (and not
    /// counted); an unknown name is not (it fails as an unknown model). An exhausted list is
    /// popped and its parent list resumes.
    fn next_fallback(&self, call: &mut Call, class: ErrorClass) -> bool {
        if !call.spec.disable_fallbacks
            && call.depth < self.settings.max_fallbacks
            && let Some(list) = self.list_for(call, class)
        {
            call.setbacks.get_mut().frames.push(Frame {
                list,
                next: 0,
                base: call.depth,
                taken: 0,
            });
        }
        // A failure was just recorded, so the call has its lists.
        let lists = call.setbacks.get_mut();
        while let Some(frame) = lists.frames.last_mut() {
            let list: &[Route] = match frame.list {
                ListRef::Plan(id) => self.plans.list(id),
                ListRef::Request => call.spec.fallbacks.as_deref().unwrap_or(&[]),
            };
            let Some(route) = list.get(frame.next as usize).copied() else {
                lists.frames.pop();
                continue;
            };
            frame.next += 1;
            // LiteLLM skips targets this request already tried (cycles included).
            if lists.failures.iter().any(|f| self.already_failed(f, route)) {
                continue;
            }
            frame.taken += 1;
            call.depth = frame.base + frame.taken;
            if frame.base == 0 {
                call.outer_fallbacks = call.depth;
            }
            call.current = route;
            call.tier_floor = None;
            call.last_deployment = None;
            call.reset_group();
            return true;
        }
        false
    }

    /// The list a failure of the call's current group falls back along: the request's own
    /// `fallbacks` at depth 0, `default_fallbacks` for an unknown name, else the configured
    /// list for the failure's kind.
    fn list_for(&self, call: &Call, class: ErrorClass) -> Option<ListRef> {
        if call.depth == 0 && call.spec.fallbacks.is_some() {
            return Some(ListRef::Request);
        }
        match call.current {
            Route::Unknown if call.depth == 0 => self.plans.default_list().map(ListRef::Plan),
            Route::Unknown => None,
            route => self
                .plans
                .for_failure(route_name(self.table, route), class.fallback_kind())
                .map(ListRef::Plan),
        }
    }
}

/// The name of the group a route tries (a deployment id for a pinned deployment, the
/// `litellm_params.model` for the deployments calling it).
pub(super) fn route_name(table: &DeploymentTable, route: Route) -> &str {
    match route {
        Route::To(Target::Group(g)) => &table.group(g).name,
        Route::To(Target::Deployment(d)) => &table.deployment(d).config.id,
        Route::To(Target::Model(m)) => &table.litellm_model(m).name,
        Route::Unknown => "<unknown>",
    }
}
