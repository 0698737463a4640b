//! The proxy's shared state: the one [`Router`] every request drives, with the random stream its
//! decisions draw from, behind one lock that is held only inside `next_step`/`record` — never
//! across an await. It also counts how often a request found the lock taken (contention).
//!
//! It decides nothing about routing; it only serialises access to the router that does.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use crate::router::Router;

/// The router and its random stream.
#[derive(Debug)]
pub struct Core {
    /// The decision core.
    pub router: Router,
    /// The stream the router's random choices draw from.
    pub rng: Xoshiro256PlusPlus,
}

/// The locked core with contention counters.
#[derive(Debug)]
pub struct SharedCore {
    core: Mutex<Core>,
    acquired: AtomicU64,
    contended: AtomicU64,
}

impl SharedCore {
    /// `router` with a random stream seeded from `seed`.
    pub fn new(router: Router, seed: u64) -> Self {
        SharedCore {
            core: Mutex::new(Core {
                router,
                rng: Xoshiro256PlusPlus::seed_from_u64(seed),
            }),
            acquired: AtomicU64::new(0),
            contended: AtomicU64::new(0),
        }
    }

    /// Runs `f` with the core locked (counting a wait when another request held it).
    pub fn with<T>(&self, f: impl FnOnce(&mut Core) -> T) -> T {
        self.acquired.fetch_add(1, Ordering::Relaxed);
        let mut guard = match self.core.try_lock() {
            Ok(g) => g,
            Err(_) => {
                self.contended.fetch_add(1, Ordering::Relaxed);
                // A panic while holding the lock leaves the router as it was at the panic;
                // serving on beats refusing every later request.
                self.core.lock().unwrap_or_else(|p| p.into_inner())
            }
        };
        f(&mut guard)
    }

    /// (lock acquisitions, acquisitions that had to wait).
    pub fn contention(&self) -> (u64, u64) {
        (
            self.acquired.load(Ordering::Relaxed),
            self.contended.load(Ordering::Relaxed),
        )
    }
}
