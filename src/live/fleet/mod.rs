//! Several `serve` instances sharing one router state through Redis (LiteLLM's `redis_host`
//! setups): every sync interval one task takes this router's delta under the core's lock,
//! releases it, writes the delta to Redis and reads the fleet's totals back in one round trip
//! ([`redis_store`]), then applies them under the lock.
//!
//! Redis down, at start or mid-run, costs no request: the proxy serves on its local view, the
//! unsent amounts stay local ([`crate::router::Router::sync_failed`]) and go with the next sync
//! that reaches the store, the task keeps reconnecting, and each change between connected and
//! unreachable is logged once and shown by `/health/readiness`.
//!
//! It decides when to sync and what happens when the store is away; the store's layout is
//! [`redis_store`]'s, which Redis to use is [`redis_target`]'s, and every routing decision stays
//! the router's.

pub mod redis_store;
pub mod redis_target;

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::Duration;

use self::redis_store::{RedisStore, SyncNames};
use self::redis_target::RedisTarget;
use super::clock::LiveClock;
use super::proxy::state::SharedCore;
use crate::router::Router;

/// LiteLLM's `DEFAULT_REDIS_SYNC_INTERVAL` (`litellm/constants.py`; the budget limiter fixes
/// its own at the same 1 s): how often an instance syncs unless `switchyard_settings`
/// `redis_sync_interval` says otherwise.
pub const DEFAULT_SYNC_INTERVAL: Duration = Duration::from_secs(1);

/// The longest one connection attempt or one answer may take before the sync counts as failed.
const STORE_TIMEOUT: Duration = Duration::from_millis(500);

const CONNECTING: u8 = 1;
const CONNECTED: u8 = 2;
const UNREACHABLE: u8 = 3;

/// How the instance stands with the shared store, as `/health/readiness` shows it (the
/// default, 0, is `not configured`).
#[derive(Debug, Default)]
pub struct FleetStatus {
    state: AtomicU8,
    syncs: std::sync::atomic::AtomicU64,
}

impl FleetStatus {
    /// `connected`, `unreachable`, `connecting` or `not configured`.
    pub fn describe(&self) -> &'static str {
        match self.state.load(Ordering::Relaxed) {
            CONNECTING => "connecting",
            CONNECTED => "connected",
            UNREACHABLE => "unreachable",
            _ => "not configured",
        }
    }

    /// Syncs that reached the store so far.
    pub fn syncs(&self) -> u64 {
        self.syncs.load(Ordering::Relaxed)
    }

    /// Moves to `state`; the previous state.
    fn set(&self, state: u8) -> u8 {
        self.state.swap(state, Ordering::Relaxed)
    }
}

/// What the sync task needs to know at start.
#[derive(Debug, Clone)]
pub struct FleetOptions {
    /// The shared store.
    pub target: RedisTarget,
    /// How often to sync, on the proxy's clock.
    pub interval: Duration,
}

/// The running sync task.
#[derive(Debug)]
pub struct FleetSync {
    stop: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
    description: String,
}

impl FleetSync {
    /// What it syncs with and how often, for the start-up message (no password).
    pub fn describe(&self) -> &str {
        &self.description
    }

    /// Stops the task after one last sync (so this instance's final counts reach the store
    /// when it can).
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let _ = self.task.await;
    }
}

/// The ids and budget keys `router` reads back from the store.
pub fn sync_names(router: &Router) -> SyncNames {
    SyncNames {
        deployments: router
            .table()
            .deployments()
            .iter()
            .map(|d| d.config.id.clone())
            .collect(),
        budgets: router
            .budgets()
            .map(|(b, _)| router.budget_scope(b).key())
            .collect(),
    }
}

/// Starts syncing `core` with the store of `options` every interval of `clock`.
#[allow(
    clippy::disallowed_methods,
    reason = "the live edge: the sync runs as its own task"
)]
pub fn start(
    core: Arc<SharedCore>,
    status: Arc<FleetStatus>,
    clock: LiveClock,
    options: FleetOptions,
) -> FleetSync {
    let names = core.with(|c| sync_names(&c.router));
    let description = format!(
        "sharing usage, cooldowns and spend through Redis {} every {} s",
        options.target.describe(),
        options.interval.as_secs_f64()
    );
    status.set(CONNECTING);
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(run(
        Syncer {
            core,
            status,
            clock,
            names,
            target: options.target,
            store: None,
            wall_interval: clock
                .wall_span(options.interval)
                .max(Duration::from_millis(1)),
        },
        stopped,
    ));
    FleetSync {
        stop,
        task,
        description,
    }
}

/// The task's state.
struct Syncer {
    core: Arc<SharedCore>,
    status: Arc<FleetStatus>,
    clock: LiveClock,
    names: SyncNames,
    target: RedisTarget,
    store: Option<RedisStore>,
    wall_interval: Duration,
}

async fn run(mut s: Syncer, mut stopped: tokio::sync::watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(s.wall_interval);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => s.sync_once().await,
            _ = async { let _ = stopped.wait_for(|v| *v).await; } => break,
        }
    }
    if s.store.is_some() {
        s.sync_once().await;
    }
}

impl Syncer {
    /// One sync: take under the lock, one round trip without it, apply under it again.
    async fn sync_once(&mut self) {
        let Some(mut store) = self.connected().await else {
            return;
        };
        let now = self.clock.now();
        let delta = self.core.with(|c| c.router.take_sync_delta(now));
        match store.sync(&delta, &self.names, now).await {
            Ok(totals) => {
                let now = self.clock.now();
                self.core.with(|c| c.router.apply_sync_totals(&totals, now));
                self.status.syncs.fetch_add(1, Ordering::Relaxed);
                self.reached();
            }
            Err(e) => {
                self.core.with(|c| c.router.sync_failed());
                self.lost(&e.to_string());
            }
        }
    }

    /// The store's connection, connecting first when there is none yet.
    async fn connected(&mut self) -> Option<RedisStore> {
        if self.store.is_none() {
            let info = match self.target.connection_info() {
                Ok(info) => info,
                Err(e) => {
                    self.lost(&e);
                    return None;
                }
            };
            match RedisStore::connect(info, STORE_TIMEOUT).await {
                Ok(store) => self.store = Some(store),
                Err(e) => {
                    self.lost(&e.to_string());
                    return None;
                }
            }
        }
        self.store.clone()
    }

    /// A sync reached the store: logged when the store was away before.
    fn reached(&self) {
        if self.status.set(CONNECTED) != CONNECTED {
            log(&format!(
                "fleet sync: Redis {} reached; sharing usage, cooldowns and spend",
                self.target.describe()
            ));
        }
    }

    /// A sync did not reach the store: logged once until it is back.
    fn lost(&self, why: &str) {
        if self.status.set(UNREACHABLE) != UNREACHABLE {
            log(&format!(
                "fleet sync: Redis {} unreachable ({}); serving on this instance's own view until it is back",
                self.target.describe(),
                redact(why, &self.target)
            ));
        }
    }
}

/// `why` with the target's password blanked out (a driver's error should never carry it, but a
/// log line must not depend on that).
fn redact(why: &str, target: &RedisTarget) -> String {
    let secret = match target {
        RedisTarget::Host {
            password: Some(p), ..
        } if !p.is_empty() => p.clone(),
        RedisTarget::Url(url) => match (url.find("://"), url.rfind('@')) {
            (Some(s), Some(at)) if at > s + 3 => url[s + 3..at].to_string(),
            _ => return why.to_string(),
        },
        _ => return why.to_string(),
    };
    why.replace(&secret, "***")
}

/// One line on standard error (which may be closed: then nothing).
fn log(line: &str) {
    let _ = writeln!(std::io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_driver_error_that_quotes_the_password_is_logged_without_it() {
        let host = RedisTarget::Host {
            host: "h".into(),
            port: 1,
            password: Some("hunter2".into()),
            db: 0,
        };
        assert_eq!(redact("auth hunter2 failed", &host), "auth *** failed");
        let url = RedisTarget::Url("redis://user:hunter2@h:1/0".into());
        assert!(!redact("url redis://user:hunter2@h:1/0", &url).contains("hunter2"));
        assert_eq!(url.describe(), "redis://h:1/0");
    }
}
