//! One `model_list` entry, checked: a deployment of a model behind a provider.
//!
//! It decides how an entry's keys (`model_name`, `litellm_params`, `model_info`, top-level
//! `rpm`/`tpm`) become a [`DeploymentConfig`], and the deployment's id. It must not decide
//! anything about routing: it only reads.

use std::time::Duration;

use serde_yaml::Value;
use sha2::{Digest, Sha256};

use super::error::InputError;
use super::yaml::{ConfigString, Node};

/// The keys of `litellm_params` that Switchyard reads.
const LITELLM_PARAMS: &[&str] = &[
    "model",
    "api_base",
    "api_key",
    "api_version",
    "rpm",
    "tpm",
    "weight",
    "order",
    "tags",
    "max_budget",
    "budget_duration",
    "timeout",
    "stream_timeout",
    "num_retries",
    "cooldown_time",
    "input_cost_per_token",
    "output_cost_per_token",
    "region_name",
    "max_input_tokens",
    "auto_router_config_path",
    "auto_router_config",
    "auto_router_default_model",
    "auto_router_embedding_model",
];

/// The keys of `model_info` that Switchyard reads.
const MODEL_INFO: &[&str] = &[
    "id",
    "max_input_tokens",
    "max_output_tokens",
    "max_tokens",
    "input_cost_per_token",
    "output_cost_per_token",
    "base_model",
    "mode",
    "rpm",
    "tpm",
];

/// A deployment as configured.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentConfig {
    /// `model_info.id`, else LiteLLM's hash of the entry.
    pub id: String,
    /// The model group the deployment serves (`model_name`).
    pub model_name: String,
    /// `litellm_params.model`, e.g. `azure/gpt-4o`.
    pub model: String,
    /// The part of `model` before the first `/` (`openai` when there is none).
    pub provider: String,
    /// `api_base`, if set.
    pub api_base: Option<ConfigString>,
    /// `api_key`, if set.
    pub api_key: Option<ConfigString>,
    /// `api_version`, if set.
    pub api_version: Option<ConfigString>,
    /// Requests per minute (litellm_params, then the entry, then model_info).
    pub rpm: Option<u64>,
    /// Tokens per minute (same precedence as `rpm`).
    pub tpm: Option<u64>,
    /// `rpm` as LiteLLM's shuffle weighs it: from `litellm_params` or the entry's top level,
    /// never from `model_info` (docs/litellm-compat.md §5).
    pub shuffle_rpm: Option<u64>,
    /// `tpm` as LiteLLM's shuffle weighs it.
    pub shuffle_tpm: Option<u64>,
    /// Shuffle weight.
    pub weight: Option<f64>,
    /// Priority tier: lower is tried first.
    pub order: Option<u32>,
    /// Tags for tag routing.
    pub tags: Vec<String>,
    /// Budget for this deployment, with its period.
    pub max_budget: Option<f64>,
    /// Budget period (`budget_duration`, e.g. `1d`, `30d`, `1mo`), checked when the config loads.
    pub budget_duration: Option<Duration>,
    /// Per-attempt timeout.
    pub timeout: Option<Duration>,
    /// Per-attempt timeout for streaming requests.
    pub stream_timeout: Option<Duration>,
    /// Retries for requests to this deployment's group, overriding the router's.
    pub num_retries: Option<u32>,
    /// Cooldown for this deployment (`0` = never cooled).
    pub cooldown_time: Option<Duration>,
    /// Price per input token in USD (litellm_params, else model_info).
    pub input_cost_per_token: Option<f64>,
    /// Price per output token in USD (litellm_params, else model_info).
    pub output_cost_per_token: Option<f64>,
    /// `region_name`, if set.
    pub region_name: Option<String>,
    /// Context window in input tokens.
    pub max_input_tokens: Option<u64>,
    /// Largest completion.
    pub max_output_tokens: Option<u64>,
    /// `model_info.base_model`, if set.
    pub base_model: Option<String>,
    /// `model_info.mode`, if set (chat, embedding, …).
    pub mode: Option<String>,
    /// The auto-router keys, when `model` is `auto_router/<name>`.
    pub auto_router: Option<AutoRouterConfig>,
}

/// The `auto_router_*` keys of an auto-router deployment, as written.
#[derive(Debug, Clone, PartialEq)]
pub struct AutoRouterConfig {
    /// `auto_router_config_path`, relative to the config file.
    pub config_path: Option<String>,
    /// `auto_router_config`, inline JSON text or mapping.
    pub config_inline: Option<Value>,
    /// `auto_router_default_model`.
    pub default_model: Option<String>,
    /// `auto_router_embedding_model`.
    pub embedding_model: Option<String>,
    /// The routes, read by the config loader from the path or the inline config.
    pub spec: Option<super::auto_router::AutoRouterSpec>,
}

fn opt<'a, T>(
    node: &Node<'a>,
    key: &str,
    read: impl Fn(&Node<'a>) -> Result<T, InputError>,
) -> Result<Option<T>, InputError> {
    match node.get(key)? {
        Some(child) if !child.is_null() => read(&child).map(Some),
        _ => Ok(None),
    }
}

fn seconds(node: &Node<'_>) -> Result<Duration, InputError> {
    let secs = node.non_negative()?;
    Duration::try_from_secs_f64(secs).map_err(|_| node.expected("a number of seconds"))
}

/// A budget limit as LiteLLM's budget limiter reads it: `0` is no budget at all (it checks
/// `if max_budget and spend >= max_budget`), so a zero is `None` with a warning.
pub fn budget_limit(node: &Node<'_>) -> Result<Option<f64>, InputError> {
    let limit = node.non_negative()?;
    if limit == 0.0 {
        node.warn(
            "a budget of 0 is no budget in LiteLLM (its budget limiter skips a falsy limit); no limit applied",
        );
        return Ok(None);
    }
    Ok(Some(limit))
}

fn tags(node: &Node<'_>) -> Result<Vec<String>, InputError> {
    node.string_list()
}

impl DeploymentConfig {
    /// Reads one `model_list` entry.
    pub fn parse(entry: &Node<'_>) -> Result<DeploymentConfig, InputError> {
        for (key, child) in entry.entries()? {
            if !matches!(
                key,
                "model_name" | "litellm_params" | "model_info" | "rpm" | "tpm"
            ) {
                child.warn("key not used by Switchyard's routing; ignored");
            }
        }
        let model_name = entry.require("model_name")?.string()?;
        let params = entry.require("litellm_params")?;
        params.entries()?; // must be a mapping
        let info = match entry.get("model_info")? {
            Some(info) if !info.is_null() => Some(info),
            _ => None,
        };
        for (key, child) in params.entries()? {
            if !LITELLM_PARAMS.contains(&key) {
                child.warn("key not used by Switchyard's routing; ignored");
            }
        }
        if let Some(info) = &info {
            for (key, child) in info.entries()? {
                if !MODEL_INFO.contains(&key) {
                    child.warn("key not used by Switchyard's routing; ignored");
                }
            }
        }

        let model = params.require("model")?.string()?;
        let provider = match model.split_once('/') {
            Some((provider, _)) => provider.to_string(),
            None => "openai".to_string(),
        };
        let from_info = |key: &str| -> Result<Option<Node<'_>>, InputError> {
            match &info {
                Some(info) => info.get(key),
                None => Ok(None),
            }
        };
        let limit = |key: &str| -> Result<Option<u64>, InputError> {
            if let Some(v) = opt(&params, key, Node::u64)? {
                return Ok(Some(v));
            }
            if let Some(v) = opt(entry, key, Node::u64)? {
                return Ok(Some(v));
            }
            match from_info(key)? {
                Some(n) if !n.is_null() => n.u64().map(Some),
                _ => Ok(None),
            }
        };
        let shuffle_limit = |key: &str| -> Result<Option<u64>, InputError> {
            match opt(&params, key, Node::u64)? {
                Some(v) => Ok(Some(v)),
                None => opt(entry, key, Node::u64),
            }
        };
        let price = |key: &str| -> Result<Option<f64>, InputError> {
            if let Some(v) = opt(&params, key, Node::non_negative)? {
                return Ok(Some(v));
            }
            match from_info(key)? {
                Some(n) if !n.is_null() => n.non_negative().map(Some),
                _ => Ok(None),
            }
        };
        let info_u64 = |key: &str| -> Result<Option<u64>, InputError> {
            match from_info(key)? {
                Some(n) if !n.is_null() => n.u64().map(Some),
                _ => Ok(None),
            }
        };
        let info_string = |key: &str| -> Result<Option<String>, InputError> {
            match from_info(key)? {
                Some(n) if !n.is_null() => n.string().map(Some),
                _ => Ok(None),
            }
        };

        let auto_router = if let Some(kind) = strategy_router_kind(&model) {
            params.require("model")?.warn(format!(
                "LiteLLM's {kind} router (`auto_router/{kind}_router`) picks a model by its own rules, which Switchyard does not simulate; the entry is read as an ordinary deployment named {model:?}"
            ));
            None
        } else if model.starts_with("auto_router/") {
            Some(AutoRouterConfig {
                config_path: opt(&params, "auto_router_config_path", Node::string)?,
                config_inline: params.get("auto_router_config")?.map(|n| n.value().clone()),
                default_model: opt(&params, "auto_router_default_model", Node::string)?,
                embedding_model: opt(&params, "auto_router_embedding_model", Node::string)?,
                spec: None,
            })
        } else {
            None
        };

        let id = match info_string("id")? {
            Some(id) => id,
            None => litellm_model_id(&model_name, &params)?,
        };
        let weight = opt(&params, "weight", Node::non_negative)?;
        let max_input_tokens = match opt(&params, "max_input_tokens", Node::u64)? {
            Some(v) => Some(v),
            None => info_u64("max_input_tokens")?,
        };
        let max_output_tokens = match info_u64("max_output_tokens")? {
            Some(v) => Some(v),
            None => info_u64("max_tokens")?,
        };

        Ok(DeploymentConfig {
            id,
            model_name,
            model,
            provider,
            api_base: opt(&params, "api_base", Node::config_string)?,
            api_key: opt(&params, "api_key", Node::config_string)?,
            api_version: opt(&params, "api_version", Node::config_string)?,
            rpm: limit("rpm")?,
            tpm: limit("tpm")?,
            shuffle_rpm: shuffle_limit("rpm")?,
            shuffle_tpm: shuffle_limit("tpm")?,
            weight,
            order: opt(&params, "order", Node::u32)?,
            tags: opt(&params, "tags", tags)?.unwrap_or_default(),
            max_budget: opt(&params, "max_budget", budget_limit)?.flatten(),
            budget_duration: opt(&params, "budget_duration", super::period::period)?,
            timeout: opt(&params, "timeout", seconds)?,
            stream_timeout: opt(&params, "stream_timeout", seconds)?,
            num_retries: opt(&params, "num_retries", Node::u32)?,
            cooldown_time: opt(&params, "cooldown_time", seconds)?,
            input_cost_per_token: price("input_cost_per_token")?,
            output_cost_per_token: price("output_cost_per_token")?,
            region_name: opt(&params, "region_name", Node::string)?,
            max_input_tokens,
            max_output_tokens,
            base_model: info_string("base_model")?,
            mode: info_string("mode")?,
            auto_router,
        })
    }

    /// The `api_base` as written or resolved, for matching and display.
    pub fn api_base_text(&self) -> Option<&str> {
        self.api_base.as_ref().and_then(|s| s.value.as_deref())
    }
}

/// The kind of a non-semantic strategy router, as LiteLLM classifies `auto_router/…` models
/// (`classify_strategy_router_model`): everything else under `auto_router/` is a semantic router.
fn strategy_router_kind(model: &str) -> Option<&'static str> {
    let rest = model.strip_prefix("auto_router/")?;
    ["complexity", "adaptive", "quality"]
        .into_iter()
        .find(|kind| rest.starts_with(&format!("{kind}_router")))
}

/// LiteLLM's deployment id: SHA-256 of the group name followed by every `litellm_params` key and
/// value in file order, values rendered as Python's `str` would (`Router.generate_model_id`).
/// Like LiteLLM, `os.environ/NAME` values are hashed resolved; an unset variable is hashed as
/// written (LiteLLM cannot start without it, so there is no id of its to match).
fn litellm_model_id(model_name: &str, params: &Node<'_>) -> Result<String, InputError> {
    let mut text = String::from(model_name);
    for (key, value) in params.entries()? {
        text.push_str(key);
        match value.value() {
            Value::String(s) => match value.string() {
                Ok(resolved) => text.push_str(&resolved),
                Err(_) => text.push_str(s),
            },
            Value::Mapping(_) => text.push_str(&python_json(value.value())),
            other => text.push_str(&python_str(other)),
        }
    }
    let digest = Sha256::digest(text.as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Python's `str()` of a YAML scalar or list, as LiteLLM renders it into the id hash.
fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => match (n.as_i64(), n.as_u64(), n.as_f64()) {
            (Some(i), _, _) => i.to_string(),
            (_, Some(u), _) => u.to_string(),
            (_, _, Some(f)) if f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
            (_, _, Some(f)) => f.to_string(),
            _ => n.to_string(),
        },
        Value::String(s) => format!("'{s}'"),
        Value::Sequence(items) => {
            let inner: Vec<String> = items.iter().map(python_str).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Mapping(_) => python_json(value),
        Value::Tagged(t) => python_str(&t.value),
    }
}

/// `json.dumps` with Python's default separators.
fn python_json(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => serde_json::to_string(s).unwrap_or_default(),
        Value::Sequence(items) => {
            let inner: Vec<String> = items.iter().map(python_json).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Mapping(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| format!("{}: {}", python_json(k), python_json(v)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
        Value::Tagged(t) => python_json(&t.value),
    }
}
