//! Where each deployment's attempts go: the URL, the credential header and the model name the
//! upstream expects, decided once at start from the deployment's `litellm_params`.
//!
//! OpenAI-compatible upstreams (`openai/…`, `hosted_vllm/…`, and any deployment with an
//! `api_base`) take `POST {api_base}/chat/completions` with `Authorization: Bearer KEY`; Azure
//! OpenAI (`azure/<deployment>`) takes
//! `POST {api_base}/openai/deployments/<deployment>/chat/completions?api-version=V` with an
//! `api-key` header. Anthropic (`anthropic/<model>`) speaks the Messages API
//! ([`Wire::Anthropic`]): `POST {api_base}/v1/messages` (`api_base` defaults to
//! `https://api.anthropic.com`; one that already ends in `/v1/messages` is used as it is, as
//! LiteLLM does) with `x-api-key` and `anthropic-version: 2023-06-01`. A provider Switchyard cannot call, or an `os.environ/` reference that is
//! unset, is an error at start naming the deployment, the key path and the variable: never a
//! silent skip. URLs are parsed and credential headers built here, once, so an attempt only
//! copies them. It decides no routing and sends nothing.

use reqwest::Url;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::config::DeploymentConfig;
use crate::config::yaml::{ConfigString, EnvLookup, ProcessEnv};

/// OpenAI's API when an `openai/…` deployment names no `api_base`.
pub const OPENAI_API_BASE: &str = "https://api.openai.com/v1";

/// Anthropic's API when an `anthropic/…` deployment names no `api_base` (LiteLLM's default).
pub const ANTHROPIC_API_BASE: &str = "https://api.anthropic.com";

/// The Messages API path LiteLLM appends to an Anthropic `api_base`.
const ANTHROPIC_MESSAGES_PATH: &str = "/v1/messages";

/// The wire protocol an upstream speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// OpenAI's chat completions (OpenAI, Azure OpenAI and compatible servers): bodies pass
    /// through.
    OpenAi,
    /// Anthropic's Messages API: bodies, answers, streams and errors are translated
    /// ([`super::anthropic`]).
    Anthropic {
        /// `max_tokens` when the client sends none (Anthropic requires one).
        default_max_tokens: u32,
    },
}

/// One deployment's upstream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `POST` here for chat completions.
    pub chat_url: Url,
    /// `POST` here for embeddings.
    pub embeddings_url: Url,
    /// The credential header (name, value marked sensitive), if any. Never logged.
    pub credential: Option<(HeaderName, HeaderValue)>,
    /// The model name sent upstream (the part of `model` after the provider prefix).
    pub model: String,
    /// `api_base` as configured, for the `x-litellm-model-api-base` header.
    pub api_base: String,
    /// The protocol it speaks.
    pub wire: Wire,
}

/// Why a deployment cannot be served.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetError {
    /// The deployment's id.
    pub deployment: String,
    /// Key path in the config.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for TargetError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "deployment {:?}: {}: {}",
            self.deployment, self.path, self.message
        )
    }
}

impl std::error::Error for TargetError {}

/// Deployment `d` served by the mock provider at `base` (`switchyard mock-provider`, which
/// serves each deployment under `/p/<deployment id>`): an Azure deployment keeps Azure's URL
/// shape, an Anthropic one goes to the mock's Messages API (`/p/<id>/v1/messages`), every other
/// one is OpenAI-compatible; no credential is sent. `Ok(None)` for an auto
/// router; an error when `base` makes no URL.
pub fn mocked(base: &str, d: &DeploymentConfig) -> Result<Option<Target>, TargetError> {
    if d.auto_router.is_some() {
        return Ok(None);
    }
    let error = |message: String| TargetError {
        deployment: d.id.clone(),
        path: "--mock-upstream".into(),
        message,
    };
    let base = format!("{}/p/{}", base.trim_end_matches('/'), d.id);
    let model = upstream_model(d);
    let wire = wire_of(d);
    let (chat_url, embeddings_url) = if d.provider == "azure" {
        let url = |op: &str| format!("{base}/openai/deployments/{model}/{op}?api-version=mock");
        (url("chat/completions"), url("embeddings"))
    } else if matches!(wire, Wire::Anthropic { .. }) {
        let url = messages_url(&base);
        (url.clone(), url)
    } else {
        let v1 = format!("{base}/v1");
        (format!("{v1}/chat/completions"), format!("{v1}/embeddings"))
    };
    Ok(Some(Target {
        chat_url: parse_url(&chat_url).map_err(error)?,
        embeddings_url: parse_url(&embeddings_url).map_err(error)?,
        credential: None,
        model,
        api_base: base,
        wire,
    }))
}

/// The wire of deployment `d`: Anthropic's for `anthropic/…`, OpenAI's otherwise.
fn wire_of(d: &DeploymentConfig) -> Wire {
    if d.provider == "anthropic" {
        Wire::Anthropic {
            default_max_tokens: super::anthropic::default_max_tokens(&upstream_model(d)),
        }
    } else {
        Wire::OpenAi
    }
}

/// LiteLLM's Messages URL for an Anthropic `api_base` (trailing `/` removed): `/v1/messages`
/// appended unless it is already there.
fn messages_url(base: &str) -> String {
    if base.ends_with(ANTHROPIC_MESSAGES_PATH) {
        base.to_string()
    } else {
        format!("{base}{ANTHROPIC_MESSAGES_PATH}")
    }
}

/// `url` parsed, or why it is not a URL an upstream can be called at.
fn parse_url(url: &str) -> Result<Url, String> {
    Url::parse(url).map_err(|e| format!("{url:?} is not a URL: {e}"))
}

/// A credential header's value, marked sensitive so that it is never printed.
fn credential_value(value: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(value)
        .map_err(|_| "the key has characters an HTTP header cannot carry".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

/// The upstream of deployment number `index` (its place in `model_list`), `Ok(None)` for a
/// deployment the proxy never calls itself (an auto router routes to other groups). An
/// `anthropic/…` deployment with no `api_key` uses `ANTHROPIC_API_KEY`, as LiteLLM does.
pub fn target(index: usize, d: &DeploymentConfig) -> Result<Option<Target>, TargetError> {
    if d.auto_router.is_some() {
        return Ok(None);
    }
    let params = format!("model_list[{index}].litellm_params");
    let error = |key: &str, message: String| TargetError {
        deployment: d.id.clone(),
        path: if key.is_empty() {
            params.clone()
        } else {
            format!("{params}.{key}")
        },
        message,
    };
    let value = |key: &str, s: &Option<ConfigString>| -> Result<Option<String>, TargetError> {
        match s {
            None => Ok(None),
            Some(ConfigString { value: Some(v), .. }) => Ok(Some(v.clone())),
            Some(ConfigString {
                env_var: Some(name),
                value: None,
            }) => Err(error(
                key,
                format!("the environment variable {name} (os.environ/{name}) is not set"),
            )),
            Some(_) => Ok(None),
        }
    };
    let api_base = value("api_base", &d.api_base)?.map(|b| b.trim_end_matches('/').to_string());
    let api_key = value("api_key", &d.api_key)?;
    let model = upstream_model(d);
    match d.provider.as_str() {
        "azure" => {
            let Some(base) = api_base else {
                return Err(error(
                    "api_base",
                    "an azure/… deployment needs its endpoint (api_base)".into(),
                ));
            };
            let Some(version) = value("api_version", &d.api_version)? else {
                return Err(error(
                    "api_version",
                    "an azure/… deployment needs api_version".into(),
                ));
            };
            let url = |op: &str| {
                parse_url(&format!(
                    "{base}/openai/deployments/{model}/{op}?api-version={version}"
                ))
                .map_err(|m| error("api_base", m))
            };
            Ok(Some(Target {
                chat_url: url("chat/completions")?,
                embeddings_url: url("embeddings")?,
                credential: api_key
                    .map(|k| credential_value(&k).map(|v| (HeaderName::from_static("api-key"), v)))
                    .transpose()
                    .map_err(|m| error("api_key", m))?,
                model,
                api_base: base,
                wire: Wire::OpenAi,
            }))
        }
        "anthropic" => {
            let base = api_base.unwrap_or_else(|| ANTHROPIC_API_BASE.to_string());
            let url = parse_url(&messages_url(&base)).map_err(|m| error("api_base", m))?;
            Ok(Some(Target {
                chat_url: url.clone(),
                embeddings_url: url,
                credential: api_key
                    .or_else(|| ProcessEnv.var("ANTHROPIC_API_KEY"))
                    .map(|k| {
                        credential_value(&k).map(|v| (HeaderName::from_static("x-api-key"), v))
                    })
                    .transpose()
                    .map_err(|m| error("api_key", m))?,
                model,
                api_base: base,
                wire: wire_of(d),
            }))
        }
        provider => {
            let base = match (api_base, provider) {
                (Some(base), _) => base,
                (None, "openai") => OPENAI_API_BASE.to_string(),
                (None, _) => {
                    return Err(error(
                        "model",
                        format!(
                            "Switchyard cannot call provider {provider:?} yet; give the deployment an api_base of an OpenAI-compatible server, or use openai/… or azure/…"
                        ),
                    ));
                }
            };
            let url =
                |op: &str| parse_url(&format!("{base}/{op}")).map_err(|m| error("api_base", m));
            Ok(Some(Target {
                chat_url: url("chat/completions")?,
                embeddings_url: url("embeddings")?,
                credential: api_key
                    .map(|k| credential_value(&format!("Bearer {k}")).map(|v| (AUTHORIZATION, v)))
                    .transpose()
                    .map_err(|m| error("api_key", m))?,
                model,
                api_base: base,
                wire: Wire::OpenAi,
            }))
        }
    }
}

/// The model name an upstream expects: `model` after its provider prefix.
fn upstream_model(d: &DeploymentConfig) -> String {
    d.model
        .split_once('/')
        .map_or(d.model.as_str(), |(_, m)| m)
        .to_string()
}
