//! Workloads: when requests arrive and what they ask for.
//!
//! Open-loop arrivals are Poisson or evenly spaced at a rate that can change at given instants;
//! a closed loop ([`ClosedLoop`]) has a fixed number of clients that each send their next
//! request when their last one ends; a script ([`ScriptedRequest`]) lists requests at given
//! instants. Each open or closed request is drawn from a weighted mix of request classes (model
//! group, token counts, tags, streaming); a scripted one names its class. Arrivals and the mix
//! draw from their own streams, so the workload is the same whatever policy serves it.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::Duration;

use rand::Rng;

use super::client_retry::ClientRetries;
use super::distribution::Distribution;
use super::rng::SimRng;
use crate::time::Time;

/// How arrivals are spaced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArrivalProcess {
    /// Exponential gaps (a Poisson process).
    Poisson,
    /// Even gaps of 1/rate.
    Constant,
}

/// The arrival rate from an instant on.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateChange {
    /// From when.
    pub at: Time,
    /// Requests per second.
    pub rate: f64,
}

/// One kind of request in the mix.
#[derive(Debug, Clone)]
pub struct RequestClass {
    /// The class's name in reports.
    pub name: String,
    /// Relative weight in the mix.
    pub weight: f64,
    /// The requested model name.
    pub model: String,
    /// Prompt tokens.
    pub input_tokens: Distribution,
    /// Completion tokens.
    pub output_tokens: Distribution,
    /// Request tags.
    pub tags: Vec<String>,
    /// Whether the client streams.
    pub stream: bool,
    /// Content category (providers may reject categories under their content policy).
    pub category: Option<String>,
    /// The request's own `num_retries`.
    pub num_retries: Option<u32>,
    /// The request's own `fallbacks` (model names).
    pub fallbacks: Option<Vec<String>>,
    /// `disable_fallbacks: true`.
    pub disable_fallbacks: bool,
    /// The request's own per-attempt timeout.
    pub timeout: Option<std::time::Duration>,
    /// Prompt texts; each request carries one drawn at random (for the auto router).
    pub prompts: Vec<std::sync::Arc<str>>,
    /// How the client retries errors itself; `None`: it does not.
    pub client: Option<ClientRetries>,
}

/// Closed-loop clients: each sends its next request when its last one ends, after a think time.
#[derive(Debug, Clone)]
pub struct ClosedLoop {
    /// How many clients; all send their first request at time zero.
    pub clients: u32,
    /// Seconds between the end of a client's request and its next one.
    pub think: Distribution,
}

/// Requests of one class at given instants: `count` of them from `at`, `every` apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScriptedRequest {
    /// The first one's arrival.
    pub at: Time,
    /// The request class (index into the mix).
    pub class: u32,
    /// How many.
    pub count: u32,
    /// Between two of them.
    pub every: Duration,
}

impl ScriptedRequest {
    /// When the last of them arrives.
    pub fn last_at(&self) -> Time {
        self.at + self.every.saturating_mul(self.count.saturating_sub(1))
    }
}

/// The most requests one policy's run may simulate; a workload expected to send more is
/// refused before the run, and a closed loop stops sending there.
pub const MAX_REQUESTS: u64 = 50_000_000;

/// A workload as the scenario describes it.
#[derive(Debug, Clone)]
pub struct WorkloadSpec {
    /// Arrival spacing.
    pub process: ArrivalProcess,
    /// Requests per second from the start.
    pub rate: f64,
    /// Later rate changes, in time order.
    pub rate_changes: Vec<RateChange>,
    /// The request mix (for a script: one class per script entry, in script order).
    pub mix: Vec<RequestClass>,
    /// Closed-loop clients instead of open-loop arrivals.
    pub closed: Option<ClosedLoop>,
    /// Scripted requests instead of open-loop arrivals, in order of `at`.
    pub script: Vec<ScriptedRequest>,
    /// Recorded requests instead of all the above (a replay): their instants, classes and
    /// tokens, and the answers the log recorded for them.
    pub recorded: Option<std::sync::Arc<super::recorded::Recording>>,
}

impl WorkloadSpec {
    /// Whether any class retries on the client's side.
    pub fn uses_client_retries(&self) -> bool {
        self.mix.iter().any(|c| c.client.is_some())
    }

    /// Whether arrivals are open-loop (a rate), not a closed loop or a script.
    pub fn is_open_loop(&self) -> bool {
        self.closed.is_none() && self.script.is_empty() && self.recorded.is_none()
    }

    /// The number of user requests expected before `end`: rate × time for open-loop arrivals,
    /// the script's count for a script; a closed loop's depends on its latencies (`None`).
    pub fn expected_requests(&self, end: Time) -> Option<f64> {
        if self.closed.is_some() {
            return None;
        }
        if let Some(recorded) = &self.recorded {
            return Some(recorded.arrivals.len() as f64);
        }
        if !self.script.is_empty() {
            return Some(self.script.iter().map(|s| f64::from(s.count)).sum());
        }
        let mut total = 0.0;
        let mut from = Time::ZERO;
        let mut rate = self.rate;
        for change in self.rate_changes.iter().filter(|c| c.at < end) {
            total += rate * (change.at - from).as_secs_f64();
            from = change.at;
            rate = change.rate;
        }
        Some(total + rate * end.since(from).as_secs_f64())
    }
}

/// Generates arrival instants up to an end.
#[derive(Debug, Clone)]
pub struct Arrivals {
    process: ArrivalProcess,
    schedule: Vec<RateChange>,
    segment: usize,
    last: Time,
    end: Time,
    /// For even spacing: the fraction of a gap already covered when the rate changed.
    carried_fraction: f64,
    rng: SimRng,
}

impl Arrivals {
    /// Arrivals of `spec` from time zero until `end` (exclusive).
    pub fn new(spec: &WorkloadSpec, end: Time, rng: SimRng) -> Self {
        let mut schedule = vec![RateChange {
            at: Time::ZERO,
            rate: spec.rate,
        }];
        schedule.extend(spec.rate_changes.iter().copied());
        Arrivals {
            process: spec.process,
            schedule,
            segment: 0,
            last: Time::ZERO,
            end,
            carried_fraction: 0.0,
            rng,
        }
    }

    fn segment_end(&self) -> Time {
        self.schedule
            .get(self.segment + 1)
            .map_or(Time::NEVER, |c| c.at)
    }

    /// The next arrival instant, or `None` once past the end.
    pub fn next_arrival(&mut self) -> Option<Time> {
        loop {
            if self.last >= self.end {
                return None;
            }
            let rate = self.schedule[self.segment].rate;
            let boundary = self.segment_end();
            if rate <= 0.0 {
                if boundary == Time::NEVER {
                    return None;
                }
                self.last = boundary;
                self.segment += 1;
                self.carried_fraction = 0.0;
                continue;
            }
            let gap = match self.process {
                ArrivalProcess::Poisson => {
                    let u: f64 = self.rng.random();
                    -(1.0 - u).ln() / rate
                }
                ArrivalProcess::Constant => (1.0 - self.carried_fraction) / rate,
            };
            // A gap too long for a `Duration` (a tiny rate) lies past every boundary.
            let candidate = self.last.after_secs_f64(gap);
            if candidate >= boundary {
                // Memoryless for Poisson; for even spacing carry the covered fraction over.
                if self.process == ArrivalProcess::Constant {
                    let covered = (boundary - self.last).as_secs_f64() * rate;
                    self.carried_fraction = (self.carried_fraction + covered).min(1.0);
                }
                self.last = boundary;
                self.segment += 1;
                continue;
            }
            self.carried_fraction = 0.0;
            self.last = candidate;
            if candidate >= self.end {
                return None;
            }
            return Some(candidate);
        }
    }
}

/// A script's requests in order of arrival (copies of different entries interleave by time;
/// at the same instant the earlier entry goes first).
#[derive(Debug, Clone)]
pub struct ScriptArrivals {
    /// Each entry's next copy: (arrival, entry, copies sent), earliest first.
    pending: BinaryHeap<Reverse<(Time, usize, u32)>>,
}

impl ScriptArrivals {
    /// The arrivals of `script`.
    pub fn new(script: &[ScriptedRequest]) -> Self {
        let pending = script
            .iter()
            .enumerate()
            .filter(|(_, s)| s.count > 0)
            .map(|(i, s)| Reverse((s.at, i, 0)))
            .collect();
        ScriptArrivals { pending }
    }

    /// The next scripted request: when it arrives and its class.
    pub fn next_arrival(&mut self, script: &[ScriptedRequest]) -> Option<(Time, u32)> {
        let Reverse((at, entry, sent)) = self.pending.pop()?;
        let s = &script[entry];
        if sent + 1 < s.count {
            self.pending.push(Reverse((at + s.every, entry, sent + 1)));
        }
        Some((at, s.class))
    }
}

/// One drawn request: its class and token counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DrawnRequest {
    /// Index into the mix.
    pub class: u32,
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Completion tokens.
    pub output_tokens: u32,
    /// Index into the class's prompts, if it has any.
    pub prompt: Option<u32>,
}

/// Draws requests from a weighted mix.
#[derive(Debug, Clone)]
pub struct MixSampler {
    cumulative: Vec<f64>,
    rng: SimRng,
}

fn tokens(x: f64) -> u32 {
    if x.is_nan() || x <= 0.0 {
        0
    } else if x >= f64::from(u32::MAX) {
        u32::MAX
    } else {
        // `x.round()` (half away from zero) without the library call: `x - trunc(x)` is exact.
        // Added rather than branched on: which way a draw rounds is a coin toss.
        let whole = x as u32;
        whole + u32::from(x - f64::from(whole) >= 0.5)
    }
}

impl MixSampler {
    /// A sampler over `mix` drawing from `rng`.
    pub fn new(mix: &[RequestClass], rng: SimRng) -> Self {
        let mut total = 0.0;
        let cumulative = mix
            .iter()
            .map(|c| {
                total += c.weight;
                total
            })
            .collect();
        MixSampler { cumulative, rng }
    }

    /// Draws the next request.
    #[cfg_attr(not(feature = "profile-parts"), inline)]
    #[cfg_attr(feature = "profile-parts", inline(never))]
    pub fn draw(&mut self, mix: &[RequestClass]) -> DrawnRequest {
        let class = if self.cumulative.len() == 1 {
            0
        } else {
            let total = self.cumulative[self.cumulative.len() - 1];
            let point = self.rng.random::<f64>() * total;
            self.cumulative
                .partition_point(|&c| c <= point)
                .min(self.cumulative.len() - 1)
        };
        self.draw_of(mix, class)
    }

    /// Draws the token counts and prompt of a request of `class` (a scripted request's).
    #[inline]
    pub fn draw_of(&mut self, mix: &[RequestClass], class: usize) -> DrawnRequest {
        let spec = &mix[class];
        DrawnRequest {
            class: class as u32,
            input_tokens: tokens(spec.input_tokens.sample(&mut self.rng)).max(1),
            output_tokens: tokens(spec.output_tokens.sample(&mut self.rng)),
            prompt: (!spec.prompts.is_empty())
                .then(|| self.rng.random_range(0..spec.prompts.len()) as u32),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::rng::stream;

    fn spec(process: ArrivalProcess, rate: f64, changes: Vec<RateChange>) -> WorkloadSpec {
        WorkloadSpec {
            process,
            rate,
            rate_changes: changes,
            mix: vec![],
            closed: None,
            script: vec![],
            recorded: None,
        }
    }

    fn count(spec: &WorkloadSpec, from: f64, to: f64, end: f64) -> usize {
        let mut a = Arrivals::new(spec, Time::from_secs_f64(end), stream(9, "arrivals"));
        std::iter::from_fn(|| a.next_arrival())
            .filter(|t| t.as_secs_f64() >= from && t.as_secs_f64() < to)
            .count()
    }

    #[test]
    fn a_tiny_rate_sends_nothing_instead_of_overflowing() {
        let s = spec(ArrivalProcess::Poisson, 1e-20, vec![]);
        assert_eq!(count(&s, 0.0, 60.0, 60.0), 0);
        let s = spec(ArrivalProcess::Constant, 1e-20, vec![]);
        assert_eq!(count(&s, 0.0, 60.0, 60.0), 0);
    }

    #[test]
    fn scripted_copies_interleave_in_time_order() {
        let at = |s: f64| Time::from_secs_f64(s);
        let script = [
            ScriptedRequest {
                at: at(0.0),
                class: 0,
                count: 3,
                every: Duration::from_secs(1),
            },
            ScriptedRequest {
                at: at(1.0),
                class: 1,
                count: 1,
                every: Duration::ZERO,
            },
        ];
        let mut a = ScriptArrivals::new(&script);
        let got: Vec<(Time, u32)> = std::iter::from_fn(|| a.next_arrival(&script)).collect();
        assert_eq!(
            got,
            vec![(at(0.0), 0), (at(1.0), 0), (at(1.0), 1), (at(2.0), 0)]
        );
    }

    #[test]
    fn expected_requests_integrate_the_rate_over_its_changes() {
        let s = spec(
            ArrivalProcess::Poisson,
            10.0,
            vec![RateChange {
                at: Time::from_secs_f64(5.0),
                rate: 2.0,
            }],
        );
        assert_eq!(s.expected_requests(Time::from_secs_f64(10.0)), Some(60.0));
        assert_eq!(s.expected_requests(Time::from_secs_f64(4.0)), Some(40.0));
    }

    #[test]
    fn constant_arrivals_are_evenly_spaced_and_follow_rate_changes() {
        let s = spec(
            ArrivalProcess::Constant,
            10.0,
            vec![RateChange {
                at: Time::from_secs_f64(5.0),
                rate: 2.0,
            }],
        );
        assert_eq!(
            count(&s, 0.0, 5.0, 10.0),
            49,
            "10/s for 5 s, first at 0.1 s"
        );
        assert_eq!(count(&s, 5.0, 10.0, 10.0), 10, "2/s for 5 s");
    }

    #[test]
    fn poisson_counts_match_the_rate_in_each_segment() {
        let s = spec(
            ArrivalProcess::Poisson,
            100.0,
            vec![
                RateChange {
                    at: Time::from_secs_f64(100.0),
                    rate: 0.0,
                },
                RateChange {
                    at: Time::from_secs_f64(150.0),
                    rate: 300.0,
                },
            ],
        );
        let first = count(&s, 0.0, 100.0, 200.0) as f64;
        let silent = count(&s, 100.0, 150.0, 200.0);
        let last = count(&s, 150.0, 200.0, 200.0) as f64;
        // Poisson counts: mean λt, sd √(λt); allow 4 sd.
        assert!((first - 10_000.0).abs() < 400.0, "{first}");
        assert_eq!(silent, 0);
        assert!((last - 15_000.0).abs() < 490.0, "{last}");
    }
}
