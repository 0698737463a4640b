//! One deployment's synthetic provider on the wall clock.
//!
//! The mock keeps the simulator's [`SyntheticProvider`] per deployment behind a mutex and maps
//! time: the scenario's virtual instant is `(wall − start) × speed`, so outage and brownout windows
//! are timed from the mock's start and `--speed N` compresses them N-fold. An attempt beyond the
//! concurrency limit waits on a oneshot until a finishing attempt's [`Slot`] releases it.
//!
//! It decides no behaviour of its own: latency, queueing and every fault are the simulator's.
//! The mutex is never held across an await.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::oneshot;

use crate::live::clock;
use crate::sim::faults::Rejection;
use crate::sim::provider::{Admission, ProviderProfile, Started, SyntheticProvider};
use crate::sim::rng::SimRng;
use crate::time::Time;

/// The mapping between the wall clock and the scenario's virtual time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VirtualClock {
    start: Time,
    speed: f64,
}

impl VirtualClock {
    /// Virtual time 0 at the wall instant `start`, running `speed` times faster than the wall.
    pub fn new(start: Time, speed: f64) -> Self {
        VirtualClock { start, speed }
    }

    /// A clock starting now.
    pub fn starting_now(speed: f64) -> Self {
        VirtualClock::new(clock::now(), speed)
    }

    /// How many times faster than the wall clock virtual time runs.
    pub fn speed(&self) -> f64 {
        self.speed
    }

    /// The virtual instant of the wall instant `wall`.
    pub fn virtual_of(&self, wall: Time) -> Time {
        Time::ZERO + (wall - self.start).mul_f64(self.speed)
    }

    /// The wall instant of the virtual instant `at`.
    pub fn wall_of(&self, at: Time) -> Time {
        self.start + self.wall_span(at - Time::ZERO)
    }

    /// A virtual span as the wall clock sees it.
    pub fn wall_span(&self, span: Duration) -> Duration {
        Duration::try_from_secs_f64(span.as_secs_f64() / self.speed).unwrap_or(Duration::MAX)
    }

    /// The virtual instant now.
    pub fn now(&self) -> Time {
        self.virtual_of(clock::now())
    }

    /// Sleeps until the virtual instant `at` (at once when it has passed).
    pub async fn sleep_until(&self, at: Time) {
        clock::sleep_until(self.wall_of(at)).await;
    }
}

/// What became of an attempt offered to a provider.
#[derive(Debug)]
pub enum Offer {
    /// Being served: the slot frees when the `Slot` drops.
    Started(Slot),
    /// Refused; the error is answered at `at` (virtual).
    Rejected {
        /// The error.
        rejection: Rejection,
        /// When the client sees it.
        at: Time,
    },
}

struct Inner {
    provider: SyntheticProvider<u64>,
    next_attempt: u64,
    waiting: BTreeMap<u64, oneshot::Sender<Slot>>,
}

/// One deployment's provider: the simulator's model, shared by the requests in flight.
pub struct ProfileState {
    /// The profile's name.
    pub profile: String,
    /// The profile's context window in input tokens, for the error message.
    pub max_input_tokens: Option<u64>,
    clock: VirtualClock,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for ProfileState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProfileState")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// A started attempt holding a provider slot; dropping it frees the slot (and starts the next
/// queued attempt), whether the response completed or the client went away.
#[derive(Debug)]
pub struct Slot {
    state: Arc<ProfileState>,
    started: Started<u64>,
    armed: bool,
}

impl Slot {
    /// The attempt's number at its provider (distinct per attempt).
    pub fn attempt(&self) -> u64 {
        self.started.attempt
    }

    /// When the first token is ready (virtual).
    pub fn first_token_at(&self) -> Time {
        self.started.first_token_at
    }

    /// When the last token is ready (virtual).
    pub fn done_at(&self) -> Time {
        self.started.done_at
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        if self.armed {
            self.state.release();
        }
    }
}

impl ProfileState {
    /// A provider behaving as `profile`, drawing from `rng`, on `clock`; `categories` gives each
    /// request class's content category (see [`super::request::Categories`]).
    pub fn new(
        profile: &ProviderProfile,
        categories: &[Option<String>],
        rng: SimRng,
        clock: VirtualClock,
    ) -> Arc<Self> {
        Arc::new(ProfileState {
            profile: profile.name.clone(),
            max_input_tokens: profile.faults.max_input_tokens,
            clock,
            inner: Mutex::new(Inner {
                provider: SyntheticProvider::new(profile, categories, rng),
                next_attempt: 0,
                waiting: BTreeMap::new(),
            }),
        })
    }

    /// The clock the provider runs on.
    pub fn clock(&self) -> VirtualClock {
        self.clock
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Offers an attempt of request class `class` now; a queued attempt waits here until a
    /// slot frees.
    pub async fn offer(
        self: &Arc<Self>,
        class: u32,
        input_tokens: u32,
        output_tokens: u32,
    ) -> Offer {
        let waiting = {
            let mut inner = self.lock();
            let attempt = inner.next_attempt;
            inner.next_attempt += 1;
            let now = self.clock.now();
            match inner
                .provider
                .offer(attempt, class, input_tokens, output_tokens, now)
            {
                Admission::Started(started) => return Offer::Started(self.slot(started)),
                Admission::Rejected { rejection, at } => {
                    return Offer::Rejected { rejection, at };
                }
                Admission::Queued => {
                    let (tx, rx) = oneshot::channel();
                    inner.waiting.insert(attempt, tx);
                    rx
                }
            }
        };
        match waiting.await {
            Ok(slot) => Offer::Started(slot),
            // The sender is only dropped with the state itself; answer as an overloaded server.
            Err(_) => Offer::Rejected {
                rejection: Rejection {
                    class: crate::router::ErrorClass::ServiceUnavailable,
                    retry_after: None,
                },
                at: self.clock.now(),
            },
        }
    }

    fn slot(self: &Arc<Self>, started: Started<u64>) -> Slot {
        Slot {
            state: Arc::clone(self),
            started,
            armed: true,
        }
    }

    /// A slot frees now: the first queued attempt whose client still waits starts.
    fn release(self: &Arc<Self>) {
        let mut inner = self.lock();
        // Read under the lock, so the provider sees its instants in order.
        let now = self.clock.now();
        while let Some(started) = inner.provider.release(now) {
            let Some(tx) = inner.waiting.remove(&started.attempt) else {
                continue;
            };
            match tx.send(self.slot(started)) {
                Ok(()) => return,
                // The client left while queued: its slot frees at once (the loop releases it).
                Err(mut slot) => slot.armed = false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_time_runs_speed_times_faster_from_the_start() {
        let start = Time::from_secs_f64(1000.0);
        let c = VirtualClock::new(start, 10.0);
        assert_eq!(
            c.virtual_of(Time::from_secs_f64(1002.0)),
            Time::from_secs_f64(20.0)
        );
        assert_eq!(
            c.wall_of(Time::from_secs_f64(20.0)),
            Time::from_secs_f64(1002.0)
        );
        assert_eq!(c.virtual_of(Time::from_secs_f64(900.0)), Time::ZERO);
        assert_eq!(c.wall_span(Duration::from_secs(30)), Duration::from_secs(3));
    }
}
