//! The requests in progress, by slot.
//!
//! A slot names a request from its arrival to its end; an ended request's slot goes to the
//! next arrival, the most recently freed first (the order `slab` hands slots out in, which
//! the engine's outcomes depend on: an answer names its request by slot). An ended request's
//! entry is not dropped but kept for the next arrival to overwrite in place, field by field,
//! so a request's few hundred bytes are never copied in or out and the router's per-request
//! lists keep their capacity.
//!
//! It decides only where a request's state lives; it must not look inside it.

use std::ops::{Index, IndexMut};

/// Entries by slot, with the free slots on a stack.
pub(super) struct InProgress<T> {
    entries: Vec<T>,
    live: Vec<bool>,
    free: Vec<u32>,
}

impl<T> InProgress<T> {
    /// An empty table with room for `capacity` requests.
    pub(super) fn with_capacity(capacity: usize) -> Self {
        InProgress {
            entries: Vec::with_capacity(capacity),
            live: Vec::with_capacity(capacity),
            free: Vec::new(),
        }
    }

    /// A slot for a new request and its entry: an ended request's, for the caller to overwrite
    /// in full, or `blank()` when none is free.
    #[inline]
    pub(super) fn claim(&mut self, blank: impl FnOnce() -> T) -> (u32, &mut T) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.live[slot as usize] = true;
                slot
            }
            None => {
                self.entries.push(blank());
                self.live.push(true);
                u32::try_from(self.entries.len() - 1).expect("fewer than 2^32 requests at once")
            }
        };
        (slot, &mut self.entries[slot as usize])
    }

    /// The request in `slot`, if one is in progress there.
    #[inline]
    pub(super) fn get(&self, slot: u32) -> Option<&T> {
        let i = slot as usize;
        self.live
            .get(i)
            .copied()
            .unwrap_or(false)
            .then(|| &self.entries[i])
    }

    /// Ends the request in `slot`; its entry waits for the next arrival.
    #[inline]
    pub(super) fn end(&mut self, slot: u32) {
        let live = &mut self.live[slot as usize];
        debug_assert!(*live, "slot {slot} ended twice");
        *live = false;
        self.free.push(slot);
    }
}

impl<T> Index<u32> for InProgress<T> {
    type Output = T;
    #[inline]
    fn index(&self, slot: u32) -> &T {
        debug_assert!(self.live[slot as usize], "slot {slot} is free");
        &self.entries[slot as usize]
    }
}

impl<T> IndexMut<u32> for InProgress<T> {
    #[inline]
    fn index_mut(&mut self, slot: u32) -> &mut T {
        debug_assert!(self.live[slot as usize], "slot {slot} is free");
        &mut self.entries[slot as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_reused_most_recently_freed_first_and_ended_ones_read_as_absent() {
        let mut t = InProgress::with_capacity(0);
        let slots: Vec<u32> = (0..4).map(|i| t.claim(|| i).0).collect();
        assert_eq!(slots, [0, 1, 2, 3]);
        t.end(1);
        t.end(3);
        assert_eq!(t.get(1), None);
        assert_eq!(t.get(3), None);
        assert_eq!(t.get(2), Some(&2));
        assert_eq!(t.get(9), None, "a slot never handed out is absent");
        let (slot, entry) = t.claim(|| unreachable!("a freed slot is reused"));
        assert_eq!(
            (slot, *entry),
            (3, 3),
            "the old entry is handed back to overwrite"
        );
        *entry = 30;
        assert_eq!(t.claim(|| unreachable!()).0, 1);
        assert_eq!(t.claim(|| 4).0, 4);
        assert_eq!(t[3], 30);
    }

    /// The slots handed out match `slab`'s for any sequence of arrivals and ends.
    #[test]
    fn hands_out_the_slots_slab_would() {
        let mut t = InProgress::with_capacity(0);
        let mut reference = slab::Slab::new();
        let mut live: Vec<u32> = Vec::new();
        let mut state = 12345u64;
        for step in 0..10_000u32 {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let end = !live.is_empty() && (state >> 33) % 5 < 2;
            if end {
                let slot = live.swap_remove((state >> 40) as usize % live.len());
                t.end(slot);
                reference.remove(slot as usize);
            } else {
                let (slot, entry) = t.claim(|| step);
                *entry = step;
                assert_eq!(slot as usize, reference.insert(step));
                live.push(slot);
            }
        }
        for &slot in &live {
            assert_eq!(t.get(slot), reference.get(slot as usize));
        }
    }
}
