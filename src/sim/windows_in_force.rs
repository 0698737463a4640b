//! Which of a provider's fault windows (outages, brownouts) are in force at an instant.
//!
//! A replay's fitted providers can carry hundreds of windows (one for each stretch of errors
//! the log shows), and every attempt asks which cover its instant. Simulated time only moves
//! forward, so the answer is kept up to date instead of recomputed: windows join the set when
//! their start is reached (in start order) and leave it once their end has passed. A caller
//! whose instant goes back (a live driver's clock read outside its lock, say) gets the set
//! rebuilt from scratch, so the answer is always the windows `w` with `w.start <= now < w.end`,
//! in list order.
//!
//! A handful of windows (at most [`SCAN_AT_MOST`], a hand-written scenario's) are simply checked
//! one by one at each instant, which is cheaper than keeping the set.
//!
//! It decides only which windows cover an instant; what a window does is `faults`'s.

use crate::time::Time;

/// Up to this many windows are checked one by one at each instant instead of tracked.
pub(super) const SCAN_AT_MOST: usize = 8;

/// The windows in force at the last instant asked about.
#[derive(Debug, Clone, Default)]
pub(super) struct WindowsInForce {
    /// How many windows there are.
    count: usize,
    /// Window indices by start (ties in list order); empty when they are scanned.
    by_start: Vec<u32>,
    /// `by_start[next..]` had not started at the last instant.
    next: usize,
    /// Windows started and not ended at the last instant, in list order.
    in_force: Vec<u32>,
    last: Time,
}

impl WindowsInForce {
    /// The tracker for `spans`, the windows' (start, end) in list order.
    pub(super) fn new(spans: impl Iterator<Item = (Time, Time)>) -> Self {
        let starts: Vec<Time> = spans.map(|(start, _)| start).collect();
        let mut by_start: Vec<u32> = Vec::new();
        if starts.len() > SCAN_AT_MOST {
            by_start.extend(0..starts.len() as u32);
            by_start.sort_by_key(|&i| starts[i as usize]);
        }
        WindowsInForce {
            count: starts.len(),
            by_start,
            ..WindowsInForce::default()
        }
    }

    /// The indices of the windows covering `now`, in list order; `span(i)` is window `i`'s
    /// (start, end), the same windows the tracker was made for.
    #[inline]
    pub(super) fn at(&mut self, now: Time, span: impl Fn(usize) -> (Time, Time)) -> &[u32] {
        if self.count == 0 {
            return &[];
        }
        if self.count <= SCAN_AT_MOST {
            self.in_force.clear();
            for i in 0..self.count {
                let (start, end) = span(i);
                if start <= now && now < end {
                    self.in_force.push(i as u32);
                }
            }
            return &self.in_force;
        }
        if now < self.last {
            self.next = 0;
            self.in_force.clear();
        }
        self.last = now;
        let before = self.in_force.len();
        while let Some(&i) = self.by_start.get(self.next) {
            if span(i as usize).0 > now {
                break;
            }
            self.in_force.push(i);
            self.next += 1;
        }
        if self.in_force.len() > before {
            self.in_force.sort_unstable();
        }
        if self.in_force.iter().any(|&i| span(i as usize).1 <= now) {
            self.in_force.retain(|&i| span(i as usize).1 > now);
        }
        &self.in_force
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn naive(spans: &[(Time, Time)], now: Time) -> Vec<u32> {
        (0..spans.len() as u32)
            .filter(|&i| {
                let (start, end) = spans[i as usize];
                start <= now && now < end
            })
            .collect()
    }

    #[test]
    fn windows_join_at_their_start_and_leave_at_their_end_in_list_order() {
        let t = Time::from_nanos;
        let spans = [(t(5), t(9)), (t(0), t(6)), (t(5), t(5)), (t(7), t(3))];
        let mut w = WindowsInForce::new(spans.iter().copied());
        let span = |i: usize| spans[i];
        assert_eq!(w.at(t(0), span), [1]);
        assert_eq!(w.at(t(5), span), [0, 1], "list order, not start order");
        assert_eq!(w.at(t(6), span), [0], "the end is exclusive");
        assert_eq!(
            w.at(t(2), span),
            [1],
            "an instant that goes back is answered exactly"
        );
        assert!(w.at(t(9), span).is_empty());
    }

    proptest! {
        /// Any run of instants, mostly forward with some going back, over any windows (empty
        /// and inverted ones included) gets what filtering the whole list gives.
        #[test]
        fn matches_filtering_every_window(
            raw in prop::collection::vec((0u64..40, 0u64..40), 0..30),
            steps in prop::collection::vec((0u64..6, prop::bool::weighted(0.1)), 0..80),
        ) {
            let spans: Vec<(Time, Time)> = raw
                .iter()
                .map(|&(s, e)| (Time::from_nanos(s), Time::from_nanos(e)))
                .collect();
            let mut w = WindowsInForce::new(spans.iter().copied());
            let mut now = 0u64;
            for (step, back) in steps {
                now = if back { now.saturating_sub(step * 3) } else { now + step };
                let now = Time::from_nanos(now);
                let expected = naive(&spans, now);
                prop_assert_eq!(w.at(now, |i| spans[i]), expected.as_slice());
            }
        }
    }
}
