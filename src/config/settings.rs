//! `router_settings` (with the keys `litellm_settings` may also carry), checked, with the defaults
//! of LiteLLM 1.108.
//!
//! It decides how the settings are read, which layer wins (`router_settings` over
//! `litellm_settings`, a scenario policy over both) and the defaults. It must not implement any
//! of the behaviour the settings switch on; the router does.

use std::collections::BTreeMap;
use std::time::Duration;

use serde_yaml::Value;

use super::deployment::budget_limit;
use super::error::InputError;
use super::yaml::{ConfigString, Node};

/// The routing strategies LiteLLM knows, plus Switchyard's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RoutingStrategy {
    /// Weighted random (the default).
    SimpleShuffle,
    /// Fewest requests in flight.
    LeastBusy,
    /// Lowest recent latency.
    LatencyBased,
    /// Cheapest price per token.
    CostBased,
    /// Lowest usage this minute (v1).
    UsageBased,
    /// Lowest usage this minute (v2).
    UsageBasedV2,
    /// Switchyard's own: power of two choices scored by peak EWMA latency.
    P2cEwma,
}

impl RoutingStrategy {
    /// Every strategy with its name in the config.
    pub const ALL: &'static [(&'static str, RoutingStrategy)] = &[
        ("simple-shuffle", RoutingStrategy::SimpleShuffle),
        ("least-busy", RoutingStrategy::LeastBusy),
        ("latency-based-routing", RoutingStrategy::LatencyBased),
        ("cost-based-routing", RoutingStrategy::CostBased),
        ("usage-based-routing", RoutingStrategy::UsageBased),
        ("usage-based-routing-v2", RoutingStrategy::UsageBasedV2),
        ("p2c-ewma", RoutingStrategy::P2cEwma),
    ];

    /// The strategy's name as written in the config.
    pub fn name(self) -> &'static str {
        RoutingStrategy::ALL
            .iter()
            .find(|(_, s)| *s == self)
            .map(|(n, _)| *n)
            .unwrap_or("simple-shuffle")
    }
}

/// `routing_strategy_args`, typed. Each strategy reads the ones it uses.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StrategyArgs {
    /// Latency-based: forget a deployment's samples after this much silence (3600 s).
    pub ttl: Option<Duration>,
    /// Latency-based: pick at random among deployments within this share of the lowest (0).
    pub lowest_latency_buffer: Option<f64>,
    /// Latency-based: samples kept per deployment (10).
    pub max_latency_list_size: Option<u32>,
    /// p2c-ewma: the EWMA's decay time (10 s).
    pub decay: Option<Duration>,
}

impl StrategyArgs {
    fn parse(node: &Node<'_>) -> Result<StrategyArgs, InputError> {
        let mut args = StrategyArgs::default();
        for (key, value) in node.entries()? {
            if value.is_null() {
                continue;
            }
            match key {
                "ttl" => args.ttl = Some(seconds(&value)?),
                "lowest_latency_buffer" => args.lowest_latency_buffer = Some(value.non_negative()?),
                "max_latency_list_size" => {
                    let n = value.u32()?;
                    if n == 0 {
                        return Err(value.error("expected at least 1"));
                    }
                    args.max_latency_list_size = Some(n);
                }
                "decay" => args.decay = Some(seconds(&value)?),
                _ => value.warn("not a routing strategy argument Switchyard reads; ignored"),
            }
        }
        Ok(args)
    }
}

/// Per-error-class counts (`retry_policy`, `allowed_fails_policy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerClass {
    /// `BadRequestError…`
    pub bad_request: Option<u32>,
    /// `AuthenticationError…`
    pub authentication: Option<u32>,
    /// `TimeoutError…`
    pub timeout: Option<u32>,
    /// `RateLimitError…`
    pub rate_limit: Option<u32>,
    /// `ContentPolicyViolationError…`
    pub content_policy: Option<u32>,
    /// `InternalServerError…`
    pub internal_server: Option<u32>,
    /// `ServiceUnavailableError…` (retry policy only)
    pub service_unavailable: Option<u32>,
    /// `NotFoundError…` (retry policy only)
    pub not_found: Option<u32>,
}

impl PerClass {
    fn parse(node: &Node<'_>, suffix: &str) -> Result<PerClass, InputError> {
        let mut out = PerClass::default();
        for (key, child) in node.entries()? {
            let slot = match key.strip_suffix(suffix) {
                Some("BadRequestError") => &mut out.bad_request,
                Some("AuthenticationError") => &mut out.authentication,
                Some("TimeoutError") => &mut out.timeout,
                Some("RateLimitError") => &mut out.rate_limit,
                Some("ContentPolicyViolationError") => &mut out.content_policy,
                Some("InternalServerError") => &mut out.internal_server,
                Some("ServiceUnavailableError") if suffix == "Retries" => {
                    &mut out.service_unavailable
                }
                Some("NotFoundError") if suffix == "Retries" => &mut out.not_found,
                _ => {
                    child.warn(format!(
                        "not an error class LiteLLM counts (…{suffix} keys: BadRequestError, AuthenticationError, TimeoutError, RateLimitError, ContentPolicyViolationError, InternalServerError); ignored"
                    ));
                    continue;
                }
            };
            *slot = if child.is_null() {
                None
            } else {
                Some(child.u32()?)
            };
        }
        Ok(out)
    }
}

/// A fallback table: for each group, the groups to try in order. `*` is the catch-all entry.
pub type FallbackTable = Vec<(String, Vec<String>)>;

/// A provider's budget (`provider_budget_config`).
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderBudget {
    /// Limit in USD per period.
    pub budget_limit: f64,
    /// The period (`time_period`, e.g. `1d`).
    pub time_period: Duration,
}

/// A tag's budget (`litellm_settings.tag_budget_config`).
#[derive(Debug, Clone, PartialEq)]
pub struct TagBudget {
    /// Limit in USD per period.
    pub max_budget: f64,
    /// The period (`budget_duration`, e.g. `1d`).
    pub budget_duration: Duration,
}

/// Redis connection settings (shared state across proxy instances).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RedisSettings {
    /// `redis_host`.
    pub host: Option<ConfigString>,
    /// `redis_port` (a number, or `os.environ/NAME` as LiteLLM allows).
    pub port: Option<ConfigString>,
    /// `redis_password`.
    pub password: Option<ConfigString>,
    /// `redis_url`.
    pub url: Option<ConfigString>,
    /// `redis_db` (a number, or `os.environ/NAME`).
    pub db: Option<ConfigString>,
}

// LiteLLM's fixed backoff constants: not settings a config can change, but part of what
// `num_retries` and `retry_after` mean, so lint reads them here beside the settings and the
// router's retry policy re-exports them.

/// First backoff step.
pub const INITIAL_DELAY: Duration = Duration::from_millis(500);
/// Longest computed backoff.
pub const MAX_DELAY: Duration = Duration::from_secs(8);
/// Longest provider Retry-After that is honoured.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(60);
/// Upper end (exclusive) of the jitter added to every wait, in seconds.
pub const JITTER_SECS: f64 = 0.75;

/// The router's settings after defaults and layering.
#[derive(Debug, Clone, PartialEq)]
pub struct RouterSettings {
    /// `routing_strategy` (simple-shuffle).
    pub routing_strategy: RoutingStrategy,
    /// `routing_strategy_args`, as written.
    pub routing_strategy_args: BTreeMap<String, Value>,
    /// `routing_strategy_args`, typed.
    pub strategy_args: StrategyArgs,
    /// `num_retries` (2).
    pub num_retries: u32,
    /// `retry_after`: least wait before a retry (0 s).
    pub retry_after: Duration,
    /// `retry_policy`.
    pub retry_policy: PerClass,
    /// `model_group_retry_policy`: a group's entry replaces `retry_policy`.
    pub model_group_retry_policy: BTreeMap<String, PerClass>,
    /// `allowed_fails` (3), `None` when left at the default (the default cooldown rule applies).
    pub allowed_fails: Option<u32>,
    /// `allowed_fails_policy`.
    pub allowed_fails_policy: Option<PerClass>,
    /// `cooldown_time` (5 s).
    pub cooldown_time: Duration,
    /// `disable_cooldowns` (false).
    pub disable_cooldowns: bool,
    /// `fallbacks`.
    pub fallbacks: FallbackTable,
    /// `context_window_fallbacks`.
    pub context_window_fallbacks: FallbackTable,
    /// `content_policy_fallbacks`.
    pub content_policy_fallbacks: FallbackTable,
    /// `default_fallbacks`: acts as a `*` entry of `fallbacks`.
    pub default_fallbacks: Vec<String>,
    /// `max_fallbacks` (5): depth of fallback nesting.
    pub max_fallbacks: u32,
    /// `timeout` per attempt (6000 s).
    pub timeout: Duration,
    /// `stream_timeout` per attempt of a streaming request, if set.
    pub stream_timeout: Option<Duration>,
    /// `enable_pre_call_checks` (false).
    pub enable_pre_call_checks: bool,
    /// `enable_tag_filtering` (false).
    pub enable_tag_filtering: bool,
    /// `tag_filtering_match_any` (true).
    pub tag_filtering_match_any: bool,
    /// `provider_budget_config`, by provider.
    pub provider_budget_config: BTreeMap<String, ProviderBudget>,
    /// `litellm_settings.tag_budget_config`, by tag.
    pub tag_budget_config: BTreeMap<String, TagBudget>,
    /// `model_group_alias`: alias → group.
    pub model_group_alias: BTreeMap<String, String>,
    /// Redis settings.
    pub redis: RedisSettings,
    /// Switchyard's own improvements (`switchyard_settings`), all off by default.
    pub improvements: super::improvements::Improvements,
}

impl Default for RouterSettings {
    fn default() -> Self {
        RouterSettings {
            routing_strategy: RoutingStrategy::SimpleShuffle,
            routing_strategy_args: BTreeMap::new(),
            strategy_args: StrategyArgs::default(),
            num_retries: 2,
            retry_after: Duration::ZERO,
            retry_policy: PerClass::default(),
            model_group_retry_policy: BTreeMap::new(),
            allowed_fails: None,
            allowed_fails_policy: None,
            cooldown_time: Duration::from_secs(5),
            disable_cooldowns: false,
            fallbacks: Vec::new(),
            context_window_fallbacks: Vec::new(),
            content_policy_fallbacks: Vec::new(),
            default_fallbacks: Vec::new(),
            max_fallbacks: 5,
            timeout: Duration::from_secs(6000),
            stream_timeout: None,
            enable_pre_call_checks: false,
            enable_tag_filtering: false,
            tag_filtering_match_any: true,
            provider_budget_config: BTreeMap::new(),
            tag_budget_config: BTreeMap::new(),
            model_group_alias: BTreeMap::new(),
            redis: RedisSettings::default(),
            improvements: Default::default(),
        }
    }
}

/// Keys `router_settings` may carry that Switchyard reads.
pub const ROUTER_KEYS: &[&str] = &[
    "routing_strategy",
    "routing_strategy_args",
    "num_retries",
    "retry_after",
    "retry_policy",
    "model_group_retry_policy",
    "allowed_fails",
    "allowed_fails_policy",
    "cooldown_time",
    "disable_cooldowns",
    "fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "default_fallbacks",
    "max_fallbacks",
    "timeout",
    "stream_timeout",
    "enable_pre_call_checks",
    "enable_tag_filtering",
    "tag_filtering_match_any",
    "provider_budget_config",
    "model_group_alias",
    "redis_host",
    "redis_port",
    "redis_password",
    "redis_url",
    "redis_db",
];

/// The arguments of LiteLLM 1.108.7's `Router.__init__` that the proxy takes from
/// `router_settings` (`Router.get_valid_args()` less `ROUTER_SETTINGS_MANAGED_OUTSIDE_CONFIG`).
/// Any other key LiteLLM ignores with a logged warning.
pub const LITELLM_ROUTER_ARGS: &[&str] = &[
    "alerting_config",
    "allowed_fails",
    "allowed_fails_policy",
    "background_health_check_model_groups",
    "cache_kwargs",
    "cache_responses",
    "caching_groups",
    "client_ttl",
    "content_policy_fallbacks",
    "context_window_fallbacks",
    "cooldown_time",
    "debug_level",
    "default_fallbacks",
    "default_litellm_params",
    "default_max_parallel_requests",
    "default_priority",
    "deployment_affinity_ttl_seconds",
    "disable_cooldowns",
    "enable_health_check_routing",
    "enable_pre_call_checks",
    "enable_tag_filtering",
    "enable_weighted_failover",
    "fallback_on_unsupported_params",
    "fallbacks",
    "guardrail_list",
    "health_check_ignore_transient_errors",
    "health_check_staleness_threshold",
    "max_fallbacks",
    "model_group_affinity_config",
    "model_group_alias",
    "model_group_retry_policy",
    "num_retries",
    "optional_pre_call_checks",
    "plugins",
    "polling_interval",
    "provider_budget_config",
    "redis_db",
    "redis_host",
    "redis_password",
    "redis_port",
    "redis_url",
    "retry_after",
    "retry_policy",
    "routing_groups",
    "routing_strategy",
    "routing_strategy_args",
    "set_verbose",
    "stream_timeout",
    "tag_filtering_match_any",
    "tag_routing_prefix",
    "timeout",
];

/// `router_settings` keys LiteLLM refuses to start with: they belong in `general_settings`.
pub const GENERAL_SETTINGS_ONLY: &[&str] = &["health_check_interval", "health_check_concurrency"];

/// Keys of `litellm_settings` that set router behaviour; `request_timeout` sets `timeout`.
pub const LITELLM_ROUTER_KEYS: &[&str] = &[
    "num_retries",
    "request_timeout",
    "allowed_fails",
    "fallbacks",
    "default_fallbacks",
    "context_window_fallbacks",
    "content_policy_fallbacks",
    "tag_budget_config",
];

/// One layer of settings: a mapping node whose keys override the layers below it.
pub struct Layer<'a> {
    /// The mapping.
    pub node: Node<'a>,
    /// Which keys of it are settings (others are warned about by the caller).
    pub keys: &'static [&'static str],
}

fn seconds(node: &Node<'_>) -> Result<Duration, InputError> {
    let secs = node.non_negative()?;
    Duration::try_from_secs_f64(secs).map_err(|_| node.expected("a number of seconds"))
}

fn fallback_table(node: &Node<'_>) -> Result<FallbackTable, InputError> {
    let mut table = Vec::new();
    for item in node.items()? {
        let entries = item.entries().map_err(|_| {
            item.expected("a mapping from a model group to a list of groups, e.g. {\"gpt-4o\": [\"gpt-4o-mini\"]}")
        })?;
        for (group, targets) in entries {
            let list = match targets.value() {
                Value::String(_) => vec![targets.string()?],
                _ => targets.string_list()?,
            };
            table.push((group.to_string(), list));
        }
    }
    Ok(table)
}

fn group_list(node: &Node<'_>) -> Result<Vec<String>, InputError> {
    match node.value() {
        Value::String(_) => Ok(vec![node.string()?]),
        _ => node.string_list(),
    }
}

impl RouterSettings {
    /// Builds settings from layers, lowest first; for each key the highest layer that sets it
    /// wins, and a `null` there means LiteLLM's default. Unknown keys are the caller's to warn
    /// about.
    pub fn from_layers(layers: &[Layer<'_>]) -> Result<RouterSettings, InputError> {
        let mut s = RouterSettings::default();
        let mut decided: Vec<&str> = Vec::new();
        for layer in layers.iter().rev() {
            for (key, node) in layer.node.entries()? {
                // `request_timeout` and `timeout` set the same thing.
                let canonical = if key == "request_timeout" {
                    "timeout"
                } else {
                    key
                };
                if !layer.keys.contains(&key) || decided.contains(&canonical) {
                    continue;
                }
                decided.push(canonical);
                if !node.is_null() {
                    s.apply(key, &node)?;
                }
            }
        }
        Ok(s)
    }

    fn apply(&mut self, key: &str, node: &Node<'_>) -> Result<(), InputError> {
        match key {
            "routing_strategy" => {
                let name = node.string()?;
                self.routing_strategy = RoutingStrategy::ALL
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, s)| *s)
                    .ok_or_else(|| {
                        let names: Vec<&str> =
                            RoutingStrategy::ALL.iter().map(|(n, _)| *n).collect();
                        node.error(format!(
                            "unknown routing strategy {name:?} (expected one of: {})",
                            names.join(", ")
                        ))
                    })?;
            }
            "routing_strategy_args" => {
                self.strategy_args = StrategyArgs::parse(node)?;
                self.routing_strategy_args = node
                    .entries()?
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.value().clone()))
                    .collect();
            }
            "num_retries" => self.num_retries = node.u32()?,
            "retry_after" => self.retry_after = seconds(node)?,
            "retry_policy" => self.retry_policy = PerClass::parse(node, "Retries")?,
            "model_group_retry_policy" => {
                self.model_group_retry_policy = node
                    .entries()?
                    .into_iter()
                    .map(|(group, policy)| {
                        Ok((group.to_string(), PerClass::parse(&policy, "Retries")?))
                    })
                    .collect::<Result<_, InputError>>()?;
            }
            "allowed_fails" => self.allowed_fails = Some(node.u32()?),
            "allowed_fails_policy" => {
                self.allowed_fails_policy = Some(PerClass::parse(node, "AllowedFails")?)
            }
            "cooldown_time" => self.cooldown_time = seconds(node)?,
            "disable_cooldowns" => self.disable_cooldowns = node.bool()?,
            "fallbacks" => self.fallbacks = fallback_table(node)?,
            "context_window_fallbacks" => self.context_window_fallbacks = fallback_table(node)?,
            "content_policy_fallbacks" => self.content_policy_fallbacks = fallback_table(node)?,
            "default_fallbacks" => self.default_fallbacks = group_list(node)?,
            "max_fallbacks" => self.max_fallbacks = node.u32()?,
            "timeout" | "request_timeout" => self.timeout = seconds(node)?,
            "stream_timeout" => self.stream_timeout = Some(seconds(node)?),
            "enable_pre_call_checks" => self.enable_pre_call_checks = node.bool()?,
            "enable_tag_filtering" => self.enable_tag_filtering = node.bool()?,
            "tag_filtering_match_any" => self.tag_filtering_match_any = node.bool()?,
            "provider_budget_config" => {
                let mut budgets = BTreeMap::new();
                for (provider, budget) in node.entries()? {
                    let limit = budget_limit(&budget.require("budget_limit")?)?;
                    let period = super::period::period(&budget.require("time_period")?)?;
                    let Some(limit) = limit else { continue };
                    budgets.insert(
                        provider.to_string(),
                        ProviderBudget {
                            budget_limit: limit,
                            time_period: period,
                        },
                    );
                }
                self.provider_budget_config = budgets;
            }
            "tag_budget_config" => {
                let mut budgets = BTreeMap::new();
                for (tag, budget) in node.entries()? {
                    let limit = budget_limit(&budget.require("max_budget")?)?;
                    let period = super::period::period(&budget.require("budget_duration")?)?;
                    let Some(limit) = limit else { continue };
                    budgets.insert(
                        tag.to_string(),
                        TagBudget {
                            max_budget: limit,
                            budget_duration: period,
                        },
                    );
                }
                self.tag_budget_config = budgets;
            }
            "model_group_alias" => {
                let mut aliases = BTreeMap::new();
                for (alias, target) in node.entries()? {
                    let group = match target.value() {
                        Value::Mapping(_) => target.require("model")?.string()?,
                        _ => target.string()?,
                    };
                    aliases.insert(alias.to_string(), group);
                }
                self.model_group_alias = aliases;
            }
            "redis_host" => self.redis.host = Some(node.config_string()?),
            "redis_port" => self.redis.port = Some(node.config_string()?),
            "redis_password" => self.redis.password = Some(node.config_string()?),
            "redis_url" => self.redis.url = Some(node.config_string()?),
            "redis_db" => self.redis.db = Some(node.config_string()?),
            "switchyard_settings" => {
                self.improvements = super::improvements::Improvements::parse(node)?;
            }
            _ => {}
        }
        Ok(())
    }
}
