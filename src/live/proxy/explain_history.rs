//! The bounded history of explanations behind `GET /router/explain/<id>`: the last
//! `switchyard_settings.explain_history` explained requests (default 1000), the oldest forgotten
//! first, and whether a request is traced at all (it asked, or `explain_every_request` is on).
//!
//! It decides what is kept and for how long; what an explanation says is
//! [`super::explain`]'s, and it makes no routing decision.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use super::explain::Events;
use crate::config::improvements::{DEFAULT_EXPLAIN_HISTORY, Improvements};
use crate::time::Time;

/// One request's explanation as kept.
#[derive(Debug, Clone)]
pub struct Explained {
    /// The proxy's request id.
    pub request_id: u64,
    /// The model as requested.
    pub model: String,
    /// What the client got (499: it left first).
    pub status: u16,
    /// When it arrived, on the proxy's clock.
    pub arrived: Time,
    /// The router's events.
    pub events: Events,
}

/// The recent explanations, newest last.
#[derive(Debug)]
pub struct Explanations {
    capacity: usize,
    every_request: bool,
    kept: Mutex<VecDeque<Arc<Explained>>>,
}

impl Explanations {
    /// A history of `capacity` explanations; with `every_request`, every request is traced.
    pub fn new(capacity: usize, every_request: bool) -> Self {
        Explanations {
            capacity,
            every_request,
            kept: Mutex::new(VecDeque::with_capacity(capacity.min(4096))),
        }
    }

    /// The history `switchyard_settings` asks for.
    pub fn configured(improvements: &Improvements) -> Self {
        let capacity = improvements
            .explain_history
            .unwrap_or(DEFAULT_EXPLAIN_HISTORY);
        Explanations::new(capacity, improvements.explain_every_request)
    }

    /// Whether a request (that `asked` or not) is traced.
    pub fn traces(&self, asked: bool) -> bool {
        asked || (self.every_request && self.capacity > 0)
    }

    /// How many explanations are kept at most.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether explanations are kept at all.
    pub fn keeps(&self) -> bool {
        self.capacity > 0
    }

    /// Keeps `explained`, forgetting the oldest beyond the capacity.
    pub fn keep(&self, explained: Explained) {
        if self.capacity == 0 {
            return;
        }
        let mut kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        if kept.len() == self.capacity {
            kept.pop_front();
        }
        kept.push_back(Arc::new(explained));
    }

    /// The explanation of request `id`, if it is still kept.
    pub fn find(&self, id: u64) -> Option<Arc<Explained>> {
        let kept = self.kept.lock().unwrap_or_else(|p| p.into_inner());
        kept.iter().rev().find(|e| e.request_id == id).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn explained(id: u64) -> Explained {
        Explained {
            request_id: id,
            model: "m".into(),
            status: 200,
            arrived: Time::ZERO,
            events: Vec::new(),
        }
    }

    #[test]
    fn the_history_forgets_the_oldest_beyond_its_capacity() {
        let history = Explanations::new(2, false);
        for id in 1..=3 {
            history.keep(explained(id));
        }
        assert!(history.find(1).is_none(), "the oldest is forgotten");
        assert_eq!(history.find(2).map(|e| e.request_id), Some(2));
        assert_eq!(history.find(3).map(|e| e.request_id), Some(3));
        let none = Explanations::new(0, true);
        none.keep(explained(1));
        assert!(none.find(1).is_none() && !none.traces(false) && none.traces(true));
    }
}
