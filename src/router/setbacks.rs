//! The lists a call fills only when something goes wrong — the groups that failed, the
//! fallback lists being walked, the deployments skipped or tried in the current group — kept
//! out of line.
//!
//! Most requests never fail, and a driver that keeps calls for its next requests (the
//! simulator) reads and rewrites every byte of a call each request: four empty lists held in
//! the call would be a hundred bytes of it. Here they cost the call a pointer and a flag. The
//! lists are allocated at a call's first setback and kept, cleared, for the requests its
//! entry serves after it; a request that has none reads and clears nothing (the flag says the
//! kept lists belong to an earlier request).
//!
//! It decides only where the lists live; what goes in them is the fallback walk's and the
//! router's business.

use crate::config::deployment_table::DeploymentIdx;
use crate::router::call::{Frame, GroupFailure};

/// The lists themselves.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Lists {
    /// The fallback lists being walked, innermost last.
    pub(super) frames: Vec<Frame>,
    /// The groups that failed, in the order they were tried.
    pub(super) failures: Vec<GroupFailure>,
    /// Deployments of the current group that failed with a status not retried on the same
    /// deployment.
    pub(super) skipped: Vec<DeploymentIdx>,
    /// Deployments of the current group that failed (kept only with the
    /// `prefer_untried_deployment` improvement).
    pub(super) tried: Vec<DeploymentIdx>,
}

impl Lists {
    fn clear(&mut self) {
        let Lists {
            frames,
            failures,
            skipped,
            tried,
        } = self;
        frames.clear();
        failures.clear();
        skipped.clear();
        tried.clear();
    }

    fn is_empty(&self) -> bool {
        self.frames.is_empty()
            && self.failures.is_empty()
            && self.skipped.is_empty()
            && self.tried.is_empty()
    }
}

/// A call's lists: none until its first setback.
#[derive(Debug, Clone, Default)]
pub(super) struct Setbacks {
    kept: Option<Box<Lists>>,
    /// Whether `kept` holds this request's lists (else an earlier request's, to be cleared).
    current: bool,
}

impl Setbacks {
    /// The lists, if this request has had a setback.
    #[inline]
    pub(super) fn get(&self) -> Option<&Lists> {
        self.kept.as_deref().filter(|_| self.current)
    }

    /// The lists, made (or taken over from an earlier request, cleared) if need be.
    pub(super) fn get_mut(&mut self) -> &mut Lists {
        let kept = self.kept.get_or_insert_with(Box::default);
        if !self.current {
            kept.clear();
            self.current = true;
        }
        kept
    }

    /// For a new request: nothing is read or cleared now; the kept lists are cleared at its
    /// first setback.
    #[inline]
    pub(super) fn restart(&mut self) {
        self.current = false;
    }

    /// The groups that failed, in the order they were tried.
    #[inline]
    pub(super) fn failures(&self) -> &[GroupFailure] {
        self.get().map_or(&[], |l| &l.failures)
    }

    /// The current group's skipped deployments.
    #[inline]
    pub(super) fn skipped(&self) -> &[DeploymentIdx] {
        self.get().map_or(&[], |l| &l.skipped)
    }

    /// The current group's tried deployments.
    #[inline]
    pub(super) fn tried(&self) -> &[DeploymentIdx] {
        self.get().map_or(&[], |l| &l.tried)
    }

    /// Forgets the current group's deployments, for the next group.
    pub(super) fn new_group(&mut self) {
        if let Some(lists) = self.kept.as_deref_mut().filter(|_| self.current) {
            lists.skipped.clear();
            lists.tried.clear();
        }
    }
}

/// Equal when the request's lists are: kept lists of an earlier request count as none, and
/// no lists as empty ones.
impl PartialEq for Setbacks {
    fn eq(&self, other: &Setbacks) -> bool {
        match (self.get(), other.get()) {
            (Some(a), Some(b)) => a == b,
            (Some(l), None) | (None, Some(l)) => l.is_empty(),
            (None, None) => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::deployment_table::GroupIdx;
    use crate::router::{ErrorClass, Route};

    fn failure(group: u32) -> GroupFailure {
        GroupFailure {
            group: Some(GroupIdx(group)),
            route: Route::Unknown,
            class: ErrorClass::RateLimit,
            retry_after: None,
        }
    }

    #[test]
    fn a_restart_hides_the_earlier_requests_lists_and_the_next_setback_clears_them() {
        let mut s = Setbacks::default();
        assert!(s.get().is_none(), "no lists before a setback");
        s.get_mut().failures.push(failure(1));
        s.get_mut().skipped.push(DeploymentIdx(3));
        assert_eq!(s.failures(), [failure(1)]);
        s.restart();
        assert!(s.failures().is_empty() && s.skipped().is_empty());
        assert_eq!(s, Setbacks::default(), "equal to a call with no lists");
        s.get_mut().tried.push(DeploymentIdx(2));
        assert_eq!(s.tried(), [DeploymentIdx(2)]);
        assert!(s.skipped().is_empty(), "the earlier request's were cleared");
        assert_ne!(s, Setbacks::default());
    }

    #[test]
    fn a_new_group_forgets_its_deployments_but_not_the_failed_groups() {
        let mut s = Setbacks::default();
        s.new_group();
        assert!(s.get().is_none(), "nothing made for a group change");
        let lists = s.get_mut();
        lists.failures.push(failure(0));
        lists.skipped.push(DeploymentIdx(1));
        lists.tried.push(DeploymentIdx(1));
        s.new_group();
        assert!(s.skipped().is_empty() && s.tried().is_empty());
        assert_eq!(s.failures(), [failure(0)]);
    }
}
