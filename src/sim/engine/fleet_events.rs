//! The engine's side of a fleet of gateway instances: the load balancer's state, the
//! simulated store, each instance's sync as events (take → write → read → apply, or a failed
//! write while the store is unreachable), cooldowns written to the store as they start, and
//! what the fleet observed along the way.
//!
//! It decides when syncs happen and what crosses to the store; the router decides what a delta
//! holds and how totals apply ([`crate::router::sync`]), and [`FleetStats`] what is counted.

use super::{
    AttemptRef, DeploymentIdx, Engine, ErrorClass, Event, RecordSink, RouterSettings, Time, World,
};
use crate::metrics::FleetStats;
use crate::router::sync::{CooldownMark, SharedTotals, SyncDelta, SyncTotals};
use crate::sim::fleet::{FleetSpec, Spreader, shares_state};

/// An instance's sync in flight: what it took and, once read, the store's totals.
#[derive(Default)]
pub(super) struct SyncInFlight {
    taken_at: Option<Time>,
    delta: SyncDelta,
    totals: SyncTotals,
}

/// The fleet's side of a run: the load balancer, the simulated store and what it observed.
pub(super) struct Fleet {
    pub(super) spec: FleetSpec,
    pub(super) spreader: Spreader,
    pub(super) shared: bool,
    pub(super) store: SharedTotals,
    pub(super) syncs: Vec<SyncInFlight>,
    /// Sync events in the queue (the run is over when nothing else is).
    pub(super) sync_events: usize,
    pub(super) stats: FleetStats,
}

/// The fleet of `spec` for a policy with `settings`: it shares state only when the config
/// has Redis, as LiteLLM's router does.
pub(super) fn new_fleet(
    spec: &FleetSpec,
    settings: &RouterSettings,
    world: &World<'_>,
    seed: u64,
) -> Fleet {
    let count = spec.count.max(1);
    let shared = shares_state(settings);
    Fleet {
        spec: spec.clone(),
        spreader: Spreader::new(spec, seed),
        shared,
        store: SharedTotals::default(),
        syncs: (0..count).map(|_| SyncInFlight::default()).collect(),
        sync_events: 0,
        stats: FleetStats::new(
            count,
            world.table.deployments().len(),
            shared,
            spec.sync_interval,
        ),
    }
}

impl<S: RecordSink> Engine<'_, S> {
    /// A provider answered an attempt with `class`: the fleet counts the providers' own 429s.
    pub(super) fn provider_answered(&mut self, attempt: AttemptRef, class: ErrorClass) {
        if let Some(fleet) = &mut self.fleet
            && class == ErrorClass::RateLimit
        {
            fleet.stats.provider_rate_limited(attempt.deployment.get());
        }
    }

    /// `instance` cooled `deployment` until `until`: the fleet notes it and, sharing state,
    /// writes it to the store at once.
    pub(super) fn cooldown_started(
        &mut self,
        instance: u32,
        deployment: DeploymentIdx,
        until: Time,
        now: Time,
    ) {
        let Some(fleet) = &mut self.fleet else {
            return;
        };
        fleet.stats.cooling(instance, deployment.get(), now, until);
        if fleet.shared {
            let at = now + fleet.spec.write_latency;
            self.push_sync(at, Event::CooldownWritten { deployment, until });
        }
    }

    /// A cooldown's write reaches the store, unless it is unreachable (the instance's next
    /// sync carries the cooldown again).
    pub(super) fn cooldown_written(&mut self, deployment: DeploymentIdx, until: Time, now: Time) {
        let fleet = popped(&mut self.fleet);
        if !fleet.spec.store_reachable(now) {
            return;
        }
        let id = self.world.table.deployment(deployment).config.id.clone();
        let mark = SyncDelta {
            cooldowns: vec![CooldownMark {
                deployment: id,
                until,
            }],
            ..SyncDelta::default()
        };
        fleet.store.absorb(&mark, now);
    }

    /// Queues every instance's first sync, staggered, when the instances share state.
    pub(super) fn schedule_first_syncs(&mut self) {
        let Some(fleet) = self.fleet.as_mut().filter(|f| f.shared) else {
            return;
        };
        for instance in 0..fleet.spec.count.max(1) {
            let at = fleet.spec.first_sync(instance);
            fleet.sync_events += 1;
            self.queue.push(at, Event::SyncTake { instance });
        }
    }

    /// Queues a sync event of the fleet.
    fn push_sync(&mut self, at: Time, event: Event) {
        if let Some(fleet) = &mut self.fleet {
            fleet.sync_events += 1;
        }
        self.queue.push(at, event);
    }

    /// `instance` takes what it added since its last sync and starts writing it.
    pub(super) fn sync_take(&mut self, instance: u32, now: Time) {
        let delta = self.instances[instance as usize]
            .router
            .take_sync_delta(now);
        let fleet = popped(&mut self.fleet);
        let sync = &mut fleet.syncs[instance as usize];
        sync.taken_at = Some(now);
        sync.delta = delta;
        let at = now + fleet.spec.write_latency;
        self.push_sync(at, Event::SyncWritten { instance });
    }

    /// `instance`'s write reaches the store, which absorbs it and answers its totals; or the
    /// store is unreachable, and the instance keeps its counts for the next sync.
    pub(super) fn sync_written(&mut self, instance: u32, now: Time) {
        let fleet = popped(&mut self.fleet);
        if !fleet.spec.store_reachable(now) {
            fleet.stats.synced(false);
            self.instances[instance as usize].router.sync_failed();
            self.schedule_next_sync(instance, now);
            return;
        }
        let sync = &mut fleet.syncs[instance as usize];
        fleet.store.absorb(&sync.delta, now);
        sync.totals = fleet.store.totals(now);
        let at = now + fleet.spec.read_latency;
        self.push_sync(at, Event::SyncRead { instance });
    }

    /// The totals reach `instance`, which applies them; the fleet notes the cooldowns it now
    /// sees.
    pub(super) fn sync_read(&mut self, instance: u32, now: Time) {
        let fleet = popped(&mut self.fleet);
        let sync = &mut fleet.syncs[instance as usize];
        let totals = std::mem::take(&mut sync.totals);
        fleet.stats.synced(true);
        let router = &mut self.instances[instance as usize].router;
        router.apply_sync_totals(&totals, now);
        for d in 0..router.table().deployments().len() {
            let until = router.health(DeploymentIdx(d as u32)).cooling_until;
            fleet.stats.cooling(instance, d, now, until);
        }
        self.schedule_next_sync(instance, now);
    }

    /// Queues `instance`'s next sync one interval after its last take (never before `now`),
    /// unless only sync events are left: then the run is over.
    fn schedule_next_sync(&mut self, instance: u32, now: Time) {
        let Some(fleet) = &mut self.fleet else {
            return;
        };
        if self.queue.len() <= fleet.sync_events {
            return;
        }
        let taken = fleet.syncs[instance as usize].taken_at.unwrap_or(now);
        let at = (taken + fleet.spec.sync_interval).max(now);
        self.push_sync(at, Event::SyncTake { instance });
    }
}

/// The fleet, when a sync event was popped (which it counts as no longer queued).
fn popped(fleet: &mut Option<Fleet>) -> &mut Fleet {
    let fleet = fleet
        .as_mut()
        .expect("sync events are queued only with a fleet");
    fleet.sync_events -= 1;
    fleet
}
