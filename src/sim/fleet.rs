//! A fleet of gateway instances in front of the same providers: how many, how a load balancer
//! spreads arrivals over them, and when each one syncs with the shared store (LiteLLM's Redis).
//!
//! It decides the fleet's shape, which instance an arrival goes to and the sync timetable
//! (first syncs staggered, one sync in flight per instance, failed writes while the store is
//! unreachable). It must not decide anything about routing — each instance is a whole router —
//! nor what the store does with a delta ([`crate::router::sync::SharedTotals`] decides that).

use std::time::Duration;

use rand::Rng;

use super::rng::{SimRng, stream};
use crate::config::RouterSettings;
use crate::time::Time;

/// The interval at which LiteLLM 1.108.7 pushes its in-memory increments to Redis and reads the
/// totals back (`DEFAULT_REDIS_SYNC_INTERVAL` in `litellm/constants.py`), and at which it
/// re-reads cooldowns (`DEFAULT_COOLDOWN_REDIS_READ_INTERVAL_SECONDS`).
pub const LITELLM_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// How a load balancer in front of the fleet spreads arrivals.
#[derive(Debug, Clone, PartialEq)]
pub enum Spread {
    /// Instance 0, 1, …, n−1, 0, …
    RoundRobin,
    /// Uniformly at random.
    Random,
    /// At random in proportion to each instance's weight.
    Weighted(Vec<f64>),
}

/// A scenario's (or a policy's) `instances:` block, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSpec {
    /// How many gateway instances.
    pub count: u32,
    /// How arrivals are spread over them.
    pub spread: Spread,
    /// How often each instance syncs with the store.
    pub sync_interval: Duration,
    /// From a read's start until the instance has the totals.
    pub read_latency: Duration,
    /// From a write's start until the store holds it.
    pub write_latency: Duration,
    /// A window `[from, until)` in which the store answers nobody.
    pub store_unreachable: Option<(Time, Time)>,
}

impl FleetSpec {
    /// One instance syncing at LiteLLM's interval with no store latency.
    pub fn single() -> Self {
        FleetSpec {
            count: 1,
            spread: Spread::RoundRobin,
            sync_interval: LITELLM_SYNC_INTERVAL,
            read_latency: Duration::ZERO,
            write_latency: Duration::ZERO,
            store_unreachable: None,
        }
    }

    /// Whether the store answers at `at`.
    pub fn store_reachable(&self, at: Time) -> bool {
        self.store_unreachable
            .is_none_or(|(from, until)| at < from || at >= until)
    }

    /// When instance `index` first syncs: staggered evenly over the first interval, so the
    /// instances' syncs never all fall on the same instant.
    pub fn first_sync(&self, index: u32) -> Time {
        let step = self.sync_interval.as_secs_f64() * f64::from(index + 1) / f64::from(self.count);
        Time::ZERO + Duration::from_secs_f64(step)
    }
}

/// Whether a policy's config makes LiteLLM's router share usage, cooldowns and spend through
/// Redis: `redis_url`, or `redis_host` together with `redis_port` (LiteLLM's `Router.__init__`
/// builds its Redis cache only then).
pub fn shares_state(settings: &RouterSettings) -> bool {
    let redis = &settings.redis;
    redis.url.is_some() || (redis.host.is_some() && redis.port.is_some())
}

/// The load balancer: picks the instance each arrival goes to.
#[derive(Debug, Clone)]
pub struct Spreader {
    count: u32,
    next: u32,
    cumulative: Vec<f64>,
    random: bool,
    rng: SimRng,
}

impl Spreader {
    /// A load balancer for `spec`, drawing from its own stream of `seed`.
    pub fn new(spec: &FleetSpec, seed: u64) -> Self {
        let cumulative = match &spec.spread {
            Spread::Weighted(weights) => weights
                .iter()
                .scan(0.0, |sum, w| {
                    *sum += w;
                    Some(*sum)
                })
                .collect(),
            _ => Vec::new(),
        };
        Spreader {
            count: spec.count.max(1),
            next: 0,
            cumulative,
            random: spec.spread == Spread::Random,
            rng: stream(seed, "fleet/spread"),
        }
    }

    /// The instance the next arrival goes to.
    pub fn pick(&mut self) -> u32 {
        if let Some(total) = self.cumulative.last().copied() {
            let point = self.rng.random::<f64>() * total;
            let i = self.cumulative.partition_point(|c| *c <= point);
            return (i as u32).min(self.count - 1);
        }
        if self.random {
            return self.rng.random_range(0..self.count);
        }
        let i = self.next;
        self.next = (self.next + 1) % self.count;
        i
    }
}

/// The random stream of instance `index`'s router: instance 0 keeps the stream a lone router
/// has, so a fleet of one decides exactly as no fleet does.
pub fn router_stream(seed: u64, index: u32) -> SimRng {
    if index == 0 {
        stream(seed, "router")
    } else {
        stream(seed, &format!("router/{index}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(spread: Spread) -> FleetSpec {
        FleetSpec {
            count: 3,
            spread,
            ..FleetSpec::single()
        }
    }

    #[test]
    fn round_robin_cycles_and_weights_set_the_shares() {
        let mut rr = Spreader::new(&spec(Spread::RoundRobin), 1);
        let picks: Vec<u32> = (0..4).map(|_| rr.pick()).collect();
        assert_eq!(picks, [0, 1, 2, 0]);
        let mut weighted = Spreader::new(&spec(Spread::Weighted(vec![4.0, 3.0, 3.0])), 1);
        let mut counts = [0u32; 3];
        for _ in 0..10_000 {
            counts[weighted.pick() as usize] += 1;
        }
        assert!((3800..4200).contains(&counts[0]), "{counts:?}");
        assert!((2800..3200).contains(&counts[1]), "{counts:?}");
    }

    #[test]
    fn random_spread_is_even_and_the_same_for_the_same_seed() {
        let picks = |seed| {
            let mut random = Spreader::new(&spec(Spread::Random), seed);
            (0..9000).map(|_| random.pick()).collect::<Vec<u32>>()
        };
        let a = picks(5);
        assert_eq!(a, picks(5));
        assert_ne!(a, picks(6));
        for i in 0..3 {
            let n = a.iter().filter(|p| **p == i).count();
            assert!((2800..3200).contains(&n), "instance {i}: {n}");
        }
    }

    #[test]
    fn first_syncs_are_staggered_within_one_interval_and_the_window_blocks_the_store() {
        let mut s = spec(Spread::Random);
        s.store_unreachable = Some((Time::from_secs_f64(10.0), Time::from_secs_f64(20.0)));
        let firsts: Vec<f64> = (0..3).map(|i| s.first_sync(i).as_secs_f64()).collect();
        assert!(firsts.windows(2).all(|w| w[0] < w[1]) && firsts[2] <= 1.0 + 1e-9);
        assert!(s.store_reachable(Time::from_secs_f64(9.9)));
        assert!(!s.store_reachable(Time::from_secs_f64(10.0)));
        assert!(s.store_reachable(Time::from_secs_f64(20.0)));
    }
}
