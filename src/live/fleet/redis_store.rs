//! The fleet's shared store in Redis: one sync is one `EVALSHA` of `sync.lua`, which absorbs an
//! instance's [`SyncDelta`] by the rule of [`crate::router::sync::SharedTotals::absorb`] and
//! reads back the [`SyncTotals`] of every deployment and budget the instance knows (exact keys,
//! no `SCAN`).
//!
//! Keys (prefix `switchyard:`): `usage:<deployment id>:<minute>` (a hash of requests and tokens
//! that expires two minutes after its last write), `cooldown:<deployment id>` (the deadline),
//! `spend:<budget key>` (a hash of the window's start, length and dollars). Instants travel as
//! integer microseconds since the Unix epoch.
//!
//! It decides the store's layout and the wire format of a sync; it never touches the router and
//! never decides when to sync.

use std::time::Duration;

use redis::aio::ConnectionManager;

use crate::router::sync::{CooldownMark, SpendTotal, SyncDelta, SyncTotals, UsageTotal};
use crate::time::Time;

/// The script every sync runs.
const SYNC_SCRIPT: &str = include_str!("sync.lua");

/// How long a usage minute's counters outlive their last write (wall-clock seconds).
const USAGE_EXPIRY_S: u64 = 120;

/// Largest integer a Lua number (a double) holds exactly.
const LUA_EXACT_MAX: u64 = (1 << 53) - 1;

/// What one instance reads back: its deployments' ids and its budgets' keys, in the router's
/// order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncNames {
    /// Deployment ids (`model_info.id`).
    pub deployments: Vec<String>,
    /// Budget keys (`provider:openai`, `deployment:…`, `tag:…`).
    pub budgets: Vec<String>,
}

/// A connection to the shared store with the sync script loaded.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    script: redis::Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RedisStore")
    }
}

/// `t` in whole microseconds (rounded up, so a deadline never moves earlier), capped to what a
/// Lua number holds exactly.
fn micros(t: Time) -> u64 {
    t.as_nanos().div_ceil(1000).min(LUA_EXACT_MAX)
}

/// A span in whole microseconds, capped likewise.
fn span_micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros())
        .unwrap_or(u64::MAX)
        .min(LUA_EXACT_MAX)
}

fn from_micros(us: u64) -> Time {
    Time::from_nanos(us.saturating_mul(1000))
}

impl RedisStore {
    /// Connects to `info`, waiting at most `timeout` for the connection and for each answer.
    pub async fn connect(
        info: redis::ConnectionInfo,
        timeout: Duration,
    ) -> redis::RedisResult<RedisStore> {
        let client = redis::Client::open(info)?;
        let config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_with_config(client, config).await?;
        Ok(RedisStore {
            connection,
            script: redis::Script::new(SYNC_SCRIPT),
        })
    }

    /// Writes `delta` and reads back the totals of `names` at `now`, in one round trip.
    pub async fn sync(
        &mut self,
        delta: &SyncDelta,
        names: &SyncNames,
        now: Time,
    ) -> redis::RedisResult<SyncTotals> {
        let mut invocation = self.script.prepare_invoke();
        invocation
            .arg(micros(now))
            .arg(delta.usage.len())
            .arg(names.deployments.len())
            .arg(names.budgets.len())
            .arg(USAGE_EXPIRY_S);
        for u in &delta.usage {
            invocation
                .key(format!("switchyard:usage:{}:{}", u.deployment, u.minute))
                .arg(u.requests)
                .arg(u.tokens);
        }
        let minute = now.minute();
        for id in &names.deployments {
            let mark = delta
                .cooldowns
                .iter()
                .filter(|c| &c.deployment == id)
                .map(|c| micros(c.until))
                .max()
                .unwrap_or(0);
            invocation
                .key(format!("switchyard:usage:{id}:{minute}"))
                .key(format!("switchyard:cooldown:{id}"))
                .arg(mark);
        }
        for key in &names.budgets {
            invocation.key(format!("switchyard:spend:{key}"));
            match delta.spend.iter().find(|s| &s.budget == key) {
                Some(s) => invocation
                    .arg(1)
                    .arg(micros(s.window_start))
                    .arg(span_micros(s.period))
                    .arg(s.amount),
                None => invocation.arg(0).arg(0).arg(0).arg(0),
            };
        }
        let answer: Vec<String> = invocation.invoke_async(&mut self.connection).await?;
        Ok(read_totals(&answer, names, now))
    }
}

/// The script's answer as totals: the usage of `now`'s minute, cooldowns not yet over, open
/// budget windows.
fn read_totals(answer: &[String], names: &SyncNames, now: Time) -> SyncTotals {
    let int = |s: &str| s.parse::<u64>().unwrap_or(0);
    let mut totals = SyncTotals::default();
    let (per_deployment, per_budget) =
        answer.split_at((names.deployments.len() * 3).min(answer.len()));
    for (id, row) in names.deployments.iter().zip(per_deployment.chunks_exact(3)) {
        let (requests, tokens) = (int(&row[0]), int(&row[1]));
        if requests > 0 || tokens > 0 {
            totals.usage.push(UsageTotal {
                deployment: id.clone(),
                minute: now.minute(),
                requests,
                tokens,
            });
        }
        let until = from_micros(int(&row[2]));
        if until > now {
            totals.cooldowns.push(CooldownMark {
                deployment: id.clone(),
                until,
            });
        }
    }
    for (key, row) in names.budgets.iter().zip(per_budget.chunks_exact(3)) {
        let (Ok(start), Ok(period)) = (row[0].parse::<u64>(), row[1].parse::<u64>()) else {
            continue;
        };
        let window_start = from_micros(start);
        let period = Duration::from_micros(period);
        if now < window_start + period {
            totals.spend.push(SpendTotal {
                budget: key.clone(),
                window_start,
                period,
                spent: row[2].parse().unwrap_or(0.0),
            });
        }
    }
    totals
}
