//! The discrete-event loop: arrivals, dispatches and completions in virtual time.
//!
//! One [`run`] simulates one policy: it builds the router from the settings, a synthetic
//! provider per deployment and the workload's generators, each with its own random stream, then
//! jumps from event to event until the last request has ended. The router decides; the engine
//! only carries its `Send`s to providers and their outcomes back. Memory holds only requests in
//! progress; finished requests go to the [`RecordSink`].

use std::time::Duration;

use slab::Slab;

use super::event_queue::EventQueue;
use super::provider::{ProviderProfile, Started, SyntheticProvider};
use super::rng::{SimRng, stream};
use super::workload::{Arrivals, MixSampler, WorkloadSpec};
use crate::config::{DeploymentConfig, RouterSettings};
use crate::metrics::{PolicyStats, RecordSink, RequestRecord};
use crate::router::{
    Call, CallResult, Completion, DeploymentIdx, Outcome, RequestSpec, Route, Router, Step,
    UnsupportedStrategy,
};
use crate::time::Time;

/// Everything a run needs besides the policy: deployments, providers, workload.
#[derive(Debug, Clone, Copy)]
pub struct World<'a> {
    /// The deployments, in `model_list` order.
    pub deployments: &'a [DeploymentConfig],
    /// The provider profiles.
    pub profiles: &'a [ProviderProfile],
    /// For each deployment, the index of its profile.
    pub profile_of: &'a [usize],
    /// The workload.
    pub workload: &'a WorkloadSpec,
    /// How long requests keep arriving.
    pub duration: Duration,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival,
    Dispatch {
        slot: u32,
    },
    Done {
        slot: u32,
        deployment: DeploymentIdx,
    },
}

struct Active {
    call: Call,
    id: u64,
    class: u32,
    arrival: Time,
    input_tokens: u32,
    output_tokens: u32,
    attempt_sent: Time,
    first_token_at: Time,
}

struct Engine<'w, S> {
    world: World<'w>,
    router: Router,
    router_rng: SimRng,
    providers: Vec<SyntheticProvider<u32>>,
    prices: Vec<(f64, f64)>,
    routes: Vec<Route>,
    arrivals: Arrivals,
    mix: MixSampler,
    queue: EventQueue<Event>,
    active: Slab<Active>,
    next_id: u64,
    stats: PolicyStats,
    sink: S,
}

/// Runs one policy (`settings`) over `world` with `seed`; every finished request also goes to
/// `sink`. Returns the policy's aggregates.
pub fn run<S: RecordSink>(
    world: World<'_>,
    settings: RouterSettings,
    seed: u64,
    sink: S,
) -> Result<PolicyStats, UnsupportedStrategy> {
    let router = Router::new(world.deployments, settings)?;
    let providers = world
        .deployments
        .iter()
        .zip(world.profile_of)
        .map(|(d, &p)| {
            SyntheticProvider::new(
                &world.profiles[p],
                stream(seed, &format!("provider/{}", d.id)),
            )
        })
        .collect();
    let prices = world
        .deployments
        .iter()
        .zip(world.profile_of)
        .map(|(d, &p)| {
            let profile = &world.profiles[p];
            (
                profile
                    .input_cost_per_token
                    .or(d.input_cost_per_token)
                    .unwrap_or(0.0),
                profile
                    .output_cost_per_token
                    .or(d.output_cost_per_token)
                    .unwrap_or(0.0),
            )
        })
        .collect();
    let routes = world
        .workload
        .mix
        .iter()
        .map(|c| router.resolve(&c.model))
        .collect();
    let end = Time::ZERO + world.duration;
    let mut engine = Engine {
        world,
        router,
        router_rng: stream(seed, "router"),
        providers,
        prices,
        routes,
        arrivals: Arrivals::new(world.workload, end, stream(seed, "arrivals")),
        mix: MixSampler::new(&world.workload.mix, stream(seed, "mix")),
        queue: EventQueue::with_capacity(1024),
        active: Slab::with_capacity(1024),
        next_id: 0,
        stats: PolicyStats::new(world.deployments.len()),
        sink,
    };
    engine.run();
    Ok(engine.stats)
}

impl<S: RecordSink> Engine<'_, S> {
    fn run(&mut self) {
        if let Some(first) = self.arrivals.next_arrival() {
            self.queue.push(first, Event::Arrival);
        }
        while let Some((now, event)) = self.queue.pop() {
            match event {
                Event::Arrival => self.arrive(now),
                Event::Dispatch { slot } => {
                    if let Some(deployment) = self.active[slot as usize].call.in_flight() {
                        self.dispatch(slot, deployment, now);
                    }
                }
                Event::Done { slot, deployment } => self.complete(slot, deployment, now),
            }
        }
    }

    fn arrive(&mut self, now: Time) {
        let drawn = self.mix.draw(&self.world.workload.mix);
        let class = &self.world.workload.mix[drawn.class as usize];
        let spec = RequestSpec {
            route: self.routes[drawn.class as usize],
            input_tokens: drawn.input_tokens,
            stream: class.stream,
            num_retries: None,
        };
        let slot = self.active.insert(Active {
            call: self.router.start(spec),
            id: self.next_id,
            class: drawn.class,
            arrival: now,
            input_tokens: drawn.input_tokens,
            output_tokens: drawn.output_tokens,
            attempt_sent: now,
            first_token_at: now,
        }) as u32;
        self.next_id += 1;
        self.advance(slot, now);
        if let Some(next) = self.arrivals.next_arrival() {
            self.queue.push(next, Event::Arrival);
        }
    }

    /// Asks the router what `slot` does next and carries it out.
    fn advance(&mut self, slot: u32, now: Time) {
        let call = &mut self.active[slot as usize].call;
        match self.router.next_step(call, now, &mut self.router_rng) {
            Step::Send {
                deployment,
                not_before,
            } => {
                if not_before > now {
                    self.queue.push(not_before, Event::Dispatch { slot });
                } else {
                    self.dispatch(slot, deployment, now);
                }
            }
            Step::Finish(result) => self.finish(slot, result, now),
        }
    }

    fn dispatch(&mut self, slot: u32, deployment: DeploymentIdx, now: Time) {
        let active = &mut self.active[slot as usize];
        active.attempt_sent = now;
        let output_tokens = active.output_tokens;
        if let Some(started) = self.providers[deployment.get()].arrive(slot, output_tokens, now) {
            self.start(started, deployment);
        }
    }

    fn start(&mut self, started: Started<u32>, deployment: DeploymentIdx) {
        self.active[started.attempt as usize].first_token_at = started.first_token_at;
        self.queue.push(
            started.done_at,
            Event::Done {
                slot: started.attempt,
                deployment,
            },
        );
    }

    fn complete(&mut self, slot: u32, deployment: DeploymentIdx, now: Time) {
        if let Some(next) = self.providers[deployment.get()].release(now) {
            self.start(next, deployment);
        }
        let active = &mut self.active[slot as usize];
        let outcome = Outcome::Success(Completion {
            input_tokens: active.input_tokens,
            output_tokens: active.output_tokens,
            latency: now - active.attempt_sent,
            time_to_first_token: active.first_token_at - active.attempt_sent,
        });
        self.stats.attempt(deployment, true);
        self.sink.attempt(deployment, true);
        self.router.record(&mut active.call, &outcome, now);
        self.advance(slot, now);
    }

    fn finish(&mut self, slot: u32, result: CallResult, now: Time) {
        let active = self.active.remove(slot as usize);
        let (ttft, output_tokens, cost_usd) = match result {
            CallResult::Served(served) => {
                let (input_price, output_price) = self.prices[served.deployment.get()];
                let c = served.completion;
                (
                    Some(active.first_token_at - active.arrival),
                    c.output_tokens,
                    f64::from(c.input_tokens) * input_price
                        + f64::from(c.output_tokens) * output_price,
                )
            }
            CallResult::Failed(_) => (None, 0, 0.0),
        };
        let record = RequestRecord {
            id: active.id,
            arrival: active.arrival,
            end: now,
            class: active.class,
            result,
            time_to_first_token: ttft,
            input_tokens: active.input_tokens,
            output_tokens,
            cost_usd,
        };
        self.stats.request(&record);
        self.sink.request(&record);
    }
}
