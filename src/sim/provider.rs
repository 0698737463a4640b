//! Synthetic providers: how long an attempt takes, how many run at once, what it costs.
//!
//! A [`ProviderProfile`] is scenario data; each deployment gets its own [`SyntheticProvider`]
//! built from the profile that matches it, with its own random stream. Service time is time to
//! first token plus per-output-token time × output tokens, both drawn per attempt. With a
//! concurrency limit, attempts beyond it wait in a FIFO queue. It decides nothing about routing
//! and never reads a clock: the engine passes the instant in.

use std::collections::VecDeque;

use super::distribution::Distribution;
use super::faults::{FaultSpec, FaultState, Rejection};
use super::rng::SimRng;
use crate::time::Time;

/// Which deployments a profile describes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProviderMatch {
    /// Matches the deployment with this `model_info.id`.
    pub id: Option<String>,
    /// Matches deployments with this `api_base`.
    pub api_base: Option<String>,
    /// Matches deployments of this model group.
    pub model_name: Option<String>,
}

/// How a provider behaves (scenario data).
#[derive(Debug, Clone)]
pub struct ProviderProfile {
    /// The profile's name in reports.
    pub name: String,
    /// Which deployments it describes.
    pub matches: ProviderMatch,
    /// Time to first token, in seconds.
    pub ttft: Distribution,
    /// Time per output token, in seconds.
    pub per_token: Distribution,
    /// How long a refused attempt takes to be answered, in seconds; `None`: a time-to-first-
    /// token draw.
    pub error_latency: Option<Distribution>,
    /// Attempts served at once; `None` is unlimited.
    pub concurrency: Option<u32>,
    /// Injected faults.
    pub faults: FaultSpec,
}

/// What the provider does with an arriving attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Admission<T> {
    /// Service started at once.
    Started(Started<T>),
    /// Waiting for a slot.
    Queued,
    /// Refused: the error is answered at `at`.
    Rejected {
        /// The error.
        rejection: Rejection,
        /// When the client sees it.
        at: Time,
    },
}

/// An attempt the provider has started serving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Started<T> {
    /// The engine's handle for the attempt.
    pub attempt: T,
    /// When it reached the provider.
    pub arrived: Time,
    /// When the first token is ready.
    pub first_token_at: Time,
    /// When the last token is ready and the slot frees.
    pub done_at: Time,
}

/// One deployment's simulated backend.
#[derive(Debug, Clone)]
pub struct SyntheticProvider<T> {
    ttft: Distribution,
    per_token: Distribution,
    error_latency: Option<Distribution>,
    concurrency: Option<u32>,
    busy: u32,
    waiting: VecDeque<(T, Time, u32)>,
    faults: FaultState,
    rng: SimRng,
}

impl<T: Copy> SyntheticProvider<T> {
    /// A provider behaving as `profile`, drawing from `rng`; `categories` gives each request
    /// class's content category (for content-policy faults).
    pub fn new(profile: &ProviderProfile, categories: &[Option<String>], rng: SimRng) -> Self {
        SyntheticProvider {
            ttft: profile.ttft.clone(),
            per_token: profile.per_token.clone(),
            error_latency: profile.error_latency.clone(),
            concurrency: profile.concurrency,
            busy: 0,
            waiting: VecDeque::new(),
            faults: FaultState::new(&profile.faults, categories),
            rng,
        }
    }

    /// An attempt of request class `class` arrives at `now`: the faults may refuse it (answered
    /// after an error-latency draw, else a time-to-first-token draw, holding no slot); otherwise it is served or queued.
    pub fn offer(
        &mut self,
        attempt: T,
        class: u32,
        input_tokens: u32,
        output_tokens: u32,
        now: Time,
    ) -> Admission<T> {
        if let Err(rejection) = self.faults.admit(class, input_tokens, now, &mut self.rng) {
            let wait = self.error_latency.as_ref().unwrap_or(&self.ttft);
            let at = now.after_secs_f64(wait.sample(&mut self.rng));
            return Admission::Rejected { rejection, at };
        }
        match self.arrive(attempt, output_tokens, now) {
            Some(started) => Admission::Started(started),
            None => Admission::Queued,
        }
    }

    /// Attempts being served now.
    pub fn busy(&self) -> u32 {
        self.busy
    }

    /// Attempts waiting for a slot.
    pub fn queued(&self) -> usize {
        self.waiting.len()
    }

    /// An attempt producing `output_tokens` arrives at `now`: it starts at once if a slot is
    /// free, else it joins the queue and `None` is returned.
    pub fn arrive(&mut self, attempt: T, output_tokens: u32, now: Time) -> Option<Started<T>> {
        // One comparison, not a check of the limit's presence first: which deployment an
        // attempt goes to is often a coin toss, and deployments with and without a limit mix.
        if self.busy >= self.concurrency.unwrap_or(u32::MAX) {
            self.waiting.push_back((attempt, now, output_tokens));
            return None;
        }
        Some(self.serve(attempt, now, output_tokens, now))
    }

    /// A served attempt finished at `now`: its slot goes to the first queued attempt, if any.
    pub fn release(&mut self, now: Time) -> Option<Started<T>> {
        self.busy = self.busy.saturating_sub(1);
        let (attempt, arrived, tokens) = self.waiting.pop_front()?;
        Some(self.serve(attempt, arrived, tokens, now))
    }

    fn serve(&mut self, attempt: T, arrived: Time, output_tokens: u32, now: Time) -> Started<T> {
        self.busy += 1;
        let slow = self.faults.latency_multiplier(now);
        let ttft = self.ttft.sample(&mut self.rng) * slow;
        let per_token = self.per_token.sample(&mut self.rng) * slow;
        let first_token_at = now.after_secs_f64(ttft);
        let done_at = first_token_at.after_secs_f64(per_token * f64::from(output_tokens));
        Started {
            attempt,
            arrived,
            first_token_at,
            done_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn profile(concurrency: Option<u32>) -> ProviderProfile {
        ProviderProfile {
            name: "p".into(),
            matches: ProviderMatch::default(),
            ttft: Distribution::constant(1.0).unwrap(),
            per_token: Distribution::constant(0.5).unwrap(),
            error_latency: None,
            concurrency,
            faults: FaultSpec::default(),
        }
    }

    #[test]
    fn service_is_ttft_plus_tokens_times_per_token() {
        let mut p = SyntheticProvider::new(&profile(None), &[], stream(1, "p"));
        let s = p.arrive(7u32, 4, Time::from_secs_f64(10.0)).unwrap();
        assert_eq!(s.first_token_at, Time::from_secs_f64(11.0));
        assert_eq!(s.done_at, Time::from_secs_f64(13.0));
    }

    #[test]
    fn a_refusal_is_answered_after_an_error_latency_draw_when_the_profile_has_one() {
        let mut failing = profile(None);
        failing.faults.error_rates = vec![(crate::router::ErrorClass::ServiceUnavailable, 1.0)];
        let offer = |p: &ProviderProfile| {
            let mut provider = SyntheticProvider::new(p, &[], stream(1, "p"));
            match provider.offer(1u32, 0, 10, 4, Time::from_secs_f64(10.0)) {
                Admission::Rejected { at, .. } => at,
                other => panic!("expected a refusal, got {other:?}"),
            }
        };
        assert_eq!(offer(&failing), Time::from_secs_f64(11.0), "a ttft draw");
        failing.error_latency = Some(Distribution::constant(0.05).unwrap());
        assert_eq!(offer(&failing), Time::from_secs_f64(10.05));
    }

    #[test]
    fn beyond_the_concurrency_limit_attempts_queue_in_fifo_order() {
        let mut p = SyntheticProvider::new(&profile(Some(1)), &[], stream(1, "p"));
        let first = p.arrive(1u32, 0, Time::ZERO).unwrap();
        assert!(p.arrive(2u32, 0, Time::from_secs_f64(0.1)).is_none());
        assert!(p.arrive(3u32, 0, Time::from_secs_f64(0.2)).is_none());
        assert_eq!(p.queued(), 2);
        let second = p.release(first.done_at).unwrap();
        assert_eq!(second.attempt, 2);
        assert_eq!(second.arrived, Time::from_secs_f64(0.1));
        assert_eq!(second.first_token_at, Time::from_secs_f64(2.0));
        let third = p.release(second.done_at).unwrap();
        assert_eq!(third.attempt, 3);
        assert!(p.release(third.done_at).is_none());
        assert_eq!(p.busy(), 0);
    }
}
