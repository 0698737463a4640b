//! What happens when a group gives up: the next `order` tier of the same group, then the
//! fallback lists walked depth-first (each group with its own retries, `max_fallbacks` bounding
//! the depth, targets already tried skipped), and finally the request's error.
//!
//! It decides only the next route or the end; choosing a deployment in that route is
//! `selection`'s, and counting retries is the caller's.

use super::Router;
use super::call::{Call, Frame, GroupFailure, ListRef};
use super::error_class::ErrorClass;
use super::request::{CallResult, Failed, Route};
use super::trace::{Trace, TraceEvent};
use crate::config::deployment_table::Target;
use crate::time::Time;

impl Router {
    /// The current group gave up with `class`: move to the next `order` tier or fallback, or
    /// finish. Returns false when the call finished.
    pub(super) fn group_failed<T: Trace>(
        &mut self,
        call: &mut Call,
        class: ErrorClass,
        now: Time,
        trace: &mut T,
    ) -> bool {
        if trace.enabled() {
            trace.event(now, TraceEvent::GroupFailed(class));
        }
        let group = self.route_group(call.current);
        call.failures.push(GroupFailure { group, class });
        // The next `order` tier of the same group is tried first, as a fallback.
        if let Route::To(target) = call.current
            && let Some(last) = call.last_deployment
            && let Some(tier) = self.table.deployment(last).config.order
            && call.tier_floor.is_none_or(|f| f <= tier)
            && let Some(next) = self.next_tier(target, tier)
            && !matches!(
                class,
                ErrorClass::ContextWindowExceeded | ErrorClass::ContentPolicyViolation
            )
        {
            call.tier_floor = Some(next);
            call.depth += 1;
            call.fallbacks_tried += 1;
            call.reset_group();
            if trace.enabled() {
                trace.event(now, self.group_event(call));
            }
            return true;
        }
        if !call.spec.disable_fallbacks && call.depth < self.settings.max_fallbacks {
            let list = if call.depth == 0 && call.spec.fallbacks.is_some() {
                Some(ListRef::Request)
            } else {
                match call.current {
                    Route::Unknown if call.depth == 0 => {
                        self.plans.default_list().map(ListRef::Plan)
                    }
                    Route::Unknown => None,
                    route => self
                        .plans
                        .for_failure(self.route_name(route), class.fallback_kind())
                        .map(ListRef::Plan),
                }
            };
            if let Some(list) = list {
                call.frames.push(Frame {
                    list,
                    next: 0,
                    depth: call.depth + 1,
                });
            }
        }
        while let Some(frame) = call.frames.last_mut() {
            let list: &[Route] = match frame.list {
                ListRef::Plan(id) => self.plans.list(id),
                ListRef::Request => call.spec.fallbacks.as_deref().unwrap_or(&[]),
            };
            if let Some(route) = list.get(frame.next as usize).copied() {
                frame.next += 1;
                // LiteLLM skips targets this request already tried (cycles included).
                let group = match route {
                    Route::To(Target::Group(g)) => Some(g),
                    Route::To(Target::Deployment(d)) => Some(self.table.deployment(d).group),
                    Route::Unknown => None,
                };
                if group.is_some() && call.failures.iter().any(|f| f.group == group) {
                    continue;
                }
                call.depth = frame.depth;
                call.current = route;
                call.fallbacks_tried += 1;
                call.tier_floor = None;
                call.last_deployment = None;
                call.reset_group();
                if trace.enabled() {
                    trace.event(now, self.group_event(call));
                }
                return true;
            }
            call.frames.pop();
        }
        call.result = Some(CallResult::Failed(Failed {
            class,
            retry_after: call.last_retry_after,
            last_deployment: call.last_deployment,
            attempts: call.attempts,
            retries: call.group_attempts.saturating_sub(1),
            fallbacks: call.depth,
        }));
        false
    }
}
