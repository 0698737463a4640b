//! The discrete-event loop: arrivals, dispatches, provider answers, timeouts, backoffs and
//! client retries in virtual time.
//!
//! One [`run`] simulates one policy: it builds the router from the settings, a synthetic
//! provider per deployment and the workload's generators, each with its own random stream, then
//! jumps from event to event until the last request has ended. Arrivals come from a rate (open
//! loop), from a script, or from closed-loop clients whose next request follows the end of
//! their last. The router decides; the engine only carries its steps to providers and their
//! outcomes back, and a client that retries by itself makes a new gateway call for the same
//! user request. With an `instances:` block the run has several routers behind a load balancer
//! and syncs them through a simulated store ([`fleet_events`]); without it, one router decides
//! exactly as before. A replay's workload carries a recording: its requests arrive at their
//! logged instants and an attempt the log answered gets that answer ([`replayed`]). Memory
//! holds only requests in progress; finished requests go to the [`RecordSink`].

use std::sync::Arc;
use std::time::Duration;

use super::arrival_source::ArrivalSource;
use super::event_queue::EventQueue;
use super::faults::Rejection;
use super::fleet::{FleetSpec, router_stream};

mod fleet_events;
mod in_progress;
mod replayed;

use super::provider::{Admission, ProviderProfile, Started, SyntheticProvider};
use super::rng::{SimRng, stream};
use super::workload::{DrawnRequest, MAX_REQUESTS, MixSampler, WorkloadSpec};
use crate::config::RouterSettings;
use crate::metrics::{BudgetLedger, ClientTries, PolicyStats, RecordSink, RequestRecord};
use crate::router::{
    AttemptFailure, AttemptId, Call, CallResult, Completion, DeploymentIdx, DeploymentTable,
    ErrorClass, Failed, NoTrace, Outcome, PriceFile, RequestSpec, Route, Router, Step, TraceEvent,
};
use crate::time::Time;
use fleet_events::{Fleet, new_fleet};
use in_progress::InProgress;

/// Everything a run needs besides the policy: deployments, providers, workload.
#[derive(Debug, Clone, Copy)]
pub struct World<'a> {
    /// The deployments, in `model_list` order, indexed into model groups.
    pub table: &'a Arc<DeploymentTable>,
    /// The provider profiles.
    pub profiles: &'a [ProviderProfile],
    /// For each deployment, the index of its profile.
    pub profile_of: &'a [usize],
    /// The workload.
    pub workload: &'a WorkloadSpec,
    /// How long requests keep arriving.
    pub duration: Duration,
    /// Prices from a `--prices` file, beside the deployments' own and the built-in table.
    pub price_file: Option<&'a PriceFile>,
    /// Several gateway instances in front of the providers (`instances:`); `None` is one
    /// router, as without the block.
    pub fleet: Option<&'a FleetSpec>,
}

/// Where an attempt's answer goes: the request's slot and the router's id for the attempt
/// (the router ignores an answer whose attempt is no longer in flight, such as a provider's
/// answer after a timeout, even when the slot now holds another request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct AttemptRef {
    slot: u32,
    attempt: AttemptId,
    deployment: DeploymentIdx,
}

#[derive(Debug, Clone, Copy)]
enum Event {
    Arrival,
    Resume {
        slot: u32,
    },
    Done {
        attempt: AttemptRef,
    },
    Rejected {
        attempt: AttemptRef,
        rejection: Rejection,
    },
    TimedOut {
        attempt: AttemptRef,
    },
    /// A replayed attempt gets the answer the log recorded (index into the recording's
    /// answers); no synthetic provider is involved.
    Observed {
        attempt: AttemptRef,
        answer: u32,
    },
    ClientRetry {
        slot: u32,
    },
    BudgetSample,
    /// An instance takes its delta and starts writing it to the store.
    SyncTake {
        instance: u32,
    },
    /// The write reaches the store (or fails, the store unreachable).
    SyncWritten {
        instance: u32,
    },
    /// The totals read back reach the instance.
    SyncRead {
        instance: u32,
    },
    /// A cooldown an instance started reaches the store: LiteLLM writes cooldowns to Redis at
    /// once, not with the periodic sync.
    CooldownWritten {
        deployment: DeploymentIdx,
        until: Time,
    },
}

/// How often budgets are sampled for `budgets.csv`.
const BUDGET_SAMPLE_EVERY: Duration = Duration::from_secs(60);

struct Active {
    call: Call,
    instance: u32,
    id: u64,
    /// The request's class: its call's request is the class's template but for its prompt
    /// tokens and prompt (nothing else changes a request in a run).
    class: u32,
    arrival: Time,
    output_tokens: u32,
    attempt_sent: Time,
    first_token_at: Time,
    client: ClientTries,
    /// In a replay, which of the request's recorded answers this run has used (one bit each).
    answered: u32,
}

impl Active {
    /// An entry for the table to hand out before [`Active::begin`] fills it.
    fn blank(templates: &[RequestSpec], class: u32) -> Active {
        Active {
            call: Call::new(templates[class as usize].clone()),
            instance: 0,
            id: 0,
            class,
            arrival: Time::ZERO,
            output_tokens: 0,
            attempt_sent: Time::ZERO,
            first_token_at: Time::ZERO,
            client: ClientTries::default(),
            answered: 0,
        }
    }

    /// The request's prompt tokens.
    #[inline]
    fn input_tokens(&self) -> u32 {
        self.call.spec().input_tokens
    }

    /// Makes the entry the request `drawn` arriving at `now` at `instance`, in place: its
    /// class's template with its prompt tokens and `prompt`. A request of the class the entry
    /// last held is written in those two fields only.
    fn begin(
        &mut self,
        templates: &[RequestSpec],
        prompt: Option<Arc<str>>,
        instance: u32,
        id: u64,
        drawn: &DrawnRequest,
        now: Time,
    ) {
        // Every field by name, so a new one cannot be forgotten here.
        let Active {
            call,
            instance: at_instance,
            id: request_id,
            class,
            arrival,
            output_tokens,
            attempt_sent,
            first_token_at,
            client,
            answered,
        } = self;
        let other_class = *class != drawn.class;
        call.restart_with(|spec| {
            if other_class {
                spec.clone_from(&templates[drawn.class as usize]);
            }
            spec.input_tokens = drawn.input_tokens;
            spec.prompt = prompt;
        });
        *at_instance = instance;
        *request_id = id;
        *class = drawn.class;
        *arrival = now;
        *output_tokens = drawn.output_tokens;
        *attempt_sent = now;
        *first_token_at = now;
        *client = ClientTries::default();
        *answered = 0;
    }
}

/// What a run produced besides the records it streamed.
#[derive(Debug, Clone)]
pub struct RunResult {
    /// The policy's aggregates.
    pub stats: PolicyStats,
    /// The explained request's trace, if one was asked for and it arrived.
    pub trace: Vec<(Time, TraceEvent)>,
}

/// One gateway instance: its router and the router's random stream.
struct Instance {
    router: Router,
    rng: SimRng,
}

struct Engine<'w, S> {
    world: World<'w>,
    /// The gateway instances; one without a fleet.
    instances: Vec<Instance>,
    fleet: Option<Fleet>,
    providers: Vec<SyntheticProvider<AttemptRef>>,
    templates: Vec<RequestSpec>,
    source: ArrivalSource,
    mix: MixSampler,
    /// Client retry backoff jitter.
    client_rng: SimRng,
    queue: EventQueue<Event>,
    active: InProgress<Active>,
    next_id: u64,
    /// The run's aggregates, then the caller's sink: every record goes to both.
    sink: (PolicyStats, S),
    explain: Option<u64>,
    trace: Vec<(Time, TraceEvent)>,
    /// Each budget's report name (`provider:openai`, …), built once.
    budget_keys: Vec<String>,
    /// Spend and exhaustion over the whole run, for the summary.
    ledger: BudgetLedger,
}

/// Runs one policy (`settings`) over `world` with `seed`; every finished request also goes to
/// `sink`. Returns the policy's aggregates.
pub fn run<S: RecordSink>(
    world: World<'_>,
    settings: RouterSettings,
    seed: u64,
    sink: S,
) -> PolicyStats {
    run_explained(world, settings, seed, sink, None).stats
}

/// [`run`], also tracing every decision about the request numbered `explain`.
pub fn run_explained<S: RecordSink>(
    world: World<'_>,
    settings: RouterSettings,
    seed: u64,
    sink: S,
    explain: Option<u64>,
) -> RunResult {
    let fleet = world
        .fleet
        .map(|spec| new_fleet(spec, &settings, &world, seed));
    let count = world.fleet.map_or(1, |f| f.count.max(1));
    let instances: Vec<Instance> = (0..count)
        .map(|i| Instance {
            router: Router::from_table(world.table.clone(), settings.clone(), world.price_file),
            rng: router_stream(seed, i),
        })
        .collect();
    let router = &instances[0].router;
    let categories: Vec<Option<String>> = world
        .workload
        .mix
        .iter()
        .map(|c| c.category.clone())
        .collect();
    let providers = world
        .table
        .deployments()
        .iter()
        .map(|d| &d.config)
        .zip(world.profile_of)
        .map(|(d, &p)| {
            SyntheticProvider::new(
                &world.profiles[p],
                &categories,
                stream(seed, &format!("provider/{}", d.id)),
            )
        })
        .collect();
    let templates = world
        .workload
        .mix
        .iter()
        .map(|c| {
            let route = router.resolve(&c.model);
            RequestSpec {
                route,
                input_tokens: 0,
                stream: c.stream,
                num_retries: c.num_retries,
                fallbacks: c.fallbacks.as_ref().map(|names| {
                    names
                        .iter()
                        .map(|n| router.resolve(n))
                        .collect::<Arc<[Route]>>()
                }),
                disable_fallbacks: c.disable_fallbacks,
                timeout: c.timeout,
                tags: router.request_tags(&c.tags),
                prompt: None,
                prompt_vector: None,
                specific_deployment: router.routes_as_specific_deployment(&c.model, route),
            }
        })
        .collect();
    let budget_keys: Vec<String> = router
        .budgets()
        .map(|(b, _)| router.budget_scope(b).key())
        .collect();
    let end = Time::ZERO + world.duration;
    let mut fleet = fleet;
    if let Some(f) = &mut fleet {
        for (b, w) in router.budgets() {
            f.stats
                .add_budget(router.budget_scope(b).key(), w.limit, w.period);
        }
    }
    let mut engine = Engine {
        world,
        instances,
        fleet,
        providers,
        templates,
        source: ArrivalSource::new(world.workload, end, seed),
        mix: MixSampler::new(&world.workload.mix, stream(seed, "mix")),
        client_rng: stream(seed, "client"),
        queue: EventQueue::with_capacity(1024),
        active: InProgress::with_capacity(1024),
        next_id: 0,
        sink: (policy_stats(&world), sink),
        explain,
        trace: Vec::new(),
        ledger: BudgetLedger::new(budget_keys.len()),
        budget_keys,
    };
    engine.run();
    RunResult {
        stats: engine.sink.0,
        trace: engine.trace,
    }
}

/// Empty aggregates for `world`'s deployments, with a timeline sized to its duration.
fn policy_stats(world: &World<'_>) -> PolicyStats {
    let n = world.table.deployments().len();
    let mut stats = PolicyStats::new(n);
    stats.uses_client_retries = world.workload.uses_client_retries();
    stats.timeline = crate::metrics::Timeline::new(
        world.duration,
        crate::metrics::Timeline::width_for(world.duration),
        n,
    );
    stats
}

impl<S: RecordSink> Engine<'_, S> {
    fn run(&mut self) {
        for at in self.source.first(self.world.workload) {
            self.queue.push(at, Event::Arrival);
        }
        if self.instances[0].router.budgets().next().is_some() {
            self.queue
                .push(Time::ZERO + BUDGET_SAMPLE_EVERY, Event::BudgetSample);
        }
        self.schedule_first_syncs();
        let mut last = Time::ZERO;
        while let Some((now, event)) = self.queue.pop() {
            debug_assert!(now >= last, "virtual time went back from {last} to {now}");
            last = now;
            match event {
                Event::Arrival => self.arrive(now),
                Event::Resume { slot } => self.advance(slot, now),
                Event::Done { attempt } => self.done(attempt, now),
                Event::Rejected { attempt, rejection } => {
                    self.provider_answered(attempt, rejection.class);
                    self.fail(attempt, rejection.class, rejection.retry_after, now);
                }
                Event::TimedOut { attempt } => {
                    self.fail(attempt, ErrorClass::Timeout, None, now);
                }
                Event::Observed { attempt, answer } => self.observed(attempt, answer, now),
                Event::ClientRetry { slot } => self.client_retried(slot, now),
                Event::BudgetSample => {
                    self.sample_budgets(now);
                    if now < Time::ZERO + self.world.duration {
                        self.queue
                            .push(now + BUDGET_SAMPLE_EVERY, Event::BudgetSample);
                    }
                }
                Event::SyncTake { instance } => self.sync_take(instance, now),
                Event::SyncWritten { instance } => self.sync_written(instance, now),
                Event::SyncRead { instance } => self.sync_read(instance, now),
                Event::CooldownWritten { deployment, until } => {
                    self.cooldown_written(deployment, until, now);
                }
            }
        }
        let keys = self.budget_keys.iter().cloned();
        let router = &self.instances[0].router;
        self.sink.0.budgets = self
            .ledger
            .states(keys.zip(router.budgets().map(|(_, w)| w)));
        if let Some(mut fleet) = self.fleet.take() {
            fleet.stats.finish(last);
            self.sink.0.fleet = Some(fleet.stats);
        }
    }

    fn sample_budgets(&mut self, now: Time) {
        let router = &self.instances[0].router;
        for ((_, b), key) in router.budgets().zip(&self.budget_keys) {
            self.sink.budget_sample(now, key, b.spent(now), b.limit);
        }
    }

    fn is_current(&self, attempt: AttemptRef) -> bool {
        self.active
            .get(attempt.slot)
            .is_some_and(|a| a.call.is_in_flight(attempt.attempt))
    }

    fn traced(&self, slot: u32) -> bool {
        self.explain.is_some_and(|id| self.active[slot].id == id)
    }

    fn arrive(&mut self, now: Time) {
        if self.sink.1.stop_requested() {
            // No further arrival is scheduled; requests in progress finish.
            self.sink.0.stopped_at.get_or_insert(now);
            return;
        }
        let mix = &self.world.workload.mix;
        let drawn = match self.source.scripted_class() {
            Some(class) => self.mix.draw_of(mix, class as usize),
            None if self.world.workload.recorded.is_some() => self.recorded_request(),
            None if self.source.is_closed() && self.next_id >= MAX_REQUESTS => {
                self.sink.0.request_limit_reached = true;
                return;
            }
            None => self.mix.draw(mix),
        };
        let prompt = drawn
            .prompt
            .map(|p| self.world.workload.mix[drawn.class as usize].prompts[p as usize].clone());
        let instance = match &mut self.fleet {
            None => 0,
            Some(fleet) => {
                let i = fleet.spreader.pick();
                fleet.stats.arrival(i);
                i
            }
        };
        // A call starts as `Router::start` makes it; the entry is overwritten in place.
        let templates = &self.templates;
        let (slot, active) = self.active.claim(|| Active::blank(templates, drawn.class));
        active.begin(templates, prompt, instance, self.next_id, &drawn, now);
        self.next_id += 1;
        self.advance(slot, now);
        if let Some(at) = self.source.next(self.world.workload) {
            self.queue.push(at, Event::Arrival);
        }
    }

    /// Whether the client of `slot` retries the gateway call that just `failed`; if so its
    /// retry is queued after the client's wait.
    fn client_retries(&mut self, slot: u32, failed: Failed, now: Time) -> bool {
        let active = &mut self.active[slot];
        let Some(client) = self.world.workload.mix[active.class as usize].client else {
            return false;
        };
        let taken = active.client.retries;
        let Some(wait) = client.wait(
            failed.status(),
            failed.retry_after,
            taken,
            &mut self.client_rng,
        ) else {
            return false;
        };
        active.client.retries += 1;
        active.client.earlier_attempts = active
            .client
            .earlier_attempts
            .saturating_add(failed.attempts);
        active.client.earlier_retries =
            active.client.earlier_retries.saturating_add(failed.retries);
        self.queue.push(now + wait, Event::ClientRetry { slot });
        true
    }

    /// The client of `slot` sends its request to the gateway again: a new call.
    fn client_retried(&mut self, slot: u32, now: Time) {
        let active = &mut self.active[slot];
        // The same request again: nothing of it changes.
        active.call.restart_with(|_| {});
        active.attempt_sent = now;
        active.first_token_at = now;
        self.advance(slot, now);
    }

    /// Asks the router what `slot` does next and carries it out.
    fn advance(&mut self, slot: u32, now: Time) {
        let traced = self.traced(slot);
        let active = &mut self.active[slot];
        let call = &mut active.call;
        let Instance { router, rng } = &mut self.instances[active.instance as usize];
        let step = if traced {
            router.next_step_traced(call, now, rng, &mut self.trace)
        } else {
            router.next_step_traced(call, now, rng, &mut NoTrace)
        };
        match step {
            Step::Send {
                attempt,
                deployment,
                timeout,
            } => {
                let attempt = AttemptRef {
                    slot,
                    attempt,
                    deployment,
                };
                self.dispatch(attempt, timeout, now);
            }
            Step::Wait { until } => self.queue.push(until, Event::Resume { slot }),
            // The engine asks only after an outcome, a wait or an arrival: never while an
            // attempt is out. Its outcome event will move the request on.
            Step::Pending { .. } => {}
            Step::Finish(result) => self.finish(slot, result, now),
        }
    }

    fn dispatch(&mut self, attempt: AttemptRef, timeout: Duration, now: Time) {
        if self.world.workload.recorded.is_some() && self.dispatch_recorded(attempt, timeout, now) {
            return;
        }
        let deployment = attempt.deployment;
        let active = &mut self.active[attempt.slot];
        active.attempt_sent = now;
        let (class, input, output) = (active.class, active.input_tokens(), active.output_tokens);
        if let Some(fleet) = &mut self.fleet {
            fleet.stats.attempt(active.instance, deployment.get(), now);
        }
        let admission = self.providers[deployment.get()].offer(attempt, class, input, output, now);
        let answer_at = match admission {
            Admission::Started(started) => {
                let done_at = started.done_at;
                self.start(started);
                Some(done_at)
            }
            Admission::Queued => None,
            Admission::Rejected { rejection, at } => {
                self.queue.push(at, Event::Rejected { attempt, rejection });
                Some(at)
            }
        };
        let deadline = now + timeout;
        if answer_at.is_none_or(|at| at > deadline) {
            self.queue.push(deadline, Event::TimedOut { attempt });
        }
    }

    fn start(&mut self, started: Started<AttemptRef>) {
        let attempt = started.attempt;
        if self.is_current(attempt) {
            self.active[attempt.slot].first_token_at = started.first_token_at;
        }
        self.queue.push(started.done_at, Event::Done { attempt });
    }

    fn done(&mut self, attempt: AttemptRef, now: Time) {
        if let Some(next) = self.providers[attempt.deployment.get()].release(now) {
            self.start(next);
        }
        // A request that already ended (its attempt timed out and it gave up) has no slot.
        let Some(active) = self.active.get(attempt.slot) else {
            return;
        };
        let outcome = Outcome::Success(Completion {
            input_tokens: active.input_tokens(),
            output_tokens: active.output_tokens,
            latency: now - active.attempt_sent,
            time_to_first_token: active.first_token_at - active.attempt_sent,
        });
        self.record(attempt, &outcome, now);
    }

    fn fail(
        &mut self,
        attempt: AttemptRef,
        class: ErrorClass,
        retry_after: Option<Duration>,
        now: Time,
    ) {
        let Some(active) = self.active.get(attempt.slot) else {
            return;
        };
        let outcome = Outcome::Failure(AttemptFailure {
            class,
            retry_after,
            latency: now - active.attempt_sent,
        });
        self.record(attempt, &outcome, now);
    }

    /// Hands an outcome to the router; one it ignores as stale leaves no trace in the run.
    fn record(&mut self, attempt: AttemptRef, outcome: &Outcome, now: Time) {
        let (slot, id, deployment) = (attempt.slot, attempt.attempt, attempt.deployment);
        let traced = self.traced(slot);
        let active = &mut self.active[slot];
        let (call, instance) = (&mut active.call, active.instance);
        let Instance { router, rng } = &mut self.instances[instance as usize];
        let recorded = if traced {
            router.record_traced(call, id, outcome, now, rng, &mut self.trace)
        } else {
            router.record_traced(call, id, outcome, now, rng, &mut NoTrace)
        };
        if recorded.stale {
            return;
        }
        if let Some(cost) = recorded.charged {
            let tags = call.spec().tags.set;
            for (budget, window) in router.budgets_charged_by(deployment, tags) {
                self.ledger.charged(budget, cost, window, now);
                if let Some(fleet) = &mut self.fleet {
                    fleet.stats.spent(budget.get(), cost, now);
                }
            }
        }
        let ok = matches!(outcome, Outcome::Success(_));
        self.sink.attempt(deployment, ok);
        if let Some(cooldown) = recorded.cooldown {
            self.sink.cooldown(deployment, now, cooldown);
            self.cooldown_started(instance, deployment, cooldown.until, now);
        }
        self.advance(slot, now);
    }

    fn finish(&mut self, slot: u32, result: CallResult, now: Time) {
        if let CallResult::Failed(failed) = result
            && self.client_retries(slot, failed, now)
        {
            return;
        }
        // Read in place: moving the whole request out first copies it.
        let active = &self.active[slot];
        let router = &self.instances[active.instance as usize].router;
        let (ttft, output_tokens, cost_usd) = match result {
            CallResult::Served(served) => {
                let c = served.completion;
                let cost = router
                    .price(served.deployment)
                    .map_or(0.0, |p| p.cost(c.input_tokens, c.output_tokens));
                (
                    Some(active.first_token_at - active.arrival),
                    c.output_tokens,
                    cost,
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
            input_tokens: active.input_tokens(),
            output_tokens,
            cost_usd,
            failed_groups: active.call.group_failures(),
            final_group: router.route_group(active.call.current_route()),
            client: active.client,
        };
        self.sink.request(&record);
        let arrival = active.arrival;
        self.active.end(slot);
        let next = self.source.after_request(self.world.workload, arrival, now);
        if let Some(at) = next {
            self.queue.push(at, Event::Arrival);
        }
    }
}
