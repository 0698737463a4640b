//! The future event list: events ordered by (time, insertion sequence).
//!
//! Same-instant events come out first-in first-out, so order never depends on a hash map or
//! an allocator (nexosim's rule). The engine jumps from event to event; nothing ticks.
//!
//! It decides only the order events come out in; it must not look at what an event is. The
//! list is a 4-ary min-heap of small keys — the instant, the sequence number and where the
//! event waits — while the events themselves stay put in a side table: a pop compares and
//! moves 24-byte keys along a path half as deep as a binary heap's, and an event is written
//! once and read once.

use crate::time::Time;

/// Children per node.
const ARITY: usize = 4;

/// An event's place in the order, and where the event itself waits.
#[derive(Debug, Clone, Copy)]
struct Key {
    at: u64,
    seq: u64,
    slot: u32,
}

impl Key {
    /// Whether `self` comes out before `other`.
    #[inline(always)]
    fn before(&self, other: &Key) -> bool {
        (self.at, self.seq) < (other.at, other.seq)
    }
}

/// Pending events, earliest first, ties in insertion order.
pub struct EventQueue<E> {
    heap: Vec<Key>,
    /// The events, by slot; a slot in `free` holds a stale one.
    events: Vec<E>,
    free: Vec<u32>,
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
            heap: Vec::with_capacity(capacity),
            events: Vec::with_capacity(capacity),
            free: Vec::with_capacity(capacity),
            next_seq: 0,
        }
    }

    /// Pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// True when nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
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
                u32::try_from(self.events.len() - 1).expect("fewer than 2^32 pending events")
            }
        };
        let key = Key {
            at: at.as_nanos(),
            seq: self.next_seq,
            slot,
        };
        self.next_seq += 1;
        self.heap.push(key);
        self.sift_up(self.heap.len() - 1, key);
    }

    /// Removes and returns the earliest event.
    #[inline]
    pub fn pop(&mut self) -> Option<(Time, E)> {
        let last = self.heap.pop()?;
        let top = match self.heap.first().copied() {
            Some(top) => {
                self.sift_down(last);
                top
            }
            None => last,
        };
        self.free.push(top.slot);
        Some((Time::from_nanos(top.at), self.events[top.slot as usize]))
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
            let end = (first + ARITY).min(len);
            let mut best = first;
            for child in first + 1..end {
                if self.heap[child].before(&self.heap[best]) {
                    best = child;
                }
            }
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

    fn op() -> impl Strategy<Value = Op> {
        // Few distinct instants, so equal times are common.
        prop_oneof![3 => (0u64..20).prop_map(Op::Push), 2 => Just(Op::Pop)]
    }

    proptest! {
        /// Any interleaving of pushes and pops gives what a binary heap keyed by
        /// (time, insertion number) gives.
        #[test]
        fn matches_a_reference_binary_heap(ops in prop::collection::vec(op(), 0..400)) {
            let mut q = EventQueue::default();
            let mut reference = BinaryHeap::new();
            let mut n = 0u64;
            for op in ops {
                match op {
                    Op::Push(at) => {
                        q.push(Time::from_nanos(at), n);
                        reference.push(Reverse((at, n)));
                        n += 1;
                    }
                    Op::Pop => {
                        let expected = reference.pop().map(|Reverse((at, n))| (Time::from_nanos(at), n));
                        prop_assert_eq!(q.pop(), expected);
                    }
                }
                prop_assert_eq!(q.len(), reference.len());
            }
            while let Some(Reverse((at, n))) = reference.pop() {
                prop_assert_eq!(q.pop(), Some((Time::from_nanos(at), n)));
            }
            prop_assert!(q.is_empty());
        }
    }
}
