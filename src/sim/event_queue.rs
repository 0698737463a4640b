//! The future event list: events ordered by (time, insertion sequence).
//!
//! Same-instant events come out first-in first-out, so order never depends on a hash map or
//! an allocator (nexosim's rule). The engine jumps from event to event; nothing ticks.
//!
//! It decides only the order events come out in; it must not look at what an event is. The
//! list is a 4-ary min-heap of small keys — the instant, the sequence number and where the
//! event waits — while the events themselves stay put in a side table: a pop compares and
//! moves 16-byte keys along a path half as deep as a binary heap's, and an event is written
//! once and read once. The earliest key pushed since the last pop waits beside the heap (the
//! "lane"): in a simulation the event scheduled last is often the next one out (the next
//! arrival), and then it never enters the heap at all. Order is by key wherever a key waits,
//! so the lane changes no outcome.

use crate::time::Time;

/// Children per node.
const ARITY: usize = 4;

/// Bits of a key's tag that name the slot; the sequence number takes the rest.
const SLOT_BITS: u32 = 24;

/// The step from one sequence number to the next in a tag.
const SEQ_STEP: u64 = 1 << SLOT_BITS;

/// An event's place in the order, and where the event itself waits: the instant, then a tag
/// holding the sequence number above the slot. Sixteen bytes, so four siblings take a cache
/// line's worth (at most two lines: the heap is not aligned to them). Sequence numbers are
/// unique, so comparing tags compares them and the slot bits never decide.
#[derive(Debug, Clone, Copy)]
struct Key {
    at: u64,
    tag: u64,
}

impl Key {
    #[inline(always)]
    fn slot(&self) -> usize {
        (self.tag & ((1 << SLOT_BITS) - 1)) as usize
    }

    /// Whether `self` comes out before `other`: one 128-bit comparison, no branch.
    #[inline(always)]
    fn before(&self, other: &Key) -> bool {
        self.order() < other.order()
    }

    #[inline(always)]
    fn order(&self) -> u128 {
        (u128::from(self.at) << 64) | u128::from(self.tag)
    }
}

/// The earliest of a full set of siblings, as an offset into `c`: a small tournament the
/// compiler turns into conditional moves rather than unpredictable branches.
#[inline(always)]
fn earliest_of_four(c: &[Key; ARITY]) -> usize {
    let a = usize::from(c[1].before(&c[0]));
    let b = 2 + usize::from(c[3].before(&c[2]));
    if c[b].before(&c[a]) { b } else { a }
}

/// Pending events, earliest first, ties in insertion order.
pub struct EventQueue<E> {
    /// A key kept out of the heap: it comes out before the heap's top if it is earlier.
    lane: Option<Key>,
    heap: Vec<Key>,
    /// The events, by slot; a slot in `free` holds a stale one.
    events: Vec<E>,
    free: Vec<u32>,
    /// The next event's sequence number, already shifted into place in a tag.
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue::with_capacity(0)
    }
}

impl<E> EventQueue<E> {
    /// An empty queue with room for `capacity` events.
    pub fn with_capacity(capacity: usize) -> Self {
        EventQueue {
            lane: None,
            heap: Vec::with_capacity(capacity),
            events: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len() + usize::from(self.lane.is_some())
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.lane.is_none() && self.heap.is_empty()
    }
}

impl<E: Copy> EventQueue<E> {
    /// Schedules `event` at `at`.
    #[inline]
    pub fn push(&mut self, at: Time, event: E) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.events[slot as usize] = event;
                slot
            }
            None => {
                self.events.push(event);
                let slot = self.events.len() - 1;
                assert!(slot < 1 << SLOT_BITS, "fewer than 2^24 pending events");
                slot as u32
            }
        };
        let key = Key {
            at: at.as_nanos(),
            tag: self.next_seq | u64::from(slot),
        };
        self.next_seq = self
            .next_seq
            .checked_add(SEQ_STEP)
            .expect("fewer than 2^40 events in a simulation");
        match self.lane {
            None => self.lane = Some(key),
            Some(waiting) if key.before(&waiting) => {
                self.heap_push(waiting);
                self.lane = Some(key);
            }
            Some(_) => self.heap_push(key),
        }
    }

    /// Removes and returns the earliest event.
    #[cfg_attr(not(feature = "profile-parts"), inline)]
    #[cfg_attr(feature = "profile-parts", inline(never))]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let from_lane = match (&self.lane, self.heap.first()) {
            (Some(waiting), Some(top)) => waiting.before(top),
            (Some(_), None) => true,
            (None, _) => false,
        };
        let key = if from_lane {
            self.lane.take()?
        } else {
            self.heap_pop()?
        };
        let slot = key.slot();
        self.free.push(slot as u32);
        Some((Time::from_nanos(key.at), self.events[slot]))
    }

    #[inline(always)]
    fn heap_push(&mut self, key: Key) {
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1, key);
    }

    #[inline(always)]
    fn heap_pop(&mut self) -> Option<Key> {
        let last = self.heap.pop()?;
        match self.heap.first().copied() {
            Some(top) => {
                self.sift_down(last);
                Some(top)
            }
            None => Some(last),
        }
    }

    /// Moves `key`, placed at `hole`, up to where its parent comes before it.
    #[inline(always)]
    fn sift_up(&mut self, mut hole: usize, key: Key) {
        while hole > 0 {
            let parent = (hole - 1) / ARITY;
            let above = self.heap[parent];
            if !key.before(&above) {
                break;
            }
            self.heap[hole] = above;
            hole = parent;
        }
        self.heap[hole] = key;
    }

    /// Places `key` from the root down, lifting the earliest child into each hole it passes.
    #[inline(always)]
    fn sift_down(&mut self, key: Key) {
        let len = self.heap.len();
        let mut hole = 0;
        loop {
            let first = hole * ARITY + 1;
            if first >= len {
                break;
            }
            let siblings: Option<&[Key; ARITY]> = self
                .heap
                .get(first..first + ARITY)
                .and_then(|c| c.try_into().ok());
            let best = match siblings {
                Some(c) => first + earliest_of_four(c),
                None => {
                    let mut best = first;
                    for child in first + 1..len {
                        if self.heap[child].before(&self.heap[best]) {
                            best = child;
                        }
                    }
                    best
                }
            };
            if !self.heap[best].before(&key) {
                break;
            }
            self.heap[hole] = self.heap[best];
            hole = best;
        }
        self.heap[hole] = key;
    }
}

#[cfg(test)]
mod tests {
    use std::cmp::Reverse;
    use std::collections::BinaryHeap;

    use proptest::prelude::*;

    use super::*;

    #[test]
    fn earliest_first_and_ties_in_insertion_order() {
        let mut q = EventQueue::default();
        q.push(Time::from_nanos(5), "c");
        q.push(Time::from_nanos(1), "a");
        q.push(Time::from_nanos(5), "d");
        q.push(Time::from_nanos(1), "b");
        let order: Vec<&str> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, ["a", "b", "c", "d"]);
        assert!(q.is_empty());
    }

    #[test]
    fn many_events_at_one_instant_come_out_first_in_first_out() {
        let mut q = EventQueue::default();
        for i in 0..100u32 {
            q.push(Time::from_nanos(7), i);
        }
        let order: Vec<u32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn a_freed_slot_is_reused_without_mixing_up_events() {
        let mut q = EventQueue::default();
        q.push(Time::from_nanos(2), 'x');
        q.push(Time::from_nanos(1), 'y');
        assert_eq!(q.pop(), Some((Time::from_nanos(1), 'y')));
        q.push(Time::from_nanos(3), 'z');
        assert_eq!(q.len(), 2);
        assert_eq!(q.pop(), Some((Time::from_nanos(2), 'x')));
        assert_eq!(q.pop(), Some((Time::from_nanos(3), 'z')));
        assert_eq!(q.pop(), None);
    }

    /// A step of a random session: push an event at a time, or pop.
    #[derive(Debug, Clone)]
    enum Op {
        Push(u64),
        Pop,
    }

    fn op(spread: u64) -> impl Strategy<Value = Op> {
        prop_oneof![3 => (0..spread).prop_map(Op::Push), 2 => Just(Op::Pop)]
    }

    /// The queue beside a binary heap keyed by (time, insertion number), the reference: each
    /// push goes to both, each pop must take the same event out of both, and both must hold
    /// as many events after each step.
    #[derive(Default)]
    struct Paired {
        queue: EventQueue<u64>,
        reference: BinaryHeap<Reverse<(u64, u64)>>,
        pushed: u64,
    }

    impl Paired {
        fn push(&mut self, at: u64) {
            self.queue.push(Time::from_nanos(at), self.pushed);
            self.reference.push(Reverse((at, self.pushed)));
            self.pushed += 1;
            assert_eq!(self.queue.len(), self.reference.len());
        }

        /// Pops both; the instant of the event taken out.
        fn pop(&mut self) -> Option<u64> {
            let expected = self.reference.pop().map(|Reverse(e)| e);
            let got = self.queue.pop().map(|(at, e)| (at.as_nanos(), e));
            assert_eq!(got, expected);
            assert_eq!(self.queue.len(), self.reference.len());
            expected.map(|(at, _)| at)
        }

        /// Pops both until the reference is empty; then the queue must be too.
        fn drain(&mut self) {
            while self.pop().is_some() {}
            assert!(self.queue.is_empty());
        }
    }

    /// Runs `ops` on a [`Paired`] queue, then drains it.
    fn same_as_a_binary_heap(ops: Vec<Op>) {
        let mut paired = Paired::default();
        for op in ops {
            match op {
                Op::Push(at) => paired.push(at),
                Op::Pop => {
                    paired.pop();
                }
            }
        }
        paired.drain();
    }

    proptest! {
        /// Few distinct instants, so equal times are common.
        #[test]
        fn matches_a_reference_binary_heap(ops in prop::collection::vec(op(20), 0..400)) {
            same_as_a_binary_heap(ops);
        }

        /// Instants from nanoseconds to hours apart, and sessions long enough for a heap
        /// several levels deep with any number of children under its last parent.
        #[test]
        fn matches_a_binary_heap_over_wide_instants(
            ops in prop::collection::vec(prop_oneof![op(1 << 12), op(1 << 30), op(1 << 42)], 0..3000)
        ) {
            same_as_a_binary_heap(ops);
        }
    }

    /// A simulation's pattern: each event out schedules the next ones from its instant, most
    /// a few seconds on, some at once and some ten minutes on (timeouts), with the queue
    /// first growing to thousands of events and then draining.
    #[test]
    fn a_long_simulated_session_matches_a_binary_heap() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let mut paired = Paired::default();
        let (mut now, mut most) = (0u64, 0);
        for round in 0..200_000u64 {
            let pushes = if round < 100_000 {
                2
            } else {
                rng.random_range(0..2)
            };
            for _ in 0..pushes {
                let after = match rng.random_range(0..10) {
                    0 => rng.random_range(0..600_000_000_000),
                    1 => 0,
                    _ => rng.random_range(0..3_000_000_000),
                };
                paired.push(now + after);
            }
            if let Some(at) = paired.pop() {
                now = at;
            }
            most = most.max(paired.queue.len());
        }
        paired.drain();
        assert!(most > 1000, "the queue held {most} events at most");
    }
}
