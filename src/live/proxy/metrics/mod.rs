//! `GET /metrics`: the proxy's traffic and routing state in Prometheus's text format.
//!
//! Two sources, kept apart so that requests never pay for scrapes: [`counters`] — atomics that
//! each request and attempt adds to where the proxy already has the facts (the attempt's
//! outcome, the finished log line), pre-indexed so no lookup, lock or allocation happens — and
//! [`routing_state`] — cooldowns, in-flight attempts, this minute's usage and budgets, copied
//! from the router under its lock only when scraped. [`families`] names every metric
//! (LiteLLM's names where LiteLLM has the same quantity) and [`exposition`] spells them.
//!
//! Like LiteLLM 1.108.7, the endpoint asks for the master key unless the config says
//! `litellm_settings.require_auth_for_metrics_endpoint: false`. It decides what is measured
//! and shown; it never changes the router's state.

pub mod counters;
pub mod exposition;
pub mod families;
pub mod histogram;
pub mod labels;
pub mod routing_state;

use std::sync::Arc;
use std::sync::atomic::Ordering;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};

use self::counters::Counters;
use self::exposition::Exposition;
use self::labels::LabelSets;
use super::Proxy;
use super::errors::ApiError;
use super::state::SharedCore;
use crate::config::LitellmConfig;
use crate::config::deployment_table::{DeploymentTable, Target};
use crate::router::Route;

/// The proxy's metrics: the counters requests add to and the label sets a scrape prints.
#[derive(Debug)]
pub struct ProxyMetrics {
    /// The counters.
    pub counters: Counters,
    labels: LabelSets,
    /// Whether a scrape must present the master key.
    require_auth: bool,
}

impl ProxyMetrics {
    /// Metrics for `core`'s router; `api_base(d)` is what a deployment's `api_base` label says.
    pub fn new<'a>(
        core: &SharedCore,
        table: &DeploymentTable,
        api_base: impl Fn(crate::router::DeploymentIdx) -> &'a str,
        require_auth: bool,
    ) -> ProxyMetrics {
        let budgets = core.with(|c| routing_state::budget_names(&c.router));
        ProxyMetrics {
            counters: Counters::new(
                table.groups().len(),
                table.litellm_models().len(),
                table.deployments().len(),
            ),
            labels: LabelSets::new(table, api_base, &budgets),
            require_auth,
        }
    }

    /// The requested-model slot of a request for `route` (read from the table, no lock): its
    /// group's, or for a `litellm_params.model` that name's own, as LiteLLM labels it by the
    /// model requested.
    pub fn slot_of(&self, table: &DeploymentTable, route: Route) -> usize {
        match route {
            Route::To(Target::Model(m)) => self.counters.model_slot(m),
            Route::To(target) => self.counters.group_slot(table.target_group(&target)),
            Route::Unknown => self.counters.group_slot(None),
        }
    }

    /// The slot of a request refused before its model was read.
    pub fn unknown_slot(&self) -> usize {
        self.counters.group_slot(None)
    }

    /// The whole scrape: counters, then the routing state read at `now` under the lock.
    pub fn render(&self, core: &SharedCore, now: crate::time::Time, received: u64) -> String {
        let state = routing_state::read(
            core,
            now,
            self.labels.deployment.len(),
            self.labels.budget.len(),
        );
        let mut e = Exposition::default();
        families::requests(&mut e, &self.counters, &self.labels);
        families::deployments(&mut e, &self.counters, &self.labels);
        let in_flight = received.saturating_sub(self.counters.requests_ended());
        families::state(
            &mut e,
            &state,
            &self.counters,
            &self.labels,
            in_flight as f64,
        );
        e.finish()
    }
}

/// `litellm_settings.require_auth_for_metrics_endpoint` (LiteLLM's default: true). Anything but
/// a boolean stops `serve` with the file and key path.
pub fn require_auth(config: &LitellmConfig) -> Result<bool, String> {
    let raw: serde_yaml::Value = serde_yaml::from_str(&config.to_yaml()).unwrap_or_default();
    let key = "require_auth_for_metrics_endpoint";
    match raw.get("litellm_settings").and_then(|s| s.get(key)) {
        None | Some(serde_yaml::Value::Null) => Ok(true),
        Some(serde_yaml::Value::Bool(b)) => Ok(*b),
        Some(other) => Err(format!(
            "{}: {}: expected true or false, found {}",
            config.file,
            config.key_path(&format!("litellm_settings.{key}")),
            serde_yaml::to_string(other).unwrap_or_default().trim()
        )),
    }
}

/// `GET /metrics`.
pub async fn scrape(State(proxy): State<Arc<Proxy>>, headers: HeaderMap) -> Response {
    let metrics = &proxy.metrics;
    if metrics.require_auth && !super::auth::allowed(proxy.master_key.as_deref(), &headers) {
        return ApiError::new(
            401,
            "Unauthorized access to metrics endpoint: invalid or missing proxy key. To allow \
             unauthenticated access, set `litellm_settings.require_auth_for_metrics_endpoint: \
             false` in the config.",
        )
        .into_response();
    }
    let received = proxy.next_id.load(Ordering::Relaxed).saturating_sub(1);
    let text = metrics.render(&proxy.core, proxy.clock.now(), received);
    (
        [(axum::http::header::CONTENT_TYPE, exposition::CONTENT_TYPE)],
        text,
    )
        .into_response()
}
