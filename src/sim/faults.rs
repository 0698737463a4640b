//! Injected faults of a synthetic provider: random errors, provider-side rate limits, outages,
//! brownouts, a context window and content-policy rejections.
//!
//! It decides, for one attempt arriving at one instant, whether the provider refuses it and
//! with which error, and how much slower service is. Randomness comes from the provider's own
//! stream; time is passed in.

use std::collections::VecDeque;
use std::time::Duration;

use rand::Rng;

use super::windows_in_force::WindowsInForce;
use crate::router::ErrorClass;
use crate::time::Time;

const MINUTE: Duration = Duration::from_secs(60);

/// A window in which some calls fail.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outage {
    /// From (inclusive).
    pub start: Time,
    /// To (exclusive).
    pub end: Time,
    /// The error failing calls get.
    pub class: ErrorClass,
    /// Share of calls that fail (1 = all).
    pub fraction: f64,
}

/// A window in which service is slower.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Brownout {
    /// From (inclusive).
    pub start: Time,
    /// To (exclusive).
    pub end: Time,
    /// Service time is multiplied by this.
    pub latency_multiplier: f64,
}

/// The faults of a provider profile (scenario data).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FaultSpec {
    /// Random error rates by class (each in [0, 1], summing to at most 1).
    pub error_rates: Vec<(ErrorClass, f64)>,
    /// Provider-side requests per rolling minute.
    pub rpm: Option<u32>,
    /// Provider-side tokens (prompt) per rolling minute.
    pub tpm: Option<u64>,
    /// Outage windows.
    pub outages: Vec<Outage>,
    /// Brownout windows.
    pub brownouts: Vec<Brownout>,
    /// The provider's context window in input tokens.
    pub max_input_tokens: Option<u64>,
    /// Probability of a content-policy rejection, by request category.
    pub content_policy: Vec<(String, f64)>,
}

/// A provider's refusal of an attempt.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rejection {
    /// The error.
    pub class: ErrorClass,
    /// Retry-After sent with it (rate limits).
    pub retry_after: Option<Duration>,
}

/// The live fault state of one provider.
#[derive(Debug, Clone, Default)]
pub struct FaultState {
    spec: FaultSpec,
    /// Content-policy rejection probability per request class of the workload.
    content_by_class: Vec<f64>,
    requests: VecDeque<Time>,
    tokens: VecDeque<(Time, u64)>,
    tokens_in_window: u64,
    outages_in_force: WindowsInForce,
    brownouts_in_force: WindowsInForce,
}

impl FaultState {
    /// State for `spec`; `categories` gives each workload request class's category.
    pub fn new(spec: &FaultSpec, categories: &[Option<String>]) -> Self {
        let content_by_class = categories
            .iter()
            .map(|c| {
                c.as_ref()
                    .and_then(|c| spec.content_policy.iter().find(|(name, _)| name == c))
                    .map_or(0.0, |(_, p)| *p)
            })
            .collect();
        FaultState {
            spec: spec.clone(),
            content_by_class,
            outages_in_force: WindowsInForce::new(spec.outages.iter().map(|o| (o.start, o.end))),
            brownouts_in_force: WindowsInForce::new(
                spec.brownouts.iter().map(|b| (b.start, b.end)),
            ),
            ..FaultState::default()
        }
    }

    fn expire(&mut self, now: Time) {
        while self
            .requests
            .front()
            .is_some_and(|t| now.since(*t) >= MINUTE)
        {
            self.requests.pop_front();
        }
        while let Some(&(t, n)) = self.tokens.front() {
            if now.since(t) < MINUTE {
                break;
            }
            self.tokens_in_window -= n;
            self.tokens.pop_front();
        }
    }

    /// Decides whether an attempt of request class `class` with `input_tokens` arriving at
    /// `now` is refused. Accepted attempts count against the rate limits.
    pub fn admit<R: Rng + ?Sized>(
        &mut self,
        class: u32,
        input_tokens: u32,
        now: Time,
        rng: &mut R,
    ) -> Result<(), Rejection> {
        let reject = |class| {
            Err(Rejection {
                class,
                retry_after: None,
            })
        };
        if self
            .spec
            .max_input_tokens
            .is_some_and(|max| u64::from(input_tokens) > max)
        {
            return reject(ErrorClass::ContextWindowExceeded);
        }
        if self.spec.rpm.is_some() || self.spec.tpm.is_some() {
            self.expire(now);
            let over_rpm = self
                .spec
                .rpm
                .is_some_and(|rpm| self.requests.len() >= rpm as usize);
            let over_tpm = self
                .spec
                .tpm
                .is_some_and(|tpm| self.tokens_in_window + u64::from(input_tokens) > tpm);
            if over_rpm || over_tpm {
                let oldest = if over_rpm {
                    self.requests.front().copied()
                } else {
                    self.tokens.front().map(|(t, _)| *t)
                };
                let free_at = oldest.map_or(now, |t| t + MINUTE);
                let secs = (free_at - now).as_secs_f64().ceil().max(1.0);
                return Err(Rejection {
                    class: ErrorClass::RateLimit,
                    retry_after: Some(Duration::from_secs_f64(secs)),
                });
            }
        }
        if let Some(class) = self.outage_hit(now, rng) {
            return reject(class);
        }
        if let Some(&p) = self.content_by_class.get(class as usize)
            && p > 0.0
            && rng.random::<f64>() < p
        {
            return reject(ErrorClass::ContentPolicyViolation);
        }
        if !self.spec.error_rates.is_empty() {
            let mut u: f64 = rng.random();
            for &(class, rate) in &self.spec.error_rates {
                if u < rate {
                    return reject(class);
                }
                u -= rate;
            }
        }
        if self.spec.rpm.is_some() {
            self.requests.push_back(now);
        }
        if self.spec.tpm.is_some() {
            self.tokens.push_back((now, u64::from(input_tokens)));
            self.tokens_in_window += u64::from(input_tokens);
        }
        Ok(())
    }

    /// The error of the first outage (in list order) covering `now` whose draw fails the
    /// attempt; each covering outage draws once until one does.
    fn outage_hit<R: Rng + ?Sized>(&mut self, now: Time, rng: &mut R) -> Option<ErrorClass> {
        let outages = &self.spec.outages;
        let span = |i: usize| (outages[i].start, outages[i].end);
        let in_force = self.outages_in_force.at(now, span).iter();
        let mut covering = in_force.map(|&i| &outages[i as usize]);
        covering
            .find(|o| rng.random::<f64>() < o.fraction)
            .map(|o| o.class)
    }

    /// The service-time multiplier for service starting at `now`.
    pub fn latency_multiplier(&mut self, now: Time) -> f64 {
        let brownouts = &self.spec.brownouts;
        let span = |i: usize| (brownouts[i].start, brownouts[i].end);
        let in_force = self.brownouts_in_force.at(now, span).iter();
        in_force
            .map(|&i| brownouts[i as usize].latency_multiplier)
            .product()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn at(s: f64) -> Time {
        Time::from_secs_f64(s)
    }

    #[test]
    fn rpm_limits_answer_429_with_retry_after_until_the_window_frees() {
        let spec = FaultSpec {
            rpm: Some(2),
            ..FaultSpec::default()
        };
        let mut f = FaultState::new(&spec, &[None]);
        let mut rng = stream(1, "p");
        assert!(f.admit(0, 10, at(0.0), &mut rng).is_ok());
        assert!(f.admit(0, 10, at(10.0), &mut rng).is_ok());
        let r = f.admit(0, 10, at(20.5), &mut rng).unwrap_err();
        assert_eq!(r.class, ErrorClass::RateLimit);
        assert_eq!(r.retry_after, Some(Duration::from_secs(40)));
        assert!(
            f.admit(0, 10, at(60.0), &mut rng).is_ok(),
            "the first request left the window"
        );
    }

    #[test]
    fn context_window_outage_and_content_policy() {
        let spec = FaultSpec {
            max_input_tokens: Some(100),
            outages: vec![Outage {
                start: at(10.0),
                end: at(20.0),
                class: ErrorClass::ServiceUnavailable,
                fraction: 1.0,
            }],
            content_policy: vec![("edgy".into(), 1.0)],
            ..FaultSpec::default()
        };
        let mut f = FaultState::new(&spec, &[None, Some("edgy".into())]);
        let mut rng = stream(1, "p");
        let class = |r: Result<(), Rejection>| r.err().map(|r| r.class);
        assert_eq!(
            class(f.admit(0, 101, at(0.0), &mut rng)),
            Some(ErrorClass::ContextWindowExceeded)
        );
        assert_eq!(class(f.admit(0, 100, at(0.0), &mut rng)), None);
        assert_eq!(
            class(f.admit(0, 10, at(15.0), &mut rng)),
            Some(ErrorClass::ServiceUnavailable)
        );
        assert_eq!(class(f.admit(0, 10, at(20.0), &mut rng)), None);
        assert_eq!(
            class(f.admit(1, 10, at(0.0), &mut rng)),
            Some(ErrorClass::ContentPolicyViolation)
        );
    }

    /// Many windows (tracked as time moves on) decide as checking each of them does: the same
    /// draws, in list order, and the same multipliers; instants going back included.
    #[test]
    fn many_fault_windows_decide_as_a_scan_of_them_does() {
        let classes = [ErrorClass::ServiceUnavailable, ErrorClass::InternalServer];
        let outages: Vec<Outage> = (0..40u32)
            .map(|i| Outage {
                start: at(f64::from(i % 13) * 7.0),
                end: at(f64::from(i % 13) * 7.0 + f64::from(i % 5) * 4.0),
                class: classes[i as usize % 2],
                fraction: 0.15 + f64::from(i % 4) * 0.1,
            })
            .collect();
        let brownouts: Vec<Brownout> = outages
            .iter()
            .map(|o| Brownout {
                start: o.start,
                end: o.end,
                latency_multiplier: 1.0 + o.fraction,
            })
            .collect();
        let tracked = FaultSpec {
            outages: outages.clone(),
            brownouts: brownouts.clone(),
            ..FaultSpec::default()
        };
        let mut f = FaultState::new(&tracked, &[None]);
        let mut rng = stream(4, "p");
        let mut reference_rng = stream(4, "p");
        for step in 0..400u32 {
            let now = at(f64::from(step % 150) * 0.7);
            let got = f.admit(0, 10, now, &mut rng).err().map(|r| r.class);
            // What scanning every window gives.
            let expected = outages
                .iter()
                .filter(|o| o.start <= now && now < o.end)
                .find(|o| reference_rng.random::<f64>() < o.fraction)
                .map(|o| o.class);
            assert_eq!(got, expected, "at {now}");
            let product: f64 = brownouts
                .iter()
                .filter(|b| b.start <= now && now < b.end)
                .map(|b| b.latency_multiplier)
                .product();
            assert_eq!(f.latency_multiplier(now).to_bits(), product.to_bits());
        }
        assert!(outages.len() > crate::sim::windows_in_force::SCAN_AT_MOST);
    }

    #[test]
    fn random_error_rates_hold_over_many_calls() {
        let spec = FaultSpec {
            error_rates: vec![
                (ErrorClass::InternalServer, 0.2),
                (ErrorClass::RateLimit, 0.1),
            ],
            ..FaultSpec::default()
        };
        let mut f = FaultState::new(&spec, &[None]);
        let mut rng = stream(2, "p");
        let (mut e500, mut e429) = (0, 0);
        for i in 0..20_000 {
            match f.admit(0, 1, at(f64::from(i)), &mut rng) {
                Err(r) if r.class == ErrorClass::InternalServer => e500 += 1,
                Err(r) if r.class == ErrorClass::RateLimit => e429 += 1,
                _ => {}
            }
        }
        assert!((3800..4200).contains(&e500), "{e500}");
        assert!((1850..2150).contains(&e429), "{e429}");
    }
}
